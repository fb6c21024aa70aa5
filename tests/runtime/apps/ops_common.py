"""Support of the operations tests (push, metrics, tracing): a typed topic, OIDC test keys, and
a harness that runs ``python -m pubsub_runtime run`` on an app.

Not an app itself. Tokens are signed with a local RSA key and checked against a JWKS served
from this process, as Google's would be: nothing outside this machine is reachable.
"""

from __future__ import annotations

import asyncio
import base64
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import crypt, jwt
from pydantic import BaseModel

from pubsub_runtime import TopicSpec

REPO = Path(__file__).resolve().parents[3]
PATIENCE = 120.0  # seconds before a wait gives up and fails with the service log; not a goal
ISSUER = "https://accounts.google.com"


# -- the typed topic -------------------------------------------------------------------------


class Order(BaseModel):
    order_id: str
    amount: int
    fail_times: int = 0  # how many deliveries the handler fails before it succeeds


def order_spec(topic: str) -> TopicSpec[Order]:
    return TopicSpec(
        name=topic,
        model=Order,
        schema_type="JSON_SCHEMA",
        definition=json.dumps(Order.model_json_schema()),
    )


# -- OIDC test keys --------------------------------------------------------------------------


@dataclass
class SigningKey:
    """An RSA key pair with a key id, able to sign tokens the way Google signs push tokens."""

    key_id: str
    private: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    def jwk(self) -> dict[str, str]:
        numbers = self.private.public_key().public_numbers()

        def b64(value: int) -> str:
            raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        return {
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "kid": self.key_id,
            "n": b64(numbers.n),
            "e": b64(numbers.e),
        }

    def sign(self, claims: Mapping[str, Any]) -> str:
        pem = self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        signer = crypt.RSASigner.from_string(pem, key_id=self.key_id)
        token: bytes = jwt.encode(signer, dict(claims))
        return token.decode()


def push_claims(audience: str, email: str, **overrides: Any) -> dict[str, Any]:
    """The claims of a push token as Pub/Sub makes them, valid for an hour from now."""
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": audience,
        "sub": "1234567890",
        "email": email,
        "email_verified": True,
        "iat": now,
        "exp": now + 3600,
    }
    claims.update(overrides)
    return claims


class JwksServer:
    """Serves ``{"keys": [...]}`` at ``url``; ``keys`` may change; ``hits`` counts fetches."""

    def __init__(self, keys: list[SigningKey], max_age: int | None = 3600) -> None:
        self.keys = keys
        self.max_age = max_age
        self.hits = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.hits += 1
                body = json.dumps({"keys": [key.jwk() for key in owner.keys]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                if owner.max_age is not None:
                    self.send_header("Cache-Control", f"public, max-age={owner.max_age}")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/oauth2/v3/certs"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> JwksServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


# -- running an app --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> None:
    # If the test run is killed, the service gets SIGTERM instead of running on.
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Service:
    process: subprocess.Popen[bytes]
    url: str
    record: Path
    log: Path

    def lines(self, event: str) -> list[list[str]]:
        """The fields after ``event`` of each line the app recorded with it, in order."""
        if not self.record.exists():
            return []
        rows = (line.split() for line in self.record.read_text().splitlines())
        return [row[1:] for row in rows if row and row[0] == event]

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + PATIENCE
        while not condition():
            if self.process.poll() is not None:
                pytest.fail(
                    f"service exited ({self.process.returncode}) before {what}:\n{self.log_text()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"gave up waiting for {what}; service log:\n{self.log_text()}")
            time.sleep(0.05)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        # A new connection each time, so that with several workers either may answer.
        return httpx.get(f"{self.url}{path}", headers={"Connection": "close"}, timeout=10, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.post(f"{self.url}{path}", timeout=30, **kwargs)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(PATIENCE)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"service ignored SIGTERM; log:\n{self.log_text()}")


@contextmanager
def running_service(
    app: str,
    directory: Path,
    env: Mapping[str, str],
    *,
    port: int | None = None,
    workers: int = 1,
) -> Iterator[Service]:
    """``python -m pubsub_runtime run APP`` until the block ends; ready when it is entered."""
    directory.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    record = directory / "record.txt"
    log = directory / "service.log"
    command = [sys.executable, "-m", "pubsub_runtime", "run", app, "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--workers", str(workers)],
            cwd=REPO,
            env={**os.environ, **env, "APP_RECORD": str(record)},
            stdout=output,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
    service = Service(process, f"http://127.0.0.1:{port}", record, log)
    try:

        def ready() -> bool:
            try:
                return service.get("/consumers/ready").status_code == 200
            except httpx.TransportError:
                return False

        service.wait(ready, "/consumers/ready answered 200")
        yield service
    finally:
        service.stop()


def record(event: str, *fields: object) -> None:
    """Append one line to ``$APP_RECORD`` (one short O_APPEND write: workers do not interleave)."""
    with Path(os.environ["APP_RECORD"]).open("a") as file:
        file.write(" ".join([event, *(str(f) for f in fields)]) + "\n")


# -- serving an app in this process ----------------------------------------------------------


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Run ``app``'s lifespan as a server would, and give a client of it meanwhile."""
    to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    state: dict[str, Any] = {}
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": state}
    task = asyncio.create_task(app(scope, to_app.get, from_app.put))
    await to_app.put({"type": "lifespan.startup"})
    reply = await from_app.get()
    if reply["type"] != "lifespan.startup.complete":
        await asyncio.gather(task, return_exceptions=True)
        raise RuntimeError(reply.get("message", "startup failed"))

    async def with_state(scope: dict[str, Any], receive: Any, send: Any) -> None:
        scope["state"] = dict(state)
        await app(scope, receive, send)

    transport = httpx.ASGITransport(app=with_state)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield client
    finally:
        await to_app.put({"type": "lifespan.shutdown"})
        await from_app.get()
        await task
