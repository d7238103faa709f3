"""CogVideoX (THUDM/zai-org): text-to-video, and image-to-video with the -I2V checkpoints."""

from __future__ import annotations

from typing import Any

from .diffusion import DiffusionGenerator, ModelClip, Preset, text_or_image_pipeline


class CogVideoXGenerator(DiffusionGenerator):
    name = "cogvideox"
    default_model = "THUDM/CogVideoX-5b"
    clip = ModelClip(fps=8, max_frames=49, frame_step=4, size_multiple=16, default_height=480,
                     default_width=720, default_steps=50, default_guidance=6.0)
    # No distilled CogVideoX weights load in diffusers: draft is only fewer steps.
    presets = {"final": Preset(), "draft": Preset(steps=20)}
    attention_backends = False  # its attention calls PyTorch's SDPA itself

    def load(self, model: str, dtype: Any, local_only: bool) -> tuple[Any, Any | None]:
        from diffusers import CogVideoXImageToVideoPipeline, CogVideoXPipeline

        return text_or_image_pipeline(model, local_only, CogVideoXPipeline,
                                      CogVideoXImageToVideoPipeline, dtype=dtype)

    def pipeline_arguments(self, pipe: Any) -> dict:
        # The text length the transformer was trained with (226 for the released models).
        return {"max_sequence_length": pipe.transformer.config.max_text_seq_length}
