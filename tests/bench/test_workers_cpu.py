"""What the workers comparison reads from /proc, and the ceiling it derives from it."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository's bench package

from bench import _cpu as cpu
from bench._sides_flow import spin
from bench.flow import _ceilings, _Window

pytestmark = pytest.mark.skipif(not Path("/proc/stat").exists(), reason="reads Linux's /proc")


def test_a_process_cpu_time_grows_with_the_work_it_does() -> None:
    before = cpu.process_cpu(os.getpid())
    busy_before = cpu.machine_busy()
    spin(2_000_000)
    after = cpu.process_cpu(os.getpid())
    busy_after = cpu.machine_busy()
    assert before is not None and after is not None and after - before > 0.02
    assert busy_before is not None and busy_after is not None
    assert busy_after - busy_before >= after - before - 0.02  # the machine did at least that


def test_a_process_that_is_gone_has_no_cpu_time() -> None:
    assert cpu.process_cpu(2**22 + 12345) is None


def test_the_process_listening_on_a_port_is_found() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert cpu.pid_listening_on(server.getsockname()[1]) == os.getpid()
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    assert cpu.pid_listening_on(port) is None


def test_used_is_the_difference_of_two_readings_or_none() -> None:
    first = cpu.read(time.monotonic(), [os.getpid()])
    spin(500_000)
    last = cpu.read(time.monotonic(), [os.getpid(), 2**22 + 12345])
    spent = cpu.used(first, last, os.getpid())
    assert spent is not None and spent >= 0
    assert cpu.used(first, last, 2**22 + 12345) is None


def test_the_ceiling_is_one_core_per_worker_or_every_core_shared_with_the_emulator() -> None:
    # 10,000 messages; workers 2 s of CPU (200 µs/msg), the emulator 0.5 s (50 µs/msg)
    window = _Window(4.0, {1: 5000, 2: 5000}, 2.0, 0.5, 0.0)
    one, two = _ceilings(window, cores=2) or (0.0, 0.0)
    assert one == pytest.approx(5000)  # one worker: its core; the emulator has the other
    assert two == pytest.approx(8000)  # 2 cores / 250 µs per message
    assert two / one == pytest.approx(1.6)
    assert _ceilings(_Window(4.0, {1: 10000}, 2.0, None, None), cores=2) is None


def _allowed(pid: int) -> set[str]:
    """The CPU lists each thread of ``pid`` may run on, as the kernel reports them."""
    lists = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        for line in (task / "status").read_text().splitlines():
            if line.startswith("Cpus_allowed_list:"):
                lists.add(line.split()[1])
    return lists


@pytest.mark.skipif(len(cpu.usable_cpus()) < 2, reason="needs two CPUs to pin to one of them")
def test_every_thread_of_a_process_is_pinned_and_released() -> None:
    import subprocess

    code = "import threading, time; threading.Thread(target=time.sleep, args=(30,)).start()"
    child = subprocess.Popen([sys.executable, "-c", code + "; time.sleep(30)"])
    try:
        deadline = time.monotonic() + 10
        while len(list(Path(f"/proc/{child.pid}/task").iterdir())) < 2:  # its thread started
            assert time.monotonic() < deadline, "the child's thread did not start"
            time.sleep(0.01)
        first = min(cpu.usable_cpus())
        assert cpu.pin_process(child.pid, {first})
        assert _allowed(child.pid) == {str(first)}
        assert cpu.pin_process(child.pid, cpu.usable_cpus())
        assert len(_allowed(child.pid)) == 1 and _allowed(child.pid) != {str(first)}
    finally:
        child.kill()
        child.wait()
    assert not cpu.pin_process(child.pid, {first})  # gone: nothing to pin
