"""The CPU animatic generator: real camera motion over the user's image or footage, or a
designed, layered motion background with the shot's title. ffmpeg filters do the motion."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image

from storyreel.tools.ffmpeg import run_ffmpeg
from storyreel.tools.footage import FootageFit
from storyreel.tools.paths import cache_dir
from storyreel.tools.video import concat_copy, x264

from .animatic_art import Layer, save_layers
from .base import ClipOutput, ClipRequest, GeneratorError, ProgressCallback
from .depict import CREDIT, depict

OVERSCAN = 1.2  # the plate is this much larger than the frame, room for the camera to move
ZOOM = 0.14  # how far push-in / pull-out travel
# A seeded choice for camera: auto, so consecutive shots move differently.
AUTO_CAMERAS = ("push-in", "pan-left", "pull-out", "pan-right", "tilt-up", "push-in")
LAYERS_VERSION = 4  # bump when the painting changes
TITLE_IN = 0.35  # seconds before the title starts fading in
TITLE_FADE = 0.6  # seconds each title fade takes
TITLE_HOLD = 2.5  # seconds the title stays fully shown
SPLIT_MIN_FRAMES = 96  # clips at least this long render as two halves in parallel
# A keyframe every second lets later stages seek into a clip instead of decoding all of it.
ENCODE = x264("ultrafast", 14, 24)
SILENT = ["-an"]
# Subject motion, as fractions of the plate: (amplitude, period in seconds).
BOB = (0.008, 3.2)  # a standing thing breathes
HOP = (0.01, 0.55)  # an animal or a person steps ...
WALK = 0.05  # ... and crosses this much of the width over the shot, toward the middle
HOVER = ((0.022, 4.4), (0.025, 8.8))  # a flying thing: up and down, side to side
# How fast particles travel, in frame heights per second.
PARTICLE_SPEED = {"rise": 0.04, "fall": 0.06, "rain": 1.2}


def _still(pixels: str, fps: int, first: int = 0) -> str:
    """Repeat a decoded still forever, converted to `pixels` (a pixel format) once, its clock
    starting at frame `first`. `-loop 1` would decode every frame, and a conversion after the
    loop would convert every frame: both took most of a clip's time."""
    return f"format={pixels},loop=loop=-1:size=1:start=0,setpts=(N+{first})/{fps}/TB"


def camera_for(request: ClipRequest) -> str:
    if request.camera != "auto":
        return request.camera
    return AUTO_CAMERAS[request.seed % len(AUTO_CAMERAS)]


def zoompan(camera: str, frames: int, width: int, height: int, fps: int, first: int = 0) -> str:
    """A zoompan filter moving a plate OVERSCAN times the output size along `camera`,
    starting at frame `first` of a `frames`-long move."""
    p = f"((on+{first})/{max(1, frames - 1)})"
    ease = f"(0.5-0.5*cos(PI*{p}))"  # ease in and out
    zoom = {"push-in": f"1+{ZOOM}*{ease}", "pull-out": f"1+{ZOOM}-{ZOOM}*{ease}"}.get(camera, "1")
    cx, cy = "(iw-iw/zoom)/2", "(ih-ih/zoom)/2"
    x = {"pan-left": f"(iw-iw/zoom)*(1-{ease})", "pan-right": f"(iw-iw/zoom)*{ease}"}.get(camera, cx)
    y = {"tilt-up": f"(ih-ih/zoom)*(1-{ease})", "tilt-down": f"(ih-ih/zoom)*{ease}"}.get(camera, cy)
    if camera in {"pan-left", "pan-right", "tilt-up", "tilt-down"}:
        # zoompan shows iw/zoom of the plate: at zoom 1 there is nothing left to travel over
        zoom = f"{1 + ZOOM}"
    elif camera == "static":
        zoom = f"1+0.02*{p}"  # a breath of movement keeps a static shot alive
    return (f"zoompan=z='{zoom}':x='{x}':y='{y}':d=1:s={width}x{height}:fps={fps}")


class AnimaticGenerator:
    """Motion from stills and footage on CPU: Ken Burns moves, parallax, particles, titles."""

    name = "animatic"
    text_to_video = True
    image_to_video = True
    makes_sound = False  # only footage brings its own sound

    def check(self, model: str | None) -> None:
        """Runs anywhere: ffmpeg and Pillow are always installed."""

    @staticmethod
    def note(request: ClipRequest) -> str:
        """Why the clip for `request` cannot show what its words ask (nothing in the
        illustration set matches them), for the render log; "" when it can, or when the clip is
        made from the user's image or footage."""
        if request.image is not None or request.video is not None:
            return ""
        return depict(request.prompt, request.title.strip(), request.style).note

    def __call__(self, request: ClipRequest, output: Path,
                 progress: ProgressCallback | None = None) -> ClipOutput:
        """Render `request` into `output` (H.264, exactly `request.num_frames` frames; silent
        unless made from footage with sound, which is retimed along with the picture).

        Args:
            request: prompt, size, fps, frame count, seed, camera, title and optional
                `image` (moved by the camera) or `video` (trimmed, slowed or looped to fit).
            output: the .mp4 to write.
            progress: called with the fraction done.
        """
        if request.num_frames < 1:
            raise GeneratorError("a clip needs at least one frame")
        sound, credit = False, ""
        if request.video is not None:
            fit = self._footage_fit(request)
            run_ffmpeg([*fit.copy_args(request.video), *ENCODE, str(output)],
                       duration=request.duration, on_progress=progress)
            sound = fit.has_audio
        else:
            with tempfile.TemporaryDirectory(prefix="animatic-") as scratch:
                self._render_still_based(request, Path(scratch), output, progress)
            if request.image is None and depict(request.prompt, request.title.strip(),
                                                request.style).subjects:
                credit = CREDIT  # the illustrations' licence asks for attribution
        return ClipOutput(output, request.num_frames, request.fps, request.width, request.height,
                          self.name, has_sound=sound, credit=credit)

    def _render_still_based(self, request: ClipRequest, scratch: Path, output: Path,
                            progress: ProgressCallback | None) -> None:
        """Stills moved by expressions of the frame number can be rendered in independent
        parts; a long clip renders as two halves at once (ffmpeg's graph is one thread)."""
        layers = None if request.image is not None else self._layers(request)
        frames = request.num_frames
        half = frames // 2 if frames >= SPLIT_MIN_FRAMES else frames
        parts = [(0, half)] + ([(half, frames - half)] if half < frames else [])

        def render_part(index: int) -> Path:
            first, count = parts[index]
            path = output if len(parts) == 1 else scratch / f"part{index}.mp4"
            args = (self._image_args(request, first) if layers is None
                    else self._designed_args(request, layers, first))
            self._encode(args, count, request.fps, path, progress if index == 0 else None)
            return path

        with ThreadPoolExecutor(len(parts)) as pool:
            paths = list(pool.map(render_part, range(len(parts))))
        if len(paths) > 1:
            concat_copy(paths, output, scratch / "parts.txt", request.fps)

    @staticmethod
    def _layers(request: ClipRequest) -> dict[str, Layer]:
        """Painted layers depend on the look, not the length: an edit that only changes a
        shot's duration reuses them from the cache.

        The cache folder appears whole: painted in a scratch sibling, then renamed into
        place, so a render running at the same time never reads a half-written layer. When
        another render got there first, its folder is used.
        """
        size = (request.width, request.height)
        title = request.title.strip()
        key = hashlib.sha256(json.dumps([LAYERS_VERSION, size, request.style, request.prompt,
                                         title, request.seed, OVERSCAN])
                             .encode("utf-8")).hexdigest()[:20]
        folder = cache_dir() / "animatic-layers" / key
        if not folder.is_dir():
            folder.parent.mkdir(parents=True, exist_ok=True)
            scratch = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=folder.parent))
            try:
                layers = save_layers(scratch, size, style=request.style, visual=request.prompt,
                                     title=title, seed=request.seed, overscan=OVERSCAN)
                (scratch / "layers.json").write_text(
                    json.dumps([[n, layer.x, layer.y, layer.motion, layer.phase]
                                for n, layer in layers.items()]), encoding="utf-8")
                scratch.rename(folder)
            except OSError:
                if not folder.is_dir():  # not a lost race: a real failure
                    raise
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        return {name: Layer(folder / f"{name}.png", x, y, motion, phase) for name, x, y, motion, phase
                in json.loads((folder / "layers.json").read_text(encoding="utf-8"))}

    @staticmethod
    def _encode(args: list[str], count: int, fps: int, output: Path,
                progress: ProgressCallback | None) -> None:
        run_ffmpeg([*args, "-frames:v", str(count), "-r", str(fps), *ENCODE, *SILENT,
                    str(output)], duration=count / fps, on_progress=progress)

    def _image_args(self, request: ClipRequest, first: int = 0) -> list[str]:
        w, h = request.width, request.height
        big_w, big_h = round(w * OVERSCAN / 2) * 2, round(h * OVERSCAN / 2) * 2
        graph = (f"scale={big_w}:{big_h}:force_original_aspect_ratio=increase,"
                 f"crop={big_w}:{big_h},setsar=1,{_still('yuv420p', request.fps)},"
                 f"{zoompan(camera_for(request), request.num_frames, w, h, request.fps, first)},"
                 "vignette=angle=PI/6,format=yuv420p")
        return ["-i", str(request.image), "-vf", graph]

    @staticmethod
    def _footage_fit(request: ClipRequest) -> FootageFit:
        """How the request's footage is fitted to the shot (`tools.footage.FootageFit`)."""
        try:
            return FootageFit.measure(request.video, request.width, request.height, request.fps,
                                      request.num_frames)
        except ValueError as error:
            raise GeneratorError(str(error)) from error
        except Exception as error:
            raise GeneratorError(f"cannot read video {request.video}: {error}") from error

    def _designed_args(self, request: ClipRequest, layers: dict[str, Layer],
                       first: int = 0) -> list[str]:
        """The layered graph for frames from `first` on (times shifted so parts join up).

        Subjects are laid on the plate before the camera move, so the camera carries them
        while they bob, walk or hover; the foreground slides over both for parallax.
        The title shows for a few seconds, then fades out, so it does not sit over the
        subtitles for the whole shot.
        """
        w, h, fps, frames = request.width, request.height, request.fps, request.num_frames
        camera = camera_for(request)
        duration = request.duration
        start = first / fps
        clock = f"(t+{start:.6f})"
        drift = {"pan-left": 1, "pan-right": -1}.get(camera, 1 if request.seed % 2 else -1)
        fg_travel = w * 0.3
        fg_x = f"-{fg_travel / 2:.1f}+{drift}*{fg_travel / 2:.1f}*({clock}/{duration:.3f}-0.5)*1.6"
        with Image.open(layers["plate"].path) as image:
            plate = image.size
        subjects = [n for n in layers if n not in ("plate", "foreground", "particles", "title")]
        names = ["plate", *subjects, "foreground", "particles"]
        graph = [f"[0:v]{_still('yuv420p', fps)}[p0]"]
        for n, name in enumerate(subjects, start=1):
            x, y = _subject_motion(layers[name], plate, clock, duration)
            graph += [f"[{n}:v]{_still('yuva420p', fps)}[s{n}]",
                      f"[p{n - 1}][s{n}]overlay=x='{x}':y='{y}':format=yuv420[p{n}]"]
        land, dust = layers["foreground"], layers["particles"]
        n = len(subjects)
        speed = PARTICLE_SPEED[dust.motion] * h
        dust_y = (f"-mod({clock}*{speed:.1f},{h})" if dust.motion == "rise"
                  else f"-{h}+mod({clock}*{speed:.1f},{h})")
        graph += [
            f"[p{n}]{zoompan(camera, frames, w, h, fps, first)}[bg]",
            f"[{n + 1}:v]{_still('yuva420p', fps)}[land]",
            f"[bg][land]overlay=x='{fg_x}':y={land.y}:format=yuv420[scene]",
            f"[{n + 2}:v]{_still('yuva420p', fps)}[dust]",
            f"[scene][dust]overlay=x=0:y='{dust_y}':format=yuv420[air]",
        ]
        picture = "air"
        fade_out = min(TITLE_IN + TITLE_FADE + TITLE_HOLD, max(0.8, duration - 0.6))
        title = layers.get("title")
        if title is not None and fade_out + TITLE_FADE > start:
            names.append("title")
            # the title's clock counts from the clip's start, so a later part fades it alike
            graph += [f"[{n + 3}:v]{_still('yuva420p', fps, first)},"
                      f"fade=t=in:st={TITLE_IN}:d={TITLE_FADE}:alpha=1,"
                      f"fade=t=out:st={fade_out:.3f}:d={TITLE_FADE}:alpha=1,"
                      "setpts=PTS-STARTPTS[title]",
                      f"[air][title]overlay=x={title.x}:y={title.y}:format=yuv420:"
                      f"enable='lt(t,{fade_out + TITLE_FADE - start:.3f})'[titled]"]
            picture = "titled"
        graph.append(f"[{picture}]format=yuv420p[out]")
        args: list[str] = []
        for name in names:
            args += ["-i", str(layers[name].path)]
        return [*args, "-filter_complex", ";".join(graph), "-map", "[out]"]


def _subject_motion(layer: Layer, plate: tuple[int, int], clock: str,
                    duration: float) -> tuple[str, str]:
    """overlay x and y expressions that move a subject layer by its motion, in the plate."""
    width, height = plate
    x, y, phase = layer.x, layer.y, layer.phase
    if layer.motion == "float":
        (rise, rise_period), (sway, sway_period) = HOVER
        return (f"{x}+{sway * width:.1f}*sin(2*PI*{clock}/{sway_period}+{phase * 1.7:.3f})",
                f"{y}+{rise * height:.1f}*sin(2*PI*{clock}/{rise_period}+{phase})")
    if layer.motion == "walk":
        with Image.open(layer.path) as image:
            toward_middle = 1 if x + image.width / 2 < width / 2 else -1
        hop, step = HOP
        return (f"{x}+{toward_middle * WALK * width:.1f}*({clock}/{duration:.3f}-0.5)",
                f"{y}-{hop * height:.1f}*abs(sin(PI*{clock}/{step}+{phase}))")
    if layer.motion == "bob":
        lift, period = BOB
        return str(x), f"{y}-{lift * height:.1f}*(0.5-0.5*cos(2*PI*{clock}/{period}+{phase}))"
    return str(x), str(y)
