"""Bearer-token authentication: signed JWTs with a role and a region.

Development deployments sign their own tokens (HS256, ``regionet token``); production verifies
tokens of any OIDC provider against its published keys (``REGIONET_JWKS_URL``).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.errors import Forbidden, Unauthorized
from shared.settings import ServiceSettings

TOKEN_CACHE_SIZE = 10_000
# A token without an expiry would be valid forever.
REQUIRED_CLAIMS: Any = {"require": ["exp", "sub"]}


class Role(StrEnum):
    """What a caller may be."""

    PARTICIPANT = "participant"
    COACH = "coach"
    EMPLOYER = "employer"
    PROVIDER = "provider"
    PROGRAMME_OFFICER = "programme_officer"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    sub: str
    role: Role
    region: str
    # The party the account acts for: a participant's, employer's or provider's id; for coaches,
    # programme officers and administrators their own account id. Set once the account is
    # resolved against the accounts registry (``shared.accounts``); None before that.
    party: str | None = None

    def has(self, *roles: Role) -> bool:
        """True when the caller holds one of ``roles``."""
        return self.role in roles


def issue_token(
    secret: str,
    *,
    sub: str,
    role: Role | str,
    region: str,
    issuer: str,
    audience: str,
    ttl_seconds: int = 8 * 3600,
) -> str:
    """Sign a development token (HS256)."""
    now = int(time.time())
    claims = {
        "sub": sub,
        "role": Role(role).value,
        "region": region,
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


class TokenVerifier:
    """Checks a bearer token's signature, issuer, audience and expiry, and reads its claims."""

    def __init__(self, settings: ServiceSettings) -> None:
        self._settings = settings
        self._jwks = jwt.PyJWKClient(settings.jwks_url, cache_keys=True) if settings.jwks_url else None
        self._cache: dict[str, tuple[Principal, float]] = {}

    def verify_cached(self, token: str) -> Principal:
        """:meth:`verify`, remembering valid tokens until they expire.

        A client sends the same token with every request for hours; checking its signature
        again each time is most of the cost of authentication. The cache is bounded.
        """
        now = time.time()
        hit = self._cache.get(token)
        if hit is not None and hit[1] > now:
            return hit[0]
        principal, expires = self._check(token)
        if len(self._cache) >= TOKEN_CACHE_SIZE:
            self._cache.clear()
        self._cache[token] = (principal, expires)
        return principal

    @property
    def uses_remote_keys(self) -> bool:
        """True when tokens are checked against an OIDC provider's published keys."""
        return self._jwks is not None

    def verify(self, token: str) -> Principal:
        """The principal a valid token names; :class:`Unauthorized` (401) or :class:`Forbidden` (403) otherwise."""
        return self._check(token)[0]

    def _check(self, token: str) -> tuple[Principal, float]:
        """The principal and the token's expiry time."""
        s = self._settings
        try:
            if self._jwks is not None:
                key = self._jwks.get_signing_key_from_jwt(token).key
                claims = jwt.decode(
                    token,
                    key,
                    algorithms=["RS256", "ES256", "PS256", "EdDSA"],
                    audience=s.jwt_audience,
                    issuer=s.jwt_issuer,
                    options=REQUIRED_CLAIMS,
                )
            elif s.jwt_secret is not None:
                claims = jwt.decode(
                    token,
                    s.jwt_secret.get_secret_value(),
                    algorithms=["HS256"],
                    audience=s.jwt_audience,
                    issuer=s.jwt_issuer,
                    options=REQUIRED_CLAIMS,
                )
            else:
                raise Unauthorized(
                    "this service has no way to verify tokens: set REGIONET_JWT_SECRET or REGIONET_JWKS_URL"
                )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("the token has expired; get a new one") from exc
        except jwt.PyJWKClientError as exc:
            raise Unauthorized(f"the token's signing key could not be found: {exc}") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthorized(f"the token is not valid: {exc}") from exc
        try:
            role = Role(claims.get("role", ""))
        except ValueError as exc:
            raise Forbidden(
                f"the token's role {claims.get('role')!r} is not one of: {', '.join(r.value for r in Role)}",
            ) from exc
        region = claims.get("region")
        if region != s.region:
            raise Forbidden(
                f"the token is for region {region!r}, this deployment serves {s.region!r}",
            )
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise Unauthorized("the token names no subject (sub)")
        return Principal(sub=sub, role=role, region=region), float(claims["exp"])


_bearer = HTTPBearer(auto_error=False)


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header; 401 without one."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("this endpoint needs a token: send 'Authorization: Bearer <token>'")
    return token.strip()


async def authenticate(verifier: TokenVerifier, token: str) -> Principal:
    """The caller a token names (cached until it expires).

    A token of an OIDC provider may need its keys fetched over the network: that goes to a
    thread, so the event loop never waits on it.
    """
    if verifier.uses_remote_keys:
        return await asyncio.to_thread(verifier.verify_cached, token)
    return verifier.verify_cached(token)


def ensure_role(principal: Principal, roles: tuple[Role, ...]) -> Principal:
    """``principal`` when it holds one of ``roles``; 403 otherwise."""
    if not principal.has(*roles):
        raise Forbidden(
            f"this needs the role {' or '.join(r.value for r in roles)}; your token has {principal.role.value}",
        )
    return principal


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """FastAPI dependency: the caller, from ``Authorization: Bearer <token>``.

    Async so that FastAPI does not hand every request to a worker thread.
    """
    if credentials is None:
        raise Unauthorized("this endpoint needs a token: send 'Authorization: Bearer <token>'")
    return await authenticate(request.app.state.token_verifier, credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Any:
    """FastAPI dependency: the caller, who must hold one of ``roles``.

    Use as ``Annotated[Principal, require_roles(Role.COACH)]``.
    """

    async def check(principal: CurrentPrincipal) -> Principal:
        return ensure_role(principal, roles)

    return Depends(check)
