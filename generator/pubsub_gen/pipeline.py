"""The whole run: load -> intermediate model -> render -> format -> write.

``run`` is those steps in order (``_Generation``: load, model, render, format; then ``_write``),
inside one optional wrapper, ``_Speedups``, which only makes them faster:
- the cache (``pubsub_gen.commands.cache``): a run first hashes its inputs and the files it
  owns, and when nothing changed it stops there, before importing the renderer; files whose
  rendered source was formatted by an earlier run, and the JSON Schema models when no ``*.json``
  schema changed, come from it;
- the worker process (``pubsub_gen.worker``; the console command starts it first thing,
  ``pubsub_gen.launch``): the JSON Schema models (one datamodel-code-generator batch, the
  longest step) are made there, from the moment the schema files are read, while this process
  checks every schema, renders everything that does not need those models, formats it with
  ruff in a background thread (one ruff thread: the worker has the other core) and writes it
  ahead under temporary names (``write.Staging``: renamed into place by the write step, removed
  if the run fails), then creates empty temporary files for the files still to come; the files
  that need the models follow.
User files that already exist (never rewritten) are not formatted at all.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from pubsub_gen.commands import cache as caching
from pubsub_gen.config import Config
from pubsub_gen.output import RenderedFile

if TYPE_CHECKING:
    from pubsub_gen import ir
    from pubsub_gen.load.jsonmodels import JsonSchemaInput
    from pubsub_gen.worker import Worker
    from pubsub_gen.write import Staging


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
    lock: Path | None = None  # the revision lock file (pubsub-gen.lock), when this run wrote it

    @property
    def up_to_date(self) -> bool:
        return not self.stale


def run(
    config: Config,
    *,
    version: str,
    check: bool = False,
    diff: bool = False,
    cache: bool = True,
) -> GenerateResult:
    """Generate the package of ``config``; with ``check`` or ``diff`` nothing is written.

    Raises ``SchemaError`` when any schema is invalid (nothing written then either). With
    ``cache=False`` the cache folder is neither read nor written. ``version`` (the generator's)
    is part of the cache key only: another release renders afresh, and writes what differs.
    """
    speedups = _Speedups(config, version, cache=cache)
    if (unchanged := speedups.unchanged()) is not None:
        return unchanged  # nothing changed: the run stops before loading anything
    from pubsub_gen.write import Staging

    # Files the run will write are created ahead while it waits for the worker (see Staging).
    staging = None if check or diff else Staging(config.out)
    try:
        generation = _Generation(config, speedups, staging)
        files = generation.files()  # load -> model -> render -> format
        result = _write(config, files, generation.lock_text, check=check, diff=diff, ahead=staging)
    finally:
        if staging is not None:
            staging.discard()
    if not (check or diff):
        speedups.save(files, generation)
    return result


class _Speedups:
    """The one optional wrapper around a run: the cache (``commands.cache``: the no-op check
    before the run, the formatted sources and JSON Schema models it may take from earlier runs,
    what it leaves for the next one) and the worker process (``pubsub_gen.worker``). A
    ``_Generation`` without it does every step itself, in this process."""

    def __init__(self, config: Config, version: str, *, cache: bool) -> None:
        self.config = config
        self.store = caching.Store(config.out) if cache else None
        self.keys = caching.inputs_keys(config, version) if cache else None
        self.known: dict[str, str] = {}  # source_key -> formatted source, from earlier runs
        self.json_models: dict[str, Any] | None = None  # encoded (``worker.encode``)

    def unchanged(self) -> GenerateResult | None:
        """The result of a run with nothing to do, else None (and the caches are read)."""
        if self.store is None or self.keys is None:
            return None
        entries = self.store.up_to_date(self.keys.output, self.config.package)
        if entries is not None:
            tool = tuple(self.config.out / e.path for e in entries if e.owned_by_tool)
            user = tuple(self.config.out / e.path for e in entries if not e.owned_by_tool)
            return GenerateResult(unchanged=(*tool, *user), files=tool, user_files=user)
        self.known = self.store.formatted()
        self.json_models = self.store.json_models(self.keys.json_models)
        return None

    def worker(self) -> Worker | None:
        """A worker for the JSON Schema models, unless the cache has them or it does not pay."""
        if self.json_models is None:
            return _start_worker(self.config)
        started = _prestarted_worker()
        if started is not None:
            started.close()  # not needed after all
        return None

    def save(self, files: list[RenderedFile], generation: _Generation) -> None:
        """Record a run that wrote its files, for the next one."""
        if self.store is None or self.keys is None:
            return
        # The key of the inputs as this run read them, with the lock file as the run left it.
        key = self.keys.output_with(self.config.lock)
        self._remember(key, files)
        if generation.formatted.keys() != self.known.keys():  # this run's files: never stale
            self.store.save_formatted(generation.formatted)
        if generation.json_models is not None:
            self.store.save_json_models(self.keys.json_models, generation.json_models)

    def _remember(self, key: str, files: list[RenderedFile]) -> None:
        """Record the run: the hash of each tool-owned file, whose content on disk is now the
        formatted content (written, or found equal)."""
        assert self.store is not None
        entries = [
            caching.Entry(
                rendered.path,
                rendered.owned_by_tool,
                caching.digest(rendered.content.encode("utf-8"))
                if rendered.owned_by_tool
                else None,
            )
            for rendered in files
        ]
        self.store.save(key, self.config.package, entries)


class _Generation:
    """One run's rendering and formatting, overlapped as the module docstring says."""

    def __init__(
        self, config: Config, speedups: _Speedups | None = None, staging: Staging | None = None
    ) -> None:
        self.config = config
        self.speedups = speedups
        self.staging = staging  # where the first files are written ahead, if anywhere
        self.known = speedups.known if speedups else {}  # source_key -> formatted, earlier runs
        self.cached = speedups.json_models if speedups else None  # encoded, from the last run
        self.formatted: dict[str, str] = {}  # source_key -> formatted source, of this run
        self.json_models: dict[str, Any] | None = None  # encoded, when this run built them
        self.lock_text: str | None = None  # the revision lock file, when the project has one

    def files(self) -> list[RenderedFile]:
        """Every file of the package, formatted and marked: the topic modules, then
        ``render.common_files``, then each topic's ``render.topic_files``."""
        # First: the worker imports its library while this process loads and renders.
        worker = self.speedups.worker() if self.speedups is not None else None
        early: _Formatting | None = None
        middle: _Formatting | None = None
        try:
            project, inputs, building = self._load(worker)
            from pubsub_gen import render  # after the worker has its inputs

            keys = {item.key for item in inputs}
            by_module = {topic.module: topic for topic in project.topics}
            modules: dict[str, RenderedFile] = {}
            services: dict[str, list[RenderedFile]] = {}

            def add(topic: ir.Topic, json_models: Mapping[str, ir.JsonModels]) -> None:
                modules[topic.module] = render.topic_module(project, topic, json_models)
                models = json_models.get(topic.module)
                services[topic.module] = render.topic_files(project, topic, models)

            for topic in project.topics:
                if topic.module not in keys:
                    add(topic, {})
            common = render.common_files(project)
            first = [*modules.values(), *common, *_flat(services.values())]
            reserve = None
            if building is not None and self.staging is not None:
                reserve = _Reservation(self.staging, project, modules, services, len(keys))
            # While the worker builds, ruff takes one core (the worker has the other).
            early = _Formatting(
                self.config,
                first,
                self.known,
                staging=self.staging,
                then=reserve,
                threads=1 if building is not None else None,
            )
            parts = self._json_models(inputs, building)
            # The topics that needed the models, in two halves: ruff formats (and the staging
            # writes) the first while this thread renders the second.
            late = [item.key for item in inputs]
            halves = (late[: (len(late) + 1) // 2], late[(len(late) + 1) // 2 :])
            for key in halves[0]:
                add(by_module[key], parts)
            middle = _Formatting(
                self.config,
                [f for key in halves[0] for f in (modules[key], *services[key])],
                self.known,
                staging=self.staging if building is not None else None,
                after=early,  # which may still be making the reserved files
            )
            for key in halves[1]:
                add(by_module[key], parts)
            done = _Formatting(
                self.config,
                [f for key in halves[1] for f in (modules[key], *services[key])],
                self.known,
                background=False,
            )
            formatted = {**early.result(), **middle.result(), **done.result()}
            self.formatted = {**early.used, **middle.used, **done.used}
        finally:
            for formatting in (early, middle):
                if formatting is not None:
                    formatting.wait()  # never leave ruff working in a folder about to go
            if worker is not None:
                worker.close()
        ordered = [
            *(modules[t.module] for t in project.topics),
            *common,
            *_flat(services[t.module] for t in project.topics),
        ]
        return [
            RenderedFile(f.path, formatted.get(f.path, f.content), f.owned_by_tool) for f in ordered
        ]

    def _load(
        self, worker: Worker | None
    ) -> tuple[ir.Project, list[JsonSchemaInput], Worker | None]:
        """The project, its JSON Schema inputs and the worker building their models (None when
        this process must build them). The worker starts on the inputs as soon as the files
        are read; every check runs meanwhile, the slower metaschema check last."""
        from pubsub_gen.errors import SchemaError
        from pubsub_gen.load import load_project, metaschema_problems
        from pubsub_gen.load.discover import SchemaFile
        from pubsub_gen.load.jsonmodels import json_inputs, read_json_inputs

        submitted: list[JsonSchemaInput] | None = None

        def start(files: Sequence[SchemaFile]) -> None:
            nonlocal submitted
            if worker is not None:
                submitted = read_json_inputs(self.config, files)
                worker.submit(submitted)

        try:
            project = load_project(self.config, metaschema=False, on_read=start)
        except SchemaError:
            load_project(self.config)  # the full report, metaschema problems included
            raise
        project = self._with_revisions(project)
        inputs = json_inputs(project)
        if worker is not None and submitted != inputs:  # pragma: no cover - a generator bug
            worker.close()  # its models would not be this project's: build them here
            worker = None
        if metaschema_problems(project):
            load_project(self.config)  # raises the full report
            raise AssertionError("metaschema problems went unreported")  # pragma: no cover
        return project, inputs, worker

    def _with_revisions(self, project: ir.Project) -> ir.Project:
        """Record each Avro topic's schema in the lock file; the topics carry their revisions."""
        from dataclasses import replace

        from pubsub_gen.commands import lock

        recorded = lock.record(lock.read(self.config.lock), project.topics)
        if recorded.topics or self.config.lock.exists():
            self.lock_text = lock.render(recorded)
        topics = tuple(lock.with_revisions(recorded, topic) for topic in project.topics)
        return replace(project, topics=topics)

    def _json_models(
        self, inputs: Sequence[JsonSchemaInput], worker: Worker | None
    ) -> Mapping[str, ir.JsonModels]:
        from pubsub_gen import worker as jsonworker

        if not inputs:
            return {}
        if self.cached is not None:
            try:
                cached = jsonworker.decode(self.cached)
            except (TypeError, ValueError):  # a damaged cache: render again
                cached = {}
            if cached.keys() == {item.key for item in inputs}:
                return cached
        if worker is not None:
            rendered = worker.result()
        else:
            from pubsub_gen.load.jsonmodels import jsonschema_models

            rendered = jsonschema_models(inputs)
        self.json_models = jsonworker.encode(rendered)
        return rendered


def _flat(groups: Iterable[Sequence[RenderedFile]]) -> list[RenderedFile]:
    return [file for group in groups for file in group]


def _start_worker(config: Config) -> Worker | None:
    """A worker for the JSON Schema models, when the run has enough of them to gain from it:
    the one the console command started (``worker.prestart``), else a new one."""
    started = _prestarted_worker()
    if not worker_pays_off(config):
        if started is not None:
            started.close()
        return None
    from pubsub_gen.worker import Worker

    return started if started is not None else Worker()


def _prestarted_worker() -> Worker | None:
    """``worker.take()`` (the caller closes it when it does not use it)."""
    if "pubsub_gen.worker" not in sys.modules:
        return None  # nothing started one
    from pubsub_gen import worker

    return worker.take()


def worker_pays_off(config: Config) -> bool:
    """Enough JSON Schema files, and a process that has not imported the library yet."""
    if "datamodel_code_generator.parser" in sys.modules:
        return False  # this process paid for the library already (a long-lived caller)
    from pubsub_gen.worker import MIN_TOPICS

    files = caching.schema_files(str(config.schemas))  # the loader's files, found faster
    return sum(name.endswith(".json") for name, _ in files) >= MIN_TOPICS


class _Reservation:
    """Empty temporary files for the JSON Schema topics' files (``Staging.reserve``), made while
    the worker builds their models: as many in each folder, per topic, as the other topics'
    files staged there; with no other topic, one module per topic in the package."""

    def __init__(
        self,
        staging: Staging,
        project: ir.Project,
        modules: Mapping[str, RenderedFile],
        services: Mapping[str, Sequence[RenderedFile]],
        late_topics: int,
    ) -> None:
        self.staging = staging
        self.package = PurePosixPath(*project.package.split("."))
        self.topic_paths = {f.path for f in (*modules.values(), *_flat(services.values()))}
        self.early_topics = len(modules)
        self.late_topics = late_topics

    def __call__(self, staged: Sequence[RenderedFile]) -> None:
        folders: dict[PurePosixPath, int] = {}
        if not self.early_topics:
            folders[self.package] = self.late_topics
        for rendered in staged:
            if rendered.path in self.topic_paths:
                folder = rendered.path.parent
                folders[folder] = folders.get(folder, 0) + 1
        self.staging.reserve(
            {
                folder: -(-count * self.late_topics // (self.early_topics or 1))  # rounded up
                for folder, count in folders.items()
            }
        )


class _Formatting:
    """Formats files with ruff (in a thread unless ``background`` is false), then stages them
    (``staging``, once ``after`` is done) and calls ``then`` with those staged, in that
    thread."""

    def __init__(
        self,
        config: Config,
        files: Sequence[RenderedFile],
        known: dict[str, str],
        *,
        background: bool = True,
        staging: Staging | None = None,
        then: Callable[[Sequence[RenderedFile]], None] | None = None,
        threads: int | None = None,
        after: _Formatting | None = None,
    ) -> None:
        # A user file that exists is never written: formatting it would be wasted.
        self._files = [
            f for f in files if f.owned_by_tool or not os.path.exists(config.out / f.path)
        ]
        self._known = known
        self._done: dict[PurePosixPath, str] = {}
        self.used: dict[str, str] = {}  # source_key -> formatted source, of the tool's files
        self._error: BaseException | None = None
        self._staging = staging
        self._then = then
        self._threads = threads
        self._after = after  # stages only once that one is done with the staging
        self._thread: threading.Thread | None = None
        if background:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        else:
            self._run()

    def _run(self) -> None:
        from pubsub_gen.format import format_files, source_key

        try:
            contents, used = format_files(self._files, self._known, threads=self._threads)
            self._done = {f.path: c for f, c in zip(self._files, contents, strict=True)}
            # Kept for the next run: the tool's files (the user's exist by then, unformatted).
            owned = {source_key(f) for f in self._files if f.owned_by_tool}
            self.used = {key: content for key, content in used.items() if key in owned}
            if self._staging is not None:
                if self._after is not None:
                    self._after.wait()
                self._stage(contents)
        except BaseException as error:  # re-raised in the caller's thread
            self._error = error

    def _stage(self, contents: Sequence[str]) -> None:
        assert self._staging is not None
        # Only a head start: if it fails, writing the files reports what is wrong.
        with contextlib.suppress(OSError):
            staged = self._staging.stage(
                [
                    RenderedFile(f.path, content, f.owned_by_tool)
                    for f, content in zip(self._files, contents, strict=True)
                ]
            )
            if self._then is not None:
                self._then(staged)

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def result(self) -> dict[PurePosixPath, str]:
        """path -> formatted source; raises what formatting raised."""
        self.wait()
        if self._error is not None:
            raise self._error
        return self._done


def _write(
    config: Config,
    formatted: list[RenderedFile],
    lock_text: str | None,
    *,
    check: bool,
    diff: bool,
    ahead: Staging | None = None,
) -> GenerateResult:
    from pubsub_gen import write
    from pubsub_gen.commands import lock

    package = Path(*config.package.split("."))
    plan = write.plan(config.out, formatted, [package])
    lock_stale = lock_text is not None and _read_text(config.lock) != lock_text
    stale = [*plan.stale, *([f"stale: {config.lock}"] if lock_stale else [])]
    files = tuple(config.out / f.path for f in formatted if f.owned_by_tool)
    user_files = tuple(config.out / f.path for f in formatted if not f.owned_by_tool)
    # Existing user files count as unchanged: a run never rewrites them.
    unchanged = tuple(config.out / f.path for f in (*plan.unchanged, *plan.user_skipped))
    if check or diff:
        return GenerateResult(
            unchanged=unchanged,
            stale=tuple(stale),
            diff=plan.diff() if diff else "",
            files=files,
            user_files=user_files,
        )
    written = write.apply(plan, ahead)
    if lock_stale and lock_text is not None:
        lock.write_if_changed(config.lock, lock_text)
    return GenerateResult(
        lock=config.lock if lock_stale else None,
        written=tuple(written),
        unchanged=unchanged,
        removed=plan.remove,
        files=files,
        user_files=user_files,
    )


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None
