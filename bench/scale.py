"""Scale benchmark: cold renders of 30, 60 and 120-shot storyboards at 360p.

Run on demand: `python bench/scale.py [--shots 30 60 120]`. Each render runs as its own
`storyreel render` process; its whole process tree (ffmpeg children included) is sampled
every 50 ms. Prints wall seconds and the peak resident memory of the tree, so growth with the
number of shots shows (it should be linear in time and flat in memory). The tree's memory
is storyreel's RSS plus each child's PSS (see `tree_memory`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from storyreel.storyboards import dump_document, load_storyboard
from storyreel.studio.project import Project

RENDER = [sys.executable, "-c", "from storyreel.tui.cli import app; app()", "render"]


def storyboard(folder: Path, shots: int) -> Project:
    project = Project.create(folder, "short")
    _, doc = load_storyboard(project.storyboard_path)
    base = list(doc["shots"])
    doc["shots"] = [dict(base[i % 3], id=f"shot{i + 1}",
                         narration=f"Part {i + 1}. {base[i % 3]['narration']}")
                    for i in range(shots)]
    project.storyboard_path.write_text(dump_document(doc), encoding="utf-8")
    return project


def tree_memory(root: psutil.Process) -> tuple[int, list[tuple[int, str]]]:
    """The tree's total memory, and each process's (bytes, what it is): storyreel's RSS,
    and each child's proportional share (PSS). A child forked but not yet exec'd into ffmpeg
    shares all of storyreel's pages; its RSS would count them twice."""
    rows = []
    for proc in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            command = proc.cmdline() or ["?"]
            if proc.pid == root.pid:
                rows.append((proc.memory_info().rss, "storyreel"))
                continue
            what = Path(command[0]).name
            if what.startswith("ffmpeg") and "-i" in command:
                what = "ffmpeg -i " + Path(command[command.index("-i") + 1]).name
            rows.append((proc.memory_full_info().pss, what))
    return sum(size for size, _ in rows), rows


class Stages:
    """The stages a render is working on, read from its `--json` events."""

    def __init__(self, stream) -> None:
        self.active: dict[tuple[str, str], None] = {}
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            event = json.loads(line)
            key = (event.get("stage") or "", event.get("shot") or "")
            if event["kind"] == "start":
                self.active[key] = None
            elif event["kind"] in ("done", "cached", "failed"):
                self.active.pop(key, None)

    def now(self) -> str:
        return ", ".join(sorted({stage for stage, _ in list(self.active)})) or "-"


def measure(project: Project, cache: Path) -> tuple[float, int, int, str]:
    """Wall seconds, peak RSS of the tree and of storyreel itself, and what ran at the peak."""
    start = time.perf_counter()
    proc = subprocess.Popen([*RENDER, "--json", str(project.root)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, "STORYREEL_CACHE_DIR": str(cache)})
    stages = Stages(proc.stdout)
    root, peak, own, at_peak = psutil.Process(proc.pid), 0, 0, ""
    while proc.poll() is None:
        with contextlib.suppress(psutil.Error):
            total, rows = tree_memory(root)
            if total > peak:
                peak, at_peak = total, f"stages {stages.now()}; " + ", ".join(
                    f"{what} {rss / 2**20:.0f} MiB" for rss, what in sorted(rows, reverse=True))
            own = max(own, root.memory_info().rss)
        time.sleep(0.05)
    stages.thread.join(timeout=5)
    if proc.returncode != 0:
        raise SystemExit(f"render of {project.root} failed (exit {proc.returncode})")
    return time.perf_counter() - start, peak, own, at_peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, nargs="+", default=[30, 60, 120])
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; 360p, cold (fresh project and user cache each)")
    with tempfile.TemporaryDirectory(prefix="storyreel-scale-") as scratch:
        for count in args.shots:
            project = storyboard(Path(scratch) / f"p{count}", count)
            seconds, peak, own, at_peak = measure(project, Path(scratch) / f"cache{count}")
            print(f"  {count:4d} shots: {seconds:6.1f} s, peak {peak / 2**30:.2f} GiB "
                  f"(process tree: RSS + children's PSS), {own / 2**30:.2f} GiB RSS "
                  f"(storyreel itself)\n"
                  f"             at the peak: {at_peak}")


if __name__ == "__main__":
    main()
