"""Crypto-shredding: every personal field is sealed with a key of its own person, which erasure destroys.

Each participant has a data key of their own (256-bit, AES-GCM). Their name, email address,
phone number, birth date, full postcode and the coaches' notes about them are stored only as
ciphertext sealed with that key; the participant id and the field's name are the associated
data, so a ciphertext moved to another person or another field does not open. The data keys
are stored wrapped (AES-GCM again) with the key-encryption key of the deployment
(``REGIONET_INTAKE_DATA_KEY``), never in the clear. Erasure deletes the person's key row:
every copy of their sealed fields left behind (dead rows, the write-ahead log, backups) is
then ciphertext whose key no longer exists.

The key-encryption key also keys the digests by which a CSV import recognises rows it imported
before (HMAC-SHA256), so that those digests cannot be matched against a guessed row by anyone
without the key. Nothing here touches the database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared.settings import ServiceSettings

KEY_BYTES = 32
NONCE_BYTES = 12
GENERATE_HINT = (
    'generate one with: python -c "import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())"'
)


class DataKeyError(RuntimeError):
    """The key-encryption key is missing, malformed, or not the one the stored data keys are wrapped with."""


class Unreadable(ValueError):
    """A ciphertext does not open with the key given: another person's, another field's, or a destroyed key."""


def _derive(secret: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose.encode()).derive(secret)


def _seal(aead: AESGCM, plaintext: bytes, associated: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + aead.encrypt(nonce, plaintext, associated)


def _open(aead: AESGCM, sealed: bytes, associated: bytes) -> bytes:
    try:
        return aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], associated)
    except InvalidTag as exc:
        raise Unreadable("the ciphertext does not open with this key") from exc


@dataclass(frozen=True)
class PersonKey:
    """One participant's data key: seals and opens their personal fields."""

    participant_id: uuid.UUID
    aead: AESGCM

    def _associated(self, field: str) -> bytes:
        return f"{self.participant_id}/{field}".encode()

    def seal(self, field: str, value: str | None) -> bytes | None:
        """The ciphertext of one field's value (None stays None)."""
        if value is None:
            return None
        return _seal(self.aead, value.encode(), self._associated(field))

    def open(self, field: str, sealed: bytes | None) -> str | None:
        """The value of one field (None stays None); :class:`Unreadable` if it is not this person's field."""
        if sealed is None:
            return None
        return _open(self.aead, bytes(sealed), self._associated(field)).decode()


@dataclass(frozen=True)
class WrappedKey:
    """A new data key as it is stored: wrapped with the key-encryption key of ``kek_id``."""

    participant_id: uuid.UUID
    kek_id: str
    wrapped: bytes


class Vault:
    """The key-encryption key: makes, wraps and unwraps participants' data keys, and keys import digests."""

    def __init__(self, secret: bytes, retired: bytes | None = None) -> None:
        if len(secret) != KEY_BYTES:
            raise DataKeyError(f"the intake data key must be {KEY_BYTES} bytes; {GENERATE_HINT}")
        self._wrap = AESGCM(_derive(secret, "regionet intake: wrap data keys"))
        self._index = _derive(secret, "regionet intake: import digests")
        self.kek_id = _derive(secret, "regionet intake: key id")[:8].hex()
        self.retired: Vault | None = Vault(retired) if retired is not None else None

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> Vault:
        """The vault of ``REGIONET_INTAKE_DATA_KEY`` (and ``_DATA_KEY_RETIRED``); in development without one,
        a key derived from the development token secret (kept in ``<root>/secrets.json`` by ``./dev up``)."""
        retired = _decode(settings.data_key_retired.get_secret_value()) if settings.data_key_retired else None
        if settings.data_key is not None:
            return cls(_decode(settings.data_key.get_secret_value()), retired)
        if settings.environment == "development" and settings.jwt_secret is not None:
            secret = hashlib.sha256(b"regionet-intake-data-key:" + settings.jwt_secret.get_secret_value().encode())
            return cls(secret.digest(), retired)
        raise DataKeyError(
            f"intake needs REGIONET_INTAKE_DATA_KEY, the key that protects personal data; {GENERATE_HINT}"
        )

    def new_keys(self, participant_ids: list[uuid.UUID]) -> list[tuple[PersonKey, WrappedKey]]:
        """Fresh data keys for these participants, each with its wrapped form to store."""
        raw = os.urandom(KEY_BYTES * len(participant_ids))
        made = []
        for i, participant_id in enumerate(participant_ids):
            key = raw[i * KEY_BYTES : (i + 1) * KEY_BYTES]
            made.append((PersonKey(participant_id, AESGCM(key)), self._wrapped(participant_id, key)))
        return made

    def _wrapped(self, participant_id: uuid.UUID, key: bytes) -> WrappedKey:
        return WrappedKey(participant_id, self.kek_id, _seal(self._wrap, key, participant_id.bytes))

    def unwrap_raw(self, participant_id: uuid.UUID, wrapped: bytes) -> bytes:
        """The data key itself (for re-wrapping under a new key-encryption key)."""
        return _open(self._wrap, bytes(wrapped), participant_id.bytes)

    def unwrap(self, participant_id: uuid.UUID, wrapped: bytes) -> PersonKey:
        """A participant's data key from its stored, wrapped form (under the current key, or still the retired)."""
        try:
            key = self.unwrap_raw(participant_id, wrapped)
        except Unreadable:
            if self.retired is None:
                raise
            key = self.retired.unwrap_raw(participant_id, wrapped)
        return PersonKey(participant_id, AESGCM(key))

    def rewrap(self, participant_id: uuid.UUID, wrapped: bytes) -> WrappedKey:
        """A data key wrapped with the retired key-encryption key, wrapped again with the current one."""
        assert self.retired is not None, "rewrap needs a retired key"
        return self._wrapped(participant_id, self.retired.unwrap_raw(participant_id, wrapped))

    def digest(self, content_digest: str) -> str:
        """What an import keeps of a row: an HMAC of its content digest under this deployment's key."""
        return hmac.new(self._index, content_digest.encode(), hashlib.sha256).hexdigest()


def _decode(text: str) -> bytes:
    standard = text.strip().replace("-", "+").replace("_", "/")  # URL-safe or standard alphabet
    try:
        secret = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DataKeyError(f"the intake data key is not base64; {GENERATE_HINT}") from exc
    if len(secret) != KEY_BYTES:
        raise DataKeyError(
            f"the intake data key must be {KEY_BYTES} bytes of base64, not {len(secret)}; {GENERATE_HINT}"
        )
    return secret
