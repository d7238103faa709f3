"""The capabilities that need a language model: translate-subs, dub, chapters, upload-text.

They register into the tools' capability registry like every other (`storyreel tool NAME`);
they live here because only the agent layer knows the configured LLM (tools/ never imports
agent/: `tools.capabilities.load_all` imports this module by its name). Each has a plain
function taking the chat model, which the registered runner calls with the configured one.
Every answer is structured output, checked, and sent back with its problems when wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

import pysubs2
from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from storyreel.storyboards import load_storyboard
from storyreel.tools.capabilities import CapabilityError, Options, capability
from storyreel.tools.capabilities.dubbing import dub, primary
from storyreel.tools.ffmpeg import ProgressCallback
from storyreel.tools.scripts import spoken_text
from storyreel.tools.tts_piper import BUNDLED_VOICE

from .chat import LLMUnreachable, _is_connection_error
from .llm import make_chat_model
from .pacing import speech_seconds

MAX_ATTEMPTS = 3
BATCH = 40  # lines per translation request: small models keep count better in short lists
SUBTITLE_SUFFIXES = (".srt", ".vtt", ".ass", ".ssa")
STORYBOARD_SUFFIXES = (".yaml", ".yml")
# YouTube shows chapters only when there are at least 3, the first at 0:00, each >= 10 s.
MIN_CHAPTERS, MIN_CHAPTER_SECONDS = 3, 10.0

Answer = TypeVar("Answer", bound=BaseModel)


class ModelOptions(Options):
    model: str | None = Field(None, description="Chat model, e.g. 'ollama:qwen2.5:7b'; "
                              "default: the configured one (STORYREEL_MODEL)")


def ask(model: BaseChatModel, schema: type[Answer], messages: list[BaseMessage],
        check: Callable[[Answer], list[str]]) -> Answer:
    """The model's structured answer that `check` finds no problem with; problems go back
    to the model, up to MAX_ATTEMPTS times."""
    structured = model.with_structured_output(schema, include_raw=True)
    problems: list[str] = []
    for _ in range(MAX_ATTEMPTS):
        try:
            result = structured.invoke(messages)
        except (ValidationError, OutputParserException, ValueError) as error:
            result = {"parsed": None, "parsing_error": error}
        except Exception as error:
            if _is_connection_error(error):
                raise LLMUnreachable(
                    f"the model did not answer ({type(error).__name__}: {error}): start its "
                    "server, or point STORYREEL_MODEL at one that is running") from error
            raise
        parsed = result.get("parsed") if isinstance(result, dict) else result
        if parsed is None:
            error = result.get("parsing_error") if isinstance(result, dict) else "no answer"
            reason = re.sub(r"\s+", " ", str(error))[:300]
            problems = [f"the answer did not match the schema: {reason}"]
        else:
            problems = check(parsed)
            if not problems:
                return parsed
        messages = [*messages, HumanMessage(
            "Your answer has these problems:\n- " + "\n- ".join(problems) +
            "\nAnswer again, complete and corrected.")]
    raise CapabilityError(f"the model gave no usable answer: {problems[0]}")


# --- translation -----------------------------------------------------------------------------

class Translation(BaseModel):
    """The given lines translated: exactly one line for each, in the same order."""

    lines: list[str] = Field(description="one translated line per given line")


TRANSLATE_PROMPT = """Translate subtitle lines{source} into {language}.
You get a JSON list of lines. Answer with exactly one translated line for each, in the same
order: never merge, split, add or drop lines. Keep each line about as short as the original
(it is read or spoken in the same time). Translate names of things, keep names of people."""


def translate_lines(lines: Sequence[str], language: str, model: BaseChatModel,
                    source: str | None = None) -> list[str]:
    """`lines` in `language`, one for one (asked in batches of BATCH lines)."""
    system = SystemMessage(TRANSLATE_PROMPT.format(
        language=language, source=f" from {source}" if source else ""))
    translated: list[str] = []
    for first in range(0, len(lines), BATCH):
        batch = list(lines[first:first + BATCH])

        def check(answer: Translation, batch: list[str] = batch) -> list[str]:
            if len(answer.lines) != len(batch):
                return [f"you gave {len(answer.lines)} lines for {len(batch)}: give exactly "
                        "one translated line for each given line"]
            empty = [str(n + 1) for n, line in enumerate(answer.lines) if not line.strip()]
            return [f"lines {', '.join(empty)} are empty: translate every line"] if empty else []

        answer = ask(model, Translation, [system, HumanMessage(json.dumps(batch,
                                                                          ensure_ascii=False))],
                     check)
        translated += [line.strip() for line in answer.lines]
    return translated


def load_subtitles(path: Path) -> pysubs2.SSAFile:
    try:
        return pysubs2.load(str(path), encoding="utf-8")
    except (pysubs2.exceptions.Pysubs2Error, UnicodeDecodeError, ValueError) as error:
        raise CapabilityError(f"{path.name} is not a subtitle file pysubs2 can read: {error}") \
            from None


def translate_subtitles(source: Path, output: Path, language: str,
                        model: BaseChatModel) -> Path:
    """The subtitles of `source` translated into `language`, with the same cues and times,
    written in the format of `output`'s suffix."""
    subs = load_subtitles(source)
    events = [event for event in subs.events if not event.is_comment and event.plaintext.strip()]
    if not events:
        raise CapabilityError(f"{source.name} has no subtitle lines to translate")
    for event, line in zip(events, translate_lines([e.plaintext for e in events], language,
                                                   model), strict=True):
        event.plaintext = line
    subs.save(str(output), encoding="utf-8")
    return output


class TranslateSubsOptions(ModelOptions):
    language: str = Field(description="Language to translate into (BCP-47, e.g. 'de', 'zh')")


@capability("translate-subs", "translate subtitles with the configured LLM: same cues, same "
            "times", "words", TranslateSubsOptions, output_suffix=".srt")
def translate_subs(inputs: list[Path], output: Path, options: TranslateSubsOptions,
                   progress: ProgressCallback | None = None) -> Path:
    return translate_subtitles(inputs[0], output, options.language,
                               make_chat_model(options.model))


class DubOptions(ModelOptions):
    language: str = Field(description="Language to dub into (BCP-47)")
    voice: str = Field(BUNDLED_VOICE, description="Piper voice speaking that language: a "
                       "name (installed voices) or a path to its .onnx")
    max_tempo: float = Field(1.4, ge=1, le=2, description="The most a sentence is sped up "
                             "to fit the time its original took")


@capability("dub", "dub a video's speech into another language: transcribed, translated by "
            "the LLM, spoken by a Piper voice, timed to the original, new subtitles", "words",
            DubOptions)
def dub_video(inputs: list[Path], output: Path, options: DubOptions,
              progress: ProgressCallback | None = None) -> Path:
    def translate(lines: list[str], heard_language: str) -> list[str]:
        if primary(heard_language) == primary(options.language):
            return lines  # a new voice for the same words: no model needed
        return translate_lines(lines, options.language, make_chat_model(options.model),
                               heard_language)

    return dub(inputs[0], output, language=options.language, voice=options.voice,
               translate=translate, max_tempo=options.max_tempo, progress=progress)


# --- what a text says, and when ---------------------------------------------------------------

@dataclass(frozen=True)
class Segment:
    start: float  # seconds into the video
    text: str


class _RenderedShot(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    start: float
    frames: int


class _Rendered(BaseModel):
    """The part of the studio's RenderManifest (.storyreel/last_render.json) chapters need;
    read as data, since the agent layer sits under the studio."""

    model_config = ConfigDict(extra="ignore")
    fps: int
    shots: list[_RenderedShot]


def timed_segments(path: Path) -> tuple[list[Segment], float]:
    """What is said when, and the video's length: from subtitles (their cues), a storyboard
    (its shots where its project's last render placed them) or a plain script (paragraphs,
    or sentences, timed at the bundled voice's speaking rate)."""
    suffix = path.suffix.lower()
    if suffix in SUBTITLE_SUFFIXES:
        events = [e for e in load_subtitles(path).events if not e.is_comment and e.plaintext.strip()]
        if not events:
            raise CapabilityError(f"{path.name} has no subtitle lines")
        return ([Segment(e.start / 1000, e.plaintext.replace("\n", " ")) for e in events],
                max(e.end for e in events) / 1000)
    if suffix in STORYBOARD_SUFFIXES:
        board, _ = load_storyboard(path)
        manifest = path.parent / ".storyreel" / "last_render.json"
        try:
            rendered = _Rendered.model_validate_json(manifest.read_text(encoding="utf-8"))
        except (OSError, ValidationError):
            raise CapabilityError(f"{path.name} has not been rendered yet: run `storyreel render "
                                  f"{path}` first") from None
        if not rendered.shots:
            raise CapabilityError(f"the last render of {path.name} holds no shots")
        shots = {shot.id: shot for shot in board.shots}
        segments = [Segment(r.start, " ".join(filter(None, [shots[r.id].title,
                                                             spoken_text(shots[r.id].narration)])))
                    for r in rendered.shots if r.id in shots]
        last = rendered.shots[-1]
        return segments, last.start + last.frames / rendered.fps
    text = path.read_text(encoding="utf-8")
    pieces = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    if len(pieces) < MIN_CHAPTERS:
        pieces = [s for s in re.split(r"(?<=[.!?。！？])\s*", text) if s.strip()]
    segments, cursor = [], 0.0
    for piece in pieces:
        segments.append(Segment(cursor, " ".join(piece.split())))
        cursor += speech_seconds(piece)
    if not segments:
        raise CapabilityError(f"{path.name} is empty")
    return segments, cursor


def script_text(path: Path) -> str:
    """The words of a video: a storyboard's title and narration, subtitles' lines, or a
    script's text."""
    if path.suffix.lower() in STORYBOARD_SUFFIXES:
        board, _ = load_storyboard(path)
        return "\n\n".join([board.title, *(spoken_text(s.narration) for s in board.shots)])
    if path.suffix.lower() in SUBTITLE_SUFFIXES:
        return "\n".join(segment.text for segment in timed_segments(path)[0])
    return path.read_text(encoding="utf-8")


# --- chapters --------------------------------------------------------------------------------

class Chapter(BaseModel):
    first: int = Field(description="number of the segment the chapter starts with")
    title: str = Field(description="2-6 word chapter title")


class Chapters(BaseModel):
    """A video's chapters, in order; the first starts with segment 0."""

    chapters: list[Chapter]


CHAPTERS_PROMPT = """Split a video into chapters for YouTube.
You get its segments, numbered, each with its start time. Answer with chapters in order: the
segment number each starts with, and a short title (2-6 words) in the language of the
segments. The first chapter starts with segment 0. Make {low} to {high} chapters, each at
least {seconds:g} seconds long, where the topic changes."""


def clock(seconds: float, hours: bool) -> str:
    whole = int(seconds)
    if hours:
        return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"
    return f"{whole // 60:02d}:{whole % 60:02d}"


def chapter_lines(source: Path, model: BaseChatModel) -> list[str]:
    """YouTube chapter lines (`00:00 Title`) for the video `source` describes."""
    segments, total = timed_segments(source)
    if total < MIN_CHAPTERS * MIN_CHAPTER_SECONDS:
        raise CapabilityError(f"{source.name} lasts {total:.0f} s: YouTube chapters need at "
                              f"least {MIN_CHAPTERS * MIN_CHAPTER_SECONDS:.0f} s")
    hours = total >= 3600
    high = max(MIN_CHAPTERS, min(12, int(total // 60) + MIN_CHAPTERS))
    starts = [segment.start for segment in segments]

    def check(answer: Chapters) -> list[str]:
        firsts = [chapter.first for chapter in answer.chapters]
        if not firsts or firsts[0] != 0:
            return ["the first chapter must start with segment 0"]
        if any(not 0 <= f < len(segments) for f in firsts) or firsts != sorted(set(firsts)):
            return [f"segment numbers must rise, from 0 to {len(segments) - 1}"]
        if len(firsts) < MIN_CHAPTERS:
            return [f"make at least {MIN_CHAPTERS} chapters"]
        ends = [starts[f] for f in firsts[1:]] + [total]
        short = [c.title for c, f, end in zip(answer.chapters, firsts, ends, strict=True)
                 if end - starts[f] < MIN_CHAPTER_SECONDS]
        if short:
            return [f"chapters must last at least {MIN_CHAPTER_SECONDS:g} s; too short: "
                    + ", ".join(repr(t) for t in short)]
        if any(not c.title.strip() for c in answer.chapters):
            return ["every chapter needs a title"]
        return []

    listing = "\n".join(f"[{n}] {clock(s.start, hours)} {s.text}" for n, s in enumerate(segments))
    answer = ask(model, Chapters, [
        SystemMessage(CHAPTERS_PROMPT.format(low=MIN_CHAPTERS, high=high,
                                             seconds=MIN_CHAPTER_SECONDS)),
        HumanMessage(listing)], check)
    return [f"{clock(0 if n == 0 else starts[c.first], hours)} {' '.join(c.title.split())}"
            for n, c in enumerate(answer.chapters)]


class ChaptersOptions(ModelOptions):
    """Chapters are made from what the input says when."""


@capability("chapters", "YouTube chapter lines (00:00 Title) from subtitles, a script, or a "
            "storyboard's last render, titled by the LLM", "words", ChaptersOptions,
            output_suffix=".txt")
def chapters(inputs: list[Path], output: Path, options: ChaptersOptions,
             progress: ProgressCallback | None = None) -> Path:
    lines = chapter_lines(inputs[0], make_chat_model(options.model))
    output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return output


# --- upload text -----------------------------------------------------------------------------

Platform = Literal["youtube", "tiktok", "instagram", "podcast"]
TITLE_LIMITS = {"youtube": 100, "tiktok": 100, "instagram": 100, "podcast": 120}


class UploadText(BaseModel):
    """What goes with a video when it is published."""

    title: str = Field(description="the title: specific, inviting, no clickbait")
    description: str = Field(description="2-4 short paragraphs on what the video shows")
    hashtags: list[str] = Field(description="3-8 hashtags, each '#' and one word")


UPLOAD_PROMPT = """Write the text that goes with a video published on {platform}: a title of
at most {limit} characters, a description of 2-4 short paragraphs, and 3-8 hashtags ('#' and
one word, no spaces). Write in {language}. Say only what the video's script says."""


def upload_text(source: Path, model: BaseChatModel, platform: Platform = "youtube",
                language: str | None = None) -> UploadText:
    """Title, description and hashtags for the video `source` describes (a storyboard,
    subtitles or a script)."""
    text = script_text(source).strip()
    if not text:
        raise CapabilityError(f"{source.name} says nothing to describe")
    limit = TITLE_LIMITS[platform]

    def check(answer: UploadText) -> list[str]:
        problems = []
        if not 0 < len(answer.title.strip()) <= limit:
            problems.append(f"the title must have 1 to {limit} characters, it has "
                            f"{len(answer.title.strip())}")
        if not answer.description.strip():
            problems.append("the description is empty")
        wrong = [tag for tag in answer.hashtags if not re.fullmatch(r"#?\w+", tag.strip())]
        if wrong:
            problems.append(f"hashtags are '#' and one word: {', '.join(wrong)}")
        if not 3 <= len(answer.hashtags) <= 8:
            problems.append(f"give 3 to 8 hashtags, not {len(answer.hashtags)}")
        return problems

    answer = ask(model, UploadText, [
        SystemMessage(UPLOAD_PROMPT.format(platform=platform, limit=limit,
                                           language=language or "the script's language")),
        HumanMessage(text[:12000])], check)
    return UploadText(title=answer.title.strip(), description=answer.description.strip(),
                      hashtags=["#" + tag.strip().lstrip("#") for tag in answer.hashtags])


class UploadTextOptions(ModelOptions):
    platform: Platform = Field("youtube", description="Where the video is published")
    language: str | None = Field(None, description="Language of the text; default: the "
                                 "script's")


@capability("upload-text", "title, description and hashtags for publishing, written by the "
            "LLM from a storyboard, subtitles or a script (.json, or text)", "words",
            UploadTextOptions, output_suffix=".json")
def upload(inputs: list[Path], output: Path, options: UploadTextOptions,
           progress: ProgressCallback | None = None) -> Path:
    made = upload_text(inputs[0], make_chat_model(options.model), options.platform,
                       options.language)
    if output.suffix.lower() == ".json":
        output.write_text(made.model_dump_json(indent=2), encoding="utf-8")
    else:
        output.write_text(f"{made.title}\n\n{made.description}\n\n{' '.join(made.hashtags)}\n",
                          encoding="utf-8")
    return output
