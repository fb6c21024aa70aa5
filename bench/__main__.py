"""``python -m bench [all | COMPARISON ...] [--quick] [--reps N] [--plot PNG] [--json FILE]``.

Comparisons: receive, fastpubsub, streams, latency, workers, publish, generator, revisions.
One emulator serves the run (started here unless ``--emulator-host`` names a running one).
``--quick`` runs tiny sizes once, without FastPubSub, and only checks that every path delivered
every message correctly: it fails (exit 1) on any wrong or missing message, never on a timing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench._cpu import pid_listening_on
from bench._harness import BenchError, Run
from bench.payloads import GENERATED_EXAMPLE, generate_bench_package

COMPARISONS = (
    "receive",
    "fastpubsub",
    "streams",
    "latency",
    "workers",
    "publish",
    "generator",
    "revisions",
)
_NEEDS_EMULATOR = {"receive", "fastpubsub", "streams", "latency", "workers", "publish"}


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "comparisons",
        nargs="*",
        default=["all"],
        help=f"all (default) or some of: {', '.join(COMPARISONS)}",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes, one repetition, correctness only (CI smoke run)",
    )
    parser.add_argument("--reps", type=int, default=None, help="repetitions (default 3)")
    parser.add_argument("--emulator-host", help="use this running emulator (HOST:PORT)")
    parser.add_argument("--plot", type=Path, help="write the PNG plot here")
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--markdown", type=Path, help="write the markdown table here")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    args = parser.parse_args(argv)
    chosen = set(args.comparisons)
    if "all" in chosen:
        chosen = set(COMPARISONS)
    unknown = chosen - set(COMPARISONS)
    if unknown:
        parser.error(f"unknown comparison(s): {', '.join(sorted(unknown))}")
    args.chosen = [c for c in COMPARISONS if c in chosen]
    return args


@contextlib.contextmanager
def _emulator(host: str | None, needed: bool) -> Iterator[str]:
    if not needed:
        yield ""
        return
    if host:
        yield host
        return
    from pubsub_runtime.testing import start_emulator

    emulator = start_emulator(project_id="bench")
    try:
        print(f"emulator on {emulator.host} (pid {emulator.pid})", flush=True)
        yield emulator.host
    finally:
        emulator.stop()


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    quick = bool(args.quick)
    reps = 1 if quick and args.reps is None else (args.reps or 3)
    workdir = Path(tempfile.mkdtemp(prefix="pubsub-bench-"))
    started = time.monotonic()
    needs_emulator = bool(_NEEDS_EMULATOR & set(args.chosen))
    try:
        generated = generate_bench_package(workdir)
        sys.path[:0] = [str(generated), str(GENERATED_EXAMPLE)]
        with _emulator(args.emulator_host, needs_emulator) as host:
            if host:
                os.environ["PUBSUB_EMULATOR_HOST"] = host
            run = Run(
                quick=quick,
                reps=reps,
                workdir=workdir,
                generated=generated,
                emulator_host=host,
                emulator_pid=pid_listening_on(int(host.rsplit(":", 1)[1])) if host else None,
            )
            _run(run, args.chosen)
    except BenchError as exc:
        print(f"\nBENCH FAILED: {exc}", file=sys.stderr)
        print(f"logs kept in {workdir}", file=sys.stderr)
        return 1
    print(
        f"\n{len(run.rows)} rows, {reps} repetition(s), "
        f"{time.monotonic() - started:.0f} s; medians; ratio = ours / baseline\n"
    )
    print(_table(run))
    for note in run.notes:
        print(f"note: {note}")
    if quick:
        print("\nquick mode: every path delivered every message correctly (no thresholds)")
    if args.json:
        from bench.report import write_json

        write_json(run, args.json)
    if args.markdown:
        from bench.report import markdown

        args.markdown.write_text(markdown(run) + "\n")
    if args.plot:
        from bench.report import plot

        if plot(run, args.plot):
            print(f"plot written to {args.plot}")
    if args.keep:
        print(f"work folder kept: {workdir}")
    else:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def _table(run: Run) -> str:
    from bench.report import table

    return table(run)


def _run(run: Run, chosen: list[str]) -> None:
    from bench import flow, generator, publish, receive

    if "fastpubsub" in chosen:
        if run.quick:
            run.fastpubsub_skip = "not run in --quick mode"
        else:
            from bench._venv import ensure_fastpubsub

            run.fastpubsub_python, run.fastpubsub_skip = ensure_fastpubsub()
    if "receive" in chosen or "fastpubsub" in chosen:
        receive.receive(run, paths="receive" in chosen, fastpubsub="fastpubsub" in chosen)
    if "streams" in chosen:
        receive.streams(run)
    if "latency" in chosen:
        flow.latency(run)
    if "workers" in chosen:
        flow.workers(run)
    if "publish" in chosen:
        publish.publish(run)
    if "generator" in chosen:
        generator.generator(run)
    if "revisions" in chosen:
        from bench import revisions

        revisions.revisions(run)


if __name__ == "__main__":
    sys.exit(main())
