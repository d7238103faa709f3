"""Render benchmark: the 60-second example at 720p, cold and after one-shot edits.

Run on demand: `python bench/render.py [--example coffee | --project DIR] [--repeats N]`.
Prints

- the cold render's profile: per stage and per shot, wall seconds from the render's own
  progress events (start to done of each cache entry), how much each pair of stages ran at
  the same time, and CPU seconds of the process and of its ffmpeg children (getrusage; the
  children's CPU split by stage from each ffmpeg's own rusage);
- the re-render after a one-shot edit (narration, camera, transition) of the first, middle
  and last shot: wall and CPU seconds, what was redone, and the work on its critical path;
- the floor: a bare libx264 encode (the segments' settings) of the same length and size;
- with `--presets`, CPU seconds, VMAF and bitrate of x264 presets on the shots' clips (how
  the segments' preset was chosen).

Timings on a shared machine are noisy: `--repeats` runs every edit that many times (undoing
the edit between runs clears nothing, so each run after the first re-renders from a cache
that holds the edit: it is removed from the cache, and the sentences the voice remembers
speaking since, first) and prints the median and range.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from storyreel.storyboards import dump_document, load_storyboard
from storyreel.studio.events import STAGES, Event
from storyreel.studio.project import Project
from storyreel.studio.render import RenderResult, render
from storyreel.tools import tts_piper
from storyreel.tools.ffmpeg import run_ffmpeg
from storyreel.tools.speech import ResolvedVoice
from storyreel.tools.tts import resolve_voice
from storyreel.tools.video import segment_encoding, x264

PRESETS = (("veryfast", 20), ("superfast", 23), ("superfast", 24), ("ultrafast", 26),
           ("faster", 23))
CAMERAS = ("push-in", "pan-left", "pull-out", "pan-right", "tilt-up")
TRANSITIONS = ("crossfade", "fade-black", "slide-left")


class ChildCPU:
    """CPU seconds of every child process, keyed by the command line it ran: `os.waitpid`
    is wrapped by `os.wait4`, which also returns the child's rusage (subprocess waits with
    waitpid)."""

    def __init__(self) -> None:
        self.commands: dict[int, list[str]] = {}
        self.seconds: list[tuple[list[str], float]] = []
        self._lock = threading.Lock()
        real_popen, real_waitpid, owner = subprocess.Popen, os.waitpid, self

        class Popen(real_popen):  # type: ignore[misc, valid-type]
            def __init__(self, args, *rest, **named):
                super().__init__(args, *rest, **named)
                with owner._lock:
                    owner.commands[self.pid] = [str(a) for a in args]

        def waitpid(pid: int, options: int) -> tuple[int, int]:
            if pid <= 0:
                return real_waitpid(pid, options)
            done, status, usage = os.wait4(pid, options)
            if done:
                with owner._lock:
                    owner.seconds.append((owner.commands.pop(done, []),
                                          usage.ru_utime + usage.ru_stime))
            return done, status

        subprocess.Popen = Popen  # type: ignore[misc]
        os.waitpid = waitpid

    def take(self) -> list[tuple[list[str], float]]:
        with self._lock:
            taken, self.seconds = self.seconds, []
        return taken


@dataclass
class Run:
    wall: float
    cpu_self: float
    cpu_children: float
    result: RenderResult
    spans: dict[tuple[str, str], list[tuple[float, float]]] = field(default_factory=dict)
    child_by_stage: dict[str, float] = field(default_factory=dict)


def stage_of(command: list[str], cache: Path) -> str:
    """Which stage an ffmpeg command served, from the file it wrote (or, for a measuring
    pass that writes nothing, the files it read)."""
    for text in (command[-1] if command else "", " ".join(command)):
        for stage in STAGES:
            if f"{cache}/{stage}/" in text:
                return stage
    if "animatic-" in text:
        return "visual"  # the halves of a long animatic clip, in a scratch folder
    if "/music/" in text:
        return "audio"
    return "mux"


def measured_render(project: Project, workers: int, children: ChildCPU) -> Run:
    """One render, with its profile."""
    opened: dict[tuple[str, str], list[float]] = defaultdict(list)  # a body is two at once
    spans: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    lock = threading.Lock()
    start = time.perf_counter()

    def note(event: Event) -> None:
        if event.stage is None:
            return
        slot, now = (event.stage, event.shot or ""), time.perf_counter() - start
        with lock:
            if event.kind == "start":
                opened[slot].append(now)
            elif event.kind in ("done", "cached", "failed") and opened[slot]:
                began = opened[slot].pop(0)
                if event.kind != "cached":
                    spans[slot].append((began, now))

    children.take()
    self_before = resource.getrusage(resource.RUSAGE_SELF)
    kids_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = render(project.storyboard_path, workers=workers, events=note)
    wall = time.perf_counter() - start
    self_after = resource.getrusage(resource.RUSAGE_SELF)
    kids_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    by_stage: dict[str, float] = defaultdict(float)
    for command, seconds in children.take():
        by_stage[stage_of(command, project.cache_dir)] += seconds
    return Run(wall, _cpu(self_after) - _cpu(self_before), _cpu(kids_after) - _cpu(kids_before),
               result, dict(spans), dict(by_stage))


def _cpu(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def union(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for begin, end in sorted(intervals):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return merged


def overlap(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> float:
    return sum(max(0.0, min(e1, e2) - max(b1, b2)) for b1, e1 in a for b2, e2 in b)


def by_stage(run: Run) -> dict[str, list[tuple[float, float]]]:
    stages: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for (stage, _), spans in run.spans.items():
        stages[stage] += spans
    return {s: stages[s] for s in STAGES if s in stages}


def print_profile(run: Run, cores: int) -> None:
    stages = by_stage(run)
    print(f"  wall {run.wall:.1f} s; CPU {run.cpu_self + run.cpu_children:.1f} s "
          f"(python {run.cpu_self:.1f} s, ffmpeg children {run.cpu_children:.1f} s); "
          f"cores busy {(run.cpu_self + run.cpu_children) / run.wall:.2f} of {cores}")
    print(f"  {'stage':8} {'made':>4} {'sum s':>7} {'busy s':>7} {'from':>6} {'to':>6} "
          f"{'ffmpeg CPU s':>12}")
    for stage, spans in stages.items():
        busy = sum(e - b for b, e in union(spans))
        print(f"  {stage:8} {len(spans):4d} {sum(e - b for b, e in spans):7.1f} {busy:7.1f} "
              f"{min(b for b, _ in spans):6.1f} {max(e for _, e in spans):6.1f} "
              f"{run.child_by_stage.get(stage, 0.0):12.1f}")
    print("  (sum: start-to-done of every entry made; busy: seconds at least one ran; "
          "python CPU is not split by stage)")
    names = list(stages)
    pairs = [(a, b, overlap(union(stages[a]), union(stages[b])))
             for i, a in enumerate(names) for b in names[i + 1:]]
    shown = [f"{a}+{b} {seconds:.1f} s" for a, b, seconds in pairs if seconds > 0.05]
    print(f"  overlapping: {', '.join(shown) or 'none'}")
    shots = list(dict.fromkeys(shot for _, shot in run.spans))
    print("  per shot (seconds start to done, summed over the shot's entries):")
    print(f"  {'shot':14} " + " ".join(f"{s:>8}" for s in names))
    for shot in shots:
        cells = [sum(e - b for b, e in run.spans.get((s, shot), [])) for s in names]
        print(f"  {shot or '-':14} " + " ".join(f"{c:8.1f}" if c else f"{'':>8}" for c in cells))


def critical_path(run: Run) -> str:
    """The work done in order of finishing: what an edit waited for."""
    done = sorted((end, begin, stage, shot) for (stage, shot), spans in run.spans.items()
                  for begin, end in spans)
    return "; ".join(f"{stage} {shot} {begin:.1f}-{end:.1f}" for end, begin, stage, shot in done)


Edit = Callable[[dict, int], None]


def edit_narration(doc: dict, index: int) -> None:
    doc["shots"][index]["narration"] = (str(doc["shots"][index]["narration"]) +
                                        " Nobody knows if the story is true.")


def edit_camera(doc: dict, index: int) -> None:
    shot = doc["shots"][index]
    shot["camera"] = next(c for c in CAMERAS if c != shot.get("camera"))


def edit_transition(doc: dict, index: int) -> None:
    # the last shot's own transition leads nowhere: edit the one into it
    shot = doc["shots"][min(index, len(doc["shots"]) - 2)]
    shot["transition"] = next(t for t in TRANSITIONS if t != shot.get("transition"))


EDITS: dict[str, Edit] = {"narration": edit_narration, "camera": edit_camera,
                          "transition": edit_transition}


def spoken_sentences(voice: ResolvedVoice) -> dict:
    """The sentences the project's Piper voice remembers having spoken in this process."""
    return tts_piper._load(voice.model).session.spoken if voice.engine == "piper" else {}


def forget_since(cache: Path, moment: float, spoken: dict, spoken_before: set) -> None:
    """Remove cache entries made after `moment`, and sentences spoken since (a repeat must
    redo the edit's work, as a new edit would)."""
    for key in set(spoken) - spoken_before:
        del spoken[key]
    for meta in cache.rglob("*.meta.json"):
        if meta.stat().st_mtime >= moment:
            for sibling in meta.parent.glob(meta.name.removesuffix(".meta.json") + ".*"):
                sibling.unlink()
    for path in (cache / "subtitles").glob("*.ass") if (cache / "subtitles").is_dir() else ():
        if path.stat().st_mtime >= moment:
            path.unlink()


def bare_encode(duration: float, width: int, height: int, fps: int, encoding: list[str],
                folder: Path) -> tuple[float, float]:
    """Wall and CPU seconds of a bare encode of testsrc2 with `encoding`."""
    before = _cpu(resource.getrusage(resource.RUSAGE_CHILDREN))
    start = time.perf_counter()
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=s={width}x{height}:r={fps}:d={duration:.3f}",
                *encoding, str(folder / "floor.mp4")])
    return (time.perf_counter() - start,
            _cpu(resource.getrusage(resource.RUSAGE_CHILDREN)) - before)


def vmaf(distorted: Path, reference: Path, frames: int) -> float:
    log = run_ffmpeg(["-i", str(distorted), "-i", str(reference), "-lavfi",
                      f"[0:v]setpts=PTS-STARTPTS[a];[1:v]trim=end_frame={frames},"
                      "setpts=PTS-STARTPTS[b];[a][b]libvmaf", "-f", "null", "-"],
                     log_level="info")
    return float(re.findall(r"VMAF score: ([0-9.]+)", log)[-1])


def preset_table(clips: list[Path], folder: Path, fps: int, frames: int = 120) -> None:
    """CPU seconds (best of 3), VMAF against the clip and bytes of a segment-like encode
    (no subtitles) per x264 preset and crf, averaged over `clips`."""
    print(f"\nx264 presets on {len(clips)} shot clips ({frames} frames each, no subtitles; "
          "CPU best of 3):")
    print(f"  {'preset':10} {'crf':>3} {'CPU s':>6} {'VMAF':>6} {'kbit/s':>7}")
    for preset, crf in PRESETS:
        cpus, scores, sizes = [], [], []
        for clip in clips:
            out = folder / f"{clip.stem}-{preset}-{crf}.mp4"
            args = ["-i", str(clip), "-vf", "setpts=PTS-STARTPTS", "-frames:v", str(frames),
                    *x264(preset, crf, fps * 2), "-profile:v", "high", "-an", str(out)]
            runs = []
            for _ in range(3):
                before = _cpu(resource.getrusage(resource.RUSAGE_CHILDREN))
                run_ffmpeg(args)
                runs.append(_cpu(resource.getrusage(resource.RUSAGE_CHILDREN)) - before)
            cpus.append(min(runs))
            scores.append(vmaf(out, clip, frames))
            sizes.append(out.stat().st_size * 8 / 1000 / (frames / fps))
        print(f"  {preset:10} {crf:3d} {statistics.mean(cpus):6.2f} "
              f"{statistics.mean(scores):6.2f} {statistics.mean(sizes):7.0f}", flush=True)


def spread(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:5.1f}"
    return f"{statistics.median(values):5.1f} ({min(values):.1f}-{max(values):.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default="coffee")
    parser.add_argument("--project", type=Path, help="a project folder to measure instead of "
                        "an example (copied; its cache is not used)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1, help="runs of each edit")
    parser.add_argument("--edits", nargs="+", default=list(EDITS), choices=list(EDITS))
    parser.add_argument("--presets", action="store_true",
                        help="also measure x264 presets on three of the shots' clips")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    children = ChildCPU()
    with tempfile.TemporaryDirectory(prefix="storyreel-bench-") as scratch:
        folder = Path(scratch)
        # A fresh user cache too, so "cold" reuses nothing an earlier run left behind.
        os.environ["STORYREEL_CACHE_DIR"] = str(folder / "user-cache")
        if args.project is not None:  # a copy: the bench edits and renders it cold
            shutil.copytree(args.project, folder / "project",
                            ignore=shutil.ignore_patterns(".storyreel", "out"))
            project = Project.for_storyboard(folder / "project")
            project.out_dir.mkdir(exist_ok=True)
        else:
            project = Project.create(folder / "project", args.example)
        original = project.storyboard_path.read_text(encoding="utf-8")
        board, _ = load_storyboard(project.storyboard_path)
        width, height = board.format.size
        print(f"{args.project or args.example} ({len(board.shots)} shots, {width}x{height} "
              f"@ {board.format.fps} fps), {args.workers} workers, {cores} cores; "
              f"load average {os.getloadavg()[0]:.1f} at the start")

        cold = measured_render(project, args.workers, children)
        print(f"\ncold render: {cold.wall:.1f} s for {cold.result.duration:.1f} s of video "
              f"(real-time factor {cold.wall / cold.result.duration:.2f})")
        print_profile(cold, cores)

        spoken = spoken_sentences(resolve_voice(board, project.root))
        positions = {"first": 0, "middle": len(board.shots) // 2, "last": len(board.shots) - 1}
        print(f"\none-shot edits ({args.repeats} run(s) each; wall and CPU seconds, median "
              "(range)):")
        edited: list[tuple[str, Run]] = []
        for kind in args.edits:
            for where, index in positions.items():
                _, doc = load_storyboard(project.storyboard_path)
                EDITS[kind](doc, index)
                walls, cpus = [], []
                for _ in range(args.repeats):
                    moment = time.time()
                    spoken_before = set(spoken)
                    project.storyboard_path.write_text(dump_document(doc), encoding="utf-8")
                    run = measured_render(project, args.workers, children)
                    walls.append(run.wall)
                    cpus.append(run.cpu_self + run.cpu_children)
                    forget_since(project.cache_dir, moment, spoken, spoken_before)
                edited.append((f"{kind} {where}", run))
                print(f"  {kind:10} {where:6} wall {spread(walls)} s "
                      f"({100 * statistics.median(walls) / cold.wall:3.0f}% of cold)  "
                      f"CPU {spread(cpus)} s  redone {run.result.redone}", flush=True)
                project.storyboard_path.write_text(original, encoding="utf-8")
        print("\nwhat each edit waited for (stage shot start-end, seconds into the render):")
        for name, run in edited:
            print(f"  {name}: {critical_path(run)}")
        middle = next((run for name, run in edited if name == "narration middle"), None)
        if middle is not None:
            print("\nprofile of the narration edit in the middle shot:")
            print_profile(middle, cores)

        if args.presets:
            clips = sorted((project.cache_dir / "visual").glob("*.mp4"))[:3]
            preset_table(clips, folder, board.format.fps)
        fps = board.format.fps
        floors = {"the segments' settings": segment_encoding(fps),
                  "veryfast crf 20 (the issue's floor)": [*x264("veryfast", 20, fps * 2),
                                                          "-r", str(fps), "-an"]}
        measured = {name: bare_encode(cold.result.duration, width, height, fps, encoding,
                                       folder)
                    for name, encoding in floors.items()}
        shutil.rmtree(folder / "project", ignore_errors=True)
    cpu = cold.cpu_self + cold.cpu_children
    print(f"\nbare libx264 floor ({cold.result.duration:.1f} s of testsrc2 at {width}x{height}):")
    for name, (wall, seconds) in measured.items():
        print(f"  {name}: {wall:.1f} s wall, {seconds:.1f} s CPU; the cold render took "
              f"{cold.wall / wall:.1f}x its wall, {cpu / seconds:.1f}x its CPU")


if __name__ == "__main__":
    main()
