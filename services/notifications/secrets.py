"""Webhook signing secrets at rest: encrypted with Fernet (AES-128-CBC and HMAC-SHA256) under keys from the settings.

HMAC signing needs the secret itself, so it cannot be hashed like a password; it is encrypted
instead, and a copy of the database (a backup, a replica, a leaked dump) holds no usable secret
without the key, which lives in the deployment's settings
(``REGIONET_NOTIFICATIONS_WEBHOOK_SECRET_KEYS``), not in the database. Several keys may be given,
newest first: the newest encrypts, each decrypts. To change the key, put a new one first and
restart: at start the service encrypts every stored secret again under the newest key
(:func:`reseal_all`), after which the old key can be removed. Secrets stored in clear text by an
earlier version (``whsec_…``) are encrypted at the same moment.

Rotating an endpoint's signing secret (``POST …/secret``) is unaffected: the new secret is
stored encrypted, the old ones stay readable until they expire.

Development without a key uses :data:`DEVELOPMENT_KEY`, which is public and protects nothing;
production refuses to start without a key of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import asyncpg
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

log = logging.getLogger(__name__)

PREFIX = "fernet:"
# Public on purpose: development data only. Production sets REGIONET_NOTIFICATIONS_WEBHOOK_SECRET_KEYS.
DEVELOPMENT_KEY = "CGAxdwjbzdL96nuD5WhB4dcYFOaQpcSF7dn002AhCi4="


class UnreadableSecret(Exception):
    """A stored secret that none of the configured keys decrypts."""


class SecretBox:
    """Encrypts secrets for storage and reads them back."""

    def __init__(self, keys: Sequence[str]) -> None:
        """``keys``: Fernet keys (url-safe base64 of 32 bytes), newest first."""
        if not keys:
            raise ValueError("at least one key is needed")
        self._newest = Fernet(keys[0])
        self._all = MultiFernet([Fernet(k) for k in keys])

    def seal(self, secret: str) -> str:
        """The stored form of a secret."""
        return PREFIX + self._newest.encrypt(secret.encode()).decode()

    def open(self, stored: str) -> str:
        """The secret a stored value holds (a clear-text one from before encryption as it is)."""
        if not stored.startswith(PREFIX):
            return stored
        try:
            return self._all.decrypt(stored.removeprefix(PREFIX).encode()).decode()
        except InvalidToken:
            raise UnreadableSecret("no configured key decrypts this secret") from None

    def needs_resealing(self, stored: str) -> bool:
        """True when a stored value is clear text or encrypted under an older key."""
        if not stored.startswith(PREFIX):
            return True
        try:
            self._newest.decrypt(stored.removeprefix(PREFIX).encode())
        except InvalidToken:
            return True
        return False


async def reseal_all(pool: asyncpg.Pool, box: SecretBox) -> int:
    """Encrypt every stored secret under the newest key (clear-text ones too); how many changed.

    A secret no configured key reads is left as it is and logged (by endpoint, never the value):
    its endpoint's deliveries fail until the key is configured again or the secret is rotated.
    """
    changed = 0
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT endpoint_id, created_at, secret FROM webhook_secrets")
        for row in rows:
            if not box.needs_resealing(row["secret"]):
                continue
            try:
                secret = box.open(row["secret"])
            except UnreadableSecret:
                log.error("a webhook secret cannot be decrypted", extra={"endpoint_id": str(row["endpoint_id"])})
                continue
            await conn.execute(
                "UPDATE webhook_secrets SET secret = $3 WHERE endpoint_id = $1 AND created_at = $2 AND secret = $4",
                row["endpoint_id"],
                row["created_at"],
                box.seal(secret),
                row["secret"],
            )
            changed += 1
    return changed
