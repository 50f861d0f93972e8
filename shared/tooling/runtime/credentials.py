"""The local deployment's generated credentials, kept in ``<root>/secrets.json`` (mode 0600).

Generated once on the first ``regionet up`` and reused afterwards: the Postgres superuser's
password is baked into the data folder by ``initdb``, so it must outlive every run.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from shared.services import SERVICES
from shared.tooling.runtime.errors import StartupError
from shared.tooling.runtime.processes import write_private


def secrets_path(root: Path) -> Path:
    """Where a local deployment keeps its credentials."""
    return root / "secrets.json"


def _password() -> str:
    # URL-safe, so it can go into a DSN and a NATS config without escaping.
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class LocalSecrets:
    """Every credential of a local deployment."""

    postgres_password: str
    nats_admin_password: str
    jwt_secret: str
    db_passwords: dict[str, str]
    nats_passwords: dict[str, str]


def load_secrets(root: Path) -> LocalSecrets:
    """Read the credentials of the deployment in ``root``; raises ``StartupError`` if there are none."""
    path = secrets_path(root)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return LocalSecrets(**raw)
    except FileNotFoundError as exc:
        raise StartupError(f"{path} does not exist; run 'regionet up --root {root}' first") from exc
    except (ValueError, TypeError) as exc:
        raise StartupError(
            f"{path} is not a valid secrets file ({exc}); restore it or remove the whole {root}"
        ) from exc


def load_or_create_secrets(root: Path) -> LocalSecrets:
    """The credentials of the deployment in ``root``, generated on first use.

    A service added since the file was written gets its passwords now; existing ones are kept.
    """
    path = secrets_path(root)
    if path.exists():
        current = load_secrets(root)
        missing = [s for s in SERVICES if s not in current.db_passwords or s not in current.nats_passwords]
        if not missing:
            return current
        updated = LocalSecrets(
            postgres_password=current.postgres_password,
            nats_admin_password=current.nats_admin_password,
            jwt_secret=current.jwt_secret,
            db_passwords={s: current.db_passwords.get(s) or _password() for s in SERVICES},
            nats_passwords={s: current.nats_passwords.get(s) or _password() for s in SERVICES},
        )
    else:
        updated = LocalSecrets(
            postgres_password=_password(),
            nats_admin_password=_password(),
            # HS256 wants at least 32 bytes; 48 random bytes encode to 64 characters.
            jwt_secret=secrets.token_urlsafe(48),
            db_passwords={s: _password() for s in SERVICES},
            nats_passwords={s: _password() for s in SERVICES},
        )
    write_private(path, json.dumps(asdict(updated), indent=2) + "\n")
    return updated
