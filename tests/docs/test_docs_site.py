"""The documentation site builds with --strict, every page of the navigation is built, and
every code example on it is a file that a test uses."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from docs_support import DOCS, DOCS_SRC, REPO, SNIPPET, included_files
from mkdocs.config import load_config

from pubsub_gen.cli import main as pubsub_gen_main
from pubsub_runtime.cli import main as pubsub_runtime_main

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)$")
# Fences whose content is not a code example: diagrams.
NOT_EXAMPLES = {"mermaid"}
# Folders whose files pages may include besides docs_src/: real files of the repository
# (the golden record and the schemas), tested by the rest of the suite.
INCLUDABLE = (DOCS_SRC, REPO / "generated_example", REPO / "schemas")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``mkdocs build --strict`` of the real configuration, into a temporary folder."""
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=REPO,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}{done.stderr}"
    return out


def nav_pages(nav: Any) -> Iterator[str]:
    """The Markdown files named anywhere in a ``nav`` tree."""
    if isinstance(nav, str):
        yield nav
    elif isinstance(nav, list):
        for item in nav:
            yield from nav_pages(item)
    elif isinstance(nav, dict):
        for value in nav.values():
            yield from nav_pages(value)


def built_page(site: Path, page: str) -> Path:
    """Where mkdocs (with directory URLs) writes ``page``."""
    stem = page.removesuffix(".md")
    if stem == "index" or stem.endswith("/index"):
        return site / stem.removesuffix("index") / "index.html"
    return site / stem / "index.html"


def test_every_page_in_the_navigation_is_built(site: Path) -> None:
    config = load_config(str(REPO / "mkdocs.yml"))
    pages = list(nav_pages(config["nav"]))
    assert pages, "the navigation names no page"
    missing = [page for page in pages if not built_page(site, page).is_file()]
    assert missing == [], f"pages in the nav that were not built: {missing}"


def test_every_page_is_in_the_navigation() -> None:
    config = load_config(str(REPO / "mkdocs.yml"))
    in_nav = set(nav_pages(config["nav"]))
    on_disk = {page.relative_to(DOCS).as_posix() for page in DOCS.rglob("*.md")}
    assert sorted(on_disk - in_nav) == []


def test_the_cli_reference_shows_every_command(site: Path) -> None:
    # pubsub-gen loads its subcommands lazily, which mkdocs-click cannot see by itself: the
    # page lists them one by one, and this keeps the list complete.
    page = built_page(site, "reference/cli.md").read_text(encoding="utf-8")
    headings = set(re.findall(r'<h[1-4] id="([^"]+)"', page))
    commands = []
    for prog, group in (("pubsub-gen", pubsub_gen_main), ("pubsub-runtime", pubsub_runtime_main)):
        names = group.list_commands(click.Context(group))
        commands += [f"{prog}-{name}" for name in names]
    assert [c for c in commands if c not in headings] == []
    for option in ("--workers", "--mode", "--against", "--dry-run", "--check"):
        assert option in page


def code_blocks(page: Path) -> Iterator[tuple[int, str, list[str]]]:
    """(line number, info string, content lines) of every fenced block of a page."""
    lines = page.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        start, fence = index, opening["fence"]
        content: list[str] = []
        index += 1
        while index < len(lines) and lines[index].strip() != fence:
            content.append(lines[index])
            index += 1
        yield start + 1, opening["info"].strip(), content
        index += 1


def test_every_code_block_includes_a_file() -> None:
    inline = []
    for page in sorted(DOCS.rglob("*.md")):
        for line, info, content in code_blocks(page):
            language = info.split()[0] if info else ""
            if language in NOT_EXAMPLES:
                continue
            body = [text for text in content if text.strip()]
            if not body or not all(SNIPPET.match(text) for text in body):
                inline.append(f"{page.relative_to(REPO)}:{line}")
    assert inline == [], (
        'code blocks must only include files (--8<-- "docs_src/..."), so that tests run '
        f"them: {inline}"
    )


def test_pages_include_only_files_the_suite_checks() -> None:
    outside = [
        str(path.relative_to(REPO))
        for path in included_files()
        if not any(path.is_relative_to(folder) for folder in INCLUDABLE)
    ]
    assert outside == []
    missing = [str(path.relative_to(REPO)) for path in included_files() if not path.is_file()]
    assert missing == []


def example_files() -> list[Path]:
    return sorted(
        path
        for path in DOCS_SRC.rglob("*")
        if path.is_file() and path.name != "__init__.py" and "__pycache__" not in path.parts
    )


def test_every_example_is_on_a_page() -> None:
    included = included_files()
    orphans = [str(path.relative_to(REPO)) for path in example_files() if path not in included]
    assert orphans == []


def test_every_example_is_used_by_a_test() -> None:
    """Each docs_src file is named (as a path or a module) in one of the docs tests."""
    tests = "\n".join(
        path.read_text(encoding="utf-8")
        for path in Path(__file__).parent.glob("*.py")
        if path.name != Path(__file__).name
    )
    unused = []
    for path in example_files():
        relative = path.relative_to(DOCS_SRC)
        module = "docs_src." + ".".join(relative.with_suffix("").parts)
        # A test may name the file, its module, or a folder it copies whole (two levels deep
        # at least, such as "how_to/evolve").
        names = {relative.as_posix(), module}
        names |= {parent.as_posix() for parent in relative.parents if len(parent.parts) >= 2}
        if not any(re.search(rf"[\"\s]{re.escape(name)}\b", tests) for name in names):
            unused.append(str(path.relative_to(REPO)))
    assert unused == []
