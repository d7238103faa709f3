"""The studio agent's tools: thin `@tool` wrappers over the storyboard editor and the studio's
render. The project they act on comes from the agent's runtime context (`StudioContext`), so
the tools are plain module-level functions; they never touch a file outside the project."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from langchain.tools import ToolRuntime
from langchain_core.tools import BaseTool, tool

from storyreel.generators.registry import names as generator_names
from storyreel.storyboards.edits import StoryboardEditor
from storyreel.storyboards.errors import UserError
from storyreel.storyboards.model import Aspect, Camera, Transition
from storyreel.storyboards.paths import inside_project
from storyreel.tools.capabilities import (
    Capability,
    CapabilityError,
    all_capabilities,
    get_capability,
    run_capability,
)
from storyreel.tools.ffmpeg import FFmpegError

STATE_FOLDER = ".storyreel"  # the studio's own files in a project: no tool writes there


@dataclass(frozen=True)
class StudioContext:
    """What the tools act on: one project's storyboard editor, and the studio's own render
    and status report for it (each returns a sentence for the model)."""

    editor: StoryboardEditor
    render: Callable[[], str]
    status: Callable[[], str]


Runtime = ToolRuntime[StudioContext]


def _safely(action: Callable[[], str]) -> str:
    """Tool errors are data for the model: report, never raise (a failed render included)."""
    try:
        return action()
    except (UserError, ValueError, OSError) as error:
        return f"error: {error}"


def _given(**values: Any) -> dict[str, Any]:
    """The arguments the model gave; None means "leave as it is"."""
    return {key: value for key, value in values.items() if value is not None}


def _apply(edit: Callable[[], object], done: str) -> str:
    """Run an edit; say what changed, or why it could not be made."""
    def run() -> str:
        edit()
        return done
    return _safely(run)


def _editor(runtime: Runtime) -> StoryboardEditor:
    return runtime.context.editor


@tool
def show_storyboard(runtime: Runtime) -> str:
    """Show the current storyboard: title, style, look, cast, voice, music, generator, and
    every shot with its id, cast, narration, visual, sound, camera, transition and asset.
    Call this before editing."""
    board, _ = _editor(runtime).load()
    lines = [f"title: {board.title} | language: {board.language} | aspect: "
             f"{board.format.aspect} | style: {board.style} | voice: {board.voice.engine} "
             f"{board.voice.voice} rate {board.voice.rate} | music: {board.music.source} | "
             f"generator: {board.generator.name} | ambience: {board.ambience.source}"]
    look = board.look.model_dump(exclude_defaults=True)
    if look:
        lines.append(f"look: {look}")
    lines += [f"cast member {member.id}: {member.description}"
              + (f" (reference {member.reference})" if member.reference else "")
              for member in board.cast]
    for number, shot in enumerate(board.shots, start=1):
        extra = f" asset={shot.asset}" if shot.asset else ""
        if shot.cast:
            extra += f" cast={','.join(shot.cast)}"
        if shot.generator.seed is not None:
            extra += f" seed={shot.generator.seed}"
        if "name" in shot.generator.model_fields_set:
            extra += f" generator={shot.generator.name}"
        if shot.effects:
            extra += f" effects={json.dumps(shot.effects)}"
        heard = f"\n   sound: {shot.sound}" if shot.sound else ""
        lines.append(f"{number}. id={shot.id} camera={shot.camera} transition="
                     f"{shot.transition}{extra}\n   narration: {shot.narration}\n"
                     f"   visual: {shot.visual}{heard}")
    return "\n".join(lines)


@tool
def set_narration(shot_id: str, narration: str, runtime: Runtime) -> str:
    """Replace what the voice says in one shot."""
    return _apply(lambda: _editor(runtime).set_fields(shot_id, narration=narration),
                  f"rewrote the narration of shot {shot_id}")


@tool
def set_visual(shot_id: str, visual: str, runtime: Runtime, title: str | None = None) -> str:
    """Replace what is seen in one shot (and optionally its on-screen title)."""
    fields = {"visual": visual} | ({"title": title} if title is not None else {})
    return _apply(lambda: _editor(runtime).set_fields(shot_id, **fields),
                  f"changed the visual of shot {shot_id}")


@tool
def set_sound(shot_id: str, sound: str, runtime: Runtime) -> str:
    """Describe what is heard in one shot besides the narration, e.g. 'waves on pebbles,
    distant gulls' (generators that make sound, such as ltx-2, follow it)."""
    return _apply(lambda: _editor(runtime).set_fields(shot_id, sound=sound),
                  f"set the sound of shot {shot_id}")


@tool
def set_shot_options(shot_id: str, runtime: Runtime, camera: Camera | None = None,
                     transition: Transition | None = None,
                     duration_seconds: float | None = None) -> str:
    """Set a shot's camera move, its transition into the next shot, or a fixed duration
    in seconds (0 means automatic: as long as the narration)."""
    fields = _given(camera=camera, transition=transition)
    if duration_seconds is not None:
        fields["duration"] = "auto" if duration_seconds <= 0 else duration_seconds
    if not fields:
        return "error: nothing to change"
    return _apply(lambda: _editor(runtime).set_fields(shot_id, **fields),
                  f"set {', '.join(fields)} of shot {shot_id}")


@tool
def add_shot(narration: str, visual: str, runtime: Runtime, after_shot_id: str | None = None,
             title: str | None = None) -> str:
    """Add a new shot after the given shot (or at the end)."""
    def run() -> str:
        _, new_id = _editor(runtime).add_shot(narration, visual, after=after_shot_id,
                                              title=title)
        return f"added shot {new_id}" + (f" after {after_shot_id}" if after_shot_id else "")
    return _safely(run)


@tool
def remove_shot(shot_id: str, runtime: Runtime) -> str:
    """Delete a shot."""
    return _apply(lambda: _editor(runtime).remove_shot(shot_id), f"removed shot {shot_id}")


@tool
def move_shot(shot_id: str, position: int, runtime: Runtime) -> str:
    """Move a shot to a position in the video (1 = first)."""
    return _apply(lambda: _editor(runtime).move_shot(shot_id, position),
                  f"moved shot {shot_id} to position {position}")


@tool
def split_shot(shot_id: str, runtime: Runtime, first_narration: str | None = None,
               second_narration: str | None = None) -> str:
    """Split a shot in two. Give both narrations, or neither to split at the middle
    sentence. Both new shots keep the original look."""
    def run() -> str:
        _, ids = _editor(runtime).split_shot(shot_id, first_narration, second_narration)
        return f"split shot {shot_id} into {ids[0]}, {ids[1]}"
    return _safely(run)


@tool
def merge_shots(first_shot_id: str, second_shot_id: str, runtime: Runtime) -> str:
    """Merge a shot with the one right after it (narrations joined)."""
    return _apply(lambda: _editor(runtime).merge_shots(first_shot_id, second_shot_id),
                  f"merged {second_shot_id} into {first_shot_id}")


@tool
def set_style(style: str, runtime: Runtime) -> str:
    """Set the visual style phrase that prefixes every shot's visual prompt."""
    return _apply(lambda: _editor(runtime).set_top("style", style),
                  f"set the style to {style!r}")


@tool
def set_look(runtime: Runtime, style: str | None = None, palette: str | list[str] | None = None,
             negative: str | None = None) -> str:
    """Set the look every picture shares: style words that open every picture prompt
    ('hand-painted watercolour'), the palette (colour words or a list of names or hex codes)
    and negative (what no picture should show: 'text, watermark'). Leave out what stays;
    an empty value removes it."""
    fields = _given(style=style, palette=palette, negative=negative)
    if not fields:
        return "error: nothing to change"
    return _apply(lambda: _editor(runtime).set_look(**fields),
                  f"set the look's {', '.join(fields)}")


@tool
def add_cast_member(member_id: str, description: str, runtime: Runtime,
                    reference: str | None = None) -> str:
    """Add a recurring character to the cast: a short lowercase id ('kaldi') and how they
    look ('a young Ethiopian goat herder in a red cloak'). The description is added word for
    word to the picture prompt of every shot that lists the id (see set_shot_cast), so keep
    looks out of the shots' visuals. reference: an image of them in the project (see
    list_assets), for picture models that use one."""
    return _apply(lambda: _editor(runtime).add_cast_member(member_id, description, reference),
                  f"added {member_id} to the cast")


@tool
def edit_cast_member(member_id: str, runtime: Runtime, description: str | None = None,
                     reference: str | None = None) -> str:
    """Change how a cast member looks (description) or their reference image in the project
    (an empty reference removes it). Every shot they are in changes with it."""
    if description is None and reference is None:
        return "error: nothing to change"
    return _apply(lambda: _editor(runtime).edit_cast_member(member_id, description, reference),
                  f"changed cast member {member_id}")


@tool
def remove_cast_member(member_id: str, runtime: Runtime) -> str:
    """Remove a character from the cast, and from every shot that lists them."""
    def run() -> str:
        _, shots = _editor(runtime).remove_cast_member(member_id)
        return f"removed {member_id} from the cast" + (
            f" and from shots {', '.join(shots)}" if shots else "")
    return _safely(run)


@tool
def set_shot_cast(shot_id: str, cast_ids: list[str], runtime: Runtime) -> str:
    """Say which cast members are seen in a shot, by id (an empty list: none). Each one's
    description goes into the shot's picture prompt."""
    return _apply(lambda: _editor(runtime).set_shot_cast(shot_id, cast_ids),
                  f"shot {shot_id} now shows {', '.join(cast_ids) or 'nobody from the cast'}")


@tool
def set_voice(runtime: Runtime, voice: str | None = None, engine: str | None = None,
              rate: float | None = None, speaker_wav: str | None = None) -> str:
    """Change the narrator: a Piper voice name or .onnx path (engine 'piper'), or a Coqui
    model folder (engine 'coqui', optionally cloning speaker_wav, a file in the project);
    rate 1.0 is normal speed."""
    editor = _editor(runtime)
    fields = _given(voice=voice, engine=engine, rate=rate, speaker_wav=speaker_wav)
    if speaker_wav is not None and not _inside(editor.path, speaker_wav):
        return f"error: {speaker_wav!r} is not a file inside the project"
    return _apply(lambda: editor.set_top("voice", fields), f"set the voice: {fields}")


@tool
def set_music(runtime: Runtime, source: str | None = None, gain_db: float | None = None,
              duck: bool | None = None) -> str:
    """Set the music bed: source 'auto' (generated ambient), 'none', or a file in the
    project; gain in dB (e.g. -18); duck lowers music under the voice."""
    editor = _editor(runtime)
    fields = _given(source=source, gain_db=gain_db, duck=duck)
    if source not in (None, "auto", "none") and not _inside(editor.path, source):
        return f"error: {source!r} is not a file inside the project"
    return _apply(lambda: editor.set_top("music", fields), f"set the music: {fields}")


@tool
def set_ambience(runtime: Runtime, source: Literal["shots", "none"] | None = None,
                 gain_db: float | None = None, duck: bool | None = None) -> str:
    """Set the ambience: the shots' own sound (what ltx-2 makes with the picture, the
    sound of the user's video clips), played under the voice. source 'shots' uses it,
    'none' turns it off; gain in dB (e.g. -12); duck lowers it while the voice speaks."""
    fields = _given(source=source, gain_db=gain_db, duck=duck)
    return _apply(lambda: _editor(runtime).set_top("ambience", fields),
                  f"set the ambience: {fields}")


@tool
def set_generator(generator: str, runtime: Runtime, model: str | None = None,
                  shot_id: str | None = None) -> str:
    """Choose what makes the pictures, for every shot or (with shot_id) one shot:
    'auto' (best this machine can run), 'animatic' (CPU), 'ltx-2' (video with its own
    sound), 'ltx-video', 'wan' or 'cogvideox'. model: a hub id or a local folder."""
    if generator not in {"auto", *generator_names()}:
        return (f"error: unknown generator {generator!r}; choose one of auto, "
                f"{', '.join(generator_names())}")
    editor = _editor(runtime)
    fields = {"name": generator} | ({"model": model} if model else {})
    if shot_id is None:
        return _apply(lambda: editor.set_top("generator", fields),
                      f"every shot now uses {generator}")
    return _apply(lambda: editor.set_generator(shot_id, **fields),
                  f"shot {shot_id} now uses {generator}")


@tool
def set_aspect(aspect: Aspect, runtime: Runtime) -> str:
    """Set the frame: '16:9' (landscape), '9:16' (vertical, phones), '1:1' or '4:5'."""
    return _apply(lambda: _editor(runtime).set_top("format", {"aspect": aspect}),
                  f"set the aspect to {aspect}")


@tool
def use_asset(shot_id: str, path: str | None, runtime: Runtime) -> str:
    """Use an image or video from the project (e.g. assets/photo.jpg) as a shot's
    picture; path null goes back to a generated picture. Call list_assets first."""
    return _apply(lambda: _editor(runtime).set_asset(shot_id, path),
                  f"shot {shot_id} now uses {path}" if path else
                  f"shot {shot_id} uses a generated picture again")


@tool
def list_assets(runtime: Runtime) -> str:
    """List the image, video and audio files in the project's assets/ folder."""
    folder = _editor(runtime).path.resolve().parent / "assets"
    files = sorted(p.relative_to(folder.parent).as_posix() for p in folder.rglob("*")
                   if p.is_file()) if folder.exists() else []
    return "\n".join(files) or "assets/ is empty"


@tool
def set_seed(shot_id: str, seed: int, runtime: Runtime) -> str:
    """Set the random seed of a shot's picture; a new seed gives a different take."""
    return _apply(lambda: _editor(runtime).set_generator(shot_id, seed=seed),
                  f"set the seed of shot {shot_id} to {seed}")


@tool
def validate_storyboard(runtime: Runtime) -> str:
    """Check that the storyboard file is valid."""
    return _apply(lambda: _editor(runtime).load(), "the storyboard is valid")


@tool
def render_video(runtime: Runtime) -> str:
    """Render the video; only what changed since the last render is redone."""
    return _safely(runtime.context.render)


@tool
def project_status(runtime: Runtime) -> str:
    """Report the project: the last rendered file, its length, and whether the
    storyboard changed since (then a render is needed)."""
    return _safely(runtime.context.status)


def _root(runtime: Runtime) -> Path:
    return _editor(runtime).path.resolve().parent


def _in_project(root: Path, relative: str, what: str) -> Path:
    path = inside_project(root, relative)
    if path is None:
        raise ValueError(f"{what} {relative!r} is outside the project folder; only files "
                         "inside it can be used")
    return path


def _with_files(entry: Capability, options: dict[str, Any], root: Path) -> dict[str, Any]:
    """`options` with the files they name found inside the project (any other refused)."""
    fields = entry.options.model_json_schema().get("properties", {})
    found = dict(options)
    for name, value in options.items():
        spec = fields.get(name, {})
        if any(part.get("format") in ("file-path", "path")
               for part in (spec, *spec.get("anyOf", []))):
            found[name] = _in_project(root, str(value), f"option {name}")
    return found


@tool
def list_tools() -> str:
    """List every audio/video tool run_tool can use: its name, kind, how many input files it
    takes, what it does and its option names. Tools marked 'effect' can also be put on a
    shot with add_effect, so every render applies them."""
    lines = []
    for entry in all_capabilities():
        low, high = entry.inputs
        count = str(low) if low == high else f"{low}-{high}"
        mark = ", effect" if entry.effect else ""
        options = ", ".join(entry.options.model_fields) or "none"
        lines.append(f"{entry.name} ({entry.kind}{mark}, {count} input(s), writes "
                     f"{entry.output_suffix}): {entry.summary}. Options: {options}")
    return "\n".join(lines)


@tool
def run_tool(name: str, inputs: list[str], output: str, runtime: Runtime,
             options: dict[str, Any] | None = None) -> str:
    """Run one tool of list_tools on files in the project (paths relative to the project
    folder, e.g. out/final.mp4 or assets/clip.mp4) and write `output` there, e.g.
    run_tool('reframe', ['out/final.mp4'], 'out/vertical.mp4', {'aspect': '9:16'}).
    Options that name a file take a path in the project too."""
    def run() -> str:
        root = _root(runtime)
        entry = get_capability(name)
        sources = [_in_project(root, path, "input") for path in inputs]
        target = _in_project(root, output, "output")
        if target == _editor(runtime).path.resolve() or \
                target.is_relative_to(root / STATE_FOLDER):
            raise ValueError(f"output {output!r} would replace the storyboard or the studio's "
                             "own files; choose a file in out/ or assets/")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            made = run_capability(name, sources, target, _with_files(entry, options or {}, root))
        except FFmpegError as error:
            raise CapabilityError(f"{name} failed: {error.summary}") from None
        return f"{name} wrote {made.relative_to(root).as_posix()}"
    return _safely(run)


@tool
def add_effect(shot_id: str, name: str, runtime: Runtime,
               options: dict[str, Any] | None = None) -> str:
    """Put an effect on a shot's picture, applied at every render after the picture is made:
    one of the tools list_tools marks 'effect' (stabilize, speed, slowmo, reverse, freeze,
    crop, grade, ...) with its options, e.g. add_effect('cup', 'speed', {'factor': 0.5}).
    The shot keeps its length. Effects run in the order they were added."""
    def run() -> str:
        entry = get_capability(name)
        if not entry.effect:
            effects = ", ".join(e.name for e in all_capabilities() if e.effect)
            raise ValueError(f"{name} is not a per-shot effect; effects are: {effects}")
        entry.options.model_validate(_with_files(entry, options or {}, _root(runtime)))
        _editor(runtime).add_effect(shot_id, name, options or {})
        return f"added the {name} effect to shot {shot_id}"
    return _safely(run)


@tool
def remove_effect(shot_id: str, name: str, runtime: Runtime) -> str:
    """Take an effect (every one of that name) off a shot."""
    return _apply(lambda: _editor(runtime).remove_effect(shot_id, name),
                  f"removed the {name} effect from shot {shot_id}")


STUDIO_TOOLS: list[BaseTool] = [
    show_storyboard, set_narration, set_visual, set_sound, set_shot_options, add_shot,
    remove_shot, move_shot, split_shot, merge_shots, set_style, set_look, add_cast_member,
    edit_cast_member, remove_cast_member, set_shot_cast, set_voice, set_music, set_ambience,
    set_generator, set_aspect, use_asset, list_assets, set_seed, validate_storyboard,
    render_video, project_status, list_tools, run_tool, add_effect, remove_effect]


def _inside(storyboard: Path, relative: str) -> bool:
    target = inside_project(storyboard.resolve().parent, relative)
    return target is not None and target.is_file()
