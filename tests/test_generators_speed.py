"""GPU speed machinery on tiny random checkpoints, on CPU: presets (distilled checkpoints,
schedules and LoRAs), diffusers' speed switches, the encode outside the GPU lock, the NVENC
choice, and the timings a clip reports. What only a GPU can show (the speed itself, NVENC
opening, flash attention) is measured by bench/generate.py --gpu."""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="diffusion extra not installed")
pytest.importorskip("diffusers", reason="diffusion extra not installed")

from tiny_diffusers import (  # noqa: E402
    save_tiny_cogvideox,
    save_tiny_lora,
    save_tiny_ltx,
    save_tiny_ltx2,
    save_tiny_ltx_condition,
    save_tiny_wan,
)

from storyreel.generators import ClipRequest, GeneratorError, diffusion  # noqa: E402
from storyreel.generators.base import CheckpointMissing  # noqa: E402
from storyreel.generators.cogvideox import CogVideoXGenerator  # noqa: E402
from storyreel.generators.diffusion import Lora, single_file, use_attention  # noqa: E402
from storyreel.generators.ltx2 import DISTILLED_SIGMAS, LTX2Generator  # noqa: E402
from storyreel.generators.ltx_video import DISTILLED_TIMESTEPS, LTXVideoGenerator  # noqa: E402
from storyreel.generators.wan import WanGenerator  # noqa: E402
from storyreel.tools.ffmpeg import FFmpegError  # noqa: E402
from storyreel.tools.probe import probe  # noqa: E402
from storyreel.tools.video import nvenc_available, nvenc_problem  # noqa: E402

LORA = "distill.safetensors"


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory) -> dict[str, Path]:
    from diffusers import LTX2Pipeline, WanPipeline

    root = tmp_path_factory.mktemp("checkpoints")
    found = {"ltx-video": save_tiny_ltx(root / "ltx"), "wan": save_tiny_wan(root / "wan"),
             "ltx-2": save_tiny_ltx2(root / "ltx2"),
             "cogvideox": save_tiny_cogvideox(root / "cogvideox")}
    found["ltx-video-distilled"] = save_tiny_ltx_condition(root / "ltx-distilled",
                                                           found["ltx-video"])
    found["wan-lora"] = save_tiny_lora(WanPipeline, found["wan"], root / "wan-lora", LORA)
    found["ltx-2-lora"] = save_tiny_lora(LTX2Pipeline, found["ltx-2"], root / "ltx2-lora", LORA)
    return found


def request(model: Path | None, **changes) -> ClipRequest:
    """A 64x32 half-second shot; model None: the preset's own."""
    base = ClipRequest(prompt="misty hills at dawn", width=64, height=32, fps=24, num_frames=12,
                       seed=3, model=str(model) if model else None, steps=2)
    return dataclasses.replace(base, **changes)


def exact(out, frames: int = 12) -> bool:
    info = probe(out.path)
    return (info.frames, info.width, info.height, info.fps) == (frames, 64, 32, 24.0)


def made_frames(generator) -> list:
    """Records the uint8 frames of every pipeline call the generator makes."""
    calls: list = []
    original = generator.call_pipeline

    def spy(pipe, **kwargs):
        out = original(pipe, **kwargs)
        calls.append((kwargs, out.frames))
        return out

    generator.call_pipeline = spy
    return calls


def computed_steps(generator, model: Path) -> list[int]:
    """Counts the full passes through the transformer's last block."""
    text, image = generator.pipelines(request(model))
    transformer = (text or image).transformer
    blocks = getattr(transformer, "blocks", None) or transformer.transformer_blocks
    passes: list[int] = []
    blocks[-1].attn1.register_forward_hook(lambda *_: passes.append(1))
    return passes


# Presets -----------------------------------------------------------------------------------

def test_ltx_draft_runs_the_distilled_checkpoint_on_its_eight_fixed_steps(checkpoints,
                                                                          tmp_path):
    generator = LTXVideoGenerator()
    draft = generator.presets["draft"]
    generator.presets = {**generator.presets, "draft": dataclasses.replace(
        draft, model=str(checkpoints["ltx-video-distilled"]))}
    calls = made_frames(generator)
    out = generator(request(None, steps=None, preset="draft"), tmp_path / "draft.mp4")
    kwargs, _ = calls[0]
    assert kwargs["schedule"] == DISTILLED_TIMESTEPS and kwargs["guidance"] == 1.0
    assert type(generator.pipelines(request(None, preset="draft"))[0]).__name__ == \
        "LTXConditionPipeline"
    assert exact(out)
    # The storyboard's own steps replace the distilled schedule.
    generator(request(None, steps=3, preset="draft"), tmp_path / "steps.mp4")
    assert calls[1][0]["schedule"] == () and calls[1][0]["steps"] == 3


def test_draft_starts_from_an_image_with_the_condition_pipeline(checkpoints, tmp_path):
    from PIL import Image

    Image.new("RGB", (80, 40), (200, 40, 40)).save(tmp_path / "start.png")
    generator = LTXVideoGenerator()
    generator.presets = {**generator.presets, "draft": dataclasses.replace(
        generator.presets["draft"], model=str(checkpoints["ltx-video-distilled"]))}
    calls = made_frames(generator)
    out = generator(request(None, steps=None, preset="draft", image=tmp_path / "start.png"),
                    tmp_path / "clip.mp4")
    assert calls[0][0]["image"] is not None and exact(out)


def test_wan_draft_loads_its_lora_and_final_switches_it_off_again(checkpoints, tmp_path):
    generator = WanGenerator()
    generator.presets = {**generator.presets, "draft": dataclasses.replace(
        generator.presets["draft"], lora=Lora(str(checkpoints["wan-lora"]), LORA))}
    final = generator(request(checkpoints["wan"]), tmp_path / "final.mp4").path.read_bytes()
    calls = made_frames(generator)
    out = generator(request(checkpoints["wan"], steps=None, preset="draft"),
                    tmp_path / "draft.mp4")
    assert calls[0][0]["steps"] == 4 and calls[0][0]["guidance"] == 1.0 and exact(out)
    text, _ = generator.pipelines(request(checkpoints["wan"]))
    assert text.get_active_adapters() == ["distill"]
    assert out.path.read_bytes() != final
    again = generator(request(checkpoints["wan"]), tmp_path / "again.mp4").path.read_bytes()
    assert again == final  # the LoRA no longer acts


def test_ltx2_draft_runs_unguided_on_the_distilled_sigmas_unshifted(checkpoints, tmp_path):
    generator = LTX2Generator()
    generator.presets = {**generator.presets, "draft": dataclasses.replace(
        generator.presets["draft"], lora=Lora(str(checkpoints["ltx-2-lora"]), LORA))}
    text, _ = generator.pipelines(request(checkpoints["ltx-2"]))
    own = text.scheduler
    seen: list = []
    original = generator.call_pipeline

    def spy(pipe, **kwargs):
        seen.append((kwargs, pipe.scheduler))
        return original(pipe, **kwargs)

    generator.call_pipeline = spy
    out = generator(request(checkpoints["ltx-2"], steps=None, preset="draft", num_frames=8),
                    tmp_path / "draft.mp4")
    kwargs, scheduler = seen[0]
    assert kwargs["schedule"] == DISTILLED_SIGMAS and kwargs["extra"]["stg_scale"] == 0.0
    assert kwargs["guidance"] == 1.0 and scheduler is not own
    assert scheduler.config.use_dynamic_shifting is False and scheduler.config.shift_terminal is None
    assert text.scheduler is own  # the checkpoint's own again, for final
    assert probe(out.path).frames == 8 and out.has_sound


def test_a_presets_missing_lora_names_the_pull_command(checkpoints):
    generator = WanGenerator()
    generator.presets = {**generator.presets, "draft": dataclasses.replace(
        generator.presets["draft"], lora=Lora("someone/not-here", "lora.safetensors"))}
    generator.check(str(checkpoints["wan"]))  # final needs no LoRA
    with pytest.raises(CheckpointMissing, match="models pull wan --preset draft") as missing:
        generator.check(str(checkpoints["wan"]), "draft")
    assert missing.value.model == "someone/not-here/lora.safetensors"


def test_preset_weights_are_listed_and_pulled_by_their_ids():
    from storyreel.studio.models import model_statuses, pull_repos

    wan = WanGenerator.presets["draft"].lora
    assert pull_repos("wan", "draft") == [WanGenerator.default_model, wan.id]
    assert single_file(wan.id) == (wan.repo, wan.file)
    assert single_file(WanGenerator.default_model) is None
    rows = {(s.generator, s.preset): s.model for s in model_statuses()}
    assert rows[("ltx-video", "draft")] == "Lightricks/LTX-Video-0.9.8-13B-distilled"
    assert wan.id in rows[("wan", "draft")]
    with pytest.raises(GeneratorError, match="no preset"):
        pull_repos("wan", "fastest")


# Speed switches ----------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "mode"), [("wan", "first-block"), ("wan", "taylorseer"),
                                            ("ltx-video", "taylorseer"),
                                            ("cogvideox", "taylorseer")])
def test_a_step_cache_skips_blocks_and_keeps_the_clip_exact(name, mode, checkpoints, tmp_path):
    backend = {"wan": WanGenerator, "ltx-video": LTXVideoGenerator,
               "cogvideox": CogVideoXGenerator}[name]
    generator = backend()
    passes = computed_steps(generator, checkpoints[name])
    generator(request(checkpoints[name], steps=8), tmp_path / "full.mp4")
    full = len(passes)
    passes.clear()
    out = generator(request(checkpoints[name], steps=8, cache=mode), tmp_path / "cached.mp4")
    assert 0 < len(passes) < full and exact(out)


def test_switching_the_cache_off_gives_the_uncached_clip_again(checkpoints, tmp_path):
    generator = WanGenerator()
    plain = generator(request(checkpoints["wan"], steps=4), tmp_path / "a.mp4")
    generator(request(checkpoints["wan"], steps=4, cache="taylorseer"), tmp_path / "b.mp4")
    again = generator(request(checkpoints["wan"], steps=4), tmp_path / "c.mp4")
    assert again.path.read_bytes() == plain.path.read_bytes()


def test_ltx2_has_no_first_block_cache_and_says_what_to_use(checkpoints, tmp_path):
    with pytest.raises(GeneratorError, match="cache: taylorseer"):
        LTX2Generator()(request(checkpoints["ltx-2"], cache="first-block"), tmp_path / "a.mp4")


def test_attention_kernels_are_set_on_every_attention_module(checkpoints):
    transformer = WanGenerator().pipelines(request(checkpoints["wan"]))[0].transformer
    processors = [m.processor for m in transformer.modules() if hasattr(m, "processor")]
    try:
        assert use_attention(transformer, "cudnn", on_gpu=True) == ""
        assert {str(p._attention_backend.value) for p in processors} == {"_native_cudnn"}
        # flash-attn is not installed here: one line, and PyTorch's SDPA is kept.
        note = use_attention(transformer, "flash", on_gpu=True)
        assert "flash" in note and note.endswith("PyTorch SDPA")
        assert {str(p._attention_backend.value) for p in processors} == {"native"}
    finally:
        use_attention(transformer, "sdpa", on_gpu=False)  # diffusers' choice is process-wide


def test_an_attention_choice_without_a_gpu_is_a_note_and_the_same_clip(checkpoints, tmp_path):
    generator = WanGenerator()
    plain = generator(request(checkpoints["wan"]), tmp_path / "a.mp4")
    out = generator(request(checkpoints["wan"], attention="sage"), tmp_path / "b.mp4")
    assert out.notes == ("attention sage needs a CUDA GPU: PyTorch SDPA",)
    assert out.path.read_bytes() == plain.path.read_bytes()


def test_fast_decode_decodes_wan_in_the_transformers_dtype_and_back(checkpoints, tmp_path):
    generator = WanGenerator()
    out = generator(request(checkpoints["wan"], dtype="bf16", fast_decode=True),
                    tmp_path / "fast.mp4")
    text, _ = generator.pipelines(request(checkpoints["wan"], dtype="bf16"))
    assert text.vae.dtype == torch.bfloat16 and exact(out)
    generator(request(checkpoints["wan"], dtype="bf16"), tmp_path / "plain.mp4")
    assert text.vae.dtype == torch.float32  # Wan's VAE as its model card keeps it


def test_a_transformer_without_marked_blocks_is_not_compiled_and_says_so(checkpoints,
                                                                         tmp_path):
    out = CogVideoXGenerator()(request(checkpoints["cogvideox"], compile=True),
                               tmp_path / "a.mp4")
    assert any("not compiled" in note for note in out.notes) and exact(out)


@pytest.mark.slow  # torch.compile on 2 CPU cores: about two minutes
def test_compiled_blocks_make_the_same_frames(checkpoints, tmp_path):
    generator = LTXVideoGenerator()
    calls = made_frames(generator)
    generator(request(checkpoints["ltx-video"]), tmp_path / "plain.mp4")
    out = generator(request(checkpoints["ltx-video"], compile=True), tmp_path / "compiled.mp4")
    (_, plain), (_, compiled) = calls
    assert plain.shape == compiled.shape and exact(out)
    assert abs(plain.astype(int) - compiled.astype(int)).max() <= 1
    assert any("compiling the denoiser's blocks took" in note for note in out.notes)


# The GPU lock, the encode and the timings --------------------------------------------------

class RecordingLock:
    """The generator's GPU lock, remembering when each thread held it."""

    def __init__(self) -> None:
        self.lock, self.held = threading.Lock(), []

    def __enter__(self) -> None:
        self.lock.acquire()
        self.since = time.perf_counter()

    def __exit__(self, *_) -> None:
        self.held.append((threading.get_ident(), self.since, time.perf_counter()))
        self.lock.release()


def test_the_next_shot_denoises_while_the_last_one_encodes(checkpoints, tmp_path, monkeypatch):
    generator = WanGenerator()
    shots = [request(checkpoints["wan"], seed=seed, num_frames=frames)
             for seed, frames in ((1, 12), (2, 20), (3, 16))]
    alone = [generator(shot, tmp_path / f"alone-{i}.mp4").path.read_bytes()
             for i, shot in enumerate(shots)]
    generator._lock = lock = RecordingLock()
    encodes: list[tuple[int, float, float]] = []
    write = diffusion.write_fitted_clip

    def slow_write(*args, **kwargs):
        started = time.perf_counter()
        time.sleep(0.5)  # a CPU encode long enough to see what overlaps it
        write(*args, **kwargs)
        encodes.append((threading.get_ident(), started, time.perf_counter()))

    monkeypatch.setattr(diffusion, "write_fitted_clip", slow_write)
    outs: dict[int, object] = {}
    threads = [threading.Thread(target=lambda i=i: outs.__setitem__(
        i, generator(shots[i], tmp_path / f"together-{i}.mp4"))) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Every clip is the one its shot makes alone: same frames, same count, same order.
    assert [outs[i].path.read_bytes() for i in range(3)] == alone
    assert [probe(outs[i].path).frames for i in range(3)] == [12, 20, 16]
    held = {ident: (start, end) for ident, start, end in lock.held}
    # The GPU lock is released before the encode starts ...
    assert all(start >= held[ident][1] for ident, start, _ in encodes)
    # ... and another shot holds it (denoises) while one encodes.
    assert any(other != ident and start < held[other][1] and held[other][0] < end
               for ident, start, end in encodes for other in held)


def test_a_clip_reports_load_denoise_decode_and_encode_times(checkpoints, tmp_path):
    generator = WanGenerator()
    first = generator(request(checkpoints["wan"]), tmp_path / "a.mp4")
    second = generator(request(checkpoints["wan"], seed=9), tmp_path / "b.mp4")
    assert first.load_seconds > 0 and first.notes[0].startswith("wan: loaded ")
    assert second.load_seconds < first.load_seconds / 10
    assert not any("loaded" in note for note in second.notes)  # warm: loaded once
    for out in (first, second):
        assert out.denoise_seconds > 0 and out.decode_seconds > 0 and out.encode_seconds > 0


def test_nvenc_is_chosen_only_when_it_opens_else_x264_with_a_note(checkpoints, tmp_path,
                                                                  monkeypatch):
    if nvenc_available():
        pytest.skip("NVENC opens on this machine")
    assert nvenc_problem()  # why, in ffmpeg's words (no driver here)
    used: list[str] = []
    write = diffusion.write_fitted_clip

    def spy(*args, **kwargs):
        encoder = args[-1] if len(args) > 8 else kwargs.get("encoder", "x264")
        used.append(encoder)
        if encoder == "nvenc" and refuse:
            raise FFmpegError("Could not open encoder before EOF")
        write(*args[:8], "x264")  # nothing here can run NVENC itself

    monkeypatch.setattr(diffusion, "write_fitted_clip", spy)
    refuse = False
    generator = WanGenerator()
    out = generator(request(checkpoints["wan"]), tmp_path / "a.mp4")
    assert used == ["x264"] and exact(out)
    assert any(note.startswith("NVENC unavailable (") and "x264" in note for note in out.notes)
    monkeypatch.setattr(diffusion, "nvenc_available", lambda: True)
    out = generator(request(checkpoints["wan"]), tmp_path / "b.mp4")
    assert used[1:] == ["nvenc"] and exact(out)
    refuse = True  # it opened for the probe, but refuses this clip: x264 makes it
    out = generator(request(checkpoints["wan"]), tmp_path / "c.mp4")
    assert used[2:] == ["nvenc", "x264"] and exact(out)
    assert any("NVENC could not encode" in note for note in out.notes)
