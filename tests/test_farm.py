"""The render farm on a real multi-node Ray cluster inside the test: same bytes as a local
render, with the animatic and with a diffusion backend on "GPU" slots, and after losing a
worker mid-shot."""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")
from ray.cluster_utils import Cluster  # noqa: E402

from storyreel.storyboards import dump_document, load_storyboard  # noqa: E402
from storyreel.studio.batch import Batch  # noqa: E402
from storyreel.studio.farm import GPU_RESOURCE, Farm  # noqa: E402
from storyreel.studio.project import Project  # noqa: E402
from storyreel.studio.render import render  # noqa: E402

SLOT = "gpu_slot"  # a custom resource standing in for GPUs


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    os.environ[GPU_RESOURCE] = SLOT
    os.environ["STORYREEL_CACHE_DIR"] = str(tmp_path_factory.mktemp("farm-user-cache"))
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    cluster.add_node(num_cpus=2, resources={SLOT: 1})
    cluster.wait_for_nodes()
    farm = Farm(cluster.address)
    yield cluster, farm
    farm.close()
    ray.shutdown()
    cluster.shutdown()
    os.environ.pop(GPU_RESOURCE, None)


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _four_shots(root: Path, name: str) -> Project:
    project = Project.create(root / name, "short")
    _, doc = load_storyboard(project.storyboard_path)
    doc["shots"].append({"id": "after", "narration": "And the cup is empty.",
                         "visual": "an empty cup", "camera": "pull-out"})
    project.storyboard_path.write_text(dump_document(doc), encoding="utf-8")
    return project


def test_a_farm_render_is_byte_identical_to_a_local_one(cluster, tmp_path):
    _, farm = cluster
    local = render(_four_shots(tmp_path, "local").storyboard_path)
    events = []
    farmed = render(_four_shots(tmp_path, "farm").storyboard_path, events=events.append,
                    farm=farm)
    assert _md5(farmed.video) == _md5(local.video)
    assert [_md5(p) for p in farmed.subtitles] == [_md5(p) for p in local.subtitles]
    nodes = {e.message for e in events if e.kind == "done" and e.stage == "visual"}
    assert nodes and all(m.startswith("on ") for m in nodes)  # which node made each shot


def test_a_worker_killed_mid_shot_is_redone_and_the_bytes_are_the_same(cluster, tmp_path):
    _, farm = cluster
    local = render(_four_shots(tmp_path, "local").storyboard_path)
    killed = []

    def kill_a_busy_worker() -> None:
        """A Ray worker's process title is `ray::TASK` while it runs one."""
        import psutil

        for _ in range(600):
            for proc in psutil.process_iter(["cmdline"]):
                line = " ".join(proc.info["cmdline"] or [])
                if line.startswith("ray::work_remotely"):
                    os.kill(proc.pid, signal.SIGKILL)
                    killed.append(proc.pid)
                    return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    farmed = render(_four_shots(tmp_path, "farm").storyboard_path, farm=farm)
    killer.join()
    assert killed, "no worker was caught holding a shot"
    assert _md5(farmed.video) == _md5(local.video)


def test_diffusion_shots_run_on_gpu_slots_with_the_same_bytes(cluster, tmp_path):
    pytest.importorskip("diffusers")
    from tiny_diffusers import save_tiny_ltx

    _, farm = cluster
    checkpoint = save_tiny_ltx(tmp_path / "tiny-ltx")
    videos = []
    for name, use_farm in (("local", None), ("farm", farm)):
        project = Project.create(tmp_path / name, "short")
        _, doc = load_storyboard(project.storyboard_path)
        doc["generator"] = {"name": "ltx-video", "model": str(checkpoint), "steps": 2,
                            "height": 32}
        del doc["shots"][2]
        project.storyboard_path.write_text(dump_document(doc), encoding="utf-8")
        videos.append(_md5(render(project.storyboard_path, farm=use_farm).video))
    assert videos[0] == videos[1]


def test_a_batch_renders_every_good_row_and_names_the_bad_one(cluster, tmp_path):
    _, farm = cluster
    Project.create(tmp_path / "source", "short")
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nshots: [\n", encoding="utf-8")
    manifest = tmp_path / "videos.yaml"
    manifest.write_text("- storyboard: source/storyboard.yaml\n  project: one\n"
                        "- storyboard: broken.yaml\n"
                        "- storyboard: source/storyboard.yaml\n  project: two\n",
                        encoding="utf-8")

    def run() -> list:
        return Batch(manifest, lambda path: render(path, farm=farm).duration, jobs=2).run()

    first = run()
    assert [o.status for o in first] == ["rendered", "failed", "rendered"]
    assert "storyboard" in first[1].error
    assert (tmp_path / "one" / "out" / "final.mp4").exists()
    second = run()
    assert [o.status for o in second] == ["skipped", "failed", "skipped"]


@pytest.mark.slow
def test_a_node_lost_mid_render_costs_a_retry_not_the_video(tmp_path):
    local = render(_four_shots(tmp_path, "local").storyboard_path)
    ray.shutdown()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    doomed = cluster.add_node(num_cpus=2)
    cluster.wait_for_nodes()
    farm = Farm(cluster.address)

    def lose_the_node() -> None:
        time.sleep(4)  # mid-render: voices done, pictures under way
        cluster.remove_node(doomed)

    remover = threading.Thread(target=lose_the_node)
    remover.start()
    try:
        farmed = render(_four_shots(tmp_path, "farm").storyboard_path, farm=farm)
    finally:
        remover.join()
        farm.close()
        cluster.shutdown()
    assert _md5(farmed.video) == _md5(local.video)
