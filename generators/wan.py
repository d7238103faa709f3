"""Wan 2.1 (Wan-AI): text-to-video (1.3B, 14B); image-to-video with the I2V checkpoints."""

from __future__ import annotations

from typing import Any

from .diffusion import DiffusionGenerator, Lora, ModelClip, Preset, text_or_image_pipeline


class WanGenerator(DiffusionGenerator):
    name = "wan"
    default_model = "Wan-AI/Wan2.1-T2V-1.3B-Diffusers"
    clip = ModelClip(fps=16, max_frames=81, frame_step=4, size_multiple=16, default_height=480,
                     default_width=832, default_steps=30, default_guidance=5.0)
    # draft: the CausVid step-distillation LoRA for the 1.3B text-to-video model (diffusers'
    # Wan LoRA loader converts its keys): four steps without guidance.
    presets = {"final": Preset(), "draft": Preset(
        lora=Lora("Kijai/WanVideo_comfy", "Wan21_CausVid_bidirect2_T2V_1_3B_lora_rank32.safetensors"),
        steps=4, guidance=1.0)}

    def load(self, model: str, dtype: Any, local_only: bool) -> tuple[Any, Any | None]:
        import torch
        from diffusers import AutoencoderKLWan, WanImageToVideoPipeline, WanPipeline

        # Wan's VAE is kept in float32, as its model card advises.
        vae = AutoencoderKLWan.from_pretrained(model, subfolder="vae", dtype=torch.float32,
                                               local_files_only=local_only)
        return text_or_image_pipeline(model, local_only, WanPipeline, WanImageToVideoPipeline,
                                      vae=vae, dtype=dtype)
