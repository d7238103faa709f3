"""3D colour lookup tables in the .cube format: read with checks, make, write, and the lut3d
filter that applies one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..ffmpeg import filter_value
from .registry import CapabilityError

MAX_SIZE = 256  # the largest table ffmpeg's lut3d loads


@dataclass(frozen=True)
class Cube:
    """`table[b, g, r]` is the RGB colour (floats) for input (r, g, b) on the grid spanning
    `domain_min`..`domain_max` per channel: red varies fastest, as in the file."""

    table: np.ndarray  # (size, size, size, 3)
    domain_min: tuple[float, float, float] = (0.0, 0.0, 0.0)
    domain_max: tuple[float, float, float] = (1.0, 1.0, 1.0)

    @property
    def size(self) -> int:
        return self.table.shape[0]


def identity(size: int = 33) -> np.ndarray:
    """The table that changes nothing (`table[b, g, r] = (r, g, b)`)."""
    steps = np.linspace(0.0, 1.0, size)
    blue, green, red = np.meshgrid(steps, steps, steps, indexing="ij")
    return np.stack([red, green, blue], axis=-1)


def read_cube(path: Path) -> Cube:
    """Parse a .cube file; CapabilityError with the line at fault when it is not a 3D LUT."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CapabilityError(f"{path.name} is not a .cube LUT (not text)") from None
    size, rows = None, []
    domain = {"DOMAIN_MIN": (0.0, 0.0, 0.0), "DOMAIN_MAX": (1.0, 1.0, 1.0)}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key, *values = line.split()
        where = f"{path.name} line {number}"
        if key == "TITLE":
            continue
        if key == "LUT_1D_SIZE":
            raise CapabilityError(f"{path.name} is a 1D LUT; a 3D .cube LUT is needed")
        if key == "LUT_3D_SIZE":
            if len(values) != 1 or not values[0].isdigit() or not 2 <= int(values[0]) <= MAX_SIZE:
                raise CapabilityError(f"{where}: LUT_3D_SIZE must be a whole number from 2 to "
                                      f"{MAX_SIZE}")
            size = int(values[0])
            continue
        if key in domain:
            domain[key] = _three(values, where)
            continue
        if key[0].isalpha():
            raise CapabilityError(f"{where}: unknown keyword {key!r} in a .cube LUT")
        rows.append(_three([key, *values], where))
    if size is None:
        raise CapabilityError(f"{path.name} is not a .cube LUT (no LUT_3D_SIZE line)")
    if len(rows) != size ** 3:
        raise CapabilityError(f"{path.name}: a {size}-point LUT needs {size ** 3} colour lines, "
                              f"it has {len(rows)}")
    if any(low >= high for low, high in zip(domain["DOMAIN_MIN"], domain["DOMAIN_MAX"],
                                            strict=True)):
        raise CapabilityError(f"{path.name}: DOMAIN_MIN must be below DOMAIN_MAX")
    table = np.asarray(rows, dtype=np.float64).reshape(size, size, size, 3)
    return Cube(table, domain["DOMAIN_MIN"], domain["DOMAIN_MAX"])


def _three(values: list[str], where: str) -> tuple[float, float, float]:
    try:
        red, green, blue = (float(value) for value in values)
    except ValueError:
        raise CapabilityError(f"{where}: expected three numbers, got {' '.join(values)!r}") \
            from None
    if not all(np.isfinite((red, green, blue))):
        raise CapabilityError(f"{where}: colours must be finite numbers")
    return red, green, blue


def write_cube(cube: Cube, path: Path) -> Path:
    """Write `cube` as a .cube file ffmpeg's lut3d reads."""
    lines = [f"LUT_3D_SIZE {cube.size}",
             "DOMAIN_MIN " + " ".join(f"{value:.6f}" for value in cube.domain_min),
             "DOMAIN_MAX " + " ".join(f"{value:.6f}" for value in cube.domain_max)]
    lines += [f"{red:.6f} {green:.6f} {blue:.6f}" for red, green, blue in cube.table.reshape(-1, 3)]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


def lut3d_filter(path: Path) -> str:
    return f"lut3d=file={filter_value(str(path))}:interp=tetrahedral"
