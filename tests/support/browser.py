"""Headless Chromium for browser tests: Debian's ``chromium`` driven by Playwright.

Playwright's own browser builds are downloaded from outside the package registries, so they are
never used: the browser is Debian's package, installed with apt-get when it is missing and the
tests run as root; otherwise the tests that need it are skipped with the reason. Use the
``browser`` fixture (registered for every test by the root ``conftest.py``); screenshots and
other artefacts go under :data:`ARTEFACTS`, which git ignores.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTEFACTS = Path(__file__).resolve().parents[1] / "artifacts"
# Another apt-get on the machine holds the lock for a while; wait for it rather than fail.
APT = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "-y", "-q"]


def _apt(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run([*APT, *args], capture_output=True, text=True, env=env, check=False, timeout=1200)


def ensure_chromium() -> Path:
    """Debian's Chromium, installed with apt-get when missing and running as root; skips the test otherwise."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip(f"{CHROMIUM} is missing; install Debian's chromium package (apt-get install chromium) as root")
    installed = _apt("install", "--no-install-recommends", "chromium")
    if installed.returncode != 0:
        # The package lists may be missing or stale on a fresh machine.
        _apt("update")
        installed = _apt("install", "--no-install-recommends", "chromium")
    if installed.returncode != 0 or not CHROMIUM.exists():
        pytest.fail(f"apt-get install chromium failed:\n{installed.stdout[-2000:]}\n{installed.stderr[-2000:]}")
    return CHROMIUM


def artefact_folder(name: str) -> Path:
    """``tests/artifacts/<name>``, created; what a test keeps for people to look at."""
    folder = ARTEFACTS / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Headless Chromium (Debian's), closed after the test."""
    executable = ensure_chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            await launched.close()
