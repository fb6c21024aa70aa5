"""``python -m bench._rusage RESULT.json COMMAND...``: run COMMAND, write its wall time and usage.

Why a launcher: Linux keeps a process's peak RSS across ``exec`` and a forked child starts
from its parent's, so a command started straight from the (large) benchmark process would
report the benchmark's memory. Started from this small process instead, the command's
``ru_maxrss`` (from ``os.wait4``: the process and the children it waited for) is its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def main() -> None:
    target, command = sys.argv[1], sys.argv[2:]
    start = time.monotonic()
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - start
    result = {
        "exit": os.waitstatus_to_exitcode(status),
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
    }
    with open(target, "w") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
