"""One shot, playable on its own in about a second: its segments from the render's cache with
its narration, written to .storyreel/preview/ (the rendered video is never touched)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from storyreel.storyboards.atomic import PART
from storyreel.tools import video
from storyreel.tools.audio_mix import Placed, mix_programme

from .events import EventSink, ignore
from .project import Project
from .render import Renderer, ShotPreview

# The first one installed plays; mpv and ffplay can start at a given second.
PLAYERS = (["mpv", "--really-quiet"], ["ffplay", "-autoexit", "-loglevel", "quiet"], ["vlc"],
           ["xdg-open"])


def preview_shot(storyboard_path: Path | str, shot_id: str, events: EventSink = ignore) -> Path:
    """PROJECT/.storyreel/preview/SHOT.mp4: the shot's frames as the render shows them
    (subtitles burned, its transitions included) with its narration, normalised as the
    programme is; music left out. What the shot needs and the cache lacks is made by that
    shot's stages only, and kept for the next render."""
    folder = Project.for_storyboard(storyboard_path).state_dir / "preview"
    return Renderer(storyboard_path, events=events).shot_preview(
        shot_id, lambda parts: _assemble(parts, folder / f"{shot_id}.mp4"))


def _assemble(parts: ShotPreview, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    sound = out.with_name(f".{out.stem}.sound{PART}.m4a")  # swept by the next render if left
    try:
        mix_programme([Placed(parts.speech, parts.speech_start)] if parts.speech else [],
                      parts.frames / parts.fps, sound)
        video.join(parts.segments, sound, out, parts.frames, parts.fps)
    finally:
        sound.unlink(missing_ok=True)
    return out


def play(path: Path, start: float = 0.0) -> str | None:
    """Open `path` in the first video player installed (from `start` seconds where the player
    can seek), without waiting for it; the player's name, or None when there is none."""
    for command in PLAYERS:
        if shutil.which(command[0]):
            seek = {"mpv": [f"--start={start:.2f}"], "ffplay": ["-ss", f"{start:.2f}"]}
            subprocess.Popen([*command, *seek.get(command[0], []), str(path)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return command[0]
    return None
