"""LTX-2 (Lightricks): text-to-video and image-to-video that make the picture's sound too.

The sound comes back with the clip and is played as ambience under the narration
(the storyboard's `ambience` settings)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import ClipRequest, GeneratorError
from .diffusion import DiffusionGenerator, Generated, ModelClip

DEFAULT_SOUND = "the natural ambient sound of the scene, no speech, no music"


class LTX2Generator(DiffusionGenerator):
    name = "ltx-2"
    default_model = "Lightricks/LTX-2"
    makes_sound = True
    clip = ModelClip(fps=24, max_frames=241, frame_step=8, size_multiple=32, default_height=512,
                     default_width=768, default_steps=30, default_guidance=3.0)

    def load(self, model: str, dtype: Any, local_only: bool) -> tuple[Any, Any]:
        try:
            from diffusers import LTX2ImageToVideoPipeline, LTX2Pipeline
        except ImportError:
            raise GeneratorError("ltx-2 needs a diffusers release with LTX2Pipeline: "
                                 "pip install -U diffusers") from None
        text = LTX2Pipeline.from_pretrained(model, dtype=dtype, local_files_only=local_only)
        # The image-to-video pipeline shares every module with the text-to-video one.
        return text, LTX2ImageToVideoPipeline(**text.components)

    def pipeline_arguments(self, pipe: Any) -> dict:
        return {"frame_rate": float(self.clip.fps)}

    def prompt(self, request: ClipRequest) -> str:
        """The picture's prompt and what is heard: the shot's `sound`, else the scene's own
        ambience, kept clear of speech and music, which would fight the narration and bed."""
        return f"{request.prompt}. Sound: {request.sound or DEFAULT_SOUND}."

    def unpack(self, pipe: Any, result: Any) -> Generated:
        audio = result.audio[0].float().cpu().numpy().T  # (channels, samples) -> (samples, ch)
        return Generated(np.asarray(result.frames[0], dtype=np.float32), audio,
                         int(pipe.vocoder.config.output_sampling_rate))
