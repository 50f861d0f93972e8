"""The vocabulary opportunities and candidates are described in: occupations and skills with their labels."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.matching.api.language import Reader
from services.matching.vocabulary import load
from shared.auth import CurrentPrincipal

router = APIRouter(tags=["vocabulary"])


@router.get("/vocabulary")
async def vocabulary(principal: CurrentPrincipal, lang: Reader) -> dict[str, Any]:
    """Every occupation (with its essential and optional skills) and every skill, labelled in the reader's language."""
    vocab = load()
    return {
        "language": lang,
        "occupations": [
            {
                "id": o.id,
                "label": o.labels[lang],
                "sector": o.sector,
                "esco": o.esco or None,
                "broader": o.broader,
                "essential": list(o.essential),
                "optional": list(o.optional),
            }
            for o in vocab.occupations.values()
        ],
        "skills": [{"id": s.id, "label": s.labels[lang], "esco": s.esco or None} for s in vocab.skills.values()],
    }
