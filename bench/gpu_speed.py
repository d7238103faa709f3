"""Diffusion speed per preset and size (`python bench/generate.py --gpu`): wall time per shot,
denoise, per step, VAE decode, fit and encode, peak VRAM, the projected wall time of a
60-second video, and a check that each clip has the asked length, size and frame rate.

The checkpoints on disk are measured (`storyreel models pull NAME [--preset draft]`); with
--full-size-random, full-size pipelines with random weights are built instead, straight from
the published configs written out below (a GPU machine may have no network): random weights
make noise, but every tensor has its real shape, so time and memory are the real models'.
Each shot goes through the generator call the renderer makes; only `load` is replaced.

Without a CUDA GPU it says so and runs the same path on tiny random checkpoints on the CPU:
the plumbing, not the speed. `--full-size-random --layers 1` builds the full widths with one
block each on the CPU, to check that the configs fit together.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import math
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from storyreel.generators import ClipRequest
from storyreel.generators.diffusion import DiffusionGenerator, Lora, Preset, weights_on_disk
from storyreel.generators.ltx_video import LTXVideoGenerator
from storyreel.generators.wan import WanGenerator
from storyreel.tools.probe import probe
from storyreel.tools.video import nvenc_problem

PROMPT = "a red fox trotting through fresh snow in a birch forest at golden hour, cinematic"
TESTS = Path(__file__).resolve().parents[1] / "tests"

# Published configs --------------------------------------------------------------------------
# LTX-Video: diffusers' scripts/convert_ltx_to_diffusers.py (0.9.0 2B; 0.9.7 13B, whose
# architecture 0.9.8 keeps). Wan 2.1 T2V 1.3B: Wan-AI/Wan2.1-T2V-1.3B-Diffusers.

T5_XXL = dict(vocab_size=32128, d_model=4096, d_kv=64, d_ff=10240, num_layers=24, num_heads=64,
              relative_attention_num_buckets=32, relative_attention_max_distance=128,
              dropout_rate=0.0, layer_norm_epsilon=1e-6, feed_forward_proj="gated-gelu",
              tie_word_embeddings=False, pad_token_id=0, eos_token_id=1)
UMT5_XXL = dict(T5_XXL, vocab_size=256384)
LTX_TRANSFORMER = dict(in_channels=128, out_channels=128, patch_size=1, patch_size_t=1,
                       num_attention_heads=32, attention_head_dim=64, cross_attention_dim=2048,
                       num_layers=28, activation_fn="gelu-approximate",
                       qk_norm="rms_norm_across_heads", norm_elementwise_affine=False,
                       norm_eps=1e-6, caption_channels=4096, attention_bias=True,
                       attention_out_bias=True)
LTX_13B_TRANSFORMER = dict(LTX_TRANSFORMER, attention_head_dim=128, cross_attention_dim=4096,
                           num_layers=48)
LTX_VAE = dict(in_channels=3, out_channels=3, latent_channels=128,
               block_out_channels=(128, 256, 512, 512),
               decoder_block_out_channels=(128, 256, 512, 512),
               layers_per_block=(4, 3, 3, 3, 4), decoder_layers_per_block=(4, 3, 3, 3, 4),
               spatio_temporal_scaling=(True, True, True, False),
               decoder_spatio_temporal_scaling=(True, True, True, False),
               decoder_inject_noise=(False, False, False, False, False),
               upsample_residual=(False, False, False, False), upsample_factor=(1, 1, 1, 1),
               patch_size=4, patch_size_t=1, resnet_norm_eps=1e-6, scaling_factor=1.0,
               encoder_causal=True, decoder_causal=False, timestep_conditioning=False)
LTX_097_VAE = dict(LTX_VAE, block_out_channels=(128, 256, 512, 1024, 2048),
                   down_block_types=("LTXVideo095DownBlock3D",) * 4,
                   decoder_block_out_channels=(256, 512, 1024),
                   layers_per_block=(4, 6, 6, 2, 2), decoder_layers_per_block=(5, 5, 5, 5),
                   spatio_temporal_scaling=(True, True, True, True),
                   decoder_spatio_temporal_scaling=(True, True, True),
                   decoder_inject_noise=(False, False, False, False),
                   downsample_type=("spatial", "temporal", "spatiotemporal", "spatiotemporal"),
                   upsample_residual=(True, True, True), upsample_factor=(2, 2, 2),
                   timestep_conditioning=True, spatial_compression_ratio=32,
                   temporal_compression_ratio=8)
LTX_SCHEDULER = dict(use_dynamic_shifting=True, base_shift=0.95, max_shift=2.05,
                     base_image_seq_len=1024, max_image_seq_len=4096, shift_terminal=0.1)
WAN_TRANSFORMER = dict(patch_size=(1, 2, 2), num_attention_heads=12, attention_head_dim=128,
                       in_channels=16, out_channels=16, text_dim=4096, freq_dim=256,
                       ffn_dim=8960, num_layers=30, cross_attn_norm=True,
                       qk_norm="rms_norm_across_heads", eps=1e-6, rope_max_seq_len=1024)
WAN_VAE = dict(base_dim=96, z_dim=16, dim_mult=[1, 2, 4, 4], num_res_blocks=2, attn_scales=[],
               temperal_downsample=[False, True, True], dropout=0.0)
WAN_SCHEDULER = dict(prediction_type="flow_prediction", use_flow_sigmas=True,
                     num_train_timesteps=1000, flow_shift=3.0)


def built(module_class: type, config: dict, dtype: Any, device: str) -> Any:
    """A module made where it will run, in `dtype` from the start (a 13B transformer built in
    float32 first would not fit beside the text encoder), its float32-kept parts as
    from_pretrained keeps them."""
    import torch
    from diffusers import ModelMixin

    default = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            torch.manual_seed(0)
            module = module_class(**config)
    finally:
        torch.set_default_dtype(default)
    keep = getattr(module, "_keep_in_fp32_modules", None) if isinstance(module, ModelMixin) \
        else None  # transformers keeps T5's in float32 for fp16 only
    for name in keep or ():
        for path, part in module.named_modules():
            if name in path.split("."):
                part.float()
    return module.eval()


def layered(config: dict, layers: int, key: str = "num_layers") -> dict:
    return dict(config, **{key: layers}) if layers else config


def full_size_ltx(preset: str, dtype: Any, device: str, layers: int) -> tuple[Any, Any]:
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXConditionPipeline,
        LTXImageToVideoPipeline,
        LTXPipeline,
        LTXVideoTransformer3DModel,
    )
    from tiny_diffusers import tiny_tokenizer
    from transformers import T5Config, T5EncoderModel

    draft = preset == "draft"
    parts = dict(
        text_encoder=built(T5EncoderModel, {"config": T5Config(**layered(T5_XXL, layers))},
                           dtype, device),
        transformer=built(LTXVideoTransformer3DModel,
                          layered(LTX_13B_TRANSFORMER if draft else LTX_TRANSFORMER, layers),
                          dtype, device),
        vae=built(AutoencoderKLLTXVideo, LTX_097_VAE if draft else LTX_VAE, dtype, device),
        scheduler=FlowMatchEulerDiscreteScheduler(
            **({"use_dynamic_shifting": False} if draft else LTX_SCHEDULER)),
        tokenizer=tiny_tokenizer())  # prompts are padded to 128 tokens: the real length
    if draft:
        pipe = LTXConditionPipeline(**parts)
        return pipe, pipe
    pipe = LTXPipeline(**parts)
    return pipe, LTXImageToVideoPipeline(**pipe.components)


def full_size_wan(preset: str, dtype: Any, device: str, layers: int) -> tuple[Any, None]:
    import torch
    from diffusers import AutoencoderKLWan, UniPCMultistepScheduler, WanPipeline, WanTransformer3DModel
    from peft import LoraConfig
    from tiny_diffusers import tiny_tokenizer
    from transformers import UMT5Config, UMT5EncoderModel

    transformer = built(WanTransformer3DModel, layered(WAN_TRANSFORMER, layers), dtype, device)
    if preset == "draft":
        # A rank-32 LoRA on every projection of every block, as CausVid's, under the name the
        # generator would load it by: the unfused LoRA's cost is in the figures.
        lora = WanGenerator.presets["draft"].lora
        transformer.add_adapter(LoraConfig(r=32, lora_alpha=32, target_modules=[
            "to_q", "to_k", "to_v", "to_out.0", "ffn.net.0.proj", "ffn.net.2"]),
            adapter_name=lora.adapter)
    pipe = WanPipeline(
        text_encoder=built(UMT5EncoderModel, {"config": UMT5Config(**layered(UMT5_XXL, layers))},
                           dtype, device),
        transformer=transformer,
        # The project loads Wan's VAE in float32, as the model card advises.
        vae=built(AutoencoderKLWan, WAN_VAE, torch.float32, device),
        scheduler=UniPCMultistepScheduler(**WAN_SCHEDULER), tokenizer=tiny_tokenizer())
    return pipe, None


FULL_SIZE = {"ltx-video": (LTXVideoGenerator, full_size_ltx), "wan": (WanGenerator, full_size_wan)}


def full_size_generator(name: str, layers: int) -> DiffusionGenerator:
    """The project's backend whose `load` builds the full-size random pipeline of the
    preset whose checkpoint it is asked for."""
    backend, build = FULL_SIZE[name]

    class FullSizeRandom(backend):
        def load(self, model: str, dtype: Any, local_only: bool) -> tuple[Any, Any]:
            return build(model.rsplit("/", 1)[1], dtype, self.device(), layers)

    generator = FullSizeRandom()
    # Each preset its own checkpoint id, so each builds (and is kept) once.
    generator.presets = {preset: dataclasses.replace(chosen, model=f"full-size-random/{preset}")
                         for preset, chosen in generator.presets.items()}
    return generator


def tiny_generators(scratch: Path) -> dict[str, Callable[[], DiffusionGenerator]]:
    """LTX-Video and Wan on tiny random checkpoints (tests/tiny_diffusers.py), their draft
    presets on a tiny distilled checkpoint and a tiny LoRA."""
    from diffusers import WanPipeline
    from tiny_diffusers import save_tiny_lora, save_tiny_ltx, save_tiny_ltx_condition, save_tiny_wan

    ltx, wan = save_tiny_ltx(scratch / "ltx"), save_tiny_wan(scratch / "wan")
    models = {"ltx-video": {"final": Preset(model=str(ltx)), "draft": Preset(
                  model=str(save_tiny_ltx_condition(scratch / "ltx-distilled", ltx)))},
              "wan": {"final": Preset(model=str(wan)), "draft": Preset(model=str(wan), lora=Lora(
                  str(save_tiny_lora(WanPipeline, wan, scratch / "wan-lora", "draft.safetensors")),
                  "draft.safetensors"))}}

    def tiny(name: str) -> DiffusionGenerator:
        generator = {"ltx-video": LTXVideoGenerator, "wan": WanGenerator}[name]()
        generator.presets = {preset: dataclasses.replace(
            chosen, model=models[name][preset].model, lora=models[name][preset].lora or chosen.lora)
            for preset, chosen in generator.presets.items()}
        return generator

    return {name: lambda name=name: tiny(name) for name in models}


class StepClock:
    """A progress callback counting the denoising steps (called once per step, then once
    when the clip is written)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, fraction: float) -> None:
        self.calls += 1


def shot(generator: DiffusionGenerator, preset: str, height: int, seconds: float,
         switches: dict, folder: Path) -> dict:
    """One shot through the generator call the renderer makes, and what it cost."""
    import torch

    width = round(height * 16 / 9 / 2) * 2
    request = ClipRequest(prompt=PROMPT, width=width, height=height, fps=24,
                          num_frames=round(seconds * 24), seed=1, generate_height=height,
                          preset=preset, **switches)
    gpu = torch.cuda.is_available()
    if gpu:
        torch.cuda.reset_peak_memory_stats()
    clock = StepClock()
    started = time.perf_counter()
    out = generator(request, folder / f"{generator.name}-{preset}-{height}.mp4", clock)
    wall = time.perf_counter() - started
    info = probe(out.path)
    gen_height, gen_width = generator.size_for(request)
    steps = max(1, clock.calls - 1)
    return {"backend": generator.name, "preset": preset, "size": f"{gen_width}x{gen_height}",
            "frames": math.ceil(request.duration * generator.clip.fps) + 1, "steps": steps,
            "wall_s": wall, "load_s": out.load_seconds, "denoise_s": out.denoise_seconds,
            "step_s": out.denoise_seconds / steps, "decode_s": out.decode_seconds,
            "encode_s": out.encode_seconds,
            "peak_gib": torch.cuda.max_memory_allocated() / 2**30 if gpu else None,
            "clip": f"{info.width}x{info.height} {info.fps:g} fps {info.frames} frames",
            "clip_ok": (info.frames, info.width, info.height, info.fps) ==
            (request.num_frames, width, height, 24.0), "notes": list(out.notes),
            "shot_seconds": seconds}


def projected_minute(row: dict) -> float:
    """Wall time of a 60-second video of such shots with two or more renderer workers: one
    shot's encode overlaps the next one's GPU work, so the slower of the two sets the pace
    (voice, subtitles and assembly not included)."""
    gpu = row["wall_s"] - row["encode_s"]
    shots = math.ceil(60 / row["shot_seconds"])
    return shots * max(gpu, row["encode_s"]) + min(gpu, row["encode_s"])


def line(row: dict) -> str:
    peak = f"{row['peak_gib']:.1f} GiB" if row["peak_gib"] is not None else "n/a"
    return (f"{row['backend']:9} {row['preset']:5} {row['size']:>9} {row['frames']:3}f "
            f"{row['steps']:2} steps: wall {row['wall_s']:6.2f} s | denoise "
            f"{row['denoise_s']:6.2f} s ({row['step_s']:.3f} s/step) | decode "
            f"{row['decode_s']:5.2f} s | encode {row['encode_s']:5.2f} s | peak {peak} | "
            f"60 s video ~{projected_minute(row):5.0f} s | {row['clip']} "
            f"{'ok' if row['clip_ok'] else 'WRONG'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gpu", action="store_true", help="(how bench/generate.py calls it)")
    parser.add_argument("--full-size-random", action="store_true")
    parser.add_argument("--layers", type=int, default=0,
                        help="with --full-size-random: this many blocks per model (CPU check)")
    parser.add_argument("--backends", nargs="+", default=["ltx-video", "wan"],
                        choices=["ltx-video", "wan"])
    parser.add_argument("--presets", nargs="+", default=["final", "draft"],
                        choices=["final", "draft"])
    parser.add_argument("--heights", type=int, nargs="+", default=[480, 720])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--cache", default="none", choices=["none", "first-block", "taylorseer"])
    parser.add_argument("--attention", default="sdpa",
                        choices=["sdpa", "flash", "flash3", "sage", "xformers", "cudnn"])
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--fast-decode", action="store_true")
    parser.add_argument("--deadline", type=float, default=0.0,
                        help="start no measurement after this many seconds")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args(argv)
    import torch

    sys.path.insert(0, str(TESTS))
    started = time.perf_counter()
    gpu = torch.cuda.is_available()
    switches = {"cache": args.cache, "attention": args.attention, "compile": args.compile,
                "fast_decode": args.fast_decode}
    problem = nvenc_problem()
    print(f"device: {torch.cuda.get_device_name() if gpu else 'CPU'}; encoder: "
          f"{'NVENC' if not problem else f'x264 (NVENC: {problem})'}; switches: {switches}")
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="storyreel-speed-") as scratch:
        folder = Path(scratch)
        if args.full_size_random:
            if not gpu and not args.layers:
                print("--full-size-random needs a CUDA GPU (or --layers N for a CPU check)")
                return 2
            makers = {name: lambda name=name: full_size_generator(name, args.layers)
                      for name in args.backends}
            heights, seconds = (args.heights, args.seconds) if gpu else ([64], 0.5)
        elif gpu:
            from storyreel.generators import get_generator

            makers = {name: type(get_generator(name)) for name in args.backends}
            heights, seconds = args.heights, args.seconds
        else:
            print("no CUDA GPU: these are tiny random models on the CPU (the plumbing, not the "
                  "speed)")
            makers = tiny_generators(folder)
            heights, seconds = [32, 64], 1.0
        real = gpu and not args.full_size_random
        for name, make in makers.items():
            for preset in args.presets:
                generator = make()  # one preset's weights in memory at a time
                missing = [w for w in generator.weights(preset) if real and not weights_on_disk(w)]
                if missing:
                    print(f"{name} {preset}: skipped, {', '.join(missing)} not on disk "
                          f"(storyreel models pull {name} --preset {preset})")
                    continue
                if args.deadline and time.perf_counter() - started > args.deadline:
                    print(f"{name} {preset}: skipped, past the {args.deadline:.0f} s deadline")
                    continue
                # Load first, as a render's first shot does, and compile every measured size
                # when compiling (each new size compiles again): not measured.
                for height in heights if args.compile else [min(heights)]:
                    warm = shot(generator, preset, height, seconds if args.compile else 0.5,
                                switches, folder)
                    print(f"{name} {preset}: warm-up {warm['size']} in {warm['wall_s']:.1f} s "
                          f"(load {warm['load_s']:.1f} s)" +
                          "".join(f"\n  {note}" for note in warm["notes"]))
                for height in heights:
                    rows.append(shot(generator, preset, height, seconds, switches, folder))
                    print(line(rows[-1]), flush=True)
                    if args.json:
                        args.json.write_text(json.dumps(rows, indent=2))
                del generator, warm
                gc.collect()
                if gpu:
                    torch.cuda.empty_cache()
    return 0 if all(row["clip_ok"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
