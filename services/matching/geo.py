"""Distances between postcode areas from the shipped coordinates (data/postcodes.csv.gz); nothing is fetched."""

from __future__ import annotations

import csv
import gzip
import io
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)


@dataclass(frozen=True, slots=True)
class Point:
    """Where a postcode area lies; ``approximate`` when it is not the area's own centroid."""

    lat: float
    lon: float
    approximate: bool


@dataclass(frozen=True, slots=True)
class Distance:
    """Kilometres between two areas, or ``km=None`` when an area is not in the data (then it says which)."""

    km: float | None
    approximate: bool
    unknown: tuple[str, ...] = ()


def area_key(country: str, postcode: str) -> str:
    """``NL-1234`` for a Dutch PC4 (the first four digits of any Dutch postcode), ``DE-12345`` for a German PLZ."""
    code = postcode.replace(" ", "").upper()
    return f"NL-{code[:4]}" if country.upper() == "NL" else f"{country.upper()}-{code}"


@cache
def points() -> dict[str, Point]:
    """Every shipped area by its key, read once per process."""
    raw = resources.files("services.matching").joinpath("data/postcodes.csv.gz").read_bytes()
    with io.TextIOWrapper(gzip.GzipFile(fileobj=io.BytesIO(raw)), encoding="utf-8") as text:
        return {
            f"{row['country']}-{row['postcode']}": Point(
                float(row["lat"]), float(row["lon"]), row["approximate"] == "1"
            )
            for row in csv.DictReader(text)
        }


def haversine_km(a: Point, b: Point) -> float:
    """Great-circle distance; road distance is longer, which the travel radius a coach sets allows for."""
    dlat = math.radians(b.lat - a.lat)
    dlon = math.radians(b.lon - a.lon)
    h = (
        math.sin(dlat / 2) ** 2
        + math.cos(math.radians(a.lat)) * math.cos(math.radians(b.lat)) * math.sin(dlon / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def distance(a: str, b: str) -> Distance:
    """Distance between two area keys (see ``area_key``); an unknown area gives ``km=None``, never an exception."""
    known = points()
    unknown = tuple(key for key in (a, b) if key not in known)
    if unknown:
        return Distance(km=None, approximate=True, unknown=unknown)
    pa, pb = known[a], known[b]
    return Distance(km=haversine_km(pa, pb), approximate=pa.approximate or pb.approximate)
