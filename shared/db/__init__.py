"""Postgres access: provisioning, migrations, pools and the unit of work."""

from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

# A connection as handlers see it: straight from asyncpg or borrowed from a pool.
Connection: TypeAlias = asyncpg.Connection | PoolConnectionProxy

__all__ = ["Connection"]
