"""Sign-in with the region's OIDC provider: the authorization-code flow with PKCE.

1. ``/signin/oidc`` sends the browser to the provider's authorization endpoint (from its
   discovery document, ``<issuer>/.well-known/openid-configuration``) with a fresh ``state``,
   ``nonce`` and PKCE challenge, kept in a short-lived signed cookie;
2. the provider sends the browser back to ``/signin/callback`` with a code; the service
   exchanges it (with the PKCE verifier and its client credentials) for tokens;
3. the ID token is checked against the provider's published keys (PyJWT), its issuer, audience
   (the client id) and nonce; the access token becomes the session's bearer token, checked like
   any API client's on every request (its ``sub`` must be a Regionet account).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from itsdangerous import BadSignature, URLSafeTimedSerializer

from shared.errors import Unauthorized
from shared.settings import ServiceSettings

FLOW_COOKIE = "regionet_oidc"
FLOW_SECONDS = 600
TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Provider:
    """The endpoints of the OIDC provider, from its discovery document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


@dataclass(frozen=True)
class Tokens:
    """What the provider answered for a code, checked."""

    access_token: str
    subject: str
    expires_at: float


async def discover(settings: ServiceSettings) -> Provider:
    """The provider's endpoints (its discovery document)."""
    url = settings.jwt_issuer.rstrip("/") + "/.well-known/openid-configuration"
    async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
        answer = await client.get(url)
    answer.raise_for_status()
    found: dict[str, Any] = answer.json()
    return Provider(
        issuer=found["issuer"],
        authorization_endpoint=found["authorization_endpoint"],
        token_endpoint=found["token_endpoint"],
        jwks_uri=found["jwks_uri"],
    )


def redirect_uri(settings: ServiceSettings) -> str:
    """Where the provider sends the browser back to."""
    base = settings.public_url or f"http://{settings.host}:{settings.port}"
    return base.rstrip("/") + "/signin/callback"


def _flow(settings: ServiceSettings) -> URLSafeTimedSerializer:
    secret = settings.session_secret.get_secret_value() if settings.session_secret else str(settings.jwt_secret)
    return URLSafeTimedSerializer(secret, salt="regionet-oidc-flow")


def begin(settings: ServiceSettings, provider: Provider) -> tuple[str, str]:
    """The provider's authorization URL, and the signed cookie value that remembers this attempt."""
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "response_type": "code",
        "client_id": settings.oidc_client_id or "",
        "redirect_uri": redirect_uri(settings),
        "scope": "openid",
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    cookie = _flow(settings).dumps({"s": state, "n": nonce, "v": verifier})
    return f"{provider.authorization_endpoint}?{urlencode(query)}", cookie


async def finish(settings: ServiceSettings, provider: Provider, cookie: str | None, code: str, state: str) -> Tokens:
    """Exchange the code for tokens and check them; :class:`Unauthorized` when anything is off."""
    try:
        flow: dict[str, str] = _flow(settings).loads(cookie or "", max_age=FLOW_SECONDS)
    except BadSignature:
        raise Unauthorized("the sign-in took too long or did not start here; sign in again") from None
    if not secrets.compare_digest(flow["s"], state):
        raise Unauthorized("the sign-in answer does not belong to this sign-in; sign in again")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri(settings),
        "code_verifier": flow["v"],
        "client_id": settings.oidc_client_id or "",
    }
    async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
        if settings.oidc_client_secret is not None:
            auth = httpx.BasicAuth(settings.oidc_client_id or "", settings.oidc_client_secret.get_secret_value())
            answer = await client.post(provider.token_endpoint, data=form, auth=auth)
        else:  # a public client: PKCE alone
            answer = await client.post(provider.token_endpoint, data=form)
    if answer.status_code != 200:
        raise Unauthorized(f"the sign-in provider refused the code ({answer.status_code}); sign in again")
    tokens: dict[str, Any] = answer.json()
    claims = await asyncio.to_thread(_check_id_token, provider, settings, str(tokens.get("id_token", "")))
    if not secrets.compare_digest(str(claims.get("nonce", "")), flow["n"]):
        raise Unauthorized("the sign-in answer was replayed; sign in again")
    return Tokens(
        access_token=str(tokens["access_token"]),
        subject=str(claims["sub"]),
        expires_at=float(claims["exp"]),
    )


def _check_id_token(provider: Provider, settings: ServiceSettings, id_token: str) -> dict[str, Any]:
    try:
        key = jwt.PyJWKClient(provider.jwks_uri).get_signing_key_from_jwt(id_token).key
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key,
            algorithms=["RS256", "ES256", "PS256", "EdDSA"],
            audience=settings.oidc_client_id,
            issuer=provider.issuer,
            options={"require": ["exp", "sub", "nonce"]},
        )
    except (jwt.InvalidTokenError, jwt.PyJWKClientError) as exc:
        raise Unauthorized(f"the sign-in provider's ID token is not valid: {exc}") from exc
    return claims
