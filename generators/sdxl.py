"""Stable Diffusion XL (Stability AI) text-to-image: SDXL base, and SDXL-Turbo in one step.

Cast reference images go through h94's SDXL IP-Adapter (the ViT-H variant: its image encoder
is a third the size of the ViT-bigG one)."""

from __future__ import annotations

from typing import Any

from .keyframe import IPAdapter, KeyframeGenerator, StillModel

SDXL_IP_ADAPTER = IPAdapter(pull="ip-adapter-sdxl", repo="h94/IP-Adapter",
                            subfolder="sdxl_models",
                            weight_name="ip-adapter_sdxl_vit-h.safetensors",
                            image_encoder="models/image_encoder", scale=0.6)


class SDXLKeyframes(KeyframeGenerator):
    name = "sdxl"
    default_model = "stabilityai/stable-diffusion-xl-base-1.0"
    still = StillModel(size_multiple=8, default_side=1024, default_steps=30, default_guidance=5.0)
    ip_adapter = SDXL_IP_ADAPTER

    def load(self, model: str, dtype: Any, local_only: bool) -> Any:
        from diffusers import StableDiffusionXLPipeline

        return StableDiffusionXLPipeline.from_pretrained(model, dtype=dtype,
                                                         local_files_only=local_only)


class SDXLTurboKeyframes(SDXLKeyframes):
    """Adversarially distilled SDXL: one step, no guidance, trained at 512x512."""

    name = "sdxl-turbo"
    default_model = "stabilityai/sdxl-turbo"
    still = StillModel(size_multiple=8, default_side=512, default_steps=1, default_guidance=0.0)
