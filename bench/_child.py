"""Entry point of a child process: ``python -m bench._child SIDE ARGS_JSON``.

Prints ``BENCH_RESULT {json}`` on success; any failure (including a wrong message) exits
non-zero with a traceback on stderr. ``BENCH_PROFILE=DIR`` writes a CPU-time cProfile of the
side there (and prints its top entries to stderr, i.e. the side's log).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

from bench._harness import CPUS_VARIABLE, RESULT_PREFIX


def _sides() -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
    # Imported lazily: the FastPubSub side runs under another interpreter with other packages.
    side = sys.argv[1]
    if side.startswith("receive-"):
        from bench import _sides_receive

        return _sides_receive.SIDES
    if side.startswith("latency-"):
        from bench import _sides_flow

        return _sides_flow.SIDES
    from bench import _sides_other

    return _sides_other.SIDES


def main() -> None:
    side, args = sys.argv[1], json.loads(sys.argv[2])
    cpus = os.environ.get(CPUS_VARIABLE)
    if cpus:  # before any thread starts: the threads of gRPC inherit it
        os.sched_setaffinity(0, {int(cpu) for cpu in cpus.split(",")})
    run = _sides()[side]
    profile_dir = os.environ.get("BENCH_PROFILE")
    if profile_dir:
        import cProfile
        import pstats
        import time

        profiler = cProfile.Profile(time.process_time)  # CPU, not the idle wait for messages
        result = profiler.runcall(run, args)
        target = os.path.join(profile_dir, f"{side}-{os.getpid()}.prof")
        profiler.dump_stats(target)
        pstats.Stats(target, stream=sys.stderr).sort_stats("tottime").print_stats(30)
    else:
        result = run(args)
    print(RESULT_PREFIX + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
