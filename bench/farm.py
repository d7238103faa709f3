"""Render farm benchmark: a 12-shot animatic render locally and on a throwaway local Ray
farm with 1, 2 and 4 worker CPUs, then a batch of 4 short videos serially and on the farm.

Run on demand: `python bench/farm.py` (needs storyreel[farm]). Prints wall seconds, speedup
against the local render, the per-task overhead of the farm, and whether every farm render is
byte-identical to the local one. On a machine with few cores the farm cannot be faster than
a local render; the figures show what it costs to ship work, which is what a cluster repays.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path

import ray

from storyreel.storyboards import dump_document, load_storyboard
from storyreel.studio.batch import Batch
from storyreel.studio.farm import Farm
from storyreel.studio.project import Project
from storyreel.studio.render import render

SHOTS = 12


def twelve_shots(folder: Path) -> Project:
    project = Project.create(folder, "short")
    _, doc = load_storyboard(project.storyboard_path)
    shots = list(doc["shots"])
    doc["shots"] = [dict(shots[i % 3], id=f"shot{i + 1}") for i in range(SHOTS)]
    project.storyboard_path.write_text(dump_document(doc), encoding="utf-8")
    return project


def timed(call) -> tuple[float, object]:
    start = time.perf_counter()
    value = call()
    return time.perf_counter() - start, value


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="storyreel-farm-bench-") as scratch:
        root = Path(scratch)
        os.environ["STORYREEL_CACHE_DIR"] = str(root / "local-cache")
        local_seconds, local = timed(lambda: render(twelve_shots(root / "local").storyboard_path))
        print(f"{SHOTS}-shot animatic, {local.duration:.1f} s of video, {os.cpu_count()} cores")
        print(f"  local render:            {local_seconds:6.1f} s")
        for cpus in (1, 2, 4):
            os.environ["STORYREEL_CACHE_DIR"] = str(root / f"farm{cpus}-cache")
            start_seconds, farm = timed(lambda cpus=cpus: Farm("local", num_cpus=cpus))
            seconds, result = timed(lambda cpus=cpus, farm=farm: render(
                twelve_shots(root / f"farm{cpus}").storyboard_path, farm=farm))
            jobs = sum(result.redone.get(stage, 0) for stage in ("voice", "visual", "segment"))
            overhead = max(0.0, seconds - local_seconds) / max(1, jobs) * 1000
            same = "identical" if md5(result.video) == md5(local.video) else "DIFFERENT"
            print(f"  farm, {cpus} worker CPU(s):  {seconds:6.1f} s  (speedup "
                  f"{local_seconds / seconds:.2f}x; Ray start {start_seconds:.1f} s; {jobs} "
                  f"tasks, ~{overhead:.0f} ms extra each; bytes {same})")
            farm.close()
            ray.shutdown()

        manifest = root / "batch.yaml"
        for index in range(4):
            Project.create(root / f"source{index}", "short")
        rows = "".join(f"- storyboard: source{i}/storyboard.yaml\n  project: {{}}{i}\n"
                       for i in range(4))
        for name, farm in (("serial", None), ("farm", "local")):
            os.environ["STORYREEL_CACHE_DIR"] = str(root / f"batch-{name}-cache")
            manifest.write_text(rows.replace("{}", f"{name}-"), encoding="utf-8")
            cluster = Farm(farm, num_cpus=os.cpu_count()) if farm else None
            seconds, outcomes = timed(lambda cluster=cluster: Batch(
                manifest, lambda path: render(path, farm=cluster).duration,
                jobs=4 if cluster else 1).run())
            ok = sum(o.status == "rendered" for o in outcomes)
            print(f"  batch of 4 short videos, {name:6}: {seconds:6.1f} s ({ok} rendered)")
            if cluster is not None:
                cluster.close()
                ray.shutdown()


if __name__ == "__main__":
    main()
