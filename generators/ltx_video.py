"""LTX-Video (Lightricks): text-to-video and image-to-video from one checkpoint."""

from __future__ import annotations

from typing import Any

from .diffusion import DiffusionGenerator, ModelClip


class LTXVideoGenerator(DiffusionGenerator):
    name = "ltx-video"
    default_model = "Lightricks/LTX-Video"
    clip = ModelClip(fps=24, max_frames=161, frame_step=8, size_multiple=32, default_height=480,
                     default_width=704, default_steps=40, default_guidance=3.0)

    def load(self, model: str, dtype: Any, local_only: bool) -> tuple[Any, Any]:
        from diffusers import LTXImageToVideoPipeline, LTXPipeline

        text = LTXPipeline.from_pretrained(model, dtype=dtype, local_files_only=local_only)
        # The image-to-video pipeline shares every module with the text-to-video one.
        return text, LTXImageToVideoPipeline(**text.components)

    def pipeline_arguments(self, pipe: Any) -> dict:
        return {"frame_rate": self.clip.fps}
