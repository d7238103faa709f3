"""How the user's footage becomes a shot's picture: trimmed, slowed (up to 1.6x, its sound
slowed without a change of pitch) or looped to the shot's length, scaled and cropped to the
frame. As ffmpeg arguments that make the shot's frames from any frame on, so a segment can
read the footage itself instead of a fitted copy of it (one decode, one encode)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import av

from .video import aac

FIT_VERSION = 1  # bump when the fitted frames change
MAX_SLOWDOWN = 1.6  # footage up to this much shorter than its shot is slowed; shorter loops
# A seek lands this far (seconds of the shot) before the first frame wanted, so the frame
# rate conversion has the source frame that frame shows in hand whatever the footage's rate.
SEEK_MARGIN = 0.25
# Containers with an index of their keyframes, where a seek lands on a picture that decodes.
# Elsewhere (MPEG-TS, for one) a seek lands anywhere, and the footage is read from its start.
INDEXED = ("mov", "mp4", "matroska", "webm")


@dataclass(frozen=True)
class FootageFit:
    """The fit of one footage file to one shot (`frames` at `fps`, `width`x`height`)."""

    width: int
    height: int
    fps: int
    frames: int
    source_seconds: float  # how long the footage's picture really plays
    first_picture: float  # seconds from the file's start to its first picture
    first_pts: int  # the first picture's timestamp, in ticks of its stream's time base
    has_audio: bool
    seekable: bool  # whether reading may start at a keyframe near the frame wanted

    @classmethod
    def measure(cls, video: Path, width: int, height: int, fps: int, frames: int) -> FootageFit:
        """Read `video`'s packets (no decoding) for how long its picture plays: for a file cut
        short that is less than its header declares. ValueError when it has no picture."""
        with av.open(str(video)) as container:
            if not container.streams.video:
                raise ValueError(f"{video} has no video stream")
            has_audio = bool(container.streams.audio)
            start = (container.start_time or 0) / av.time_base
            stream = container.streams.video[0]
            first, end = None, 0
            for packet in container.demux(stream):
                if packet.pts is None or not packet.size:
                    continue
                first = packet.pts if first is None else min(first, packet.pts)
                end = max(end, packet.pts + packet.duration)
            tick = stream.time_base
            indexed = any(name in INDEXED for name in container.format.name.split(","))
        if first is None or end <= first:
            raise ValueError(f"{video} has no video stream")
        return cls(width, height, fps, frames, round(float((end - first) * tick), 6),
                   round(float(first * tick) - start, 6), first, has_audio, indexed)

    @property
    def needed(self) -> float:
        return self.frames / self.fps

    @property
    def stretch(self) -> float:
        """How much slower than recorded the footage plays (1: trimmed to the shot)."""
        if self.source_seconds < self.needed <= self.source_seconds * MAX_SLOWDOWN:
            return round(self.needed / self.source_seconds, 5)
        return 1.0

    @property
    def loops(self) -> bool:
        return self.source_seconds * MAX_SLOWDOWN < self.needed

    def _seek(self, first: int) -> float:
        """Seconds into the file to start reading for frame `first` on (0: from the start).
        A looped file is read from its start: it is shorter than the shot anyway."""
        lead = (first / self.fps - SEEK_MARGIN) / self.stretch
        if self.loops or not self.seekable or lead <= 0:
            return 0.0
        return round(self.first_picture + lead, 6)

    def input_args(self, video: Path, first: int = 0) -> list[str]:
        """ffmpeg input arguments reading `video` for the shot's frames from `first` on.
        The file's own timestamps are kept (-copyts), so that wherever reading starts, every
        picture is timed by the same exact arithmetic on them: which picture the frame rate
        conversion shows in a frame never depends on where reading began."""
        if self.loops:  # timestamps restart with every pass: read from the start, retimed
            return ["-stream_loop", "-1", "-i", str(video)]
        seek = self._seek(first)
        return ["-copyts", *(["-ss", f"{seek:.6f}"] if seek else []), "-i", str(video)]

    def picture(self, first: int = 0) -> str:
        """Filters making the shot's frames from frame `first` on, out of the input that
        `input_args(video, first)` opens; their clock starts at zero."""
        clock = "PTS-STARTPTS" if self.loops else f"PTS-{self.first_pts}"
        speed = f"setpts={clock}" if self.stretch == 1 else f"setpts={self.stretch:.5f}*({clock})"
        trim = f"trim=start_pts={first},setpts=PTS-STARTPTS," if first else ""
        return (f"{speed},fps={self.fps},{trim}"
                f"scale={self.width}:{self.height}:force_original_aspect_ratio=increase,"
                f"crop={self.width}:{self.height},setsar=1,format=yuv420p")

    def copy_args(self, video: Path) -> list[str]:
        """ffmpeg arguments for a fitted copy of `video`, up to its encoder: the shot's frames,
        and its sound (`sound_args`) where it has one."""
        sound = ["-map", "0:v:0", *self.sound_args()] if self.has_audio else ["-an"]
        return [*self.input_args(video), "-vf", self.picture(), "-frames:v", str(self.frames),
                "-r", str(self.fps), *sound]

    def sound_args(self) -> list[str]:
        """Output arguments for the footage's sound fitted to the shot (AAC): slowed with the
        picture, padded or cut to the shot's length. Only where `has_audio`."""
        tempo = f"atempo={1 / self.stretch:.5f}," if self.stretch != 1 else ""
        return ["-map", "0:a:0", "-af",
                f"asetpts=PTS-STARTPTS,{tempo}apad,atrim=0:{self.needed:.6f}", *aac()]

    def to_dict(self) -> dict:
        return asdict(self)
