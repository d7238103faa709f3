"""Stable Diffusion 3.5 Medium (Stability AI) text-to-image.

No reference images: the only SD3.5 IP-Adapter (InstantX) is made for 3.5 Large."""

from __future__ import annotations

from typing import Any

from .keyframe import KeyframeGenerator, StillModel


class SD3Keyframes(KeyframeGenerator):
    name = "sd3.5"
    default_model = "stabilityai/stable-diffusion-3.5-medium"
    still = StillModel(size_multiple=16, default_side=1024, default_steps=40, default_guidance=4.5)

    def load(self, model: str, dtype: Any, local_only: bool) -> Any:
        from diffusers import StableDiffusion3Pipeline

        return StableDiffusion3Pipeline.from_pretrained(model, dtype=dtype,
                                                        local_files_only=local_only)
