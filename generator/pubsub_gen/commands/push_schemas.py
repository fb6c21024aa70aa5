"""``pubsub-gen push-schemas``: Avro schemas into Pub/Sub's schema registry, topics bound to them.

Per Avro topic, in order:
1. the schema (id: the topic's ``schema_id`` setting, else the topic name) is created when
   missing; when present and its latest revision's definition differs (compared as parsed JSON,
   so whitespace and key order do not count) a new revision is committed; else left alone;
2. the registry's revision ids are written into the revision lock file (``pubsub-gen.lock``)
   beside the revisions they hold (matched by fingerprint);
3. the topic is created bound to the schema with the configured encoding, or its
   ``schema_settings`` are updated (``update_topic`` with a field mask) when they differ. Its
   accepted revision range runs from the oldest revision still in the lock file to the newest,
   so that messages of every revision in use are accepted during a rollout.

JSON Schema topics have no counterpart in Pub/Sub's registry (it holds Avro and Protocol
Buffers) and are skipped with a note. With ``dry_run`` the same plan is computed from the live
state and printed, and nothing is changed. The clients honour ``PUBSUB_EMULATOR_HOST``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pubsub_gen import ir
from pubsub_gen.commands import lock as lockfile
from pubsub_gen.naming import schema_id


class PushError(Exception):
    """A registry or topic call failed; the message names the resource."""


@dataclass(frozen=True)
class Action:
    """One line of the plan: what is (or would be) done to which resource."""

    verb: str  # create-schema, commit-revision, unchanged-schema, create-topic, ...
    resource: str
    detail: str = ""

    def __str__(self) -> str:
        text = f"{self.verb} {self.resource}"
        return f"{text} ({self.detail})" if self.detail else text


def same_definition(a: str, b: str) -> bool:
    """Equal as parsed JSON (Pub/Sub may store the text reformatted)."""
    try:
        return bool(json.loads(a) == json.loads(b))
    except ValueError:
        return a.strip() == b.strip()


def _encoding_name(value: Any) -> str:
    return str(getattr(value, "name", value))


class Pusher:
    """Pushes one project's Avro topics; ``run`` returns the actions in order."""

    def __init__(
        self,
        project_id: str,
        *,
        dry_run: bool = False,
        echo: Callable[[str], None] = print,
    ) -> None:
        # Imported here: the other subcommands must not pay for the gRPC stack.
        from google.cloud import pubsub_v1

        self.project_id = project_id
        self.dry_run = dry_run
        self.lock = lockfile.Lock({})
        self._echo = echo
        self._schemas = pubsub_v1.SchemaServiceClient()
        self._publisher = pubsub_v1.PublisherClient()

    def close(self) -> None:
        self._schemas.transport.close()
        self._publisher.transport.close()

    def run(self, topics: Iterable[ir.Topic]) -> list[Action]:
        actions: list[Action] = []
        for topic in sorted(topics, key=lambda t: t.name):
            if topic.schema_type != "AVRO":
                actions.append(
                    self._say(
                        Action(
                            "skip-topic",
                            topic.name,
                            "JSON Schema: Pub/Sub's schema registry holds Avro schemas only",
                        )
                    )
                )
                continue
            schema_action, revision = self._push_schema(topic)
            actions.append(schema_action)
            if not self.dry_run:
                self._record_revision_ids(topic)
            actions.append(self._bind_topic(topic, revision))
        return actions

    def _record_revision_ids(self, topic: ir.Topic) -> None:
        """Write the registry's revision ids into the lock, by fingerprint (newest wins)."""
        from pubsub_runtime import schema_fingerprint

        name = self._schemas.schema_path(self.project_id, schema_id(topic))
        listed = self._call(
            f"list revisions of {name}",
            lambda: list(self._schemas.list_schema_revisions(request={"name": name})),
        )
        listed.sort(key=lambda r: (r.revision_create_time.timestamp(), r.revision_id))
        for revision in listed:
            try:
                found = schema_fingerprint(revision.definition)
            except Exception:
                continue
            self.lock = lockfile.set_revision_id(
                self.lock, topic.name, found, str(revision.revision_id)
            )

    def _range(self, topic: ir.Topic) -> tuple[str, str]:
        """(first, last) revision ids the topic accepts: the lock's oldest and newest."""
        ids = [r.revision_id for r in self.lock.revisions(topic.name) if r.revision_id]
        return (ids[0], ids[-1]) if ids else ("", "")

    def _say(self, action: Action) -> Action:
        self._echo(str(action))
        return action

    def _call(self, what: str, call: Callable[[], Any]) -> Any:
        from google.api_core import exceptions

        try:
            return call()
        except exceptions.GoogleAPICallError as exc:
            raise PushError(f"{what}: {exc.message or exc}") from exc

    def _push_schema(self, topic: ir.Topic) -> tuple[Action, str | None]:
        """Create or revise the schema; returns the action and a revision id just committed."""
        from google.api_core import exceptions
        from google.pubsub_v1 import types

        name = self._schemas.schema_path(self.project_id, schema_id(topic))
        try:
            current = self._schemas.get_schema(name=name)
        except exceptions.NotFound:
            current = None
        except exceptions.GoogleAPICallError as exc:
            raise PushError(f"get schema {name}: {exc.message or exc}") from exc
        schema = types.Schema(name=name, type_=types.Schema.Type.AVRO, definition=topic.definition)
        if current is None:
            if not self.dry_run:
                created = self._call(
                    f"create schema {name}",
                    lambda: self._schemas.create_schema(
                        parent=f"projects/{self.project_id}",
                        schema=schema,
                        schema_id=schema_id(topic),
                    ),
                )
                return self._say(
                    Action("create-schema", name, f"revision {created.revision_id}")
                ), None
            return self._say(Action("create-schema", name, "AVRO")), None
        if same_definition(current.definition, topic.definition):
            detail = f"revision {current.revision_id}"
            return self._say(Action("unchanged-schema", name, detail)), None
        if self.dry_run:
            return self._say(Action("commit-revision", name, "definition changed")), "<new>"
        committed = self._call(
            f"commit schema {name}", lambda: self._schemas.commit_schema(name=name, schema=schema)
        )
        revision = str(committed.revision_id)
        return self._say(Action("commit-revision", name, f"revision {revision}")), revision

    def _bind_topic(self, topic: ir.Topic, revision: str | None) -> Action:
        from google.api_core import exceptions
        from google.protobuf import field_mask_pb2
        from google.pubsub_v1 import types

        path = self._publisher.topic_path(self.project_id, topic.name)
        schema_name = self._schemas.schema_path(self.project_id, schema_id(topic))
        encoding = types.Encoding.BINARY if topic.encoding == "BINARY" else types.Encoding.JSON
        try:
            current = self._publisher.get_topic(topic=path)
        except exceptions.NotFound:
            current = None
        except exceptions.GoogleAPICallError as exc:
            raise PushError(f"get topic {path}: {exc.message or exc}") from exc
        detail = f"schema {schema_id(topic)}, encoding {topic.encoding}"
        first, last = self._range(topic)
        if self.dry_run and revision is not None:
            last = revision  # not committed yet: the range will end at the new revision
        if first:
            detail += f", revisions {first}..{last}"
        wanted = {
            "schema": schema_name,
            "encoding": encoding,
            "first_revision_id": first,
            "last_revision_id": last,
        }
        if current is None:
            if not self.dry_run:
                self._call(
                    f"create topic {path}",
                    lambda: self._publisher.create_topic(
                        request={"name": path, "schema_settings": wanted}
                    ),
                )
            return self._say(Action("create-topic", path, detail))
        settings = current.schema_settings
        if not first and settings.schema == schema_name:  # nothing recorded: keep the range
            wanted["first_revision_id"] = settings.first_revision_id
            wanted["last_revision_id"] = settings.last_revision_id
            if revision is not None and settings.last_revision_id:
                wanted["last_revision_id"] = revision  # a capped range reaches the new one
        unchanged = (
            settings.schema == wanted["schema"]
            and _encoding_name(settings.encoding) == _encoding_name(encoding)
            and settings.first_revision_id == wanted["first_revision_id"]
            and settings.last_revision_id == wanted["last_revision_id"]
        )
        if unchanged:
            return self._say(Action("unchanged-topic", path, detail))
        if not self.dry_run:
            mask = field_mask_pb2.FieldMask(paths=["schema_settings"])
            self._call(
                f"update topic {path}",
                lambda: self._publisher.update_topic(
                    request={
                        "topic": {"name": path, "schema_settings": wanted},
                        "update_mask": mask,
                    }
                ),
            )
        return self._say(Action("bind-topic", path, detail))


def push_schemas(
    project: ir.Project,
    project_id: str,
    *,
    dry_run: bool = False,
    echo: Callable[[str], None] = print,
    lock_path: Path | None = None,
    note: Callable[[str], None] | None = None,
) -> list[Action]:
    """Push every Avro topic of ``project``; prints (via ``echo``) and returns the actions.

    With ``lock_path``, the revision lock file there records the topics' current schemas and
    the registry's revision ids (unless ``dry_run``), and sets the accepted revision ranges;
    ``note`` (default: ``echo``) says when the file was written.
    """
    pusher = Pusher(project_id, dry_run=dry_run, echo=echo)
    if lock_path is not None:
        pusher.lock = lockfile.record(lockfile.read(lock_path), project.topics)
    try:
        return pusher.run(project.topics)
    finally:
        pusher.close()
        written = (
            lock_path is not None
            and not dry_run
            and bool(pusher.lock.topics)
            and lockfile.write_if_changed(lock_path, lockfile.render(pusher.lock))
        )
        if written and lock_path is not None:  # also after a failure: the ids obtained so far
            shown = _relative(lock_path)
            (note or echo)(f"wrote {shown} (run pubsub-gen to embed the revision ids)")


def _relative(path: Path) -> Path:
    """``path`` as seen from the current folder, when it is inside it."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path
