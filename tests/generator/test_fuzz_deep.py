"""Fuzzing the depth limit: schemas nested around ``MAX_DEPTH`` levels.

A drawn schema within the limit generates a package whose modules all import, whose
``samples.py`` compiles (no statement nested deeper than Python's parser takes) and whose
sample round-trips through the topic's codecs; one beyond it is refused in one line naming
the file and the limit, with nothing written.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Any

from fuzz_strategies import deep_avro_schemas, deep_json_schemas, fuzz_settings, import_all
from gen_support import generate, imported, write_schemas
from hypothesis import given

from pubsub_gen import SchemaError
from pubsub_gen.load.discover import MAX_DEPTH
from pubsub_runtime import TopicSpec

# Each example generates a package on its own (a JSON Schema one runs datamodel-code-generator).
EXAMPLES = max(2, int(os.environ.get("FUZZ_EXAMPLES", "150")) // 25)


def check_deep(root: Path, name: str, document: Any, depth: int, **options: Any) -> bool:
    """Whether the schema generated (else it was refused, as it had to be)."""
    schemas = write_schemas(root / "schemas", {name: json.dumps(document)})
    package = root.name
    if depth > MAX_DEPTH:
        try:
            generate(schemas, root / "out", package=package, cache=False, **options)
        except SchemaError as error:
            assert [str(p) for p in error.problems] == [
                f"schemas/{name}: nested deeper than {MAX_DEPTH} levels of objects and arrays, "
                "the most pubsub-gen reads"
            ]
        else:
            raise AssertionError(f"a schema {depth} levels deep was not refused")
        assert not (root / "out").exists()
        return False
    generate(schemas, root / "out", package=package, cache=False, **options)
    source = (root / "out" / package / "samples.py").read_text(encoding="utf-8")
    compile(source, "samples.py", "exec")
    with imported(root / "out", package) as generated:
        modules = import_all(generated)
        (samples,) = [m for m in modules if m.__name__.endswith(".samples")]
        (spec,) = generated.TOPICS.values()
        message = samples.sample_deep()
        assert spec.decode(spec.encode(message)) == message
        if spec.schema_type == "AVRO":  # and in the other encoding
            other = "JSON" if spec.encoding == "BINARY" else "BINARY"
            twin = TopicSpec(
                name=spec.name,
                model=spec.model,
                schema_type="AVRO",
                encoding=other,
                definition=spec.definition,
                named_types=spec.named_types,
            )
            assert twin.decode(twin.encode(message)) == message
    return True


def test_avro_schemas_nested_around_the_limit_generate_or_are_refused(tmp_path: Path) -> None:
    cases = itertools.count()
    seen = {True: 0, False: 0}  # generated, refused

    @fuzz_settings(EXAMPLES)
    @given(drawn=deep_avro_schemas(around=MAX_DEPTH))
    def check(drawn: tuple[Any, int]) -> None:
        document, depth = drawn
        root = tmp_path / f"deep_avro_{next(cases)}"
        seen[check_deep(root, "deep.avsc", document, depth, encoding="binary")] += 1

    check()
    assert seen[True] and seen[False], seen  # both sides of the limit were tried
    print(f"\ndeep fuzz (generated, refused): {seen[True]}, {seen[False]}")


def test_json_schemas_nested_around_the_limit_generate_or_are_refused(tmp_path: Path) -> None:
    cases = itertools.count()
    seen = {True: 0, False: 0}  # generated, refused

    @fuzz_settings(max(3, EXAMPLES // 2))
    @given(drawn=deep_json_schemas(around=MAX_DEPTH))
    def check(drawn: tuple[Any, int]) -> None:
        document, depth = drawn
        root = tmp_path / f"deep_json_{next(cases)}"
        seen[check_deep(root, "deep.json", document, depth)] += 1

    check()
    assert seen[True] and seen[False], seen  # both sides of the limit were tried
    print(f"\ndeep fuzz (generated, refused): {seen[True]}, {seen[False]}")
