"""What storyreel can use on this machine: one small check per part, each a row of
`storyreel doctor`."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass

FILTERS = ("subtitles", "xfade", "zoompan", "loudnorm", "sidechaincompress")


@dataclass(frozen=True)
class Row:
    """One part and what was found; `ok` is False when its check failed."""

    part: str
    status: str
    ok: bool = True


def system() -> str:
    return f"Python {platform.python_version()} on {sys.platform}, {os.cpu_count()} cores"


def ffmpeg() -> str:
    from storyreel.tools.ffmpeg import ffmpeg_output

    version = ffmpeg_output(["-version"]).split("\n")[0]
    filters = ffmpeg_output(["-filters"])
    missing = [name for name in FILTERS if f" {name} " not in filters]
    return version + (f" (MISSING filters: {', '.join(missing)})" if missing else
                      " (libx264, libass, xfade, loudnorm: ok)")


def voices() -> str:
    from storyreel.tools.tts_piper import BUNDLED_VOICE, find_voice, voices_dir

    find_voice(BUNDLED_VOICE)
    extra = sorted(p.stem for p in voices_dir().glob("*.onnx")) if voices_dir().exists() else []
    return (f"piper: {BUNDLED_VOICE} (bundled){', ' + ', '.join(extra) if extra else ''}; "
            f"add voices in {voices_dir()}")


def coqui() -> str:
    if importlib.util.find_spec("TTS") is None:
        return "not installed (pip install 'storyreel[coqui]')"
    return "installed"


def whisper() -> str:
    from storyreel.tools.whisper_model import whisper_base_dir

    return f"whisper base (int8) at {whisper_base_dir()}"


def fonts() -> str:
    from storyreel.tools.fonts import FONT_FAMILY, ui_font_path

    return f"{FONT_FAMILY} ({ui_font_path().name}): Latin, Chinese, Japanese"


def gpu() -> str:
    if importlib.util.find_spec("torch") is None:
        return "torch not installed: CPU animatic generator"
    import torch

    if torch.cuda.is_available():
        return f"CUDA: {torch.cuda.get_device_name(0)}"
    return "no CUDA GPU: CPU animatic generator"


def diffusion() -> str:
    from .models import model_statuses

    try:
        version = importlib.metadata.version("diffusers")
    except importlib.metadata.PackageNotFoundError:
        return "not installed (pip install 'storyreel[diffusion]' after a torch build)"
    here = list(dict.fromkeys(f"{s.generator}{f' {s.preset}' if s.preset else ''} ({s.model})"
                              for s in model_statuses() if s.on_disk))
    return (f"diffusers {version}; checkpoints here: {', '.join(here)}" if here else
            f"diffusers {version}; no checkpoint here yet (storyreel models pull ltx-2)")


def pictures() -> str:
    """The picture sources a storyboard can use here: the animatic always; diffusion backends
    with a CUDA GPU and their checkpoint on disk; stock libraries whose key is set and taken
    (each provider asked once)."""
    from storyreel.tools import stock_search

    usable, missing = ["animatic"], []
    if importlib.util.find_spec("diffusers") is None or importlib.util.find_spec("torch") is None:
        missing.append("video diffusion (not installed)")
    else:
        import torch

        from .models import model_statuses

        pulled = list(dict.fromkeys(s.generator for s in model_statuses() if s.on_disk))
        if not torch.cuda.is_available():
            missing.append("video diffusion (no CUDA GPU)")
        elif pulled:
            usable += pulled
        else:
            missing.append("video diffusion (no checkpoint pulled)")
    keys = stock_search.configured()
    for provider, info in stock_search.PROVIDERS.items():
        if provider not in keys:
            missing.append(f"{provider} stock (set {info.key_variable})")
            continue
        try:
            stock_search.check_access(provider)
            usable.append(f"{provider} stock")
        except stock_search.StockUnavailable as error:
            missing.append(f"{provider} stock ({error})")
    return f"usable: {', '.join(usable)}" + (f"; not here: {'; '.join(missing)}" if missing else "")


def llm() -> str:
    """Asks the configured model for one word, so a server that is down shows here."""
    from storyreel.agent.llm import make_chat_model, model_spec

    name = model_spec()
    if not name:
        return "not configured (set STORYREEL_MODEL); rendering works without one"
    reply = make_chat_model(name, timeout=20).invoke("Reply with the word: ready")
    return f"{name}: answers ({str(reply.content)[:40]!r})"


CHECKS: tuple[tuple[str, Callable[[], str]], ...] = (
    ("system", system), ("ffmpeg", ffmpeg), ("voices", voices), ("coqui TTS", coqui),
    ("whisper", whisper), ("fonts", fonts), ("GPU", gpu), ("video diffusion", diffusion),
    ("pictures", pictures), ("LLM", llm))


def rows() -> list[Row]:
    """Every check's row. A check that raises becomes a failed row instead of stopping the
    others: the doctor is run when something is broken."""
    found = []
    for part, check in CHECKS:
        try:
            found.append(Row(part, check()))
        except Exception as error:
            found.append(Row(part, f"failed: {error}", ok=False))
    return found
