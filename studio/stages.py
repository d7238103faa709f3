"""The per-shot work of a render as plain functions of their inputs: `work(output, inputs,
**params) -> meta`. They read only the files in `inputs` and write only `output`, so an executor
may run them in this process or ship them, with their input files, to a farm worker.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storyreel.generators import ClipRequest, get_generator
from storyreel.tools import video
from storyreel.tools.ffmpeg import ProgressCallback
from storyreel.tools.footage import FootageFit
from storyreel.tools.speech import ResolvedVoice
from storyreel.tools.tts import speak

from .events import Stage

Work = Callable[..., dict]


@dataclass(frozen=True)
class Job:
    """One cache entry to make. `work` is a module-level function (so it pickles); `inputs`
    names the files it reads; `gpu` is the share of a GPU it needs (0: CPU work) and `pool`
    the (generator, model) whose loaded pipeline it uses, so a farm keeps one per GPU."""

    stage: Stage
    shot: str
    key: str
    suffix: str
    work: Work
    params: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Path] = field(default_factory=dict)
    gpu: float = 0.0
    pool: tuple[str, str | None] | None = None
    here: bool = False  # must run in the caller's process (it keeps state in the project)

    def run(self, output: Path, inputs: dict[str, Path] | None = None,
            progress: ProgressCallback | None = None) -> dict:
        """Do the work here, reading `inputs` (default: the job's own paths)."""
        return self.work(output, inputs if inputs is not None else self.inputs,
                         progress=progress, **self.params)


def voice_work(output: Path, inputs: dict[str, Path], *, voice: ResolvedVoice, text: str,
               rate: float, language: str, progress: ProgressCallback | None = None) -> dict:
    """The shot's narration spoken into `output` (WAV), with the engine's word timings."""
    speech = speak(voice, text, output, rate, language)
    words = [w.to_dict() for w in speech.words] if speech.words else None
    return {"duration": speech.duration, "words": words}


def picture_work(output: Path, inputs: dict[str, Path], *, generator: str,
                 request: ClipRequest, progress: ProgressCallback | None = None) -> dict:
    """The shot's picture: `request` with its image or footage taken from `inputs`, made by
    `generator` and checked to hold exactly the frames asked for."""
    request = dataclasses.replace(request, image=inputs.get("image"), video=inputs.get("video"))
    maker = get_generator(generator)
    out = maker(request, output, progress)
    video.check_frames(output, request.num_frames, f"the picture {maker.name} made")
    return {"generator": out.generator, "frames": request.num_frames, "sound": out.has_sound,
            "credit": out.credit, "notes": list(out.notes),
            "seconds": {"load": out.load_seconds, "denoise": out.denoise_seconds,
                        "decode": out.decode_seconds, "encode": out.encode_seconds}}


def body_work(output: Path, inputs: dict[str, Path], *, first: int, count: int, fps: int,
              encoding: list[str], fit: FootageFit | None = None,
              progress: ProgressCallback | None = None) -> dict:
    """Frames [first, first+count) of the shot's picture (its clip, or its footage and `fit`),
    its subtitles burned in."""
    video.encode_body(video.Picture(inputs["clip"], fit), inputs.get("subtitles"), first, count,
                      fps, output, encoding, progress)
    return {"frames": count}


def transition_work(output: Path, inputs: dict[str, Path], *, left_first: int, count: int,
                    kind: str, fps: int, encoding: list[str], left_fit: FootageFit | None = None,
                    right_fit: FootageFit | None = None,
                    progress: ProgressCallback | None = None) -> dict:
    """`count` frames blending the end of one shot into the start of the next."""
    video.encode_transition(video.Picture(inputs["left"], left_fit), inputs.get("left_subtitles"),
                            left_first, video.Picture(inputs["right"], right_fit),
                            inputs.get("right_subtitles"), count, kind, fps, output, encoding)
    return {"frames": count}
