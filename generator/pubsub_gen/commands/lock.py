"""The revision lock file: every schema revision an Avro topic's messages may have been written in.

``pubsub-gen.lock`` sits beside the pyproject.toml holding ``[tool.pubsub-gen]`` (or in the
current folder without one) and is checked in. Per Pub/Sub topic it lists the revisions of its
schema, oldest first: the CRC-64-AVRO fingerprint of the Parsing Canonical Form (the identity
Avro's single-object encoding uses, and what publishers stamp in ``avro-fingerprint``), the
canonical form itself, the full definition (defaults, aliases and logical types, which the
canonical form leaves out and a reader needs), and the registry's revision id once
``push-schemas`` committed it. Each ``pubsub-gen`` run appends a topic's schema when it is new;
``forget_revisions`` drops the ones no longer in use. The text is deterministic: sorted topics,
revisions in the order they were recorded, two-space JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pubsub_gen import ir
from pubsub_gen.config import ConfigError

LOCK_NAME = "pubsub-gen.lock"
_FORMAT = 1


@dataclass(frozen=True)
class Lock:
    topics: dict[str, tuple[ir.Revision, ...]]  # Pub/Sub topic name -> revisions, oldest first

    def revisions(self, topic: str) -> tuple[ir.Revision, ...]:
        return self.topics.get(topic, ())


def revision_of(definition: str) -> ir.Revision:
    """The lock entry of a schema's text (fingerprint, canonical form, compact definition)."""
    from pubsub_runtime import schema_canonical_form, schema_fingerprint

    document = json.loads(definition)
    return ir.Revision(
        fingerprint=schema_fingerprint(definition),
        canonical=schema_canonical_form(definition),
        definition=json.dumps(document, separators=(",", ":"), ensure_ascii=False),
    )


def read(path: Path) -> Lock:
    """The lock at ``path``; an empty one when the file does not exist."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Lock({})
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    try:
        data = json.loads(text)
        if data.get("format") != _FORMAT:
            raise ValueError(f"unknown format {data.get('format')!r}")
        topics = {
            str(name): tuple(_revision(entry) for entry in entries)
            for name, entries in data["topics"].items()
        }
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"{path}: not a pubsub-gen lock file: {exc}") from exc
    return Lock(topics)


def _revision(entry: Any) -> ir.Revision:
    revision_id = entry.get("revision_id")
    return ir.Revision(
        fingerprint=str(entry["fingerprint"]),
        canonical=str(entry["canonical"]),
        definition=str(entry["definition"]),
        revision_id=str(revision_id) if revision_id else None,
    )


def render(lock: Lock) -> str:
    topics: dict[str, Any] = {}
    for name in sorted(lock.topics):
        entries = []
        for revision in lock.topics[name]:
            entry = {
                "fingerprint": revision.fingerprint,
                "canonical": revision.canonical,
                "definition": revision.definition,
            }
            if revision.revision_id:
                entry["revision_id"] = revision.revision_id
            entries.append(entry)
        topics[name] = entries
    document = {"format": _FORMAT, "topics": topics}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def record(lock: Lock, topics: Iterable[ir.Topic]) -> Lock:
    """``lock`` with each Avro topic's current schema added when it is not recorded yet."""
    updated = dict(lock.topics)
    for topic in topics:
        if topic.schema_type != "AVRO":
            continue
        current = revision_of(topic.definition)
        known = updated.get(topic.name, ())
        if all(r.fingerprint != current.fingerprint for r in known):
            updated[topic.name] = (*known, current)
    return Lock(updated)


def with_revisions(lock: Lock, topic: ir.Topic) -> ir.Topic:
    """``topic`` carrying its recorded revisions (what its generated TopicSpec embeds)."""
    if topic.schema_type != "AVRO":
        return topic
    current = revision_of(topic.definition).fingerprint
    return replace(topic, revisions=lock.revisions(topic.name), fingerprint=current)


def set_revision_id(lock: Lock, topic: str, fingerprint: str, revision_id: str) -> Lock:
    """``lock`` with the registry's ``revision_id`` recorded for that revision of ``topic``."""
    revisions = tuple(
        replace(r, revision_id=revision_id) if r.fingerprint == fingerprint else r
        for r in lock.revisions(topic)
    )
    return Lock({**lock.topics, topic: revisions})


def forget_revisions(
    lock: Lock,
    *,
    keep_last: int | None = None,
    older_than: str | None = None,
    topics: Iterable[str] | None = None,
) -> tuple[Lock, list[str]]:
    """Drop revisions no longer in use: all but the last ``keep_last`` of each topic, and/or
    those recorded before the one whose registry revision id is ``older_than``.

    The last revision of a topic (its current schema) is never dropped. Returns the new lock
    and one line per revision dropped (``topic: fingerprint (revision id)``).
    """
    chosen = set(topics) if topics is not None else set(lock.topics)
    updated: dict[str, tuple[ir.Revision, ...]] = {}
    dropped: list[str] = []
    for name, revisions in lock.topics.items():
        kept = list(revisions)
        if name in chosen:
            if older_than is not None:
                ids = [r.revision_id for r in kept]
                if older_than in ids:
                    kept = kept[ids.index(older_than) :]
            if keep_last is not None:
                kept = kept[-max(keep_last, 1) :]
        for revision in revisions:
            if revision not in kept:
                suffix = f" (revision {revision.revision_id})" if revision.revision_id else ""
                dropped.append(f"{name}: {revision.fingerprint}{suffix}")
        updated[name] = tuple(kept)
    return Lock(updated), dropped


def write_if_changed(path: Path, text: str) -> bool:
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except OSError:
        pass
    path.write_text(text, encoding="utf-8")
    return True
