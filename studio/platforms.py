"""Delivery presets: `storyreel render --for youtube|shorts|tiktok|reels`.

A preset renders the storyboard in the platform's frame (aspect, size, a frame rate it takes)
for that render only, the file untouched, to out/final-NAME.mp4; it refuses a video longer than
the platform takes before any picture is made, and keeps the video under its bitrate ceiling.
Captions keep out of the platform's own buttons and captions: the subtitle look's margins for
vertical video (tools/subtitles.py SubtitleLook) already leave the safe area below free, which
tests/test_platforms.py checks for every preset.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import av
from pydantic import BaseModel, ConfigDict, Field

from storyreel.storyboards.atomic import atomic_path
from storyreel.storyboards.errors import UserError
from storyreel.storyboards.model import Aspect, Format, Storyboard
from storyreel.tools.ffmpeg import BITEXACT, ProgressCallback, run_ffmpeg
from storyreel.tools.video import check_frames, count_frames, x264

Fraction = Annotated[float, Field(ge=0, lt=0.5)]


class PlatformError(UserError):
    """The video does not fit the platform (too long): one line naming the fix."""


class Platform(BaseModel):
    """What a platform takes, as storyreel renders for it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    title: str
    aspect: Aspect
    height: Annotated[int, Field(ge=144, le=4320, description="the short side, as in 1080p")]
    fps: tuple[int, int] = Field(description="frame rates it takes: a storyboard's outside "
                                 "them is brought to the nearest")
    max_mbps: Annotated[float, Field(gt=0, description="video bitrate ceiling, Mbit/s")]
    max_seconds: Annotated[float, Field(gt=0, description="the longest video it takes")]
    caption_bottom: Fraction = Field(description="share of the height at the bottom that the "
                                     "app draws over (its captions, names, buttons)")
    caption_right: Fraction = Field(description="share of the width at the right edge that "
                                    "the app draws over (like, comment, share)")

    def describe(self) -> str:
        """The preset in one line, for the render log."""
        width, height = self.format(24).size
        low, high = self.fps
        return (f"{self.title}: {width}x{height}, {low}-{high} fps, at most {self.max_mbps:g} "
                f"Mbit/s and {_duration(self.max_seconds)}; captions kept above the bottom "
                f"{self.caption_bottom:.0%}" + (f" and clear of the right {self.caption_right:.0%}"
                                                 if self.caption_right else ""))

    def format(self, fps: int) -> Format:
        """The platform's frame for a storyboard made at `fps`."""
        low, high = self.fps
        return Format(aspect=self.aspect, height=self.height, fps=min(max(fps, low), high))


# Each platform's published upload limits; the bitrates are the ceilings the platforms
# recommend for 1080p uploads (they re-encode whatever comes, so more only costs upload time).
PLATFORMS: dict[str, Platform] = {preset.name: preset for preset in (
    Platform(name="youtube", title="YouTube", aspect="16:9", height=1080, fps=(24, 60),
             max_mbps=12, max_seconds=12 * 3600, caption_bottom=0.05, caption_right=0),
    Platform(name="shorts", title="YouTube Shorts", aspect="9:16", height=1080, fps=(24, 60),
             max_mbps=10, max_seconds=180, caption_bottom=0.2, caption_right=0.12),
    Platform(name="tiktok", title="TikTok", aspect="9:16", height=1080, fps=(24, 60),
             max_mbps=10, max_seconds=600, caption_bottom=0.2, caption_right=0.12),
    Platform(name="reels", title="Instagram Reels", aspect="9:16", height=1080, fps=(24, 60),
             max_mbps=8, max_seconds=180, caption_bottom=0.2, caption_right=0.12),
)}


def platform(name: str) -> Platform:
    """The preset called `name`; PlatformError naming the others otherwise."""
    try:
        return PLATFORMS[name.lower()]
    except KeyError:
        raise PlatformError(f"no platform preset {name!r}; choose one of "
                            f"{', '.join(PLATFORMS)}") from None


def for_platform(board: Storyboard, preset: Platform) -> Storyboard:
    """The storyboard in the platform's frame, for one render (the file is not changed)."""
    return board.model_copy(update={"format": preset.format(board.format.fps)})


def check_length(preset: Platform, seconds: float) -> None:
    """Refuse, before any picture is made, a video longer than the platform takes."""
    if seconds > preset.max_seconds:
        raise PlatformError(f"the video lasts {_duration(seconds)}, longer than {preset.title} "
                            f"takes ({_duration(preset.max_seconds)}); shorten the storyboard "
                            "or render it for another platform")


def video_mbps(video: Path) -> float:
    """The average bitrate of a file's picture, Mbit/s, from its packets (no decoding)."""
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        size = sum(packet.size for packet in container.demux(stream))
        seconds = float(stream.duration * stream.time_base) if stream.duration else \
            container.duration / av.time_base
    return size * 8 / seconds / 1e6 if seconds else 0.0


def cap_bitrate(video: Path, preset: Platform,
                progress: ProgressCallback | None = None) -> str:
    """Re-encode `video` in place when its picture is over the platform's ceiling (sound
    copied, frames unchanged); returns what was done, or '' when it was already under."""
    found = video_mbps(video)
    frames = count_frames(video)
    with av.open(str(video)) as container:
        rate = float(container.streams.video[0].average_rate)
    # the encoder's one-second buffer may start nearly full: a second's worth more is allowed
    if found <= preset.max_mbps * (1 + rate / frames):
        return ""
    ceiling = f"{preset.max_mbps * 1000:.0f}k"  # a one-second buffer: no long bursts above
    with atomic_path(video) as tmp:
        run_ffmpeg(["-i", str(video), "-map", "0:v:0", "-map", "0:a?", "-c:a", "copy",
                    *x264("medium", 20, round(2 * rate)), "-maxrate", ceiling, "-bufsize",
                    ceiling, "-movflags", "+faststart", *BITEXACT, str(tmp)],
                   duration=frames / rate, on_progress=progress)
        check_frames(tmp, frames, "the video re-encoded for " + preset.title)
    return (f"the picture was {found:.1f} Mbit/s; re-encoded to at most {preset.max_mbps:g} "
            f"Mbit/s for {preset.title}")


def _duration(seconds: float) -> str:
    """'2 min 5 s', '12 h', '45 s'."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{value} {unit}" for value, unit in ((hours, "h"), (minutes, "min"), (secs, "s"))
             if value]
    return " ".join(parts) or "0 s"
