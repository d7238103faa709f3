"""Crash test: kill renders at random moments, resume them, and demand identical bytes.

Run on demand: `python bench/crashtest.py [--cycles 30] [--seed 1] [--example short]`.
A reference is rendered cold once. Then, each cycle: a fresh project (and a fresh user cache,
so every stage is cold) starts `storyreel render`, its whole process group is killed with
SIGKILL or SIGTERM (seeded choice) at a seeded random moment within the reference's render
time, and the render is run again to the end. The cycle passes when no partial file is left
anywhere in the project, the video decodes cleanly, and the video and subtitle files are
byte-identical to the reference. Prints one line per cycle (the stage the kill landed in)
and "N of N kill points resumed to identical bytes"; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from storyreel.storyboards.atomic import partial_name
from storyreel.studio.project import Project
from storyreel.tools.video import decode_check

OUTPUTS = ("final.mp4", "final.srt", "final.vtt", "final.ass")
RENDER = [sys.executable, "-c", "from storyreel.tui.cli import app; app()", "render", "--json"]


def fingerprint(project: Project) -> dict[str, str]:
    return {name: hashlib.md5((project.out_dir / name).read_bytes()).hexdigest()
            for name in OUTPUTS}


def run_render(project: Project, cache: Path, kill_after: float | None = None,
               kill_signal: int = signal.SIGKILL) -> tuple[int, str]:
    """Render `project` with its own user cache; kill its process group after `kill_after`
    seconds if given. Returns (exit code, the stage that was running when it ended)."""
    env = {**os.environ, "STORYREEL_CACHE_DIR": str(cache)}
    proc = subprocess.Popen([*RENDER, str(project.root)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env,
                            start_new_session=True)
    stage = ["plan"]

    def follow() -> None:
        for line in proc.stdout:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                stage[0] = "malformed --json line"
                continue
            if event.get("kind") == "start" and event.get("stage"):
                stage[0] = event["stage"]

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    if kill_after is not None:
        try:
            proc.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, kill_signal)
    code = proc.wait()
    reader.join(timeout=5)
    return code, stage[0]


def leftovers(project: Project) -> list[str]:
    return [str(p.relative_to(project.root)) for p in project.root.rglob("*")
            if partial_name(p.name)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--example", default="short")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="storyreel-crash-") as scratch:
        root = Path(scratch)
        reference = Project.create(root / "reference", args.example)
        start = time.perf_counter()
        code, _ = run_render(reference, root / "reference-cache")
        cold = time.perf_counter() - start
        if code != 0:
            print(f"reference render failed (exit {code})")
            return 1
        expected = fingerprint(reference)
        print(f"reference: cold render {cold:.1f} s, final.mp4 md5 {expected['final.mp4']}")
        passed, stages = 0, Counter()
        for cycle in range(1, args.cycles + 1):
            project = Project.create(root / f"cycle{cycle}", args.example)
            cache = root / f"cycle{cycle}-cache"
            moment = rng.uniform(0.3, cold * 0.95)
            kill = rng.choice([signal.SIGKILL, signal.SIGTERM])
            killed_code, stage = run_render(project, cache, moment, kill)
            code, _ = run_render(project, cache)
            problems = []
            if code != 0:
                problems.append(f"resume exited {code}")
            else:
                if fingerprint(project) != expected:
                    problems.append("bytes differ from the reference")
                complaints = decode_check(project.out_dir / "final.mp4")
                if complaints:
                    problems.append(f"decode: {complaints[:80]}")
            left = leftovers(project)
            if left:
                problems.append(f"partial files left: {left}")
            if killed_code == 0:
                stage = "finished before the kill"
            stages[stage] += 1
            passed += not problems
            verdict = "identical" if not problems else "; ".join(problems)
            print(f"cycle {cycle:3d}: {signal.Signals(kill).name} at {moment:5.2f} s during "
                  f"{stage:<8} (exit {killed_code}) -> {verdict}", flush=True)
        print(f"kill points by stage: {dict(stages)}")
        print(f"{passed} of {args.cycles} kill points resumed to identical bytes")
        return 0 if passed == args.cycles else 1


if __name__ == "__main__":
    sys.exit(main())
