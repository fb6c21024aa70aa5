"""pubsub-gen from Python: the same run as the command, for build scripts and tests."""

import sys
from pathlib import Path

from pubsub_gen import SchemaError, generate


def regenerate(schemas: Path, out: Path) -> int:
    try:
        result = generate(schemas, out, package="payments", encoding="binary")
    except SchemaError as error:
        for problem in error.problems:  # one line each: path:pointer: message
            print(problem, file=sys.stderr)
        return 1
    for path in result.written:
        print("wrote", path.relative_to(out))
    return 0


def is_up_to_date(schemas: Path, out: Path) -> bool:
    """What `pubsub-gen --check` does: compare, write nothing."""
    return generate(schemas, out, package="payments", encoding="binary", check=True).up_to_date
