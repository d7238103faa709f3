"""What a render needs, checked before any work starts: the output path, assets,
generators, music and voice (also what `storyreel validate` checks)."""

from __future__ import annotations

import os
import zlib
from pathlib import Path

from storyreel.generators import get_generator, resolve_name
from storyreel.generators.diffusion import is_local_folder
from storyreel.storyboards import Shot, Storyboard
from storyreel.storyboards.paths import inside_project
from storyreel.tools.probe import is_image
from storyreel.tools.tts import ResolvedVoice, resolve_voice

from .project import Project, ProjectError

MEDIA_SUFFIXES = {".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v"}


def shot_seed(board: Storyboard, shot: Shot) -> int:
    """The shot's seed (its own, else the storyboard's default), or a stable one derived from
    its id."""
    seed = board.generator.merged(shot.generator).seed
    if seed is not None:
        return seed
    return zlib.crc32(shot.id.encode("utf-8")) % 100_000


def preflight(storyboard: Storyboard, project: Project, output: Path) -> ResolvedVoice:
    """Everything a user can get wrong, checked before any work starts."""
    if not output.parent.is_dir():
        raise ProjectError(f"output folder {output.parent} does not exist; create it or "
                           "choose another path with -o")
    if not os.access(output.parent, os.W_OK):
        raise ProjectError(f"cannot write to {output.parent} (permission denied)")
    if output.suffix.lower() != ".mp4":
        raise ProjectError(f"output {output.name} must end in .mp4")
    return check_storyboard(storyboard, project)


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


def check_storyboard(storyboard: Storyboard, project: Project) -> ResolvedVoice:
    """What the storyboard refers to: assets, generators, music file and voice (also what
    `storyreel validate` checks)."""
    generators: set[tuple[str, str | None]] = set()
    for shot in storyboard.shots:
        spec = storyboard.generator.merged(shot.generator)
        resolve_name(spec.name)
        if shot.asset:
            path = project.asset(shot.asset, shot.id)
            if not (is_image(path) or path.suffix.lower() in MEDIA_SUFFIXES):
                raise ProjectError(f"shot {shot.id!r}: asset {shot.asset!r} is neither an image "
                                   f"nor a video ({', '.join(sorted(MEDIA_SUFFIXES))})")
        generators.add((picture_generator(storyboard, shot, shot_footage(project, shot)),
                        model_path(project, spec.model)))
    for name, model in sorted(generators, key=str):
        get_generator(name).check(model)
    source = storyboard.music.source
    if source not in {"auto", "none"}:
        path = inside_project(project.root, source)
        if path is None or not path.is_file():
            raise ProjectError(f"music file {source!r} not found inside the project folder")
    return resolve_voice(storyboard, project.root)
