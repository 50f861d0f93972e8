"""Settings of the notifications service beyond every service's own: where mail goes and how.

Read from ``REGIONET_NOTIFICATIONS_<FIELD>`` (``REGIONET_NOTIFICATIONS_SMTP_HOST`` …). Without an
SMTP host the service records email intents and sends none (a warning says so at start);
``regionet up`` points it at its local mail sink. A production deployment must name a server
that speaks TLS (``starttls`` or ``tls``): credentials never cross the network in clear text.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.notifications.secrets import DEVELOPMENT_KEY, SecretBox


class NotificationSettings(BaseSettings):
    """Mail server, sender address, links and the sender loop's pace."""

    # An empty variable counts as unset: compose passes optional settings (SMTP credentials) as "".
    model_config = SettingsConfigDict(env_prefix="REGIONET_NOTIFICATIONS_", extra="ignore", env_ignore_empty=True)

    environment: Literal["development", "production"] = "development"
    # The web UI that notifications link to (matching serves it), as people's browsers reach it:
    # this setting, else matching's public address, else matching's address (``regionet up``
    # sets it for every service).
    web_url: str = Field(
        default="http://127.0.0.1:8003",
        validation_alias=AliasChoices(
            "web_url", "REGIONET_NOTIFICATIONS_WEB_URL", "REGIONET_MATCHING_PUBLIC_URL", "REGIONET_MATCHING_URL"
        ),
    )
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    # starttls: upgrade a plain connection (port 587); tls: TLS from the first byte (port 465);
    # none: plain text, for a local sink only.
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    # A CA bundle to verify the server's certificate with, when it is not signed by a public CA.
    smtp_ca_file: str | None = None
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    # Connections a sender opens at once for a batch: SMTP waits on the server after every command.
    smtp_connections: int = Field(default=4, ge=1, le=32)
    mail_from: str = "Regionet <noreply@regionet.invalid>"
    # The right-hand side of every Message-ID: <delivery id>@<this>.
    message_id_domain: str = "regionet.invalid"
    email_batch_size: int = Field(default=100, ge=1, le=1000)
    # How long a claimed delivery is the claiming sender's; after that another may send it.
    email_lease_seconds: float = Field(default=120.0, gt=0)
    email_max_attempts: int = Field(default=10, ge=1)
    contact_timeout_seconds: float = Field(default=5.0, gt=0)
    # A live stream sends a comment this often so that proxies keep it open, and reads the feed
    # again in case a wake-up over NATS was lost.
    live_keepalive_seconds: float = Field(default=15.0, gt=0)
    # How often each replica counts the dead letters waiting, and after how long programme
    # officers are told again when more have come since the last alert (services/notifications/alerts.py).
    dead_letter_check_seconds: float = Field(default=60.0, gt=0)
    dead_letter_alert_repeat_hours: float = Field(default=4.0, ge=0)
    # False: this process handles events and serves the API only; the senders run in
    # `python -m services.notifications.workers` processes of their own.
    senders_in_service: bool = True
    webhook_batch_size: int = Field(default=100, ge=1, le=1000)
    # Webhook requests in flight at once, over every endpoint.
    webhook_concurrency: int = Field(default=64, ge=1, le=1000)
    # Fernet keys that encrypt webhook signing secrets at rest, comma-separated, newest first
    # (services/notifications/secrets.py); required in production.
    webhook_secret_keys: SecretStr | None = None
    # Whether webhooks may go to private and loopback addresses and plain http; None: only in development.
    webhooks_allow_private: bool | None = None

    @property
    def private_targets_allowed(self) -> bool:
        """True when webhooks may target private networks (development, unless told otherwise)."""
        if self.webhooks_allow_private is not None:
            return self.webhooks_allow_private
        return self.environment == "development"

    @property
    def secret_keys(self) -> list[str]:
        """The keys webhook secrets are encrypted with, newest first (the public development key without any)."""
        if self.webhook_secret_keys is None:
            return [DEVELOPMENT_KEY]
        return [k.strip() for k in self.webhook_secret_keys.get_secret_value().split(",") if k.strip()]

    @model_validator(mode="after")
    def _refuse_clear_text_in_production(self) -> NotificationSettings:
        if self.environment == "production" and self.smtp_host and self.smtp_security == "none":
            raise ValueError("production mail needs REGIONET_NOTIFICATIONS_SMTP_SECURITY=starttls or tls")
        if self.environment == "production" and self.webhook_secret_keys is None:
            raise ValueError("production needs REGIONET_NOTIFICATIONS_WEBHOOK_SECRET_KEYS to encrypt webhook secrets")
        try:
            SecretBox(self.secret_keys)
        except ValueError:
            raise ValueError(
                "REGIONET_NOTIFICATIONS_WEBHOOK_SECRET_KEYS must be Fernet keys (url-safe base64 of 32 bytes)"
            ) from None
        if self.smtp_password is not None and self.smtp_username is None:
            raise ValueError("REGIONET_NOTIFICATIONS_SMTP_PASSWORD needs REGIONET_NOTIFICATIONS_SMTP_USERNAME")
        return self
