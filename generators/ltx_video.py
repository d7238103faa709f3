"""LTX-Video (Lightricks): text-to-video and image-to-video from one checkpoint.

Presets: `final` is the checkpoint below (LTX-Video 0.9, 2B) with 40 steps and guidance;
`draft` the 0.9.8 13B distilled checkpoint, guidance- and timestep-distilled: eight fixed
steps without guidance, one transformer pass each (diffusers' recommended settings).
"""

from __future__ import annotations

from typing import Any

from .diffusion import DiffusionGenerator, ModelClip, Preset, model_index_class

# The distilled checkpoints' timesteps (diffusers' LTX-Video documentation, 0.9.7 and 0.9.8).
DISTILLED_TIMESTEPS = (1000, 993, 987, 981, 975, 909, 725, 0.03)


class LTXVideoGenerator(DiffusionGenerator):
    name = "ltx-video"
    default_model = "Lightricks/LTX-Video"
    clip = ModelClip(fps=24, max_frames=161, frame_step=8, size_multiple=32, default_height=480,
                     default_width=704, default_steps=40, default_guidance=3.0)
    presets = {"final": Preset(),
               "draft": Preset(model="Lightricks/LTX-Video-0.9.8-13B-distilled", guidance=1.0,
                               schedule=DISTILLED_TIMESTEPS)}
    schedule_argument = "timesteps"

    def load(self, model: str, dtype: Any, local_only: bool) -> tuple[Any, Any]:
        from diffusers import LTXConditionPipeline, LTXImageToVideoPipeline, LTXPipeline

        if model_index_class(model, local_only) == LTXConditionPipeline.__name__:
            # 0.9.7 and later are published for the condition pipeline, which also starts
            # from an image.
            pipe = LTXConditionPipeline.from_pretrained(model, dtype=dtype,
                                                        local_files_only=local_only)
            return pipe, pipe
        text = LTXPipeline.from_pretrained(model, dtype=dtype, local_files_only=local_only)
        # The image-to-video pipeline shares every module with the text-to-video one.
        return text, LTXImageToVideoPipeline(**text.components)

    def pipeline_arguments(self, pipe: Any) -> dict:
        arguments: dict = {"frame_rate": self.clip.fps}
        if pipe.vae.config.timestep_conditioning:
            # The VAEs of 0.9.1 and later denoise while they decode: diffusers' values.
            arguments |= {"decode_timestep": 0.05, "decode_noise_scale": 0.025}
        return arguments
