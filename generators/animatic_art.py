"""Still layers for designed animatic shots, drawn with Pillow: the setting's plate, the shot's
subjects (pictures of the bundled illustration set), a near foreground, particles and the title.

`depict` reads the words; this module only paints what it decided, and the animatic module
moves the layers with ffmpeg filters.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from storyreel.tools.align import script_tokens
from storyreel.tools.fonts import ui_font_path
from storyreel.tools.subtitles import break_lines, join_words, word_spacing

from .depict import Depiction, Picture, depict

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Palette:
    name: str
    sky: tuple[RGB, RGB, RGB]  # top, middle, bottom of the background (a wall, the water)
    land: tuple[RGB, RGB, RGB]  # far to near: hills, water, sand, wood, cloud banks
    light: RGB  # sun, moon, lamps and particles
    text: RGB


_WHITE: RGB = (255, 250, 240)
# The setting's colours by day; a mood then shifts them (see palette_for).
PALETTES: dict[str, Palette] = {p.name: p for p in (
    Palette("hills", ((92, 146, 204), (168, 204, 230), (242, 226, 192)),
            ((126, 164, 112), (78, 126, 74), (42, 82, 46)), (255, 240, 200), _WHITE),
    Palette("mountains", ((78, 128, 190), (158, 194, 226), (230, 236, 240)),
            ((128, 140, 172), (90, 102, 136), (52, 62, 90)), (255, 246, 220), _WHITE),
    Palette("forest", ((104, 148, 150), (176, 204, 190), (228, 234, 206)),
            ((72, 112, 90), (40, 80, 60), (20, 46, 32)), (250, 244, 206), _WHITE),
    Palette("field", ((88, 148, 214), (166, 206, 236), (250, 236, 196)),
            ((190, 176, 92), (138, 158, 70), (86, 116, 46)), (255, 244, 200), _WHITE),
    Palette("lake", ((92, 146, 204), (168, 204, 230), (238, 230, 204)),
            ((110, 150, 120), (70, 110, 84), (38, 68, 52)), (255, 242, 210), _WHITE),
    Palette("sea", ((66, 136, 200), (148, 198, 230), (230, 240, 240)),
            ((44, 116, 164), (26, 86, 132), (12, 56, 96)), (255, 248, 226), _WHITE),
    Palette("underwater", ((120, 214, 222), (30, 122, 172), (8, 44, 92)),
            ((196, 178, 130), (148, 128, 92), (70, 74, 70)), (220, 255, 250), _WHITE),
    Palette("desert", ((98, 158, 210), (198, 210, 212), (250, 222, 172)),
            ((232, 190, 130), (214, 160, 96), (176, 116, 66)), (255, 240, 200), _WHITE),
    Palette("snow", ((126, 166, 208), (198, 218, 236), (240, 244, 248)),
            ((236, 242, 250), (212, 224, 240), (186, 202, 226)), (255, 252, 240), (250, 252, 255)),
    Palette("city", ((94, 138, 190), (178, 198, 220), (240, 220, 190)),
            ((124, 134, 154), (82, 92, 112), (44, 50, 64)), (255, 232, 170), _WHITE),
    Palette("interior", ((92, 62, 46), (150, 108, 76), (186, 144, 100)),
            ((134, 86, 52), (100, 62, 36), (62, 38, 24)), (255, 214, 150), _WHITE),
    Palette("hive", ((110, 60, 8), (196, 124, 28), (240, 178, 60)),
            ((168, 98, 20), (128, 72, 14), (86, 46, 10)), (255, 222, 120), _WHITE),
    Palette("sky", ((66, 126, 208), (138, 188, 236), (208, 228, 246)),
            ((252, 253, 255), (236, 242, 250), (220, 230, 246)), (255, 250, 230), _WHITE),
    Palette("space", ((4, 6, 20), (14, 16, 46), (36, 24, 72)),
            ((112, 112, 124), (80, 80, 94), (48, 48, 60)), (232, 238, 255), (236, 240, 255)),
)}
# mood: (sky stops it moves toward, how far, land: toward colour, how far, brightness), light
_MOODS: dict[str, tuple[tuple[RGB, RGB, RGB], float, RGB, float, float, RGB]] = {
    "night": (((6, 8, 26), (18, 22, 58), (44, 42, 90)), 0.85, (20, 24, 52), 0.35, 0.4,
              (236, 238, 255)),
    "dawn": (((58, 50, 112), (212, 118, 122), (255, 200, 142)), 0.75, (96, 60, 92), 0.35, 0.8,
             (255, 224, 170)),
    "storm": (((48, 52, 60), (94, 98, 108), (148, 148, 146)), 0.8, (70, 72, 76), 0.45, 0.7,
              (232, 232, 222)),
    "mist": (((188, 194, 200), (212, 216, 218), (230, 230, 226)), 0.65, (198, 202, 204), 0.45, 1.0,
             (250, 250, 240)),
    "golden": (((112, 76, 64), (236, 160, 84), (255, 218, 150)), 0.55, (150, 92, 40), 0.22, 0.95,
               (255, 214, 140)),
}
# Where things stand, as a fraction of the plate's height; None: everything floats there.
GROUND: dict[str, float | None] = {
    "hills": 0.84, "mountains": 0.85, "forest": 0.85, "field": 0.85, "lake": 0.86, "sea": 0.8,
    "underwater": None, "desert": 0.86, "snow": 0.85, "city": 0.87, "interior": 0.86,
    "hive": 0.86, "sky": None, "space": None,
}
_HORIZON = {"hills": 0.58, "mountains": 0.62, "forest": 0.6, "field": 0.6, "lake": 0.6, "sea": 0.6,
            "desert": 0.62, "snow": 0.6, "city": 0.78, "sky": 1.0}
_OPEN_SKY = set(_HORIZON)  # settings whose plate shows the sky, sun and moon
# How the set's pictures are treated: lamps glow, busts fade out at their cut edge, a
# picture of the sun or moon replaces the painted one, buildings keep still, creatures walk.
_GLOWING = {"candle", "red paper lantern", "diya lamp", "light bulb", "fire", "glowing star",
            "jack-o-lantern", "sparkler", "fireworks", "sun", "full moon", "crescent moon"}
_BUSTS = {"person", "person-role", "person-fantasy"}  # the set draws these as half figures
_SKY_BODIES = {"sun", "full moon", "crescent moon", "sun behind cloud", "ringed planet"}
_STILL_GROUPS = {"place-building", "place-religious", "place-other", "place-geographic", "hotel"}
_WALKERS = ("animal-", "person")


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def _scale(colour: RGB, factor: float) -> RGB:
    return tuple(min(255, round(c * factor)) for c in colour)


def palette_for(setting: str, mood: str) -> Palette:
    """The setting's colours under the mood's light (a night wall is dim, a storm sky grey)."""
    base = PALETTES[setting]
    if mood not in _MOODS:
        return base
    sky, amount, land_to, land_amount, brightness, light = _MOODS[mood]
    if setting in ("interior", "hive"):  # walls take the light, not the sky's colour
        amount, land_amount = amount * 0.35, land_amount * 0.5
        brightness = max(brightness, 0.55)
        light = (255, 200, 120) if mood == "night" else light
    new_sky = tuple(_scale(_mix(b, s, amount), 0.5 + brightness / 2 if setting == "interior" else 1)
                    for b, s in zip(base.sky, sky, strict=True))
    land = tuple(_scale(_mix(c, land_to, land_amount), brightness ** 0.5) for c in base.land)
    return replace(base, name=f"{setting}-{mood}", sky=new_sky, land=land, light=light)


def _gradient(size: tuple[int, int], stops: tuple[RGB, RGB, RGB]) -> Image.Image:
    width, height = size
    t = np.linspace(0.0, 1.0, height)[:, None]
    top, middle, bottom = (np.array(c, dtype=float) for c in stops)
    column = np.where(t < 0.5, top + (middle - top) * (t * 2), middle + (bottom - middle) * (t * 2 - 1))
    return Image.fromarray(np.repeat(column[:, None, :], width, axis=1).astype(np.uint8), "RGB")


def _glow(image: Image.Image, centre: tuple[float, float], radius: float, colour: RGB,
          alpha: int, blur: float) -> Image.Image:
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    x, y = centre
    ImageDraw.Draw(layer).ellipse((x - radius, y - radius, x + radius, y + radius),
                                  fill=colour + (alpha,))
    return Image.alpha_composite(image, layer.filter(ImageFilter.GaussianBlur(blur)))


def _ridge(draw: ImageDraw.ImageDraw, size: tuple[int, int], base: float, amplitude: float,
           colour: RGB, rng: random.Random, roughness: float = 1.0) -> list[tuple[float, float]]:
    """A rolling silhouette whose mean height is `base` (fractions of the height), filled down;
    returns its crest."""
    width, height = size
    waves = [(rng.uniform(0.6, 2.2) * roughness, rng.uniform(0, 6.28)) for _ in range(3)]
    points = [(0, height)]
    for x in range(0, width + 8, 8):
        y = base * height + sum(amplitude * height / (i + 1) * math.sin(f * x / width * 6.28 + p)
                                for i, (f, p) in enumerate(waves))
        points.append((x, y))
    points.append((width, height))
    draw.polygon(points, fill=colour + (255,))
    return points[1:-1]


def _haze(image: Image.Image, colour: RGB, alpha: int) -> Image.Image:
    """Aerial perspective: what was painted so far recedes behind a veil of the horizon colour."""
    return Image.alpha_composite(image, Image.new("RGBA", image.size, colour + (alpha,)))


def _conifers(draw: ImageDraw.ImageDraw, size: tuple[int, int], base: float, tall: float,
              colour: RGB, rng: random.Random, spacing: float) -> None:
    width, height = size
    x = -rng.uniform(0, spacing * width)
    while x < width + spacing * width:
        h = tall * height * rng.uniform(0.6, 1.0)
        w = h * rng.uniform(0.32, 0.42)
        y = base * height + rng.uniform(-0.01, 0.01) * height
        for tier in range(3):  # three stacked tiers read as a fir at any size
            top = y - h + tier * h * 0.22
            draw.polygon([(x - w / 2 * (0.6 + tier * 0.2), y - h * (0.45 - tier * 0.18)),
                          (x, top), (x + w / 2 * (0.6 + tier * 0.2), y - h * (0.45 - tier * 0.18))],
                         fill=colour + (255,))
        draw.rectangle((x - w * 0.06, y - h * 0.3, x + w * 0.06, y + height * 0.02), fill=colour + (255,))
        x += spacing * width * rng.uniform(0.5, 1.2)


def _round_trees(draw: ImageDraw.ImageDraw, crest: list[tuple[float, float]], height: int,
                 colour: RGB, rng: random.Random, count: int) -> None:
    """Small broadleaf trees standing on a ridge's crest."""
    for _ in range(count):
        x, y = crest[rng.randrange(len(crest))]
        r = height * rng.uniform(0.012, 0.024)
        y += r * 0.6  # rooted a little below the crest line
        draw.rectangle((x - r * 0.12, y - r * 1.2, x + r * 0.12, y), fill=colour + (255,))
        draw.ellipse((x - r, y - r * 2.9, x + r, y - r * 0.9), fill=colour + (255,))


def _clouds(image: Image.Image, band: tuple[float, float], colour: RGB, shade: RGB, count: int,
            rng: random.Random, alpha: int = 235) -> Image.Image:
    width, height = image.size
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for _ in range(count):
        cx, cy = rng.uniform(-0.05, 1.05) * width, rng.uniform(*band) * height
        w = width * rng.uniform(0.12, 0.26)
        # a cloud is a cluster of puffs, tallest in the middle, over a flat base in shade
        draw.ellipse((cx - w * 0.5, cy - w * 0.09, cx + w * 0.5, cy + w * 0.07), fill=shade + (alpha,))
        for _ in range(12):
            dx = rng.uniform(-0.4, 0.4)
            r = w * rng.uniform(0.1, 0.2) * (1.2 - abs(dx))
            px, py = cx + dx * w, cy - r * 0.4 - (0.45 - abs(dx)) * w * 0.25
            draw.ellipse((px - r, py - r, px + r, min(py + r, cy + w * 0.01)), fill=colour + (alpha,))
    return Image.alpha_composite(image, layer.filter(ImageFilter.GaussianBlur(min(image.size) / 120)))


def _stars(image: Image.Image, rng: random.Random, bottom: float, count: int) -> Image.Image:
    width, height = image.size
    draw = ImageDraw.Draw(image)
    for _ in range(count):
        x, y, r = rng.uniform(0, width), rng.uniform(0, bottom * height), rng.uniform(0.5, 1.8)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 255, 240, rng.randint(90, 230)))
    return image


def _skyline(draw: ImageDraw.ImageDraw, size: tuple[int, int], base: float, tall: float,
             colour: RGB, windows: RGB | None, rng: random.Random) -> None:
    width, height = size
    x = -rng.uniform(0, 60)
    while x < width:
        w = width * rng.uniform(0.04, 0.09)
        h = height * tall * rng.uniform(0.4, 1.0)
        top = base * height - h
        draw.rectangle((x, top, x + w, height), fill=colour + (255,))
        if rng.random() < 0.3:  # a roof or a dome breaks the boxes
            draw.polygon([(x, top), (x + w / 2, top - w * 0.4), (x + w, top)], fill=colour + (255,))
        if windows is not None:
            step = max(6, round(height / 40))
            for wy in range(int(top + step), int(base * height) - step, step * 2):
                for wx in range(int(x + step / 2), int(x + w - step), step):
                    if rng.random() < 0.35:
                        draw.rectangle((wx, wy, wx + step / 2, wy + step * 0.7), fill=windows + (200,))
        x += w + rng.uniform(2, 14)


def _hexagons(image: Image.Image, cell: float, rim: RGB, fill: RGB, honey: RGB,
              rng: random.Random, top: float = 0.0) -> Image.Image:
    """A honeycomb: rows of hexagonal cells, some glowing with honey."""
    width, height = image.size
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    dx, dy = cell * math.sqrt(3), cell * 1.5
    for row in range(int(top * height / dy) - 1, int(height / dy) + 2):
        for col in range(-1, int(width / dx) + 2):
            cx, cy = col * dx + (dx / 2 if row % 2 else 0), row * dy
            points = [(cx + cell * math.cos(math.radians(60 * k + 30)),
                       cy + cell * math.sin(math.radians(60 * k + 30))) for k in range(6)]
            inner = rng.random()
            colour = honey if inner < 0.35 else fill
            draw.polygon(points, fill=_mix(colour, rim, 0.15 * rng.random()) + (255,), outline=rim + (255,),
                         width=max(2, round(cell / 7)))
    return Image.alpha_composite(image, layer)


def _sky_plate(image: Image.Image, palette: Palette, mood: str, setting: str, side: int,
               rng: random.Random, disc: bool) -> Image.Image:
    """The light in an open sky: sun or moon on the side away from the main subject; only its
    glow when a subject is the sun or moon already (`disc` False)."""
    width, height = image.size
    horizon = _HORIZON.get(setting, 0.6)
    x = width * (0.5 - side * rng.uniform(0.18, 0.3))
    y = height * (horizon - 0.08 if mood in ("dawn", "golden") else rng.uniform(0.14, 0.26))
    radius = min(image.size) * (0.09 if mood == "night" else 0.11)
    if mood == "night":
        image = _stars(image, rng, horizon, int(width * height / 4000))
    if mood == "storm":
        return _glow(image, (x, y), radius * 3, palette.light, 40, radius * 1.5)
    image = _glow(image, (x, y), radius * 3.2, palette.light, 70 if mood != "mist" else 110, radius * 1.3)
    if not disc:
        return image
    return _glow(image, (x, y), radius, palette.light, 220 if mood != "mist" else 120, radius * 0.12)


def _paint_land(image: Image.Image, palette: Palette, setting: str, mood: str, side: int,
                rng: random.Random) -> Image.Image:
    """The far scenery of each setting, from the horizon forward, receding into haze."""
    size = image.size
    width, height = size
    far, mid, near = palette.land
    horizon_colour = palette.sky[2]
    draw = ImageDraw.Draw(image)
    if setting in ("hills", "snow", "lake"):
        _ridge(draw, size, 0.56, 0.05, _mix(far, horizon_colour, 0.45), rng)
        image = _haze(image, horizon_colour, 40)
        draw = ImageDraw.Draw(image)
        crest = _ridge(draw, size, 0.64, 0.06, far, rng)
        tree = _mix(mid, (10, 30, 20), 0.4) if setting != "snow" else (60, 84, 80)
        if setting == "snow":
            _conifers(draw, size, 0.68, 0.1, _mix(tree, horizon_colour, 0.3), rng, 0.05)
        else:
            _round_trees(draw, crest, height, _mix(tree, horizon_colour, 0.2), rng, 14)
        if setting == "lake":
            water = _gradient((width, round(height * 0.2)), (palette.sky[2], palette.sky[1], mid))
            image.paste(water, (0, round(height * 0.66)))
            draw = ImageDraw.Draw(image)
            _glints(draw, size, (0.67, 0.84), palette.light, rng, 40)
            _ridge(draw, size, 0.86, 0.012, mid, rng)
        else:
            _ridge(draw, size, 0.76, 0.025, mid, rng)
    elif setting == "mountains":
        _peaks(draw, size, 0.62, 0.36, _mix(far, horizon_colour, 0.35), _mix(_WHITE, horizon_colour, 0.3),
               rng)
        image = _haze(image, horizon_colour, 50)
        draw = ImageDraw.Draw(image)
        _peaks(draw, size, 0.7, 0.22, far, _mix(_WHITE, far, 0.2), rng)
        _ridge(draw, size, 0.78, 0.025, mid, rng)
    elif setting == "forest":
        _conifers(draw, size, 0.6, 0.16, _mix(far, horizon_colour, 0.55), rng, 0.03)
        image = _haze(image, horizon_colour, 60)
        draw = ImageDraw.Draw(image)
        _conifers(draw, size, 0.72, 0.3, far, rng, 0.07)
        image = _haze(image, horizon_colour, 25)
        draw = ImageDraw.Draw(image)
        _ridge(draw, size, 0.78, 0.02, mid, rng)
    elif setting == "field":
        crest = _ridge(draw, size, 0.595, 0.008, _mix(mid, (20, 40, 20), 0.5), rng, 3)
        _round_trees(draw, crest, height, _mix(mid, (16, 36, 20), 0.55), rng, 10)
        ground = _gradient((width, height - round(height * 0.6)), (far, mid, near))
        image.paste(ground, (0, round(height * 0.6)))
        draw = ImageDraw.Draw(image)
        vanish_x = width * (0.5 + side * 0.1)
        for k in range(-24, 25):  # furrows converge on the horizon
            x = vanish_x + k * width * 0.09
            draw.line((vanish_x, height * 0.6, x, height), fill=_scale(mid, 0.86) + (255,),
                      width=max(1, round(height / 300)))
    elif setting == "sea":
        water = _gradient((width, height - round(height * 0.6)), (_mix(far, horizon_colour, 0.3), mid, near))
        image.paste(water, (0, round(height * 0.6)))
        draw = ImageDraw.Draw(image)
        _glints(draw, size, (0.61, 1.0), palette.light, rng, 160)
    elif setting == "desert":
        _ridge(draw, size, 0.6, 0.03, _mix(far, horizon_colour, 0.5), rng, 0.6)
        image = _haze(image, horizon_colour, 30)
        draw = ImageDraw.Draw(image)
        _ridge(draw, size, 0.7, 0.05, far, rng, 0.5)
        _ridge(draw, size, 0.8, 0.04, mid, rng, 0.7)
    elif setting == "city":
        windows = palette.light if mood in ("night", "dawn", "storm") else None
        _skyline(draw, size, 0.74, 0.4, _mix(far, horizon_colour, 0.5), None, rng)
        image = _haze(image, horizon_colour, 50)
        draw = ImageDraw.Draw(image)
        _skyline(draw, size, 0.8, 0.3, far, windows, rng)
        draw.rectangle((0, height * 0.8, width, height), fill=mid + (255,))
    elif setting == "interior":
        image = _room(image, palette, mood, side, rng)
    elif setting == "hive":
        image = _hexagons(image, height * 0.07, palette.land[2], palette.land[0], palette.sky[2], rng)
        image = image.filter(ImageFilter.GaussianBlur(height / 300))
        image = _glow(image, (width * (0.5 - side * 0.25), height * 0.35), height * 0.3, palette.light, 70,
                      height * 0.15)
        image = _hexagons(image, height * 0.1, palette.land[2], palette.land[1], palette.sky[1], rng, 0.8)
    elif setting == "underwater":
        image = _rays(image, palette.light, rng)
        _ridge(ImageDraw.Draw(image), size, 0.8, 0.04, _mix(palette.sky[2], near, 0.4), rng, 1.5)
        image = _haze(image, palette.sky[2], 40)
        _ridge(ImageDraw.Draw(image), size, 0.9, 0.015, far, rng)
    elif setting == "sky":
        image = _clouds(image, (0.55, 0.75), far, near, 7, rng)
        image = _haze(image, horizon_colour, 40)
        image = _clouds(image, (0.2, 0.45), far, mid, 3, rng)
    elif setting == "space":
        image = _nebula(image, rng)
        image = _stars(image, rng, 1.0, int(width * height / 1500))
        image = _planet(image, (width * (0.5 - side * 0.3), height * 0.3), height * 0.16, rng)
    return image


def _glints(draw: ImageDraw.ImageDraw, size: tuple[int, int], band: tuple[float, float], light: RGB,
            rng: random.Random, count: int) -> None:
    width, height = size
    for _ in range(count):
        y = rng.uniform(*band) * height
        length = width * rng.uniform(0.01, 0.05) * (y / height)
        x = rng.uniform(0, width)
        draw.line((x, y, x + length, y), fill=light + (rng.randint(60, 170),), width=max(1, height // 400))


def _peaks(draw: ImageDraw.ImageDraw, size: tuple[int, int], base: float, tall: float, colour: RGB,
           snow: RGB, rng: random.Random) -> None:
    width, height = size
    x, points = -width * 0.1, [(-width * 0.1, height)]
    summits = []
    while x < width * 1.1:
        valley = base * height - rng.uniform(0, 0.06) * height
        top = (x + width * rng.uniform(0.08, 0.16), base * height - tall * height * rng.uniform(0.55, 1.0))
        points += [(x, valley), top]
        summits.append((top, x))
        x = top[0] + width * rng.uniform(0.08, 0.16)
    points += [(x, base * height), (x, height)]
    draw.polygon(points, fill=colour + (255,))
    for (sx, sy), left in summits:  # a snow cap: the top fifth of the slope each side
        depth = (base * height - sy) * 0.22
        spread = (sx - left) * 0.22
        draw.polygon([(sx - spread, sy + depth), (sx, sy), (sx + spread * 0.9, sy + depth),
                      (sx + spread * 0.3, sy + depth * 0.75), (sx - spread * 0.3, sy + depth * 0.85)],
                     fill=snow + (255,))


def _room(image: Image.Image, palette: Palette, mood: str, side: int, rng: random.Random) -> Image.Image:
    """A wall with an arched window on the side away from the main subject, and a table top."""
    width, height = image.size
    draw = ImageDraw.Draw(image)
    wood = palette.land
    draw.rectangle((0, height * 0.56, width, height * 0.6), fill=_scale(palette.sky[2], 0.8) + (255,))
    cx, w = width * (0.5 - side * 0.3), width * 0.16
    top, bottom = height * 0.12, height * 0.6
    outside = ((20, 26, 64), (40, 48, 96), (70, 70, 120)) if mood == "night" else \
        ((150, 196, 236), (196, 222, 240), (246, 236, 210))
    pane = _gradient((round(w), round(bottom - top)), outside)
    mask = Image.new("L", pane.size, 0)
    ImageDraw.Draw(mask).rectangle((0, w / 2, pane.width, pane.height), fill=255)
    ImageDraw.Draw(mask).ellipse((0, 0, pane.width, w), fill=255)
    image.paste(pane, (round(cx - w / 2), round(top)), mask)
    frame = _scale(wood[2], 0.8) + (255,)
    line = max(3, round(width / 160))
    draw = ImageDraw.Draw(image)
    draw.arc((cx - w / 2, top, cx + w / 2, top + w), 180, 360, fill=frame, width=line)
    for x in (cx - w / 2, cx, cx + w / 2):
        draw.line((x, top + w / 2, x, bottom), fill=frame, width=line)
    draw.line((cx - w / 2, top + w * 1.2, cx + w / 2, top + w * 1.2), fill=frame, width=line)
    draw.rectangle((cx - w * 0.6, bottom, cx + w * 0.6, bottom + height * 0.02), fill=frame)
    if mood == "night":
        moon = (cx + w * 0.15, top + w * 0.8)
        image = _glow(image, moon, w * 0.12, (240, 240, 255), 230, 2)
    # the lamp light falls on the wall behind the subject
    image = _glow(image, (width * (0.5 + side * 0.15), height * 0.45), height * 0.35, palette.light,
                  90 if mood == "night" else 50, height * 0.2)
    table = _gradient((width, height - round(height * 0.72)), (wood[0], wood[1], wood[2]))
    image.paste(table, (0, round(height * 0.72)))
    draw = ImageDraw.Draw(image)
    draw.line((0, height * 0.72, width, height * 0.72), fill=_mix(wood[0], palette.light, 0.4) + (255,),
              width=max(2, height // 200))
    for _ in range(18):  # grain
        y = rng.uniform(0.74, 1.0) * height
        draw.line((rng.uniform(-0.2, 0.6) * width, y, rng.uniform(0.5, 1.2) * width, y + rng.uniform(-4, 4)),
                  fill=_scale(wood[1], 0.85) + (120,), width=max(1, height // 400))
    return image


def _rays(image: Image.Image, light: RGB, rng: random.Random) -> Image.Image:
    width, height = image.size
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for _ in range(7):
        x, spread = rng.uniform(0, width), width * rng.uniform(0.03, 0.08)
        lean = width * rng.uniform(0.05, 0.2)
        draw.polygon([(x - spread / 3, 0), (x + spread / 3, 0), (x + lean + spread, height),
                      (x + lean - spread, height)], fill=light + (rng.randint(25, 50),))
    return Image.alpha_composite(image, layer.filter(ImageFilter.GaussianBlur(width / 60)))


def _nebula(image: Image.Image, rng: random.Random) -> Image.Image:
    width, height = image.size
    for colour in ((120, 60, 160), (40, 120, 150)):
        centre = (rng.uniform(0.2, 0.8) * width, rng.uniform(0.2, 0.7) * height)
        image = _glow(image, centre, height * rng.uniform(0.25, 0.4), colour, 70, height * 0.15)
    return image


def _planet(image: Image.Image, centre: tuple[float, float], radius: float,
            rng: random.Random) -> Image.Image:
    x, y = centre
    body = Image.new("RGBA", image.size, (0, 0, 0, 0))
    tint = rng.choice(((214, 150, 110), (110, 160, 220), (200, 180, 140)))
    draw = ImageDraw.Draw(body)
    draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=tint + (255,))
    for k in range(1, 4):  # bands
        draw.ellipse((x - radius, y - radius * 0.1 * k - radius * 0.2, x + radius,
                      y + radius * 0.1 * k), outline=_scale(tint, 0.85) + (255,), width=2)
    mask = Image.new("L", image.size, 0)
    ImageDraw.Draw(mask).ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    shade = Image.new("RGBA", image.size, (0, 0, 0, 0))
    ImageDraw.Draw(shade).ellipse((x - radius * 0.6, y - radius * 1.3, x + radius * 1.6, y + radius * 0.9),
                                  fill=(0, 0, 20, 150))
    shade = shade.filter(ImageFilter.GaussianBlur(radius * 0.3))
    body = Image.alpha_composite(body, Image.composite(shade, Image.new("RGBA", image.size), mask))
    body.putalpha(Image.composite(body.getchannel("A"), Image.new("L", image.size, 0), mask))
    image = _glow(image, centre, radius * 1.15, tint, 60, radius * 0.15)
    return Image.alpha_composite(image, body)


def vignette(image: Image.Image, strength: float = 0.5) -> Image.Image:
    """Darken the edges (painted once here, cheaper than a per-frame filter)."""
    mask = Image.radial_gradient("L").resize(image.size, Image.Resampling.BILINEAR)
    mask = mask.point(lambda v: int(255 * strength * max(0.0, (v / 255 - 0.45) / 0.55) ** 1.6))
    return Image.composite(Image.new("RGB", image.size), image, mask)


def paint_plate(size: tuple[int, int], palette: Palette, setting: str, mood: str, seed: int,
                side: int = 1, disc: bool = True) -> Image.Image:
    """The background of the setting: its sky (or wall, or water), light and far scenery.
    `side` (+1 or -1) is where the main subject stands; the light goes opposite. `disc`
    False leaves out the sun or moon itself (a subject shows it)."""
    rng = random.Random(seed)
    image = _gradient(size, palette.sky).convert("RGBA")
    if setting in _OPEN_SKY:
        image = _sky_plate(image, palette, mood, setting, side, rng, disc)
        if mood in ("storm", "mist") or setting == "sky":
            shade = _mix(palette.sky[1], (40, 40, 44), 0.3) if mood == "storm" else palette.sky[1]
            image = _clouds(image, (0.08, 0.4), _mix(palette.sky[2], _WHITE, 0.4), shade, 5, rng,
                            150 if setting != "sky" else 235)
    image = _paint_land(image, palette, setting, mood, side, rng)
    return vignette(image.convert("RGB"))


def paint_foreground(size: tuple[int, int], palette: Palette, setting: str, seed: int) -> Image.Image:
    """The nearest band of the setting on transparency (grass, a wave crest, a table edge),
    slid across the frame faster than the plate for parallax."""
    width, height = size
    rng = random.Random(seed * 7919 + 1)
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    near = _scale(palette.land[2], 0.8)
    if setting in ("hills", "field", "forest", "lake", "mountains"):
        _ridge(draw, size, 0.93, 0.02, near, rng)
        for _ in range(int(width / 7)):  # grass blades along the crest
            x = rng.uniform(0, width)
            h = height * rng.uniform(0.03, 0.08)
            y = height * 0.94
            lean = rng.uniform(-0.4, 0.4) * h
            draw.polygon([(x - 3, y), (x + lean, y - h), (x + 3, y)], fill=near + (255,))
    elif setting in ("snow", "desert"):
        _ridge(draw, size, 0.94, 0.015, palette.land[2] if setting == "snow" else near, rng, 0.7)
    elif setting == "sea":
        for k, colour in enumerate((palette.land[1], palette.land[2])):
            _ridge(draw, size, 0.88 + 0.05 * k, 0.012, colour, rng, 6)
        for _ in range(int(width / 30)):  # foam
            x, y = rng.uniform(0, width), height * rng.uniform(0.885, 0.95)
            r = height * rng.uniform(0.003, 0.006)
            draw.ellipse((x - r * 3, y - r, x + r * 3, y + r), fill=(240, 250, 255, rng.randint(60, 130)))
    elif setting == "underwater":
        for _ in range(int(width / 40)):  # kelp
            x, h = rng.uniform(0, width), height * rng.uniform(0.15, 0.35)
            points = [(x + math.sin(k / 3 + x) * height * 0.015, height - h * k / 12) for k in range(13)]
            draw.line(points, fill=_mix(near, (20, 90, 60), 0.6) + (255,), width=max(3, height // 80))
        _ridge(draw, size, 0.96, 0.01, palette.land[1], rng)
    elif setting == "city":
        draw.rectangle((0, height * 0.95, width, height), fill=_scale(near, 0.6) + (255,))
        post = width * rng.uniform(0.1, 1.2)
        draw.rectangle((post, height * 0.45, post + height * 0.012, height), fill=_scale(near, 0.5) + (255,))
        draw.ellipse((post - height * 0.02, height * 0.43, post + height * 0.032, height * 0.47),
                     fill=palette.light + (230,))
    elif setting in ("interior", "hive"):
        draw.rectangle((0, height * 0.95, width, height), fill=_scale(palette.land[2], 0.7) + (255,))
        draw.line((0, height * 0.95, width, height * 0.95), fill=_mix(palette.land[1], palette.light, 0.3) +
                  (255,), width=max(2, height // 200))
    elif setting == "sky":
        return _clouds(layer, (0.95, 1.0), palette.land[0], palette.land[2], 9, rng)
    elif setting == "space":
        _ridge(draw, size, 0.95, 0.01, palette.land[1], rng, 0.5)
        for _ in range(6):
            x, r = rng.uniform(0, width), height * rng.uniform(0.008, 0.02)
            draw.ellipse((x - r * 2, height * 0.965 - r, x + r * 2, height * 0.965 + r),
                         fill=_scale(palette.land[2], 0.7) + (255,))
    return layer.filter(ImageFilter.GaussianBlur(1.2))


def paint_particles(size: tuple[int, int], palette: Palette, kind: str, seed: int) -> Image.Image:
    """Specks on transparency that the animatic scrolls: "motes" (dust, pollen: they rise),
    "snow" and "rain" (they fall) or "bubbles" (they rise)."""
    width, height = size
    rng = random.Random(seed * 31 + 5)
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    unit = min(size) / 720
    count = {"rain": width * height / 1500, "snow": width * height / 5000}.get(kind, width * height / 9000)
    for _ in range(int(count)):
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        if kind == "rain":
            length = unit * rng.uniform(14, 30)
            draw.line((x, y, x - length * 0.15, y + length), fill=(220, 230, 245, rng.randint(50, 110)),
                      width=max(1, round(unit)))
        elif kind == "bubbles":
            r = unit * rng.uniform(2, 7)
            draw.ellipse((x - r, y - r, x + r, y + r), outline=(230, 250, 255, 150),
                         width=max(1, round(unit)))
            draw.ellipse((x - r / 2, y - r / 2, x - r / 6, y - r / 6), fill=(255, 255, 255, 170))
        else:
            r = unit * (rng.uniform(2.0, 4.5) if kind == "snow" else rng.uniform(1.0, 3.2))
            colour = (250, 252, 255) if kind == "snow" else palette.light
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour + (rng.randint(80, 200) if kind == "snow"
                                                                  else rng.randint(45, 130),))
    return layer.filter(ImageFilter.GaussianBlur(0.8))


def subject_padding(picture: Picture, height: int) -> int:
    """The transparent margin around a painted subject: room for its shadow, or its glow."""
    return round(height * (0.45 if picture.name in _GLOWING else 0.12))


def paint_subject(picture: Picture, height: int, palette: Palette, mood: str, *, grounded: bool,
                  mirror: bool = False, haze: float = 0.0) -> Image.Image:
    """One picture of the set, `height` pixels tall, lit like the scene (dimmer at night,
    warmer at dawn), faded toward the horizon by `haze`, with a soft shadow: on the ground
    under it when it stands, below it when it hovers. A lamp, a candle or a fire glows."""
    art = Image.open(picture.path).convert("RGBA")
    art = art.crop(art.getbbox() or (0, 0, art.width, art.height))
    width = max(1, round(art.width * height / art.height))
    art = art.resize((width, height), Image.Resampling.LANCZOS)
    if mirror:
        art = art.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    pixels = np.asarray(art).astype(np.float32)
    light = np.array(_mix(_WHITE, palette.light, 0.35), dtype=np.float32) / 255
    brightness = {"night": 0.72, "storm": 0.85, "dawn": 0.92, "mist": 0.95}.get(mood, 1.0)
    rgb = pixels[..., :3] * light * brightness
    rgb = rgb + (np.array(palette.sky[2], dtype=np.float32) - rgb) * haze
    art = Image.fromarray(np.dstack([rgb, pixels[..., 3]]).clip(0, 255).astype(np.uint8), "RGBA")
    bust = picture.group in _BUSTS
    if bust:  # a half figure: fade its cut edge (the lowest quarter) into the scene
        fade = np.clip((1 - np.linspace(0.0, 1.0, height)) / 0.25, 0, 1) ** 0.7
        alpha = np.asarray(art.getchannel("A")).astype(np.float32) * fade[:, None]
        art.putalpha(Image.fromarray(alpha.astype(np.uint8), "L"))
    pad = subject_padding(picture, height)
    canvas = Image.new("RGBA", (width + 2 * pad, height + 2 * pad), (0, 0, 0, 0))
    if picture.name in _GLOWING:
        centre = (pad + width / 2, pad + height * 0.3)
        canvas = _glow(canvas, centre, height * 0.55, palette.light, 120 if mood == "night" else 70,
                       height * 0.2)
    shadow = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(shadow)
    if grounded and not bust:  # a half figure has no feet to cast a shadow
        foot = pad + height
        draw.ellipse((pad + width * 0.12, foot - height * 0.045, pad + width * 0.88, foot + height * 0.045),
                     fill=(0, 0, 0, 110))
    elif not grounded:
        shadow.paste((0, 0, 0, 70), (pad, pad + round(height * 0.06)), art.getchannel("A"))
    canvas = Image.alpha_composite(canvas, shadow.filter(ImageFilter.GaussianBlur(height * 0.03)))
    canvas.alpha_composite(art, (pad, pad))
    return canvas


@dataclass(frozen=True)
class Layer:
    """A painted layer, where its top-left corner sits (in the plate for subjects, else in the
    frame), and how the animatic moves it: "" (still or moved by the camera alone), "bob",
    "walk", "float" (subjects), "rise", "fall", "rain" (particles)."""

    path: Path
    x: int = 0
    y: int = 0
    motion: str = ""
    phase: float = 0.0


@dataclass(frozen=True)
class Placement:
    """Where and how one subject is drawn in the plate."""

    name: str
    picture: Picture
    cx: float  # centre, fraction of the plate's width
    base: float  # bottom when it stands, centre when it hovers: fraction of the plate's height
    height: float  # fraction of the plate's shorter side (a little more in a tall frame)
    grounded: bool
    mirror: bool
    haze: float


def _motion(placed: Placement) -> str:
    if not placed.grounded:
        return "float"
    if placed.picture.group in _STILL_GROUPS:
        return ""
    return "walk" if placed.picture.group.startswith(_WALKERS) else "bob"


def arrange(depiction: Depiction, size: tuple[int, int], seed: int) -> list[Placement]:
    """Where each subject goes, back to front: the main one large on a third of the frame,
    a second one smaller and further back on the other side, props small and near. A plural
    main subject with room to spare is drawn again, smaller and mirrored, as a group."""
    width, height = size
    side = 1 if seed % 2 else -1
    portrait = height > width
    ground = GROUND[depiction.setting]
    subjects = list(depiction.subjects)
    if not subjects:
        return []
    main, rest = subjects[0], subjects[1:]
    second = rest[0] if rest else None
    props = rest[1:]

    def spot(picture: Picture, grounded_base: float, flying_base: float) -> tuple[float, bool]:
        """(base, stands) for a picture: on the ground at `grounded_base` where there is
        ground and it does not fly, else hovering centred at `flying_base`."""
        if ground is not None and not picture.flies:
            return min(grounded_base, 0.92), True
        return flying_base, False

    placed: list[Placement] = []
    main_x = 0.5 if portrait else 0.5 + side * 0.14
    other_x = 0.5 - side * (0.22 if portrait else 0.24)
    g = ground or 0.85
    back_picture = second.picture if second else (main.picture if main.plural else None)
    if back_picture is not None:
        base, grounded = spot(back_picture, g - 0.07, 0.3 if portrait else 0.36)
        placed.append(Placement("second" if second else "group", back_picture, other_x, base,
                              0.3 if grounded else 0.24, grounded, second is None, 0.12))
    if main.plural and len(props) < 2:
        props = [main, *props]  # one more of the group, small and near
    base, grounded = spot(main.picture, g, 0.5 if portrait else 0.46)
    placed.append(Placement("main", main.picture, main_x, base, 0.46 if grounded else 0.4, grounded,
                          False, 0.0))
    slots = [(main_x + side * (0.25 if portrait else 0.23), 0.24), (0.5 - side * 0.11, 0.16)]
    for n, (prop, (x, sky_y)) in enumerate(zip(props, slots, strict=False)):
        base, grounded = spot(prop.picture, g + 0.04, sky_y)
        placed.append(Placement(f"prop{n + 1}", prop.picture, x, base, 0.2 if grounded else 0.15,
                              grounded, prop is main, 0.0))
    return placed


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


def _particle_kind(depiction: Depiction) -> str:
    if depiction.weather:
        return depiction.weather
    return "bubbles" if depiction.setting == "underwater" else "motes"


def save_layers(directory: Path, size: tuple[int, int], *, style: str, visual: str, title: str,
                seed: int, overscan: float) -> dict[str, Layer]:
    """Paint every layer of a designed shot into `directory`, in the order they are stacked:
    the plate, the subjects (placed in the plate, so the camera moves them too), the near
    foreground, particles, and a title layer only when there is a title (the visual prompt is
    never shown).

    Transparent layers are cropped to what they show: the compositor's cost grows with area.
    """
    depiction = depict(visual, title, style)
    palette = palette_for(depiction.setting, depiction.mood)
    width, height = size
    big = (round(width * overscan / 2) * 2, round(height * overscan / 2) * 2)
    side = 1 if seed % 2 else -1
    rng = random.Random(seed * 131 + 7)
    disc = not any(s.picture.name in _SKY_BODIES for s in depiction.subjects)
    paint: dict[str, Callable[[], Image.Image]] = {
        "plate": lambda: paint_plate(big, palette, depiction.setting, depiction.mood, seed, side, disc)}
    placed = arrange(depiction, big, seed)
    spots: dict[str, tuple[int, int, str, float]] = {}
    reach = min(big) * (1.35 if big[1] > big[0] else 1.0)  # a tall frame has room for more
    for item in placed:
        tall = round(reach * item.height)
        image = paint_subject(item.picture, tall, palette, depiction.mood, grounded=item.grounded,
                              mirror=item.mirror, haze=item.haze)
        pad = subject_padding(item.picture, tall)
        x = round(item.cx * big[0] - image.width / 2)
        y = round(item.base * big[1] - (tall + pad if item.grounded else image.height / 2))
        spots[item.name] = (x, y, _motion(item), round(rng.uniform(0, 6.28), 3))
        paint[item.name] = lambda image=image: image
    paint["foreground"] = lambda: paint_foreground((round(width * 1.3), height), palette,
                                                   depiction.setting, seed)
    kind = _particle_kind(depiction)
    paint["particles"] = lambda: paint_particles((width, height * 2), palette, kind, seed)
    if title:
        paint["title"] = lambda: paint_title(size, title, palette)
    layers = {}
    for name, make in paint.items():
        image = make()
        x, y, motion, phase = spots.get(name, (0, 0, "", 0.0))
        if name in ("foreground", "title"):
            box = image.getbbox() or (0, 0, 2, 2)
            x, y = (box[0], box[1]) if name == "title" else (0, box[1])
            image = image.crop((x, y, box[2] if name == "title" else image.width, box[3]))
        if name == "particles":
            motion = {"snow": "fall", "rain": "rain"}.get(kind, "rise")
        path = directory / f"{name}.png"
        image.save(path)
        layers[name] = Layer(path, x, y, motion, phase)
    return layers
