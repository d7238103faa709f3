"""FLUX.1 (Black Forest Labs) text-to-image: schnell by default, 4 steps without guidance.

Cast reference images go through XLabs' FLUX IP-Adapter, read by OpenAI's CLIP ViT-L/14."""

from __future__ import annotations

from typing import Any

from .base import GeneratorError
from .keyframe import IPAdapter, KeyframeGenerator, StillModel


class FluxKeyframes(KeyframeGenerator):
    name = "flux-schnell"
    default_model = "black-forest-labs/FLUX.1-schnell"
    still = StillModel(size_multiple=16, default_side=1024, default_steps=4, default_guidance=0.0)
    ip_adapter = IPAdapter(pull="ip-adapter-flux", repo="XLabs-AI/flux-ip-adapter",
                           weight_name="ip_adapter.safetensors", image_encoder="",
                           encoder_repo="openai/clip-vit-large-patch14", scale=1.0)

    def load(self, model: str, dtype: Any, local_only: bool) -> Any:
        from diffusers import FluxPipeline

        return FluxPipeline.from_pretrained(model, dtype=dtype, local_files_only=local_only)

    def pipeline_arguments(self) -> dict:
        # schnell's T5 prompt length; longer prompts are cut, as Black Forest Labs do.
        return {"max_sequence_length": 256}

    def load_adapter(self, pipe: Any, adapter: IPAdapter, dtype: Any) -> None:
        if not hasattr(pipe, "load_ip_adapter"):
            raise GeneratorError("this diffusers release has no IP-Adapter for FLUX, so cast "
                                 "reference images need keyframes name sdxl (or pip install "
                                 "-U diffusers)")
        pipe.load_ip_adapter(adapter.repo, weight_name=adapter.weight_name,
                             subfolder=adapter.subfolder,
                             image_encoder_pretrained_model_name_or_path=adapter.encoder_repo,
                             image_encoder_subfolder=adapter.image_encoder,
                             image_encoder_dtype=dtype, local_files_only=True)
