"""The golden cases show what they are named for, and their one command regenerates them.

(That each case's checked-in output is what the generator writes today is asserted in
``test_gen_golden.py``; that it type-checks, by ``make typecheck``; its generated tests run with
the suite.)
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import golden_cases
import pytest
from gen_support import imported, record

CASES = {case.name: case for case in golden_cases.cases()}


def _topics(name: str) -> dict[str, Any]:
    """The case's generated ``TOPICS``, imported from its checked-in output."""
    case = CASES[name]
    with imported(case.expected, case.package) as package:
        return dict(package.TOPICS)


def test_there_are_the_repositorys_case_and_four_to_six_folders() -> None:
    assert golden_cases.EXAMPLE in CASES
    assert CASES[golden_cases.EXAMPLE].expected == golden_cases.REPO / "generated_example"
    assert 4 <= len(CASES) - 1 <= 6
    packages = [case.package for case in CASES.values()]
    assert len(set(packages)) == len(packages), "one mypy run over all needs distinct packages"


def test_avro_only() -> None:
    topics = _topics("avro_only")
    assert len(topics) >= 3
    assert {(t.schema_type, t.encoding) for t in topics.values()} == {("AVRO", "JSON")}


def test_jsonschema_only() -> None:
    topics = _topics("jsonschema_only")
    assert len(topics) >= 2
    assert {(t.schema_type, t.encoding) for t in topics.values()} == {("JSON_SCHEMA", "JSON")}


def test_binary_encoding_by_default_and_json_where_a_topic_says_so() -> None:
    topics = _topics("binary_encoding")
    assert {name: t.encoding for name, t in topics.items()} == {
        "reading_taken": "BINARY",
        "calibration_changed": "JSON",
    }


def test_name_collisions_are_renamed_by_configuration_and_rules() -> None:
    case = CASES["name_collisions"]
    with imported(case.expected, case.package) as package:
        shop, supplier = package.TOPICS["shop-order"], package.TOPICS["supplier_order"]
        assert (shop.model.__name__, supplier.model.__name__) == ("Order", "SupplierOrder")
        assert package.ShopOrderPublisher.__name__ == "ShopOrderPublisher"
        # Two records called Item in two namespaces: the second takes its full name.
        items = {name: shop.named_types[name].__name__ for name in shop.named_types}
        assert items["com.shop.Item"] == "Item"
        assert items["com.supplier.Item"] == "ComSupplierItem"
        aliases = {name: info.alias for name, info in shop.model.model_fields.items()}
        assert {name: aliases[name] for name in ("class_", "from_", "json_", "model_config_")} == {
            "class_": "class",
            "from_": "from",
            "json_": "json",
            "model_config_": "model_config",
        }
        wire = {"first-name": "Ann", "1st": True, "with space": "x", "class": "c", "json": "j"}
        assert json.loads(supplier.encode(supplier.decode(json.dumps(wire).encode()))) == wire


def test_several_subscriptions_on_one_topic() -> None:
    case = CASES["subscriptions"]
    package_name = case.package
    with imported(case.expected, package_name):
        importlib.import_module(f"{package_name}.handlers")
        broker = importlib.import_module(f"{package_name}.broker").broker
        subscribed = sorted((s.topic_name, s.subscription_name) for s in broker.subscribers)
    assert subscribed == [
        ("door_opened", "warehouse-service.door_opened"),  # the default: <service>.<topic>
        ("stock_low", "stock-low-purchasing"),
        ("warehouse.parcel-scanned", "parcel-scanned-audit"),
        ("warehouse.parcel-scanned", "parcel-scanned-billing"),
        ("warehouse.parcel-scanned", "parcel-scanned-tracking"),
    ]


def _case(root: Path, out: str = "expected") -> golden_cases.Case:
    root.mkdir()
    (root / "pyproject.toml").write_text(
        f'[tool.pubsub-gen]\nschemas = "schemas"\nout = "{out}"\npackage = "scratch_case"\n'
    )
    (root / "schemas").mkdir()
    (root / "schemas" / "alpha.avsc").write_text(
        json.dumps(record("Alpha", {"name": "a", "type": "int"}))
    )
    return golden_cases.Case("scratch", root)


def test_regenerating_a_case_replaces_its_output_and_names_what_changed(tmp_path: Path) -> None:
    case = _case(tmp_path / "case")
    first = golden_cases.regenerate(case)
    assert "missing: expected/scratch_case/alpha.py (generated, not checked in)" in first
    assert "missing: pubsub-gen.lock (generated, not checked in)" in first
    package = case.expected / "scratch_case"
    fresh = golden_cases.outputs(case, case.root)
    (package / "alpha.py").write_text("# edited\n")
    (package / "handlers" / "alpha.py").unlink()  # a user file: written afresh too
    (package / "stray.py").write_text("VALUE = 1\n")
    (package / ".hidden").write_text("ignored\n")

    assert golden_cases.regenerate(case) == [
        "different: expected/scratch_case/alpha.py",
        "missing: expected/scratch_case/handlers/alpha.py (generated, not checked in)",
        "extra: expected/scratch_case/stray.py (checked in, not generated)",
    ]
    assert golden_cases.outputs(case, case.root) == fresh
    assert not (package / ".hidden").exists(), "the output folder is replaced as a whole"
    assert golden_cases.regenerate(case) == []


def test_the_first_diff_shows_the_start_of_a_changed_file(tmp_path: Path) -> None:
    case = _case(tmp_path / "case")
    golden_cases.regenerate(case)
    target = case.expected / "scratch_case" / "alpha.py"
    target.write_text(target.read_text().replace("class Alpha(", "class Edited("))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    golden_cases.generate(case, scratch)
    diff = golden_cases.first_diff(case, scratch)
    assert diff[0] == "--- expected/scratch_case/alpha.py (checked in)"
    assert "-class Edited(BaseModel):" in diff and "+class Alpha(BaseModel):" in diff


@pytest.mark.parametrize("out", [".", "..", "schemas/.."])
def test_an_out_folder_that_would_replace_the_case_is_refused(tmp_path: Path, out: str) -> None:
    case = _case(tmp_path / "case", out=out)
    with pytest.raises(ValueError, match="out must be a folder inside the case"):
        golden_cases.regenerate(case)
    assert (case.root / "schemas" / "alpha.avsc").exists()
