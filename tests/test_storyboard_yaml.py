from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyreel.storyboards import (
    StoryboardError,
    dump_document,
    example_path,
    examples,
    json_schema,
    load_storyboard,
    parse_document,
    save_document,
    validate_document,
)

VALID = """\
# my film
version: 1
title: Demo   # the title
shots:
  - id: one
    narration: "Hello there."   # quoted on purpose
    camera: slow push-in
"""


def problems(text: str) -> list:
    with pytest.raises(StoryboardError) as caught:
        validate_document(parse_document(text))
    return caught.value.problems


def test_round_trip_keeps_comments_order_and_quotes(tmp_path: Path):
    path = tmp_path / "storyboard.yaml"
    path.write_text(VALID)
    board, doc = load_storyboard(path)
    doc["shots"][0]["narration"] = "Hello again."
    save_document(doc, path, backup_dir=tmp_path / "history")
    text = path.read_text()
    assert "# my film" in text and "# the title" in text and "# quoted on purpose" in text
    assert text.index("version") < text.index("title") < text.index("shots")
    assert '"Hello again."' in text  # the user's double quotes survive
    backups = list((tmp_path / "history").iterdir())
    assert len(backups) == 1 and "Hello there." in backups[0].read_text()


def test_invalid_document_is_never_written(tmp_path: Path):
    path = tmp_path / "storyboard.yaml"
    path.write_text(VALID)
    _, doc = load_storyboard(path)
    doc["shots"][0]["duration"] = "forever"
    with pytest.raises(StoryboardError):
        save_document(doc, path)
    assert path.read_text() == VALID


def test_malformed_yaml_names_the_line():
    (problem,) = problems("title: x\nshots:\n  - id: a\n    narration: [unclosed\n")
    assert problem.line is not None and problem.line >= 4
    assert "YAML syntax" in problem.message


def test_wrong_type_names_line_and_field():
    text = VALID.replace("camera: slow push-in", "duration: soon")
    found = problems(text)
    assert any(p.field.startswith("shots.0.duration") and p.line == 7 for p in found)


def test_unknown_key_suggests_the_right_one():
    (problem,) = problems(VALID.replace("narration:", "naration:"))
    assert "unknown key 'naration'" in problem.message
    assert "did you mean 'narration'" in problem.hint
    assert problem.line == 6


def test_empty_shot_list_is_an_error():
    found = problems("title: x\nshots: []\n")
    assert any(p.field == "shots" for p in found)


def test_duplicate_shot_ids_are_an_error():
    found = problems("title: x\nshots:\n  - {id: a, narration: hi}\n  - {id: a, narration: yo}\n")
    assert "used twice" in found[0].message


def test_camera_accepts_natural_phrasing():
    board = validate_document(parse_document(VALID.replace("slow push-in", "Zoom out")))
    assert board.shots[0].camera == "pull-out"


def test_portrait_format_has_even_size():
    board = validate_document(parse_document(VALID + 'format: {aspect: "9:16", height: 720}\n'))
    assert board.format.size == (720, 1280)


def test_examples_are_valid_and_coffee_is_a_minute_of_speech():
    board, _ = load_storyboard(example_path("coffee"))
    words = sum(len(shot.narration.split()) for shot in board.shots)
    assert words >= 160  # about 3 words per second for the bundled voice


def test_schema_describes_the_public_keys():
    schema = json_schema()
    assert {"version", "title", "language", "format", "style", "voice", "music", "subtitles",
            "shots"} <= set(schema["properties"])


def schema_accepts(text: str) -> bool:
    import jsonschema

    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema).is_valid(json.loads(json.dumps(parse_document(text))))


def validator_accepts(text: str) -> bool:
    try:
        validate_document(parse_document(text))
    except StoryboardError:
        return False
    return True


@pytest.mark.parametrize("name", examples())
def test_every_example_matches_the_exported_schema(name: str):
    """`storyreel schema` is what editors check the file with: it must accept our examples."""
    assert schema_accepts(example_path(name).read_text(encoding="utf-8"))


SHORT = example_path("short").read_text(encoding="utf-8")


@pytest.mark.parametrize(("old", "new", "valid"), [
    ("camera: pan-left", "camera: Slow Push-In", True),
    ("camera: pan-left", "camera: pan_left gently", True),
    ("camera: pan-left", "camera: zoom slowly out", True),
    ("transition: fade-black", "duration: 5", True),
    ("height: 360", "height: 720.0", True),
    ("camera: pan-left", "camera: spin around", False),
    ("camera: pan-left", "camera: slow", False),
    ("camera: pan-left", "camera: _pan-left", False),
    ("transition: fade-black", "duration: five seconds", False),
    ("transition: fade-black", "duration: 0", False),
    ("transition: fade-black", "duration: '5'", False),
    ("height: 360", 'height: "720"', False),
    ("height: 360", "height: 360.5", False),
    ("duck: true", "duck: yes", False),
    ("version: 1", "version: true", False),
    ("narration: Hot water wakes its flavour and its colour.", "narration: '   '", False),
    ("narration: Hot water wakes its flavour and its colour.", "narraton: Hot water.", False),
])
def test_schema_and_validator_accept_the_same_documents(old: str, new: str, valid: bool):
    text = SHORT.replace(old, new, 1)
    assert text != SHORT
    assert (schema_accepts(text), validator_accepts(text)) == (valid, valid)


def test_a_wrong_union_value_is_one_line_in_the_users_words(tmp_path: Path):
    path = tmp_path / "storyboard.yaml"
    path.write_text(SHORT.replace("    transition: fade-black", "    duration: five seconds"))
    with pytest.raises(StoryboardError) as caught:
        load_storyboard(path)
    assert str(caught.value) == (f"{path}:21:5: shot 'cup' (2nd): duration must be a number of "
                                 "seconds or 'auto' (got 'five seconds')")
    assert caught.value.exit_code == 2


def test_a_number_out_of_range_names_the_bound():
    (problem,) = problems(SHORT.replace("    transition: fade-black", "    duration: 0"))
    assert problem.message == "shot 'cup' (2nd): duration must be greater than 0 (got 0)"


def test_a_wrong_choice_lists_the_choices():
    (problem,) = problems(SHORT.replace("camera: static", "camera: spin around"))
    assert problem.message.startswith("shot 'calm' (3rd): camera must be 'auto', 'static', ")
    assert problem.message.endswith(" or 'tilt-down' (got 'spin around')") and problem.line == 25


def test_format_height_is_described_as_the_short_side():
    height = json_schema()["$defs"]["Format"]["properties"]["height"]["description"]
    assert "shorter side" in height and "720x1280" in height


def test_dump_of_unchanged_document_is_identical():
    assert dump_document(parse_document(VALID)) == VALID


def test_saving_text_loaded_before_someone_else_edited_is_refused(short_project):
    from storyreel.storyboards.edits import ChangedOnDisk
    from storyreel.studio.chat import editor_for

    editor = editor_for(short_project)
    loaded = short_project.storyboard_path.read_text()
    editor.set_fields("cup", narration="Steam curls up.")  # someone else, meanwhile
    with pytest.raises(ChangedOnDisk):
        editor.replace_text(loaded.replace("push-in", "static"), expected=loaded)
    assert "Steam curls up." in short_project.storyboard_path.read_text()


def _edit_many(storyboard: str, shot_id: str, count: int) -> None:
    from storyreel.studio.chat import editor_for
    from storyreel.studio.project import Project

    editor = editor_for(Project.for_storyboard(storyboard))
    for take in range(count):
        editor.set_fields(shot_id, narration=f"Take {take} of {shot_id}.")


def test_two_programs_editing_at_once_lose_nothing(short_project):
    """The studio and a `storyreel chat` beside it: every edit is a read-modify-write."""
    import multiprocessing

    spawn = multiprocessing.get_context("spawn")
    programs = [spawn.Process(target=_edit_many,
                              args=(str(short_project.storyboard_path), shot, 15))
                for shot in ("leaves", "calm")]
    for program in programs:
        program.start()
    for program in programs:
        program.join(60)
    assert [p.exitcode for p in programs] == [0, 0]
    board, _ = load_storyboard(short_project.storyboard_path)
    assert board.shot("leaves").narration == "Take 14 of leaves."
    assert board.shot("calm").narration == "Take 14 of calm."
    assert len(list(short_project.history_dir.iterdir())) == 30  # every version kept


BIBLE = """\
cast:
  - id: kaldi
    description: a young goat herder in a red cloak
    reference: assets/kaldi.png
look: {style: watercolour, palette: [ochre, "#c0392b"], negative: text}
keyframes: {name: sdxl-turbo, steps: 4, guidance: 0.0, width: 768, height: 432}
shots:"""


def test_an_unknown_cast_id_in_a_shot_is_one_located_line(tmp_path: Path):
    path = tmp_path / "storyboard.yaml"
    path.write_text(SHORT.replace("shots:", BIBLE, 1)
                    .replace("    camera: pan-left", "    cast: [kaldi, kaldy]\n    camera: pan-left"))
    with pytest.raises(StoryboardError) as caught:
        load_storyboard(path)
    line = SHORT.replace("shots:", BIBLE, 1).splitlines().index("    camera: pan-left") + 1
    assert str(caught.value) == (f"{path}:{line}:19: shot 'cup' (2nd): cast.1: 'kaldy' is not "
                                 "in the cast (cast ids: kaldi)")


def test_a_cast_id_given_twice_is_an_error():
    text = SHORT.replace("shots:", BIBLE, 1).replace(
        "    reference: assets/kaldi.png\n", "    reference: assets/kaldi.png\n  - {id: kaldi, "
        "description: x}\n", 1)
    assert "cast id 'kaldi' is used twice" in problems(text)[0].message


@pytest.mark.parametrize(("extra", "valid"), [
    ("", True),
    ("    cast: [kaldi]\n    keyframe: {seed: 3}\n", True),
    ("    cast: [kaldi]\n    keyframe: {seed: '3'}\n", False),
    ("    keyframe: {sed: 3}\n", False),
    ("    cast: kaldi\n", False),
])
def test_schema_and_validator_agree_on_cast_look_and_keyframes(extra: str, valid: bool):
    text = SHORT.replace("shots:", BIBLE, 1).replace("    camera: pan-left",
                                                     extra + "    camera: pan-left")
    assert (schema_accepts(text), validator_accepts(text)) == (valid, valid)


@pytest.mark.parametrize(("old", "new"), [
    ("name: sdxl-turbo", "name: dall-e"),
    ("steps: 4", "steps: 0"),
    ("width: 768", "width: 32"),
    ("description: a young goat herder in a red cloak", "description: '  '"),
    ("palette: [ochre", "palette: [7"),
    ("negative: text", "negative: [text]"),
])
def test_schema_and_validator_refuse_the_same_bible(old: str, new: str):
    text = SHORT.replace("shots:", BIBLE, 1)
    assert old in text
    text = text.replace(old, new, 1)
    assert (schema_accepts(text), validator_accepts(text)) == (False, False)


def test_schema_documents_the_cast_look_and_keyframes():
    schema = json_schema()
    for key in ("cast", "look", "keyframes"):
        assert schema["properties"][key]["description"]
    defs = schema["$defs"]
    assert {"style", "palette", "negative"} <= set(defs["Look"]["properties"])
    assert defs["Keyframes"]["properties"]["name"]["enum"] == [
        "flux-schnell", "sdxl", "sdxl-turbo", "sd3.5", "sd-turbo"]
    assert {"cast", "keyframe"} <= set(defs["Shot"]["properties"])
    assert all(field.get("description") for model in ("CastMember", "Look", "Keyframes")
               for name, field in defs[model]["properties"].items() if name not in ("steps",
                                                                                    "guidance"))
