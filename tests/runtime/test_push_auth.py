"""Verifying push tokens: signature against the published keys, claims, and the key cache.

Keys are served by a local JWKS endpoint standing in for Google's; tokens are signed locally.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from apps.ops_common import JwksServer, SigningKey, push_claims
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from pubsub_runtime._push.auth import (
    KeyFetchError,
    PushAuth,
    TokenError,
    TokenVerifier,
    parse_keys,
)

AUDIENCE = "https://orders.example.com/push/orders"
ACCOUNT = "pusher@project.iam.gserviceaccount.com"


def verifier(url: str, **options: Any) -> TokenVerifier:
    return TokenVerifier(PushAuth(certs_url=url, **options), AUDIENCE)


async def test_a_token_signed_with_a_published_key_is_accepted() -> None:
    key = SigningKey("k1")
    with JwksServer([key]) as jwks:
        claims = await verifier(jwks.url).verify(
            "Bearer " + key.sign(push_claims(AUDIENCE, ACCOUNT))
        )

    assert claims["email"] == ACCOUNT
    assert claims["aud"] == AUDIENCE


@pytest.mark.parametrize(
    ("what", "claims"),
    [
        ("wrong audience", push_claims("https://elsewhere.example", ACCOUNT)),
        ("untrusted issuer", push_claims(AUDIENCE, ACCOUNT, iss="https://evil.example")),
        ("expired", push_claims(AUDIENCE, ACCOUNT, iat=1_000_000, exp=1_003_600)),
        ("issued in the future", push_claims(AUDIENCE, ACCOUNT, iat=4_000_000_000)),
    ],
)
async def test_a_token_with_bad_claims_is_refused(what: str, claims: dict[str, Any]) -> None:
    key = SigningKey("k1")
    with JwksServer([key]) as jwks, pytest.raises(TokenError) as refused:
        await verifier(jwks.url).verify("Bearer " + key.sign(claims))

    assert refused.value.status == 401, what


async def test_the_service_account_must_match_and_be_verified() -> None:
    key = SigningKey("k1")
    with JwksServer([key]) as jwks:
        check = verifier(jwks.url, service_account_email=ACCOUNT)
        await check.verify("Bearer " + key.sign(push_claims(AUDIENCE, ACCOUNT)))
        with pytest.raises(TokenError) as other:
            await check.verify("Bearer " + key.sign(push_claims(AUDIENCE, "x@y.example")))
        with pytest.raises(TokenError) as unverified:
            unverified_claims = push_claims(AUDIENCE, ACCOUNT, email_verified=False)
            await check.verify("Bearer " + key.sign(unverified_claims))

    assert other.value.status == 403
    assert unverified.value.status == 403


async def test_a_forged_signature_is_refused() -> None:
    published, forger = SigningKey("k1"), SigningKey("k1")
    with JwksServer([published]) as jwks, pytest.raises(TokenError, match="invalid token"):
        await verifier(jwks.url).verify("Bearer " + forger.sign(push_claims(AUDIENCE, ACCOUNT)))


async def test_a_token_that_is_not_rs256_is_refused() -> None:
    def b64(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    unsigned = f"{b64({'alg': 'none'})}.{b64(push_claims(AUDIENCE, ACCOUNT))}."
    with JwksServer([SigningKey("k1")]) as jwks:
        with pytest.raises(TokenError, match="expected RS256"):
            await verifier(jwks.url).verify(f"Bearer {unsigned}")
        assert jwks.hits == 0


async def test_keys_are_fetched_once_and_tokens_remembered() -> None:
    key = SigningKey("k1")
    with JwksServer([key]) as jwks:
        check = verifier(jwks.url)
        first = "Bearer " + key.sign(push_claims(AUDIENCE, ACCOUNT, sub="a"))
        second = "Bearer " + key.sign(push_claims(AUDIENCE, ACCOUNT, sub="b"))
        for token in (first, first, second, second):
            await check.verify(token)

    assert jwks.hits == 1


async def test_a_new_key_id_fetches_the_keys_again_so_rotation_needs_no_restart() -> None:
    old, new = SigningKey("old"), SigningKey("new")
    with JwksServer([old]) as jwks:
        check = verifier(jwks.url)
        await check.verify("Bearer " + old.sign(push_claims(AUDIENCE, ACCOUNT)))
        jwks.keys = [old, new]
        # The refetch is rate limited; a verifier that fetched long ago refetches at once.
        assert check._keys is not None
        check._keys.fetched -= 3600
        claims = await check.verify("Bearer " + new.sign(push_claims(AUDIENCE, ACCOUNT)))

    assert claims["email"] == ACCOUNT
    assert jwks.hits == 2


async def test_an_unknown_key_id_does_not_refetch_more_than_once_a_minute() -> None:
    known, stranger = SigningKey("known"), SigningKey("stranger")
    with JwksServer([known]) as jwks:
        check = verifier(jwks.url)
        await check.verify("Bearer " + known.sign(push_claims(AUDIENCE, ACCOUNT)))
        for _ in range(3):
            with pytest.raises(TokenError):
                await check.verify("Bearer " + stranger.sign(push_claims(AUDIENCE, ACCOUNT)))

    assert jwks.hits == 1


async def test_unreachable_keys_are_a_key_fetch_error_not_a_refusal() -> None:
    key = SigningKey("k1")
    with JwksServer([key]) as jwks:
        url = jwks.url
    with pytest.raises(KeyFetchError):
        await verifier(url).verify("Bearer " + key.sign(push_claims(AUDIENCE, ACCOUNT)))


def test_google_certificate_documents_are_read_as_well_as_jwks() -> None:
    key = SigningKey("cert-key")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.private.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key.private, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()

    from_certs = parse_keys({"cert-key": pem})
    from_jwks = parse_keys({"keys": [key.jwk(), {"kty": "EC", "kid": "ec", "crv": "P-256"}]})

    assert from_certs == {"cert-key": pem}
    assert list(from_jwks) == ["cert-key"]
    assert from_jwks["cert-key"].startswith("-----BEGIN PUBLIC KEY-----")
