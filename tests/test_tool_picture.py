"""The picture capabilities on small clips made here with lavfi, checked the way a viewer would
notice: sizes, lengths, what is in the frame, colours, and one-line refusals."""

from __future__ import annotations

import json
import math
from pathlib import Path

import av
import numpy as np
import pytest
import textual_image
from PIL import Image

from storyreel.tools.capabilities import CapabilityError, run_capability
from storyreel.tools.capabilities.clip import need
from storyreel.tools.ffmpeg import run_ffmpeg
from storyreel.tools.probe import probe

W, H, FPS = 320, 180, 25
FACE_PHOTO = Path(textual_image.__file__).parent / "gracehopper.jpg"  # a real face, shipped


def make(path: Path, *args: str) -> Path:
    run_ffmpeg([*args, "-pix_fmt", "yuv420p", "-c:v", "libx264", "-crf", "10", str(path)])
    return path


def frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("picture")


@pytest.fixture(scope="module")
def clip(media: Path) -> Path:
    """2 s of testsrc2 with a tone."""
    return make(media / "clip.mp4", "-f", "lavfi", "-i", f"testsrc2=size={W}x{H}:rate={FPS}:duration=2",
                "-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "aac", "-shortest")


@pytest.fixture(scope="module")
def box(media: Path) -> Path:
    """A red 30x30 box crossing a flat background left to right in 3 s."""
    return make(media / "box.mp4", "-f", "lavfi", "-i", f"color=c=0x203040:size={W}x{H}:rate={FPS}:"
                "duration=3", "-f", "lavfi", "-i", f"color=c=red:size=30x30:rate={FPS}:duration=3",
                "-filter_complex", "[0:v][1:v]overlay=x='20+t*80':y=75:shortest=1")


def still(media: Path, name: str, color: str = "0x203040", seconds: float = 1) -> Path:
    return make(media / name, "-f", "lavfi", "-i",
                f"color=c={color}:size={W}x{H}:rate={FPS}:duration={seconds}")


def red_box(frame: np.ndarray) -> np.ndarray:
    return (frame[..., 0] > 150) & (frame[..., 1] < 90) & (frame[..., 2] < 90)


def test_reframe_keeps_the_moving_subject_inside_every_frame(box: Path, tmp_path: Path):
    out = run_capability("reframe", [box], tmp_path / "tall.mp4", {"aspect": "9:16"})
    info = probe(out)
    assert (info.width, info.height) == (102, 180)
    shown = frames(out)
    assert len(shown) == 3 * FPS
    for index, frame in enumerate(shown):
        mask = red_box(frame)
        columns = np.nonzero(mask.any(axis=0))[0]
        assert mask.sum() > 0.9 * 30 * 30, f"frame {index}: the box is cut off"
        assert columns.min() > 0 and columns.max() < info.width - 1, f"frame {index}"


def test_reframe_follows_a_face_that_does_not_move(media: Path, tmp_path: Path):
    cv2 = pytest.importorskip("cv2")
    face = make(media / "face.mp4", "-f", "lavfi", "-i", f"color=c=0x406040:size={W}x{H}:"
                f"rate={FPS}:duration=1", "-loop", "1", "-i", str(FACE_PHOTO), "-filter_complex",
                "[1:v]scale=-2:150[photo];[0:v][photo]overlay=x=150:y=15:shortest=1")
    out = run_capability("reframe", [face], tmp_path / "square.mp4", {"aspect": "1:1"})
    assert (probe(out).width, probe(out).height) == (180, 180)
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    # the face is right of centre and nothing moves: only the face can have placed the crop
    # (a centred crop would show it 55 pixels right of the middle)
    for frame in frames(out)[::8]:
        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        found = cascade.detectMultiScale(gray, 1.1, 5, minSize=(30, 30))
        assert len(found) == 1
        x, _, w, _ = found[0]
        assert abs(x + w / 2 - 90) < 15


def test_reframe_refuses_a_clip_with_nothing_to_follow(media: Path, tmp_path: Path):
    flat = still(media, "flat.mp4")
    before = flat.read_bytes()
    with pytest.raises(CapabilityError, match="no face and no motion"):
        run_capability("reframe", [flat], tmp_path / "out.mp4", {})
    assert not (tmp_path / "out.mp4").exists()
    assert flat.read_bytes() == before


def test_a_missing_extra_names_the_pip_command():
    with pytest.raises(CapabilityError, match=r"pip install 'storyreel\[toolkit\]'"):
        need("storyreel_no_such_module", "reframe")


def test_blur_fill_letterboxes_over_a_blurred_copy(clip: Path, tmp_path: Path):
    out = run_capability("blur-fill", [clip], tmp_path / "tall.mp4", {"aspect": "9:16",
                                                                      "height": 320})
    info = probe(out)
    assert (info.width, info.height) == (180, 320)
    assert info.has_audio and info.frames == 50
    frame = frames(out)[10].astype(np.float64)
    source = frames(clip)[10]
    # the clip itself, whole, across the middle (180 wide: 320x180 scaled by 0.5625 is 101 high)
    middle = frame[110:210]
    fitted = np.asarray(Image.fromarray(source).resize((180, 101), Image.Resampling.LANCZOS))
    assert diff(middle, fitted[:100]) < 25
    # above it a blurred picture, not black bars: filled, and far smoother than the clip
    top = frame[:100]
    assert top.mean() > 20
    assert np.abs(np.diff(top, axis=1)).mean() < 0.3 * np.abs(np.diff(middle, axis=1)).mean()


def test_scenes_finds_the_cuts_between_three_sources(media: Path, tmp_path: Path):
    three = make(media / "three.mp4", "-f", "lavfi", "-i", f"testsrc2=size={W}x{H}:rate={FPS}:"
                 "duration=1", "-f", "lavfi", "-i", f"smptebars=size={W}x{H}:rate={FPS}:duration=1",
                 "-f", "lavfi", "-i", f"mandelbrot=size={W}x{H}:rate={FPS}", "-filter_complex",
                 "[2:v]trim=duration=1[m];[0:v][1:v][m]concat=n=3:v=1")
    found = json.loads(run_capability("scenes", [three], tmp_path / "cuts.json", {}).read_text())
    cuts = [cut["frame"] for cut in found["cuts"]]
    assert len(cuts) == 2
    assert abs(cuts[0] - 25) <= 1 and abs(cuts[1] - 50) <= 1
    assert [scene["start_frame"] for scene in found["scenes"]] == [0, *cuts]
    table = run_capability("scenes", [three], tmp_path / "cuts.csv", {}).read_text().splitlines()
    assert table[0] == "scene,start_frame,end_frame,start,end" and len(table) == 4


def shifts(path: Path) -> np.ndarray:
    """How far the picture moves between consecutive frames (phase correlation), pixels."""
    grays = [frame.mean(axis=2) for frame in frames(path)]
    moves = []
    for before, after in zip(grays, grays[1:], strict=False):
        spectrum = np.fft.fft2(before) * np.conj(np.fft.fft2(after))
        peak = np.abs(np.fft.ifft2(spectrum / (np.abs(spectrum) + 1e-9)))
        dy, dx = np.unravel_index(np.argmax(peak), peak.shape)
        dy, dx = (dy + H // 2) % H - H // 2, (dx + W // 2) % W - W // 2
        moves.append(math.hypot(dx, dy))
    return np.array(moves)


def test_stabilize_takes_out_the_shake(media: Path, tmp_path: Path):
    # a still, non-repeating texture, seen through a window that jumps every frame
    texture = np.random.default_rng(7).integers(0, 256, (33, 50, 3), dtype=np.uint8)
    picture = media / "texture.png"
    Image.fromarray(texture).resize((400, 260), Image.Resampling.BICUBIC).save(picture)
    shaky = make(media / "shaky.mp4", "-loop", "1", "-i", str(picture), "-vf",
                 f"crop={W}:{H}:x='40+14*sin(n*2.1)':y='40+10*cos(n*1.7)'", "-r", str(FPS),
                 "-frames:v", "40")
    out = run_capability("stabilize", [shaky], tmp_path / "steady.mp4", {"smoothing": 20})
    assert probe(out).frames == 40
    assert np.median(shifts(out)) < 0.2 * np.median(shifts(shaky))


def test_slowmo_doubles_the_frames_and_the_length(clip: Path, tmp_path: Path):
    out = run_capability("slowmo", [clip], tmp_path / "slow.mp4", {"factor": 2, "mode": "blend"})
    info = probe(out)
    assert info.frames == 100 and info.fps == FPS
    assert info.video_duration == pytest.approx(4.0, abs=0.05)
    assert info.audio_duration == pytest.approx(4.0, abs=0.1)


def test_speed_halves_the_length_and_a_ramp_follows_its_curve(clip: Path, tmp_path: Path):
    fast = probe(run_capability("speed", [clip], tmp_path / "fast.mp4", {"factor": 2}))
    assert fast.video_duration == pytest.approx(1.0, abs=1 / FPS)
    assert fast.audio_duration == pytest.approx(1.0, abs=0.06)
    ramp = probe(run_capability("speed", [clip], tmp_path / "ramp.mp4", {"factor": 1, "to": 3}))
    # 2 s played at a speed going steadily from 1 to 3 last 2 / (3 - 1) * ln 3 seconds
    assert ramp.video_duration == pytest.approx(math.log(3), abs=2 / FPS)
    assert ramp.audio_duration == pytest.approx(math.log(3), abs=0.06)


def closest(frame: np.ndarray, candidates: list[np.ndarray]) -> int:
    """Which of `candidates` `frame` is (encoding changes every pixel a little)."""
    return int(np.argmin([diff(frame, other) for other in candidates]))


def test_reverse_starts_on_the_last_frame(clip: Path, tmp_path: Path):
    out = run_capability("reverse", [clip], tmp_path / "back.mp4", {"piece": 0.7})  # 3 pieces
    forward, backward = frames(clip), frames(out)
    assert len(backward) == len(forward) == 50
    for index in (0, 1, 16, 17, 18, 48, 49):  # the ends, and either side of joins of pieces
        assert closest(backward[index], forward) == 49 - index
    assert probe(out).has_audio


def test_freeze_holds_the_frame_then_plays_on(clip: Path, tmp_path: Path):
    out = run_capability("freeze", [clip], tmp_path / "held.mp4", {"at": 1.0, "hold": 0.8})
    info = probe(out)
    assert info.frames == 70 and info.audio_duration == pytest.approx(2.8, abs=0.06)
    source, held = frames(clip), frames(out)
    shown = [closest(frame, source) for frame in held]
    assert shown == [*range(25), *[25] * 21, *range(26, 50)]


def test_crop_cuts_turns_and_mirrors(clip: Path, tmp_path: Path):
    source = frames(clip)[5]
    cut = frames(run_capability("crop", [clip], tmp_path / "cut.mp4",
                                {"x": 40, "y": 20, "width": 100, "height": 60}))[5]
    assert cut.shape == (60, 100, 3) and diff(cut, source[20:80, 40:140]) < 6
    turned = frames(run_capability("crop", [clip], tmp_path / "turned.mp4",
                                   {"rotate": 90, "flip": "horizontal"}))[5]
    assert turned.shape == (W, H, 3)
    # a clockwise quarter turn then a mirror is the transpose
    assert diff(turned, source.transpose(1, 0, 2)) < 6
    with pytest.raises(CapabilityError, match="does not fit"):
        run_capability("crop", [clip], tmp_path / "no.mp4", {"x": 300, "width": 100})


def write_lut(path: Path, transform) -> Path:
    steps = np.linspace(0, 1, 9)
    lines = ["TITLE \"test\"", "LUT_3D_SIZE 9"]
    lines += [" ".join(f"{value:.6f}" for value in transform(r, g, b))
              for b in steps for g in steps for r in steps]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_grade_with_an_identity_lut_keeps_the_picture_and_a_look_changes_it(clip: Path,
                                                                            tmp_path: Path):
    same = write_lut(tmp_path / "identity.cube", lambda r, g, b: (r, g, b))
    negative = write_lut(tmp_path / "negative.cube", lambda r, g, b: (1 - r, 1 - g, 1 - b))
    source = frames(clip)[12]
    kept = frames(run_capability("grade", [clip], tmp_path / "kept.mp4", {"lut": same}))[12]
    assert diff(kept, source) < 3
    inverted = frames(run_capability("grade", [clip], tmp_path / "neg.mp4", {"lut": negative}))[12]
    assert diff(inverted, 255 - source) < 6
    half = frames(run_capability("grade", [clip], tmp_path / "half.mp4",
                                 {"lut": negative, "intensity": 0.5}))[12]
    assert np.abs(half.astype(float) - 128).mean() < 10  # halfway to the negative is grey


def test_grade_refuses_a_lut_that_does_not_parse(clip: Path, tmp_path: Path):
    broken = tmp_path / "broken.cube"
    broken.write_text("LUT_3D_SIZE 4\n0 0 0\n1 1 1\n")
    with pytest.raises(CapabilityError, match="needs 64 colour lines, it has 2"):
        run_capability("grade", [clip], tmp_path / "out.mp4", {"lut": broken})
    assert not (tmp_path / "out.mp4").exists()


@pytest.mark.parametrize("method", ["lab", "histogram"])
def test_match_color_moves_a_clip_to_the_reference_colours(clip: Path, media: Path,
                                                           tmp_path: Path, method: str):
    warm = make(media / f"warm-{method}.mp4", "-i", str(clip), "-vf",
                "colorchannelmixer=rr=1:gg=0.7:bb=0.4", "-an")
    target = frames(clip)[10].reshape(-1, 3).mean(axis=0)
    before = frames(warm)[10].reshape(-1, 3).mean(axis=0)
    out = run_capability("match-color", [warm], tmp_path / "matched.mp4",
                         {"reference": clip, "method": method})
    after = frames(out)[10].reshape(-1, 3).mean(axis=0)
    assert np.abs(after - target).sum() < 0.35 * np.abs(before - target).sum()


def test_denoise_brings_a_noisy_clip_closer_to_the_clean_one(media: Path, tmp_path: Path):
    clean = make(media / "clean.mp4", "-f", "lavfi", "-i",
                 f"color=c=0x707070:size={W}x{H}:rate={FPS}:duration=1", "-vf",
                 "drawbox=x=60:y=40:w=120:h=80:color=0xd0a030:t=fill")
    noisy = make(media / "noisy.mp4", "-i", str(clean), "-vf", "noise=alls=25:allf=t+u")
    out = run_capability("denoise", [noisy], tmp_path / "denoised.mp4", {"strength": 2})
    truth, rough, smooth = frames(clean)[12], frames(noisy)[12], frames(out)[12]
    assert diff(smooth, truth) < 0.7 * diff(rough, truth)


def detail(frame: np.ndarray) -> float:
    gray = frame.mean(axis=2)
    return float(np.abs(np.diff(gray, axis=0)).mean() + np.abs(np.diff(gray, axis=1)).mean())


def test_sharpen_lifts_the_edges(clip: Path, tmp_path: Path):
    soft = make(tmp_path / "soft.mp4", "-i", str(clip), "-vf", "gblur=sigma=1.5", "-an")
    out = run_capability("sharpen", [soft], tmp_path / "sharp.mp4", {"amount": 1.5})
    assert detail(frames(out)[5]) > 1.2 * detail(frames(soft)[5])


def test_upscale_doubles_each_side(clip: Path, tmp_path: Path):
    out = run_capability("upscale", [clip], tmp_path / "big.mp4", {})
    info = probe(out)
    assert (info.width, info.height, info.frames) == (2 * W, 2 * H, 50) and info.has_audio
    small = np.asarray(Image.fromarray(frames(out)[7]).resize((W, H), Image.Resampling.BOX))
    assert diff(small, frames(clip)[7]) < 6


def test_chroma_key_puts_the_background_where_the_green_was(media: Path, tmp_path: Path):
    green = make(media / "green.mp4", "-f", "lavfi", "-i", f"color=c=0x00ff00:size={W}x{H}:"
                 f"rate={FPS}:duration=1", "-vf", "drawbox=x=120:y=60:w=80:h=60:color=red:t=fill")
    backdrop = tmp_path / "backdrop.png"
    Image.new("RGB", (640, 360), (20, 40, 220)).save(backdrop)
    frame = frames(run_capability("chroma-key", [green], tmp_path / "keyed.mp4",
                                  {"background": backdrop}))[10]
    assert diff(frame[10:40, 10:60], np.array([20, 40, 220])) < 12
    assert red_box(frame[70:110, 130:190]).mean() > 0.95


def test_pip_insets_the_second_clip_in_its_corner(clip: Path, media: Path, tmp_path: Path):
    yellow = still(media, "yellow.mp4", "yellow", 2)
    out = run_capability("pip", [clip, yellow], tmp_path / "pip.mp4",
                         {"corner": "top-left", "size": 0.25, "margin": 0.05})
    frame = frames(out)[20]
    inset = frame[9:9 + 44, 9:9 + 80]  # 80x45 at a 9-pixel margin
    assert diff(inset[2:-2, 2:-2], np.array([255, 255, 0])) < 12
    assert diff(frame[100:, 200:], frames(clip)[20][100:, 200:]) < 3  # the rest is the clip
    assert probe(out).has_audio


def test_watermark_puts_the_logo_in_the_corner_at_its_opacity(media: Path, tmp_path: Path):
    grey = still(media, "grey.mp4", "0x808080")
    logo = tmp_path / "logo.png"
    Image.new("RGBA", (100, 50), (255, 255, 0, 255)).save(logo)
    frame = frames(run_capability("watermark", [grey], tmp_path / "marked.mp4",
                                  {"logo": logo, "size": 0.25, "margin": 0.05, "opacity": 0.5}))[5]
    # 80x40 at the bottom-right, 9 pixels in; half yellow over grey
    patch = frame[H - 9 - 40 + 3:H - 9 - 3, W - 9 - 80 + 3:W - 9 - 3]
    assert diff(patch, np.array([192, 192, 64])) < 12
    assert diff(frame[:60, :100], np.array([128, 128, 128])) < 4


def test_thumbnail_draws_the_title_on_a_representative_frame(media: Path, tmp_path: Path):
    navy = still(media, "navy.mp4", "navy", 2)
    plain = np.asarray(Image.open(run_capability("thumbnail", [navy], tmp_path / "plain.png", {})))
    titled_path = run_capability("thumbnail", [navy], tmp_path / "cover.jpg",
                                 {"title": "The Story of Coffee", "width": 640})
    titled = np.asarray(Image.open(titled_path).convert("RGB"))
    assert plain.shape == (H, W, 3) and titled.shape == (360, 640, 3)
    white = (titled.min(axis=2) > 200)
    rows = np.nonzero(white.any(axis=1))[0]
    assert white.sum() > 500 and rows.min() > 360 / 2  # the title's pixels, in the lower half
    assert (plain.min(axis=2) > 200).sum() == 0


def test_thumbnail_skips_a_black_frame_for_a_representative_one(media: Path, tmp_path: Path):
    flash = make(media / "flash.mp4", "-f", "lavfi", "-i", f"testsrc2=size={W}x{H}:rate={FPS}:"
                 "duration=2", "-vf", "drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:"
                 "enable='lt(t,0.5)'")
    cover = np.asarray(Image.open(run_capability("thumbnail", [flash], tmp_path / "c.png", {})))
    assert cover.mean() > 40


def test_gif_exports_an_animated_palette_image(clip: Path, tmp_path: Path):
    out = run_capability("gif", [clip], tmp_path / "clip.gif", {"fps": 10})
    with Image.open(out) as image:
        assert image.format == "GIF" and image.size == (W, H)
        assert image.is_animated and image.n_frames == 20
        assert image.info.get("loop") == 0
