"""Stills: the shot's picture (its approved keyframe, or its image asset) moved by the camera.

The motion is the animatic's own image path (Ken Burns moves over an overscanned plate), so a
storyboard can be made of text-to-image keyframes alone, without video diffusion."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from .animatic import AnimaticGenerator
from .base import ClipOutput, ClipRequest, GeneratorError, ProgressCallback


class StillsGenerator:
    name = "stills"
    text_to_video = False
    image_to_video = True
    makes_sound = False

    def __init__(self) -> None:
        self._animatic = AnimaticGenerator()

    def check(self, model: str | None) -> None:
        """Runs anywhere: the keyframes are made (and checked) by their own backend."""

    def __call__(self, request: ClipRequest, output: Path,
                 progress: ProgressCallback | None = None) -> ClipOutput:
        """Move `request.image` by `request.camera` for the shot's frames.

        Args:
            request: the shot; `image` is required (its keyframe or image asset).
            output: the .mp4 to write.
            progress: called with the fraction done.
        """
        if request.image is None:
            raise GeneratorError("the stills generator moves a picture: add `keyframes:` to the "
                                 "storyboard (a still per shot), or give the shot an image asset")
        clip = self._animatic(request, output, progress)
        return dataclasses.replace(clip, generator=self.name)
