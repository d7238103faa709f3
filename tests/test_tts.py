"""Narration: the bundled Piper voice, reproducible speech, SSML-like tags, voice errors."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from media import level_db

from storyreel.agent.pacing import WORDS_PER_SECOND, speech_seconds
from storyreel.storyboards import dump_document, load_storyboard
from storyreel.tools.scripts import phrases, spoken_text
from storyreel.tools.speech import ResolvedVoice, VoiceCannotSpeak, VoiceNotFound
from storyreel.tools.tts import resolve_voice, speak
from storyreel.tools.tts_piper import BUNDLED_VOICE, find_voice, synthesize, voices_dir

A = "Coffee began in the highlands of Ethiopia. Monks drank it to stay awake."
B = "Legend says a goat herder named Kaldi saw his goats dance."


@pytest.fixture(scope="module")
def joe() -> ResolvedVoice:
    model = find_voice(BUNDLED_VOICE)
    return ResolvedVoice("piper", model, "en_US", "test")


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_piper_reports_word_timings_for_the_script(tmp_path: Path):
    text = "By the 15th century, coffee crossed the Red Sea. Schools of the wise!"
    speech = synthesize(text, tmp_path / "n.wav", model=find_voice(BUNDLED_VOICE))
    assert [w.text for w in speech.words] == text.split()
    starts = [w.start for w in speech.words]
    assert starts == sorted(starts) and speech.words[-1].end <= speech.duration + 0.01
    # "Schools" starts the second sentence: after the pause that ends the first.
    assert speech.words[9].start > speech.words[8].end + 0.1


def test_whisper_alignment_agrees_with_the_voice_timings(tmp_path: Path):
    """The ASR path (Coqui voices, and Piper voices without timings) lands near the truth."""
    from storyreel.tools.align import align_narration

    speech = synthesize(B, tmp_path / "n.wav", model=find_voice(BUNDLED_VOICE))
    heard = align_narration(speech.path, B, "en", speech.duration)
    assert [w.text for w in heard] == B.split()
    for truth, guess in zip(speech.words, heard, strict=True):
        assert abs(truth.start - guess.start) < 0.4, truth.text


def test_the_same_narration_always_sounds_the_same(joe, tmp_path: Path):
    """A shot spoken after others in a cold render equals the same shot spoken alone, in
    another process: same bytes, same length, same word timings."""
    first = speak(joe, A, tmp_path / "a1.wav")
    other = speak(joe, B, tmp_path / "b1.wav")
    again = speak(joe, A, tmp_path / "a2.wav")
    assert md5(first.path) == md5(again.path)
    assert (first.duration, first.words) == (again.duration, again.words)
    with ThreadPoolExecutor(2) as pool:  # two shots at once, as the render's pool may do
        together = list(pool.map(lambda n: speak(joe, (A, B)[n], tmp_path / f"t{n}.wav"), (0, 1)))
    assert [md5(s.path) for s in together] == [md5(first.path), md5(other.path)]
    alone = tmp_path / "b-alone.wav"
    subprocess.run([sys.executable, "-c", (
        "import sys; from pathlib import Path; from storyreel.tools.tts_piper import "
        "BUNDLED_VOICE, find_voice, synthesize; "
        "synthesize(sys.argv[1], Path(sys.argv[2]), model=find_voice(BUNDLED_VOICE))"),
        B, str(alone)], check=True)
    assert md5(alone) == md5(other.path)


def test_an_edit_speaks_only_the_sentence_it_added(joe, tmp_path: Path, monkeypatch):
    """Sentences already spoken in this process are not spoken again: appending one to a
    narration runs the voice model once, and the audio equals speaking it all afresh."""
    from storyreel.tools import tts_piper

    noise = tts_piper._load(joe.model).session
    before = speak(joe, A, tmp_path / "before.wav")
    runs: list[int] = []
    model = noise.session

    class Counting:
        def run(self, *args, **kwargs):
            runs.append(1)
            return model.run(*args, **kwargs)

    monkeypatch.setattr(noise, "session", Counting())
    edited = speak(joe, f"{A} Nobody knows if it is true.", tmp_path / "after.wav")
    assert len(runs) == 1
    assert edited.duration > before.duration
    monkeypatch.setattr(noise, "spoken", type(noise.spoken)())  # forget: speak it all afresh
    afresh = speak(joe, f"{A} Nobody knows if it is true.", tmp_path / "afresh.wav")
    assert md5(afresh.path) == md5(edited.path) and afresh.words == edited.words


def test_break_tags_are_silence_and_other_tags_are_not_read(joe, tmp_path: Path):
    plain = speak(joe, "Coffee began. It spread fast.", tmp_path / "plain.wav")
    tagged = speak(joe, 'Coffee began. <break time="1s"/> It <emphasis level="strong">spread'
                        '</emphasis> fast.', tmp_path / "tagged.wav")
    assert [w.text for w in tagged.words] == ["Coffee", "began.", "It", "spread", "fast."]
    assert tagged.duration == pytest.approx(plain.duration + 1.0, abs=0.01)
    for before, after in zip(plain.words, tagged.words, strict=True):
        shift = 1.0 if after.text not in ("Coffee", "began.") else 0.0
        assert after.start == pytest.approx(before.start + shift, abs=0.002)
    pause_from = tagged.words[1].end + 0.2
    assert level_db(tagged.path, pause_from, pause_from + 0.7) < -80  # silence, not words


def test_spoken_text_drops_tags_and_emoji_and_keeps_their_words():
    narration = ('<speak>Call <say-as interpret-as="characters">NASA</say-as> now 🎉.'
                 '<break strength="strong"/>It is 5 < 7.<break time="250ms"/></speak>')
    assert spoken_text(narration) == "Call NASA now. It is 5 < 7."
    assert [p.pause for p in phrases(narration)] == [0.0, 0.8, 0.25]
    assert [p.pause for p in phrases("<break/>Hi <break time='2s'/>")] == [0.5, 2.0]
    assert spoken_text("你好<break time=\"1s\"/>世界") == "你好 世界"


def test_pacing_counts_breaks_not_tags():
    assert speech_seconds('Hello <break time="2s"/> <emphasis>there</emphasis>') \
        == pytest.approx(2.0 + 2 / WORDS_PER_SECOND)


def test_narration_with_nothing_to_speak_is_refused_by_name(joe, tmp_path: Path):
    """Emoji-only narration: the renderer checks spoken_text() and leaves the shot silent;
    speak() itself says what is wrong instead of writing an empty clip."""
    assert spoken_text("🎉🎉") == "" and spoken_text('<break time="1s"/> ✨') == ""
    with pytest.raises(VoiceCannotSpeak, match="nothing to speak"):
        speak(joe, "🎉🎉", tmp_path / "n.wav")


def set_voice(project, **changes) -> object:
    _, doc = load_storyboard(project.storyboard_path)
    for key, value in changes.items():
        if key == "voice":
            doc["voice"]["voice"] = value
        else:
            doc[key] = value
    project.storyboard_path.write_text(dump_document(doc))
    return load_storyboard(project.storyboard_path)[0]


@pytest.mark.parametrize("voice", [BUNDLED_VOICE, "zh_voice_i_do_not_have"])
def test_chinese_storyboard_says_how_to_get_a_chinese_voice(short_project, voice):
    board = set_voice(short_project, language="zh", voice=voice)
    with pytest.raises((VoiceCannotSpeak, VoiceNotFound)) as caught:
        resolve_voice(board, short_project.root)
    message = str(caught.value)
    assert "Chinese" in message and "zh_CN-huayan-medium.onnx.json" in message
    assert "huggingface.co/rhasspy/piper-voices" in message and str(voices_dir()) in message
    assert "engine: coqui" in message and "xtts_v2" in message

