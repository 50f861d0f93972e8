"""Matching's own settings: how long a proposal holds a place, when an opportunity is asked "still open?",
when the nightly plan is made.

Read like every setting (``shared/settings.py``): ``REGIONET_MATCHING_<SETTING>`` first, then
``REGIONET_<SETTING>``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class MatchingSettings:
    """Durations in days; the housekeeping interval in seconds."""

    hold_days: int = 14  # a proposal holds a place this long without a step forward
    confirm_after_days: int = 30  # an opportunity not confirmed this long is asked "still open?"
    stale_grace_days: int = 7  # ... and leaves the suggestions when nobody answers within this
    housekeeping_seconds: float = 60.0
    removals_kept_minutes: int = 60  # a deleted candidate's id stays this long for the engines to patch with
    plan_at: str = "02:00"  # the nightly plan, at this time of day in the region's timezone
    timezone: str = "Europe/Amsterdam"

    def __post_init__(self) -> None:
        try:
            time.fromisoformat(self.plan_at)
            ZoneInfo(self.timezone)
        except (ValueError, ZoneInfoNotFoundError) as exc:
            raise ValueError(f"the nightly plan needs a time HH:MM and a known timezone: {exc}") from None

    @property
    def plan_time(self) -> time:
        return time.fromisoformat(self.plan_at)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def removals_kept(self) -> timedelta:
        return timedelta(minutes=self.removals_kept_minutes)

    @property
    def hold(self) -> timedelta:
        return timedelta(days=self.hold_days)

    @property
    def confirm_after(self) -> timedelta:
        return timedelta(days=self.confirm_after_days)

    @property
    def stale_grace(self) -> timedelta:
        return timedelta(days=self.stale_grace_days)

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> MatchingSettings:
        """From the environment; a number that is not positive, a time that is not HH:MM or an unknown timezone
        is refused at start-up."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            for key in (f"REGIONET_MATCHING_{f.name.upper()}", f"REGIONET_{f.name.upper()}"):
                if key in env:
                    raw = env[key]
                    if f.type == "str":
                        values[f.name] = raw
                        break
                    value = float(raw) if f.type == "float" else int(raw)
                    if value <= 0:
                        raise ValueError(f"{key} must be a positive number, not {raw!r}")
                    values[f.name] = value
                    break
        return cls(**values)
