"""Numbered migrations never change after they land: every file against the committed checksum list."""

from __future__ import annotations

import hashlib
from pathlib import Path

from shared.db.migrations import NUMBERED, PLATFORM_MIGRATIONS, service_migrations_dir
from shared.services import SERVICES

ROOT = Path(__file__).resolve().parents[2]
CHECKSUMS = ROOT / "shared" / "db" / "migrations.sha256"


def _landed() -> dict[str, str]:
    """The committed list: relative path -> sha256, in ``sha256sum`` format."""
    listed: dict[str, str] = {}
    for line in CHECKSUMS.read_text(encoding="utf-8").splitlines():
        digest, path = line.split(maxsplit=1)
        listed[path.lstrip("*")] = digest
    return listed


def _present() -> dict[str, str]:
    """Every numbered migration file of the platform and of every service, with its sha256."""
    folders = [PLATFORM_MIGRATIONS, *(service_migrations_dir(name) for name in SERVICES)]
    return {
        file.resolve().relative_to(ROOT).as_posix(): hashlib.sha256(file.read_bytes()).hexdigest()
        for folder in folders
        if folder.is_dir()
        for file in sorted(folder.glob(NUMBERED))
    }


def test_no_landed_migration_was_changed_or_removed() -> None:
    present = _present()
    problems = [
        f"migration {path} changed after it landed; add a new migration instead"
        if path in present
        else f"migration {path} was removed after it landed; add a new migration instead"
        for path, digest in _landed().items()
        if present.get(path) != digest
    ]
    assert not problems, "\n".join(problems)


def test_every_migration_is_in_the_checksum_list() -> None:
    landed = _landed()
    missing = [f"{digest}  {path}" for path, digest in _present().items() if path not in landed]
    assert not missing, (
        f"migrations not yet in {CHECKSUMS.relative_to(ROOT)}; add these lines when they land:\n" + "\n".join(missing)
    )
