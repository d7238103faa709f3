"""Brief -> storyboard, through an LLM's structured output, validated and repaired.

The model answers against `PlannedStoryboard` (small, so small local models manage it). Its
answer is checked: schema, unique ids, and narration long enough for the asked duration at
the voice's speaking rate. Problems go back to the model as data, a bounded number of times;
an invalid storyboard is never returned.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field, ValidationError

from storyreel.storyboards import Storyboard
from storyreel.storyboards.errors import UserError
from storyreel.storyboards.model import Aspect, Camera, Transition

from .chat import LLMUnreachable, _is_connection_error
from .pacing import estimate_seconds, target_seconds

MAX_ATTEMPTS = 3

SYSTEM_PROMPT = """You are the planner of storyreel, a narrated-video studio.
Write a storyboard for the user's brief: a hook first, then the body, then a close.
Rules:
- Narration is spoken by a text-to-speech voice: plain sentences, no stage directions, no
  markdown, no emoji. Write it in the brief's language.
- The total narration must last the asked length (at least 60 seconds unless asked
  otherwise). English is spoken at about {wps} words per second: {words} words in all for
  {seconds} seconds. Chinese at about 4.5 characters per second.
- One visual idea per shot, 1-3 sentences of narration per shot, 6-14 shots.
- `visual` describes what is seen (subject, setting, light), not the narration.
- `style` is one short phrase that prefixes every visual prompt (look, era).
- `look` (optional): `palette`, the colours, and `negative`, what no picture may show.
- `cast` (optional): the recurring characters, each a short lowercase id and how they look
  (age, clothes, features), written once. A shot lists the ids of the characters it shows
  in its `cast`; their looks are added to its picture prompt, so leave them out of `visual`.
- `sound` (optional) names the scene's ambient sounds, never speech or music.
- ids are short lowercase slugs (letters, digits, hyphens), unique.
- language is a BCP-47 tag: en, zh, de, ...
- aspect: "9:16" for phones/vertical/shorts/reels, else "16:9"."""


class PlannedShot(BaseModel):
    id: Annotated[str, Field(description="short unique slug, e.g. 'origins'")]
    title: str | None = Field(None, description="2-6 word on-screen title, optional")
    narration: str = Field(description="what the voice says in this shot")
    visual: str = Field(description="what is seen: subject, setting, light")
    sound: str | None = Field(None, description="ambient sounds of the scene, e.g. 'waves on "
                              "pebbles, distant gulls'; no speech, no music")
    camera: Camera = "auto"
    transition: Transition = "crossfade"
    cast: list[str] = Field(default_factory=list, description="ids of the cast members seen")


class PlannedCastMember(BaseModel):
    id: str = Field(description="short lowercase slug, e.g. 'kaldi'")
    description: str = Field(description="how they look, e.g. 'a young goat herder in a red "
                             "cloak'; used word for word in every shot they are in")


class PlannedLook(BaseModel):
    palette: str | None = Field(None, description="the colours, e.g. 'ochre, deep green'")
    negative: str | None = Field(None, description="what no picture may show, e.g. 'text'")


class PlannedStoryboard(BaseModel):
    """A storyboard plan for a narrated video."""

    title: str
    language: str = Field("en", description="BCP-47 language of the narration")
    aspect: Aspect = "16:9"
    style: str = Field(description="visual style prefix for every shot")
    look: PlannedLook = Field(default_factory=PlannedLook)
    cast: list[PlannedCastMember] = Field(default_factory=list,
                                          description="recurring characters, if any")
    shots: list[PlannedShot]


class PlanningFailed(UserError, RuntimeError):
    """The model did not produce a usable storyboard within the allowed attempts."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("the model did not produce a valid storyboard:\n  " +
                         "\n  ".join(problems))


def default_voice(language: str) -> dict:
    """Piper's bundled voice for English; a multilingual Coqui model otherwise."""
    if language.split("-")[0].lower() == "en":
        return {"engine": "piper", "voice": "en_US-joe-medium", "rate": 1.0}
    return {"engine": "coqui", "voice": "tts_models/multilingual/multi-dataset/xtts_v2",
            "speaker_wav": "assets/voice.wav"}


def to_storyboard_data(plan: PlannedStoryboard, voice: dict | None = None) -> dict:
    """The full storyboard (public contract keys) for a plan; no empty `look` or `cast`."""
    look = {k: v for k, v in plan.look.model_dump().items() if v}
    return {
        "version": 1,
        "title": plan.title,
        "language": plan.language,
        "format": {"aspect": plan.aspect, "height": 720, "fps": 24},
        "style": plan.style,
        **({"look": look} if look else {}),
        **({"cast": [member.model_dump() for member in plan.cast]} if plan.cast else {}),
        "voice": voice or default_voice(plan.language),
        "music": {"source": "auto", "gain_db": -18, "duck": True},
        "subtitles": {"burn": True, "style": "karaoke",
                      "max_chars": 16 if plan.language.startswith(("zh", "ja")) else 42},
        "shots": [{k: v for k, v in shot.model_dump().items() if v is not None and v != []}
                  for shot in plan.shots],
    }


def check_plan(plan: PlannedStoryboard, seconds: float) -> list[str]:
    """What is wrong with a plan, as sentences a model can act on."""
    problems: list[str] = []
    try:
        board = Storyboard.model_validate(to_storyboard_data(plan))
    except ValidationError as error:
        return [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
    spoken = estimate_seconds(board)
    if spoken < seconds * 0.85:
        problems.append(f"the narration lasts about {spoken:.0f} s but {seconds:.0f} s were "
                        f"asked: write about {seconds / spoken:.1f} times as much narration "
                        "(more shots or longer narration)")
    elif spoken > seconds * 1.35:
        problems.append(f"the narration lasts about {spoken:.0f} s but {seconds:.0f} s were "
                        "asked: shorten it")
    return problems


def plan_storyboard(brief: str, model: BaseChatModel, *, seconds: float | None = None,
                    voice: dict | None = None, max_attempts: int = MAX_ATTEMPTS,
                    on_progress: Callable[[str], None] | None = None) -> dict:
    """Plan a storyboard for `brief`; returns validated storyboard data (never invalid)."""
    seconds = seconds or target_seconds(brief)
    words = round(seconds * 2.7)
    structured = model.with_structured_output(PlannedStoryboard, include_raw=True)
    messages = [SystemMessage(SYSTEM_PROMPT.format(wps=2.7, words=words, seconds=round(seconds))),
                HumanMessage(brief)]
    problems: list[str] = []
    for attempt in range(1, max_attempts + 1):
        if on_progress:
            on_progress(f"planning, attempt {attempt}/{max_attempts}")
        try:
            result = structured.invoke(messages)
        except (ValidationError, OutputParserException, ValueError) as error:
            # Some clients (OpenAI's json_schema parsing) raise instead of reporting.
            result = {"raw": None, "parsed": None, "parsing_error": error}
        except Exception as error:
            if _is_connection_error(error):
                raise LLMUnreachable(
                    f"the model did not answer ({type(error).__name__}: {error}): start its "
                    "server, or point STORYREEL_MODEL and OPENAI_BASE_URL (OLLAMA_HOST for "
                    "Ollama) at one that is running") from error
            raise
        plan = result.get("parsed") if isinstance(result, dict) else None
        if plan is None:
            error = result.get("parsing_error") if isinstance(result, dict) else result
            problems = [f"the answer did not match the storyboard schema: {_short(error)}"]
        else:
            problems = check_plan(plan, seconds)
            if not problems:
                return to_storyboard_data(plan, voice)
        if on_progress:
            on_progress(f"repairing {len(problems)} problem(s): {problems[0][:80]}")
        previous = plan.model_dump_json() if plan is not None else _raw_text(result)
        messages.append(HumanMessage(
            f"Your previous answer was:\n{previous}\n\nIt has these problems:\n- " +
            "\n- ".join(problems) + "\nAnswer again with the complete, corrected storyboard."))
    raise PlanningFailed(problems)


def _short(error: object) -> str:
    return re.sub(r"\s+", " ", str(error))[:600]


def _raw_text(result: object) -> str:
    raw = result.get("raw") if isinstance(result, dict) else None
    text = getattr(raw, "content", "") or str(raw or "")
    return re.sub(r"\s+", " ", str(text))[:2000]
