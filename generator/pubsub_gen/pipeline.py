"""The whole run: load -> intermediate model -> render -> format -> write."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pubsub_gen import write
from pubsub_gen.config import Config
from pubsub_gen.format import format_tree
from pubsub_gen.load import load_project
from pubsub_gen.render import RenderedFile, render_project

# After formatting: generated imports are sorted by the generator's own pinned settings, which a
# project's isort configuration (e.g. pubsub_runtime as first-party) must not fight over.
_SKIP_ISORT = "# isort: skip_file\n"


@dataclass(frozen=True)
class GenerateResult:
    """What a run did (or, with ``check``/``diff``, would do)."""

    written: tuple[Path, ...] = ()
    unchanged: tuple[Path, ...] = ()
    removed: tuple[Path, ...] = ()
    stale: tuple[str, ...] = ()  # check/diff: one line per missing, stale or obsolete file
    diff: str = ""
    files: tuple[Path, ...] = field(default=())  # every file the tool owns (and regenerates)
    user_files: tuple[Path, ...] = ()  # the user's files: written when missing, then left alone

    @property
    def up_to_date(self) -> bool:
        return not self.stale


def run(config: Config, *, version: str, check: bool = False, diff: bool = False) -> GenerateResult:
    """Generate the package of ``config``; with ``check`` or ``diff`` nothing is written.

    Raises ``SchemaError`` when any schema is invalid (nothing written then either).
    """
    project = load_project(config)
    rendered = render_project(project, version)
    formatted = _format(rendered)
    package = Path(*project.package.split("."))
    plan = write.plan(config.out, formatted, [package])
    files = tuple(config.out / f.path for f in formatted if f.owned_by_tool)
    user_files = tuple(config.out / f.path for f in formatted if not f.owned_by_tool)
    # Existing user files count as unchanged: a run never rewrites them.
    unchanged = tuple(config.out / f.path for f in (*plan.unchanged, *plan.user_skipped))
    if check or diff:
        return GenerateResult(
            unchanged=unchanged,
            stale=tuple(plan.stale),
            diff=plan.diff() if diff else "",
            files=files,
            user_files=user_files,
        )
    written = write.apply(plan)
    return GenerateResult(
        written=tuple(written),
        unchanged=unchanged,
        removed=plan.remove,
        files=files,
        user_files=user_files,
    )


def _format(files: list[RenderedFile]) -> list[RenderedFile]:
    with tempfile.TemporaryDirectory(prefix="pubsub-gen-") as temporary:
        root = Path(temporary)
        for rendered in files:
            target = root / rendered.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(rendered.content, encoding="utf-8", newline="\n")
        format_tree(root)
        return [
            RenderedFile(
                rendered.path,
                _mark(rendered, (root / rendered.path).read_text(encoding="utf-8")),
                rendered.owned_by_tool,
            )
            for rendered in files
        ]


def _mark(rendered: RenderedFile, content: str) -> str:
    """Generated Python files opt out of the project's import sorting; the user's do not."""
    if rendered.path.suffix != ".py" or not rendered.owned_by_tool:
        return content
    first, _, rest = content.partition("\n")
    return f"{first}\n{_SKIP_ISORT}{rest}"
