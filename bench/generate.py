"""Generator benchmark: seconds of compute per second of video, per backend and resolution,
and peak VRAM; seconds per keyframe still, per text-to-image backend and size. Diffusion
backends need a CUDA GPU and their checkpoints on disk (`storyreel models pull NAME`); the CPU
animatic is measured everywhere, and so are the keyframe backends on tiny random models
(tests/tiny_diffusers.py: the cost of the plumbing, not of the real model).

On a GPU, each diffusion measurement is also kept as this machine's speed (seconds per
denoising step, and per call besides the steps) for `storyreel plan-cost`.

Run on demand: `python bench/generate.py [--seconds 4] [--heights 480 720]
[--still-heights 144 288]`. With `--gpu`: diffusion speed per preset and size, and whether a
minute of video fits in a minute (bench/gpu_speed.py, whose options follow it, e.g.
`--gpu --full-size-random --seconds 5`).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

from storyreel.generators import ClipRequest, get_generator
from storyreel.generators.diffusion import DiffusionGenerator, checkpoint_on_disk
from storyreel.generators.keyframe import StillRequest
from storyreel.generators.registry import (
    DIFFUSION_PREFERENCE,
    get_keyframe_generator,
    keyframe_names,
)
from storyreel.studio.plan_cost import MEASURED_HERE, Speed, record_speed

PROMPT = "a red fox running through fresh snow, golden hour"


class StepClock:
    """A progress callback that notes when each denoising step ends (the generators call it
    once per step, then once more when the clip or still is done)."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def __call__(self, fraction: float) -> None:
        self.times.append(time.perf_counter())

    def per_step(self) -> float:
        steps = self.times[:-1]
        return statistics.median(b - a for a, b in zip(steps, steps[1:], strict=False)) \
            if len(steps) > 1 else 0.0


def keep_speed(name: str, width: int, height: int, frames: int, steps: int, elapsed: float,
               clock: StepClock) -> None:
    """This GPU's figures for plan-cost: seconds per step, and the rest of the call."""
    import torch

    per_step = clock.per_step()
    record_speed(Speed(backend=name, width=width, height=height, frames=frames,
                       per_step=per_step, fixed=max(0.0, elapsed - steps * per_step),
                       source=f"{MEASURED_HERE} ({torch.cuda.get_device_name()})"))


def measure(name: str, height: int, seconds: float, folder: Path) -> str:
    generator = get_generator(name)
    width = round(height * 16 / 9 / 2) * 2
    request = ClipRequest(prompt=PROMPT, width=width, height=height, fps=24,
                          num_frames=round(seconds * 24), seed=1, title="Benchmark")
    peak = ""
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
    except ImportError:
        torch = None
    generator(request, folder / "warmup.mp4")  # loads the pipeline once, like a render does
    clock = StepClock()
    start = time.perf_counter()
    generator(request, folder / f"{name}-{height}.mp4", clock)
    elapsed = time.perf_counter() - start
    if torch is not None and torch.cuda.is_available():
        peak = f", peak VRAM {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB"
        clip = generator.clip if isinstance(generator, DiffusionGenerator) else None
        wanted = math.ceil(request.duration * clip.fps) + 1 if clip else 0
        if clip and clip.frames_for(wanted) >= wanted:  # one model call: a clean figure
            gen_height, gen_width = generator.size_for(request)
            keep_speed(name, gen_width, gen_height, clip.frames_for(wanted),
                       clip.default_steps, elapsed, clock)
    return (f"{name:10} {width}x{height}: {elapsed:.1f} s for {seconds:.0f} s of video = "
            f"{elapsed / seconds:.2f} s per second{peak}")


def measure_still(name: str, height: int, model: str | None = None, gpu: bool = False) -> str:
    """Seconds per 16:9 still of `name` at `height` (its default steps), the pipeline
    loaded first, as a render's first still does."""
    generator = get_keyframe_generator(name)
    request = StillRequest(prompt=PROMPT, width=round(height * 16 / 9 / 8) * 8, height=height,
                           seed=1, model=model)
    generator(request)
    clock = StepClock()
    start = time.perf_counter()
    generator(request, clock)
    elapsed = time.perf_counter() - start
    gen_height, gen_width = generator.size_for(request)
    if gpu:
        keep_speed(name, gen_width, gen_height, 1, generator.still.default_steps, elapsed, clock)
    return (f"{name:12} {gen_width}x{gen_height}, {generator.still.default_steps} steps: "
            f"{elapsed:.2f} s per still")


def measure_stills(heights: list[int], still_heights: list[int], gpu: bool,
                   scratch: Path) -> None:
    """The real checkpoints on a GPU; elsewhere tiny random models built from configs."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import tiny_diffusers

    tiny = {"flux-schnell": tiny_diffusers.save_tiny_flux, "sdxl": tiny_diffusers.save_tiny_sdxl,
            "sdxl-turbo": tiny_diffusers.save_tiny_sdxl, "sd3.5": tiny_diffusers.save_tiny_sd3,
            "sd-turbo": tiny_diffusers.save_tiny_sd_turbo}
    for name in keyframe_names():
        model = get_keyframe_generator(name).default_model
        if gpu and checkpoint_on_disk(model):
            for height in heights:
                print(measure_still(name, height, gpu=True))
            continue
        folder = tiny[name](scratch / f"tiny-{name}")
        for height in still_heights:
            print(measure_still(name, height, str(folder)) + " (tiny random model, "
                  f"{'GPU' if gpu else 'CPU'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--heights", type=int, nargs="+", default=[480, 720])
    parser.add_argument("--still-heights", type=int, nargs="+", default=[144, 288],
                        help="sizes of the tiny-model stills measured without a GPU")
    parser.add_argument("--gpu", action="store_true",
                        help="diffusion speed per preset and size (bench/gpu_speed.py)")
    args, rest = parser.parse_known_args()
    if args.gpu:
        from gpu_speed import main as speed  # beside this script

        sys.exit(speed(["--heights", *map(str, args.heights), "--seconds", str(args.seconds),
                        *rest]))
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        import torch

        gpu = torch.cuda.is_available()
    except ImportError:
        gpu = False
    with tempfile.TemporaryDirectory(prefix="storyreel-bench-") as scratch:
        for height in args.heights:
            print(measure("animatic", height, args.seconds, Path(scratch)))
        for name in DIFFUSION_PREFERENCE:
            model = get_generator(name).default_model
            if not gpu:
                print(f"{name:10} skipped: needs a CUDA GPU")
            elif not checkpoint_on_disk(model):
                print(f"{name:10} skipped: {model} not on disk (storyreel models pull {name})")
            else:
                for height in args.heights:
                    print(measure(name, height, args.seconds, Path(scratch)))
        measure_stills(args.heights, args.still_heights, gpu, Path(scratch))


if __name__ == "__main__":
    main()
