"""The web UI's sign-in: the development account picker, the OIDC authorization-code flow, sessions, CSRF, languages."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from services.matching.app import definition as matching
from services.matching.web import i18n
from shared.auth import Role
from tests.support.platform import Platform, RunningService, run_service
from tests.support.ports import free_port
from tests.support.waiting import eventually


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, html
    return found.group(1)


@pytest.fixture
async def ui(platform: Platform) -> AsyncIterator[RunningService]:
    async with run_service(platform, matching) as service:
        await platform.enrol_all(
            [
                (Role.COACH, "coach-anna", "coach-anna"),
                (Role.EMPLOYER, "smit-hr", "7d7c1c1e-1111-4111-8111-111111111111"),
            ]
        )
        yield service


async def test_a_developer_picks_an_account_and_the_page_knows_who_signed_in(ui: RunningService) -> None:
    client = ui.client
    assert (await client.get("/")).headers["location"] == "/signin"
    page = await client.get("/signin")
    assert page.status_code == 200
    assert "coach-anna" in page.text
    assert '<label for="account">' in page.text
    forged = await client.post("/signin", data={"account": "coach-anna", "csrf": "guessed"})
    assert forged.status_code == 403
    assert "kwam niet van deze pagina" in forged.text
    signed_in = await client.post("/signin", data={"account": "coach-anna", "csrf": csrf_of(page.text)})
    assert signed_in.status_code == 303
    cookie = signed_in.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert (await client.get("/")).headers["location"] == "/coach", "a coach lands on their caseload"
    home = await client.get("/coach")
    assert home.status_code == 200
    assert "coach-anna" in home.text
    assert "Mijn caseload" in home.text, "Dutch unless asked otherwise"

    refused = await client.post("/signout", data={"csrf": "nope"})
    assert refused.status_code == 403
    out = await client.post("/signout", data={"csrf": csrf_of(home.text)})
    assert out.headers["location"] == "/signin"
    assert (await client.get("/")).status_code == 303


async def test_a_deactivated_account_loses_its_session(ui: RunningService, platform: Platform) -> None:
    page = await ui.client.get("/signin")
    await ui.client.post("/signin", data={"account": "coach-anna", "csrf": csrf_of(page.text)})
    assert (await ui.client.get("/coach")).status_code == 200
    await platform.enrol("coach", "coach-anna", active=False)

    async def refused() -> bool:
        return (await ui.client.get("/coach")).status_code == 303

    await eventually(refused, timeout=10)


async def test_pages_speak_the_readers_language(ui: RunningService) -> None:
    german = await ui.client.get("/signin", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.8"})
    assert '<html lang="de">' in german.text
    assert "Konto wählen" in german.text
    english = await ui.client.get("/signin?lang=en", headers={"Accept-Language": "de"})
    assert '<html lang="en">' in english.text
    assert (await ui.client.get("/signin", headers={"Accept-Language": "de"})).text.count('<html lang="en">') == 1
    assert '<html lang="nl">' in (await ui.client.get("/signin?lang=nl")).text


def test_every_visible_string_exists_in_dutch_german_and_english() -> None:
    keys = {language: set(messages) for language, messages in i18n.MESSAGES.items()}
    assert keys["nl"] == keys["de"] == keys["en"]
    assert all(text.strip() for messages in i18n.MESSAGES.values() for text in messages.values())
    used = set()
    for template in (i18n.__file__.replace("i18n.py", "templates"),):
        import pathlib

        for path in pathlib.Path(template).glob("*.html"):
            used |= set(re.findall(r't\["([a-z_.]+)"\]', path.read_text()))
    roles = {f"role.{role.value}" for role in Role}
    assert used - {"role."} <= keys["nl"] | roles
    assert roles <= keys["nl"]


class FakeProvider:
    """A real HTTP OIDC provider for one test: discovery, keys and a token endpoint."""

    def __init__(self, port: int) -> None:
        self.issuer = f"http://127.0.0.1:{port}"
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.subject = "kc|4f1e-anna"
        self.exchanges: list[dict[str, str]] = []

    def signed(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "k1"})

    def app(self) -> Starlette:
        async def discovery(request: Request) -> JSONResponse:
            return JSONResponse(
                {
                    "issuer": self.issuer,
                    "authorization_endpoint": f"{self.issuer}/authorize",
                    "token_endpoint": f"{self.issuer}/token",
                    "jwks_uri": f"{self.issuer}/jwks",
                }
            )

        async def keys(request: Request) -> JSONResponse:
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
            return JSONResponse({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]})

        async def token(request: Request) -> JSONResponse:
            form = {k: str(v) for k, v in (await request.form()).items()}
            self.exchanges.append(form)
            nonce = base64.urlsafe_b64decode(form["code"].encode()).decode()  # this provider's codes carry the nonce
            now = int(time.time())
            common = {"iss": self.issuer, "sub": self.subject, "iat": now, "exp": now + 600}
            return JSONResponse(
                {
                    "token_type": "Bearer",
                    "access_token": self.signed({**common, "aud": "regionet"}),
                    "id_token": self.signed({**common, "aud": "regionet-web", "nonce": nonce}),
                }
            )

        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", discovery),
                Route("/jwks", keys),
                Route("/token", token, methods=["POST"]),
            ]
        )


@contextlib.asynccontextmanager
async def serving(app: Starlette, port: int) -> AsyncIterator[None]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    try:

        async def started() -> bool:
            return server.started

        await eventually(started)
        yield
    finally:
        server.should_exit = True
        await task


async def test_the_oidc_authorization_code_flow_signs_in_the_account_of_the_providers_subject(
    platform: Platform,
) -> None:
    port = free_port()
    provider = FakeProvider(port)
    oidc = {
        "jwks_url": f"{provider.issuer}/jwks",
        "jwt_issuer": provider.issuer,
        "oidc_client_id": "regionet-web",
        "public_url": "https://regionet.example.org",
    }
    async with serving(provider.app(), port), run_service(platform, matching, **oidc) as ui:
        await platform.enrol("coach", provider.subject)
        start = await ui.client.get("/signin/oidc")
        assert start.status_code == 303
        authorize = urlsplit(start.headers["location"])
        query = {k: v[0] for k, v in parse_qs(authorize.query).items()}
        assert f"{authorize.scheme}://{authorize.netloc}{authorize.path}" == f"{provider.issuer}/authorize"
        assert (query["response_type"], query["code_challenge_method"]) == ("code", "S256")
        assert query["redirect_uri"] == "https://regionet.example.org/signin/callback"
        code = base64.urlsafe_b64encode(query["nonce"].encode()).decode()

        wrong_state = await ui.client.get("/signin/callback", params={"code": code, "state": "forged"})
        assert wrong_state.status_code == 401
        assert "does not belong to this sign-in" in wrong_state.text

        back = await ui.client.get("/signin/callback", params={"code": code, "state": query["state"]})
        assert back.status_code == 303, back.text
        assert provider.exchanges[-1]["code_verifier"], "PKCE"
        home = await ui.client.get("/coach")
        assert provider.subject in home.text

        replayed = await ui.client.get("/signin/callback", params={"code": code, "state": query["state"]})
        assert replayed.status_code == 401, "the attempt's cookie is gone after it succeeded"

        provider.subject = "kc|unknown-person"
        fresh = await ui.client.get("/signin/oidc")
        state = parse_qs(urlsplit(fresh.headers["location"]).query)
        nonce_code = base64.urlsafe_b64encode(state["nonce"][0].encode()).decode()
        stranger = await ui.client.get("/signin/callback", params={"code": nonce_code, "state": state["state"][0]})
        assert stranger.status_code == 403
        assert "no Regionet account" in stranger.text
