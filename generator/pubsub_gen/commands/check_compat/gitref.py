"""Reading a folder as it was at a git ref, into a temporary tree that mirrors the repository."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path


class GitRefError(Exception):
    """The ref or the folder could not be read from git; the message says why."""


def _git(repo: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(
            ["git", *args], cwd=repo, check=True, capture_output=True, timeout=120
        )
    except FileNotFoundError as exc:
        raise GitRefError("git is not installed") from exc
    except subprocess.CalledProcessError as exc:
        reason = exc.stderr.decode(errors="replace").strip().splitlines()
        raise GitRefError(reason[-1] if reason else f"git {args[0]} failed") from exc
    return done.stdout


def repository_root(inside: Path) -> Path:
    start = inside if inside.is_dir() else inside.parent
    while not start.exists():
        start = start.parent
    try:
        top = _git(start, "rev-parse", "--show-toplevel")
    except GitRefError as exc:
        raise GitRefError(f"{inside} is not inside a git repository ({exc})") from exc
    return Path(top.decode().strip()).resolve()


def export_at_ref(ref: str, paths: list[Path], dest: Path) -> Path:
    """Write ``paths`` (files or folders of one repository) as they were at ``ref`` under ``dest``.

    Returns the repository root's counterpart inside ``dest``; a path missing at that ref is
    simply absent (a schemas folder that did not exist yet held no topics).
    """
    if not paths:
        raise GitRefError("nothing to read")
    root = repository_root(paths[0].resolve())
    try:
        _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except GitRefError as exc:
        raise GitRefError(f"unknown git ref {ref!r}") from exc
    present: list[str] = []
    for path in paths:
        try:
            relative = path.resolve().relative_to(root).as_posix() or "."
        except ValueError as exc:
            raise GitRefError(f"{path} is outside the repository {root}") from exc
        if _git(root, "ls-tree", "--name-only", ref, "--", relative).strip():
            present.append(relative)
    dest.mkdir(parents=True, exist_ok=True)
    if present:
        archive = _git(root, "archive", "--format=tar", ref, "--", *present)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(dest, filter="data")
    return dest
