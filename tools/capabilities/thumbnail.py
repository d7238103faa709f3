"""thumbnail: a cover image: a representative frame of the clip with its title drawn in.

The frame is the one whose colours are closest to the clip's average, skipping near-black,
near-white and flat frames (ffmpeg's thumbnail filter does the same, but holds every frame in
memory). The title is drawn with Pillow in the bundled font, so no text enters a filter."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from pydantic import Field

from ..align import script_tokens
from ..ffmpeg import ProgressCallback
from ..fonts import ui_font_path
from ..subtitles import break_lines, join_words, word_spacing
from .clip import Clip, even, even_times, frames_at, open_clip
from .registry import CapabilityError, Options, capability

SAMPLES = 24
SAMPLE_SIZE = (160, 90)
BINS = 16


class ThumbnailOptions(Options):
    title: str = Field("", max_length=200, description="text drawn on the cover (empty: none)")
    at: float | None = Field(None, ge=0, description="seconds into the clip of the frame to use "
                             "(default: the most representative frame)")
    width: int | None = Field(None, ge=64, le=7680, description="image width in pixels "
                              "(default: the clip's)")
    position: Literal["top", "center", "bottom"] = Field("bottom", description="where the title "
                                                         "goes")
    text_size: float = Field(0.1, ge=0.02, le=0.3, description="text height, as a share of the "
                             "image height")


@capability("thumbnail", "Cover image: a representative frame with the title drawn in",
            "picture", ThumbnailOptions, output_suffix=".jpg")
def thumbnail(inputs: list[Path], output: Path, options: ThumbnailOptions,
              progress: ProgressCallback | None = None) -> Path:
    clip = open_clip(inputs[0], "thumbnail")
    image_format = Image.registered_extensions().get(output.suffix.lower())
    if image_format is None:
        raise CapabilityError(f"thumbnail writes an image (.jpg, .png, .webp), not "
                              f"{output.suffix or 'a file without suffix'}")
    if options.at is not None and options.at >= clip.duration:
        raise CapabilityError(f"thumbnail: {options.at:g} s is past the end of {clip.path.name} "
                              f"({clip.duration:.2f} s)")
    at = options.at if options.at is not None else representative_time(clip)
    if progress:
        progress(0.5)
    frame = Image.fromarray(frames_at(clip.path, [at])[0])
    if options.width:
        size = (even(options.width), even(options.width * clip.height / clip.width))
        frame = frame.resize(size, Image.Resampling.LANCZOS)
    if options.title.strip():
        frame = draw_title(frame, options.title.strip(), options.position, options.text_size)
    frame.convert("RGB").save(output, format=image_format, quality=92)
    if progress:
        progress(1.0)
    return output


def representative_time(clip: Clip) -> float:
    """The sampled time whose frame's colour histogram is nearest the average of all."""
    times = even_times(clip, SAMPLES)
    frames = frames_at(clip.path, times, *SAMPLE_SIZE)
    histograms = np.stack([
        np.concatenate([np.histogram(frame[..., channel], BINS, (0, 256))[0]
                        for channel in range(3)]) / frame[..., 0].size for frame in frames])
    distance = ((histograms - histograms.mean(axis=0)) ** 2).sum(axis=1)
    usable = np.array([20 < frame.mean() < 235 and frame.std() > 10 for frame in frames])
    if usable.any():
        distance[~usable] = np.inf
    return times[int(np.argmin(distance))]


def draw_title(frame: Image.Image, title: str, position: str, text_size: float) -> Image.Image:
    """`title` in white with a dark outline over a darkened band, broken into balanced lines
    that fit the width."""
    width, height = frame.size
    font = ImageFont.truetype(str(ui_font_path()), max(8, round(height * text_size)))
    tokens = script_tokens(title)
    spaced = word_spacing(tokens, title)
    lines = [join_words(tokens[start:end], spaced[start:end]) for start, end in
             break_lines(tokens, spaced, lambda line: font.getlength(line) / (width * 0.9))]
    text = "\n".join(lines)
    layer = Image.new("RGBA", frame.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    stroke = max(1, round(font.size / 16))
    spacing = font.size // 4
    box = draw.multiline_textbbox((0, 0), text, font=font, spacing=spacing, align="center",
                                  stroke_width=stroke)
    text_w, text_h = box[2] - box[0], box[3] - box[1]
    pad = round(font.size * 0.5)
    top = {"top": pad, "center": (height - text_h) / 2, "bottom": height - text_h - pad}[position]
    draw.rectangle((0, top - pad / 2, width, top + text_h + pad / 2), fill=(0, 0, 0, 110))
    draw.multiline_text(((width - text_w) / 2 - box[0], top - box[1]), text, font=font,
                        fill=(255, 255, 255, 255), spacing=spacing, align="center",
                        stroke_width=stroke, stroke_fill=(0, 0, 0, 255))
    return Image.alpha_composite(frame.convert("RGBA"), layer)
