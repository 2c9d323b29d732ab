"""BLAS thread limits for the per-series model fits, so the fits never oversubscribe the cores.

Each statsmodels fit is tiny; OpenBLAS threads only spin against each other (and against the sibling
worker process). Spawned pool children get single-threaded BLAS through their environment: OpenBLAS reads
it when it loads, which happens in the child before any pool initializer could run. In-process fits
(workers=1, e.g. inside a Dramatiq worker) limit the already loaded OpenBLAS libraries for the duration
and restore the previous setting. OpenMP is deliberately left alone: XGBoost needs both cores.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

CHILD_ENVIRONMENT = {
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}
# (setter, getter) symbol pairs of OpenBLAS builds: plain, scipy-openblas32, scipy-openblas64.
OPENBLAS_SYMBOLS = (
    ("openblas_set_num_threads", "openblas_get_num_threads"),
    ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
)


@contextmanager
def single_threaded_children() -> Iterator[None]:
    """Within the block, processes started by this one inherit single-threaded BLAS settings."""
    saved = {name: os.environ.get(name) for name in CHILD_ENVIRONMENT}
    os.environ.update(CHILD_ENVIRONMENT)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def limited_blas_threads(threads: int = 1) -> Iterator[None]:
    """Within the block, every OpenBLAS loaded in this process uses at most `threads` threads."""
    controls = _openblas_controls()
    previous = [(setter, getter()) for setter, getter in controls]
    for setter, _ in controls:
        setter(threads)
    try:
        yield
    finally:
        for setter, count in previous:
            setter(count)


def _openblas_controls() -> list[tuple[Callable[..., Any], Callable[..., Any]]]:
    """(set, get) thread-count functions of the OpenBLAS libraries mapped into this process (Linux only)."""
    maps = Path("/proc/self/maps")
    if not maps.exists():
        return []
    paths = sorted({line.split()[-1] for line in maps.read_text().splitlines() if "openblas" in line.lower()})
    controls: list[tuple[Callable[..., Any], Callable[..., Any]]] = []
    for path in paths:
        with suppress(OSError):
            library = ctypes.CDLL(path)
            for set_name, get_name in OPENBLAS_SYMBOLS:
                if hasattr(library, set_name) and hasattr(library, get_name):
                    setter, getter = getattr(library, set_name), getattr(library, get_name)
                    setter.argtypes, setter.restype = [ctypes.c_int], None
                    getter.argtypes, getter.restype = [], ctypes.c_int
                    controls.append((setter, getter))
                    break
    return controls
