"""Step 5: compare the formatted output with the destination and write only what changed.

Files the tool owns are replaced when their content differs and removed when no topic
produces them any more (recognized by their header). Files owned by the user (handler stubs,
test skeletons) are written only when missing, and never count as stale.

Nothing is written through a symbolic link to a folder inside the output folder: that could put
files anywhere (``out/<package>`` linked to another project). Such a link is refused before
anything is written; a linked file is replaced by the written file, never written through.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from pubsub_gen.output import RenderedFile, is_generated


@dataclass(frozen=True)
class Plan:
    """What a run would change under ``out``."""

    out: Path
    create: tuple[RenderedFile, ...] = ()
    update: tuple[RenderedFile, ...] = ()
    unchanged: tuple[RenderedFile, ...] = ()
    remove: tuple[Path, ...] = ()  # generated files no topic produces any more
    user_skipped: tuple[RenderedFile, ...] = field(default=())  # user files that already exist

    @property
    def stale(self) -> list[str]:
        """One line per file that ``--check`` reports."""
        lines = [f"missing: {self.out / f.path}" for f in self.create if f.owned_by_tool]
        lines += [f"stale: {self.out / f.path}" for f in self.update]
        lines += [f"obsolete: {path}" for path in self.remove]
        return sorted(lines, key=lambda line: line.split(": ", 1)[1])

    def diff(self) -> str:
        """Unified diffs of every change the run would make."""
        chunks: list[str] = []
        for rendered in sorted((*self.create, *self.update), key=lambda f: f.path):
            if not rendered.owned_by_tool:
                continue
            target = self.out / rendered.path
            old = _read(target) or ""
            chunks.extend(
                difflib.unified_diff(
                    old.splitlines(keepends=True),
                    rendered.content.splitlines(keepends=True),
                    fromfile=str(target) if old else "/dev/null",
                    tofile=str(target),
                )
            )
        for path in self.remove:
            old = _read(path) or ""
            chunks.extend(
                difflib.unified_diff(
                    old.splitlines(keepends=True), [], fromfile=str(path), tofile="/dev/null"
                )
            )
        return "".join(chunks)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError):
        return None


class OutputError(Exception):
    """The output folder cannot be written safely (a linked folder inside it)."""


def linked_folder(out: Path, path: PurePath) -> Path | None:
    """The first folder between ``out`` and the file ``path`` (relative to ``out``) that is a
    symbolic link, if any."""
    folder = out
    for part in path.parts[:-1]:
        folder = folder / part
        if folder.is_symlink():
            return folder
        if not folder.exists():
            return None
    return None


def plan(out: Path, files: Sequence[RenderedFile], packages: Sequence[Path]) -> Plan:
    """Compare ``files`` with what is under ``out``; ``packages``: folders the tool owns.

    Raises ``OutputError`` when a folder to write in is a symbolic link.
    """
    # One look per folder: a package has hundreds of files in a few folders.
    folders = {f.path.parent: f.path for f in files}
    links = sorted(
        {link for path in folders.values() if (link := linked_folder(out, path)) is not None}
    )
    if links:
        raise OutputError(
            f"{links[0]} is a symbolic link (to {os.readlink(links[0])}): pubsub-gen writes "
            "only inside the output folder and does not follow links; remove the link"
        )
    create: list[RenderedFile] = []
    update: list[RenderedFile] = []
    unchanged: list[RenderedFile] = []
    skipped: list[RenderedFile] = []
    for rendered in files:
        current = _read(out / rendered.path)
        if current is None and not (out / rendered.path).exists():
            create.append(rendered)
        elif not rendered.owned_by_tool:
            skipped.append(rendered)
        elif current == rendered.content:
            unchanged.append(rendered)
        else:
            update.append(rendered)
    produced = {out / f.path for f in files}
    remove = sorted(
        path
        for package in packages
        if (out / package).is_dir()
        for path in (out / package).rglob("*.py")
        if path not in produced
        and linked_folder(out, path.relative_to(out)) is None
        and is_generated(_read(path) or "")
    )
    return Plan(out, tuple(create), tuple(update), tuple(unchanged), tuple(remove), tuple(skipped))


class Staging:
    """Files written ahead, under temporary names beside their targets, while the run still
    works on others (the rest of the package): ``apply`` renames those whose content it was
    about to write, ``discard`` removes the others and the folders made for them, so that a run
    that fails (or writes something else) leaves nothing behind. File creation is the slow part
    of writing on some file systems (about 1 ms a file on ext4, where writing into an existing
    empty file and renaming it cost a tenth of that); the renames are quick. For files whose
    content is not known yet, ``reserve`` creates empty temporary files in their folders, which
    ``apply`` fills."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self._files: dict[PurePath, tuple[str, Path]] = {}
        self._spare: dict[Path, list[Path]] = {}  # folder -> empty temporary files in it
        self._folders: list[Path] = []  # made by ``stage`` and ``reserve``, parents first

    def stage(self, files: Sequence[RenderedFile]) -> list[RenderedFile]:
        """Write ahead those of ``files`` that a plan would create or update; returns them."""
        staged = []
        for rendered in files:
            target = self.out / rendered.path
            if linked_folder(self.out, rendered.path) is not None:
                continue  # ``plan`` refuses it
            if rendered.owned_by_tool and _read(target) == rendered.content:
                continue  # unchanged
            if not rendered.owned_by_tool and target.exists():
                continue  # the user's: never rewritten
            self._make_folders(target.parent)
            temporary = _write_temporary(target, rendered, self.spare(target.parent))
            self._files[rendered.path] = (rendered.content, temporary)
            staged.append(rendered)
        return staged

    def reserve(self, folders: Mapping[PurePath, int]) -> None:
        """Create, for each folder (relative to ``out``), that many empty temporary files."""
        for folder, count in folders.items():
            if linked_folder(self.out, folder / "_") is not None:
                continue  # ``plan`` refuses it
            target = self.out / folder
            self._make_folders(target)
            spare = self._spare.setdefault(target, [])
            for _ in range(count):
                descriptor, temporary = tempfile.mkstemp(dir=target, prefix=".pubsub-gen-")
                os.close(descriptor)
                spare.append(Path(temporary))

    def spare(self, folder: Path) -> Path | None:
        """An empty temporary file ``reserve`` made in ``folder`` (it is the caller's then)."""
        spare = self._spare.get(folder)
        return spare.pop() if spare else None

    def take(self, rendered: RenderedFile) -> Path | None:
        """The temporary file holding exactly ``rendered``, if staged (it is the caller's then)."""
        staged = self._files.get(rendered.path)
        if staged is None or staged[0] != rendered.content:
            return None
        del self._files[rendered.path]
        return staged[1]

    def discard(self) -> None:
        """Remove every staged file not taken, and the folders made that stay empty."""
        for _, temporary in self._files.values():
            temporary.unlink(missing_ok=True)
        self._files.clear()
        for spare in self._spare.values():
            for temporary in spare:
                temporary.unlink(missing_ok=True)
        self._spare.clear()
        for folder in reversed(self._folders):
            with contextlib.suppress(OSError):  # it holds written files (or someone else's)
                folder.rmdir()
        self._folders.clear()

    def _make_folders(self, folder: Path) -> None:
        missing: list[Path] = []
        while not folder.exists() and folder != folder.parent:
            missing.append(folder)
            folder = folder.parent
        for made in reversed(missing):
            made.mkdir(exist_ok=True)
            self._folders.append(made)


def _write_temporary(target: Path, rendered: RenderedFile, spare: Path | None = None) -> Path:
    """``rendered`` in a temporary file beside ``target`` (readable like a written file): the
    empty ``spare`` when given (see ``Staging.reserve``), else a new one."""
    if spare is not None:
        descriptor, temporary = os.open(spare, os.O_WRONLY | os.O_TRUNC), str(spare)
    else:
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(rendered.content)
        os.chmod(temporary, 0o644)  # mkstemp makes files private
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(temporary)


def apply(plan: Plan, staging: Staging | None = None) -> list[Path]:
    """Carry out ``plan``; each file is replaced atomically (a file staged with the content to
    write is renamed into place). Returns the paths written."""
    written: list[Path] = []
    for rendered in (*plan.create, *plan.update):
        target = plan.out / rendered.path
        temporary = staging.take(rendered) if staging is not None else None
        if temporary is None:
            spare = staging.spare(target.parent) if staging is not None else None
            if spare is None:
                target.parent.mkdir(parents=True, exist_ok=True)
            temporary = _write_temporary(target, rendered, spare)
        try:
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        written.append(target)
    for path in plan.remove:
        path.unlink()
    return written
