"""BLAS thread limits for the per-series model fits, so the fits never oversubscribe the cores.

Each statsmodels fit is tiny; BLAS threads only spin against each other (and against the sibling worker
process). threadpoolctl limits the BLAS libraries loaded in a process: for the duration of in-process fits
(workers=1, e.g. inside a Dramatiq worker), and for the whole life of a spawned pool child (its
initializer). OpenMP is deliberately left alone: XGBoost needs both cores.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import threadpool_limits


@contextmanager
def limited_blas_threads(threads: int = 1) -> Iterator[None]:
    """Within the block, every BLAS library loaded in this process uses at most `threads` threads."""
    with threadpool_limits(limits=threads, user_api="blas"):
        yield


def single_threaded_blas() -> None:
    """A pool child's initializer: BLAS single-threaded for the rest of the child's life."""
    threadpool_limits(limits=1, user_api="blas")
