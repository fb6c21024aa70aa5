"""``pubsub_runtime`` imports its public names when first used: importing the package, or one
codec module (as pubsub-gen does), does not import the broker and its Pub/Sub client."""

from __future__ import annotations

import json
import subprocess
import sys
from types import FunctionType

import pytest

import pubsub_runtime
from pubsub_runtime import _codecs

_CLIENT = ("pubsub_runtime._broker", "grpc")


def _imported_after(statement: str) -> list[str]:
    script = (
        f"import json, sys\n{statement}\n"
        f"print(json.dumps([m for m in {_CLIENT!r} if m in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    found: list[str] = json.loads(done.stdout)
    return found


def test_the_package_and_the_codecs_import_no_client() -> None:
    assert _imported_after("import pubsub_runtime") == []
    assert _imported_after("import pubsub_runtime._codecs.avro") == []
    assert _imported_after("import pubsub_runtime._codecs.jsonschema") == []
    assert _imported_after("from pubsub_runtime import PubSubBroker") == list(_CLIENT)


def test_every_public_name_resolves() -> None:
    for package in (pubsub_runtime, _codecs):
        for name in package.__all__:
            assert getattr(package, name) is not None, name
        assert set(package.__all__) <= set(dir(package))
    assert isinstance(_codecs.decode, FunctionType), "the function, not its module"
    assert pubsub_runtime.TopicSpec is _codecs.TopicSpec
    namespace: dict[str, object] = {}
    exec("from pubsub_runtime import *", namespace)
    assert set(pubsub_runtime.__all__) <= namespace.keys()


def test_an_unknown_name_is_an_attribute_error() -> None:
    for package in (pubsub_runtime, _codecs):
        with pytest.raises(AttributeError, match="no_such_name"):
            package.no_such_name  # noqa: B018 - the lookup is the test
