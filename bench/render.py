"""Render benchmark: the 60-second example at 720p, cold and after a one-shot edit.

Run on demand: `python bench/render.py [--example coffee]`. Prints cold render seconds,
real-time factor, the re-render after editing one shot's narration, and a bare libx264 encode
of the same duration and size as a floor.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from storyreel.storyboards import dump_document, load_storyboard
from storyreel.studio.project import Project
from storyreel.studio.render import render
from storyreel.tools.ffmpeg import run_ffmpeg
from storyreel.tools.video import segment_encoding


def bare_encode_seconds(duration: float, width: int, height: int, fps: int, folder: Path) -> float:
    start = time.perf_counter()
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=s={width}x{height}:r={fps}:d={duration:.3f}",
                *segment_encoding(fps), str(folder / "floor.mp4")])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default="coffee")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="storyreel-bench-") as scratch:
        folder = Path(scratch)
        # A fresh user cache too, so "cold" reuses nothing an earlier run left behind.
        os.environ["STORYREEL_CACHE_DIR"] = str(folder / "user-cache")
        project = Project.create(folder / "project", args.example)

        start = time.perf_counter()
        result = render(project.storyboard_path, workers=args.workers)
        cold = time.perf_counter() - start

        board, doc = load_storyboard(project.storyboard_path)
        middle = len(board.shots) // 2
        doc["shots"][middle]["narration"] = (board.shots[middle].narration +
                                             " Nobody knows if the story is true.")
        project.storyboard_path.write_text(dump_document(doc), encoding="utf-8")
        start = time.perf_counter()
        timeline: list[str] = []

        def note(event) -> None:
            if event.kind in ("done", "cached") and event.stage:
                timeline.append(f"{time.perf_counter() - start:6.2f} s  {event.kind:6} "
                                f"{event.stage:8} {event.shot or ''}")

        edited = render(project.storyboard_path, workers=args.workers, events=note)
        rerender = time.perf_counter() - start

        width, height = board.format.size
        floor = bare_encode_seconds(edited.duration, width, height, board.format.fps, folder)

    print(f"example:            {args.example} ({len(board.shots)} shots, {width}x{height} "
          f"@ {board.format.fps} fps)")
    print(f"video length:       {result.duration:.1f} s")
    print(f"cold render:        {cold:.1f} s  (real-time factor {cold / result.duration:.2f}; "
          f"goal <= 1.5)")
    print(f"one-shot re-render: {rerender:.1f} s  ({100 * rerender / cold:.0f}% of cold; "
          f"goal <= 15%); redone: {edited.redone}")
    print("re-render timeline (work done, cached entries skipped):")
    print("\n".join(f"    {line}" for line in timeline if "cached" not in line))
    print(f"bare libx264 floor: {floor:.1f} s  (veryfast encode of {edited.duration:.1f} s of "
          f"testsrc2)")


if __name__ == "__main__":
    main()
