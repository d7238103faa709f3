"""Before a render spends GPU time: `storyreel keyframes` (a still per shot to look at and
approve) and `storyreel plan-cost` (what the render would cost)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

out = Console()
err = Console(stderr=True)


def keyframes(directory: Annotated[Path, typer.Argument(help="Project folder (or its "
                                                        "storyboard.yaml)")] = Path("."),
              shot: Annotated[str | None, typer.Option(help="Only this shot")] = None,
              new_take: Annotated[bool, typer.Option("--new-take", help="Make another still "
                                                     "(the next seed) instead of the current one")]
              = False,
              approve: Annotated[int | None, typer.Option(help="Approve this take of --shot "
                                                          "(the seed shown as `take`)")] = None,
              list_only: Annotated[bool, typer.Option("--list", help="Only show the takes; "
                                                      "make nothing")] = False) -> None:
    """Make (or reuse) each shot's keyframe still, and show every take.

    The stills come from the storyboard's `keyframes` model. A render starts each shot from
    its approved still (else its latest); `storyreel render --approved-only` renders nothing
    until every shot has an approved one.
    """
    from storyreel.studio import keyframes as studio
    from storyreel.studio.project import Project

    from .cli_errors import fail, user_errors

    project = Project.for_storyboard(directory)
    if approve is not None:
        if shot is None:
            fail("--approve needs --shot: the shot whose take it is")
        chosen = user_errors(lambda: studio.approve(project, shot, approve))
        out.print(f"[green]approved[/] take {chosen.take} of {escape(shot)}: "
                  f"{escape(str(chosen.path))}", highlight=False, soft_wrap=True)
        return
    if not list_only:
        ids = [shot] if shot else user_errors(lambda: studio.keyframe_shots(project))
        make = studio.new_take if new_take else studio.make_keyframe
        for index, shot_id in enumerate(ids, start=1):
            with err.status(f"keyframe of {shot_id} ({index}/{len(ids)})..."):
                user_errors(partial(make, project, shot_id))
    table = Table(title=f"keyframes of {project.root.name}")
    for column in ("shot", "take", "approved"):
        table.add_column(column)
    table.add_column("still", overflow="fold")
    for keyframe in user_errors(lambda: studio.list_keyframes(project, shot)):
        path = keyframe.path and keyframe.path.relative_to(project.root)
        table.add_row(keyframe.shot, str(keyframe.take), "yes" if keyframe.approved else "",
                      str(path) if path else "[dim]not made[/]")
    out.print(table)


def plan_cost(directory: Annotated[Path, typer.Argument(help="Project folder (or its "
                                                        "storyboard.yaml)")] = Path(".")) -> None:
    """Estimate the GPU time a render would take, per shot and in total.

    From the chosen models, sizes and steps, scaled from measured speeds; runs no model."""
    from storyreel.storyboards import load_storyboard
    from storyreel.studio.plan_cost import plan_cost as estimate
    from storyreel.studio.project import Project

    from .cli_errors import user_errors

    project = Project.for_storyboard(directory)
    board = user_errors(lambda: load_storyboard(project.storyboard_path)[0])
    cost = user_errors(lambda: estimate(project, board))
    table = Table(title=f"GPU time of {escape(board.title)}")
    for column in ("shot", "keyframe", "video", "GPU s"):
        table.add_column(column, justify="right" if column == "GPU s" else "left")
    for shot in cost.shots:
        still = shot.keyframe
        video = shot.video
        table.add_row(
            shot.shot,
            f"{still.backend} {still.width}x{still.height}, {still.steps} steps" if still else "",
            f"{video.backend} {video.width}x{video.height}x{video.frames}, {video.steps} steps"
            if video else f"[dim]{shot.picture} (no GPU)[/]",
            f"{shot.seconds:.1f}")
    out.print(table)
    for source in cost.sources:
        out.print(f"[dim]figures {escape(source)}[/]", highlight=False)
    out.print(cost.summary(), highlight=False)
