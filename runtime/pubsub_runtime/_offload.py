"""Run CPU-bound work in a process pool from a handler, without blocking the event loop.

``await run_in_process(func, *args, **kwargs)`` runs ``func`` in a shared
``ProcessPoolExecutor``, created on first use and shut down with the ``FastPubSub`` app. The pool
uses the ``spawn`` start method: forking a process that runs gRPC threads is unsafe. ``func`` and
its arguments must therefore be picklable (a module-level function, not a lambda or a closure).
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import ParamSpec, TypeVar

_P = ParamSpec("_P")
_T = TypeVar("_T")

POOL_SIZE_VARIABLE = "PUBSUB_RUNTIME_PROCESS_POOL_SIZE"

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_max_workers: int | None = None


def configure_process_pool(max_workers: int | None = None) -> None:
    """Set the pool size (default: ``PUBSUB_RUNTIME_PROCESS_POOL_SIZE``, else the CPU count).

    Takes effect when the pool is next created; call it before the first ``run_in_process``.
    """
    global _max_workers
    if max_workers is not None and max_workers < 1:
        raise ValueError("max_workers must be at least 1")
    _max_workers = max_workers


def process_pool() -> ProcessPoolExecutor:
    """The shared pool, created on first use."""
    global _pool
    with _lock:
        if _pool is None:
            size = _max_workers or _size_from_environment()
            _pool = ProcessPoolExecutor(
                max_workers=size, mp_context=multiprocessing.get_context("spawn")
            )
        return _pool


def _size_from_environment() -> int | None:
    value = os.environ.get(POOL_SIZE_VARIABLE, "").strip()
    if not value:
        return None
    try:
        size = int(value)
    except ValueError:
        raise ValueError(f"{POOL_SIZE_VARIABLE} must be an integer, got {value!r}") from None
    if size < 1:
        raise ValueError(f"{POOL_SIZE_VARIABLE} must be at least 1, got {size}")
    return size


async def run_in_process(func: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """Run ``func(*args, **kwargs)`` in the shared process pool and await its result.

    Exceptions raised by ``func`` are re-raised here, so a failing computation nacks the
    message like any other handler error.
    """
    loop = asyncio.get_running_loop()
    call = functools.partial(func, *args, **kwargs)
    return await loop.run_in_executor(process_pool(), call)


def shutdown_process_pool(*, wait: bool = True) -> None:
    """Shut the shared pool down if it was created (pending work is cancelled)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=wait, cancel_futures=True)
