"""Every event contract of every service; importing this package fills the catalogue."""

from shared.events.contracts import intake, matching, notifications, vouchers

__all__ = ["intake", "matching", "notifications", "vouchers"]
