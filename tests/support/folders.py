"""Folders for embedded servers, outside pytest's own temporary tree.

The embedded Postgres runs as another system user when the tests run as root, so every folder
above its data must stay traversable. pytest makes ``/tmp/pytest-of-<user>`` private again
whenever a session starts, which would lock out a server another session started.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def server_folder(prefix: str) -> Iterator[Path]:
    """A fresh folder for servers' data, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix=f"regionet-{prefix}-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
