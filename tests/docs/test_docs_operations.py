"""The examples of the operations guides: push subscriptions, metrics and tracing.

No emulator: push requests are posted to the app in-process, as Pub/Sub would post them, and
pull subscribers run through the in-memory ``TestBroker``.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import importlib
import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import uuid4

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from docs_support import DOCS_SRC, parse_with_click, shell_commands, without_env_prefix
from google.auth import crypt, jwt
from opentelemetry import propagate
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client.parser import text_string_to_metric_families

from pubsub_runtime import FastPubSub, _observe, disable_tracing
from pubsub_runtime._metrics import MULTIPROC_ENV
from pubsub_runtime._push.registry import push_registry
from pubsub_runtime._tracing import tracing_from_env
from pubsub_runtime.cli import main as runtime_cli
from pubsub_runtime.testing import Emulator, TestBroker

PUSH_ACCOUNT = "pubsub-push@my-project.iam.gserviceaccount.com"
ENDPOINT = "https://orders.example.com/push/order-placed"


def an_order() -> Any:
    events = importlib.import_module("example_events")
    order_placed = importlib.import_module("example_events.order_placed")
    return events.OrderPlaced(
        order_id=uuid4(),
        placed_at=datetime.now(UTC),
        customer=order_placed.Customer(id="c-1"),
        items=[order_placed.LineItem(sku="book", unit_price=Decimal("12.50"))],
        total=Decimal("12.50"),
    )


@asynccontextmanager
async def serving(app: FastPubSub) -> AsyncIterator[httpx.AsyncClient]:
    """The app's lifespan around an in-process client, as a server would run it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield client


# -- push subscriptions ---------------------------------------------------------------------


@dataclasses.dataclass
class Signer:
    """Signs tokens as Pub/Sub does, with a key of ours published at a file:// URL."""

    certs_url: str
    signer: crypt.RSASigner

    def token(self, **claims: Any) -> str:
        now = int(time.time())
        payload = {
            "iss": "https://accounts.google.com",
            "aud": ENDPOINT,
            "email": PUSH_ACCOUNT,
            "email_verified": True,
            "iat": now,
            "exp": now + 3600,
            **claims,
        }
        return jwt.encode(self.signer, payload).decode()  # type: ignore[no-untyped-call]


@pytest.fixture
def push(tmp_path: Path) -> Iterator[tuple[ModuleType, Signer]]:
    """The guide's service, its token checks pointed at our key instead of Google's."""
    module = importlib.import_module("docs_src.how_to.push.service")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    certs = tmp_path / "certs.json"
    certs.write_text(json.dumps({"key-1": public.decode()}))
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    [subscriber] = push_registry(module.broker).subscribers
    shown = subscriber.auth
    assert shown is not None and shown.service_account_email == PUSH_ACCOUNT
    subscriber.auth = dataclasses.replace(shown, certs_url=certs.as_uri())
    subscriber._verifier = None  # made again, with our keys, at startup
    module.SHIPPED.clear()
    try:
        yield module, Signer(certs.as_uri(), crypt.RSASigner.from_string(private, "key-1"))
    finally:
        subscriber.auth, subscriber._verifier = shown, None
        module.SHIPPED.clear()


def envelope(data: bytes, **message: Any) -> dict[str, Any]:
    """The guide's sample envelope, carrying ``data``."""
    body: dict[str, Any] = json.loads((DOCS_SRC / "how_to/push/envelope.json").read_text())
    body["message"].update(data=base64.b64encode(data).decode(), **message)
    return body


def bearer(signer: Signer, **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {signer.token(**claims)}"}


async def test_a_pushed_order_is_shipped_then_dropped_as_a_duplicate(
    push: tuple[ModuleType, Signer],
) -> None:
    module, signer = push
    order = an_order()
    data = module.TOPICS["order_placed"].encode(order)
    async with serving(module.app) as client:
        first = await client.post("/push/order-placed", json=envelope(data), headers=bearer(signer))
        again = await client.post("/push/order-placed", json=envelope(data), headers=bearer(signer))
    assert (first.status_code, again.status_code) == (204, 204)
    assert {str(order.order_id)} == module.SHIPPED
    [subscriber] = push_registry(module.broker).subscribers
    assert subscriber.endpoint_url == ENDPOINT


async def test_what_each_push_answers(
    push: tuple[ModuleType, Signer], monkeypatch: pytest.MonkeyPatch
) -> None:
    module, signer = push

    async def busy(order: object) -> None:
        raise module.WarehouseBusy()

    async def broken(order: object) -> None:
        raise RuntimeError("warehouse down")

    data = module.TOPICS["order_placed"].encode(an_order())
    path = "/push/order-placed"
    async with serving(module.app) as client:
        no_token = await client.post(path, json=envelope(data))
        other_account = await client.post(
            path, json=envelope(data), headers=bearer(signer, email="someone@example.com")
        )
        other_audience = await client.post(
            path, json=envelope(data), headers=bearer(signer, aud="https://elsewhere.example.com")
        )
        poison = await client.post(path, json=envelope(b'{"orderId": 42}'), headers=bearer(signer))
        not_push = await client.post(path, content=b"hello", headers=bearer(signer))
        monkeypatch.setattr(module, "book_shipment", busy)
        retried = await client.post(path, json=envelope(data), headers=bearer(signer))
        monkeypatch.setattr(module, "book_shipment", broken)
        failed = await client.post(path, json=envelope(data), headers=bearer(signer))
    answers = {
        "no token": no_token.status_code,
        "another account": other_account.status_code,
        "another audience": other_audience.status_code,
        "poison": poison.status_code,
        "not a push request": not_push.status_code,
        "Retry": retried.status_code,
        "exception": failed.status_code,
    }
    assert answers == {
        "no token": 401,
        "another account": 403,
        "another audience": 401,
        "poison": 422,
        "not a push request": 400,
        "Retry": 503,
        "exception": 500,
    }
    assert no_token.headers["www-authenticate"] == "Bearer"
    assert set() == module.SHIPPED


async def test_a_push_before_startup_is_answered_503(push: tuple[ModuleType, Signer]) -> None:
    module, _ = push
    transport = httpx.ASGITransport(app=module.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        response = await client.post("/push/order-placed", json=envelope(b"{}"))
    assert response.status_code == 503


# -- metrics --------------------------------------------------------------------------------


def samples(page: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found = {}
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            found[sample.name, frozenset(sample.labels.items())] = sample.value
    return found


async def test_the_metrics_page_counts_publishes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    module = importlib.import_module("docs_src.how_to.observability.metrics_app")
    published = "pubsub_messages_published_total"
    async with TestBroker(module.broker) as memory, serving(module.app) as client:
        before = samples((await client.get("/metrics")).text)
        await module.broker.publish("order_placed", an_order())
        await memory.drain(raise_errors=True)
        after = samples((await client.get("/metrics")).text)
    for topic in ("order_placed", "order_invoiced"):  # the test's publish, then the handler's
        key = (published, frozenset({("topic", topic)}))
        assert after[key] - before.get(key, 0.0) == 1
    assert len(memory.published("order_invoiced")) == 1
    assert _observe.hooks is None  # the app's metrics stop with it


async def test_the_metrics_excerpt_shows_real_series(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    module = importlib.import_module("docs_src.how_to.observability.metrics_app")
    async with TestBroker(module.broker), serving(module.app) as client:
        page = (await client.get("/metrics")).text
    real = {family.name: family.type for family in text_string_to_metric_families(page)}
    shown = (DOCS_SRC / "how_to/observability/metrics.txt").read_text(encoding="utf-8")
    excerpt = {family.name: family.type for family in text_string_to_metric_families(shown)}
    assert excerpt and {name: real.get(name) for name in excerpt} == excerpt


def test_the_worker_commands_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    commands = shell_commands(DOCS_SRC / "how_to/observability/workers.sh")
    assert len(commands) == 2
    for command in commands:
        env, words = without_env_prefix(command)
        assert set(env) <= {MULTIPROC_ENV}
        assert words[0] == "pubsub-runtime"
        assert parse_with_click(runtime_cli, words[0], words[1:]).params["workers"] == 4


# -- tracing --------------------------------------------------------------------------------


@pytest.fixture
def tracing() -> Iterator[tuple[ModuleType, TracerProvider, InMemorySpanExporter]]:
    module = importlib.import_module("docs_src.how_to.observability.tracing")
    exporter = InMemorySpanExporter()
    provider = module.configure_tracing(exporter)
    try:
        yield module, provider, exporter
    finally:
        disable_tracing()
        provider.shutdown()


def finished(
    provider: TracerProvider, exporter: InMemorySpanExporter, kind: SpanKind
) -> list[ReadableSpan]:
    provider.force_flush()
    return [span for span in exporter.get_finished_spans() if span.kind == kind]


@pytest.mark.emulator
async def test_a_handled_message_continues_the_trace_of_its_publish(
    pubsub_emulator: Emulator,
    tracing: tuple[ModuleType, TracerProvider, InMemorySpanExporter],
    caplog: pytest.LogCaptureFixture,
) -> None:
    module, provider, exporter = tracing
    caplog.set_level("INFO", logger=module.__name__)
    async with module.broker:  # autocreate: the topic and the subscription exist once started
        message_id = await module.broker.publish("order_placed", an_order())
        async with asyncio.timeout(30):  # guards against a hang only
            while not finished(provider, exporter, SpanKind.CONSUMER):  # noqa: ASYNC110
                await asyncio.sleep(0.05)  # the exporter has nothing to wait on
    [producer] = finished(provider, exporter, SpanKind.PRODUCER)
    [consumer] = finished(provider, exporter, SpanKind.CONSUMER)
    assert (producer.name, consumer.name) == ("order_placed create", "order_placed-ship process")
    assert producer.context is not None and consumer.parent is not None
    assert consumer.parent.span_id == producer.context.span_id
    assert consumer.attributes is not None
    assert consumer.attributes["messaging.message.id"] == message_id
    traceparent = f"00-{producer.context.trace_id:032x}-{producer.context.span_id:016x}-"
    assert f"trace {traceparent}" in caplog.text  # what the handler read from the attributes


async def test_a_pushed_message_continues_the_trace_in_its_attributes(
    tracing: tuple[ModuleType, TracerProvider, InMemorySpanExporter],
    push: tuple[ModuleType, Signer],
) -> None:
    _, provider, exporter = tracing
    service, signer = push
    with provider.get_tracer("upstream").start_as_current_span("upstream") as upstream:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)  # what a traced publisher puts in the attributes
    data = service.TOPICS["order_placed"].encode(an_order())
    async with serving(service.app) as client:
        response = await client.post(
            "/push/order-placed", json=envelope(data, attributes=carrier), headers=bearer(signer)
        )
    assert response.status_code == 204
    [consumer] = finished(provider, exporter, SpanKind.CONSUMER)
    assert consumer.name == "order_placed-ship process"
    assert consumer.parent is not None
    assert consumer.parent.span_id == upstream.get_span_context().span_id
    assert consumer.attributes is not None
    assert consumer.attributes["messaging.gcp_pubsub.result"] == "ack"


def test_the_tracing_variable_is_read_by_the_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    [command] = shell_commands(DOCS_SRC / "how_to/observability/tracing.sh")
    env, words = without_env_prefix(command)
    parse_with_click(runtime_cli, words[0], words[1:])
    with monkeypatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        assert tracing_from_env()
    assert not tracing_from_env()


def test_tracing_is_off_after_these_tests() -> None:
    assert _observe.hooks is None
