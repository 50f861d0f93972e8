"""Service settings from environment variables.

Every field of a service's settings is read from ``REGIONET_<SERVICE>_<FIELD>`` first and
falls back to ``REGIONET_<FIELD>``, so a deployment sets what all services share once
(``REGIONET_NATS_URL``, ``REGIONET_REGION``) and what differs per service with its prefix
(``REGIONET_INTAKE_DATABASE_URL``).
"""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, SecretStr, model_validator

from shared.services import SERVICES

DEV_JWT_ISSUER = "regionet-dev"
JWT_AUDIENCE = "regionet"


class ServiceSettings(BaseModel):
    """What one service process needs to run."""

    service: str
    region: str = "gld"
    environment: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = 0
    database_url: str = "postgresql://localhost:5432/regionet"
    db_pool_min: int = 2
    db_pool_max: int = 10
    nats_url: str = "nats://127.0.0.1:4222"
    nats_user: str | None = None
    nats_password: SecretStr | None = None
    jwt_secret: SecretStr | None = None
    jwt_issuer: str = DEV_JWT_ISSUER
    jwt_audience: str = JWT_AUDIENCE
    jwks_url: str | None = None
    log_level: str = "INFO"
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
            if self.jwks_url is None and (self.jwt_secret is None or len(self.jwt_secret.get_secret_value()) < 32):
                raise ValueError(
                    "production needs REGIONET_JWKS_URL (an OIDC provider's keys) or a "
                    "REGIONET_JWT_SECRET of at least 32 characters"
                )
            if self.nats_user is None:
                raise ValueError("production needs a NATS user per service (REGIONET_<SERVICE>_NATS_USER)")
        return self

    @classmethod
    def load(cls, service: str, environ: dict[str, str] | None = None) -> ServiceSettings:
        """Read the settings of ``service`` from the environment (or ``environ``)."""
        env = os.environ if environ is None else environ
        values: dict[str, str] = {"service": service}
        for field in cls.model_fields:
            if field == "service":
                continue
            for key in (f"REGIONET_{service.upper()}_{field.upper()}", f"REGIONET_{field.upper()}"):
                if key in env:
                    values[field] = env[key]
                    break
        return cls.model_validate(values)
