"""LTX-2 (Lightricks): text-to-video and image-to-video that make the picture's sound too.

The sound comes back with the clip and is played as ambience under the narration
(the storyboard's `ambience` settings)."""

from __future__ import annotations

from typing import Any

from .base import ClipRequest, GeneratorError
from .diffusion import DiffusionGenerator, Generated, Lora, ModelClip, Preset, to_uint8

DEFAULT_SOUND = "the natural ambient sound of the scene, no speech, no music"

# diffusers.pipelines.ltx2.utils.DISTILLED_SIGMA_VALUES: the distilled model's eight steps.
DISTILLED_SIGMAS = (1.0, 0.99375, 0.9875, 0.98125, 0.975, 0.909375, 0.725, 0.421875)


class LTX2Generator(DiffusionGenerator):
    name = "ltx-2"
    default_model = "Lightricks/LTX-2"
    makes_sound = True
    clip = ModelClip(fps=24, max_frames=241, frame_step=8, size_multiple=32, default_height=512,
                     default_width=768, default_steps=30, default_guidance=3.0)
    # draft: Lightricks' distilled LoRA ("the distilled model, applicable to the full model")
    # with the distilled sigmas as they are, not shifted for the resolution, and no guidance
    # of any kind: one transformer pass per step, where final makes up to four
    # (classifier-free, spatio-temporal and modality guidance).
    presets = {"final": Preset(), "draft": Preset(
        lora=Lora("Lightricks/LTX-2", "ltx-2-19b-distilled-lora-384.safetensors"),
        guidance=1.0, schedule=DISTILLED_SIGMAS,
        scheduler=(("use_dynamic_shifting", False), ("shift_terminal", None)),
        arguments=(("audio_guidance_scale", 1.0), ("stg_scale", 0.0), ("audio_stg_scale", 0.0),
                   ("modality_scale", 1.0), ("audio_modality_scale", 1.0)))}
    step_caches = ("taylorseer",)  # diffusers registers no LTX-2 block for First-Block Cache

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
        return Generated(to_uint8(result.frames[0]), audio,
                         int(pipe.vocoder.config.output_sampling_rate))
