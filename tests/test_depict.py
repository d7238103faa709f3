"""Words -> what the offline animatic draws: subjects from the bundled illustration set, and the
setting painted behind them. A shot about honeybees shows bees, never a skyline."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from storyreel.generators import ClipRequest
from storyreel.generators import depict as depict_module
from storyreel.generators.animatic import AnimaticGenerator
from storyreel.generators.depict import ART, MOODS, SETTINGS, depict, home_setting, pictures
from storyreel.tools.ffmpeg import run_ffmpeg

# Written for this test, not taken from the tuning examples: (shot, main subject, setting).
SHOTS = [
    # animals
    ("a herd of elephants crossing the dry savanna", "elephant", "field"),
    ("an owl perched on a branch in a dark forest at night", "owl", "forest"),
    ("a school of tropical fish darting around a coral reef", "tropical fish", "underwater"),
    ("a polar bear walking across the arctic ice", "polar bear", "snow"),
    ("two horses grazing in a green pasture", "horse", "field"),
    ("a butterfly resting on a rose in the garden", "butterfly", "field"),
    # food
    ("a steaming bowl of noodle soup on a restaurant table", "steaming bowl", "interior"),
    ("fresh bread and croissants in a bakery window", "bread", "interior"),
    ("a slice of pizza with melted cheese", "pizza", "interior"),
    ("ripe grapes hanging in a vineyard at harvest", "grapes", "hills"),
    ("a birthday cake with candles", "birthday cake", "interior"),
    # machines
    ("an old locomotive puffing smoke through the hills", "locomotive", "hills"),
    ("a laptop and a desktop computer in a quiet office", "laptop", "interior"),
    ("a helicopter flying over the city skyline", "helicopter", "city"),
    ("a satellite orbiting the earth", "satellite", "space"),
    ("a tractor pulling a plough across the farm", "tractor", "field"),
    # places
    ("a medieval castle on a hill", "castle", "hills"),
    ("a church in a small village", "church", "city"),
    ("a sailboat anchored in a quiet harbour", "sailboat", "sea"),
    ("a volcano erupting at night", "volcano", "mountains"),
    # people
    ("a doctor listening to a patient's heartbeat", "health worker", "interior"),
    ("an astronaut floating outside the space station", "astronaut", "space"),
    ("a teacher writing on the blackboard in a classroom", "teacher", "interior"),
    ("a firefighter spraying water on a burning building", "firefighter", "city"),
    ("children flying kites on a windy beach", "child", "sea"),
    # weather
    ("dark storm clouds and lightning over the ocean", "high voltage", "sea"),
    ("a rainbow over green hills after the rain", "rainbow", "hills"),
    ("snowflakes falling on a quiet pine forest", "snowflake", "forest"),
    # abstract ideas
    ("the growth of the global economy", "chart increasing", "interior"),
    ("love and friendship", "red heart", "sky"),
]


@pytest.mark.parametrize(("shot", "subject", "setting"), SHOTS, ids=[s[0][:40] for s in SHOTS])
def test_shot_words_pick_a_fitting_subject_and_setting(shot: str, subject: str, setting: str):
    depiction = depict(shot)
    assert [s.picture.name for s in depiction.subjects][:1] == [subject]
    assert depiction.setting == setting
    assert depiction.note == ""


def test_the_coffee_story_is_not_all_skylines():
    monks = depict("candle-lit monastery, steaming clay pot, night", "A drink to stay awake")
    assert monks.setting == "interior" and monks.mood == "night"
    assert {"candle", "amphora"} <= {s.picture.name for s in monks.subjects}
    goats = depict("goat herder on a hillside, goats leaping, red berries")
    assert (goats.subjects[0].picture.name, goats.subjects[0].plural) == ("goat", True)
    assert goats.subjects[1].picture.name == "farmer"  # "goat herder": goat only qualifies him
    assert goats.setting == "hills"


def test_a_hive_is_painted_as_honeycomb_and_shows_bees():
    inside = depict("inside the hive, worker bees building wax honeycomb")
    assert inside.setting == "hive" and [s.picture.name for s in inside.subjects] == ["honeybee"]
    outside = depict("empty hives in a field under grey skies")
    assert outside.setting == "field" and outside.mood == "storm"


def test_plurals_and_verb_forms_are_reduced_by_hand_only_to_known_words():
    index = depict_module._index()
    assert index.noun("cherries") == ("cherry", True)
    assert index.noun("geese") == ("goose", True)
    assert index.noun("leaves") == ("leaf", True)
    assert index.noun("bus") == ("bus", False)  # "bu" is no word: not a plural
    assert index.noun("glasses") == ("glasses", False)
    assert index.verb("sailing") == "sail" and index.verb("running") == "run"
    # a verb form is not a picture: bees building honeycomb are not an office building
    assert "office building" not in {s.picture.name for s in depict("bees building a comb").subjects}


def test_words_that_match_nothing_leave_a_note_instead_of_an_unrelated_picture():
    depiction = depict("the ineffable quality of a quiet afternoon")
    assert depiction.subjects == ()
    assert "no picture of the illustration set matches" in depiction.note
    assert depiction.setting in SETTINGS and depiction.mood in MOODS


def test_light_and_weather_come_from_the_words_then_the_style():
    assert depict("a fishing boat in a storm at sea").mood == "storm"
    assert depict("a duck on a lake", style="warm documentary, golden light").mood == "golden"
    assert depict("a duck on a lake at dawn", style="golden light").mood == "dawn"
    assert depict("rain on a city street at night").weather == "rain"
    first, second = depict("misty highlands at dawn"), depict("highlands at dawn, misty")
    assert (first.setting, first.mood) == (second.setting, second.mood) == ("hills", "dawn")


def test_every_name_in_the_hand_written_tables_is_a_picture_of_the_set():
    names = {p.name for p in pictures().values()}
    assert set(depict_module._SYNONYMS.values()) <= names
    assert set(depict_module._HOMES) <= names
    assert {home_setting(p) for p in pictures().values()} <= set(SETTINGS)


def test_the_index_lists_exactly_the_bundled_pictures_with_their_licence():
    index = json.loads((ART / "index.json").read_text(encoding="utf-8"))
    files = {p.stem for p in ART.glob("*.webp")}
    assert set(index) == files and 300 <= len(files) <= 800
    assert sum(p.stat().st_size for p in ART.iterdir()) < 4_000_000  # the install stays light
    assert "MIT License" in (ART / "LICENSE").read_text(encoding="utf-8")
    assert depict_module.CREDIT in (ART / "CREDITS.md").read_text(encoding="utf-8")


@pytest.fixture
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYREEL_CACHE_DIR", str(tmp_path / "cache"))


def _render(prompt: str, tmp_path: Path, name: str) -> tuple[np.ndarray, bytes]:
    """The middle frame of a small designed shot, and the clip's bytes."""
    request = ClipRequest(prompt=prompt, width=320, height=180, fps=12, num_frames=12, seed=3,
                          camera="static")
    clip = tmp_path / f"{name}.mp4"
    AnimaticGenerator()(request, clip)
    still = tmp_path / f"{name}.png"
    run_ffmpeg(["-ss", "0.5", "-i", str(clip), "-frames:v", "1", str(still)])
    return np.asarray(Image.open(still).convert("RGB")).astype(np.int16), clip.read_bytes()


def test_the_subject_is_drawn_in_the_rendered_shot(tmp_path: Path, own_cache: None):
    bee, _ = _render("a honeybee over a quiet summer meadow", tmp_path, "bee")
    empty, _ = _render("a quiet summer meadow", tmp_path, "empty")
    assert depict("a quiet summer meadow").setting == depict("a honeybee over a meadow").setting
    changed = np.abs(bee - empty).sum(axis=2) > 60
    assert changed.mean() > 0.05  # a large part of the frame is the bee
    # the bee's own colours: its dark violet stripes appear nowhere in the painted meadow
    def violet(frame: np.ndarray) -> int:
        red, green, blue = frame[..., 0], frame[..., 1], frame[..., 2]
        return int(((blue > green + 40) & (red > green + 10)).sum())

    assert violet(bee) > 50 and violet(empty) == 0


def test_the_same_request_renders_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    clips = []
    for run in ("first", "second"):
        monkeypatch.setenv("STORYREEL_CACHE_DIR", str(tmp_path / run))  # paint the layers again
        clips.append(_render("goats on a hillside at dawn", tmp_path / run, "goats")[1])
    assert clips[0] == clips[1]


def test_the_generator_notes_a_shot_it_cannot_depict(tmp_path: Path):
    def note(prompt: str, image: Path | None = None) -> str:
        return AnimaticGenerator.note(ClipRequest(prompt=prompt, width=32, height=18, fps=12,
                                                  num_frames=1, image=image))

    assert note("a goat on a hill") == ""
    assert "the ineffable quality" in note("the ineffable quality of a quiet afternoon")
    assert note("the ineffable quality of a quiet afternoon", tmp_path / "photo.jpg") == ""
