"""Keyframes first: text-to-image backends on tiny random-initialised checkpoints (built from
configs, saved with save_pretrained, loaded by the real backend code, run on CPU), takes and
approvals, the approved still as the start of each shot's video, and the cost estimate."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="diffusion extra not installed")
pytest.importorskip("diffusers", reason="diffusion extra not installed")

from PIL import Image  # noqa: E402
from tiny_diffusers import (  # noqa: E402
    save_tiny_flux,
    save_tiny_flux_ip_adapter,
    save_tiny_ltx,
    save_tiny_sd3,
    save_tiny_sd_turbo,
    save_tiny_sdxl,
    save_tiny_sdxl_ip_adapter,
)

from storyreel.generators import GeneratorError  # noqa: E402
from storyreel.generators.base import CheckpointMissing  # noqa: E402
from storyreel.generators.flux import FluxKeyframes  # noqa: E402
from storyreel.generators.keyframe import StillRequest  # noqa: E402
from storyreel.generators.sd3 import SD3Keyframes  # noqa: E402
from storyreel.generators.sd_turbo import SDTurboKeyframes  # noqa: E402
from storyreel.generators.sdxl import SDXLKeyframes, SDXLTurboKeyframes  # noqa: E402
from storyreel.storyboards import dump_document, load_storyboard  # noqa: E402
from storyreel.studio import keyframes  # noqa: E402
from storyreel.studio.manifest import RenderManifest  # noqa: E402
from storyreel.studio.render import render  # noqa: E402

BACKENDS = {"flux-schnell": (FluxKeyframes, save_tiny_flux),
            "sdxl": (SDXLKeyframes, save_tiny_sdxl),
            "sdxl-turbo": (SDXLTurboKeyframes, save_tiny_sdxl),
            "sd3.5": (SD3Keyframes, save_tiny_sd3),
            "sd-turbo": (SDTurboKeyframes, save_tiny_sd_turbo)}


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("keyframe-checkpoints")
    made = {name: save(root / name) for name, (_, save) in BACKENDS.items() if name != "sdxl-turbo"}
    made["sdxl-turbo"] = made["sdxl"]  # one architecture: the tiny SDXL stands for both
    made["ltx-video"] = save_tiny_ltx(root / "ltx-video")
    return made


def still(model: Path, **changes) -> StillRequest:
    base = StillRequest(prompt="misty hills at dawn", width=72, height=40, seed=3,
                        model=str(model), steps=2)
    return dataclasses.replace(base, **changes)


@pytest.mark.parametrize("name", list(BACKENDS))
def test_backend_makes_a_still_of_the_asked_size_the_same_for_a_seed(name, checkpoints):
    generator = BACKENDS[name][0]()
    first = generator(still(checkpoints[name]))
    again = generator(still(checkpoints[name]))
    other = generator(still(checkpoints[name], seed=4))
    assert first.size == (72, 40) and first.mode == "RGB"
    assert first.tobytes() == again.tobytes() != other.tobytes()


def _adapter_in(generator, folder: Path):
    """The backend's IP-Adapter, read from a tiny random one in `folder` instead of the hub."""
    if isinstance(generator, FluxKeyframes):
        save_tiny_flux_ip_adapter(folder)
        return dataclasses.replace(generator.ip_adapter, repo=str(folder),
                                   encoder_repo=str(folder / "image_encoder"))
    save_tiny_sdxl_ip_adapter(folder)
    return dataclasses.replace(generator.ip_adapter, repo=str(folder), subfolder="",
                               weight_name="ip-adapter.safetensors", image_encoder="image_encoder")


@pytest.mark.parametrize("name", ["sdxl", "flux-schnell"])
def test_a_cast_reference_picture_reaches_the_pipeline(name, checkpoints, tmp_path, monkeypatch):
    generator = BACKENDS[name][0]()
    generator.ip_adapter = _adapter_in(generator, tmp_path / "adapter")
    reference = tmp_path / "kaldi.png"
    Image.new("RGB", (40, 60), (200, 30, 30)).save(reference)
    pipeline_class = type(generator.pipeline(still(checkpoints[name])))
    calls: list[dict] = []
    original = pipeline_class.__call__

    def spy(pipe, *args, **kwargs):
        calls.append(kwargs)
        return original(pipe, *args, **kwargs)

    monkeypatch.setattr(pipeline_class, "__call__", spy)
    plain = generator(still(checkpoints[name]))
    with_cast = generator(still(checkpoints[name], references=(reference,)))
    plain_again = generator(still(checkpoints[name]))  # the adapter is unloaded for it

    assert "ip_adapter_image" not in calls[0] and "ip_adapter_image" not in calls[2]
    [[given]] = calls[1]["ip_adapter_image"]
    assert given.size == (40, 60) and given.getpixel((0, 0)) == (200, 30, 30)
    assert with_cast.tobytes() != plain.tobytes() == plain_again.tobytes()


@pytest.mark.parametrize("name", ["sd3.5", "sd-turbo"])
def test_a_model_without_an_ip_adapter_says_references_need_sdxl_or_flux(name, checkpoints,
                                                                         tmp_path):
    reference = tmp_path / "kaldi.png"
    Image.new("RGB", (8, 8)).save(reference)
    with pytest.raises(GeneratorError, match="use keyframes name sdxl, sdxl-turbo or flux"):
        BACKENDS[name][0]()(still(checkpoints[name], references=(reference,)))


def test_missing_checkpoints_and_adapters_name_the_pull_command(checkpoints):
    with pytest.raises(CheckpointMissing, match="storyreel models pull flux-schnell"):
        FluxKeyframes().check("someone/not-downloaded")
    SDXLKeyframes().check(str(checkpoints["sdxl"]))
    with pytest.raises(CheckpointMissing, match="storyreel models pull ip-adapter-sdxl"):
        SDXLKeyframes().check(str(checkpoints["sdxl"]), references=True)


# --- the studio: takes, approval, render -----------------------------------------------------

def _keyframe_project(project, checkpoints, generator: dict, shots: int = 1):
    """The short example with `keyframes:` on the tiny SD-Turbo (small stills: the video
    scales them) and `shots` shots."""
    _, doc = load_storyboard(project.storyboard_path)
    doc["keyframes"] = {"name": "sd-turbo", "model": str(checkpoints["sd-turbo"]), "steps": 1,
                        "width": 112, "height": 64}
    doc["generator"] = generator
    del doc["shots"][shots:]
    project.storyboard_path.write_text(dump_document(doc))
    return project


def test_takes_are_seeds_and_an_approval_lapses_when_the_shot_changes(short_project,
                                                                      checkpoints):
    project = _keyframe_project(short_project, checkpoints, {"name": "stills"}, shots=2)
    _, doc = load_storyboard(project.storyboard_path)
    doc["shots"][0]["keyframe"] = {"seed": 40}
    project.storyboard_path.write_text(dump_document(doc))

    first = keyframes.make_keyframe(project, "leaves")
    second = keyframes.new_take(project, "leaves")
    assert (first.take, second.take) == (40, 41) and first.made and second.made
    assert keyframes.make_keyframe(project, "leaves", 40).made is False  # from the cache
    keyframes.approve(project, "leaves", 40)
    assert keyframes.keyframe_path(project, "leaves") == first.path  # approved beats latest
    listed = {(k.shot, k.take): k for k in keyframes.list_keyframes(project)}
    assert listed["leaves", 40].approved and not listed["leaves", 41].approved
    assert listed["cup", keyframes.first_take(*_board_and_shot(project, "cup"))].path is None
    with pytest.raises(keyframes.KeyframeError, match="no take 7"):
        keyframes.approve(project, "leaves", 7)

    doc["shots"][0]["visual"] = "a teapot on a stove"
    project.storyboard_path.write_text(dump_document(doc))
    board, _ = load_storyboard(project.storyboard_path)
    assert keyframes.unapproved(project, board) == ["leaves", "cup"]
    assert keyframes.keyframe_path(project, "leaves") is None  # not made for the new visual


def _board_and_shot(project, shot_id):
    board, _ = load_storyboard(project.storyboard_path)
    return board, board.shot(shot_id)


def test_approved_only_refuses_before_spending_anything(short_project, checkpoints):
    project = _keyframe_project(short_project, checkpoints, {"name": "stills"}, shots=3)
    keyframes.make_keyframe(project, "cup")
    keyframes.approve(project, "cup", keyframes.make_keyframe(project, "cup").take)
    with pytest.raises(keyframes.KeyframesNotApproved, match="2 shot.*: leaves, calm"):
        render(project.storyboard_path, approved_only=True)
    cache = project.cache_dir
    assert not (cache / "voice").exists() and not (cache / "visual").exists()
    assert len(list((cache / "keyframe").glob("*.png"))) == 1  # only the one made above


def test_approved_only_from_the_command_line(short_project, checkpoints):
    from typer.testing import CliRunner

    from storyreel.tui.cli import app

    project = _keyframe_project(short_project, checkpoints, {"name": "stills"}, shots=2)
    result = CliRunner().invoke(app, ["render", str(project.root), "--approved-only"])
    said = " ".join(result.output.split())  # as read, whatever the terminal's width
    assert result.exit_code == 1, said
    assert "2 shot(s) have no approved keyframe" in said and "leaves, cup" in said


def test_the_approved_keyframe_is_the_first_frame_of_image_to_video(short_project,
                                                                    checkpoints, monkeypatch):
    from diffusers import LTXImageToVideoPipeline

    from storyreel.generators.diffusion import _load_image

    project = _keyframe_project(short_project, checkpoints, {
        "name": "ltx-video", "model": str(checkpoints["ltx-video"]), "steps": 2, "height": 32})
    chosen = keyframes.make_keyframe(project, "leaves")
    keyframes.new_take(project, "leaves")  # the latest take, not approved
    keyframes.approve(project, "leaves", chosen.take)
    images: list = []
    original = LTXImageToVideoPipeline.__call__

    def spy(pipe, *args, **kwargs):
        images.append(kwargs.get("image"))
        return original(pipe, *args, **kwargs)

    monkeypatch.setattr(LTXImageToVideoPipeline, "__call__", spy)
    render(project.storyboard_path, approved_only=True)
    width, height = images[0].size
    assert images[0].tobytes() == _load_image(chosen.path, width, height).tobytes()


def test_stills_start_from_the_approved_keyframe(short_project, checkpoints):
    import av

    project = _keyframe_project(short_project, checkpoints, {"name": "stills"})
    _, doc = load_storyboard(project.storyboard_path)
    doc["shots"][0]["camera"] = "static"
    project.storyboard_path.write_text(dump_document(doc))
    approved = keyframes.make_keyframe(project, "leaves")
    other = keyframes.new_take(project, "leaves")
    keyframes.approve(project, "leaves", approved.take)
    render(project.storyboard_path)
    clip = RenderManifest.load(project.last_render_path).shots[0].clip
    with av.open(str(clip)) as container:
        first = next(container.decode(video=0)).to_image()
    # The tiny model paints fine noise: matched pixel for pixel (luminance correlation), the
    # approved still shows through the encode and vignette, another take does not.
    assert _correlation(first, approved.path) > 0.5 > 0.1 > abs(_correlation(first, other.path))


def _correlation(frame: Image.Image, still: Path) -> float:
    a = np.asarray(frame.convert("L"), float)
    b = np.asarray(Image.open(still).convert("L").resize(frame.size), float)
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))


# --- cost before spending -------------------------------------------------------------------

def test_plan_cost_scales_the_measured_figures(short_project, tmp_path, monkeypatch):
    from storyreel.studio import plan_cost
    from storyreel.tools.paths import CACHE_VARIABLE

    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path / "cache"))
    _, doc = load_storyboard(short_project.storyboard_path)
    doc["generator"] = {"name": "ltx-video", "height": 480}
    doc["format"] = {"aspect": "16:9", "height": 480, "fps": 24}
    for shot in doc["shots"]:
        shot["duration"], shot["narration"] = 5, ""
    short_project.storyboard_path.write_text(dump_document(doc))
    board, _ = load_storyboard(short_project.storyboard_path)

    cost = plan_cost.plan_cost(short_project, board)
    video = cost.shots[0].video
    assert (video.width, video.height, video.frames, video.steps) == (864, 480, 121, 40)
    # 704x480 at 40 steps measured 10.1 s a shot; 864x480 is 1.23 times the pixels
    assert video.seconds == pytest.approx(10.1 * 864 / 704, rel=0.01)
    assert cost.summary() == "3 shots, about 37 s on an H100"

    plan_cost.record_speed(plan_cost.Speed(
        backend="ltx-video", width=864, height=480, frames=121, per_step=0.1, fixed=1.0,
        source=f"{plan_cost.MEASURED_HERE} (an L4)"))
    cost = plan_cost.plan_cost(short_project, board)
    assert cost.shots[0].seconds == pytest.approx(5.0)
    assert cost.summary() == "3 shots, about 15 s on this GPU"


def test_models_list_and_pull_know_the_keyframe_models_and_adapters():
    from storyreel.studio.models import model_statuses, pull_repos

    listed = {status.generator for status in model_statuses()}
    assert {"flux-schnell", "sdxl", "sdxl-turbo", "sd3.5", "sd-turbo", "ip-adapter-sdxl",
            "ip-adapter-flux"} <= listed
    assert pull_repos("sd-turbo") == ["stabilityai/sd-turbo"]
    assert pull_repos("ip-adapter-flux") == ["XLabs-AI/flux-ip-adapter",
                                             "openai/clip-vit-large-patch14"]
    with pytest.raises(GeneratorError, match="nothing to pull called 'sdxxl'"):
        pull_repos("sdxxl")
