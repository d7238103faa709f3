"""The sound capabilities on media the tests make: Piper speech with known pauses, a click track
with known beats, lavfi tones and pictures. Each asserts what a listener would notice."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

from storyreel.tools.align import token_key
from storyreel.tools.capabilities import CapabilityError, run_capability
from storyreel.tools.capabilities.audio_io import decode, levels_db
from storyreel.tools.capabilities.transcribe import hear
from storyreel.tools.ffmpeg import loudness, run_ffmpeg
from storyreel.tools.probe import probe
from storyreel.tools.speech import read_wav, write_wav
from storyreel.tools.tts_piper import BUNDLED_VOICE, find_voice, synthesize

# Whisper base hears these the same with the pause between them cut (not every pair: it
# heard "sea. Boats wait" as "sea, but its way").
SENTENCES = ("The river runs down to the sea.", "Every morning the birds sing.")
GAP = 2.0
RATE = 48000


def spoken(folder: Path, texts: tuple[str, ...], gap: float = GAP, name: str = "speech") -> Path:
    """Piper speaking `texts`, joined by `gap` seconds of digital silence."""
    model = find_voice(BUNDLED_VOICE)
    pieces, rate = [], 22050
    for index, text in enumerate(texts):
        wav = folder / f"{name}-{index}.wav"
        rate = synthesize(text, wav, model=model).sample_rate
        if pieces:
            pieces.append(np.zeros(round(gap * rate), dtype=np.int16))
        pieces.append(read_wav(wav)[0])
    path = folder / f"{name}.wav"
    write_wav(path, np.concatenate(pieces), rate)
    return path


def with_picture(folder: Path, sound: Path, name: str = "talk.mp4") -> Path:
    """A 25 fps video whose brightness rises with time (luma = 40 x seconds), with `sound`."""
    seconds = probe(sound).duration
    path = folder / name
    run_ffmpeg(["-f", "lavfi", "-i", f"color=c=black:s=160x120:r=25:d={seconds:.3f}",
                "-i", str(sound), "-vf", "geq=lum='40*T':cb=128:cr=128,format=yuv420p",
                "-c:v", "libx264", "-crf", "10", "-g", "25", "-c:a", "aac", "-b:a", "192k",
                "-shortest", str(path)])
    return path


def tone(folder: Path, freq: float, seconds: float, name: str, volume: float = 0.3) -> Path:
    path = folder / name
    run_ffmpeg(["-f", "lavfi", "-i", f"sine=frequency={freq}:sample_rate={RATE}:d={seconds}",
                "-af", f"volume={volume}", "-c:a", "pcm_s16le", str(path)])
    return path


def clicks(path: Path, bpm: float = 120, first: float = 0.5, seconds: float = 8.0) -> np.ndarray:
    """A click track: a short noise burst on every beat from `first`; returns the beat times."""
    rate = 44100
    track = np.zeros(round(seconds * rate))
    times = np.arange(first, seconds - 0.1, 60 / bpm)
    length = round(0.03 * rate)
    burst = np.random.default_rng(0).standard_normal(length) * np.exp(-np.arange(length) /
                                                                      (0.004 * rate))
    for time in times:
        start = round(time * rate)
        track[start:start + length] += 0.6 * burst
    write_wav(path, (np.clip(track, -1, 1) * 32767).astype("<i2"), rate)
    return times


def words_of(path: Path) -> list[str]:
    """The words Whisper hears, compared letters only (US and UK spellings aside)."""
    return [token_key(word.text) for word in hear(path, "en").words]


def dominant_hz(path: Path) -> float:
    mono = decode(path, channels=1)[:, 0]
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    return float(np.argmax(spectrum) * RATE / len(mono))


def longest_quiet(path: Path, threshold_db: float = -40.0) -> float:
    quiet = levels_db(decode(path, channels=1)[:, 0], RATE) <= threshold_db
    longest = run = 0
    for value in quiet:
        run = run + 1 if value else 0
        longest = max(longest, run)
    return longest * 0.01


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sound")


@pytest.fixture(scope="module")
def speech(media: Path) -> Path:
    return spoken(media, SENTENCES)


@pytest.fixture(scope="module")
def speech_words(speech: Path) -> list[str]:
    return words_of(speech)


def test_silence_cuts_long_pauses_and_keeps_every_word(speech, speech_words, tmp_path):
    out = run_capability("silence", [speech], tmp_path / "tight.wav",
                         {"min_silence": 0.5, "keep": 0.2})
    before, after = probe(speech).duration, probe(out).duration
    assert before - after >= GAP - 0.2
    assert longest_quiet(speech) >= GAP and longest_quiet(out) < 0.5
    assert words_of(out) == speech_words


def test_silence_refuses_a_silent_file_and_leaves_it_alone(media, tmp_path):
    silent = media / "silent.wav"
    write_wav(silent, np.zeros(RATE, dtype=np.int16), RATE)
    before = silent.read_bytes()
    with pytest.raises(CapabilityError, match="silent"):
        run_capability("silence", [silent], tmp_path / "out.wav")
    assert silent.read_bytes() == before and not (tmp_path / "out.wav").exists()
    assert list(tmp_path.iterdir()) == []


def test_jump_cut_cuts_picture_and_sound_at_the_same_places(speech, media, tmp_path):
    video = with_picture(media, speech)
    out = run_capability("jump-cut", [video], tmp_path / "cut.mp4")
    info = probe(out)
    assert probe(video).duration - info.duration > 1.5
    assert info.video_duration == pytest.approx(info.audio_duration, abs=0.05)
    # Each output frame shows the source time its brightness encodes; the sound heard
    # with it must be the source's sound at that time.
    source_sound, cut_sound = decode(video, 1)[:, 0], decode(out, 1)[:, 0]
    with av.open(str(out)) as container:
        lumas = [float(f.to_ndarray(format="yuv420p")[:120].mean())  # the luma plane
                 for f in container.decode(video=0)]
    checked = 0
    for index in range(0, len(lumas), 5):
        at, was = index / 25, lumas[index] / 40
        piece = cut_sound[round(at * RATE):round((at + 0.04) * RATE)]
        if np.abs(piece).max(initial=0) < 0.05:
            continue  # too quiet to tell where it came from
        shifts = range(round((was - 0.06) * RATE), round((was + 0.06) * RATE), 48)
        error = min(np.abs(source_sound[s:s + len(piece)] - piece).mean() for s in shifts if s >= 0)
        assert error < 0.2 * np.abs(piece).mean(), f"frame {index}: sound from elsewhere"
        checked += 1
    assert checked >= 10


def test_fillers_are_cut_and_the_sentence_stays(media, tmp_path):
    talk = spoken(media, ("Um, the river, you know, runs down to the sea. Uh, boats wait in the "
                          "bay.",), name="fillers")
    out = run_capability("fillers", [talk], tmp_path / "clean.wav")
    assert words_of(out) == ["the", "river", "runs", "down", "to", "the", "sea", "boats", "wait",
                             "in", "the", "bay"]
    assert probe(out).duration < probe(talk).duration - 0.8


def test_voice_clean_lowers_the_noise_and_keeps_the_voice(speech, media, tmp_path):
    voice = decode(speech, channels=1)[:, 0]
    noise = 0.01 * np.random.default_rng(1).standard_normal(len(voice)).astype(np.float32)
    noisy = media / "noisy.wav"
    write_wav(noisy, (np.clip(voice + noise, -1, 1) * 32767).astype("<i2"), RATE)
    out = run_capability("voice-clean", [noisy], tmp_path / "clean.wav")
    gap = slice(round(2.2 * 100), round(3.2 * 100))  # inside the 2 s pause, in 10 ms blocks
    before = levels_db(decode(noisy, 1)[:, 0], RATE)
    after = levels_db(decode(out, 1)[:, 0], RATE)
    assert np.median(before[gap]) - np.median(after[gap]) >= 10
    speaking = slice(20, 150)
    assert np.percentile(after[speaking], 90) == pytest.approx(np.percentile(before[speaking], 90),
                                                                abs=3)


@pytest.mark.parametrize(("platform", "target"), [("youtube", -14.0), ("ebu-r128", -23.0)])
def test_loudness_lands_on_the_platform_target(speech, tmp_path, platform, target):
    out = run_capability("loudness", [speech], tmp_path / "loud.wav", {"platform": platform})
    measured = loudness(str(out))
    assert measured["input_i"] == pytest.approx(target, abs=0.5)
    assert measured["input_tp"] <= -0.5
    assert probe(out).duration == pytest.approx(probe(speech).duration, abs=0.05)


def test_pitch_up_seven_semitones_raises_a_sine_by_that_ratio(media, tmp_path):
    sine = tone(media, 440, 2.0, "a440.wav")
    out = run_capability("pitch", [sine], tmp_path / "up.wav", {"semitones": 7})
    assert dominant_hz(out) == pytest.approx(440 * 2 ** (7 / 12), rel=0.01)
    faster = run_capability("pitch", [sine], tmp_path / "fast.wav", {"tempo": 1.6})
    assert probe(faster).duration == pytest.approx(2.0 / 1.6, abs=0.05)
    assert dominant_hz(faster) == pytest.approx(440, rel=0.01)


@pytest.mark.parametrize("method", ["numpy", "librosa"])
def test_beats_are_found_within_50_ms_of_the_clicks(media, tmp_path, method):
    if method == "librosa":
        pytest.importorskip("librosa", reason="librosa comes with the toolkit extra")
    times = clicks(media / "clicks.wav")
    out = run_capability("beats", [media / "clicks.wav"], tmp_path / "beats.json",
                         {"method": method})
    found = json.loads(out.read_text())
    assert found["tempo_bpm"] == pytest.approx(120, abs=2)
    assert found["method"] == {"numpy": "onset-autocorrelation", "librosa": "librosa"}[method]
    beats = np.array(found["beats"])
    assert len(beats) >= 0.9 * len(times)
    assert max(np.abs(times - beat).min() for beat in beats) < 0.05


def test_a_steady_tone_has_no_beats(media, tmp_path):
    with pytest.raises(CapabilityError, match="no beats"):
        run_capability("beats", [tone(media, 440, 4.0, "steady.wav")], tmp_path / "b.json",
                       {"method": "numpy"})


def test_cut_to_beat_changes_clip_on_each_beat(media, tmp_path):
    music = media / "beat.wav"
    clicks(music, bpm=120, first=0.5, seconds=4.0)
    colours = []
    for colour in ("red", "lime", "blue"):
        clip = media / f"{colour}.mp4"
        run_ffmpeg(["-f", "lavfi", "-i", f"color=c={colour}:s=64x48:r=24:d=3", "-c:v",
                    "libx264", "-pix_fmt", "yuv420p", str(clip)])
        colours.append(clip)
    out = run_capability("cut-to-beat", [music, *colours], tmp_path / "cut.mp4",
                         {"beats_per_cut": 1, "method": "numpy"})
    with av.open(str(out)) as container:
        frames = [f.to_ndarray(format="rgb24")[24, 32] for f in container.decode(video=0)]
    dominant = [int(np.argmax(pixel)) for pixel in frames]  # 0 red, 1 green, 2 blue
    # Cuts on the beats at 0.5 and 1.0 s; the third clip plays to the beat at 1.5 s.
    assert len(frames) == pytest.approx(36, abs=1)
    assert dominant[:11] == [0] * 11 and dominant[13:23] == [1] * 10 and dominant[25:] == \
        [2] * (len(frames) - 25)
    assert probe(out).has_audio


def test_fit_music_is_exactly_as_long_as_asked(media, tmp_path):
    music = tone(media, 330, 3.0, "loop.wav")
    longer = run_capability("fit-music", [music], tmp_path / "long.wav",
                            {"seconds": 7.5, "crossfade": 1.0, "fade_out": 1.0})
    samples = decode(longer, channels=1)[:, 0]
    assert len(samples) == round(7.5 * RATE)
    levels = levels_db(samples, RATE, 0.1)
    assert levels[:60].min() > levels[:60].max() - 3  # no dip where the loops join
    assert levels[-1] < levels[50] - 15  # faded out
    shorter = run_capability("fit-music", [music], tmp_path / "short.wav", {"seconds": 1.25})
    assert len(decode(shorter, channels=1)) == round(1.25 * RATE)


def test_duck_lowers_the_music_at_least_6_db_while_speech_plays(speech, media, tmp_path):
    music = tone(media, 5000, probe(speech).duration, "music.wav", volume=0.2)
    out = run_capability("duck", [speech, music], tmp_path / "ducked.wav")
    mixed = decode(out, channels=1)[:, 0]

    def music_level(start: float, end: float) -> float:
        piece = mixed[round(start * RATE):round(end * RATE)]
        spectrum = np.abs(np.fft.rfft(piece * np.hanning(len(piece))))
        band = round(5000 * len(piece) / RATE)
        return 20 * np.log10(spectrum[band - 3:band + 4].max())

    assert music_level(2.6, 3.4) - music_level(0.4, 1.2) >= 6


def test_extract_and_replace_audio(speech, media, tmp_path):
    video = media / "tone.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc=s=160x120:r=25:d=4", "-f", "lavfi", "-i",
                "sine=frequency=660:d=4", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
                "-shortest", str(video)])
    sound = run_capability("extract-audio", [video], tmp_path / "sound.m4a")
    info = probe(sound)
    assert not info.has_video and info.audio_codec == "aac"
    assert dominant_hz(sound) == pytest.approx(660, rel=0.01)
    replaced = run_capability("replace-audio", [video, speech], tmp_path / "new.mp4")
    out = probe(replaced)
    assert out.has_video and out.audio_duration == pytest.approx(4.0, abs=0.05)
    heard = levels_db(decode(replaced, 1)[:RATE * 4, 0], RATE, 0.05)
    said = levels_db(decode(speech, 1)[:RATE * 4, 0], RATE, 0.05)
    assert np.corrcoef(heard, said)[0, 1] > 0.95
    mute = media / "mute.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc=s=64x48:r=24:d=1", "-c:v", "libx264", str(mute)])
    with pytest.raises(CapabilityError, match="no sound"):
        run_capability("extract-audio", [mute], tmp_path / "none.m4a")
