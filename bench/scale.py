"""Scale benchmark: cold renders of 30, 60 and 120-shot storyboards at 360p.

Run on demand: `python bench/scale.py [--shots 30 60 120]`. Each render runs as its own
`storyreel render` process; its whole process tree (ffmpeg children included) is sampled
every 50 ms. Prints wall seconds and the peak resident memory of the tree, so growth with the
number of shots shows (it should be linear in time and flat in memory).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
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


def tree_rss(root: psutil.Process) -> int:
    total = 0
    for proc in [root, *root.children(recursive=True)]:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            continue
    return total


def measure(project: Project, cache: Path) -> tuple[float, int, int]:
    start = time.perf_counter()
    proc = subprocess.Popen([*RENDER, str(project.root)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL,
                            env={**os.environ, "STORYREEL_CACHE_DIR": str(cache)})
    root, peak, own = psutil.Process(proc.pid), 0, 0
    while proc.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, tree_rss(root))
            own = max(own, root.memory_info().rss)
        time.sleep(0.05)
    if proc.returncode != 0:
        raise SystemExit(f"render of {project.root} failed (exit {proc.returncode})")
    return time.perf_counter() - start, peak, own


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, nargs="+", default=[30, 60, 120])
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; 360p, cold (fresh project and user cache each)")
    with tempfile.TemporaryDirectory(prefix="storyreel-scale-") as scratch:
        for count in args.shots:
            project = storyboard(Path(scratch) / f"p{count}", count)
            seconds, peak, own = measure(project, Path(scratch) / f"cache{count}")
            print(f"  {count:4d} shots: {seconds:6.1f} s, peak RSS {peak / 2**30:.2f} GiB "
                  f"(process tree), {own / 2**30:.2f} GiB (storyreel itself)")


if __name__ == "__main__":
    main()
