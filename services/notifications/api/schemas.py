"""What the notifications API answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel


class NotificationOut(BaseModel):
    """One entry of the caller's feed: a sentence in the caller's language and the page it concerns."""

    id: uuid.UUID
    kind: str
    category: str
    message: str
    link: str | None
    subject_id: str
    payload: dict[str, Any]
    created_at: datetime
    read_at: datetime | None
