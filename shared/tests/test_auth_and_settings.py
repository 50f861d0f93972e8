"""Tokens (development HS256 and OIDC keys) and settings from the environment."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from shared.accounts import Account, principal_of
from shared.auth import Identity, Principal, Role, TokenVerifier, issue_token
from shared.errors import ClientError, Forbidden
from shared.settings import DEV_JWT_ISSUER, JWT_AUDIENCE, ServiceSettings

SECRET = "a-development-secret-of-at-least-32-chars"


def settings(**overrides: object) -> ServiceSettings:
    return ServiceSettings.model_validate({"service": "intake", "jwt_secret": SECRET, **overrides})


def dev_token(**overrides: object) -> str:
    claims: dict[str, object] = {"sub": "coach-1", "role": "coach", "region": "gld"}
    claims.update(overrides)
    return issue_token(SECRET, issuer=DEV_JWT_ISSUER, audience=JWT_AUDIENCE, **claims)  # type: ignore[arg-type]


def rejection(verifier: TokenVerifier, token: str) -> tuple[int, str]:
    with pytest.raises(ClientError) as caught:
        verifier.verify(token)
    if caught.value.status == 401:
        assert caught.value.headers == {"WWW-Authenticate": "Bearer"}
    return caught.value.status, caught.value.message


def test_development_token_names_the_caller() -> None:
    principal = TokenVerifier(settings()).verify(dev_token())
    assert (principal.sub, principal.role, principal.region) == ("coach-1", Role.COACH, "gld")


def test_expired_forged_foreign_or_roleless_tokens_are_refused() -> None:
    verifier = TokenVerifier(settings())
    assert rejection(verifier, dev_token(ttl_seconds=-10)) == (401, "the token has expired; get a new one")
    forged = issue_token(
        "another-secret-of-at-least-32-characters",
        sub="x",
        role="admin",
        region="gld",
        issuer=DEV_JWT_ISSUER,
        audience=JWT_AUDIENCE,
    )
    assert rejection(verifier, forged)[0] == 401
    assert rejection(verifier, dev_token(region="ov")) == (
        403,
        "the token is for region 'ov', this deployment serves 'gld'",
    )
    unknown_role = jwt.encode(
        {"sub": "x", "role": "superuser", "iss": DEV_JWT_ISSUER, "aud": JWT_AUDIENCE, "exp": int(time.time()) + 60},
        SECRET,
        algorithm="HS256",
    )
    assert rejection(verifier, unknown_role)[0] == 403
    assert rejection(verifier, "not-a-token")[0] == 401
    too_long = dev_token(sub="x" * 256)
    assert rejection(verifier, too_long) == (401, "the token names no subject (sub) of 1 to 255 characters")


def test_a_token_without_role_or_region_names_only_who_signed_in() -> None:
    bare = jwt.encode(
        {"sub": "f3a9c2", "iss": DEV_JWT_ISSUER, "aud": JWT_AUDIENCE, "exp": int(time.time()) + 60},
        SECRET,
        algorithm="HS256",
    )
    assert TokenVerifier(settings()).verify(bare) == Identity("f3a9c2")


def test_the_account_not_the_token_says_what_the_caller_may_do() -> None:
    anna = Account("anna", Role.COACH, "anna", "gld", active=True)
    assert principal_of(Identity("anna"), anna, "gld") == Principal("anna", Role.COACH, "gld", party="anna")
    assert principal_of(Identity("anna", Role.COACH, "gld"), anna, "gld").party == "anna"
    refusals = {
        "no account": (Identity("nobody"), None),
        "deactivated": (Identity("anna"), Account("anna", Role.COACH, "anna", "gld", active=False)),
        "region": (Identity("anna"), Account("anna", Role.COACH, "anna", "ov", active=True)),
        "claims the role": (Identity("anna", Role.ADMIN), anna),
    }
    for words, (identity, account) in refusals.items():
        with pytest.raises(Forbidden) as caught:
            principal_of(identity, account, "gld")
        assert words in caught.value.message.replace("no Regionet account", "no account")


@pytest.fixture
def oidc_provider() -> Iterator[tuple[str, rsa.RSAPrivateKey]]:
    """A local HTTP server publishing a JWKS, as an OIDC provider does."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "key-1", "use": "sig", "alg": "RS256"}]}).encode()

    class Keys(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Keys)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/jwks.json", key
    server.shutdown()


def test_tokens_of_an_oidc_provider_are_verified_against_its_published_keys(
    oidc_provider: tuple[str, rsa.RSAPrivateKey],
) -> None:
    url, key = oidc_provider
    verifier = TokenVerifier(settings(jwks_url=url, jwt_issuer="https://login.example.org"))
    claims = {
        "sub": "officer-7",
        "role": "programme_officer",
        "region": "gld",
        "iss": "https://login.example.org",
        "aud": JWT_AUDIENCE,
        "exp": int(time.time()) + 300,
    }
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "key-1"})
    assert verifier.verify(token).role is Role.PROGRAMME_OFFICER
    as_issued = {k: v for k, v in claims.items() if k not in ("role", "region")}  # what an OIDC provider sends
    assert verifier.verify(jwt.encode(as_issued, key, algorithm="RS256", headers={"kid": "key-1"})) == Identity(
        "officer-7"
    )
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert rejection(verifier, jwt.encode(claims, other_key, algorithm="RS256", headers={"kid": "key-1"}))[0] == 401


def test_settings_read_service_prefix_before_shared_names() -> None:
    env = {
        "REGIONET_NATS_URL": "nats://shared:4222",
        "REGIONET_INTAKE_NATS_URL": "nats://intake-only:4222",
        "REGIONET_REGION": "ov",
        "REGIONET_VOUCHERS_PORT": "9999",
    }
    intake = ServiceSettings.load("intake", env)
    assert (intake.nats_url, intake.region, intake.port) == ("nats://intake-only:4222", "ov", 8001)
    assert ServiceSettings.load("vouchers", env).port == 9999


def test_production_takes_tokens_only_from_an_oidc_provider() -> None:
    production = {"REGIONET_ENVIRONMENT": "production", "REGIONET_NATS_USER": "intake"}
    oidc = {"REGIONET_JWKS_URL": "https://login.example.org/keys", "REGIONET_JWT_ISSUER": "https://login.example.org"}
    with pytest.raises(ValidationError, match="needs REGIONET_JWKS_URL"):
        ServiceSettings.load("intake", {**production, "REGIONET_JWT_SECRET": SECRET})
    with pytest.raises(ValidationError, match="refuses development tokens"):
        ServiceSettings.load("intake", {**production, **oidc, "REGIONET_JWT_SECRET": SECRET})
    with pytest.raises(ValidationError, match="REGIONET_JWT_ISSUER"):
        ServiceSettings.load("intake", {**production, "REGIONET_JWKS_URL": oidc["REGIONET_JWKS_URL"]})
    with pytest.raises(ValidationError, match="NATS user"):
        ServiceSettings.load("intake", {"REGIONET_ENVIRONMENT": "production", **oidc})
    with pytest.raises(ValidationError, match="needs REGIONET_INTAKE_DATA_KEY"):
        ServiceSettings.load("intake", {**production, **oidc})
    data_key = {"REGIONET_INTAKE_DATA_KEY": "A" * 43}
    assert ServiceSettings.load("intake", {**production, **oidc, **data_key}).jwks_url == oidc["REGIONET_JWKS_URL"]
    assert ServiceSettings.load("vouchers", {**production, **oidc}).data_key is None
    with pytest.raises(ValidationError, match="unknown service"):
        ServiceSettings.load("payroll", {})


def test_tokens_without_expiry_are_refused_and_valid_ones_are_remembered() -> None:
    verifier = TokenVerifier(settings())
    eternal = jwt.encode(
        {"sub": "x", "role": "coach", "region": "gld", "iss": DEV_JWT_ISSUER, "aud": JWT_AUDIENCE},
        SECRET,
        algorithm="HS256",
    )
    status, detail = rejection(verifier, eternal)
    assert status == 401
    assert "exp" in detail
    token = dev_token()
    assert verifier.verify_cached(token) == verifier.verify_cached(token) == verifier.verify(token)
    expired = dev_token(ttl_seconds=-1)
    with pytest.raises(ClientError):
        verifier.verify_cached(expired)
