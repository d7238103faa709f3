from __future__ import annotations

from storyreel.storyboards import Storyboard, compose_prompt

HERDER = "a young Ethiopian goat herder in a red cloak"


def board(**top: object) -> Storyboard:
    return Storyboard.model_validate({
        "title": "Coffee",
        "cast": [{"id": "kaldi", "description": HERDER, "reference": "assets/kaldi.png"},
                 {"id": "monk", "description": "an old monk in a white robe"}],
        "shots": [
            {"id": "hills", "narration": "Goats.", "visual": "goats on a hillside",
             "cast": ["kaldi"]},
            {"id": "night", "narration": "Monks.", "visual": "candle-lit monastery",
             "cast": ["monk", "kaldi"]},
            {"id": "cup", "narration": "Today.", "visual": "a cup by a window"},
        ],
        **top,
    })


def test_a_cast_member_is_described_the_same_in_every_shot_it_is_in():
    film = board()
    hills, night = (compose_prompt(film, film.shot(i)) for i in ("hills", "night"))
    assert f"kaldi: {HERDER}" in hills.positive and f"kaldi: {HERDER}" in night.positive
    assert night.positive.index("monk: ") < night.positive.index("kaldi: ")  # the shot's order
    assert hills.positive.endswith("goats on a hillside")


def test_a_shot_without_cast_describes_nobody_and_has_no_references():
    film = board()
    cup = compose_prompt(film, film.shot("cup"))
    assert "kaldi" not in cup.positive and "monk" not in cup.positive
    assert cup.positive == "a cup by a window" and cup.references == []


def test_references_are_the_cast_members_images():
    film = board()
    assert compose_prompt(film, film.shot("night")).references == ["assets/kaldi.png"]


def test_look_style_then_old_style_then_palette_then_cast_then_visual():
    film = board(look={"style": "watercolour", "palette": ["ochre", "#c0392b"]},
                 style="golden light")
    prompt = compose_prompt(film, film.shot("hills"))
    assert prompt.positive == (f"watercolour. golden light. palette: ochre, #c0392b. "
                               f"kaldi: {HERDER}. goats on a hillside")
    assert prompt.style == "watercolour. golden light. palette: ochre, #c0392b"
    assert prompt.subject == f"kaldi: {HERDER}. goats on a hillside"


def test_the_same_style_under_both_keys_is_said_once():
    film = board(look={"style": "golden light", "palette": "ochre and green"}, style="golden light")
    assert compose_prompt(film, film.shot("cup")).style == "golden light. palette: ochre and green"


def test_negative_joins_the_look_and_the_generators_negative_prompt():
    film = board(look={"negative": "text, watermark"}, generator={"negative_prompt": "blurry"})
    assert compose_prompt(film, film.shot("cup")).negative == "text, watermark, blurry"
    assert compose_prompt(board(), board().shot("cup")).negative == ""


def test_a_given_visual_replaces_the_shots_own():
    film = board()
    prompt = compose_prompt(film, film.shot("hills"), "goats dance")
    assert prompt.subject == f"kaldi: {HERDER}. goats dance"
