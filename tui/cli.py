"""The `storyreel` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from storyreel.storyboards import examples, load_storyboard
from storyreel.studio.events import JsonLines
from storyreel.studio.progress import RichProgress
from storyreel.studio.project import STORYBOARD

from .cli_errors import err, fail, out, user_errors
from .import_cli import import_command
from .keyframes_cli import keyframes, plan_cost
from .preview_cli import preview_command

T = TypeVar("T")

app = typer.Typer(help="storyreel: storyboard YAML to a narrated, subtitled video, offline. "
                  "Run with no command inside a project folder to open the studio.",
                  add_completion=False, pretty_exceptions_enable=False,
                  invoke_without_command=True)
STORYBOARD_ARGUMENT = "storyboard.yaml, or the project folder holding it"


@app.callback()
def main(ctx: typer.Context) -> None:
    """Open the studio when run bare inside a project; otherwise show help."""
    if ctx.invoked_subcommand is not None:
        return
    if (Path.cwd() / STORYBOARD).exists():
        tui(Path.cwd())
        return
    out.print(ctx.get_help())


@app.command()
def tui(directory: Annotated[Path, typer.Argument(help="Project folder (created from a brief "
                                                  "if it has no storyboard)")] = Path("."),
        model: Annotated[str | None, typer.Option(help="LLM for chat and planning (default: "
                                                  "STORYREEL_MODEL)")] = None) -> None:
    """Open the studio: shots and review, storyboard editor, chat, render."""
    from storyreel.agent.llm import make_chat_model

    from .app import StoryreelApp

    StoryreelApp(directory, lambda: make_chat_model(model)).run()


@app.command()
def new(directory: Annotated[Path, typer.Argument(help="Project folder to create")],
        example: Annotated[str, typer.Option(help=f"Starting storyboard: {', '.join(examples())}")]
        = "coffee",
        brief: Annotated[str | None, typer.Option(help="Plan the storyboard with the configured "
                                                  "LLM from this brief")] = None,
        from_script: Annotated[Path | None, typer.Option("--from", help="Make the storyboard "
                                                         "from a text or markdown script (no "
                                                         "LLM)")] = None,
        model: Annotated[str | None, typer.Option(help="LLM, e.g. ollama:qwen2.5:7b (default: "
                                                  "STORYREEL_MODEL)")] = None) -> None:
    """Create a project: storyboard.yaml, assets/, out/ and .storyreel/.

    The storyboard is an example, planned from --brief by the LLM, or made from --from.
    """
    from storyreel.studio.planning import planned_data, script_data
    from storyreel.studio.project import Project

    data = None
    if brief and from_script:
        fail("use either --brief or --from, not both")
    if from_script:
        data = user_errors(lambda: script_data(from_script))
    elif brief:
        with err.status("planning the storyboard...") as status:
            data = user_errors(lambda: planned_data(brief, model, status.update))
    project = user_errors(lambda: Project.create(directory, example, data))
    out.print(f"Created {project.storyboard_path}\nNext: [bold]storyreel render "
              f"{project.storyboard_path}[/]")


@app.command()
def chat(directory: Annotated[Path, typer.Argument(help="Project folder")] = Path("."),
         model: Annotated[str | None, typer.Option(help="LLM, e.g. ollama:qwen2.5:7b "
                                                   "(default: STORYREEL_MODEL)")] = None) -> None:
    """Talk to the studio agent: it edits storyboard.yaml and renders on request.

    The conversation is kept in .storyreel/chat.sqlite; running chat again resumes it.
    When the model does not answer, chat stops with exit code 1 if its input is piped (the
    next messages would build on the lost turn); at a terminal it goes on, and exits 1 if the
    last message failed.
    """
    from storyreel.agent.chat import LLMUnreachable
    from storyreel.agent.llm import make_chat_model
    from storyreel.studio.chat import open_chat

    session = user_errors(lambda: open_chat(directory, make_chat_model(model)))
    for role, text in session.history()[-6:]:
        out.print(f"[dim]{role}: {escape(text)}[/]")
    out.print("[bold]storyreel chat[/] (empty line or Ctrl-D to quit)")
    interactive = sys.stdin.isatty()
    failed = False
    try:
        while True:
            try:
                message = out.input("[bold cyan]you>[/] ").strip()
            except EOFError:
                break
            if not message:
                break
            try:
                for event in session.send(message):
                    style = "dim" if event.kind == "action" else "bold"
                    prefix = "  - " if event.kind == "action" else ""
                    out.print(f"[{style}]{prefix}{escape(event.text)}[/]", highlight=False)
                failed = False
            except LLMUnreachable as error:
                err.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False,
                          soft_wrap=True)
                failed = True
                if not interactive:
                    break
    finally:
        session.close()
    if failed:
        raise typer.Exit(1)


@app.command()
def validate(file: Annotated[Path, typer.Argument(help=STORYBOARD_ARGUMENT)]) -> None:
    """Check a storyboard: YAML syntax, keys, types, assets, generators, music and voice.
    Exit 0 when valid."""
    from storyreel.studio.preflight import check_storyboard
    from storyreel.studio.project import Project

    project = Project.for_storyboard(file)

    def check():
        board, document = load_storyboard(project.storyboard_path)
        check_storyboard(board, project, document)
        return board

    board = user_errors(check)
    out.print(f"[green]valid:[/] {escape(str(project.storyboard_path))} "
              f"(\"{escape(board.title)}\": {len(board.shots)} shots, {board.language}, "
              f"{board.format.size[0]}x{board.format.size[1]} @ {board.format.fps} fps)",
              highlight=False, soft_wrap=True)


@app.command()
def render(file: Annotated[Path, typer.Argument(help=STORYBOARD_ARGUMENT)],
           output: Annotated[Path | None, typer.Option("-o", "--output",
                                                       help="Output .mp4 (default out/final.mp4)")]
           = None,
           json_events: Annotated[bool, typer.Option("--json", help="Print progress events as "
                                                     "JSON lines instead of progress bars")] = False,
           workers: Annotated[int, typer.Option(help="Shots rendered at once")] = 2,
           approved_only: Annotated[bool, typer.Option(
               "--approved-only", help="Refuse to start unless every shot's keyframe is "
               "approved (storyreel keyframes)")] = False,
           farm: Annotated[str | None, typer.Option(
               "--farm", metavar="ADDRESS", help="Render the shots on a Ray cluster: auto "
               "(RAY_ADDRESS or a cluster started here), ray://host:10001, or local (a "
               "throwaway one on this machine); needs storyreel[farm]")] = None,
           target: Annotated[str | None, typer.Option(
               "--for", metavar="PLATFORM", help="Render for youtube, shorts, tiktok or reels: "
               "its frame, frame rate, bitrate and length limit, to out/final-PLATFORM.mp4 "
               "(the storyboard file is not changed)")] = None) -> None:
    """Render a storyboard into an MP4 with SRT, WebVTT and ASS subtitles beside it.

    Finished work is cached in .storyreel/: after an edit only what changed is redone,
    and an interrupted render resumes where it stopped. A video checkpoint the storyboard
    needs and this machine lacks is downloaded only if you say yes when asked.
    """
    from storyreel.studio.render import render as run_render

    if not json_events and sys.stdin.isatty():
        user_errors(lambda: _offer_missing_checkpoints(file))
    preset = user_errors(lambda: _platform(target)) if target else None
    cluster = user_errors(lambda: _farm(farm)) if farm else None
    try:
        if json_events:
            result = user_errors(lambda: run_render(file, output, JsonLines(sys.stdout),
                                                     workers, approved_only=approved_only,
                                                     farm=cluster, platform=preset))
        else:
            with RichProgress(err) as progress:
                result = user_errors(lambda: run_render(file, output, progress.handle, workers,
                                                         approved_only=approved_only,
                                                         farm=cluster, platform=preset))
    finally:
        if cluster is not None:
            cluster.close()
    if json_events:
        return
    redone = ", ".join(f"{stage} {count}" for stage, count in result.redone.items()) or "nothing"
    out.print(f"[green]rendered[/] {result.video} ({result.duration:.1f} s); subtitles: "
              f"{', '.join(p.name for p in result.subtitles)}; redone: {redone}")


def _platform(name: str):
    from storyreel.studio.platforms import platform

    preset = platform(name)
    err.print(f"for {escape(preset.describe())}", highlight=False)
    return preset


def _farm(address: str):
    from storyreel.studio.farm import Farm

    with err.status(f"connecting to the render farm ({address})..."):
        return Farm(address)


@app.command()
def batch(manifest: Annotated[Path, typer.Argument(help="A YAML list or CSV of rows: "
                                                   "storyboard: PATH or brief: TEXT (with seconds, "
                                                   "aspect, voice, model), and project: FOLDER")],
          farm: Annotated[str | None, typer.Option("--farm", metavar="ADDRESS",
                                                   help="Render on a Ray cluster (see render "
                                                   "--farm)")] = None,
          jobs: Annotated[int, typer.Option("-j", "--jobs", help="Videos rendered at once")]
          = 1) -> None:
    """Make many videos from one manifest. A failing row does not stop the others; rows whose
    storyboard has not changed since they last rendered are skipped. Exits 1 if any row
    failed."""
    from storyreel.studio.batch import Batch
    from storyreel.studio.planning import planned_data
    from storyreel.studio.render import render as run_render

    cluster = user_errors(lambda: _farm(farm)) if farm else None
    try:
        runner = user_errors(lambda: Batch(
            manifest, lambda path: run_render(path, farm=cluster).duration, jobs,
            plan=lambda brief, model: planned_data(brief, model, lambda _: None)))
        with err.status(f"rendering {len(runner.rows)} videos..."):
            outcomes = runner.run()
    finally:
        if cluster is not None:
            cluster.close()
    table = Table(title=f"batch {manifest.name}")
    for column in ("row", "project", "status", "length", "seconds", "error"):
        table.add_column(column)
    for outcome in outcomes:
        style = {"rendered": "green", "skipped": "dim", "failed": "red"}[outcome.status]
        table.add_row(str(outcome.row), Path(outcome.project).name,
                      Text(outcome.status, style=style),
                      f"{outcome.length:.1f}" if outcome.length else "",
                      f"{outcome.seconds:.1f}", Text(outcome.error))
    out.print(table)
    if any(o.status == "failed" for o in outcomes):
        raise typer.Exit(1)


def _offer_missing_checkpoints(file: Path) -> None:
    """Ask, for each checkpoint the storyboard needs that is not here, whether to get it."""
    from storyreel.generators.base import CheckpointMissing
    from storyreel.studio.keyframes import check_keyframes
    from storyreel.studio.preflight import check_storyboard
    from storyreel.studio.project import Project

    project = Project.for_storyboard(file)
    board, document = load_storyboard(project.storyboard_path)
    while True:
        try:
            check_storyboard(board, project, document)
            check_keyframes(project, board)
            return
        except CheckpointMissing as missing:
            if not _download(missing.model, f"{missing.generator} needs {missing.model}, "
                             "which is not on this machine. Download it now"):
                raise


def _download(repo: str, question: str, ask: bool = True) -> bool:
    """Show the checkpoint's size, ask, then download it; False when the user says no."""
    from storyreel.studio.models import download_plan, pull

    try:
        files = download_plan(repo)
        size = sum(files.values())
        if ask and not typer.confirm(f"{question} ({size / 1e9:.1f} GB)?"):
            return False
        out.print(f"[green]downloaded[/] {escape(repo)} to {escape(pull(repo, files))}")
        return True
    except (OSError, ValueError) as error:
        fail(f"cannot download {repo}: {error}")
    except Exception as error:  # hub client errors (offline, unknown repo) end in one message
        fail(f"cannot download {repo}: {type(error).__name__}: {error}")
    return False


models_app = typer.Typer(help="Diffusion checkpoints (video, keyframes, IP-Adapters): list, "
                         "pull.", no_args_is_help=True)
app.add_typer(models_app, name="models")
# `tool` takes its arguments raw: they are parsed against the tool's own options model.
@app.command("tool", add_help_option=False,
             context_settings={"allow_extra_args": True, "ignore_unknown_options": True,
                               "help_option_names": []})
def tool(ctx: typer.Context) -> None:
    """Atomic audio/video tools: `tool list`, `tool NAME --help`, `tool NAME IN... -o OUT`."""
    # Loaded here: its LLM tools import LangChain, a second of every other command's start.
    from .tool_cli import tool as run_tool

    run_tool(ctx)
app.command("keyframes")(keyframes)
app.command("import")(import_command)
app.command("plan-cost")(plan_cost)
app.command("preview")(preview_command)


@models_app.command("list")
def models_list() -> None:
    """Show each diffusion backend's default checkpoint and whether it is on disk."""
    from storyreel.studio.models import model_statuses

    table = Table(title="checkpoints")
    for column in ("generator", "preset", "checkpoint", "on disk"):
        table.add_column(column)
    for status in model_statuses():
        table.add_row(status.generator, status.preset, status.model,
                      "yes" if status.on_disk else "no")
    out.print(table)


@models_app.command("pull")
def models_pull(name: Annotated[str, typer.Argument(help="A video backend (ltx-2, ltx-video, "
                                                     "wan, cogvideox), a keyframe model "
                                                     "(flux-schnell, sdxl, sdxl-turbo, sd3.5, "
                                                     "sd-turbo) or an IP-Adapter "
                                                     "(ip-adapter-sdxl, ip-adapter-flux)")],
                model: Annotated[str | None, typer.Option(help="Another hub id")] = None,
                preset: Annotated[str, typer.Option(help="A video backend's preset: final, or "
                                                    "draft (few-step distilled weights)")]
                = "final",
                yes: Annotated[bool, typer.Option("--yes", help="Do not ask")] = False) -> None:
    """Download a backend's checkpoint (shows its size and asks first)."""
    from storyreel.studio.models import pull_repos

    for repo in [model] if model else user_errors(lambda: pull_repos(name, preset)):
        if not _download(repo, f"Download {repo}", ask=not yes):
            raise typer.Exit(1)


@app.command()
def export(directory: Annotated[Path, typer.Argument(help=STORYBOARD_ARGUMENT)],
           output: Annotated[Path, typer.Option("-o", "--output", help="Timeline file: .otio, "
                                                ".xml (Final Cut Pro 7 XML) or .kdenlive")],
           format: Annotated[str | None, typer.Option(
               "--format", help="otio, fcpxml or kdenlive (default: from the file's suffix)")]
           = None) -> None:
    """Export the last render as an editable timeline (OpenTimelineIO): each shot's clip, the
    narration, the music and the subtitles on their own tracks. Also `storyreel tool otio`."""
    from storyreel.studio.timeline_export import export_timeline

    written = user_errors(lambda: export_timeline(directory, output, format))
    out.print(f"[green]wrote[/] {escape(str(written))}", highlight=False, soft_wrap=True)


@app.command()
def schema() -> None:
    """Print the storyboard JSON Schema (for editors, e.g. yaml-language-server), with each
    per-shot effect's options."""
    from storyreel.studio.effects import storyboard_schema

    print(json.dumps(storyboard_schema(), indent=2))


@app.command()
def doctor() -> None:
    """Show what storyreel can use here: ffmpeg, voices, Whisper, fonts, GPU, video diffusion,
    LLM."""
    from storyreel.studio.doctor import rows

    table = Table(title="storyreel doctor", show_lines=False)
    table.add_column("part")
    table.add_column("status")
    for row in rows():
        table.add_row(row.part, Text(row.status, style="" if row.ok else "red"))
    out.print(table)
