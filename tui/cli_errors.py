"""How the command line talks to people: its consoles, and mistakes a user can make turned
into one clear line and an exit status (never a traceback)."""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from storyreel.storyboards import StoryboardError
from storyreel.storyboards.errors import UserError
from storyreel.tools.ffmpeg import FFmpegError
from storyreel.tools.paths import CACHE_VARIABLE, cache_dir

T = TypeVar("T")

err = Console(stderr=True)
out = Console()


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def disk_full(where: str | None) -> str:
    return (f"the disk is full{f' ({where})' if where else ''}; free some space and render "
            "again: finished shots are kept in .storyreel/cache")


def user_errors(call: Callable[[], T]) -> T:
    """Run `call`; turn mistakes a user can make into one clear message and a non-zero exit."""
    try:
        return call()
    except StoryboardError as error:
        fail(f"the storyboard has {len(error.problems)} problem(s):\n{error}", error.exit_code)
    except FFmpegError as error:
        if error.disk_full:
            fail(disk_full(None))
        if isinstance(error.__cause__, OSError):  # the executable itself did not start
            fail(f"{error}\nRun `storyreel doctor` to check the ffmpeg install.")
        fail(str(error))
    except UserError as error:
        fail(str(error), error.exit_code)
    except OSError as error:
        if error.errno == errno.ENOSPC:
            fail(disk_full(error.filename))
        if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            hint = "choose a folder you can write"
            if error.filename and cache_dir() in Path(str(error.filename)).parents:
                hint = f"set {CACHE_VARIABLE} to a folder you can write"
            fail(f"permission denied writing {error.filename}; {hint}")
        fail(f"{error}")
    except KeyboardInterrupt:
        fail("interrupted; run the same command again to resume (finished work is cached)", 130)


