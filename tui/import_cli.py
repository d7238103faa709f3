"""`storyreel import FOOTAGE [-o DIR]`: a long video's scenes become a project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from storyreel.storyboards.errors import UserError
from storyreel.studio.importer import ImportResult, import_footage
from storyreel.tools.ffmpeg import FFmpegError

err = Console(stderr=True)
out = Console()
STEPS = {"scenes": "finding scenes", "clips": "cutting clips"}


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def import_command(
        footage: Annotated[Path, typer.Argument(help="The video to cut into scenes")],
        output: Annotated[Path | None, typer.Option(
            "-o", "--output", help="Project folder to create (default: the video's name, in "
            "this folder)")] = None,
        threshold: Annotated[float | None, typer.Option(
            help="How big a change is a cut (PySceneDetect's content detector, default 27); "
            "lower finds more scenes")] = None,
        min_scene: Annotated[float, typer.Option(help="Shortest scene in seconds")] = 0.5,
) -> None:
    """Turn a long video into a project: each scene its own clip in assets/ and its own shot.

    Clips are copied without re-encoding where the scene starts and ends on keyframes. The
    shots have no narration yet: each lasts its scene and plays the footage's own sound.
    """
    directory = output or Path.cwd() / footage.stem
    columns = (TextColumn("{task.description:>15}"), BarColumn(), TaskProgressColumn(),
               TimeElapsedColumn())
    try:
        with Progress(*columns, console=err, transient=True) as progress:
            tasks = {step: progress.add_task(label, total=1.0) for step, label in STEPS.items()}
            result = import_footage(footage, directory, threshold=threshold, min_scene=min_scene,
                                    progress=lambda step, done: progress.update(
                                        tasks[step], completed=done))
    except FFmpegError as error:
        fail("the disk is full; free some space and import again" if error.disk_full
             else f"ffmpeg could not read {footage}: {error.summary}")
    except UserError as error:
        fail(str(error), error.exit_code)
    except OSError as error:
        fail(str(error))
    except KeyboardInterrupt:
        fail("interrupted; the project was not made (remove its folder and import again)", 130)
    out.print(summary(result), highlight=False, soft_wrap=True)


def summary(result: ImportResult) -> str:
    copied = sum(scene.copied for scene in result.scenes)
    return (f"[green]imported[/] {len(result.scenes)} scene(s) into "
            f"{escape(str(result.project))} ({copied} clip(s) copied, "
            f"{len(result.scenes) - copied} re-encoded)\nNext: write narration where you want "
            f"it, then [bold]storyreel render {escape(str(result.project.parent))}[/]")
