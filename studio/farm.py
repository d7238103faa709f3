"""A render farm: the per-shot work of a render (voice, picture, segments) run as Ray tasks on
any number of machines, with results coming back into the caller's cache.

Only this module imports Ray, and only when `--farm` is given. CPU work runs as plain tasks
(retried when a worker or node dies); GPU work runs on long-lived actors, one per GPU share and
(generator, model), so a model is loaded once per GPU rather than once per shot. Work functions
are the same ones a local render runs (studio/stages.py), with the same encoder settings and
seeds, so a farm render is byte-identical to a local one.
"""

from __future__ import annotations

import itertools
import os
import socket
import tempfile
import threading
from functools import cache
from pathlib import Path
from typing import Any

from storyreel.storyboards.errors import UserError

from .lock import RenderCancelled
from .stages import Job

GPU_RESOURCE = "STORYREEL_FARM_GPU_RESOURCE"  # a custom resource name standing in for "GPU"
RETRIES = 3  # how often work lost with a dead worker or node is run again elsewhere
POLL_SECONDS = 0.25


class FarmError(UserError):
    """The farm cannot be reached or used: one line saying what to do."""


Payload = dict[str, tuple[str, bytes]]  # input name -> (file name, contents)
Result = tuple[bytes | None, dict, str, BaseException | None]


def work_remotely(job: Job, payload: Payload) -> Result:
    """Run `job` on this worker: its input files written to a scratch folder, its output read
    back. Errors come back as values, so the caller re-raises the job's own exception type."""
    node = socket.gethostname()
    with tempfile.TemporaryDirectory(prefix="storyreel-farm-") as folder:
        inputs = {}
        for name, (filename, data) in payload.items():
            path = Path(folder) / "in" / name / filename
            path.parent.mkdir(parents=True)
            path.write_bytes(data)
            inputs[name] = path
        output = Path(folder) / f"out{job.suffix}"
        try:
            meta = job.run(output, inputs)
        except Exception as error:  # the job's own failure: reported, not retried
            return None, {}, node, error
        return output.read_bytes(), meta, node, None


class PipelineWorker:
    """A Ray actor holding one GPU (or a share of one) and the pipelines loaded on it; the
    generator registry keeps them between shots."""

    def run(self, job: Job, payload: Payload) -> Result:
        return work_remotely(job, payload)


@cache
def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise FarmError("the render farm needs Ray: pip install 'storyreel[farm]'") from None
    return ray


class Farm:
    """A connection to a Ray cluster: `local` starts a throwaway one on this machine, `auto`
    joins RAY_ADDRESS or a cluster already started here, `ray://host:10001` a remote one."""

    def __init__(self, address: str, num_cpus: int | None = None):
        ray = _ray()
        self.started_here = not ray.is_initialized()
        if self.started_here:
            options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                       "configure_logging": False}
            try:
                if address == "local":
                    ray.init(num_cpus=num_cpus, **options)
                else:
                    ray.init(address=None if address == "auto" else address, **options)
            except (ConnectionError, RuntimeError, ValueError) as error:
                raise FarmError(f"cannot reach the Ray cluster at {address!r} ({error}); start "
                                "one with `ray start --head`, or use --farm local") from None
        self.gpu_resource = os.environ.get(GPU_RESOURCE, "GPU")
        self._task = ray.remote(max_retries=RETRIES, num_cpus=1)(work_remotely)
        self._actors: dict[tuple, list[Any]] = {}
        self._turn: dict[tuple, itertools.count] = {}
        self._lock = threading.Lock()

    @property
    def slots(self) -> int:
        """How many jobs the cluster runs at once: its CPUs and GPU slots."""
        resources = _ray().cluster_resources()
        return max(1, int(resources.get("CPU", 1)) + int(resources.get(self.gpu_resource, 0)))

    def run(self, job: Job, output: Path, cancel: threading.Event) -> dict:
        """Run `job` on the cluster and write its result to `output`; the meta it returns
        names the node that made it. A cancel stops waiting and cancels the task."""
        ray = _ray()
        payload = {name: (path.name, path.read_bytes()) for name, path in job.inputs.items()}
        worker = self._actor(job).run if job.gpu else self._task
        ref = worker.remote(job, payload)
        while True:
            if cancel.is_set():
                ray.cancel(ref, force=not job.gpu)
                raise RenderCancelled("render cancelled; run it again to resume")
            done, _ = ray.wait([ref], timeout=POLL_SECONDS)
            if done:
                break
        data, meta, node, error = ray.get(ref)
        if error is not None:
            raise error
        output.write_bytes(data)
        return {**meta, "node": node}

    def _actor(self, job: Job) -> Any:
        """The next actor (round robin) of the job's pool: one per GPU share the cluster has."""
        ray = _ray()
        pool = (job.pool, job.gpu)
        with self._lock:
            if pool not in self._actors:
                total = ray.cluster_resources().get(self.gpu_resource, 0)
                if total < job.gpu:
                    raise FarmError(f"the cluster has no {self.gpu_resource} for {job.pool[0]}: "
                                    "start a node with a GPU (ray start --num-gpus ...)")
                count = max(1, int(total // job.gpu))
                demand = ({"num_gpus": job.gpu} if self.gpu_resource == "GPU"
                          else {"resources": {self.gpu_resource: job.gpu}})
                actor = ray.remote(max_restarts=RETRIES, max_task_retries=RETRIES, num_cpus=0,
                                   **demand)(PipelineWorker)
                self._actors[pool] = [actor.remote() for _ in range(count)]
                self._turn[pool] = itertools.count()
            actors = self._actors[pool]
            return actors[next(self._turn[pool]) % len(actors)]

    def close(self) -> None:
        """Let the actors go; shut Ray down if this process started it."""
        ray = _ray()
        if ray.is_initialized():
            for actors in self._actors.values():
                for actor in actors:
                    ray.kill(actor)
            if self.started_here:
                ray.shutdown()
        self._actors.clear()
