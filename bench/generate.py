"""Generator benchmark: seconds of compute per second of video, per backend and resolution,
and peak VRAM. Diffusion backends need a CUDA GPU and their checkpoints on disk
(`storyreel models pull NAME`); the CPU animatic is measured everywhere.

Run on demand: `python bench/generate.py [--seconds 4] [--heights 480 720]`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from storyreel.generators import ClipRequest, get_generator
from storyreel.generators.diffusion import checkpoint_on_disk
from storyreel.generators.registry import DIFFUSION_PREFERENCE


def measure(name: str, height: int, seconds: float, folder: Path) -> str:
    generator = get_generator(name)
    width = round(height * 16 / 9 / 2) * 2
    request = ClipRequest(prompt="a red fox running through fresh snow, golden hour",
                          width=width, height=height, fps=24, num_frames=round(seconds * 24),
                          seed=1, title="Benchmark")
    peak = ""
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
    except ImportError:
        torch = None
    generator(request, folder / "warmup.mp4")  # loads the pipeline once, like a render does
    start = time.perf_counter()
    generator(request, folder / f"{name}-{height}.mp4")
    elapsed = time.perf_counter() - start
    if torch is not None and torch.cuda.is_available():
        peak = f", peak VRAM {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB"
    return (f"{name:10} {width}x{height}: {elapsed:.1f} s for {seconds:.0f} s of video = "
            f"{elapsed / seconds:.2f} s per second{peak}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--heights", type=int, nargs="+", default=[480, 720])
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
