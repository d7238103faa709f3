"""Still layers for designed animatic shots, drawn with Pillow: palette, plate, motif, title.

The animatic module moves these layers with ffmpeg filters; this module only paints them.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from storyreel.tools.align import script_tokens
from storyreel.tools.fonts import ui_font_path
from storyreel.tools.subtitles import break_lines, join_words, word_spacing

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Palette:
    name: str
    sky: tuple[RGB, RGB, RGB]  # top, middle, bottom of the background gradient
    land: tuple[RGB, RGB, RGB]  # far to near silhouettes
    light: RGB  # sun, bokeh and particles
    text: RGB


PALETTES: dict[str, Palette] = {
    "warm": Palette("warm", ((43, 24, 16), (168, 92, 38), (238, 178, 96)),
                    ((120, 62, 30), (76, 38, 20), (36, 18, 10)), (255, 214, 140), (255, 244, 226)),
    "night": Palette("night", ((8, 10, 32), (34, 30, 78), (92, 58, 110)),
                     ((40, 34, 80), (24, 20, 52), (10, 8, 24)), (255, 210, 130), (236, 232, 255)),
    "sea": Palette("sea", ((10, 38, 66), (24, 104, 140), (150, 210, 220)),
                   ((18, 80, 110), (10, 54, 80), (4, 28, 44)), (230, 250, 255), (240, 252, 255)),
    "green": Palette("green", ((32, 58, 40), (98, 150, 92), (214, 230, 170)),
                     ((62, 110, 64), (34, 74, 44), (14, 40, 24)), (255, 246, 200), (248, 255, 240)),
    "storm": Palette("storm", ((28, 30, 36), (74, 78, 88), (150, 146, 140)),
                     ((64, 62, 60), (40, 38, 38), (18, 18, 20)), (250, 226, 180), (240, 240, 240)),
    "dawn": Palette("dawn", ((44, 40, 88), (196, 110, 120), (252, 204, 150)),
                    ((118, 74, 104), (72, 44, 74), (32, 20, 40)), (255, 230, 180), (255, 246, 236)),
}

_MOOD_WORDS = {
    "warm": "warm golden gold coffee amber desert autumn espresso cup brown sepia candle lantern",
    "night": "night moon dark star stars space midnight candle-lit monastery prayer",
    "sea": "sea ocean water river rain blue harbour harbor ship wave waves coast",
    "green": "green forest leaf leaves tea garden nature spring plant farm farms terraced",
    "storm": "storm clouds cloud heavy grey gray dark forced industrial smoke",
    "dawn": "dawn sunrise morning misty mist pink dusk sunset twilight",
}
_MOTIF_WORDS = {
    "hills": "hill hills hillside mountain mountains highlands field fields terraced plantation "
             "valley landscape farm farms slopes",
    "waves": "sea ocean water river waves coast harbour harbor",
    "city": "city house houses coffee-house street town london paris venice cairo istanbul "
            "monastery room interior market",
}


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z][a-z-]*", text.lower())


def choose_palette(style: str, visual: str, seed: int) -> Palette:
    """Mood from the shot's words first, then the style's; a seeded pick when nothing matches."""
    for text in (visual, style):
        scores = {name: sum(w in words.split() for w in _words(text))
                  for name, words in _MOOD_WORDS.items()}
        best = max(scores, key=scores.get)
        if scores[best]:
            return PALETTES[best]
    return list(PALETTES.values())[seed % len(PALETTES)]


def choose_motif(visual: str, seed: int) -> str:
    scores = {name: sum(w in words.split() for w in _words(visual))
              for name, words in _MOTIF_WORDS.items()}
    best = max(scores, key=scores.get)
    return best if scores[best] else ("hills", "bokeh", "city")[seed % 3]


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def paint_plate(size: tuple[int, int], palette: Palette, motif: str, seed: int) -> Image.Image:
    """The background: vertical three-stop gradient, a glowing light source, soft bokeh."""
    width, height = size
    rng = random.Random(seed)
    column = Image.new("RGB", (1, height))
    top, middle, bottom = palette.sky
    for y in range(height):
        t = y / max(1, height - 1)
        column.putpixel((0, y), _mix(top, middle, t * 2) if t < 0.5 else _mix(middle, bottom,
                                                                               (t - 0.5) * 2))
    plate = column.resize(size, Image.Resampling.BILINEAR)
    glow = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(glow)
    cx, cy = width * rng.uniform(0.3, 0.7), height * rng.uniform(0.35, 0.55)
    radius = min(size) * 0.16
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=palette.light + (200,))
    count = 26 if motif == "bokeh" else 12
    for _ in range(count):
        r = min(size) * rng.uniform(0.02, 0.08)
        x, y = rng.uniform(0, width), rng.uniform(0, height * 0.8)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=palette.light + (rng.randint(30, 90),))
    glow = glow.filter(ImageFilter.GaussianBlur(min(size) * 0.02))
    halo = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(halo).ellipse((cx - radius * 3, cy - radius * 3, cx + radius * 3,
                                  cy + radius * 3), fill=palette.light + (70,))
    halo = halo.filter(ImageFilter.GaussianBlur(radius * 1.2))
    plate = Image.alpha_composite(plate.convert("RGBA"), halo)
    return vignette(Image.alpha_composite(plate, glow).convert("RGB"))


def vignette(image: Image.Image, strength: float = 0.55) -> Image.Image:
    """Darken the edges (painted once here, cheaper than a per-frame filter)."""
    mask = Image.radial_gradient("L").resize(image.size, Image.Resampling.BILINEAR)
    mask = mask.point(lambda v: int(255 * strength * max(0.0, (v / 255 - 0.45) / 0.55) ** 1.6))
    return Image.composite(Image.new("RGB", image.size), image, mask)


def paint_foreground(size: tuple[int, int], palette: Palette, motif: str,
                     seed: int) -> Image.Image:
    """Silhouette layers (hills, waves or a skyline) on transparency, for parallax."""
    width, height = size
    rng = random.Random(seed * 7919 + 1)
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for depth, colour in enumerate(palette.land):
        base = height * (0.62 + 0.12 * depth)
        if motif == "city":
            x = -rng.uniform(0, 60)
            while x < width:
                w = width * rng.uniform(0.04, 0.09)
                h = height * rng.uniform(0.12, 0.34) / (1 + depth * 0.4)
                draw.rectangle((x, base - h, x + w, height), fill=colour + (255,))
                if depth == 0:
                    for wy in range(int(base - h + 10), int(base) - 10, 22):
                        for wx in range(int(x + 6), int(x + w - 8), 16):
                            if rng.random() < 0.35:
                                draw.rectangle((wx, wy, wx + 6, wy + 9),
                                               fill=palette.light + (180,))
                x += w + rng.uniform(2, 14)
            continue
        amplitude = height * (0.05 if motif == "waves" else 0.09) / (1 + depth * 0.3)
        waves = [(rng.uniform(0.8, 2.5) * (3 if motif == "waves" else 1), rng.uniform(0, 6.28))
                 for _ in range(3)]
        points = [(0, height)]
        for x in range(0, width + 8, 8):
            y = base + sum(amplitude / (i + 1) * math.sin(f * x / width * 2 * math.pi + p)
                           for i, (f, p) in enumerate(waves))
            points.append((x, y))
        points.append((width, height))
        draw.polygon(points, fill=colour + (255,))
    return layer.filter(ImageFilter.GaussianBlur(1.2))


def paint_particles(size: tuple[int, int], palette: Palette, seed: int) -> Image.Image:
    """Soft floating specks on transparency; the animatic scrolls this upward."""
    width, height = size
    rng = random.Random(seed * 31 + 5)
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for _ in range(int(width * height / 9000)):
        r = rng.uniform(1.0, 3.2) * min(size) / 720
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=palette.light + (rng.randint(45, 130),))
    return layer.filter(ImageFilter.GaussianBlur(0.8))


def paint_title(size: tuple[int, int], title: str, palette: Palette) -> Image.Image:
    """The shot's on-screen title with a soft shadow and an accent rule, on transparency.

    Lines are broken where they reach the frame's edge as drawn, between words or between
    Chinese and Japanese characters, and balanced.
    """
    width, height = size
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    short = min(size)
    font = ImageFont.truetype(str(ui_font_path()), round(short * 0.11))
    tokens = script_tokens(title)
    spaced = word_spacing(tokens, title)
    lines = [join_words(tokens[start:end], spaced[start:end]) for start, end in
             break_lines(tokens, spaced, lambda line: font.getlength(line) / (width * 0.84))]
    text = "\n".join(lines)
    measure = ImageDraw.Draw(layer)
    box = measure.multiline_textbbox((0, 0), text, font=font, spacing=font.size // 4,
                                     align="center", stroke_width=1)
    text_w, text_h = box[2] - box[0], box[3] - box[1]
    x = (width - text_w) / 2
    y = (height - text_h) / 2 - height * 0.05
    shadow = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(shadow).multiline_text((x + 3, y + 4), text, font=font, fill=(0, 0, 0, 190),
                                          spacing=font.size // 4, align="center", stroke_width=1,
                                          stroke_fill=(0, 0, 0, 190))
    layer = Image.alpha_composite(layer, shadow.filter(ImageFilter.GaussianBlur(short / 120)))
    draw = ImageDraw.Draw(layer)
    draw.multiline_text((x, y), text, font=font, fill=palette.text + (255,),
                        spacing=font.size // 4, align="center", stroke_width=1,
                        stroke_fill=palette.text + (255,))
    rule_y = y + text_h + font.size * 0.55
    rule_w = min(text_w, width * 0.25) / 2
    draw.line((width / 2 - rule_w, rule_y, width / 2 + rule_w, rule_y),
              fill=palette.light + (230,), width=max(2, round(short / 240)))
    return layer


@dataclass(frozen=True)
class Layer:
    """A painted layer and where its top-left corner sits in the frame."""

    path: Path
    x: int = 0
    y: int = 0


def save_layers(directory: Path, size: tuple[int, int], *, style: str, visual: str, title: str,
                seed: int, overscan: float) -> dict[str, Layer]:
    """Paint every layer of a designed shot into `directory`; a title layer only when there is
    a title (the visual prompt is never shown).

    Transparent layers are cropped to what they show: the compositor's cost grows with area.
    """
    palette = choose_palette(style, visual, seed)
    motif = choose_motif(visual, seed)
    width, height = size
    big = (round(width * overscan / 2) * 2, round(height * overscan / 2) * 2)
    layers = {
        "plate": paint_plate(big, palette, motif, seed),
        "foreground": paint_foreground((round(width * 1.3), height), palette, motif, seed),
        "particles": paint_particles((width, height * 2), palette, seed),
    }
    if title:
        layers["title"] = paint_title(size, title, palette)
    placed = {}
    for name, image in layers.items():
        x = y = 0
        if name in ("foreground", "title"):
            box = image.getbbox() or (0, 0, 2, 2)
            x, y = (box[0], box[1]) if name == "title" else (0, box[1])
            image = image.crop((x, y, box[2] if name == "title" else image.width, box[3]))
        path = directory / f"{name}.png"
        image.save(path)
        placed[name] = Layer(path, x, y)
    return placed
