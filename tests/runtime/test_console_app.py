"""The console's switch, its auth and its server-side checks, on the app in this process.

What it shows in a browser is tested in ``test_console_browser``; here: nothing is served when
it is off, the app's own dependencies (its auth hook) guard it, and the codec refuses what the
schema refuses even when the browser's checks are bypassed.
"""

from __future__ import annotations

import json
from enum import StrEnum

import httpx
import pytest
from apps.dlq_service import Order, order_spec
from fastapi import Depends, Header, HTTPException
from pydantic import BaseModel, Field

from pubsub_runtime import FastPubSub, Message, PubSubBroker
from pubsub_runtime.console._forms import form_fields


def make_broker() -> PubSubBroker:
    broker = PubSubBroker("test-project", topics={"orders": order_spec("orders")})

    @broker.subscriber(
        "orders", topic_name="orders", subscription_name="orders-sub", dead_letter_topic="dlq"
    )
    async def handle(message: Message[Order]) -> None:
        pass

    return broker


def client(app: FastPubSub) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app")


async def test_the_console_is_off_by_default_and_serves_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PUBSUB_CONSOLE", raising=False)
    app = FastPubSub(make_broker())
    assert not app.console_enabled
    async with client(app) as http:
        for path in ("/console/", "/console/topics/orders", "/console/api/topics/orders/tail"):
            assert (await http.get(path)).status_code == 404
        published = await http.post(
            "/console/api/topics/orders/publish", json={"payload": {"order_id": "o", "amount": 1}}
        )
        assert published.status_code == 404
    assert not [r for r in app.routes if getattr(r, "path", "").startswith("/console")]


async def test_pubsub_console_in_the_environment_switches_it_on_unless_the_app_says_no(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PUBSUB_CONSOLE", "1")
    assert FastPubSub(make_broker()).console_enabled
    assert not FastPubSub(make_broker(), console=False).console_enabled
    app = FastPubSub(make_broker(), console_path="/ops/console/")
    async with client(app) as http:
        page = await http.get("/ops/console/topics/orders")
    assert page.status_code == 200
    assert 'id="field-order_id"' in page.text


async def test_the_console_is_behind_the_apps_auth_hook() -> None:
    async def require_token(authorization: str = Header(default="")) -> None:
        if authorization != "Bearer s3cret":
            raise HTTPException(401, "no entry")

    app = FastPubSub(make_broker(), console=True, dependencies=[Depends(require_token)])
    async with client(app) as http:
        assert (await http.get("/console/topics/orders")).status_code == 401
        refused = await http.post(
            "/console/api/topics/orders/publish", json={"payload": {"order_id": "o", "amount": 1}}
        )
        assert refused.status_code == 401
        allowed = await http.get(
            "/console/topics/orders", headers={"Authorization": "Bearer s3cret"}
        )
        assert allowed.status_code == 200


async def test_console_dependencies_guard_only_the_console() -> None:
    async def operators_only(x_operator: str = Header(default="")) -> None:
        if not x_operator:
            raise HTTPException(403, "operators only")

    app = FastPubSub(make_broker(), console=True, console_dependencies=[Depends(operators_only)])
    async with client(app) as http:
        assert (await http.get("/console/topics/orders")).status_code == 403
        assert (
            await http.get("/console/topics/orders", headers={"X-Operator": "ann"})
        ).status_code == 200
        assert (await http.get("/consumers/ready")).status_code == 503  # not the console's


async def test_the_server_refuses_what_the_schema_refuses_with_the_field_and_reason() -> None:
    app = FastPubSub(make_broker(), console=True)
    async with client(app) as http:
        refused = await http.post(
            "/console/api/topics/orders/publish",
            json={"payload": {"order_id": "", "amount": -1}},
        )
        unknown = await http.post(
            "/console/api/topics/nope/publish", json={"payload": {"order_id": "o", "amount": 1}}
        )
    assert refused.status_code == 422
    errors = refused.json()["errors"]
    assert any(e.startswith("order_id:") for e in errors)
    assert any(e.startswith("amount:") and "greater than or equal to 0" in e for e in errors)
    assert unknown.status_code == 404


class Size(StrEnum):
    SMALL = "small"
    LARGE = "large"


class Parcel(BaseModel):
    parcel_id: str = Field(min_length=3, max_length=12, pattern="^P[0-9]+$")
    weight: float = Field(gt=0)
    count: int = Field(ge=1, le=10)
    size: Size
    fragile: bool = False
    tags: list[str] = []
    note: str | None = None


def test_the_form_carries_the_schema_constraints_the_browser_can_check() -> None:
    fields = {f.name: f for f in form_fields(Parcel.model_json_schema())}
    assert fields["parcel_id"].kind == "text"
    assert fields["parcel_id"].html == {
        "required": "",
        "minlength": "3",
        "maxlength": "12",
        "pattern": "^P[0-9]+$",
    }
    assert fields["count"].kind == "integer"
    assert fields["count"].html == {"required": "", "step": "1", "min": "1", "max": "10"}
    assert fields["weight"].kind == "number"
    assert fields["size"].kind == "enum" and fields["size"].choices == ("small", "large")
    assert fields["fragile"].kind == "boolean" and not fields["fragile"].required
    assert fields["tags"].kind == "json" and fields["tags"].default == json.dumps([])
    assert fields["note"].kind == "text" and fields["note"].nullable
    assert not fields["note"].required


@pytest.mark.filterwarnings("ignore::pydantic.json_schema.PydanticJsonSchemaWarning")
async def test_every_topic_of_the_golden_record_gets_a_form_and_a_valid_sample_publishes() -> None:
    """Avro and JSON Schema models alike, nested records and unions included."""
    from example_events import TOPICS, samples

    app = FastPubSub(PubSubBroker("test-project", topics=TOPICS), console=True)
    async with client(app) as http:
        for name, spec in TOPICS.items():
            page = await http.get(f"/console/topics/{name}")
            assert page.status_code == 200, name
            fields = form_fields(spec.model.model_json_schema())
            assert fields, name
            for field in fields:
                assert f'id="field-{field.name}"' in page.text
            sample = getattr(samples, f"sample_{name.replace('-', '_')}")()
            # The same JSON the page's script would send; the codec takes it without a publish.
            payload = json.loads(sample.model_dump_json(by_alias=True))
            spec.encode(spec.model.model_validate(payload))


async def test_a_topic_whose_model_is_not_an_object_gets_one_value_field() -> None:
    from example_events import TOPICS

    app = FastPubSub(PubSubBroker("test-project", topics=TOPICS), console=True)
    async with client(app) as http:
        page = await http.get("/console/topics/priority_changed")
        refused = await http.post(
            "/console/api/topics/priority_changed/publish", json={"payload": "NOT_A_SYMBOL"}
        )
    assert 'data-root="true"' in page.text and 'id="field-__root__"' in page.text
    assert refused.status_code == 422
