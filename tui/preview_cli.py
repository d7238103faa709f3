"""`storyreel preview DIR SHOT`: play one shot with its sound and subtitles, from the cache."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from storyreel.studio.events import Event
from storyreel.studio.preview import play, preview_shot

from .cli_errors import err, out, user_errors


def _say(event: Event) -> None:
    """Only what is worth a line: work the cache lacked, warnings and failures."""
    where = f"{event.shot}: " if event.shot else ""
    if event.kind == "done" and event.stage:
        err.print(f"made {event.stage} {escape(event.shot or '')}", highlight=False)
    elif event.kind in ("warning", "failed"):
        colour = "yellow" if event.kind == "warning" else "red"
        err.print(f"[{colour}]{event.kind}:[/] {escape(where + event.message)}")


def preview_command(
        directory: Annotated[Path, typer.Argument(help="storyboard.yaml, or the project folder "
                                                  "holding it")],
        shot: Annotated[str, typer.Argument(help="The shot's id")],
        player: Annotated[bool, typer.Option("--play/--no-play", help="Open it in mpv, ffplay "
                                             "or vlc when one is installed")] = True,
) -> None:
    """Play one shot with its narration and subtitles, in about a second when it was rendered.

    The preview is built from the render's cached segments into .storyreel/preview/SHOT.mp4;
    the rendered video is not touched. After an edit, only that shot's own work is done (and
    kept for the next render). Music is left out: it is mixed for the whole programme.
    """
    path = user_errors(lambda: preview_shot(directory, shot, _say))
    opened = play(path) if player else None
    out.print(f"{f'playing in {opened}' if opened else 'preview'}: {path}", highlight=False,
              soft_wrap=True)
