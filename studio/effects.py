"""Per-shot effects: a shot's `effects:` list checked against the toolkit's registry, and applied
to its picture as the render stage "effects" (after "visual", before subtitles and segments).

The storyboard keeps effects as plain `{name: options}` maps (storyboards/ knows no tools);
here each becomes a registered capability with validated options. An effect may change the
clip's length (speed, slowmo, freeze) or size (reframe, blur-fill); the shot keeps its own:
the result is fitted to the shot's frames (cut, or its last frame held) and size (scaled to fit,
padded), and the render log says when the effects' length differed.
"""

from __future__ import annotations

import difflib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from storyreel.storyboards import Shot, json_schema
from storyreel.storyboards.errors import UserError
from storyreel.storyboards.paths import inside_project
from storyreel.tools.capabilities import (
    Capability,
    CapabilityError,
    all_capabilities,
    get_capability,
    run_capability,
)
from storyreel.tools.capabilities.clip import index_first, open_clip
from storyreel.tools.ffmpeg import ProgressCallback, run_ffmpeg
from storyreel.tools.video import aac, count_frames, x264

from .cache import Entry, content_key, file_fingerprint
from .stages import Job

FIT_PRESET, FIT_CRF = "fast", 18  # the fitted clip feeds the segment encodes: keep it crisp


class EffectsError(UserError, ValueError):
    """A shot's effects cannot be used (preflight reports the same problems at their lines)."""


class ResolvedEffect(BaseModel):
    """One effect ready to run: its capability, its options as written (with the first option
    filled in for the shorthand), and the files its options name, inside the project."""

    model_config = ConfigDict(frozen=True)

    name: str
    options: dict[str, Any]  # without the file options
    files: dict[str, Path] = {}  # option -> file inside the project


@dataclass(frozen=True)
class EffectProblem:
    """What is wrong with one effect: `where` is its place under the shot's `effects` key
    (index, effect name[, option]) and `message` the sentence's end."""

    where: tuple[str | int, ...]
    message: str


@dataclass(frozen=True)
class Applied:
    """What applying a shot's effects made: the effects' own length, and whether the fitted
    clip has sound."""

    frames_made: int
    sound: bool
    note: str  # said in the render log when the effects' length is not the shot's


def effect_capabilities() -> list[Capability]:
    """The capabilities a storyboard may use per shot."""
    return [entry for entry in all_capabilities() if entry.effect]


def _file_options(entry: Capability) -> set[str]:
    """Options that name a file (pydantic's FilePath, `X | None` unwrapped)."""
    found = set()
    for name, spec in entry.options.model_json_schema().get("properties", {}).items():
        parts = [spec, *spec.get("anyOf", [])]
        if any(part.get("format") in ("file-path", "path") for part in parts):
            found.add(name)
    return found


def _first_option(entry: Capability) -> str | None:
    return next(iter(entry.options.model_fields), None)


def parse_effect(root: Path, index: int, effect: dict[str, Any]
                 ) -> tuple[ResolvedEffect | None, list[EffectProblem]]:
    """One `{name: options}` entry checked against the registry: a per-shot tool, its options
    valid, the files it names inside the project `root`."""
    (name, value), = effect.items()
    effects = [entry.name for entry in effect_capabilities()]
    try:
        entry = get_capability(name)
    except CapabilityError:
        close = difflib.get_close_matches(name, effects, n=1)
        hint = f"did you mean {close[0]}?" if close else f"effects are: {', '.join(effects)}"
        return None, [EffectProblem((index, name), f"no effect named {name!r}; {hint}")]
    if not entry.effect:
        return None, [EffectProblem((index, name), f"{name} is a tool but not a per-shot "
                                    f"effect; effects are: {', '.join(effects)}")]
    first = _first_option(entry)
    if not isinstance(value, dict) and first is None:
        return None, [EffectProblem((index, name), f"{name} has no options; write {{{name}: {{}}}}")]
    options = dict(value) if isinstance(value, dict) else {first: value}
    shorthand = not isinstance(value, dict)
    problems: list[EffectProblem] = []
    files: dict[str, Path] = {}
    for option in _file_options(entry) & set(options):
        written = options[option]
        where = (index, name) if shorthand else (index, name, option)
        path = inside_project(root, str(written))
        if path is None:
            problems.append(EffectProblem(where, f"{option} {written!r} is outside the project "
                                          f"folder {root}; copy it into {root / 'assets'}"))
        elif not path.is_file():
            problems.append(EffectProblem(where, f"{option} {written!r} not found (looked for "
                                          f"{path})"))
        else:
            files[option] = path
    if problems:
        return None, problems
    try:
        entry.options.model_validate(options | files)
    except ValidationError as error:
        for item in error.errors(include_url=False):
            option = str(item["loc"][0]) if item["loc"] else ""
            where = (index, name) if shorthand or not option or option not in options \
                else (index, name, option)
            text = item["msg"].removeprefix("Value error, ").removeprefix("Input ")
            if item["type"] == "extra_forbidden":
                known = ", ".join(entry.options.model_fields) or "none"
                text = f"no option {option!r} (options: {known})"
            elif item["type"] == "missing":
                text = f"option {option!r} is required"
            elif option:
                text = f"{option} {text} (got {item['input']!r})"
            problems.append(EffectProblem(where, text))
        return None, problems
    plain = {key: item for key, item in options.items() if key not in files}
    return ResolvedEffect(name=name, options=plain, files=files), []


def check_effects(root: Path, shot: Shot) -> tuple[list[ResolvedEffect], list[EffectProblem]]:
    """The shot's effects that can run, and the problems of those that cannot."""
    resolved: list[ResolvedEffect] = []
    problems: list[EffectProblem] = []
    for index, effect in enumerate(shot.effects):
        found, wrong = parse_effect(root, index, effect)
        problems += wrong
        if found is not None:
            resolved.append(found)
    return resolved, problems


def resolve_effects(root: Path, shot: Shot) -> list[ResolvedEffect]:
    """The shot's effects ready to run; EffectsError with every problem otherwise."""
    resolved, problems = check_effects(root, shot)
    if problems:
        raise EffectsError(f"shot {shot.id!r}: " + "; ".join(
            f"effect {p.where[1]}: {p.message}" for p in problems))
    return resolved


def effects_job(root: Path, shot: Shot, clip: Entry, frames: int, fps: int) -> Job:
    """The cache entry of the shot's picture with its effects applied: keyed by the picture's
    own entry, the effects with the files they read, and the shot's frames."""
    effects = resolve_effects(root, shot)
    inputs = {"clip": clip.path} | {f"effect{index}-{option}": path
                                    for index, effect in enumerate(effects)
                                    for option, path in effect.files.items()}
    key = content_key("effects", clip.path.name, [effect.model_dump(mode="json", exclude={"files"})
                                                  for effect in effects],
                      {name: file_fingerprint(path) for name, path in inputs.items()
                       if name != "clip"}, frames, fps, FIT_PRESET, FIT_CRF)
    return Job("effects", shot.id, key, ".mp4", effects_work,
               {"effects": effects, "frames": frames, "fps": fps, "meta": clip.meta}, inputs)


def effects_work(output: Path, inputs: dict[str, Path], *, effects: list[ResolvedEffect],
                 frames: int, fps: int, meta: dict, progress: ProgressCallback | None = None
                 ) -> dict:
    """Stage work (studio/stages.py): the effects on `inputs["clip"]`, their files read from
    `inputs`; the picture's own facts (generator, credit) carried over."""
    chain = [(effect.name, effect.options | {option: inputs[f"effect{index}-{option}"]
                                             for option in effect.files})
             for index, effect in enumerate(effects)]
    applied = apply_effects(inputs["clip"], chain, frames, fps, output, progress)
    return meta | {"frames": frames, "sound": applied.sound, "effects_frames": applied.frames_made,
                   "effects_note": applied.note}


def apply_effects(clip: Path, effects: list[tuple[str, dict[str, Any]]], frames: int, fps: int,
                  output: Path, progress: ProgressCallback | None = None) -> Applied:
    """Run `effects` (capability name, options) in order on `clip`, then fit the result to
    `frames` frames at `fps` and the clip's own size, written to `output`."""
    source = open_clip(clip, "effects")
    steps = len(effects) + 1

    def share(step: int) -> ProgressCallback | None:
        return None if progress is None else lambda done: progress((step + done) / steps)

    with tempfile.TemporaryDirectory(prefix=".effects.part-", dir=output.parent) as scratch:
        current = clip
        for step, (name, options) in enumerate(effects):
            made = Path(scratch) / f"{step}-{name}.mp4"
            try:
                current = run_capability(name, [current], made, options, share(step))
            except CapabilityError as error:  # this shot fails; the others render on
                raise EffectsError(f"effect {name}: {error}") from None
        made_frames = count_frames(current)
        result = open_clip(current, "effects")
        fitted = (made_frames == frames and (result.width, result.height) ==
                  (source.width, source.height) and result.fps == fps)
        if fitted and current != clip:
            shutil.copyfile(current, output)
        else:
            _fit(current, frames, fps, source.width, source.height, result.has_audio, output,
                 share(len(effects)))
    return Applied(made_frames, result.has_audio, _length_note(made_frames, frames, fps))


def _fit(clip: Path, frames: int, fps: int, width: int, height: int, sound: bool, output: Path,
         progress: ProgressCallback | None) -> None:
    """Exactly `frames` frames of `clip` at `fps`, scaled to fit `width`x`height` (padded):
    cut when longer, its last frame held when shorter; the sound cut or padded alike."""
    seconds = frames / fps
    picture = (f"fps={fps},scale={width}:{height}:force_original_aspect_ratio=decrease,"
               f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1,"
               f"tpad=stop_mode=clone:stop={frames},format=yuv420p")
    audio = ["-af", f"apad=whole_dur={seconds:.6f},atrim=end={seconds:.6f}", *aac()] \
        if sound else ["-an"]
    run_ffmpeg(["-i", str(clip), "-map", "0:v:0", *(["-map", "0:a:0"] if sound else []),
                "-vf", picture, *audio, "-frames:v", str(frames),
                *x264(FIT_PRESET, FIT_CRF, fps * 2), "-r", str(fps), *index_first(output),
                str(output)], duration=seconds, on_progress=progress)


def _length_note(made: int, frames: int, fps: int) -> str:
    if made == frames:
        return ""
    what = "cut to the shot's length" if made > frames else "its last frame is held to the end"
    return (f"its effects make {made / fps:.2f} s of picture where the shot lasts "
            f"{frames / fps:.2f} s: {what}")


def effect_schemas() -> dict[str, dict]:
    """Each effect's value as JSON Schema: its options, or (shorthand) its first option."""
    schemas = {}
    for entry in effect_capabilities():
        options = entry.options.model_json_schema()
        first = _first_option(entry)
        shorthand = options.get("properties", {}).get(first) if first else None
        schemas[entry.name] = {"anyOf": [options, shorthand]} if shorthand else options
    return schemas


def storyboard_schema() -> dict:
    """The storyboard's JSON Schema with every effect's options (`storyreel schema`)."""
    return json_schema(effect_schemas())
