"""What the last render made: the video, its subtitle files and each shot's place in it.

Unauthored state in .storyreel/last_render.json, written by the renderer and read by the
review screens, the agent's status report and scripts, always through `RenderManifest`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ValidationError, model_validator

from storyreel.storyboards.atomic import write_text_atomic
from storyreel.tools.footage import FootageFit


class RenderedShot(BaseModel):
    id: str
    start: float  # seconds into the video where the shot's picture starts
    frames: int
    clip: Path | None  # the shot's picture in the cache, or the user's footage
    fit: FootageFit | None = None  # how the shot's frames are made from the footage in `clip`
    narration_start: float  # seconds into the video where its narration starts
    speech_seconds: float
    speech: Path | None = None  # its narration in the cache (None: silent, or an older render)


class RenderManifest(BaseModel):
    output: Path  # the video
    fps: int
    subtitles: list[Path]  # the .srt, .vtt and .ass files written beside the video
    shots: list[RenderedShot]
    music: Path | None = None  # the music file under the programme (mixed trimmed and faded)

    @model_validator(mode="before")
    @classmethod
    def _subtitles_beside_the_video(cls, data: object) -> object:
        """Renders made before the manifest listed its subtitles wrote them beside the video."""
        if isinstance(data, dict) and "subtitles" not in data and "output" in data:
            output = Path(data["output"])
            data = data | {"subtitles": [str(output.with_suffix(suffix))
                                         for suffix in (".srt", ".vtt", ".ass")]}
        return data

    @property
    def srt(self) -> Path | None:
        """The render's SRT file, if it wrote one."""
        return next((path for path in self.subtitles if path.suffix == ".srt"), None)

    @property
    def seconds(self) -> float:
        """The length of the shots' pictures (transitions overlap, so a little over the video)."""
        return sum(shot.frames for shot in self.shots) / self.fps

    def save(self, path: Path) -> None:
        """Write atomically: a reader (the TUI, mid-render) never sees half a manifest."""
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, self.model_dump_json(indent=2))

    @classmethod
    def load(cls, path: Path) -> RenderManifest | None:
        """The manifest at `path`; None when there is none, or it is unreadable (it is
        rebuilt by the next render, so an unreadable one means "not rendered")."""
        try:
            return cls.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValidationError):
            return None
