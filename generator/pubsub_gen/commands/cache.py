"""Content hashes that let a run skip work: the no-op check and three caches.

Everything lives in ``OUT/.pubsub-gen-cache/`` (it holds a ``.gitignore`` of ``*``, so git
never sees it): one manifest per package, the formatted source of each rendered file, and the
JSON Schema models of the last run. Deleting the folder is always safe; a run that cannot read
or write it simply does all the work.

The manifest holds a key over every input of the output and the hash of each file the tool owns,
as written. A run whose key matches, whose tool-owned files still hash the same, whose user
files all exist and with no obsolete generated module to remove is up to date: it stops there,
before importing the renderer. The key covers the generator (its version and the bytes of its
own sources and templates), the libraries that shape the output (by installed version), the
Python version, the effective settings and every schema file's path and bytes.

The JSON Schema models come from one datamodel-code-generator batch whose class names depend
on every schema of it, so they are cached as a whole, under a key of the settings, the
generator and the ``*.json`` schema files: a run that changed only Avro schemas skips the
batch. Formatting is cached per file (``format.source_key``).

This module imports nothing heavy: the no-op run pays only for hashing (``quick_check``, which
the console command calls before importing anything else).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

from pubsub_gen.config import Config
from pubsub_gen.output import HEADER_PREFIX

CACHE_DIR = ".pubsub-gen-cache"
# Bump when the layout of the cache files or what a key covers changes.
_LAYOUT = "1"
# Modules whose code shapes the output: the renderer, the JSON Schema model library, the
# samples' validator, Avro parsing, pydantic (reserved names) and the formatter.
_LIBRARIES = (
    "jinja2",
    "datamodel_code_generator",
    "pydantic",
    "jsonschema",
    "jsonschema_rs",
    "fastavro",
    "ruff",
)
_FORMATTED = "formatted.json"
_JSON_MODELS = "json-models.json"


@dataclass(frozen=True)
class Entry:
    """One output file as the manifest records it."""

    path: PurePosixPath
    owned_by_tool: bool
    digest: str | None  # sha256 of the content the tool wrote (None for the user's files)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Store:
    """The cache folder of one output folder."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.folder = out / CACHE_DIR
        # A linked cache folder could be anywhere: neither read nor written (only costs time).
        self.usable = not self.folder.is_symlink()

    def manifest_path(self, package: str) -> Path:
        return self.folder / f"{package}.manifest.json"

    def up_to_date(self, key: str, package: str) -> list[Entry] | None:
        """The manifest's files when nothing needs doing for ``key``, else None."""
        if not self.usable:
            return None
        try:
            data = json.loads(self.manifest_path(package).read_text(encoding="utf-8"))
            if data.get("key") != key:
                return None
            rows = [(str(p), bool(o), d) for p, o, d in data["files"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        # os.path on strings, not pathlib: this loop is most of a no-op run's own work.
        out = str(self.out)
        produced = set()
        for path, owned_by_tool, recorded in rows:
            target = os.path.join(out, path)
            produced.add(target)
            if not owned_by_tool:
                if not os.path.exists(target):
                    return None  # a missing user file is written again
                continue
            try:
                with open(target, "rb") as stream:
                    if digest(stream.read()) != recorded:
                        return None
            except OSError:
                return None
        package_dir = os.path.join(out, *package.split("."))
        # Every *.py below the package, as ``Path.rglob`` finds them (links to folders are
        # not entered): one the manifest does not list is an obsolete generated module.
        for folder, folders, names in os.walk(package_dir):
            for name in (*folders, *names):
                path = os.path.join(folder, name)
                if name.endswith(".py") and path not in produced and _starts_with_header(path):
                    return None
        return [Entry(PurePosixPath(p), o, d) for p, o, d in rows]

    def save(self, key: str, package: str, entries: Iterable[Entry]) -> None:
        rows = [[e.path.as_posix(), e.owned_by_tool, e.digest] for e in entries]
        self._write(self.manifest_path(package), {"key": key, "files": rows})

    def formatted(self) -> dict[str, str]:
        """sha256 of rendered source -> its formatted source, from earlier runs."""
        if not self.usable:
            return {}
        try:
            data = json.loads((self.folder / _FORMATTED).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("key") != generator_key():
            return {}
        entries = data.get("entries")
        if not isinstance(entries, dict):
            return {}
        return {key: value for key, value in entries.items() if isinstance(value, str)}

    def save_formatted(self, entries: dict[str, str]) -> None:
        """Replace the formatted sources by ``entries`` (one run's files)."""
        self._write(self.folder / _FORMATTED, {"key": generator_key(), "entries": entries})

    def json_models(self, key: str) -> dict[str, Any] | None:
        """The JSON Schema models an earlier run rendered from the same inputs (as encoded by
        ``worker.encode``), or None."""
        if not self.usable:
            return None
        try:
            data = json.loads((self.folder / _JSON_MODELS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("key") != key:
            return None
        models = data.get("models")
        return models if isinstance(models, dict) else None

    def has_json_models(self, key: str) -> bool:
        """Whether the JSON Schema models of ``key`` are cached (read from the file's start, as
        ``_write`` leaves it: ``json_models`` reads the whole file, and may still find it
        damaged)."""
        if not self.usable:
            return False
        start = json.dumps({"key": key}, separators=(",", ":"))[:-1].encode()
        try:
            with (self.folder / _JSON_MODELS).open("rb") as stream:
                return stream.read(len(start)) == start
        except OSError:
            return False

    def save_json_models(self, key: str, models: dict[str, Any]) -> None:
        self._write(self.folder / _JSON_MODELS, {"key": key, "models": models})

    def _write(self, path: Path, data: Any) -> None:
        """Best effort and atomic: a cache that cannot be written only costs time."""
        if not self.usable:
            return
        import tempfile

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists() and not ignore.is_symlink():
                ignore.write_text("# Created by pubsub-gen: a cache, never committed.\n*\n")
            descriptor, temporary = tempfile.mkstemp(dir=self.folder, prefix=f".{path.name}.")
            try:
                # dumps, not dump: only a one-shot encoding takes json's C encoder (5x faster).
                text = json.dumps(data, separators=(",", ":"))
                with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
                    stream.write(text)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError:
            pass


def _starts_with_header(path: str) -> bool:
    try:
        with open(path, "rb") as stream:
            return stream.read(len(HEADER_PREFIX)) == HEADER_PREFIX.encode()
    except OSError:
        return False


@dataclass(frozen=True)
class Keys:
    """The hashes of a run's inputs."""

    output: str  # everything the output depends on
    json_models: str  # what the JSON Schema models depend on: settings, generator, *.json files
    json_files: int  # how many JSON Schema files there are
    unlocked: Any  # the hash of ``output`` before the revision lock file (hashlib's object)

    def output_with(self, lock: Path) -> str:
        """``output`` with the revision lock file as it is now (the run may have written it)."""
        return _with_lock(self.unlocked, lock)


def _with_lock(unlocked: Any, lock: Path) -> str:
    """Hashed last, so that ``Keys.output_with`` need not read the schema files again."""
    output = unlocked.copy()
    try:  # the revision lock file: its revisions are embedded in the generated TopicSpecs
        recorded = lock.read_bytes()
    except OSError:
        recorded = b"absent"
    output.update(b"lock\0" + recorded + b"\0")
    return str(output.hexdigest())


@dataclass(frozen=True)
class Quick:
    """What a run can know from the cache alone (``quick_check``)."""

    up_to_date: int | None  # the number of files up to date when nothing needs doing, else None
    json_files: int  # JSON Schema files of the run
    json_models_cached: bool  # whether their models come from the cache


def quick_check(config: Config, version: str) -> Quick:
    """Whether a run of ``config`` has nothing to do, before anything else is imported."""
    store = Store(config.out)
    if not store.usable or not (
        store.manifest_path(config.package).exists() or (store.folder / _JSON_MODELS).exists()
    ):  # a first run: nothing to hash for
        files = schema_files(str(config.schemas))
        return Quick(None, sum(name.endswith(".json") for name, _ in files), False)
    keys = inputs_keys(config, version)
    entries = store.up_to_date(keys.output, config.package)
    if entries is not None:
        return Quick(len(entries), keys.json_files, True)
    return Quick(None, keys.json_files, store.has_json_models(keys.json_models))


def inputs_keys(config: Config, version: str) -> Keys:
    """Hash everything a run's output depends on (and, apart, what its JSON models do)."""
    output, json_models = hashlib.sha256(), hashlib.sha256()
    for part in (_LAYOUT, version, sys.version, repr(config), generator_key()):
        for h in (output, json_models):
            h.update(part.encode("utf-8", "surrogateescape"))
            h.update(b"\0")
    json_files = 0
    for name, path in schema_files(str(config.schemas)):
        try:
            with open(path, "rb") as stream:
                data = stream.read()
        except OSError as exc:
            data = f"unreadable: {exc}".encode()
        is_json = name.endswith(".json")
        json_files += is_json
        entry = name.encode("utf-8", "surrogateescape") + b"\0" + len(data).to_bytes(8, "big")
        for h in (output, json_models) if is_json else (output,):
            h.update(entry)
            h.update(data)
    return Keys(_with_lock(output, config.lock), json_models.hexdigest(), json_files, output)


def schema_files(schemas: str) -> list[tuple[str, str]]:
    """(name relative to ``schemas`` in POSIX form, path) of every schema file: the files
    ``load.discover.find_schema_files`` finds (a test holds them equal), found with ``os``
    alone (pathlib's globbing costs more than the hashing on a no-op run)."""
    found = []
    for folder, folders, names in os.walk(schemas):
        folders[:] = [f for f in folders if not f.startswith(".")]
        relative = os.path.relpath(folder, schemas).replace(os.sep, "/")
        prefix = "" if relative == "." else relative + "/"
        for name in names:
            if name.startswith(".") or not name.endswith((".avsc", ".json")):
                continue
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                found.append((prefix + name, path))
    return sorted(found)


@cache
def generator_key() -> str:
    """The generator's own sources and templates, and the libraries it renders with."""
    h = hashlib.sha256()
    root = Path(__file__).resolve().parents[1]  # the whole pubsub_gen package
    for path in sorted(_own_files(root)):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    h.update(libraries_key().encode())
    return h.hexdigest()


def _own_files(root: Path) -> Iterator[Path]:
    for folder, folders, names in os.walk(root):
        folders[:] = [f for f in folders if f != "__pycache__"]
        for name in names:
            if name.endswith((".py", ".jinja")):
                yield Path(folder, name)


@cache
def libraries_key() -> str:
    """The installed versions of the libraries that shape the output (``_LIBRARIES``)."""
    return "|".join(_library(name) for name in _LIBRARIES)


def _library(module: str) -> str:
    """``module`` as installed: its distribution folders beside it and its file's stat.

    Cheaper than ``importlib.metadata`` (which scans every path entry), and an upgrade or a
    reinstall changes either.
    """
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin is None:
        return f"{module}:absent"
    origin = Path(spec.origin)
    site = origin.parent.parent
    prefix = module.lower() + "-"
    try:
        stat = origin.stat()
        dists = sorted(
            name
            for name in _listing(site)
            if name.lower().startswith(prefix) and name.endswith((".dist-info", ".egg-info"))
        )
    except OSError:
        return f"{module}:{origin}"
    return f"{module}:{origin}:{stat.st_size}:{stat.st_mtime_ns}:{','.join(dists)}"


@cache
def _listing(folder: Path) -> Sequence[str]:
    try:
        return tuple(os.listdir(folder))
    except OSError:
        return ()
