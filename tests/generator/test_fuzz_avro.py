"""Fuzzing the generator with random valid Avro schemas.

Every drawn folder of schemas must generate a package that imports (every module but the test
skeletons), passes ``ruff check`` with the project's settings (one call for the whole run), and
whose TopicSpecs read what fastavro writes and write it back byte for byte (BINARY), also by
way of the Avro JSON encoding; the generated sample of each topic round-trips too.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import zlib
from pathlib import Path
from typing import Any

import fastavro
from avro_random import AvroRandom
from fuzz_strategies import avro_schemas, fuzz_settings, import_all, imported_strictly, ruff_check
from gen_support import REPO, generate, write_schemas
from hypothesis import given
from hypothesis import strategies as st

from pubsub_runtime import TopicSpec
from pubsub_runtime._codecs.avro import for_fastavro

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
DATUMS = 6  # random records per topic


def twin(spec: TopicSpec[Any], encoding: str) -> TopicSpec[Any]:
    return TopicSpec(
        name=spec.name,
        model=spec.model,
        schema_type="AVRO",
        encoding=encoding,
        definition=spec.definition,
        named_types=spec.named_types,
    )


def round_trip(spec: TopicSpec[Any], seed: int) -> int:
    """Random data written by fastavro: decoded, then encoded back to the same bytes."""
    # fastavro misreads types named like its keywords: it gets them renamed (same bytes)
    schema, _ = for_fastavro(json.loads(spec.definition))
    named: dict[str, Any] = {}
    parsed = fastavro.parse_schema(schema, named_schemas=named)
    binary, as_json = twin(spec, "BINARY"), twin(spec, "JSON")
    data = AvroRandom(schema, seed=seed)
    data.named = named  # also the types of a top-level array, map or union
    count = 0
    for index, datum in enumerate(data.many(DATUMS)):
        buffer = io.BytesIO()
        try:
            fastavro.schemaless_writer(buffer, parsed, datum)
        except ValueError:
            # fastavro tries union branches in order and its date writer raises on a string
            # instead of declining it: such data cannot be written, nothing to read back.
            continue
        written = buffer.getvalue()
        model = binary.decode(written)
        assert isinstance(model, spec.model)
        assert binary.encode(model) == written, f"{spec.name} #{index}: binary bytes differ"
        again = as_json.decode(as_json.encode(model))
        assert binary.encode(again) == written, f"{spec.name} #{index}: via Avro JSON"
        count += 1
    return count


def samples_round_trip(modules: list[Any], specs: list[TopicSpec[Any]]) -> None:
    """The generated ``sample_<topic>()`` builds a valid message of its topic."""
    (samples,) = [m for m in modules if m.__name__.endswith(".samples")]
    for name in dir(samples):
        if name.startswith("sample_"):
            message = getattr(samples, name)()
            [spec] = [s for s in specs if isinstance(message, s.model)]
            assert spec.decode(spec.encode(message)) == message, name


def test_random_avro_schemas_generate_code_that_imports_lints_and_round_trips(
    tmp_path: Path,
) -> None:
    folders: list[Path] = []
    cases = itertools.count()
    totals = {"examples": 0, "schemas": 0, "datums": 0}

    @fuzz_settings(EXAMPLES)
    @given(
        documents=st.lists(avro_schemas(), min_size=1, max_size=3),
        encoding=st.sampled_from(["json", "binary"]),
    )
    def check(documents: list[Any], encoding: str) -> None:
        case = next(cases)
        root = tmp_path / f"case{case}"
        stems = [f"topic_{case}_{i}" for i in range(len(documents))]
        files = {f"{s}.avsc": json.dumps(d) for s, d in zip(stems, documents, strict=True)}
        schemas = write_schemas(root / "schemas", files)
        # Payload models of different topics must not share a name: configuration renames.
        topics = {stem: {"model": f"Payload{i}"} for i, stem in enumerate(stems)}
        package = f"fuzz_avro_{case}"
        generate(schemas, root / "out", package=package, encoding=encoding, topics=topics)
        with imported_strictly(root / "out", package) as generated:
            modules = import_all(generated)
            specs = list(generated.TOPICS.values())
            assert len(specs) == len(documents)
            for spec in specs:
                assert json.loads(spec.definition) == documents[stems.index(spec.name)]
                # The data's seed comes from the example, so a failure replays the same data.
                seed = zlib.crc32(spec.definition.encode())
                totals["datums"] += round_trip(spec, seed=seed)
            samples_round_trip(modules, specs)
        folders.append(root / "out")
        totals["examples"] += 1
        totals["schemas"] += len(documents)

    check()
    ruff_check(folders, REPO / "pyproject.toml")
    print(f"\nAvro fuzz: {totals}")
