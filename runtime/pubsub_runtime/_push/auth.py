"""Verifying the OIDC token Pub/Sub sends with push requests (``Authorization: Bearer ...``).

A push subscription with an ``oidc_token`` makes Pub/Sub sign a JWT for each request with
Google's keys: issuer ``https://accounts.google.com``, audience the one configured (by default
the push endpoint's URL), ``email`` the subscription's service account. ``TokenVerifier``
checks the RS256 signature against the keys published at ``certs_url`` (a JWKS, or Google's
``{key id: PEM certificate}`` form), the expiry, issuer, audience and, when configured, the
service-account email. Keys are fetched off the event loop and cached for the response's
``max-age`` (else ``cache_seconds``); an unknown key id refetches them (at most once a
minute), so Google's key rotation needs no restart. Verified tokens are remembered until they
expire: Pub/Sub reuses a token for many requests.

Signature and time checks are google-auth's (``google.auth.jwt.decode``), already installed with
google-cloud-pubsub; JWKS keys are converted with ``cryptography``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
import urllib.request
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["GOOGLE_CERTS_URL", "GOOGLE_ISSUERS", "PushAuth", "TokenError", "TokenVerifier"]

GOOGLE_CERTS_URL: Final = "https://www.googleapis.com/oauth2/v3/certs"
GOOGLE_ISSUERS: Final = ("https://accounts.google.com", "accounts.google.com")
_REFETCH_INTERVAL: Final = 60.0  # an unknown key id refetches the keys at most this often
_FETCH_TIMEOUT: Final = 10.0
_VERIFIED_CACHE_SIZE: Final = 512
_MAX_AGE = re.compile(r"max-age=(\d+)")


@dataclass(frozen=True, slots=True)
class PushAuth:
    """How push requests are authenticated (``verify_token=PushAuth(...)``; True: defaults).

    ``audience``: the ``aud`` the token must carry; default the push endpoint URL (base URL +
    path), which is also Pub/Sub's default. ``service_account_email``: when set, the token's
    verified ``email`` must be it. ``issuers``, ``certs_url``: Google's unless testing.
    ``cache_seconds``: how long keys are kept when the certs response gives no ``max-age``.
    ``clock_skew_seconds``: tolerance for ``iat``/``exp``.
    """

    audience: str | None = None
    service_account_email: str | None = None
    issuers: tuple[str, ...] = GOOGLE_ISSUERS
    certs_url: str = GOOGLE_CERTS_URL
    cache_seconds: float = 3600.0
    clock_skew_seconds: int = 10


class TokenError(Exception):
    """A push request whose token is missing or not valid; ``status`` is the HTTP answer."""

    def __init__(self, reason: str, status: int = 401) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class KeyFetchError(Exception):
    """The signing keys could not be fetched: answer 503 so that Pub/Sub retries later."""


class _KeySet:
    __slots__ = ("expires", "fetched", "keys")

    def __init__(self, keys: dict[str, str], fetched: float, expires: float) -> None:
        self.keys = keys
        self.fetched = fetched
        self.expires = expires


class TokenVerifier:
    """Verifies push tokens for one audience (see the module doc)."""

    def __init__(self, auth: PushAuth, audience: str) -> None:
        self.auth = auth
        self.audience = audience
        self._keys: _KeySet | None = None
        self._fetching: asyncio.Lock | None = None
        self._verified: OrderedDict[str, tuple[float, Mapping[str, Any]]] = OrderedDict()

    async def verify(self, authorization: str | None) -> Mapping[str, Any]:
        """The claims of the bearer token in an ``Authorization`` header value, or TokenError."""
        if not authorization:
            raise TokenError("missing Authorization header")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise TokenError("the Authorization header is not a bearer token")
        now = time.time()
        cached = self._verified.get(token)
        if cached is not None:
            if cached[0] > now:
                return cached[1]
            del self._verified[token]
        key_id = _key_id(token)
        keys = await self._keys_for(key_id)
        claims = self._check(token, keys)
        self._remember(token, claims)
        return claims

    def _check(self, token: str, keys: Mapping[str, str]) -> Mapping[str, Any]:
        from google.auth import exceptions, jwt

        try:
            claims: Mapping[str, Any] = jwt.decode(  # type: ignore[no-untyped-call]
                token,
                certs=keys,
                audience=self.audience,
                clock_skew_in_seconds=self.auth.clock_skew_seconds,
            )
        except (exceptions.GoogleAuthError, ValueError, TypeError) as exc:
            raise TokenError(f"invalid token: {exc}") from exc
        if claims.get("iss") not in self.auth.issuers:
            raise TokenError(f"invalid token: issuer {claims.get('iss')!r} is not trusted")
        expected = self.auth.service_account_email
        if expected is not None and (
            claims.get("email") != expected or claims.get("email_verified") is not True
        ):
            raise TokenError(
                f"token of {claims.get('email')!r}, expected service account {expected!r}",
                status=403,
            )
        return claims

    def _remember(self, token: str, claims: Mapping[str, Any]) -> None:
        expires = float(claims.get("exp", 0)) + self.auth.clock_skew_seconds
        self._verified[token] = (expires, claims)
        while len(self._verified) > _VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)

    async def _keys_for(self, key_id: str | None) -> Mapping[str, str]:
        now = time.monotonic()
        keys = self._keys
        if (
            keys is not None
            and now < keys.expires
            and (key_id is None or key_id in keys.keys or now - keys.fetched < _REFETCH_INTERVAL)
        ):
            return keys.keys
        if self._fetching is None:
            self._fetching = asyncio.Lock()
        async with self._fetching:
            if self._keys is not keys and self._keys is not None:
                return self._keys.keys  # another request fetched them meanwhile
            self._keys = await asyncio.to_thread(self._fetch)
            return self._keys.keys

    def _fetch(self) -> _KeySet:
        """Download and parse the keys (in a worker thread: it blocks)."""
        request = urllib.request.Request(
            self.auth.certs_url, headers={"Accept": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=_FETCH_TIMEOUT) as response:
                body = response.read()
                cache_control = response.headers.get("Cache-Control", "")
        except OSError as exc:
            raise KeyFetchError(
                f"cannot fetch signing keys from {self.auth.certs_url}: {exc}"
            ) from exc
        try:
            keys = parse_keys(json.loads(body))
        except (ValueError, TypeError, KeyError) as exc:
            raise KeyFetchError(f"unreadable signing keys at {self.auth.certs_url}: {exc}") from exc
        match = _MAX_AGE.search(cache_control)
        ttl = float(match.group(1)) if match else self.auth.cache_seconds
        now = time.monotonic()
        return _KeySet(keys, now, now + ttl)


def parse_keys(document: Any) -> dict[str, str]:
    """``{key id: PEM}`` from a JWKS (``{"keys": [...]}``) or a ``{key id: PEM}`` document."""
    if not isinstance(document, dict):
        raise ValueError("expected a JSON object")
    if "keys" not in document:
        return {str(kid): str(pem) for kid, pem in document.items()}
    keys = {}
    for jwk in document["keys"]:
        if jwk.get("kty") != "RSA" or jwk.get("use", "sig") != "sig" or "kid" not in jwk:
            continue
        keys[str(jwk["kid"])] = _rsa_pem(jwk["n"], jwk["e"])
    return keys


def _rsa_pem(modulus: str, exponent: str) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicNumbers

    numbers = RSAPublicNumbers(_b64_int(exponent), _b64_int(modulus))
    pem = numbers.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode()


def _b64_int(value: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")


def _key_id(token: str) -> str | None:
    header, sep, _ = token.partition(".")
    if not sep:
        raise TokenError("invalid token: not a JWT")
    try:
        decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except ValueError as exc:
        raise TokenError("invalid token: unreadable header") from exc
    if not isinstance(decoded, dict):
        raise TokenError("invalid token: unreadable header")
    if decoded.get("alg") != "RS256":
        raise TokenError(f"invalid token: algorithm {decoded.get('alg')!r}, expected RS256")
    kid = decoded.get("kid")
    return None if kid is None else str(kid)
