"""Speech to timed text with the bundled Whisper: subtitles (SRT, WebVTT, ASS karaoke) or the
words themselves (JSON), each word with its time."""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from storyreel.storyboards.atomic import PART

from ..align import script_tokens
from ..ffmpeg import ProgressCallback
from ..probe import probe
from ..speech import Word
from ..subtitles import SubtitleLook, build_cues, write_text_subtitles
from ..whisper_model import load_whisper
from .registry import CapabilityError, Options, capability

_LOCK = threading.Lock()
SUBTITLE_SUFFIXES = (".srt", ".vtt", ".ass")


@dataclass(frozen=True)
class Heard:
    """What Whisper heard: the words with their times, and the language they are in."""

    words: list[Word]
    language: str


def hear(media: Path, language: str | None = None, prompt: str | None = None) -> Heard:
    """Whisper's words of a file's speech (CJK words split into characters sharing the
    word's time). Stretches without speech are skipped by the voice detector, so silence
    and music are not heard as made-up words. Raises CapabilityError when nobody speaks."""
    model = load_whisper()
    code = language.replace("_", "-").split("-")[0].lower() if language else None
    with _LOCK:
        segments, info = model.transcribe(str(media), language=code, word_timestamps=True,
                                          initial_prompt=prompt, vad_filter=True,
                                          condition_on_previous_text=False)
        raw = [w for segment in segments for w in (segment.words or [])]
    words: list[Word] = []
    for w in raw:
        pieces = script_tokens(w.word.strip()) or [w.word.strip()]
        step = (w.end - w.start) / len(pieces)
        words += [Word(piece, round(w.start + i * step, 3), round(w.start + (i + 1) * step, 3))
                  for i, piece in enumerate(pieces) if piece]
    if not words:
        raise CapabilityError(f"no speech heard in {media.name}")
    return Heard(words, info.language)


def subtitle_look(media: Path) -> SubtitleLook:
    """Subtitles sized for the file's picture (1920x1080 for sound alone)."""
    info = probe(media)
    return SubtitleLook(info.width or 1920, info.height or 1080)


def write_subtitles(words: list[Word], output: Path, look: SubtitleLook, max_chars: int) -> Path:
    """Cues made from `words`, written in the format of `output`'s suffix (ASS with karaoke
    word timing)."""
    suffix = output.suffix.lower()
    if suffix not in SUBTITLE_SUFFIXES:
        raise CapabilityError(f"cannot write subtitles as {output.name}: name it .srt, .vtt or "
                              ".ass")
    cues = build_cues(words, max_chars, look)
    with tempfile.TemporaryDirectory(prefix=f".{output.stem}.{PART}-", dir=output.parent) as tmp:
        written = write_text_subtitles([(0.0, cues)], Path(tmp) / "subtitles", look)
        shutil.copyfile(next(path for path in written if path.suffix == suffix), output)
    return output


class TranscribeOptions(Options):
    language: str | None = Field(None, description="Spoken language (BCP-47); default: "
                                 "detected")
    max_chars: int = Field(42, ge=8, le=200, description="Longest subtitle line, in "
                           "characters")


@capability("transcribe", "speech to subtitles (SRT, VTT, ASS karaoke) or timed words (JSON) "
            "with the bundled Whisper", "words", TranscribeOptions, output_suffix=".srt")
def transcribe(inputs: list[Path], output: Path, options: TranscribeOptions,
               progress: ProgressCallback | None = None) -> Path:
    source = inputs[0]
    heard = hear(source, options.language)
    if output.suffix.lower() == ".json":
        output.write_text(json.dumps({"language": heard.language,
                                      "words": [w.to_dict() for w in heard.words]},
                                     ensure_ascii=False, indent=1), encoding="utf-8")
        return output
    return write_subtitles(heard.words, output, subtitle_look(source), options.max_chars)
