"""The JSON Schema models of a run (their IR), built in a second process while this one does
the rest.

datamodel-code-generator's one batch call dominates a run (its imports and set-up, then about
10 ms per schema), and it is pure Python: in-process it leaves the second core idle. ``Worker``
starts ``python -c ...`` (the same interpreter and the same ``pubsub_gen``) as soon as a run
knows it has JSON Schema topics (the console command: before it imports anything else,
``prestart``, which forks this process when it has no other thread: no interpreter to
start, nor modules to import again), so that the worker imports the library while this
process still loads the schemas; ``submit`` hands it the inputs (and the normalised copies
the library reads, made here) through a temporary folder, and
``result`` returns exactly what ``jsonschema_models`` returns in-process (that very
function runs in the worker; its ``ir.JsonModels`` travel as JSON). Any failure of the worker
itself (it cannot start, it dies, its answer is unreadable) falls back to the in-process call,
which also reports schema problems the usual way.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from pubsub_gen.errors import SchemaError, SchemaProblem
from pubsub_gen.scratch import memory_folder

if TYPE_CHECKING:
    from pubsub_gen import ir

# The worker pre-imports these before it waits for its inputs.
_WARM = (
    "datamodel_code_generator",
    "datamodel_code_generator.parser.jsonschema",
    "datamodel_code_generator.model.pydantic_v2",
    "pubsub_gen.load.jsonmodels",
)
_INPUTS = "inputs.json"
_RESULT = "result.json"
# With fewer JSON Schema topics, a second interpreter (and its imports) costs more than it saves.
MIN_TOPICS = 8
_prestarted: Worker | None = None


def prestart() -> None:
    """Start a worker now, for the run this process is about to make (``take`` hands it over):
    the console command calls it first thing, so the worker's imports overlap this process's.
    A worker nobody takes waits for its inputs until this process ends, then exits."""
    global _prestarted
    if _prestarted is None:
        import atexit

        # Forked when that is safe (no other thread): the quickest start.
        _prestarted = Worker(fork=hasattr(os, "fork") and threading.active_count() == 1)
        atexit.register(discard)


def take() -> Worker | None:
    """The worker ``prestart`` started, if any (it is the caller's then)."""
    global _prestarted
    started, _prestarted = _prestarted, None
    return started


def discard() -> None:
    """Stop the worker ``prestart`` started, if nobody took it."""
    started = take()
    if started is not None:
        started.close()


class Worker:
    """One worker process; ``close`` (or a context manager) ends it whatever happened."""

    def __init__(self, *, fork: bool = False) -> None:
        try:
            self._folder = Path(tempfile.mkdtemp(prefix="pubsub-gen-worker-", dir=memory_folder()))
        except OSError:  # a full memory file system: the usual temporary folder
            self._folder = Path(tempfile.mkdtemp(prefix="pubsub-gen-worker-"))
        self._inputs: list[Any] = []
        self.answered = False  # whether the worker process answered (else: in-process)
        self._submitted = False
        self._process: subprocess.Popen[bytes] | _Forked | None = None
        package_parent = str(Path(__file__).resolve().parents[1])
        # Once the answer is written, os._exit skips the interpreter's tear-down of everything
        # the library imported and built (0.1-0.2 s this process would wait for).
        code = (
            f"import os, sys; sys.path.insert(0, {package_parent!r}); "
            "from pubsub_gen.worker import main; main(); os._exit(0)"
        )
        try:
            # Quiet: whatever goes wrong there, the in-process call redoes it and reports it.
            if fork:
                self._process = _Forked(self._folder)
            else:
                self._process = subprocess.Popen(
                    [sys.executable, "-P", "-c", code],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    cwd=self._folder,
                )
        except OSError:
            self._process = None  # result() builds them in-process

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def submit(self, inputs: Sequence[Any]) -> None:
        """Start building the models of ``inputs`` (``JsonSchemaInput``); the call does not wait."""
        from pubsub_gen.load.jsonmodels import library_documents

        self._inputs = list(inputs)
        if self._process is None or self._process.stdin is None:
            return
        # The copies the library reads are made here: the worker is still importing it, and
        # this process has time to spare later, while the worker builds.
        documents: list[str | None] = [None] * len(inputs)
        with contextlib.suppress(Exception):  # not checked yet: the checks report what fails
            documents = list(library_documents(inputs))
        payload = [
            {
                "key": item.key,
                "path": str(item.path),
                "display_path": item.display_path,
                "document": item.document,
                "root_class": item.root_class,
                "library_document": document,
            }
            for item, document in zip(inputs, documents, strict=True)
        ]
        try:
            (self._folder / _INPUTS).write_text(json.dumps(payload), encoding="utf-8")
            self._process.stdin.write(b"go\n")
            self._process.stdin.close()
            self._submitted = True
        except OSError:
            self._stop()

    def result(self) -> dict[str, ir.JsonModels]:
        """``jsonschema_models`` of the submitted inputs; raises ``SchemaError``."""
        from pubsub_gen.load.jsonmodels import jsonschema_models

        read = _read(self._answer())
        if read is None:
            return jsonschema_models(self._inputs)
        self.answered = True
        if isinstance(read, list):
            raise SchemaError(read)
        return read

    def _answer(self) -> Mapping[str, Any] | None:
        if self._process is None or not self._submitted:
            self._stop()
            return None
        if self._process.wait() != 0:
            return None
        try:
            answer = json.loads((self._folder / _RESULT).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return answer if isinstance(answer, dict) else None

    def _stop(self) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait()
            if self._process.stdin is not None and not self._process.stdin.closed:
                self._process.stdin.close()
            self._process = None

    def close(self) -> None:
        self._stop()
        shutil.rmtree(self._folder, ignore_errors=True)


class _Forked:
    """A worker forked from this process, which has no thread but its own then: it needs no
    interpreter start, nor the imports this process made already. What ``Worker`` uses of a
    ``subprocess.Popen``."""

    def __init__(self, folder: Path) -> None:
        read, write = os.pipe()
        try:
            self.pid = os.fork()
        except OSError:
            os.close(read)
            os.close(write)
            raise
        if self.pid == 0:  # the worker: never back into the caller's code
            code = 1
            try:
                os.close(write)
                os.chdir(folder)
                quiet = os.open(os.devnull, os.O_WRONLY)
                os.dup2(quiet, 1)
                os.dup2(quiet, 2)
                main(os.fdopen(read, encoding="utf-8"))
                code = 0
            finally:
                os._exit(code)
        os.close(read)
        self.stdin = os.fdopen(write, "wb")
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self) -> int:
        if self.returncode is None:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def kill(self) -> None:
        if self.returncode is None:
            os.kill(self.pid, signal.SIGKILL)


def _read(
    answer: Mapping[str, Any] | None,
) -> list[SchemaProblem] | dict[str, ir.JsonModels] | None:
    """The worker's problems or models; None when there is no answer this version can read."""
    if answer is None:
        return None
    try:
        if "problems" in answer:
            rows = answer["problems"]
            return [SchemaProblem(Path(p), pointer, text) for p, pointer, text in rows] or None
        return decode(answer["models"])
    except (KeyError, TypeError, ValueError):
        return None


def encode(models: Mapping[str, ir.JsonModels]) -> dict[str, Any]:
    """The IR of JSON Schema models as JSON data (for the worker's answer and the cache)."""
    return {
        key: {
            "root_class": value.root_class,
            "classes": [
                {
                    **vars(model),
                    "fields": [{**vars(f), "metadata": list(f.metadata)} for f in model.fields],
                }
                for model in value.classes
            ],
            "imports": list(value.imports),
        }
        for key, value in models.items()
    }


def decode(data: Mapping[str, Any]) -> dict[str, ir.JsonModels]:
    """The inverse of ``encode``."""
    from pubsub_gen import ir

    def model_class(raw: Mapping[str, Any]) -> ir.ModelClass:
        return ir.ModelClass(
            **{
                **raw,
                "fields": tuple(
                    ir.ModelField(**{**f, "metadata": tuple((k, v) for k, v in f["metadata"])})
                    for f in raw["fields"]
                ),
                "config": tuple((k, v) for k, v in raw["config"]),
            }
        )

    return {
        key: ir.JsonModels(
            raw["root_class"],
            tuple(model_class(c) for c in raw["classes"]),
            tuple((m, c) for m, c in raw["imports"]),
        )
        for key, raw in data.items()
    }


def main(stdin: TextIO | None = None) -> None:
    """The worker: warm up, wait for ``go`` on ``stdin`` (default: standard input), build the
    models, write the answer, exit."""
    import gc
    import importlib

    # One batch, then exit: the library makes few cycles (peak memory is the same without the
    # collector), and collecting costs about 7% of the batch.
    gc.disable()

    for module in _WARM:
        importlib.import_module(module)
    if (stdin or sys.stdin).readline().strip() != "go":
        return  # the run ended early (a schema problem): nothing to do
    from pubsub_gen.load.jsonmodels import JsonSchemaInput, jsonschema_models

    payload = json.loads(Path(_INPUTS).read_text(encoding="utf-8"))
    inputs = [
        JsonSchemaInput(
            key=item["key"],
            path=Path(item["path"]),
            display_path=item["display_path"],
            document=item["document"],
            root_class=item["root_class"],
        )
        for item in payload
    ]
    documents = [item["library_document"] for item in payload]
    answer: dict[str, Any]
    try:
        # Its files go in this folder, which the caller removes even if it has to stop us.
        rendered = jsonschema_models(inputs, None if None in documents else documents, ".")
    except SchemaError as error:
        answer = {"problems": [[str(p.path), p.pointer, p.message] for p in error.problems]}
    else:
        answer = {"models": encode(rendered)}
    Path(_RESULT).write_text(json.dumps(answer), encoding="utf-8")
