"""Tiny random-initialised video pipelines built from configs, as diffusers' own tests build
them, saved with save_pretrained so the generators load them through `from_pretrained`.
No weights and no hub: the T5 encoder and its tokenizer are made here too."""

from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast, T5Config, T5EncoderModel

WORDS = ("dance monkey tea leaf cup steam warm documentary golden light misty hills morning "
         "coffee goat herder shot scene of a the and with").split()


def tiny_tokenizer() -> PreTrainedTokenizerFast:
    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2} | {w: i + 3 for i, w in enumerate(WORDS)}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", eos_token="</s>",
                                   unk_token="<unk>", model_max_length=64)


def tiny_t5() -> T5EncoderModel:
    torch.manual_seed(0)
    config = T5Config(vocab_size=64, d_model=32, d_kv=8, d_ff=37, num_layers=2, num_heads=4,
                      relative_attention_num_buckets=8, dropout_rate=0.0)
    return T5EncoderModel(config).eval()


def save_tiny_ltx(folder: Path) -> Path:
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXPipeline,
        LTXVideoTransformer3DModel,
    )

    torch.manual_seed(0)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8, out_channels=8, patch_size=1, patch_size_t=1, num_attention_heads=4,
        attention_head_dim=8, cross_attention_dim=32, num_layers=1, caption_channels=32)
    torch.manual_seed(0)
    vae = AutoencoderKLLTXVideo(
        in_channels=3, out_channels=3, latent_channels=8, block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8), layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False),
        decoder_inject_noise=(False, False, False, False, False),
        upsample_residual=(False, False, False, False), upsample_factor=(1, 1, 1, 1),
        timestep_conditioning=False, patch_size=1, patch_size_t=1, encoder_causal=True,
        decoder_causal=False)
    vae.use_framewise_encoding = False
    vae.use_framewise_decoding = False
    pipe = LTXPipeline(transformer=transformer, vae=vae,
                       scheduler=FlowMatchEulerDiscreteScheduler(), text_encoder=tiny_t5(),
                       tokenizer=tiny_tokenizer())
    pipe.save_pretrained(folder)
    return folder


def save_tiny_wan(folder: Path) -> Path:
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanPipeline,
        WanTransformer3DModel,
    )

    torch.manual_seed(0)
    vae = AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                           temperal_downsample=[False, True, True])
    torch.manual_seed(0)
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=16,
        out_channels=16, text_dim=32, freq_dim=256, ffn_dim=32, num_layers=2,
        cross_attn_norm=True, qk_norm="rms_norm_across_heads", rope_max_seq_len=32)
    pipe = WanPipeline(transformer=transformer, vae=vae,
                       scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
                       text_encoder=tiny_t5(), tokenizer=tiny_tokenizer())
    pipe.save_pretrained(folder)
    return folder


def save_tiny_cogvideox(folder: Path) -> Path:
    from diffusers import (
        AutoencoderKLCogVideoX,
        CogVideoXPipeline,
        CogVideoXTransformer3DModel,
        DDIMScheduler,
    )

    torch.manual_seed(0)
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=4, attention_head_dim=8, in_channels=4, out_channels=4,
        time_embed_dim=2, text_embed_dim=32, num_layers=1, sample_width=2, sample_height=2,
        sample_frames=9, patch_size=2, temporal_compression_ratio=4, max_text_seq_length=16)
    torch.manual_seed(0)
    vae = AutoencoderKLCogVideoX(
        in_channels=3, out_channels=3, down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4, block_out_channels=(8, 8, 8, 8),
        latent_channels=4, layers_per_block=1, norm_num_groups=2, temporal_compression_ratio=4)
    pipe = CogVideoXPipeline(transformer=transformer, vae=vae, scheduler=DDIMScheduler(),
                             text_encoder=tiny_t5(), tokenizer=tiny_tokenizer())
    pipe.save_pretrained(folder)
    return folder


def tiny_gemma3():
    """A two-layer Gemma 3 (text plus a one-layer vision tower), LTX-2's text encoder."""
    from transformers import (
        Gemma3Config,
        Gemma3ForConditionalGeneration,
        Gemma3TextConfig,
        SiglipVisionConfig,
    )

    torch.manual_seed(0)
    text = Gemma3TextConfig(vocab_size=64, hidden_size=32, intermediate_size=37,
                            num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                            head_dim=16, sliding_window=16, max_position_embeddings=128)
    vision = SiglipVisionConfig(hidden_size=16, intermediate_size=37, num_hidden_layers=1,
                                num_attention_heads=2, image_size=8, patch_size=4)
    config = Gemma3Config(text_config=text.to_dict(), vision_config=vision.to_dict(),
                          mm_tokens_per_image=4, boi_token_index=61, eoi_token_index=62,
                          image_token_index=63)
    return Gemma3ForConditionalGeneration(config).eval()


def save_tiny_ltx2(folder: Path) -> Path:
    """LTX-2 with its audio branch: the components of diffusers' own LTX-2 pipeline test."""
    from diffusers import (
        AutoencoderKLLTX2Audio,
        AutoencoderKLLTX2Video,
        FlowMatchEulerDiscreteScheduler,
        LTX2Pipeline,
        LTX2VideoTransformer3DModel,
    )
    from diffusers.pipelines.ltx2 import LTX2TextConnectors
    from diffusers.pipelines.ltx2.vocoder import LTX2Vocoder

    text_encoder = tiny_gemma3()
    hidden = text_encoder.config.text_config.hidden_size
    torch.manual_seed(0)
    transformer = LTX2VideoTransformer3DModel(
        in_channels=4, out_channels=4, patch_size=1, patch_size_t=1, num_attention_heads=2,
        attention_head_dim=8, cross_attention_dim=16, audio_in_channels=4, audio_out_channels=4,
        audio_num_attention_heads=2, audio_attention_head_dim=4, audio_cross_attention_dim=8,
        num_layers=2, qk_norm="rms_norm_across_heads", caption_channels=hidden,
        rope_double_precision=False, rope_type="split")
    torch.manual_seed(0)
    connectors = LTX2TextConnectors(
        caption_channels=hidden,
        text_proj_in_factor=text_encoder.config.text_config.num_hidden_layers + 1,
        video_connector_num_attention_heads=4, video_connector_attention_head_dim=8,
        video_connector_num_layers=1, video_connector_num_learnable_registers=None,
        audio_connector_num_attention_heads=4, audio_connector_attention_head_dim=8,
        audio_connector_num_layers=1, audio_connector_num_learnable_registers=None,
        connector_rope_base_seq_len=32, rope_theta=10000.0, rope_double_precision=False,
        causal_temporal_positioning=False, rope_type="split")
    torch.manual_seed(0)
    vae = AutoencoderKLLTX2Video(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(8,),
        decoder_block_out_channels=(8,), layers_per_block=(1,), decoder_layers_per_block=(1, 1),
        spatio_temporal_scaling=(True,), decoder_spatio_temporal_scaling=(True,),
        decoder_inject_noise=(False, False), downsample_type=("spatial",),
        upsample_residual=(False,), upsample_factor=(1,), timestep_conditioning=False,
        patch_size=1, patch_size_t=1, encoder_causal=True, decoder_causal=False)
    vae.use_framewise_encoding = False
    vae.use_framewise_decoding = False
    torch.manual_seed(0)
    audio_vae = AutoencoderKLLTX2Audio(
        base_channels=4, output_channels=2, ch_mult=(1,), num_res_blocks=1,
        attn_resolutions=None, in_channels=2, resolution=32, latent_channels=2,
        norm_type="pixel", causality_axis="height", dropout=0.0, mid_block_add_attention=False,
        sample_rate=16000, mel_hop_length=160, is_causal=True, mel_bins=8)
    torch.manual_seed(0)
    vocoder = LTX2Vocoder(
        in_channels=audio_vae.config.output_channels * audio_vae.config.mel_bins,
        hidden_channels=32, out_channels=2, upsample_kernel_sizes=[4, 4],
        upsample_factors=[2, 2], resnet_kernel_sizes=[3], resnet_dilations=[[1, 3, 5]],
        leaky_relu_negative_slope=0.1, output_sampling_rate=16000)
    pipe = LTX2Pipeline(scheduler=FlowMatchEulerDiscreteScheduler(), vae=vae,
                        audio_vae=audio_vae, text_encoder=text_encoder,
                        tokenizer=tiny_tokenizer(), connectors=connectors,
                        transformer=transformer, vocoder=vocoder)
    pipe.save_pretrained(folder)
    return folder


# Text-to-image keyframe pipelines and their IP-Adapters -----------------------------------

def tiny_clip_text(projection: bool = False):
    """A five-layer CLIP text encoder (32 wide), the one diffusers' own image tests use."""
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    torch.manual_seed(0)
    config = CLIPTextConfig(bos_token_id=0, eos_token_id=2, hidden_size=32, intermediate_size=37,
                            layer_norm_eps=1e-05, num_attention_heads=4, num_hidden_layers=5,
                            pad_token_id=1, vocab_size=64, hidden_act="gelu", projection_dim=32)
    return (CLIPTextModelWithProjection if projection else CLIPTextModel)(config).eval()


def tiny_image_encoder(projection_dim: int):
    """A one-layer CLIP vision tower: what an IP-Adapter reads its reference pictures with."""
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(0)
    config = CLIPVisionConfig(hidden_size=32, intermediate_size=37, num_hidden_layers=1,
                              num_attention_heads=4, image_size=32, patch_size=16,
                              projection_dim=projection_dim)
    return CLIPVisionModelWithProjection(config).eval()


def tiny_image_vae(flow: bool = False):
    """A four-block image VAE: 8x down, as the real ones, so the denoiser sees latents of the
    real models' size; `flow`: with the latent shift FLUX and SD3 use."""
    from diffusers import AutoencoderKL

    torch.manual_seed(0)
    scaling = {"shift_factor": 0.0609, "scaling_factor": 1.5035} if flow else {}
    return AutoencoderKL(in_channels=3, out_channels=3, block_out_channels=(8, 8, 8, 8),
                         down_block_types=("DownEncoderBlock2D",) * 4,
                         up_block_types=("UpDecoderBlock2D",) * 4, layers_per_block=1,
                         latent_channels=4, norm_num_groups=2, sample_size=32,
                         mid_block_add_attention=False, **scaling)


def save_tiny_flux(folder: Path) -> Path:
    from diffusers import FlowMatchEulerDiscreteScheduler, FluxPipeline, FluxTransformer2DModel

    torch.manual_seed(0)
    transformer = FluxTransformer2DModel(
        patch_size=1, in_channels=16, num_layers=1, num_single_layers=1, attention_head_dim=16,
        num_attention_heads=2, joint_attention_dim=32, pooled_projection_dim=32,
        axes_dims_rope=[4, 4, 8])
    pipe = FluxPipeline(scheduler=FlowMatchEulerDiscreteScheduler(), vae=tiny_image_vae(True),
                        text_encoder=tiny_clip_text(), tokenizer=tiny_tokenizer(),
                        text_encoder_2=tiny_t5(), tokenizer_2=tiny_tokenizer(),
                        transformer=transformer)
    pipe.save_pretrained(folder)
    return folder


def _tiny_sdxl_unet():
    from diffusers import UNet2DConditionModel

    torch.manual_seed(0)
    return UNet2DConditionModel(
        block_out_channels=(8, 16), layers_per_block=1, sample_size=32, in_channels=4,
        out_channels=4, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), attention_head_dim=(2, 4),
        use_linear_projection=True, addition_embed_type="text_time", addition_time_embed_dim=8,
        transformer_layers_per_block=(1, 1), projection_class_embeddings_input_dim=80,
        cross_attention_dim=64, norm_num_groups=2)


def save_tiny_sdxl(folder: Path) -> Path:
    from diffusers import EulerDiscreteScheduler, StableDiffusionXLPipeline

    scheduler = EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, steps_offset=1,
                                       beta_schedule="scaled_linear", timestep_spacing="leading")
    pipe = StableDiffusionXLPipeline(
        vae=tiny_image_vae(), text_encoder=tiny_clip_text(), tokenizer=tiny_tokenizer(),
        text_encoder_2=tiny_clip_text(projection=True), tokenizer_2=tiny_tokenizer(),
        unet=_tiny_sdxl_unet(), scheduler=scheduler)
    pipe.save_pretrained(folder)
    return folder


def save_tiny_sd3(folder: Path) -> Path:
    from diffusers import (
        FlowMatchEulerDiscreteScheduler,
        SD3Transformer2DModel,
        StableDiffusion3Pipeline,
    )

    torch.manual_seed(0)
    transformer = SD3Transformer2DModel(
        sample_size=32, patch_size=1, in_channels=4, num_layers=1, attention_head_dim=8,
        num_attention_heads=4, caption_projection_dim=32, joint_attention_dim=32,
        pooled_projection_dim=64, out_channels=4)
    pipe = StableDiffusion3Pipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(), vae=tiny_image_vae(True),
        text_encoder=tiny_clip_text(projection=True), tokenizer=tiny_tokenizer(),
        text_encoder_2=tiny_clip_text(projection=True), tokenizer_2=tiny_tokenizer(),
        text_encoder_3=tiny_t5(), tokenizer_3=tiny_tokenizer(), transformer=transformer)
    pipe.save_pretrained(folder)
    return folder


def save_tiny_sd_turbo(folder: Path) -> Path:
    from diffusers import EulerDiscreteScheduler, StableDiffusionPipeline, UNet2DConditionModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(8, 16), layers_per_block=1, sample_size=32, in_channels=4,
        out_channels=4, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=32,
        norm_num_groups=2)
    scheduler = EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, steps_offset=1,
                                       beta_schedule="scaled_linear", timestep_spacing="trailing")
    pipe = StableDiffusionPipeline(vae=tiny_image_vae(), text_encoder=tiny_clip_text(),
                                   tokenizer=tiny_tokenizer(), unet=unet, scheduler=scheduler,
                                   safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)
    pipe.save_pretrained(folder)
    return folder


def _image_projection(image_embed_dim: int, cross_attention_dim: int) -> dict[str, torch.Tensor]:
    """An IP-Adapter's projection of the image embedding into four text-like tokens."""
    tokens = 4
    return {"image_proj.proj.weight": torch.randn(tokens * cross_attention_dim, image_embed_dim),
            "image_proj.proj.bias": torch.zeros(tokens * cross_attention_dim),
            "image_proj.norm.weight": torch.ones(cross_attention_dim),
            "image_proj.norm.bias": torch.zeros(cross_attention_dim)}


def save_tiny_sdxl_ip_adapter(folder: Path) -> Path:
    """A random IP-Adapter for the tiny SDXL, in h94's layout: ip-adapter.safetensors with the
    image encoder beside it. Keys follow diffusers' loader: one pair per cross-attention,
    numbered 1, 3, 5, ..."""
    from safetensors.torch import save_file

    unet = _tiny_sdxl_unet()
    channels, cross = unet.config.block_out_channels, unet.config.cross_attention_dim
    torch.manual_seed(0)
    weights = _image_projection(cross, cross)
    crossing = [name for name in unet.attn_processors if not name.endswith("attn1.processor")]
    for index, name in enumerate(crossing):
        block = name.split(".")[0]
        hidden = channels[-1] if block == "mid_block" else (
            list(reversed(channels)) if block == "up_blocks" else channels)[int(name.split(".")[1])]
        for kind in ("to_k_ip", "to_v_ip"):
            weights[f"ip_adapter.{1 + 2 * index}.{kind}.weight"] = torch.randn(hidden, cross) * 0.1
    folder.mkdir(parents=True, exist_ok=True)
    save_file(weights, str(folder / "ip-adapter.safetensors"))
    tiny_image_encoder(cross).save_pretrained(folder / "image_encoder")
    return folder


def save_tiny_flux_ip_adapter(folder: Path) -> Path:
    """A random IP-Adapter for the tiny FLUX (XLabs' layout: one pair of projections per
    double-stream block), with its own image encoder folder."""
    from safetensors.torch import save_file

    hidden, joint, pooled = 32, 32, 32  # the tiny FLUX's inner width and text widths
    torch.manual_seed(0)
    weights = _image_projection(pooled, joint)
    for kind in ("to_k_ip", "to_v_ip"):
        weights[f"ip_adapter.0.{kind}.weight"] = torch.randn(hidden, joint) * 0.1
        weights[f"ip_adapter.0.{kind}.bias"] = torch.zeros(hidden)
    folder.mkdir(parents=True, exist_ok=True)
    save_file(weights, str(folder / "ip_adapter.safetensors"))
    tiny_image_encoder(pooled).save_pretrained(folder / "image_encoder")
    return folder


# Presets: a distilled checkpoint saved for the condition pipeline, and distillation LoRAs -----

def save_tiny_ltx_condition(folder: Path, ltx: Path) -> Path:
    """The tiny LTX-Video of `ltx` saved as LTX-Video 0.9.7+ is published: for
    LTXConditionPipeline, with a scheduler that takes the distilled timesteps unshifted."""
    from diffusers import FlowMatchEulerDiscreteScheduler, LTXConditionPipeline, LTXPipeline

    components = LTXPipeline.from_pretrained(ltx).components
    components["scheduler"] = FlowMatchEulerDiscreteScheduler(use_dynamic_shifting=False)
    LTXConditionPipeline(**components).save_pretrained(folder)
    return folder


def save_tiny_lora(pipeline_class, checkpoint: Path, folder: Path, file: str) -> Path:
    """A random rank-4 LoRA on the attention projections of `checkpoint`'s transformer, saved
    as folder/file the way diffusers saves LoRAs (a stand-in for a distillation LoRA)."""
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    transformer = pipeline_class.from_pretrained(checkpoint).transformer
    torch.manual_seed(0)
    transformer.add_adapter(LoraConfig(r=4, lora_alpha=4, init_lora_weights=False,
                                       target_modules=["to_q", "to_k", "to_v", "to_out.0"]))
    pipeline_class.save_lora_weights(folder, weight_name=file,
                                     transformer_lora_layers=get_peft_model_state_dict(transformer))
    return folder
