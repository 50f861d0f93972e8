"""Service settings from environment variables.

Every field of a service's settings is read from ``REGIONET_<SERVICE>_<FIELD>`` first and
falls back to ``REGIONET_<FIELD>``, so a deployment sets what all services share once
(``REGIONET_NATS_URL``, ``REGIONET_REGION``) and what differs per service with its prefix
(``REGIONET_INTAKE_DATABASE_URL``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.sources import InitSettingsSource

from shared.services import SERVICES

DEV_JWT_ISSUER = "regionet-dev"
# The administrator account `./dev up` makes (REGIONET_FIRST_ADMIN): `regionet token --role admin --sub dev-admin`.
DEV_ADMIN = "dev-admin"
JWT_AUDIENCE = "regionet"


# The environment settings are read from; tests pass their own mapping to ``load``.
_environ: ContextVar[Mapping[str, str] | None] = ContextVar("regionet_settings_environ", default=None)


class _LayeredEnvironment(PydanticBaseSettingsSource):
    """``REGIONET_<SERVICE>_<FIELD>``, else ``REGIONET_<FIELD>``."""

    def __init__(self, settings_cls: type[BaseSettings], init: InitSettingsSource) -> None:
        super().__init__(settings_cls)
        self._service = str(init.init_kwargs.get("service", "")).upper()

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """The raw value of one field, and the variable it came from."""
        env = _environ.get()
        env = os.environ if env is None else env
        for key in (f"REGIONET_{self._service}_{field_name.upper()}", f"REGIONET_{field_name.upper()}"):
            if key in env:
                return env[key], key, False
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name, field in self.settings_cls.model_fields.items():
            if name == "service":
                continue
            value, _, _ = self.get_field_value(field, name)
            if value is not None:
                found[name] = value
        return found


class ServiceSettings(BaseSettings):
    """What one service process needs to run."""

    model_config = SettingsConfigDict(extra="forbid")

    service: str
    region: str = "gld"
    environment: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = 0
    database_url: str = "postgresql://localhost:5432/regionet"
    db_pool_min: int = 2
    db_pool_max: int = 10
    # Seconds before a connect or a statement is given up (answered 503): longer than any
    # statement takes, short enough that a frozen database never leaves a client hanging.
    db_connect_timeout: float = Field(default=5.0, gt=0)
    db_command_timeout: float = Field(default=10.0, gt=0)
    nats_url: str = "nats://127.0.0.1:4222"
    nats_user: str | None = None
    nats_password: SecretStr | None = None
    jwt_secret: SecretStr | None = None
    jwt_issuer: str = DEV_JWT_ISSUER
    jwt_audience: str = JWT_AUDIENCE
    jwks_url: str | None = None
    public_url: str | None = Field(
        default=None,
        description="The web UI's address as browsers reach it (sign-in redirects); default http://host:port",
    )
    oidc_client_id: str | None = Field(default=None, description="The web UI's client id at the OIDC provider")
    oidc_client_secret: SecretStr | None = None
    session_secret: SecretStr | None = Field(
        default=None, description="Signs the web UI's session cookies (at least 32 characters)"
    )
    intake_url: str | None = Field(
        default=None, description="The web UI (matching): intake's API, for the names of a coach's caseload"
    )
    vouchers_url: str | None = Field(
        default=None, description="The web UI (matching): vouchers' API, for the budget burn-down"
    )
    notifications_url: str | None = Field(
        default=None, description="The web UI (matching): notifications' API, for live updates"
    )
    accounts_cache_seconds: float = Field(
        default=2.0, ge=0, le=60, description="How long an account lookup is reused (a deactivation's extra delay)"
    )
    first_admin: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="Intake: the token subject of the first administrator account, created when there is none",
    )
    data_key: SecretStr | None = Field(
        default=None,
        description="Intake: base64 of 32 random bytes, the key-encryption key of participants' data keys",
    )
    data_key_retired: SecretStr | None = Field(
        default=None, description="Intake: the previous data_key while its data keys are wrapped again (rotation)"
    )
    log_level: str = "INFO"
    workers: int = Field(default=1, ge=1, le=32, description="HTTP worker processes (replicas on one host)")
    relay_batch_size: int = 500
    consumer_batch_size: int = 100
    consumer_max_attempts: int = 5

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> ServiceSettings:
        if self.service not in SERVICES:
            raise ValueError(f"unknown service {self.service!r}; known: {', '.join(SERVICES)}")
        if not self.region.isalnum() or not self.region.islower():
            raise ValueError(f"region must be a lower-case code such as 'gld', not {self.region!r}")
        if self.port == 0:
            self.port = SERVICES[self.service].default_port
        if self.environment == "production":
            if self.jwks_url is None:
                raise ValueError(
                    "production needs REGIONET_JWKS_URL: tokens come from an OIDC provider"
                    " (development tokens signed with REGIONET_JWT_SECRET are for ./dev up only)"
                )
            if self.jwt_secret is not None:
                raise ValueError(
                    "production refuses development tokens: remove REGIONET_JWT_SECRET and sign in through"
                    " the OIDC provider of REGIONET_JWKS_URL"
                )
            if self.jwt_issuer == DEV_JWT_ISSUER:
                raise ValueError("production needs REGIONET_JWT_ISSUER: the issuer (iss) of the OIDC provider's tokens")
            if self.nats_user is None:
                raise ValueError("production needs a NATS user per service (REGIONET_<SERVICE>_NATS_USER)")
            if self.service == "intake" and self.data_key is None:
                raise ValueError(
                    "production needs REGIONET_INTAKE_DATA_KEY (base64 of 32 random bytes): it protects every"
                    " participant's personal data, and losing it makes all of it unreadable; keep it apart from backups"
                )
            if self.service == "matching" and (
                self.oidc_client_id is None
                or self.session_secret is None
                or len(self.session_secret.get_secret_value()) < 32
            ):
                raise ValueError(
                    "production's web UI (matching) needs REGIONET_MATCHING_OIDC_CLIENT_ID (and _OIDC_CLIENT_SECRET)"
                    " at the OIDC provider, and a REGIONET_MATCHING_SESSION_SECRET of at least 32 characters"
                )
        return self

    def service_url(self, name: str) -> str:
        """Where this service reaches ``name``'s HTTP API: ``REGIONET_<NAME>_URL``, else its default port here."""
        configured: str | None = getattr(self, f"{name}_url", None)
        if configured:
            return configured.rstrip("/")
        return f"http://127.0.0.1:{SERVICES[name].default_port}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Explicit values first, then the layered environment."""
        assert isinstance(init_settings, InitSettingsSource)
        return (init_settings, _LayeredEnvironment(settings_cls, init_settings))

    @classmethod
    def load(cls, service: str, environ: Mapping[str, str] | None = None) -> ServiceSettings:
        """Read the settings of ``service`` from the environment (or ``environ``)."""
        token = _environ.set(environ)
        try:
            return cls(service=service)
        finally:
            _environ.reset(token)
