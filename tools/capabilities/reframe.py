"""reframe: crop a clip to another aspect (16:9 to 9:16, 1:1, 4:5) with the crop window
following the faces in it, or else whatever moves, along a smoothed path.

Faces are found with OpenCV's Haar cascade a few times a second; without faces, the centroid
of the difference between consecutive frames marks the moving subject. The per-frame centres
are filled in across gaps, smoothed with a Gaussian (calm, without lagging behind a subject
moving steadily), and handed to ffmpeg's crop through sendcmd, one position per frame.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from ..ffmpeg import ProgressCallback, filter_value
from .clip import Aspect, Clip, aspect_ratio, encode_clip, even, need, open_clip, read_frames
from .registry import CapabilityError, Options, capability

ANALYSIS_HEIGHT = 240  # frames are looked at this small: enough for faces a tenth of the frame
FACE_CHECKS_PER_SECOND = 5
FACE_SHARE = 0.2  # faces in this share of the checked frames make "auto" follow faces
MOTION_LEVEL = 25  # grey levels of change that count as movement
MOTION_SHARE = 0.0005  # at least this share of the pixels must move to place the subject


class ReframeOptions(Options):
    aspect: Aspect = "9:16"
    follow: Literal["auto", "faces", "motion"] = Field(
        "auto", description="what the crop follows: auto = faces when there are any, else motion")
    smoothing: float = Field(1.0, ge=0, le=10, description="seconds the crop path is smoothed "
                             "over: more is calmer, less follows quicker moves")
    height: int | None = Field(None, ge=64, le=4320, description="output height in pixels "
                               "(default: the crop's own size)")


@capability("reframe", "Crop to 9:16, 1:1 or 4:5, following faces or the moving subject",
            "picture", ReframeOptions, effect=True, extra="toolkit")
def reframe(inputs: list[Path], output: Path, options: ReframeOptions,
            progress: ProgressCallback | None = None) -> Path:
    clip = open_clip(inputs[0], "reframe")
    ratio = aspect_ratio(options.aspect)
    if ratio < clip.width / clip.height:
        crop_w, crop_h, axis = min(even(clip.height * ratio), clip.width), clip.height, 0
    else:
        crop_w, crop_h, axis = clip.width, min(even(clip.width / ratio), clip.height), 1
    centres = subject_path(clip, options.follow, progress)
    centre = smooth(centres[:, axis], options.smoothing * float(clip.fps))
    span, size = (clip.width, crop_w) if axis == 0 else (clip.height, crop_h)
    corner = np.clip(np.round(centre - size / 2), 0, span - size).astype(int)
    scale = f",scale=-2:{options.height}:flags=lanczos" if options.height else ""
    with tempfile.TemporaryDirectory(prefix="storyreel-reframe-") as scratch:
        commands = Path(scratch) / "crop.txt"
        commands.write_text(crop_commands(corner, "x" if axis == 0 else "y", clip), "ascii")
        start = f"x={corner[0]}:y=0" if axis == 0 else f"x=0:y={corner[0]}"
        graph = (f"setpts=PTS-STARTPTS,sendcmd=f={filter_value(str(commands))},"
                 f"crop@follow=w={crop_w}:h={crop_h}:{start}{scale},setsar=1,format=yuv420p")
        encode_clip(clip, output, graph,
                    None if progress is None else lambda done: progress(0.5 + done / 2))
    return output


def subject_path(clip: Clip, follow: str, progress: ProgressCallback | None = None) -> np.ndarray:
    """(frames, 2): where the subject's centre is in each frame, in the clip's pixels."""
    cv2 = need("cv2", "reframe")
    height = min(ANALYSIS_HEIGHT, clip.height)
    width = even(clip.width * height / clip.height)
    scale = np.array([clip.width / width, clip.height / height])
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    every = max(1, round(float(clip.fps) / FACE_CHECKS_PER_SECOND))
    faces: dict[int, np.ndarray] = {}
    motion: dict[int, np.ndarray] = {}
    checked, count, previous = 0, 0, None
    for index, gray in enumerate(read_frames(clip.path, width, height)):
        if follow != "motion" and index % every == 0:
            checked += 1
            found = face_centre(cascade, cv2.equalizeHist(gray))
            if found is not None:
                faces[index] = found
        if follow != "faces" and previous is not None:
            found = motion_centre(previous, gray)
            if found is not None:
                motion[index] = found
        previous, count = gray, index + 1
        if progress and index % 10 == 0:
            progress(min(0.5, index / clip.frames / 2))
    use_faces = follow == "faces" or (follow == "auto" and len(faces) >= FACE_SHARE * max(checked, 1))
    points = faces if use_faces and faces else motion
    if not points or (follow == "faces" and not faces):
        wanted = {"faces": "no face", "motion": "no motion",
                  "auto": "no face and no motion"}[follow]
        raise CapabilityError(f"reframe: found {wanted} to follow in {clip.path.name}")
    known = np.array(sorted(points))
    where = np.array([points[index] for index in known])
    frames = np.arange(count)
    path = np.stack([np.interp(frames, known, where[:, 0]), np.interp(frames, known, where[:, 1])],
                    axis=1)
    return path * scale


def face_centre(cascade: Any, gray: np.ndarray) -> np.ndarray | None:
    """Centre of the largest face in a grey frame."""
    side = max(20, gray.shape[0] // 12)
    found = cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(side, side))
    if len(found) == 0:
        return None
    x, y, w, h = max(found, key=lambda box: box[2] * box[3])
    return np.array([x + w / 2, y + h / 2])


def motion_centre(previous: np.ndarray, gray: np.ndarray) -> np.ndarray | None:
    """Centroid of what changed between two grey frames, weighted by how much it changed."""
    change = np.abs(gray.astype(np.int16) - previous.astype(np.int16))
    change[change < MOTION_LEVEL] = 0
    if np.count_nonzero(change) < MOTION_SHARE * change.size:
        return None
    weight = change.astype(np.float64)
    rows, cols = np.indices(change.shape)
    total = weight.sum()
    return np.array([(cols * weight).sum() / total, (rows * weight).sum() / total])


def smooth(values: np.ndarray, frames: float) -> np.ndarray:
    """Gaussian smoothing over about `frames` frames. The ends are extended by point
    reflection, so a subject moving steadily is followed without lag up to the last frame."""
    sigma = frames / 4
    if sigma < 0.5 or len(values) < 3:
        return values
    reach = min(int(3 * sigma), len(values) - 1)
    left = 2 * values[0] - values[reach:0:-1]
    right = 2 * values[-1] - values[-2:-reach - 2:-1]
    padded = np.concatenate([left, values, right])
    offsets = np.arange(-reach, reach + 1)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    return np.convolve(padded, kernel / kernel.sum(), mode="valid")


def crop_commands(corner: np.ndarray, axis: str, clip: Clip) -> str:
    """sendcmd lines moving the crop to each frame's position (only where it changes), half
    a frame before that frame's time so rounding never lets it land a frame late."""
    lines, last = [], None
    for index, value in enumerate(corner):
        if value != last:
            seconds = max(0.0, (index - 0.5) / float(clip.fps))
            lines.append(f"{seconds:.6f} crop@follow {axis} {value};")
            last = value
    return "\n".join(lines) + "\n"
