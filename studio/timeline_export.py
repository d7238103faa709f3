"""Export the last render as an editable timeline: `storyreel export DIR -o edit.otio` (also the
tool `otio`). OpenTimelineIO JSON, Final Cut Pro 7 XML (which Premiere and Resolve read) or
Kdenlive, through OTIO's adapters.

Each kind of material is on its own track, at the place and length the render gave it: the
shots' pictures (video), the narration and the music (audio), and the subtitle cues (a video
track of text items, for editors to turn into titles). A shot's transition into the next is an
OTIO dissolve over the frames the two shots share in the render.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any, Literal

import pysubs2
from pydantic import Field

from storyreel.storyboards.atomic import atomic_path
from storyreel.storyboards.errors import UserError
from storyreel.tools.capabilities import Options, capability
from storyreel.tools.capabilities.clip import need
from storyreel.tools.ffmpeg import ProgressCallback, run_ffmpeg
from storyreel.tools.video import x264

from .cache import content_key, file_fingerprint
from .manifest import RenderedShot, RenderManifest
from .project import STORYBOARD, Project

TimelineFormat = Literal["otio", "fcpxml", "kdenlive"]
ADAPTERS: dict[str, str] = {"otio": "otio_json", "fcpxml": "fcp_xml", "kdenlive": "kdenlive"}
SUFFIXES: dict[str, TimelineFormat] = {".otio": "otio", ".xml": "fcpxml", ".fcpxml": "fcpxml",
                                       ".kdenlive": "kdenlive"}


class ExportError(UserError):
    """The timeline cannot be written: not rendered yet, an unknown format, no adapter."""


def export_timeline(project_dir: Path, output: Path, format: str | None = None) -> Path:
    """Write the last render of the project in `project_dir` (its folder or storyboard) as a
    timeline to `output`, in `format` (default: from the output's suffix)."""
    project = Project.for_storyboard(project_dir)
    manifest = RenderManifest.load(project.last_render_path)
    if manifest is None:
        raise ExportError(f"{project.root} has not been rendered yet; run `storyreel render "
                          f"{project.root}` first")
    chosen = format or SUFFIXES.get(Path(output).suffix.lower())
    if chosen not in ADAPTERS:
        said = f"no format {format!r}" if format else \
            f"cannot tell the format from {Path(output).name}"
        raise ExportError(f"{said}; end the file in {', '.join(SUFFIXES)} or give --format "
                          "otio|fcpxml|kdenlive")
    otio = need("opentimelineio", "otio")
    adapter = ADAPTERS[chosen]
    if adapter not in otio.adapters.available_adapter_names():
        raise ExportError(f"OpenTimelineIO has no {chosen} adapter here: pip install "
                          "'storyreel[toolkit]'")
    timeline = build_timeline(manifest, project.root.name,
                              {shot.id: _fitted_copy(project, shot)
                               for shot in manifest.shots if _retimed(shot)})
    # the Kdenlive adapter prints notices (deprecation, transitions left out) on stdout,
    # where a script reading the command's output does not expect them
    with atomic_path(Path(output)) as tmp, contextlib.redirect_stdout(io.StringIO()):
        otio.adapters.write_to_file(timeline, str(tmp), adapter_name=adapter)
    return Path(output)


def _retimed(shot: RenderedShot) -> bool:
    """Whether the shot plays its footage slowed or looped (an editor would not)."""
    return shot.fit is not None and (shot.fit.stretch != 1 or shot.fit.loops)


def _fitted_copy(project: Project, shot: RenderedShot) -> Path:
    """The shot's footage as the render plays it (slowed or looped to the shot, scaled and
    cropped, its sound too), made once into .storyreel/export/: the render itself reads the
    footage directly and keeps no such copy."""
    fit, footage = shot.fit, shot.clip
    key = content_key("fitted", file_fingerprint(footage), fit.to_dict())
    path = project.state_dir / "export" / f"{key}.mp4"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            run_ffmpeg([*fit.copy_args(footage), *x264("fast", 16, fit.fps * 2), str(tmp)])
    return path


def build_timeline(manifest: RenderManifest, name: str,
                   clips: dict[str, Path] | None = None) -> Any:
    """The render as an OTIO Timeline (tracks: shots, narration, music, subtitles); `clips`
    replace the manifest's picture of the shots they name."""
    otio = need("opentimelineio", "otio")
    fps = manifest.fps

    def frames(count: float) -> Any:
        return otio.opentime.RationalTime(count, fps)

    def span(start: float, duration: float) -> Any:
        return otio.opentime.TimeRange(frames(start), frames(duration))

    def media(path: Path, length: float) -> Any:
        return otio.schema.ExternalReference(target_url=path.resolve().as_uri(),
                                             available_range=span(0, length))

    shots = otio.schema.Track(name="shots", kind=otio.schema.TrackKind.Video)
    shared = _shared_frames(manifest.shots, fps)
    for index, shot in enumerate(manifest.shots):
        tail = shared[index]
        clip = (clips or {}).get(shot.id, shot.clip)
        reference = media(clip, shot.frames) if clip else otio.schema.MissingReference()
        # the frames shared with the next shot play under the dissolve, past the clip's end
        shots.append(otio.schema.Clip(name=shot.id, media_reference=reference,
                                      source_range=span(0, shot.frames - tail)))
        if tail:
            shots.append(otio.schema.Transition(
                name=f"{shot.id} into {manifest.shots[index + 1].id}",
                transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                in_offset=frames(0), out_offset=frames(tail)))
    narration = otio.schema.Track(name="narration", kind=otio.schema.TrackKind.Audio)
    cursor = 0.0
    for shot in manifest.shots:
        if shot.speech is None:
            continue
        start, length = shot.narration_start * fps, shot.speech_seconds * fps
        if start > cursor:
            narration.append(otio.schema.Gap(source_range=span(0, start - cursor)))
        narration.append(otio.schema.Clip(name=f"{shot.id} narration",
                                          media_reference=media(shot.speech, length),
                                          source_range=span(0, length)))
        cursor = start + length
    programme = (manifest.shots[-1].start * fps + manifest.shots[-1].frames
                 if manifest.shots else 0)
    music = otio.schema.Track(name="music", kind=otio.schema.TrackKind.Audio)
    if manifest.music is not None:
        music.append(otio.schema.Clip(name="music", media_reference=media(manifest.music,
                                                                          programme),
                                      source_range=span(0, programme)))
    subtitles = otio.schema.Track(name="subtitles", kind=otio.schema.TrackKind.Video)
    cursor = 0.0
    for start, end, text in _cues(manifest):
        start, end = max(start * fps, cursor), end * fps
        if end <= start:
            continue
        if start > cursor:
            subtitles.append(otio.schema.Gap(source_range=span(0, start - cursor)))
        subtitles.append(otio.schema.Clip(
            name=text, media_reference=otio.schema.GeneratorReference(
                name="subtitle", generator_kind="Text", parameters={"text": text},
                available_range=span(0, end - start), metadata={"fcp_xml": text_generator(text)}),
            source_range=span(0, end - start), metadata={"storyreel": {"subtitle": text}}))
        cursor = end
    timeline = otio.schema.Timeline(name=name, global_start_time=frames(0))
    timeline.tracks.extend([shots, subtitles, narration, music])
    timeline.metadata["storyreel"] = {"video": str(manifest.output), "fps": fps}
    return timeline


def text_generator(text: str) -> dict:
    """Final Cut Pro 7's Text generator showing `text`, as OTIO's FCP XML adapter writes a
    generator reference's `fcp_xml` metadata (so the cue is a title in Premiere and FCP)."""
    return {"effecttype": "generator", "mediatype": "video", "effectcategory": "Text",
            "parameter": {"parameterid": "str", "name": "Text", "value": text}}


def _shared_frames(shots: list[RenderedShot], fps: int) -> list[int]:
    """Frames each shot shares with the next (its transition), from where the next starts."""
    return [max(0, round((shot.start - after.start) * fps) + shot.frames)
            for shot, after in zip(shots, shots[1:], strict=False)] + [0]


def _cues(manifest: RenderManifest) -> list[tuple[float, float, str]]:
    """The render's subtitle cues (start and end seconds, text), from its SRT file."""
    if manifest.srt is None or not manifest.srt.is_file():
        return []
    cues = pysubs2.load(str(manifest.srt), encoding="utf-8", format_="srt")
    return [(cue.start / 1000, cue.end / 1000, cue.plaintext.replace("\n", " "))
            for cue in cues if cue.plaintext.strip()]


class OtioOptions(Options):
    format: TimelineFormat | None = Field(
        None, description="otio (OpenTimelineIO), fcpxml (Final Cut Pro 7 XML: Premiere, "
        "Resolve) or kdenlive; default: from the output's suffix")


@capability("otio", "Export the last render as an editable timeline (OTIO, FCP XML, Kdenlive)",
            "delivery", OtioOptions, output_suffix=".otio", extra="toolkit")
def otio_tool(inputs: list[Path], output: Path, options: OtioOptions,
              progress: ProgressCallback | None = None) -> Path:
    """The input is the project's storyboard.yaml or a video the project rendered."""
    given = inputs[0].resolve()
    folder = next((parent for parent in given.parents if (parent / STORYBOARD).is_file()), None)
    if given.name != STORYBOARD and folder is None:
        raise ExportError(f"{inputs[0]} is not in a storyreel project; give its storyboard.yaml")
    return export_timeline(given if given.name == STORYBOARD else folder, output,
                           options.format or SUFFIXES.get(output.suffix.lower()))
