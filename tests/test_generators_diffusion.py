"""Diffusion backends on tiny random-initialised checkpoints (built from configs, saved with
save_pretrained, loaded by the real generator code), on CPU in seconds."""

from __future__ import annotations

import dataclasses
import json
import socket
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="diffusion extra not installed")
pytest.importorskip("diffusers", reason="diffusion extra not installed")

from tiny_diffusers import (  # noqa: E402
    save_tiny_cogvideox,
    save_tiny_ltx,
    save_tiny_ltx2,
    save_tiny_wan,
)

from storyreel.generators import ClipRequest, GeneratorError, get_generator, registry  # noqa: E402
from storyreel.generators.cogvideox import CogVideoXGenerator  # noqa: E402
from storyreel.generators.ltx2 import LTX2Generator  # noqa: E402
from storyreel.generators.ltx_video import LTXVideoGenerator  # noqa: E402
from storyreel.generators.registry import auto_choice  # noqa: E402
from storyreel.generators.wan import WanGenerator  # noqa: E402
from storyreel.tools.ffmpeg import run_ffmpeg  # noqa: E402
from storyreel.tools.probe import probe  # noqa: E402

BACKENDS = {"ltx-video": (LTXVideoGenerator, save_tiny_ltx), "wan": (WanGenerator, save_tiny_wan),
            "cogvideox": (CogVideoXGenerator, save_tiny_cogvideox),
            "ltx-2": (LTX2Generator, save_tiny_ltx2)}


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("checkpoints")
    return {name: save(root / name) for name, (_, save) in BACKENDS.items()}


def request(model: Path, **changes) -> ClipRequest:
    base = ClipRequest(prompt="misty hills at dawn", width=64, height=32, fps=24, num_frames=30,
                       seed=3, model=str(model), steps=2)
    return dataclasses.replace(base, **changes)


@pytest.mark.parametrize("name", list(BACKENDS))
def test_backend_makes_a_clip_of_the_shots_exact_length_and_size(name, checkpoints, tmp_path):
    generator = BACKENDS[name][0]()
    out = generator(request(checkpoints[name]), tmp_path / "clip.mp4")
    info = probe(out.path)
    assert (info.frames, info.width, info.height, info.fps) == (30, 64, 32, 24.0)
    assert abs(info.video_duration - 1.25) < 0.01
    assert info.has_audio == generator.makes_sound == out.has_sound


def test_ltx2_sound_lasts_as_long_as_a_long_extended_shot(checkpoints, tmp_path):
    generator = LTX2Generator()
    generator.clip = dataclasses.replace(generator.clip, max_frames=17)  # a short model clip
    out = generator(request(checkpoints["ltx-2"], num_frames=48), tmp_path / "long.mp4")
    info = probe(out.path)
    assert info.frames == 48 and out.has_sound
    assert abs(info.audio_duration - 2.0) < 0.03  # AAC frames: within ~1/48 s


def test_image_to_video_starts_from_the_given_picture(checkpoints, tmp_path):
    from PIL import Image

    Image.new("RGB", (80, 40), (200, 40, 40)).save(tmp_path / "start.png")
    generator = LTXVideoGenerator()
    calls: list[bool] = []
    original = generator.call_pipeline

    def spy(pipe, **kwargs):
        calls.append(kwargs["image"] is not None)
        return original(pipe, **kwargs)

    generator.call_pipeline = spy
    out = generator(request(checkpoints["ltx-video"], image=tmp_path / "start.png"),
                    tmp_path / "clip.mp4")
    assert calls == [True] and probe(out.path).frames == 30


def test_long_shot_is_extended_from_each_segments_last_frame(checkpoints, tmp_path):
    generator = LTXVideoGenerator()
    generator.clip = dataclasses.replace(generator.clip, max_frames=17)  # a short model clip
    calls: list[tuple[bool, int]] = []
    original = generator.call_pipeline

    def spy(pipe, **kwargs):
        calls.append((kwargs["image"] is not None, kwargs["num_frames"]))
        return original(pipe, **kwargs)

    generator.call_pipeline = spy
    out = generator(request(checkpoints["ltx-video"], num_frames=48), tmp_path / "long.mp4")
    assert calls[0] == (False, 17) and all(image for image, _ in calls[1:]) and len(calls) >= 3
    info = probe(out.path)
    assert info.frames == 48 and info.has_audio == generator.makes_sound


def test_ltx2_is_told_what_the_shot_sounds_like(checkpoints, tmp_path):
    generator = LTX2Generator()
    prompts: list[str] = []
    original = generator.call_pipeline

    def spy(pipe, **kwargs):
        prompts.append(kwargs["prompt"])
        return original(pipe, **kwargs)

    generator.call_pipeline = spy
    generator(request(checkpoints["ltx-2"], num_frames=12, sound="waves on pebbles"),
              tmp_path / "a.mp4")
    generator(request(checkpoints["ltx-2"], num_frames=12), tmp_path / "b.mp4")
    assert prompts[0] == "misty hills at dawn. Sound: waves on pebbles."
    assert "no speech, no music" in prompts[1]  # nothing that would fight the narration


def test_pipeline_is_loaded_once_and_reused(checkpoints, tmp_path):
    generator = WanGenerator()
    generator(request(checkpoints["wan"]), tmp_path / "a.mp4")
    first = generator.pipelines(request(checkpoints["wan"]))
    generator(request(checkpoints["wan"], seed=9), tmp_path / "b.mp4")
    assert generator.pipelines(request(checkpoints["wan"])) is first


def test_same_seed_same_clip(checkpoints, tmp_path):
    generator = WanGenerator()
    a = generator(request(checkpoints["wan"]), tmp_path / "a.mp4").path.read_bytes()
    b = generator(request(checkpoints["wan"]), tmp_path / "b.mp4").path.read_bytes()
    assert a == b


def test_out_of_memory_retries_once_with_lower_memory(checkpoints, tmp_path):
    generator = WanGenerator()
    original = generator.call_pipeline
    failures = [torch.OutOfMemoryError("CUDA out of memory (simulated)")]
    lowered: list[bool] = []
    generator._lower_memory = lambda pipe: lowered.append(True) or True

    def flaky(pipe, **kwargs):
        if failures:
            raise failures.pop()
        return original(pipe, **kwargs)

    generator.call_pipeline = flaky
    out = generator(request(checkpoints["wan"]), tmp_path / "clip.mp4")
    assert lowered == [True] and probe(out.path).frames == 30


def test_out_of_memory_with_nothing_left_to_lower_is_a_clear_error(checkpoints, tmp_path):
    generator = WanGenerator()
    attempts: list[int] = []

    def always(pipe, **kwargs):
        attempts.append(1)
        raise torch.OutOfMemoryError("CUDA out of memory (simulated)")

    generator.call_pipeline = always
    with pytest.raises(GeneratorError, match="out of GPU memory"):
        generator(request(checkpoints["wan"]), tmp_path / "clip.mp4")
    assert len(attempts) == 2  # on this CPU: once more with the VAE tiled, then a clear error


def test_memory_is_lowered_step_by_step_and_stays_low(monkeypatch):
    """First model-by-model CPU offload, then layer by layer (what 19B LTX-2 needs on a
    24 GB GPU); the pipeline keeps it for the next shots."""
    calls: list[str] = []

    class Pipe:
        def enable_model_cpu_offload(self):
            calls.append("model")

        def enable_sequential_cpu_offload(self):
            calls.append("layers")

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: None)
    generator, pipe = LTX2Generator(), Pipe()
    lowered = [generator._lower_memory(pipe) for _ in range(3)]
    assert calls == ["model", "layers"] and lowered == [True, True, False]


def test_a_checkpoint_not_on_disk_is_never_downloaded(tmp_path, monkeypatch):
    from huggingface_hub import constants
    from huggingface_hub.utils import _detect_agent

    hf_home = tmp_path / "hf"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(hf_home / "hub"))
    monkeypatch.setattr(constants, "AGENT_HARNESSES_PATH", str(hf_home / ".agent_harnesses.json"))
    # huggingface_hub fetches this once per process to build its request headers, even for
    # local-only loads: forget an earlier test's copy so this test sees the first fetch.
    monkeypatch.setattr(_detect_agent, "_registry", None)
    reached: list[object] = []

    def no_network(*args: object) -> None:
        reached.append(args[-1])  # recorded too, in case a library swallows the error
        raise OSError("a test tried to reach the network")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", no_network)
    with pytest.raises(GeneratorError, match="storyreel models pull ltx-video"):
        LTXVideoGenerator()(request(Path("someone/not-downloaded")), tmp_path / "clip.mp4")
    assert reached == []
    assert not hf_home.exists() or not any(hf_home.rglob("*"))


def test_auto_uses_the_animatic_without_a_gpu():
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    name, why = auto_choice()
    assert name == "animatic" and "no CUDA GPU" in why


def test_auto_and_the_backend_it_picks_share_one_model_and_one_gpu_lock(monkeypatch):
    installed: set[str] = set()
    monkeypatch.setattr(registry, "nvidia_driver_present", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(registry, "checkpoint_on_disk", lambda model: model in installed)
    assert auto_choice()[0] == "animatic"
    assert get_generator("auto") is get_generator("animatic")
    # The user pulls ltx-video while the studio is open: the next render uses it, and a
    # storyboard mixing `auto` and `ltx-video` loads the model once.
    installed.add(LTXVideoGenerator.default_model)
    assert auto_choice()[0] == "ltx-video"
    assert get_generator("auto") is get_generator("ltx-video")


def test_render_a_storyboard_with_a_diffusion_generator(short_project, checkpoints):
    from storyreel.storyboards import dump_document, load_storyboard
    from storyreel.studio.manifest import RenderManifest
    from storyreel.studio.render import render

    _, doc = load_storyboard(short_project.storyboard_path)
    doc["generator"] = {"name": "ltx-video", "model": str(checkpoints["ltx-video"]), "steps": 2,
                        "height": 32}
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc=s=160x90:d=2:r=24",
                str(short_project.root / "assets" / "pour.mp4")])
    doc["shots"][1]["asset"] = "assets/pour.mp4"
    short_project.storyboard_path.write_text(dump_document(doc))
    result = render(short_project.storyboard_path)
    info = probe(result.video)
    assert info.has_video and info.has_audio and (info.width, info.height) == (640, 360)
    # The user's footage is used as it is (its shot's segments read it), not replaced by
    # generated video.
    first, footage, last = RenderManifest.load(short_project.last_render_path).shots
    assert footage.clip == short_project.root / "assets" / "pour.mp4"
    makers = [json.loads(c.with_suffix(".meta.json").read_text())["generator"]
              for c in (first.clip, last.clip)]
    assert makers == ["ltx-video", "ltx-video"]


def test_ltx2_sound_is_mixed_under_the_narration_and_can_be_turned_off(short_project,
                                                                        checkpoints):
    from storyreel.storyboards import dump_document, load_storyboard
    from storyreel.studio.render import render

    _, doc = load_storyboard(short_project.storyboard_path)
    doc["generator"] = {"name": "ltx-2", "model": str(checkpoints["ltx-2"]), "steps": 2,
                        "height": 32}
    del doc["shots"][2]  # two short shots keep the tiny model's attention small
    doc["shots"][0]["narration"], doc["shots"][1]["narration"] = "Green tea.", "Hot water."
    short_project.storyboard_path.write_text(dump_document(doc))
    first = render(short_project.storyboard_path)
    info = probe(first.video)
    assert info.has_audio and abs(info.audio_duration - first.duration) < 0.05
    with_sound = first.video.read_bytes()

    doc["ambience"] = {"source": "none"}
    short_project.storyboard_path.write_text(dump_document(doc))
    second = render(short_project.storyboard_path)
    # Only the sound mix is redone: the clips (picture and sound) come from the cache.
    assert second.redone == {"audio": 1} and second.video.read_bytes() != with_sound


@pytest.mark.gpu
@pytest.mark.parametrize("name", list(BACKENDS))
def test_real_checkpoint_on_gpu(name, tmp_path):
    from storyreel.generators.diffusion import checkpoint_on_disk

    generator = BACKENDS[name][0]()
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    if not checkpoint_on_disk(generator.default_model):
        pytest.skip(f"{generator.default_model} is not on disk (storyreel models pull {name})")
    out = generator(ClipRequest(prompt="a red fox running through snow, cinematic",
                                width=704, height=480, fps=24, num_frames=48, seed=1),
                    tmp_path / "clip.mp4")
    info = probe(out.path)
    assert info.frames == 48 and info.has_audio == generator.makes_sound


def test_auto_looks_for_the_gpu_driver_before_importing_torch(monkeypatch):
    import subprocess
    import sys

    monkeypatch.setattr(registry, "nvidia_driver_present", lambda: False)
    assert auto_choice()[0] in {"animatic", "stock"}
    code = ("import sys; from storyreel.generators.registry import auto_choice, "
            "nvidia_driver_present; auto_choice(); "
            "print(nvidia_driver_present() or 'torch' not in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "True"
