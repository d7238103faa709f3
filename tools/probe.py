"""Read what a media file holds (PyAV; the static ffmpeg has no ffprobe)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import av
from PIL import Image, UnidentifiedImageError


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


# A file whose streams all stop more than this short of the length it declares is cut off.
TRUNCATION_TOLERANCE_S = 0.25


def decode_check(path: Path, need: Literal["picture", "image", "sound"],
                 decode_video: bool = True) -> str | None:
    """Why `path` cannot serve as `need`, found by decoding all of it; None when it can.

    `picture`: an image, or a video with a picture (by suffix); `image`: an image; `sound`:
    a file with an audio stream. A file that cannot be read at all (permissions) raises
    OSError instead: that is not a property of its bytes, so not a verdict to keep. Without
    `decode_video`, a video's packets are read but not decoded (a cut-off file is still
    found): for a render, whose own decode of the footage is the check, and which would
    otherwise decode long footage twice.
    """
    if path.stat().st_size == 0:
        return "the file is empty (0 bytes)"
    if need == "image" or (need == "picture" and is_image(path)):
        return _image_problem(path)
    if need == "picture":
        return _stream_problem(path, "video", decode_video)
    return _stream_problem(path, "audio")


def _image_problem(path: Path) -> str | None:
    try:
        with Image.open(path) as image:
            image.load()
    except UnidentifiedImageError:
        return "it is not an image (its format is not recognised)"
    except PermissionError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        return f"the image does not decode ({error})"
    return None


def _stream_problem(path: Path, kind: Literal["video", "audio"], decode: bool = True
                    ) -> str | None:
    """Decode every frame of the first `kind` stream (with `decode`; else count its packets).
    A file cut short (a copy stopped half way) often still opens and decodes, just ending
    early: so every stream's packets are read too, and the file must reach the length its
    header declares (one stream may be shorter than the others, as sound often is)."""
    what = "picture" if kind == "video" else "sound"
    try:
        with av.open(str(path)) as container:
            streams = container.streams.video if kind == "video" else container.streams.audio
            if not streams:
                only = ", only sound" if kind == "video" and container.streams.audio else ""
                return f"it has no {what}{only}"
            stream = streams[0]
            stream.thread_type = "AUTO"
            declared = (container.duration or 0) / 1e6
            start = (container.start_time or 0) / 1e6
            end, frames = start, 0
            for packet in container.demux():
                if packet.pts is not None and packet.time_base is not None:
                    end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
                if packet.stream.index == stream.index:
                    frames += len(packet.decode()) if decode else bool(packet.size)
    except PermissionError:
        raise
    except (av.error.FFmpegError, OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        return f"its {what} does not decode ({reason})"
    if frames == 0:
        return f"no {what} frame decodes"
    if end - start < declared * 0.98 - TRUNCATION_TOLERANCE_S:
        return f"it is cut off: it stops at {end - start:.1f} s of {declared:.1f} s"
    return None
