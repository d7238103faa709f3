from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from storyreel.generators import ClipRequest, animatic, get_generator
from storyreel.generators.animatic import AnimaticGenerator
from storyreel.generators.animatic_art import PALETTES, paint_title
from storyreel.tools.ffmpeg import run_ffmpeg


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYREEL_CACHE_DIR", str(tmp_path / "cache"))


def _frame(prompt: str, title: str, at: float, tmp_path: Path, frames: int = 24) -> np.ndarray:
    """The frame at `at` seconds of a designed 144x256 shot at 12 fps, as RGB values."""
    request = ClipRequest(prompt=prompt, width=144, height=256, fps=12, num_frames=frames,
                          seed=4, title=title)
    clip = tmp_path / f"{abs(hash((prompt, title, frames)))}.mp4"
    if not clip.exists():
        get_generator("animatic")(request, clip)
    still = tmp_path / "frame.png"
    run_ffmpeg(["-ss", str(at), "-i", str(clip), "-frames:v", "1", str(still)])
    return np.asarray(Image.open(still).convert("RGB")).astype(np.int16)


def _differ(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


def test_untitled_shot_shows_no_caption(tmp_path: Path):
    # Same mood and motif words, so the same painting: only a caption could tell them apart.
    first = _frame("misty highlands at dawn", "", 1.5, tmp_path)
    second = _frame("highlands at dawn, misty", "", 1.5, tmp_path)
    assert _differ(first, second) < 0.5
    titled = _frame("misty highlands at dawn", "Highlands", 1.5, tmp_path)
    assert _differ(first, titled) > 2  # a title the user wrote does show


def test_title_fades_out_after_a_few_seconds(tmp_path: Path):
    frames = 96  # 8 s: long enough to render as two halves
    untitled = [_frame("quiet harbour at night", "", at, tmp_path, frames) for at in (2, 6)]
    titled = [_frame("quiet harbour at night", "The Harbour", at, tmp_path, frames)
              for at in (2, 6)]
    assert _differ(untitled[0], titled[0]) > 2  # shown early on
    assert _differ(untitled[1], titled[1]) < 0.5  # gone, clear of the subtitles, later


def test_chinese_title_is_broken_into_lines_inside_the_frame():
    layer = paint_title((360, 640), "咖啡的故事从埃塞俄比亚的高原开始", PALETTES["hills"])
    left, _, right, _ = layer.getbbox()
    assert left > 360 * 0.05 and right < 360 * 0.95


def test_layers_folder_appears_whole_when_two_renders_race(monkeypatch: pytest.MonkeyPatch):
    """Another render publishes the same layers while this one paints: this one must not
    write into the folder the other is already reading from."""
    request = ClipRequest(prompt="tea garden in spring", width=160, height=90, fps=12,
                          num_frames=12, title="Tea")
    paint = animatic.save_layers
    published: dict[str, tuple[int, int]] = {}  # layer file -> (inode, modified)
    raced: list[bool] = []

    def racing_save_layers(directory: Path, *args, **kwargs):
        if not raced:  # the other render runs to the end while this one starts painting
            raced.append(True)
            other = AnimaticGenerator._layers(request)
            published.update({layer.path.name: (layer.path.stat().st_ino,
                                                layer.path.stat().st_mtime_ns)
                              for layer in other.values()})
        return paint(directory, *args, **kwargs)

    monkeypatch.setattr(animatic, "save_layers", racing_save_layers)
    layers = AnimaticGenerator._layers(request)
    folder = layers["plate"].path.parent
    assert sorted(p.name for p in folder.parent.iterdir()) == [folder.name]  # no scratch left
    assert [row[0] for row in json.loads((folder / "layers.json").read_text())] == list(layers)
    for layer in layers.values():
        stat = layer.path.stat()
        assert published[layer.path.name] == (stat.st_ino, stat.st_mtime_ns)  # untouched
        Image.open(layer.path).load()


def test_pans_and_tilts_zoom_in_enough_to_travel():
    """zoompan shows iw/zoom of the plate: at zoom 1 a pan would have nowhere to go."""
    for camera in ("pan-left", "pan-right", "tilt-up", "tilt-down"):
        move = animatic.zoompan(camera, 48, 320, 180, 24)
        assert f"z='{1 + animatic.ZOOM}'" in move, move
