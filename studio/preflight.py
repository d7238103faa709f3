"""What a render needs, checked before any work starts: the output path, assets,
generators, music and voice (also what `storyreel validate` checks)."""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path
from typing import Literal

from ruamel.yaml.comments import CommentedMap

from storyreel.generators import GeneratorError, get_generator, resolve_name
from storyreel.generators.diffusion import DiffusionGenerator, is_local_folder
from storyreel.storyboards import (
    GeneratorSpec,
    Problem,
    Shot,
    Storyboard,
    StoryboardError,
    problem_at,
)
from storyreel.storyboards.atomic import write_text_atomic
from storyreel.storyboards.errors import shot_label
from storyreel.storyboards.paths import inside_project
from storyreel.tools.probe import decode_check, is_image
from storyreel.tools.speech import VoiceCannotSpeak, VoiceNotFound
from storyreel.tools.tts import ResolvedVoice, resolve_voice

from .cache import file_fingerprint
from .effects import check_effects
from .project import Project, ProjectError

MEDIA_SUFFIXES = {".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v"}
DECODE_VERDICTS = "decoded.json"  # in the project's cache folder


def shot_seed(board: Storyboard, shot: Shot) -> int:
    """The shot's seed (its own, else the storyboard's default), or a stable one derived from
    its id."""
    seed = board.generator.merged(shot.generator).seed
    if seed is not None:
        return seed
    return zlib.crc32(shot.id.encode("utf-8")) % 100_000


def preflight(storyboard: Storyboard, project: Project, output: Path,
              document: CommentedMap | None = None) -> ResolvedVoice:
    """Everything a user can get wrong, checked before any work starts; `document` (the
    parsed storyboard file) gives the storyboard's problems their lines. Footage is checked
    to the end of its packets, not decoded: the render decodes it (`validate` does both)."""
    if not output.parent.is_dir():
        raise ProjectError(f"output folder {output.parent} does not exist; create it or "
                           "choose another path with -o")
    if not os.access(output.parent, os.W_OK):
        raise ProjectError(f"cannot write to {output.parent} (permission denied)")
    if output.suffix.lower() != ".mp4":
        raise ProjectError(f"output {output.name} must end in .mp4")
    return check_storyboard(storyboard, project, document, decode_footage=False)


def model_path(project: Project, model: str | None) -> str | None:
    """A checkpoint folder written relative to the project (or with ~) as an absolute path;
    hub ids as they are."""
    if model is None:
        return None
    folder = project.root / Path(model).expanduser()
    return str(folder.resolve()) if is_local_folder(model) or folder.exists() else model


def shot_footage(project: Project, shot: Shot) -> Path | None:
    """The shot's own video, when its asset is one."""
    if not shot.asset:
        return None
    path = project.asset(shot.asset, shot.id)
    return None if is_image(path) else path


def picture_generator(board: Storyboard, shot: Shot, footage: Path | None) -> str:
    """The generator that makes a shot's picture: the user's own footage is fitted to the shot
    by the animatic, never replaced by generated video; else the shot's (or board's) choice."""
    return "animatic" if footage is not None else board.generator.merged(shot.generator).name


def check_storyboard(storyboard: Storyboard, project: Project,
                     document: CommentedMap | None = None, *,
                     decode_footage: bool = True) -> ResolvedVoice:
    """What the storyboard refers to: assets (opened and decoded; footage only read to the
    end of its packets without `decode_footage`), generators, reference images, the shots'
    effects (known, with valid options), music file and voice (also what `storyreel
    validate` checks).

    Every problem with the storyboard's content is raised together as one StoryboardError,
    each at its key's line in `document` (the parsed file; no lines without it). What this
    machine lacks to run a generator (a checkpoint, the diffusion extra) raises
    GeneratorError (CheckpointMissing), checked once the content is right.
    """
    problems: list[Problem] = []
    verdicts = _Verdicts(project.cache_dir / DECODE_VERDICTS, decode_footage)

    def generator(spec: GeneratorSpec, loc: tuple[str | int, ...], subject: str) -> None:
        """The spec's own name and reference image (those it sets, not those it inherits)."""
        if "name" in spec.model_fields_set:
            try:
                resolve_name(spec.name)
            except GeneratorError as error:
                problems.append(problem_at(document, (*loc, "name"), f"{subject}{error}"))
        if spec.reference_image:
            wrong = _file_problem(project, spec.reference_image, "image", verdicts)
            if wrong:
                problems.append(problem_at(document, (*loc, "reference_image"),
                                           f"{subject}generator.reference_image {wrong}"))

    generator(storyboard.generator, ("generator",), "")
    for index, shot in enumerate(storyboard.shots):
        label = shot_label(index, shot.id)
        generator(shot.generator, ("shots", index, "generator"), f"{label}: ")
        wrong = shot.asset and _file_problem(project, shot.asset, "picture", verdicts)
        if wrong:
            problems.append(problem_at(document, ("shots", index, "asset"),
                                       f"{label}: asset {wrong}"))
        problems += [problem_at(document, ("shots", index, "effects", *effect.where),
                                f"{label}: effect {effect.where[1]}: {effect.message}")
                     for effect in check_effects(project.root, shot)[1]]
    for index, member in enumerate(storyboard.cast):
        wrong = member.reference and _file_problem(project, member.reference, "image", verdicts)
        if wrong:
            problems.append(problem_at(document, ("cast", index, "reference"),
                                       f"cast member {member.id!r}: reference {wrong}"))
    source = storyboard.music.source
    wrong = source not in {"auto", "none"} and _file_problem(project, source, "sound", verdicts)
    if wrong:
        problems.append(problem_at(document, ("music", "source"), f"music file {wrong}"))
    try:
        voice = resolve_voice(storyboard, project.root)
    except (VoiceNotFound, VoiceCannotSpeak) as error:
        problems.append(problem_at(document, ("voice",), str(error)))
    verdicts.save()
    if problems:
        raise StoryboardError(problems, project.storyboard_path)
    _check_generators(storyboard, project)
    return voice


def _check_generators(storyboard: Storyboard, project: Project) -> None:
    """Each generator the shots use can run here, with its model."""
    generators: set[tuple[str, str | None, str]] = set()
    for shot in storyboard.shots:
        spec = storyboard.generator.merged(shot.generator)
        generators.add((picture_generator(storyboard, shot, shot_footage(project, shot)),
                        model_path(project, spec.model), spec.preset))
    for name, model, preset in sorted(generators, key=str):
        generator = get_generator(name)
        if isinstance(generator, DiffusionGenerator):  # a preset may need other weights
            generator.check(model, preset=preset)
        else:
            generator.check(model)


def _file_problem(project: Project, relative: str, need: Literal["picture", "image", "sound"],
                  verdicts: _Verdicts) -> str | None:
    """What is wrong with a file the storyboard names, as the end of a sentence that starts
    with what it is for ("asset ..."), or None."""
    path = inside_project(project.root, relative)
    if path is None:
        return (f"{relative!r} is outside the project folder {project.root}; copy it into "
                f"{project.root / 'assets'}")
    if not path.is_file():
        return f"{relative!r} not found (looked for {path}); put the file in {project.root / 'assets'}"
    if need == "picture" and not (is_image(path) or path.suffix.lower() in MEDIA_SUFFIXES):
        return (f"{relative!r} is neither an image nor a video "
                f"({', '.join(sorted(MEDIA_SUFFIXES))})")
    try:
        reason = verdicts.problem(path, need)
    except OSError as error:
        return f"{relative!r} cannot be read ({error.strerror or error})"
    return f"{relative!r} cannot be used: {reason}" if reason else None


class _Verdicts:
    """What decoding each user file found, kept in the project's cache by the file's
    fingerprint (name, size, modification time): render and validate decode long footage
    once, not on every run. Without `decode_video`, a video's packets are read instead (a
    verdict of a full decode is used when there is one)."""

    def __init__(self, path: Path, decode_video: bool = True):
        self.path, self.decode_video = path, decode_video
        try:
            self.stored: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.stored = {}
        self.used: dict[str, str] = {}

    def problem(self, file: Path, need: Literal["picture", "image", "sound"]) -> str | None:
        key = f"{need}:{file_fingerprint(file)}"
        light = not self.decode_video and need == "picture" and not is_image(file)
        if light and key not in self.stored:
            key = f"{need}-packets:{file_fingerprint(file)}"
        if key not in self.used:
            found = self.stored.get(key)
            self.used[key] = found if isinstance(found, str) else decode_check(
                file, need, decode_video=not light) or ""
        return self.used[key] or None

    def save(self) -> None:
        """Keep the verdicts of the files in use (older versions of them drop out)."""
        if self.used == self.stored:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(self.path, json.dumps(self.used, indent=1, sort_keys=True))
        except OSError:
            pass  # a read-only project still validates; it decodes again next time
