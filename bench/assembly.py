"""Assembly benchmark: storyreel against MoviePy on the user's own footage, and the encoder floor.

Run on demand: `python bench/assembly.py [--runs 3] [--quick]`. It asserts nothing; it prints

- the inputs: six 10.5 s clips of "user footage" at 1280x720, 30 fps (`--quick`: three of 4 s),
  made here offline and deterministically from ffmpeg's lavfi sources with motion and detail
  (testsrc2, a Mandelbrot zoom, Life, a cellular automaton, grainy rotating gradients, a
  Sierpinski carpet), libx264 crf 12, no sound; and a storyreel project with one shot per
  clip (`asset: assets/clip.mp4`, `duration` the clip's length), about 162 words of narration,
  crossfades, storyreel's generated music bed and burned (karaoke) subtitles;
- storyreel's cold render: the CLI (`storyreel render DIR --json`) in a fresh process, on a fresh
  copy of the project (empty `.storyreel/`) with a fresh STORYREEL_CACHE_DIR each run;
- the same content assembled with MoviePy 2.x, in its own venv (`--moviepy-venv`, made with
  `python -m venv` + `pip install moviepy` when missing), by a script written from this file
  and run by that venv's python. It is handed what storyreel made and MoviePy cannot: each
  shot's narration (the speech WAVs in storyreel's cache), the .srt beside storyreel's video and
  the same music file, all found through the render manifest (.storyreel/last_render.json);
  and it places them on storyreel's timeline (the manifest's shot starts and lengths, so its
  crossfades last as long as storyreel's). It composites the clips with `CrossFadeIn`
  crossfades, the narration over the music lowered by the storyboard's `gain_db` (no ducking,
  no loudness normalisation), burns the .srt with `SubtitlesClip`/`TextClip` (storyreel's
  bundled font), and writes libx264 + AAC at MoviePy's defaults (preset medium, x264's crf 23);
- both sides run alternately (storyreel, MoviePy, storyreel, ...), `--runs` times each: median
  and range of wall seconds (and CPU seconds of the process and its children), seconds per
  output second, and the ratio MoviePy / storyreel of seconds per output second;
- VMAF (libvmaf, n_threads=2, every 5th frame) of each side with subtitles off
  (`subtitles: {burn: false}`): its normal render against a reference render of the same
  content at crf 8, preset slow. storyreel has no user-facing encoder quality, so its reference
  is an in-process render with `tools.video.segment_encoding` patched to slow crf 8, on a
  fresh cache (the segments read the footage themselves: nothing else encodes it);
- the floor: a bare libx264 encode, decode + encode with only the concat filter, of the six
  clips concatenated and cut to storyreel's frame count, with the segments' settings
  (`segment_encoding(fps, photographic=True)`, those of a programme of footage) and with
  veryfast crf 20 (run after each round): its wall seconds, storyreel's cold render wall over
  it (the goal is <= 1.5x), and the floor's own VMAF against the clips it was encoded from,
  beside the VMAF of storyreel's normal render.

VMAF pairs frames by their number, not their timestamps: libvmaf pairs by timestamp, and a
video whose clock steps unevenly anywhere (MoviePy's, or a source's) would be compared one
frame off from there on.

Timings on a shared 2-core machine are noisy: compare medians, and the CPU seconds beside them.
Work goes to a temporary folder under `--work` (default /tmp/assembly-work), removed at the end
unless `--keep`; the MoviePy venv stays there for the next run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from storyreel.studio.manifest import RenderManifest
from storyreel.studio.project import Project
from storyreel.studio.render import render
from storyreel.tools import video
from storyreel.tools.ffmpeg import BITEXACT, ffmpeg_output, run_ffmpeg
from storyreel.tools.fonts import ui_font_path
from storyreel.tools.video import count_frames, segment_encoding, x264

WIDTH, HEIGHT, FPS = 1280, 720, 30
VMAF_SUBSAMPLE = 5  # every 5th frame
REFERENCE = ("slow", 8)  # preset and crf of both sides' reference renders
MOVIEPY_NORMAL = ("medium", 23)  # MoviePy's defaults: its preset, x264's own crf
FALLBACK_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

# "User footage": lavfi sources with motion and detail ({w}x{h} at {r} fps, {n} frames).
SOURCES = (
    ("testcard", "testsrc2=s={w}x{h}:r={r}"),
    ("fractal", "mandelbrot=s={hw}x{hh}:r={r}:maxiter=200:end_pts={n}:end_scale=0.02,"
                "scale={w}:{h}:flags=bicubic"),
    ("life", "life=s={hw}x{hh}:r={r}:mold=10:ratio=0.12:seed=11:death_color=#1f3a5a:"
             "life_color=#f2c14e,scale={w}:{h}:flags=bicubic"),
    ("automaton", "cellauto=s={w}x{h}:r={r}:rule=110:seed=7:full=1:scroll=1,format=rgb24,"
                  "lutrgb=r=val*0.95:g=val*0.75:b=val*0.45"),
    ("gradients", "gradients=s={w}x{h}:r={r}:n=5:speed=0.04:c0=0x1b3b6f:c1=0xe07a5f:"  # no
                  "c2=0xf2cc8f:c3=0x81b29a:c4=0x3d405b:x0=100:y0=80:x1=1180:y1=640,"  # seed:
                  "noise=alls=3:allf=t:all_seed=5"),  # its random colours differ run to run
    ("carpet", "sierpinski=s={w}x{h}:r={r}:seed=9:jump=40:type=carpet,format=rgb24,"
               "lutrgb=r=val*0.4+40:g=val*0.7+20:b=val*0.9"),
)

NARRATION = (  # 27 words each, 162 in all
    "Every picture on a screen begins as a test. Engineers paint bars, circles and moving "
    "numbers, so they see at once when anything slips out of place.",
    "Zoom into the Mandelbrot set and the edge never ends. One small rule, run again and "
    "again, grows spirals, seahorses and tiny copies of the whole shape.",
    "In the Game of Life, each square lives or dies by counting its neighbours. From that rule "
    "come gliders, blinkers and whole colonies drifting across the grid.",
    "A single row of cells, updated again and again, can draw triangles and chaos. Rule one "
    "hundred and ten is powerful enough to compute anything at all.",
    "Gradients are the quiet parts of a picture. Colour flows slowly from corner to corner, "
    "and a good encoder must keep it smooth, without bands or blocks.",
    "Last, the Sierpinski carpet cuts a square into nine, removes the middle, and repeats. "
    "What remains has no area at all, yet it never stops being beautiful.",
)
QUICK_NARRATION = ("Every picture begins as a test.", "Zoom in, and the edge never ends.",
                   "Each square counts its neighbours.")

# The MoviePy side: run by the MoviePy venv's python with the path of a plan (JSON) written here.
MOVIEPY_SCRIPT = '''
"""storyreel's content assembled with MoviePy 2.x, from the plan written by bench/assembly.py."""
import json
import sys
from pathlib import Path

from moviepy import (AudioFileClip, CompositeAudioClip, CompositeVideoClip, TextClip,
                     VideoFileClip, afx, vfx)
from moviepy.video.tools.subtitles import SubtitlesClip

plan = json.loads(open(sys.argv[1], encoding="utf-8").read())
fps, (width, height), total = plan["fps"], plan["size"], plan["seconds"]

layers = []
for shot in plan["shots"]:
    clip = VideoFileClip(shot["clip"], audio=False)
    seconds = shot["frames"] / fps
    if clip.duration >= seconds:
        clip = clip.subclipped(0, seconds)
    else:  # storyreel slows footage that is a little short
        clip = clip.with_effects([vfx.MultiplySpeed(final_duration=seconds)])
    clip = clip.resized((width, height)).with_start(shot["start"])
    if shot["fade_in"]:
        clip = clip.with_effects([vfx.CrossFadeIn(shot["fade_in"])])
    layers.append(clip)

if plan["srt"]:
    def caption(text):
        return TextClip(font=plan["font"], text=text, font_size=round(height * 0.05),
                        color="white", stroke_color="black", stroke_width=3,
                        method="caption", size=(round(width * 0.84), None),
                        text_align="center", margin=(0, 8))

    subtitles = SubtitlesClip(plan["srt"], make_textclip=caption, encoding="utf-8")
    layers.append(subtitles.with_position(("center", round(height * 0.8))))

sounds = [AudioFileClip(plan["music"]).subclipped(0, total)
          .with_effects([afx.MultiplyVolume(plan["music_gain"]), afx.AudioFadeOut(1.5)])]
sounds += [AudioFileClip(shot["speech"]).with_start(shot["narration_start"])
           for shot in plan["shots"] if shot["speech"]]

programme = (CompositeVideoClip(layers, size=(width, height)).with_duration(total)
             .with_audio(CompositeAudioClip(sounds).with_duration(total)))
preset, crf = plan["encoding"]
# MoviePy's temporary sound file goes beside the output, not into the current folder.
programme.write_videofile(plan["output"], fps=fps, codec="libx264", audio_codec="aac",
                          preset=preset, ffmpeg_params=["-crf", str(crf)], logger=None,
                          temp_audiofile_path=str(Path(plan["output"]).parent))
'''


@dataclass(frozen=True)
class Setup:
    """What every run of either side starts from."""

    folder: Path  # the temporary work folder
    clips: list[Path]
    storyboard: dict  # the project's storyboard as data
    moviepy_python: Path


@dataclass(frozen=True)
class Timed:
    wall: float
    cpu: float  # of this process's children (and theirs), while it ran
    output: Path
    seconds: float  # of video made


# --- inputs -----------------------------------------------------------------------------------


def make_clip(graph: str, seconds: float, out: Path) -> None:
    """One clip of "user footage": the lavfi `graph`, libx264 crf 12, no sound."""
    frames = round(seconds * FPS)
    source = graph.format(w=WIDTH, h=HEIGHT, hw=WIDTH // 2, hh=HEIGHT // 2, r=FPS, n=frames)
    run_ffmpeg(["-f", "lavfi", "-i", source, "-frames:v", str(frames),
                "-vf", "format=yuv420p", *x264("fast", 12, FPS * 2), "-an", *BITEXACT,
                str(out)])


def make_clips(folder: Path, count: int, seconds: float) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    clips = []
    for name, graph in SOURCES[:count]:
        clip = folder / f"{name}.mp4"
        make_clip(graph, seconds, clip)
        clips.append(clip)
    return clips


def storyboard(clips: list[Path], narration: tuple[str, ...], seconds: float) -> dict:
    """One shot per clip: the clip as its footage, for the clip's length, with narration."""
    return {
        "version": 1, "title": "Patterns in Motion", "language": "en",
        "format": {"aspect": "16:9", "height": HEIGHT, "fps": FPS},
        "music": {"source": "auto", "gain_db": -18, "duck": True},
        "subtitles": {"burn": True, "style": "karaoke", "max_chars": 42},
        "shots": [{"id": clip.stem, "narration": text, "asset": f"assets/{clip.name}",
                   "duration": seconds, "transition": "crossfade"}
                  for clip, text in zip(clips, narration, strict=True)],
    }


def new_project(folder: Path, board: dict, clips: list[Path]) -> Project:
    """A fresh project folder holding the clips (hard links) and `board`."""
    project = Project.create(folder, data=board)
    for clip in clips:
        os.link(clip, project.root / "assets" / clip.name)
    return project


# --- the MoviePy venv -------------------------------------------------------------------------


def moviepy_version(python: Path) -> str | None:
    if not python.exists():
        return None
    found = subprocess.run([str(python), "-c", "import moviepy; print(moviepy.__version__)"],
                           capture_output=True, text=True)
    return found.stdout.strip() if found.returncode == 0 else None


def moviepy_venv(venv: Path) -> Path:
    """The MoviePy venv's python: reused when it imports moviepy, else made (and said so)."""
    python = venv / "bin" / "python"
    version = moviepy_version(python)
    if version is None:
        print(f"making the MoviePy venv in {venv} (python -m venv; pip install 'moviepy>=2,<3')",
              flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        installed = subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                                    "moviepy>=2,<3"], capture_output=True, text=True)
        if installed.returncode != 0:
            raise SystemExit(f"pip install moviepy failed:\n{installed.stderr[-3000:]}")
        version = moviepy_version(python)
        print(f"  made: moviepy {version}")
    else:
        print(f"reusing the MoviePy venv {venv} (moviepy {version})")
    return python


# --- timing -----------------------------------------------------------------------------------


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], env: dict[str, str], output: Path, what: str) -> Timed:
    """Wall and CPU seconds of `command`, which makes `output`; its log is shown if it fails."""
    cpu, start = children_cpu(), time.perf_counter()
    done = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True)
    wall, cpu = time.perf_counter() - start, children_cpu() - cpu
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:], sep="\n", file=sys.stderr)
        raise SystemExit(f"{what} failed (exit code {done.returncode})")
    return Timed(wall, cpu, output, count_frames(output) / FPS)


def storyreel_cold(setup: Setup, run: int) -> Timed:
    """A cold CLI render of a fresh copy of the project, with a fresh user cache."""
    folder = setup.folder / f"storyreel-{run}"
    project = new_project(folder / "project", setup.storyboard, setup.clips)
    env = os.environ | {"STORYREEL_CACHE_DIR": str(folder / "user-cache")}
    command = [sys.executable, "-c", "from storyreel.tui.cli import app; app()", "render",
               str(project.root), "--json"]
    return timed(command, env, project.out_dir / "final.mp4", "storyreel render")


@dataclass(frozen=True)
class Handoff:
    """What MoviePy is handed from storyreel's render, copied out of its project."""

    shots: list[dict]
    srt: Path
    music: Path
    music_gain: float
    seconds: float


def take_handoff(project: Path, setup: Setup, folder: Path) -> Handoff:
    """Narration, subtitles, music and timeline of storyreel's render in `project`."""
    manifest = RenderManifest.load(project / ".storyreel" / "last_render.json")
    if manifest is None or manifest.srt is None or manifest.music is None:
        raise SystemExit(f"no render manifest with subtitles and music in {project}")
    folder.mkdir(parents=True)
    shots, previous_end = [], None
    for shot, clip in zip(manifest.shots, setup.clips, strict=True):
        speech = None
        if shot.speech is not None:
            speech = shutil.copy(shot.speech, folder / f"{shot.id}.wav")
        fade = 0.0 if previous_end is None else max(0.0, previous_end - shot.start)
        shots.append({"clip": str(clip), "start": shot.start, "frames": shot.frames,
                      "fade_in": round(fade, 6), "speech": speech and str(speech),
                      "narration_start": shot.narration_start})
        previous_end = shot.start + shot.frames / manifest.fps
    gain = setup.storyboard["music"]["gain_db"]
    return Handoff(shots, Path(shutil.copy(manifest.srt, folder / "final.srt")),
                   Path(shutil.copy(manifest.music, folder / f"music{manifest.music.suffix}")),
                   10 ** (gain / 20), count_frames(manifest.output) / FPS)


def moviepy_plan(handoff: Handoff, output: Path, encoding: tuple[str, int],
                 subtitles: bool) -> dict:
    font = ui_font_path() if ui_font_path().is_file() else FALLBACK_FONT
    return {"fps": FPS, "size": [WIDTH, HEIGHT], "seconds": handoff.seconds,
            "shots": handoff.shots, "srt": str(handoff.srt) if subtitles else None,
            "font": str(font), "music": str(handoff.music), "music_gain": handoff.music_gain,
            "encoding": list(encoding), "output": str(output)}


def moviepy_run(setup: Setup, handoff: Handoff, name: str,
                encoding: tuple[str, int] = MOVIEPY_NORMAL, subtitles: bool = True) -> Timed:
    """The MoviePy script, in its venv, on a plan of the handed-over content."""
    folder = setup.folder / f"moviepy-{name}"
    folder.mkdir()
    output = folder / "final.mp4"
    plan = folder / "plan.json"
    plan.write_text(json.dumps(moviepy_plan(handoff, output, encoding, subtitles)),
                    encoding="utf-8")
    script = setup.folder / "moviepy_assembly.py"
    return timed([str(setup.moviepy_python), str(script), str(plan)], dict(os.environ), output,
                 "MoviePy assembly")


# --- the floor --------------------------------------------------------------------------------


def concat_inputs(clips: list[Path], first: int = 0) -> tuple[list[str], str]:
    """Input arguments for `clips`, and a graph joining them (as inputs `first` on)."""
    inputs = [arg for clip in clips for arg in ("-i", str(clip))]
    pads = "".join(f"[{first + i}:v]" for i in range(len(clips)))
    return inputs, f"{pads}concat=n={len(clips)}:v=1:a=0"


def floor_encode(clips: list[Path], frames: int, encoding: list[str], out: Path) -> Timed:
    """Decode the clips, concatenate them and encode `frames` frames with `encoding`."""
    inputs, graph = concat_inputs(clips)
    cpu, start = children_cpu(), time.perf_counter()
    run_ffmpeg([*inputs, "-filter_complex", f"{graph}[v]", "-map", "[v]", "-frames:v",
                str(frames), *encoding, str(out)])
    wall = time.perf_counter() - start
    return Timed(wall, children_cpu() - cpu, out, frames / FPS)


def footage_segments() -> list[str]:
    """The segments' settings of a programme of footage, as storyreel's renderer picks them."""
    return segment_encoding(FPS, photographic=True)


def floor_settings() -> dict[str, list[str]]:
    return {"segments' settings": footage_segments(),
            "veryfast crf 20": [*x264("veryfast", 20, FPS * 2), "-r", str(FPS), "-an"]}


# --- picture quality --------------------------------------------------------------------------


def vmaf_graph(distorted: str, reference: str) -> str:
    """libvmaf on frames paired by their number (see the module's docstring)."""
    by_number = f"setpts=N/({FPS}*TB)"
    return (f"{distorted}{by_number}[d];{reference}{by_number}[r];"
            f"[d][r]libvmaf=n_threads=2:n_subsample={VMAF_SUBSAMPLE}:shortest=1")


def vmaf_score(log: str) -> float:
    return float(re.findall(r"VMAF score: ([0-9.]+)", log)[-1])


def vmaf(distorted: Path, reference: Path) -> float:
    """VMAF of `distorted` against `reference` (same size and frames), every 5th frame."""
    log = run_ffmpeg(["-i", str(distorted), "-i", str(reference), "-lavfi",
                      vmaf_graph("[0:v]", "[1:v]"), "-f", "null", "-"], log_level="info")
    return vmaf_score(log)


def vmaf_against_clips(distorted: Path, clips: list[Path]) -> float:
    """VMAF of a floor encode against the clips it was made from, joined the same way."""
    inputs, graph = concat_inputs(clips, first=1)
    log = run_ffmpeg(["-i", str(distorted), *inputs, "-lavfi",
                      f"{graph}[joined];" + vmaf_graph("[0:v]", "[joined]"), "-f", "null", "-"],
                     log_level="info")
    return vmaf_score(log)


def with_quality(encoding: list[str], preset: str, crf: int) -> list[str]:
    """`encoding` with its x264 preset and crf replaced."""
    changed = list(encoding)
    changed[changed.index("-preset") + 1] = preset
    changed[changed.index("-crf") + 1] = str(crf)
    return changed


@contextmanager
def reference_encoders() -> Iterator[None]:
    """storyreel's segment encoder at the reference quality (the segments fit the footage
    themselves: it is encoded nowhere else)."""
    segments = video.segment_encoding
    video.segment_encoding = lambda *args, **named: with_quality(segments(*args, **named),
                                                                 *REFERENCE)
    try:
        yield
    finally:
        video.segment_encoding = segments


def storyreel_in_process(setup: Setup, name: str, board: dict) -> Path:
    """An in-process render of `board` in a fresh project with a fresh user cache."""
    folder = setup.folder / f"storyreel-{name}"
    project = new_project(folder / "project", board, setup.clips)
    os.environ["STORYREEL_CACHE_DIR"] = str(folder / "user-cache")
    return render(project.storyboard_path).video


def storyreel_vmaf(setup: Setup) -> float:
    """storyreel's normal render against its reference render, subtitles off."""
    board = setup.storyboard | {"subtitles": setup.storyboard["subtitles"] | {"burn": False}}
    normal = storyreel_in_process(setup, "vmaf-normal", board)
    with reference_encoders():
        reference = storyreel_in_process(setup, "vmaf-reference", board)
    return vmaf(normal, reference)


def moviepy_vmaf(setup: Setup, handoff: Handoff) -> float:
    normal = moviepy_run(setup, handoff, "vmaf-normal", subtitles=False).output
    reference = moviepy_run(setup, handoff, "vmaf-reference", REFERENCE, False).output
    return vmaf(normal, reference)


# --- report -----------------------------------------------------------------------------------


def spread(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:6.1f}"
    return f"{statistics.median(values):6.1f} ({min(values):.1f}-{max(values):.1f})"


def per_output_second(runs: list[Timed]) -> float:
    return statistics.median(run.wall / run.seconds for run in runs)


def print_side(name: str, runs: list[Timed]) -> None:
    print(f"  {name:10} wall {spread([r.wall for r in runs])} s  CPU "
          f"{spread([r.cpu for r in runs])} s  output {runs[0].seconds:.2f} s  "
          f"{per_output_second(runs):.2f} s per output second")


def print_floor(floors: dict[str, list[Timed]], scores: dict[str, float], ours: list[Timed],
                our_vmaf: float) -> None:
    wall = statistics.median(run.wall for run in ours)
    first = next(iter(floors.values()))[0]
    print(f"\nfloor: bare libx264, the clips concatenated and cut to storyreel's "
          f"{first.seconds:.2f} s (decode + concat + encode):")
    for name, runs in floors.items():
        floor = statistics.median(run.wall for run in runs)
        print(f"  {name:18} wall {spread([r.wall for r in runs])} s  CPU "
              f"{spread([r.cpu for r in runs])} s  VMAF vs the clips {scores[name]:.2f}; "
              f"storyreel's cold render {wall / floor:.2f}x its wall (goal <= 1.5x)")
    print(f"  storyreel's normal render: VMAF {our_vmaf:.2f} against its crf 8 slow reference")


# --- main -------------------------------------------------------------------------------------


def prepare(args: argparse.Namespace, folder: Path) -> Setup:
    count, seconds = (3, 4.0) if args.quick else (6, 10.5)
    narration = QUICK_NARRATION if args.quick else NARRATION
    if "libvmaf" not in ffmpeg_output(["-filters"]):
        raise SystemExit("this ffmpeg has no libvmaf filter")
    python = moviepy_venv(Path(args.moviepy_venv))
    start = time.perf_counter()
    clips = make_clips(folder / "clips", count, seconds)
    words = sum(len(text.split()) for text in narration)
    print(f"inputs: {count} clips of {seconds:g} s at {WIDTH}x{HEIGHT}, {FPS} fps (libx264 crf 12, "
          f"{sum(c.stat().st_size for c in clips) / 1e6:.0f} MB), {words} words of narration; "
          f"made in {time.perf_counter() - start:.1f} s")
    (folder / "moviepy_assembly.py").write_text(MOVIEPY_SCRIPT, encoding="utf-8")
    return Setup(folder, clips, storyboard(clips, narration, seconds), python)


def alternate(setup: Setup, runs: int) -> tuple[list[Timed], list[Timed], dict[str, list[Timed]],
                                                 Handoff]:
    """storyreel, MoviePy, the floors; `runs` rounds."""
    ours: list[Timed] = []
    theirs: list[Timed] = []
    floors: dict[str, list[Timed]] = {name: [] for name in floor_settings()}
    handoff = None
    for run in range(runs):
        ours.append(storyreel_cold(setup, run))
        if handoff is None:
            handoff = take_handoff(setup.folder / "storyreel-0" / "project", setup,
                                   setup.folder / "handoff")
        theirs.append(moviepy_run(setup, handoff, str(run)))
        frames = round(ours[0].seconds * FPS)
        for index, (name, encoding) in enumerate(floor_settings().items()):
            out = setup.folder / f"floor-{index}-{run}.mp4"
            floors[name].append(floor_encode(setup.clips, frames, encoding, out))
        print(f"  round {run + 1}: storyreel {ours[-1].wall:.1f} s, MoviePy "
              f"{theirs[-1].wall:.1f} s, floors "
              + ", ".join(f"{runs_[-1].wall:.1f} s" for runs_ in floors.values()), flush=True)
    assert handoff is not None
    return ours, theirs, floors, handoff


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each side")
    parser.add_argument("--quick", action="store_true", help="three clips of 4 s")
    parser.add_argument("--work", default="/tmp/assembly-work", help="folder for work files")
    parser.add_argument("--moviepy-venv", default=None,
                        help="the MoviePy venv (default WORK/moviepy-venv; made when missing)")
    parser.add_argument("--keep", action="store_true", help="keep the renders")
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    args.moviepy_venv = args.moviepy_venv or str(work / "moviepy-venv")
    began = time.perf_counter()
    print(f"storyreel vs MoviePy assembly, {args.runs} run(s) each; {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at the start", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="run-", dir=work))
    try:
        setup = prepare(args, folder)
        ours, theirs, floors, handoff = alternate(setup, args.runs)
        print("\nwall and CPU seconds, median (range):")
        print_side("storyreel", ours)
        print_side("MoviePy", theirs)
        print(f"  ratio, MoviePy / storyreel per output second: "
              f"{per_output_second(theirs) / per_output_second(ours):.2f}x", flush=True)
        scores = {"storyreel": storyreel_vmaf(setup), "MoviePy": moviepy_vmaf(setup, handoff)}
        print(f"\nVMAF, subtitles off, normal settings against a crf {REFERENCE[1]} "
              f"{REFERENCE[0]} reference (every {VMAF_SUBSAMPLE}th frame):")
        print(f"  storyreel (segments {describe(footage_segments())}): "
              f"{scores['storyreel']:.2f}")
        print(f"  MoviePy (libx264 {MOVIEPY_NORMAL[0]} crf {MOVIEPY_NORMAL[1]}): "
              f"{scores['MoviePy']:.2f}")
        floor_scores = {name: vmaf_against_clips(runs[0].output, setup.clips)
                        for name, runs in floors.items()}
        print_floor(floors, floor_scores, ours, scores["storyreel"])
    finally:
        if args.keep:
            print(f"\nkept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"\nthe whole benchmark took {time.perf_counter() - began:.0f} s; load average "
          f"{os.getloadavg()[0]:.1f} at the end")


def describe(encoding: list[str]) -> str:
    return f"{encoding[encoding.index('-preset') + 1]} crf {encoding[encoding.index('-crf') + 1]}"


if __name__ == "__main__":
    main()
