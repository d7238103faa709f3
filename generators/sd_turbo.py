"""SD-Turbo (Stability AI): Stable Diffusion 2.1 distilled to one step at 512x512; a still in
seconds even on a CPU.

No reference images: h94's IP-Adapters fit SD 1.5 and SDXL, not SD 2.1's text encoder."""

from __future__ import annotations

from typing import Any

from .keyframe import KeyframeGenerator, StillModel


class SDTurboKeyframes(KeyframeGenerator):
    name = "sd-turbo"
    default_model = "stabilityai/sd-turbo"
    still = StillModel(size_multiple=8, default_side=512, default_steps=1, default_guidance=0.0)

    def load(self, model: str, dtype: Any, local_only: bool) -> Any:
        from diffusers import AutoPipelineForText2Image

        return AutoPipelineForText2Image.from_pretrained(model, dtype=dtype,
                                                         local_files_only=local_only)
