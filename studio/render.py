"""Render a storyboard: the only place that knows the order of stages.

voice -> align -> visual -> segment (subtitles burned, transitions) -> audio -> mux.
Every stage of every shot is cached under a hash of its inputs, so a re-render redoes only
what an edit touched. A failed shot does not stop the others; the render then reports it.
Stages overlap where their inputs allow: a shot's picture starts once its speech is made,
and the mix runs beside the pictures and segments (only the mux waits for it).
"""

from __future__ import annotations

import dataclasses
import errno
import functools
import json
import os
import shutil
import threading
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from storyreel.generators import ClipRequest, GeneratorError, get_generator
from storyreel.generators.registry import auto_choice
from storyreel.generators.stock import write_credits
from storyreel.storyboards import Shot, Storyboard, load_storyboard
from storyreel.storyboards.atomic import atomic_path, partial_name, sweep_partials
from storyreel.storyboards.errors import UserError
from storyreel.storyboards.paths import inside_project
from storyreel.storyboards.prompts import compose_prompt
from storyreel.tools import music as music_tool
from storyreel.tools import video
from storyreel.tools.align import Word, align_narration
from storyreel.tools.audio_mix import (
    MIX_VERSION,
    Layer,
    Layout,
    Placed,
    mix_programme,
    music_layer,
    save_stem,
)
from storyreel.tools.ffmpeg import FFmpegError, run_ffmpeg, stop_all
from storyreel.tools.footage import FIT_VERSION, FootageFit
from storyreel.tools.scripts import spoken_text
from storyreel.tools.stock_search import configured as stock_keys
from storyreel.tools.subtitles import (
    Cue,
    SubtitleLook,
    build_cues,
    write_ass,
    write_text_subtitles,
)
from storyreel.tools.tts import ResolvedVoice

from .cache import Cache, Entry, content_key, file_fingerprint
from .effects import effects_job
from .events import Event, EventSink, Stage, ignore
from .farm import Farm
from .interrupts import interrupts_stop
from .keyframes import check_keyframes, shot_keyframe
from .lock import RenderCancelled, render_lock
from .manifest import RenderedShot, RenderManifest
from .platforms import Platform, cap_bitrate, check_length, for_platform
from .preflight import model_path, picture_generator, preflight, shot_footage, shot_seed
from .project import Project
from .stages import Job, body_work, picture_work, transition_work, voice_work
from .takes import record_takes
from .timeline import LEAD_SECONDS, Placement, place, shot_frames

T = TypeVar("T")
BODY_SPLIT_SECONDS = 4
LOCAL_PICTURES = {"animatic", "stock", "stills"}  # generators that need no GPU



class RenderError(UserError, RuntimeError):
    """Some shots failed; the others are cached and a re-render retries only the failures."""

    def __init__(self, failures: dict[str, str]):
        self.failures = failures
        lines = [f"  {shot}: {reason}" for shot, reason in failures.items()]
        super().__init__(f"{len(failures)} shot(s) failed (finished shots are kept; fix and "
                         "render again):\n" + "\n".join(lines))


@dataclass
class RenderResult:
    video: Path
    subtitles: list[Path]
    duration: float
    shots: dict[str, Placement]
    redone: dict[str, int] = field(default_factory=dict)  # stage -> artifacts made this run


@dataclass
class ShotPreview:
    """One shot as the programme shows it (its transitions with its neighbours included),
    from the render's own cache entries."""

    segments: list[Path]  # in order, subtitles burned; they join by stream copy
    speech: Path | None
    speech_start: float  # seconds into the shot
    frames: int
    fps: int


@dataclass
class _ShotState:
    shot: Shot
    seed: int
    speech: Entry | None = None
    words: list[Word] = field(default_factory=list)
    cues: list[Cue] = field(default_factory=list)
    frames: int = 0
    clip: Entry | None = None  # the visual stage's entry: a clip, or the fit of footage
    picture: video.Picture | None = None  # what the shot's segments read
    sound: Path | None = None  # the picture's own sound, fitted to the shot
    subtitles: Path | None = None
    subtitles_key: str = ""

    def use_clip(self, entry: Entry) -> None:
        """Make `entry`, a clip of the shot's frames, its picture, and its sound the shot's."""
        self.clip, self.picture = entry, video.Picture(entry.path)
        self.sound = entry.path if entry.meta.get("sound") else None


def body_parts(first: int, count: int, fps: int) -> list[tuple[int, int]]:
    """A long shot body is encoded as two segments at once (one encode uses ~1 core);
    the stream-copy join makes the split invisible."""
    if count < BODY_SPLIT_SECONDS * fps:
        return [(first, count)]
    half = count // 2
    return [(first, half), (first + half, count - half)]


class Renderer:
    """Renders one storyboard file into an MP4 plus SRT, WebVTT and ASS beside it."""

    def __init__(self, storyboard_path: Path | str, output: Path | str | None = None,
                 events: EventSink = ignore, workers: int = 2,
                 cancel: threading.Event | None = None, *, approved_only: bool = False,
                 farm: Farm | None = None, platform: Platform | None = None):
        self.project = Project.for_storyboard(storyboard_path)
        self.farm = farm  # None: every stage runs in this process
        self.approved_only = approved_only  # refuse shots whose keyframe nobody approved
        self.storyboard, self.document = load_storyboard(self.project.storyboard_path)
        self.platform = platform  # a delivery preset: its frame for this render, file untouched
        if platform is not None:
            self.storyboard = for_platform(self.storyboard, platform)
        self.output = Path(output).resolve() if output else \
            self.project.out_dir / (f"final-{platform.name}.mp4" if platform else "final.mp4")
        self.events = events
        self.workers = farm.slots if farm is not None else max(1, workers)
        self.cache = Cache(self.project.cache_dir)
        self.redone: dict[str, int] = {}
        self.failures: dict[str, str] = {}
        self._tally = threading.Lock()  # redone and failures are updated from worker threads
        self._fatal: OSError | None = None  # an error that ends the whole render (disk full)
        self._interrupted = False  # Ctrl-C (or a signal) reached a worker thread
        self.cancel = cancel or threading.Event()

    def _emit(self, kind: str, stage: Stage | None = None, **fields) -> None:
        if self.cancel.is_set():
            raise RenderCancelled("render cancelled; run it again to resume")
        self.events(Event(kind=kind, stage=stage, **fields))

    def _produce(self, stage: Stage, shot: str, key: str, suffix: str,
                 make: Callable[[Path], dict] | Job) -> Entry:
        """The cache entry `key`, made if missing: by `make`, or by a Job (on the farm when
        there is one, else here)."""
        self._emit("start", stage, shot=shot)
        if isinstance(make, Job):
            job = make
            if self.farm is not None and not job.here:
                make = lambda tmp: self.farm.run(job, tmp, self.cancel)  # noqa: E731
            else:
                def make(tmp: Path) -> dict:
                    return job.run(tmp, progress=self._progress(stage, shot))
        entry = self.cache.produce(stage, key, suffix, make)
        if not entry.cached:
            with self._tally:
                self.redone[stage] = self.redone.get(stage, 0) + 1
        node = entry.meta.get("node") if self.farm is not None and not entry.cached else None
        self._emit("cached" if entry.cached else "done", stage, shot=shot,
                   **({"message": f"on {node}"} if node else {}))
        return entry

    def _progress(self, stage: Stage, shot: str) -> Callable[[float], None]:
        def progress(fraction: float) -> None:
            self._emit("progress", stage, shot=shot, fraction=fraction)
        return progress

    def _each(self, stage: Stage, states: list[_ShotState],
              work: Callable[[_ShotState], None], parallel: bool = False) -> None:
        """Run `work` for every shot that has not failed; record failures, keep going."""
        def guarded(state: _ShotState) -> None:
            try:
                work(state)
            except (GeneratorError, OSError, RuntimeError, ValueError) as error:
                self._fail(stage, state.shot.id, error)
            except BaseException as error:  # an interrupt: work queued on other threads stops
                self._interrupted = self._interrupted or isinstance(error, KeyboardInterrupt)
                self.cancel.set()
                raise

        todo = [s for s in states if s.shot.id not in self.failures]
        if parallel and self.workers > 1:
            with ThreadPoolExecutor(self.workers) as pool:
                list(pool.map(guarded, todo))
        else:
            for state in todo:
                guarded(state)

    def _fail(self, stage: Stage, shot: str, error: Exception) -> None:
        """Record a shot's failure as one line; an ffmpeg failure names the file it could not
        handle and points at its full log, saved in .storyreel/logs/."""
        if isinstance(error, RenderCancelled) or self.cancel.is_set():
            raise RenderCancelled("render cancelled; run it again to resume") from error
        if (isinstance(error, OSError) and error.errno == errno.ENOSPC) or \
                (isinstance(error, FFmpegError) and error.disk_full):
            self.cancel.set()  # nothing more can be written: stop every shot, not just this one
            self._fatal = OSError(errno.ENOSPC, "No space left on device",
                                  str(self.project.cache_dir))
            raise self._fatal from error
        message = str(error)
        if isinstance(error, FFmpegError):
            message = f"ffmpeg could not make it from {self._inputs_named(error)}: {error.summary}"
            log = self._save_log(f"{stage}-{shot}", error)
            if log is not None:
                message += f" (full log: {log})"
        with self._tally:
            self.failures[shot] = f"{stage}: {message}"
        self._emit("failed", stage, shot=shot, message=message)

    def _inputs_named(self, error: FFmpegError) -> str:
        """The files ffmpeg was reading, as the user knows them: the user's own files first."""
        inputs = [Path(arg) for flag, arg in zip(error.command, error.command[1:], strict=False)
                  if flag == "-i" and arg != "-"]
        own = [p for p in inputs if inside_project(self.project.root, str(p)) is not None
               and self.project.state_dir not in p.parents]
        chosen = own or inputs
        return ", ".join(str(p.relative_to(self.project.root)) if self.project.root in p.parents
                         else p.name for p in chosen) or "its inputs"

    def _save_log(self, name: str, error: FFmpegError) -> Path | None:
        folder = self.project.state_dir / "logs"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{name}.log"
            with atomic_path(path) as tmp:
                tmp.write_text(" ".join(error.command) + "\n\n" + error.log, encoding="utf-8")
        except OSError:
            return None
        return path.relative_to(self.project.root)

    def _sweep(self) -> None:
        """Remove what a killed render left half-written: in the project's own state, and the
        output's temporary files beside it (only those, since the folder is the user's)."""
        sweep_partials(self.project.state_dir)
        folder = self.output.parent
        for path in folder.glob(f".{self.output.stem}.*"):
            if partial_name(path.name):
                path.unlink(missing_ok=True)
        for path in folder.glob(".join.part-*"):
            shutil.rmtree(path, ignore_errors=True)

    def _say_how_shots_are_made(self, board: Storyboard) -> None:
        """Once per render, not once per shot: when `auto` falls back to the animatic (with
        the diffusion extra installed or a stock key set), and when a diffusion backend will
        run on the CPU."""
        import importlib.util

        diffusion = importlib.util.find_spec("diffusers") is not None
        names = {board.generator.merged(s.generator).name for s in board.shots}
        if "auto" in names and (diffusion or stock_keys()):
            name, why = auto_choice()
            if name == "animatic":
                self._emit("warning", message=why)
        chosen = sorted(n for n in names if n not in {"auto", "animatic", "stock"})
        if chosen and diffusion:
            import torch

            if not torch.cuda.is_available():
                self._emit("warning", message=f"{', '.join(chosen)} will run on the CPU (no "
                           "CUDA GPU here): expect minutes to hours per shot")

    def run(self) -> RenderResult:
        """Render under the project's lock. SIGTERM, SIGHUP and Ctrl-C (on the main thread)
        and `cancel` stop it promptly: running ffmpegs are killed, nothing half-written is
        left, and finished work stays cached for the next render."""
        return self._locked(self._run)

    def shot_preview(self, shot_id: str, use: Callable[[ShotPreview], T]) -> T:
        """`use` of one shot's segments and narration, made if missing by that shot's own
        stages (and its neighbours' pictures, for the transitions): no mix, no mux, the output
        untouched. They are the render's own cache entries, so the next render reuses them;
        `use` runs under the project's lock too, so no render sweeps what it writes."""
        return self._locked(lambda: use(self._shot_preview(shot_id)))

    def _locked(self, work: Callable[[], T]) -> T:
        """`work` under the project's lock, stopped as `run` says."""
        if not self.project.state_dir.exists():
            self.project.state_dir.mkdir(parents=True)

        def stop() -> None:
            self.cancel.set()
            stop_all()

        with interrupts_stop(stop), render_lock(
                self.project.state_dir, lambda text: self._emit("warning", message=text),
                self.cancel):
            try:
                self._sweep()
                return work()
            except BaseException as error:
                stop()
                if self._fatal is not None and not isinstance(error, KeyboardInterrupt):
                    raise self._fatal from error
                if self._interrupted and not isinstance(error, KeyboardInterrupt):
                    raise KeyboardInterrupt from error  # what a worker met, not its echo
                raise

    def _run(self) -> RenderResult:
        voice = preflight(self.storyboard, self.project, self.output, self.document)
        check_keyframes(self.project, self.storyboard, self.approved_only)
        board = self.storyboard
        fps = board.format.fps
        width, height = board.format.size
        shots = board.shots
        self._emit("plan", total=len(shots), message=f"{len(shots)} shots, {width}x{height}")
        self._emit("plan", "effects", total=sum(bool(s.effects) for s in shots))
        self._say_how_shots_are_made(board)

        # A shot's picture starts as soon as its speech says how long it is, while later shots
        # are spoken (speech keeps one core busy); unless a platform's length limit must be
        # checked before any picture is made.
        early = self.platform is None
        # The mix needs only speech lengths (and the clips' own sound, when they bring it): it
        # runs beside the pictures and the segments, and only the mux waits for it.
        ambience = self._wants_ambience()
        with ThreadPoolExecutor(self.workers) as pictures, ThreadPoolExecutor(1) as beside:
            started: list[Future] = []

            def picture(state: _ShotState) -> None:
                started.append(pictures.submit(self._each, "visual", [state],
                                               lambda s: self._visual(s, width, height, fps)))

            states, placements, total_frames = self._place(voice, picture if early else None)
            total = total_frames / fps
            if self.platform is not None:
                check_length(self.platform, total)
                for state in states:
                    picture(state)

            def mix() -> Entry:
                return self._audio(states, placements, total, fps)

            mixed = None if ambience else beside.submit(mix)
            self._each("align", states, lambda s: self._align(s, board.language))
            for future in started:
                future.result()
            mixed = mixed or beside.submit(mix)
            look = SubtitleLook(width, height, karaoke=board.subtitles.style == "karaoke")
            for state in states:
                self._subtitles(state, look)
            if self.failures:
                raise RenderError(self.failures)
            segments = self._segments(states, placements, fps)
            if self.failures:
                raise RenderError(self.failures)
            audio = mixed.result()
        self._emit("start", "mux")
        video.join(segments, audio.path, self.output, total_frames, fps)
        capped = self.platform and cap_bitrate(self.output, self.platform)
        if capped:
            self._emit("warning", message=capped)
        subtitle_files = write_text_subtitles(
            [(p.start_frame / fps + LEAD_SECONDS, s.cues)
             for s, p in zip(states, placements, strict=True)], self.output, look)
        write_credits(self.output, [(s.shot.id, s.clip.meta.get("credit", ""))
                                    for s in states if s.clip])
        self._emit("done", "mux", message=str(self.output))
        if os.access(self.project.state_dir, os.W_OK):  # a read-only project renders with -o
            self._write_manifest(states, placements, fps, subtitle_files)
        self._emit("finished", message=str(self.output))
        return RenderResult(self.output, subtitle_files, total,
                            {s.shot.id: p for s, p in zip(states, placements, strict=True)},
                            dict(self.redone))

    def _shot_preview(self, shot_id: str) -> ShotPreview:
        voice = preflight(self.storyboard, self.project, self.output, self.document)
        board = self.storyboard
        fps = board.format.fps
        width, height = board.format.size
        states, placements, _ = self._place(voice)
        ids = [state.shot.id for state in states]
        if shot_id not in ids:
            raise UserError(f"there is no shot {shot_id!r}; the shots are: {', '.join(ids)}")
        index = ids.index(shot_id)
        spot = placements[index]
        near = states[index - 1 if spot.head else index:index + 2 if spot.tail else index + 1]
        self._each("align", near, lambda s: self._align(s, board.language))
        self._each("visual", near, lambda s: self._visual(s, width, height, fps), parallel=True)
        look = SubtitleLook(width, height, karaoke=board.subtitles.style == "karaoke")
        for state in near:
            self._subtitles(state, look)
        if self.failures:
            raise RenderError(self.failures)
        jobs = self._shot_segments(states, placements, index - 1, fps)[-1:] if spot.head else []
        jobs += self._shot_segments(states, placements, index, fps)
        segments = self._encode(jobs)
        if self.failures:
            raise RenderError(self.failures)
        speech = states[index].speech
        return ShotPreview(segments, speech.path if speech else None, LEAD_SECONDS,
                           spot.frames, fps)

    def _place(self, voice: ResolvedVoice, then: Callable[[_ShotState], None] | None = None
               ) -> tuple[list[_ShotState], list[Placement], int]:
        """Every shot's speech (made if missing), its length in frames and its place in the
        programme, which every later stage starts from; and the programme's frame count.
        `then(state)` is called as soon as a shot's length is known."""
        board = self.storyboard
        fps = board.format.fps
        states = [_ShotState(shot, shot_seed(board, shot)) for shot in board.shots]

        def measure(state: _ShotState) -> None:
            speech = state.speech.meta["duration"] if state.speech else 0.0
            state.frames, warning = shot_frames(speech, state.shot.duration, fps)
            if warning:
                self._emit("warning", shot=state.shot.id, message=warning)

        def speak(state: _ShotState) -> None:
            self._voice(state, voice)
            measure(state)
            if then is not None:
                then(state)

        self._each("voice", states, speak, parallel=self.farm is not None)
        for state in states:
            if not state.frames:  # its speech failed: the render stops, but later, as a whole
                measure(state)
        placements, total_frames = place([s.frames for s in states],
                                         [s.shot.transition for s in states], fps)
        return states, placements, total_frames

    def _voice(self, state: _ShotState, voice: ResolvedVoice) -> None:
        text, rate = state.shot.narration, self.storyboard.voice.rate
        if not spoken_text(text):  # nothing to say (emoji, tags only): a silent shot
            return
        key = content_key("voice", voice.identity, text, rate, voice.speaker, "timed",
                          self.storyboard.language if voice.language == "multilingual" else None)

        job = Job("voice", state.shot.id, key, ".wav", voice_work,
                  {"voice": voice, "text": text, "rate": rate,
                   "language": self.storyboard.language})
        state.speech = self._produce("voice", state.shot.id, key, ".wav", job)

    def _align(self, state: _ShotState, language: str) -> None:
        if state.speech is None:
            return
        if state.speech.meta.get("words"):  # the TTS engine reported its own timings
            state.words = [Word(**w) for w in state.speech.meta["words"]]
            self._emit("cached", "align", shot=state.shot.id)
            return
        key = content_key("align", state.speech.path.name, state.shot.narration, language)

        def make(tmp: Path) -> dict:
            words = align_narration(state.speech.path, state.shot.narration, language,
                                    state.speech.meta["duration"])
            tmp.write_text(json.dumps([w.to_dict() for w in words], ensure_ascii=False),
                           encoding="utf-8")
            return {"words": len(words)}

        entry = self._produce("align", state.shot.id, key, ".json", make)
        state.words = [Word(**w) for w in json.loads(entry.path.read_text(encoding="utf-8"))]

    def _visual(self, state: _ShotState, width: int, height: int, fps: int) -> None:
        shot, board = state.shot, self.storyboard
        footage = shot_footage(self.project, shot)
        if footage is not None and not shot.effects:
            self._fit_footage(state, footage, width, height, fps)
            return
        image = asset_id = None
        if shot.asset:
            path = self.project.asset(shot.asset, shot.id)
            asset_id = file_fingerprint(path)
            image = None if footage else path
        spec = board.generator.merged(shot.generator)
        generator = get_generator(picture_generator(board, shot, footage))
        # A keyframe or reference image starts the picture only for generators that take one
        # (stock footage searches by words instead).
        keyframe = shot_keyframe(self.project, board, shot)  # None: no `keyframes:` or an asset
        if keyframe is not None and generator.image_to_video:
            asset_id, image = file_fingerprint(keyframe), keyframe
        if image is None and footage is None and spec.reference_image \
                and generator.image_to_video:
            path = self.project.asset(spec.reference_image, shot.id)
            asset_id, image = file_fingerprint(path), path
        composed = compose_prompt(board, shot, shot.visual or spoken_text(shot.narration))
        # The animatic keeps the style apart (request.style): it takes its mood from the
        # shot's own words first.
        prompt = composed.subject if generator.name in {"animatic", "stock"} else composed.positive
        request = ClipRequest(prompt=prompt, width=width, height=height, fps=fps,
                              num_frames=state.frames, seed=state.seed, style=board.style,
                              title=shot.title or "", camera=shot.camera, image=image,
                              video=footage, model=model_path(self.project, spec.model),
                              negative_prompt=composed.negative, steps=spec.steps,
                              guidance=spec.guidance, dtype=spec.dtype, offload=spec.offload,
                              compile=spec.compile, generate_height=spec.height,
                              sound=shot.sound if generator.makes_sound else "",
                              search=shot.search or "", provider=spec.provider, shot=shot.id,
                              state=self.project.state_dir, preset=spec.preset,
                              cache=spec.cache, attention=spec.attention,
                              fast_decode=spec.fast_decode)
        # Where the picture comes from and how fast it is made are not what it shows.
        key = content_key("visual", generator.name, request.__dict__ | {
            "image": None, "video": None, "state": None, "compile": None, "attention": None},
            asset_id)
        note = generator.note(request) if hasattr(generator, "note") else ""
        if note:  # said on every render, cached or not: the picture misses the words
            self._emit("warning", shot=shot.id, message=note)

        inputs = {name: path for name, path in (("image", image), ("video", footage)) if path}
        diffusion = generator.name not in LOCAL_PICTURES
        job = Job("visual", shot.id, key, ".mp4", picture_work,
                  {"generator": generator.name,
                   "request": dataclasses.replace(request, image=None, video=None)},
                  inputs, gpu=1.0 if diffusion else 0.0,
                  pool=(generator.name, request.model) if diffusion else None,
                  # stock footage remembers its choices in the project: searched from here
                  here=generator.name == "stock")
        state.use_clip(self._produce("visual", shot.id, key, ".mp4", job))
        if not state.clip.cached:
            for line in state.clip.meta.get("notes", []):  # load and compile times, fallbacks
                self._emit("warning", shot=shot.id, message=line)
        if shot.effects:  # on the picture, before subtitles; the shot keeps its frames
            job = effects_job(self.project.root, shot, state.clip, state.frames, fps)
            state.use_clip(self._produce("effects", shot.id, job.key, ".mp4", job))
            if state.clip.meta.get("effects_note"):  # said on every render, cached or not
                self._emit("warning", shot=shot.id, message=state.clip.meta["effects_note"])

    def _fit_footage(self, state: _ShotState, footage: Path, width: int, height: int,
                     fps: int) -> None:
        """The user's footage is read by the shot's segments themselves, fitted as they encode
        (decoded once, encoded once: a fitted copy cost as much again as the segments). This
        stage only measures it, and fits its sound to the shot for the mix."""
        shot = state.shot
        key = content_key("visual", "footage", FIT_VERSION, width, height, fps, state.frames,
                          file_fingerprint(footage))

        def measure(tmp: Path) -> dict:
            fit = FootageFit.measure(footage, width, height, fps, state.frames)
            tmp.write_text(json.dumps(fit.to_dict()), encoding="utf-8")
            return {"frames": state.frames, "sound": fit.has_audio}

        state.clip = self._produce("visual", shot.id, key, ".json", measure)
        fit = FootageFit(**json.loads(state.clip.path.read_text(encoding="utf-8")))
        state.picture = video.Picture(footage, fit)
        if fit.has_audio and self.storyboard.ambience.source == "shots":
            def fit_sound(tmp: Path) -> dict:
                run_ffmpeg([*fit.input_args(footage), *fit.sound_args(), str(tmp)])
                return {}

            state.sound = self._produce("visual", shot.id, content_key(key, "sound"), ".m4a",
                                        fit_sound).path

    def _subtitles(self, state: _ShotState, look: SubtitleLook) -> None:
        """The shot's cues (for every subtitle file) and, when burning, its ASS file."""
        board = self.storyboard
        state.cues = build_cues(state.words, board.subtitles.max_chars, look,
                                spoken_text(state.shot.narration))
        if not board.subtitles.burn or not state.words:
            return
        key = content_key("ass", [w.to_dict() for w in state.words],
                          [cue.text for cue in state.cues], look.__dict__,
                          board.subtitles.max_chars)
        path = self.cache.root / "subtitles" / f"{key}.ass"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_ass(state.cues, look, path, offset=LEAD_SECONDS)
        state.subtitles, state.subtitles_key = path, key

    def _segments(self, states: list[_ShotState], placements: list[Placement],
                  fps: int) -> list[Path]:
        """Body segments and transition segments in programme order."""
        jobs = [job for index in range(len(states))
                for job in self._shot_segments(states, placements, index, fps)]
        self._emit("plan", "segment", total=len(jobs))
        return self._encode(jobs)

    def _encode(self, jobs: list[Job]) -> list[Path]:
        """The segments of `jobs`, made if missing (`workers` at a time), in the same order;
        a failure is recorded and its segment left out."""
        results: list[Path | None] = [None] * len(jobs)

        def run(index: int) -> None:
            job = jobs[index]
            try:
                results[index] = self._produce("segment", job.shot, job.key, ".mp4", job).path
            except (OSError, RuntimeError) as error:
                self._fail("segment", job.shot, error)

        # Longest first, so a short transition never holds up the last long body.
        order = sorted(range(len(jobs)), key=lambda i: -jobs[i].params["count"])
        with ThreadPoolExecutor(self.workers) as pool:
            list(pool.map(run, order))
        return [r for r in results if r is not None]

    def _shot_segments(self, states: list[_ShotState], placements: list[Placement], index: int,
                       fps: int) -> list[Job]:
        """The segments shot `index` begins: its body (one or two parts) and the transition
        into the next shot. Their keys hold only shot-relative frames, so a shot that moves in
        time reuses them."""
        state, spot = states[index], placements[index]
        encoding = self._segment_encoding(fps)
        jobs = []
        for first, count in body_parts(spot.head, spot.frames - spot.head - spot.tail, fps):
            key = content_key("body", state.clip.path.name, state.subtitles_key, first,
                              count, encoding)
            jobs.append(self._body_job(state, key, first, count, fps, encoding))
        if spot.tail:
            after = states[index + 1]
            key = content_key("transition", state.clip.path.name, state.subtitles_key,
                              after.clip.path.name, after.subtitles_key, state.shot.transition,
                              spot.frames - spot.tail, spot.tail, encoding)
            jobs.append(self._transition_job(state, after, key, spot, fps, encoding))
        return jobs

    def _segment_encoding(self, fps: int) -> list[str]:
        """The encoder settings of every segment of this programme (a stream-copy join needs
        one): for photographic pictures when any shot has one (see `video.segment_encoding`)."""
        return video.segment_encoding(fps, photographic=self._photographic)

    @functools.cached_property
    def _photographic(self) -> bool:
        """Whether any shot's picture is photographic (asked for every segment: found once)."""
        return not all(self._drawn(shot) for shot in self.storyboard.shots)

    def _drawn(self, shot: Shot) -> bool:
        """Whether the shot's picture is the animatic's illustration: no photo, footage,
        keyframe or reference image, and no generated video."""
        board = self.storyboard
        if shot.asset or get_generator(picture_generator(board, shot, None)).name != "animatic":
            return False
        return (shot_keyframe(self.project, board, shot) is None
                and not board.generator.merged(shot.generator).reference_image)

    @staticmethod
    def _body_job(state: _ShotState, key: str, first: int, count: int, fps: int,
                  encoding: list[str]) -> Job:
        inputs = {"clip": state.picture.path} | ({"subtitles": state.subtitles}
                                                 if state.subtitles else {})
        return Job("segment", state.shot.id, key, ".mp4", body_work,
                   {"first": first, "count": count, "fps": fps, "encoding": encoding,
                    "fit": state.picture.fit}, inputs)

    @staticmethod
    def _transition_job(state: _ShotState, after: _ShotState, key: str, spot: Placement,
                        fps: int, encoding: list[str]) -> Job:
        inputs = {"left": state.picture.path, "right": after.picture.path}
        inputs |= {"left_subtitles": state.subtitles} if state.subtitles else {}
        inputs |= {"right_subtitles": after.subtitles} if after.subtitles else {}
        return Job("segment", state.shot.id, key, ".mp4", transition_work,
                   {"left_first": spot.frames - spot.tail, "count": spot.tail,
                    "kind": state.shot.transition, "fps": fps, "encoding": encoding,
                    "left_fit": state.picture.fit, "right_fit": after.picture.fit}, inputs)

    def _wants_ambience(self) -> bool:
        """Whether any shot may bring its own sound: footage, or a generator that makes it."""
        board = self.storyboard
        if board.ambience.source != "shots":
            return False
        return any(shot_footage(self.project, s) is not None
                   or get_generator(board.generator.merged(s.generator).name).makes_sound
                   for s in board.shots)

    def _audio(self, states: list[_ShotState], placements: list[Placement], total: float,
               fps: int) -> Entry:
        board = self.storyboard
        placed = [Placed(s.speech.path, p.start_frame / fps + LEAD_SECONDS)
                  for s, p in zip(states, placements, strict=True) if s.speech]
        layers: list[Layer] = []
        music_path = self._music(total)
        if music_path is not None:
            layers.append(music_layer(music_path, total, board.music.gain_db, board.music.duck))
        if board.ambience.source == "shots":
            sounds = [Placed(s.sound, p.start_frame / fps, p.frames / fps)
                      for s, p in zip(states, placements, strict=True) if s.sound is not None]
            if sounds:
                layers.append(Layer(sounds, board.ambience.gain_db, board.ambience.duck))
        key = content_key("mix", MIX_VERSION, [(p.path.name, round(p.start, 4)) for p in placed],
                          round(total, 4),
                          [(layer.gain_db, layer.duck, layer.loop,
                            [(c.path.name, round(c.start, 4), c.duration) for c in layer.clips])
                           for layer in layers],
                          file_fingerprint(music_path) if music_path else None)

        def make(tmp: Path) -> dict:
            stems = [dataclasses.replace(layer, clips=[self._stem(c, "stereo") for c in layer.clips])
                     for layer in layers]
            mix_programme([self._stem(p, "mono") for p in placed], total, tmp, stems)
            return {"seconds": total}

        return self._produce("audio", "all", key, ".m4a", make)

    def _stem(self, sound: Placed, layout: Layout) -> Placed:
        """`sound` decoded for the mix once and cached: after an edit the mix decodes only the
        sound that changed (decoding and resampling them all took a second of every mix)."""
        key = content_key("stem", file_fingerprint(sound.path), layout)

        def make(tmp: Path) -> dict:
            save_stem(sound.path, layout, tmp)
            return {}

        stem = self.cache.produce("stem", key, ".npy", make)
        return dataclasses.replace(sound, path=stem.path)

    def _music(self, total: float) -> Path | None:
        """The music file: the user's, a generated ambient bed (cached), or none."""
        board = self.storyboard
        if board.music.source == "none":
            return None
        if board.music.source != "auto":
            return (self.project.root / board.music.source).resolve()
        seed = zlib.crc32(board.title.encode("utf-8"))
        # Made in 30 s steps so that small edits reuse the bed; the mix trims and fades it.
        seconds = 30.0 * (int(total // 30) + 1)

        def make_bed(tmp: Path) -> dict:
            music_tool.ambient_bed(seconds, tmp, seed)
            return {"seconds": seconds}

        return self.cache.produce("music", content_key("bed", music_tool.BED_VERSION, seconds, seed), ".wav",
                                  make_bed).path

    def _write_manifest(self, states: list[_ShotState], placements: list[Placement],
                        fps: int, subtitles: list[Path]) -> None:
        """What was rendered, for the TUI and scripts (not authored: lives in .storyreel/)."""
        last = placements[-1]
        RenderManifest(
            output=self.output, fps=fps, subtitles=subtitles,
            music=self._music((last.start_frame + last.frames) / fps),  # made by the mix
            shots=[RenderedShot(id=s.shot.id, start=p.start_frame / fps, frames=p.frames,
                                clip=s.picture.path if s.picture else None,
                                fit=s.picture.fit if s.picture else None,
                                narration_start=p.start_frame / fps + LEAD_SECONDS,
                                speech_seconds=s.speech.meta["duration"] if s.speech else 0.0,
                                speech=s.speech.path if s.speech else None)
                   for s, p in zip(states, placements, strict=True)],
        ).save(self.project.last_render_path)
        record_takes(self.project, {s.shot.id: (s.seed, s.picture.path)
                                    for s in states if s.picture})


def render(storyboard_path: Path | str, output: Path | str | None = None,
           events: EventSink = ignore, workers: int = 2,
           cancel: threading.Event | None = None, *, approved_only: bool = False,
           farm: Farm | None = None, platform: Platform | None = None) -> RenderResult:
    """Render `storyboard_path` to `output` (default: PROJECT/out/final.mp4); setting
    `cancel` stops it at the next step, leaving a project that resumes. `approved_only`
    refuses (before any work) when a shot's keyframe is not approved; with `farm`, per-shot
    work runs on its Ray cluster (studio/farm.py) and comes back byte-identical; `platform`
    renders for a delivery preset (studio/platforms.py) to PROJECT/out/final-NAME.mp4."""
    return Renderer(storyboard_path, output, events, workers, cancel,
                    approved_only=approved_only, farm=farm, platform=platform).run()
