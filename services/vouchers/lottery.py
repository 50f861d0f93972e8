"""Window allocation: a seeded, auditable lottery with quotas and weights per target group.

Everyone who applied within the window is equal. At close the programme's seed (whose sha256
was published when the programme was created, so it cannot be chosen afterwards) gives each
application a ticket: ``u = (int(sha256("<seed>:<application id>")[:13], 16) + 0.5) / 2**52``,
and with a weight ``w`` for its target groups its key is ``-ln(u) / w`` (Efraimidis–Spirakis
weighted sampling; smaller keys come first, ties broken by application id). Per category, in
the order of the keys:

1. quota pass: for each quota group (sorted by name) with ``q`` percent, applications of that
   group are funded while the group's money stays within ``q`` percent of the category budget;
2. open pass: every remaining application is funded while its amount fits what is left.

The waiting list is the unfunded applications in key order. Everything here is a pure function
of the published seed and inputs, so anyone can re-run :func:`draw` and get the same result.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

ALGORITHM = "regionet-lottery-v1: efraimidis-spirakis keys from sha256(seed:application_id), quota pass, open pass"


@dataclass(frozen=True)
class Entry:
    """One application in the draw."""

    application_id: str
    category: str
    amount_cents: int
    target_groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class DrawInput:
    """Everything the draw depends on; published so anyone can re-run it."""

    seed: str
    entries: tuple[Entry, ...]
    budgets: Mapping[str, int]
    quotas: Mapping[str, int] = field(default_factory=dict)
    weights: Mapping[str, float] = field(default_factory=dict)

    def digest(self) -> str:
        """sha256 of the canonical inputs (the seed excluded: it has its own commitment)."""
        canonical = {
            "entries": [asdict(e) for e in sorted(self.entries, key=lambda e: e.application_id)],
            "budgets": dict(sorted(self.budgets.items())),
            "quotas": dict(sorted(self.quotas.items())),
            "weights": dict(sorted(self.weights.items())),
        }
        return hashlib.sha256(json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True)
class DrawResult:
    """The outcome: the full order, who got money, and the waiting list."""

    order: tuple[str, ...]
    funded: tuple[str, ...]
    waitlist: tuple[str, ...]
    funded_cents: Mapping[str, int]


def seed_commitment(seed: str) -> str:
    """What is published before the window opens: the sha256 of the seed."""
    return hashlib.sha256(seed.encode()).hexdigest()


def ticket(seed: str, application_id: str) -> float:
    """A uniform number in (0, 1) that only the seed and the application id determine."""
    digest = hashlib.sha256(f"{seed}:{application_id}".encode()).hexdigest()
    return (int(digest[:13], 16) + 0.5) / 2**52


def weight_of(entry: Entry, weights: Mapping[str, float]) -> float:
    """The largest weight among the entry's target groups (1 when none is weighted)."""
    return max([weights.get(g, 1.0) for g in entry.target_groups] + [1.0])


def groups_that_count(
    groups: Sequence[str], quotas: Mapping[str, int], weights: Mapping[str, float]
) -> tuple[str, ...]:
    """The target groups of an application that the draw uses: those with a quota or a weight.

    Only these are published with the draw; the others do not change its outcome, so they stay
    private (data minimisation).
    """
    return tuple(sorted(g for g in groups if g in quotas or g in weights))


def draw(data: DrawInput) -> DrawResult:
    """Run the lottery; the same input always gives the same result."""
    for group, weight in data.weights.items():
        if weight <= 0:
            raise ValueError(f"the weight of {group!r} must be positive")
    keyed = sorted(
        data.entries,
        key=lambda e: (-math.log(ticket(data.seed, e.application_id)) / weight_of(e, data.weights), e.application_id),
    )
    funded: list[str] = []
    funded_set: set[str] = set()
    funded_cents: dict[str, int] = {}
    for category in sorted({e.category for e in keyed}):
        budget = data.budgets.get(category, 0)
        left = budget
        mine = [e for e in keyed if e.category == category]
        for group, pct in sorted(data.quotas.items()):
            room = budget * pct // 100
            for e in mine:
                if (
                    group in e.target_groups
                    and e.application_id not in funded_set
                    and e.amount_cents <= min(room, left)
                ):
                    room -= e.amount_cents
                    left -= e.amount_cents
                    funded.append(e.application_id)
                    funded_set.add(e.application_id)
        for e in mine:
            if e.application_id not in funded_set and e.amount_cents <= left:
                left -= e.amount_cents
                funded.append(e.application_id)
                funded_set.add(e.application_id)
        funded_cents[category] = budget - left
    order = tuple(e.application_id for e in keyed)
    waitlist = tuple(a for a in order if a not in funded_set)
    return DrawResult(order=order, funded=tuple(funded), waitlist=waitlist, funded_cents=funded_cents)


def rerun(published: Mapping[str, object]) -> DrawResult:
    """Re-run a draw from what ``GET /programmes/{id}/draw`` publishes."""
    entries = published["entries"]
    assert isinstance(entries, Sequence)
    data = DrawInput(
        seed=str(published["seed"]),
        entries=tuple(
            Entry(str(e["application_id"]), str(e["category"]), int(e["amount_cents"]), tuple(e["target_groups"]))
            for e in entries
        ),
        budgets=dict(published["budgets"]),  # type: ignore[call-overload]
        quotas=dict(published["quotas"]),  # type: ignore[call-overload]
        weights=dict(published["weights"]),  # type: ignore[call-overload]
    )
    return draw(data)
