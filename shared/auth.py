"""Bearer-token authentication: who signed in (:class:`Identity`) and as which account (:class:`Principal`).

Development deployments sign their own tokens (HS256, ``regionet token``); production verifies
tokens of an OIDC provider against its published keys (``REGIONET_JWKS_URL``) and refuses
development tokens. A token's ``sub`` names an account of the accounts registry
(:mod:`shared.accounts`); the account, not the token, says what the caller may do. A ``role`` or
``region`` claim, where a token carries one, must agree with the account.
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
MAX_SUBJECT_LENGTH = 255
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
class Identity:
    """Someone who signed in: a valid token, not yet matched with an account.

    ``role`` and ``region`` are the token's claims where it has them (development tokens do;
    an OIDC provider's usually do not).
    """

    sub: str
    role: Role | None = None
    region: str | None = None


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: an active account of this region."""

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
        self._cache: dict[str, tuple[Identity, float]] = {}

    def verify_cached(self, token: str) -> Identity:
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

    def verify(self, token: str) -> Identity:
        """Who a valid token names; :class:`Unauthorized` (401) or :class:`Forbidden` (403) otherwise."""
        return self._check(token)[0]

    def _check(self, token: str) -> tuple[Identity, float]:
        """The identity and the token's expiry time."""
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
            elif s.jwt_secret is not None and s.environment == "development":
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
        role: Role | None = None
        if "role" in claims:
            try:
                role = Role(claims["role"])
            except ValueError as exc:
                raise Forbidden(
                    f"the token's role {claims['role']!r} is not one of: {', '.join(r.value for r in Role)}",
                ) from exc
        region = claims.get("region")
        if region is not None and region != s.region:
            raise Forbidden(
                f"the token is for region {region!r}, this deployment serves {s.region!r}",
            )
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub or len(sub) > MAX_SUBJECT_LENGTH:
            raise Unauthorized(f"the token names no subject (sub) of 1 to {MAX_SUBJECT_LENGTH} characters")
        return Identity(sub=sub, role=role, region=region), float(claims["exp"])


_bearer = HTTPBearer(auto_error=False)


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header; 401 without one."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("this endpoint needs a token: send 'Authorization: Bearer <token>'")
    return token.strip()


async def identify(verifier: TokenVerifier, token: str) -> Identity:
    """Who a token names (cached until it expires).

    A token of an OIDC provider may need its keys fetched over the network: that goes to a
    thread, so the event loop never waits on it.
    """
    if verifier.uses_remote_keys:
        return await asyncio.to_thread(verifier.verify_cached, token)
    return verifier.verify_cached(token)


async def authenticate(state: Any, token: str) -> Principal:
    """The caller a token names, as its account may act (``state``: the app's, with the verifier and registry)."""
    identity = await identify(state.token_verifier, token)
    principal: Principal = await state.accounts.principal(identity)
    return principal


def ensure_role(principal: Principal, roles: tuple[Role, ...]) -> Principal:
    """``principal`` when it holds one of ``roles``; 403 otherwise."""
    if not principal.has(*roles):
        raise Forbidden(
            f"this needs the role {' or '.join(r.value for r in roles)}; your account is {principal.role.value}",
        )
    return principal


def _credentials(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None:
        raise Unauthorized("this endpoint needs a token: send 'Authorization: Bearer <token>'")
    return credentials.credentials


async def current_identity(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Identity:
    """FastAPI dependency: who signed in, whether or not they have an account yet.

    Only for the few routes that make an account: claiming an invitation, registering oneself.
    """
    return await identify(request.app.state.token_verifier, _credentials(credentials))


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """FastAPI dependency: the caller, from ``Authorization: Bearer <token>``, as its account may act.

    Async so that FastAPI does not hand every request to a worker thread.
    """
    return await authenticate(request.app.state, _credentials(credentials))


SignedIn = Annotated[Identity, Depends(current_identity)]
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Any:
    """FastAPI dependency: the caller, who must hold one of ``roles``.

    Use as ``Annotated[Principal, require_roles(Role.COACH)]``.
    """

    async def check(principal: CurrentPrincipal) -> Principal:
        return ensure_role(principal, roles)

    return Depends(check)
