"""Read what a media file holds (PyAV; the static ffmpeg has no ffprobe)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av


@dataclass(frozen=True)
class MediaInfo:
    duration: float
    video_duration: float | None = None
    audio_duration: float | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    frames: int | None = None
    sample_rate: int | None = None
    video_codec: str | None = None
    audio_codec: str | None = None

    @property
    def has_video(self) -> bool:
        return self.video_duration is not None

    @property
    def has_audio(self) -> bool:
        return self.audio_duration is not None


def _stream_seconds(stream: av.stream.Stream, fallback: float) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return fallback


def probe(path: Path | str) -> MediaInfo:
    """Durations, size, frame rate and codecs of a media file. Raises av.error.FFmpegError."""
    with av.open(str(path)) as container:
        total = container.duration / 1e6 if container.duration else 0.0
        info: dict = {"duration": total}
        if container.streams.video:
            video = container.streams.video[0]
            info |= {
                "video_duration": _stream_seconds(video, total),
                "width": video.codec_context.width, "height": video.codec_context.height,
                "fps": float(video.average_rate) if video.average_rate else None,
                "frames": video.frames or None, "video_codec": video.codec_context.name,
            }
        if container.streams.audio:
            audio = container.streams.audio[0]
            info |= {"audio_duration": _stream_seconds(audio, total),
                     "sample_rate": audio.codec_context.sample_rate,
                     "audio_codec": audio.codec_context.name}
        return MediaInfo(**info)


def is_image(path: Path) -> bool:
    return path.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}
