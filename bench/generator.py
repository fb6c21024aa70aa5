"""Comparison 5: ``pubsub-gen`` on 100 Avro + 100 JSON Schema topics vs ``datamodel-codegen``.

Three commands, each a child process timed by wall clock, with its peak resident memory from
``os.wait4`` (the largest of the process and the children it waited for, e.g. ruff), measured
by the small launcher ``bench._rusage``:

- full: ``pubsub-gen`` into an empty folder (every topic rendered, formatted, written);
- no-op: the same command again, nothing changed (the goal: at most 0.05x of the full run);
- ``datamodel-codegen`` directory mode on the JSON schemas alone, its default formatters.

Both sides run from compiled bytecode, as after ``pip install``: the development environment
installs ``pubsub_gen`` and ``pubsub_runtime`` in editable mode, where a machine that sets
``PYTHONDONTWRITEBYTECODE`` (as this one does) would compile their sources again in every run,
so their bytecode is written once before the first repetition.
"""

from __future__ import annotations

import compileall
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bench._cpu import machine_busy
from bench._harness import BenchError, Run, alternate
from bench.payloads import REPO
from bench.synth import write_schemas

_BIN = Path(sys.executable).parent


def _measure(command: list[str], cwd: Path, log: Path) -> tuple[float, float, float, float]:
    """Wall seconds, CPU seconds (user + sys, children included), peak RSS in MB, and the cores
    the rest of the machine kept busy meanwhile (-1 where that cannot be read): pubsub-gen
    uses both cores, datamodel-codegen one, so other work slows the first more."""
    result_file = log.with_suffix(".usage.json")
    busy_before = machine_busy()
    with log.open("ab") as out:
        done = subprocess.run(
            [sys.executable, "-m", "bench._rusage", str(result_file), *command],
            cwd=cwd,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    busy_after = machine_busy()
    usage = json.loads(result_file.read_text()) if done.returncode == 0 else {"exit": -1}
    if usage["exit"] != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise BenchError(f"{Path(command[0]).name} exited {usage['exit']} (log {log}):\n{tail}")
    others = -1.0
    if busy_before is not None and busy_after is not None and usage["wall"] > 0:
        others = max(0.0, busy_after - busy_before - usage["cpu"]) / usage["wall"]
    return usage["wall"], usage["cpu"], usage["rss_mb"], others


def generator(run: Run) -> None:
    avro, json_count = (5, 5) if run.quick else (100, 100)
    root = run.workdir / "generator"
    everything, json_only = write_schemas(root, avro, json_count)
    log = run.log_dir / "generator.log"
    print(f"generator: {avro} Avro + {json_count} JSON Schema topics", flush=True)
    if not run.quick:  # quick mode times nothing: no bytecode to write into the sources
        _compile_our_packages()
    sides = ("pubsub-gen", "datamodel-codegen")
    # Three times the run's repetitions: one takes seconds, and a run that keeps both cores
    # busy (pubsub-gen) moves more with whatever else the machine does than a run on one.
    reps = run.reps if run.quick else 3 * run.reps

    def dmcg_command(out: Path) -> list[str]:
        return [
            str(_BIN / "datamodel-codegen"),
            *("--input", str(json_only), "--input-file-type", "jsonschema"),
            *("--output", str(out), "--output-model-type", "pydantic_v2.BaseModel"),
            *("--target-python-version", "3.11"),
        ]

    def ours_command(out: Path) -> list[str]:
        package = ("--package", "synth_events")
        return [str(_BIN / "pubsub-gen"), str(everything), "--out", str(out), *package]

    if not run.quick:  # one untimed run of each first: the files both import come from disk
        for command in (dmcg_command(root / "warm-dmcg"), ours_command(root / "warm-ours")):
            _measure(command, root, log)
    for rep in range(reps):
        out = root / f"out-{rep}"
        dmcg_out = root / f"dmcg-{rep}"
        for side in alternate(sides, rep):
            if side == "datamodel-codegen":
                _record(run, "dmcg", *_measure(dmcg_command(dmcg_out), root, log))
                if not list(dmcg_out.glob("*.py")):
                    raise BenchError("datamodel-codegen wrote no modules")
                continue
            command = ours_command(out)
            _record(run, "full", *_measure(command, root, log))
            modules = list((out / "synth_events").glob("*.py"))
            if len(modules) < avro + json_count:
                raise BenchError(
                    f"pubsub-gen wrote {len(modules)} modules for {avro + json_count} topics"
                )
            before = {p: p.stat().st_mtime_ns for p in out.rglob("*.py")}
            _record(run, "noop", *_measure(command, root, log))
            rewritten = [p for p, mtime in before.items() if p.stat().st_mtime_ns != mtime]
            if rewritten:
                raise BenchError(f"the no-op rerun rewrote {len(rewritten)} files")
        print(
            f"  rep {rep + 1}: full {run.samples['gen.full.wall'][-1]:.2f} s, no-op "
            f"{run.samples['gen.noop.wall'][-1]:.2f} s, datamodel-codegen "
            f"{run.samples['gen.dmcg.wall'][-1]:.2f} s{_others(run)}",
            flush=True,
        )
        shutil.rmtree(out)
        shutil.rmtree(dmcg_out)
    _rows(run, avro, json_count)


def _compile_our_packages() -> None:
    """Write the bytecode of the packages the development environment installs editable (the
    library side's was written by pip)."""
    import pubsub_gen
    import pubsub_runtime

    for package in (pubsub_gen, pubsub_runtime):
        folder = Path(package.__path__[0])
        if not compileall.compile_dir(folder, quiet=2):
            raise BenchError(f"cannot compile {folder}")


def _record(run: Run, name: str, wall: float, cpu: float, rss: float, others: float) -> None:
    run.add(f"gen.{name}.wall", wall)
    run.add(f"gen.{name}.cpu", cpu)
    run.add(f"gen.{name}.rss", rss)
    if others >= 0:
        run.add(f"gen.{name}.others", others)


def _others(run: Run) -> str:
    """What the rest of the machine used during the repetition's two timed runs."""
    full, dmcg = run.samples.get("gen.full.others"), run.samples.get("gen.dmcg.others")
    if not full or not dmcg:
        return ""
    return f" (other processes: {full[-1]:.2f} and {dmcg[-1]:.2f} cores)"


def _rows(run: Run, avro: int, json_count: int) -> None:
    def seconds(key: str) -> str:
        return f"{run.median(key):.2f} s"

    def megabytes(key: str) -> str:
        return f"{run.median(key):.0f} MB"

    ratio = run.paired_ratio("gen.full.wall", "gen.dmcg.wall")
    run.row(
        f"Generator wall time: pubsub-gen {avro} Avro + {json_count} JSON vs "
        f"datamodel-codegen {json_count} JSON",
        seconds("gen.full.wall"),
        seconds("gen.dmcg.wall"),
        ratio,
        "<= 0.60x",
    )
    ratio = run.paired_ratio("gen.full.cpu", "gen.dmcg.cpu")
    run.row(
        "Generator CPU time (incl. child processes): same runs",
        seconds("gen.full.cpu"),
        seconds("gen.dmcg.cpu"),
        ratio,
        "",
    )
    ratio = run.paired_ratio("gen.noop.wall", "gen.full.wall")
    run.row(
        "Generator no-op rerun vs full run (pubsub-gen)",
        seconds("gen.noop.wall"),
        seconds("gen.full.wall"),
        ratio,
        "<= 0.05x",
    )
    ratio = run.paired_ratio("gen.full.rss", "gen.dmcg.rss")
    run.row(
        "Generator peak RSS: pubsub-gen full run vs datamodel-codegen",
        megabytes("gen.full.rss"),
        megabytes("gen.dmcg.rss"),
        ratio,
        "",
    )
    ratio = run.paired_ratio("gen.noop.rss", "gen.full.rss")
    run.row(
        "Generator peak RSS: no-op rerun vs full run",
        megabytes("gen.noop.rss"),
        megabytes("gen.full.rss"),
        ratio,
        "",
    )
