"""Coqui TTS (optional extra `coqui`): voice cloning from a reference clip, and languages the
installed Piper voices lack (XTTS v2 speaks Chinese). Loads local model folders only; a model
is never downloaded in the middle of a render.

Coqui models sample (VITS draws noise, XTTS samples its speech tokens), so each call seeds
torch's CPU generator from what it speaks: the same call gives the same audio every time."""

from __future__ import annotations

import hashlib
import json
import threading
from functools import cache
from pathlib import Path

import numpy as np

from storyreel.storyboards import Voice
from storyreel.storyboards.paths import inside_project

from .ffmpeg import run_ffmpeg
from .speech import ResolvedVoice, Speech, VoiceCannotSpeak, VoiceNotFound, write_wav

CHECKPOINT_NAMES = ("model.pth", "best_model.pth", "model_file.pth", "checkpoint.pth")
_LOCK = threading.Lock()


def _require_coqui() -> None:
    import importlib.util

    if importlib.util.find_spec("TTS") is None:
        raise VoiceNotFound("voice engine 'coqui' is not installed: pip install torch==2.13.0 "
                            "(or your CUDA build) then pip install 'storyreel[coqui]'")


def coqui_models_dir() -> Path:
    """Where Coqui keeps the models its own CLI downloaded (`tts --model_name ...`)."""
    from trainer.io import get_user_data_dir

    return Path(get_user_data_dir("tts"))


def find_model(name: str, project_dir: Path) -> Path:
    """A model folder: a path (absolute or inside the project) or a Coqui model name that is
    already in Coqui's cache, e.g. tts_models/multilingual/multi-dataset/xtts_v2."""
    path = Path(name).expanduser()
    candidates = [path if path.is_absolute() else project_dir / path]
    if "/" in name and not path.exists():
        candidates.append(coqui_models_dir() / name.replace("/", "--"))
    for folder in candidates:
        if (folder / "config.json").is_file() and _checkpoint(folder) is not None:
            return folder
    raise VoiceNotFound(
        f"Coqui model {name!r} not found on disk (looked in {', '.join(map(str, candidates))}). "
        "Point voice.voice at a folder with config.json and a .pth checkpoint, or fetch a model "
        f"once with Coqui's own CLI: tts --model_name {name} --list_speaker_idxs")


def _checkpoint(folder: Path) -> Path | None:
    for name in CHECKPOINT_NAMES:
        if (folder / name).is_file():
            return folder / name
    found = sorted(folder.glob("*.pth"))
    return found[0] if found else None


def _is_xtts(config: dict) -> bool:
    return str(config.get("model", "")).lower() == "xtts"


def resolve(spec: Voice, language: str, project_dir: Path) -> ResolvedVoice:
    """Find the model folder and the reference clip; say which language the model speaks."""
    _require_coqui()
    folder = find_model(spec.voice, project_dir)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    reference = None
    if spec.speaker_wav:
        reference = inside_project(project_dir, spec.speaker_wav)
        if reference is None or not reference.is_file():
            raise VoiceNotFound(f"voice.speaker_wav {spec.speaker_wav!r} not found inside the "
                                "project; put a 6-30 s clean recording in assets/")
    elif _is_xtts(config) and not spec.speaker:
        raise VoiceNotFound("XTTS needs a voice to clone: set voice.speaker_wav to a 6-30 s "
                            "recording in the project, or voice.speaker to a built-in speaker")
    languages = config.get("languages") or []
    if _is_xtts(config) or len(languages) > 1:
        spoken = "multilingual"
        if languages and _model_language(languages, language) is None:
            raise VoiceCannotSpeak(f"Coqui model {spec.voice!r} does not speak {language!r}; "
                                   f"it speaks: {', '.join(languages)}")
    else:
        # Single-language models say what they speak only through their phonemizer, if any.
        spoken = str(config.get("phoneme_language") or language)
    stat = _checkpoint(folder).stat()
    identity = f"coqui:{folder.name}:{stat.st_size}:{stat.st_mtime_ns}:" \
               f"{reference.stat().st_size if reference else ''}"
    return ResolvedVoice("coqui", folder, spoken, identity, speaker=spec.speaker,
                         speaker_wav=reference)


def _model_language(languages: list[str], language: str) -> str | None:
    """The model's name for `language` (XTTS calls Chinese 'zh-cn')."""
    base = language.split("-")[0].lower()
    for candidate in languages:
        if candidate.lower() == language.lower() or candidate.lower() == base:
            return candidate
    for candidate in languages:
        if candidate.lower().startswith(base + "-"):
            return candidate
    return None


@cache
def _load(folder: Path):
    from TTS.api import TTS

    config = folder / "config.json"
    target = folder if _is_xtts(json.loads(config.read_text(encoding="utf-8"))) \
        else _checkpoint(folder)
    return TTS(model_path=str(target), config_path=str(config), progress_bar=False)


def _seed(*parts: object) -> int:
    return int.from_bytes(hashlib.blake2b(repr(parts).encode(), digest_size=8).digest(), "little")


def synthesize(text: str, out_wav: Path, *, voice: ResolvedVoice, rate: float = 1.0,
               language: str = "en") -> Speech:
    """Speak `text` with a Coqui model into a mono 16-bit WAV; `rate` changes tempo only.
    The same arguments give the same audio every time."""
    import torch

    with _LOCK:
        model = _load(voice.model)
        kwargs: dict = {"split_sentences": True}
        if model.is_multi_lingual:
            kwargs["language"] = _model_language(model.languages or [], language) or language
        if voice.speaker_wav is not None:
            kwargs["speaker_wav"] = str(voice.speaker_wav)
        if voice.speaker is not None:
            kwargs["speaker"] = voice.speaker
        # Only the CPU generator, restored afterwards: a diffusion job on the GPU keeps its own.
        with torch.random.fork_rng(devices=[]):
            torch.default_generator.manual_seed(_seed(text, kwargs.get("language"), voice.speaker))
            samples = np.asarray(model.tts(text=text, **kwargs), dtype=np.float32)
        sample_rate = int(model.synthesizer.output_sample_rate)
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    raw = out_wav.with_name(out_wav.stem + ".raw.wav") if rate != 1.0 else out_wav
    write_wav(raw, pcm, sample_rate)
    if rate != 1.0:
        try:
            run_ffmpeg(["-i", str(raw), "-af", f"atempo={rate}", "-c:a", "pcm_s16le",
                        "-f", "wav", str(out_wav)])
        finally:
            raw.unlink(missing_ok=True)
    duration = len(pcm) / sample_rate / rate
    return Speech(path=out_wav, duration=duration, sample_rate=sample_rate)
