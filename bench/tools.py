"""Tool benchmark: seconds per minute of 720p input for the heavier picture tools.

Run on demand: `python bench/tools.py [--seconds 6] [--only reframe stabilize ...]`. Each tool
runs on a clip of testsrc2 at 1280x720, 24 fps, with a box crossing it (so reframe has a
subject and stabilize a picture to measure), plus a cut in the middle for scenes. The figure is
wall time scaled to one minute of input; the bare libx264 encode of the same clip is the floor.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from storyreel.tools.capabilities import run_capability
from storyreel.tools.ffmpeg import run_ffmpeg
from storyreel.tools.video import x264

WIDTH, HEIGHT, FPS = 1280, 720, 24
TOOLS: dict[str, dict] = {
    "reframe": {"aspect": "9:16"},
    "stabilize": {},
    "slowmo": {"factor": 2},
    "scenes": {},
    "denoise": {"method": "hqdn3d"},
    "denoise-nlmeans": {"method": "nlmeans"},
    "upscale": {"factor": 2},
}


def make_clip(seconds: float, path: Path) -> float:
    """A 720p clip for the tools; returns the seconds the bare encode of it took."""
    half = seconds / 2
    graph = (f"[0:v][1:v]overlay=x='100+t*{(WIDTH - 300) / seconds:.3f}':y=300:shortest=1[a];"
             f"[2:v][1:v]overlay=x=600:y=300:shortest=1[b];[a][b]concat=n=2:v=1[v]")
    start = time.perf_counter()
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=s={WIDTH}x{HEIGHT}:r={FPS}:d={half:.3f}",
                "-f", "lavfi", "-i", f"color=c=red:s=120x120:r={FPS}:d={seconds:.3f}",
                "-f", "lavfi", "-i", f"smptehdbars=s={WIDTH}x{HEIGHT}:r={FPS}:d={half:.3f}",
                "-filter_complex", graph, "-map", "[v]", *x264("fast", 18, FPS * 2), str(path)])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="length of the test clip")
    parser.add_argument("--only", nargs="*", choices=list(TOOLS), help="tools to time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="storyreel-bench-tools-") as scratch:
        folder = Path(scratch)
        clip = folder / "clip.mp4"
        per_minute = 60 / args.seconds
        floor = make_clip(args.seconds, clip)
        print(f"{args.seconds:g} s of {WIDTH}x{HEIGHT} @ {FPS} fps; seconds per minute of input")
        print(f"{'bare x264 encode':18} {floor * per_minute:8.1f}")
        for name in args.only or TOOLS:
            tool = name.split("-")[0]
            suffix = ".json" if tool == "scenes" else ".mp4"
            start = time.perf_counter()
            run_capability(tool, [clip], folder / f"{name}{suffix}", TOOLS[name])
            print(f"{name:18} {(time.perf_counter() - start) * per_minute:8.1f}", flush=True)


if __name__ == "__main__":
    main()
