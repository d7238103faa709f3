"""The words capabilities: transcription with the bundled Whisper, and the LLM ones with a
scripted chat model (there is no LLM here). The dub speaks with the bundled English voice, so
its test dubs English speech with a fake translation into other English sentences."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pysubs2
import pytest
from fake_chat import FakeToolCallingModel
from test_tool_sound import SENTENCES, spoken, with_picture, words_of

from storyreel.agent.capabilities import chapter_lines, translate_subtitles, upload_text
from storyreel.studio.manifest import RenderedShot, RenderManifest
from storyreel.studio.project import Project
from storyreel.tools.align import token_key
from storyreel.tools.capabilities import CapabilityError, all_capabilities, run_capability
from storyreel.tools.capabilities.dubbing import dub
from storyreel.tools.ffmpeg import run_ffmpeg
from storyreel.tools.probe import probe
from storyreel.tools.tts_piper import BUNDLED_VOICE

CHAPTER_LINE = re.compile(r"(\d{2}):(\d{2}) (\S.*)")


@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> Path:
    return spoken(tmp_path_factory.mktemp("words"), SENTENCES)


def keys(text: str) -> list[str]:
    return [key for key in map(token_key, text.split()) if key]


def cues_file(path: Path, lines: list[tuple[float, float, str]]) -> Path:
    subs = pysubs2.SSAFile()
    subs.events = [pysubs2.SSAEvent(start=pysubs2.make_time(s=start), end=pysubs2.make_time(s=end),
                                    text=text) for start, end, text in lines]
    subs.save(str(path))
    return path


def test_the_llm_capabilities_are_in_the_registry():
    names = {entry.name for entry in all_capabilities()}
    assert {"transcribe", "translate-subs", "dub", "chapters", "upload-text"} <= names


def test_transcribe_writes_the_spoken_words_as_timed_subtitles(speech, tmp_path):
    out = run_capability("transcribe", [speech], tmp_path / "speech.srt")
    events = pysubs2.load(str(out)).events
    assert keys(" ".join(e.plaintext for e in events)) == keys(" ".join(SENTENCES))
    second = next(e for e in events if "morning" in e.plaintext.lower())
    assert events[0].start < 500 and second.start / 1000 > 1.5 + 1.0  # after the 2 s pause
    words = json.loads(run_capability("transcribe", [speech], tmp_path / "words.json").read_text())
    assert words["language"] == "en" and [token_key(w["text"]) for w in words["words"]][:3] == \
        ["the", "river", "runs"]
    assert all(w["start"] < w["end"] for w in words["words"])


def test_transcribe_refuses_sound_without_speech(tmp_path):
    hum = tmp_path / "hum.wav"
    run_ffmpeg(["-f", "lavfi", "-i", "sine=frequency=120:d=3", str(hum)])
    with pytest.raises(CapabilityError, match="no speech"):
        run_capability("transcribe", [hum], tmp_path / "hum.srt")
    assert not (tmp_path / "hum.srt").exists()


def test_translate_subs_keeps_every_cue_and_its_times(tmp_path):
    source = cues_file(tmp_path / "en.srt", [(0.5, 2.0, "Good morning."), (2.5, 4.0, "Tea?"),
                                             (5.0, 7.5, "Yes, please.")])
    model = FakeToolCallingModel(structured=[
        {"lines": ["Guten Morgen.", "Tee?"]},  # a line short: sent back, answered again
        {"lines": ["Guten Morgen.", "Tee?", "Ja, bitte."]}])
    translate_subtitles(source, tmp_path / "de.srt", "de", model)
    before, after = pysubs2.load(str(source)).events, pysubs2.load(str(tmp_path / "de.srt")).events
    assert [e.plaintext for e in after] == ["Guten Morgen.", "Tee?", "Ja, bitte."]
    assert [(e.start, e.end) for e in after] == [(e.start, e.end) for e in before]
    assert "2 lines for 3" in model.seen[-1][-1].content


def test_dub_speaks_the_new_lines_with_subtitles_as_long_as_the_video(speech, tmp_path):
    video = with_picture(tmp_path, speech)
    said = {"the": "Green apples fall from tall trees.", "every": "Children play in the park."}
    heard_languages = []

    def fake_translation(lines: list[str], language: str) -> list[str]:
        heard_languages.append(language)
        return [said[keys(line)[0]] for line in lines]

    out = dub(video, tmp_path / "dubbed.mp4", language="en", voice=BUNDLED_VOICE,
              translate=fake_translation)
    assert heard_languages == ["en"]
    assert probe(out).duration == pytest.approx(probe(video).duration, abs=0.05)
    assert probe(out).video_duration == pytest.approx(probe(video).video_duration, abs=0.05)
    assert words_of(out) == keys(" ".join(said.values()))
    subtitles = tmp_path / "dubbed.srt"
    run_ffmpeg(["-i", str(out), "-map", "0:s:0", str(subtitles)])
    events = pysubs2.load(str(subtitles)).events
    assert keys(" ".join(e.plaintext for e in events)) == keys(" ".join(said.values()))
    assert events[-1].end / 1000 <= probe(video).duration


def test_chapters_from_subtitles_start_at_zero_and_parse(tmp_path):
    source = cues_file(tmp_path / "talk.srt", [(12.0 * n, 12.0 * n + 10, f"Part {n} talk.")
                                               for n in range(8)])
    model = FakeToolCallingModel(structured=[
        {"chapters": [{"first": 1, "title": "Late start"}]},  # refused: not from segment 0
        {"chapters": [{"first": 0, "title": "Welcome"}, {"first": 3, "title": "The middle"},
                      {"first": 6, "title": "Wrapping up"}]}])
    lines = chapter_lines(source, model)
    parsed = [CHAPTER_LINE.fullmatch(line) for line in lines]
    assert all(parsed) and parsed[0].group(1, 2) == ("00", "00")
    assert [(int(m[1]) * 60 + int(m[2]), m[3]) for m in parsed] == [
        (0, "Welcome"), (36, "The middle"), (72, "Wrapping up")]


def test_chapters_of_a_rendered_project_follow_its_shots(tmp_path):
    project = Project.create(tmp_path / "tea", "short")
    RenderManifest(output=project.out_dir / "final.mp4", fps=24, subtitles=[], shots=[
        RenderedShot(id=shot_id, start=start, frames=24 * 15, clip=None,
                     narration_start=start + 0.5, speech_seconds=4.0)
        for shot_id, start in (("leaves", 0.0), ("cup", 15.0), ("calm", 30.0))
    ]).save(project.last_render_path)
    model = FakeToolCallingModel(structured=[{"chapters": [
        {"first": 0, "title": "Leaves"}, {"first": 1, "title": "Water"},
        {"first": 2, "title": "Calm"}]}])
    assert chapter_lines(project.storyboard_path, model) == ["00:00 Leaves", "00:15 Water",
                                                              "00:30 Calm"]
    assert "green leaf" in model.seen[0][-1].content  # the shots' narration was offered


def test_chapters_need_a_render(tmp_path):
    project = Project.create(tmp_path / "tea", "short")
    with pytest.raises(CapabilityError, match="not been rendered"):
        chapter_lines(project.storyboard_path, FakeToolCallingModel())


def test_upload_text_from_a_storyboard(tmp_path):
    project = Project.create(tmp_path / "tea", "short")
    model = FakeToolCallingModel(structured=[{
        "title": "Tea in three calm moments", "description": "From leaf to cup.",
        "hashtags": ["tea", "#calm", "#morning"]}])
    made = upload_text(project.storyboard_path, model)
    assert made.title == "Tea in three calm moments"
    assert made.hashtags == ["#tea", "#calm", "#morning"]
    assert "Tea in Three Shots" in model.seen[0][-1].content
