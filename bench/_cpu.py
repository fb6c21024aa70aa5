"""CPU time of processes and of the whole machine, read from ``/proc`` (Linux).

Why: on a small machine the benchmark's processes, the emulator's JVM and whatever else runs
share the same cores, so a throughput alone does not say what limited it. These readings split
a measurement window's CPU between them. Elsewhere than Linux every reading is ``None``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_LISTEN = "0A"  # TCP state in /proc/net/tcp


def process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system, all threads) used so far by ``pid``; None once it is gone."""
    try:
        fields = (_PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK


def machine_busy() -> float | None:
    """CPU seconds the machine's cores spent busy (not idle, not waiting for I/O), summed."""
    try:
        values = [int(v) for v in (_PROC / "stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    idle = values[3] + values[4]
    return (sum(values) - idle) / _TICK


def pid_listening_on(port: int) -> int | None:
    """The process listening on TCP ``port`` (this user's processes only), e.g. the emulator."""
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (_PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if parts[3] == _LISTEN and int(parts[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(parts[9])
    if not inodes:
        return None
    sockets = {f"socket:[{inode}]" for inode in inodes}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                if os.readlink(fd) in sockets:
                    return int(entry.name)
        except OSError:
            continue
    return None


def usable_cpus() -> set[int]:
    """The CPUs this process may run on (all of the machine's where that cannot be read)."""
    if hasattr(os, "sched_getaffinity"):
        return set(os.sched_getaffinity(0))
    return set(range(os.cpu_count() or 1))


def pin_process(pid: int, cpus: set[int]) -> bool:
    """Pin every thread of ``pid`` to ``cpus`` (threads it starts later inherit it).

    False when that is not possible here (not Linux, the process gone, not ours).
    """
    try:
        threads = [int(tid) for tid in os.listdir(_PROC / str(pid) / "task")]
        for tid in threads:
            os.sched_setaffinity(tid, cpus)
    except (OSError, AttributeError):
        return False
    return True


@dataclass(frozen=True)
class Reading:
    """CPU seconds used so far: by each watched process, by the machine, at ``time``."""

    time: float
    processes: dict[int, float | None]
    machine: float | None


def read(time: float, pids: list[int]) -> Reading:
    return Reading(time, {pid: process_cpu(pid) for pid in pids}, machine_busy())


def used(start: Reading, end: Reading, pid: int) -> float | None:
    """CPU seconds ``pid`` used between two readings; None when either reading missed it."""
    before, after = start.processes.get(pid), end.processes.get(pid)
    return None if before is None or after is None else after - before
