"""Postcode coordinates: complete for both countries, distances right, unknown areas a clear answer."""

from __future__ import annotations

import pytest

from services.matching import geo


def test_every_dutch_pc4_area_and_every_german_plz_area_is_shipped() -> None:
    points = geo.points()
    dutch = [k for k in points if k.startswith("NL-")]
    german = [k for k in points if k.startswith("DE-")]
    assert len(dutch) > 4_000  # the Netherlands has about 4,070 PC4 areas with addresses
    assert len(german) > 8_100  # Germany has about 8,170 PLZ delivery areas
    assert all(len(k) == 7 and k[3:].isdigit() for k in dutch)
    assert all(len(k) == 8 and k[3:].isdigit() for k in german)
    assert all(50.7 < p.lat < 53.7 and 3.3 < p.lon < 7.3 for k, p in points.items() if k.startswith("NL-"))
    assert all(47.2 < p.lat < 55.1 and 5.8 < p.lon < 15.1 for k, p in points.items() if k.startswith("DE-"))


def test_area_keys_take_the_four_digits_of_a_dutch_postcode() -> None:
    assert geo.area_key("nl", "6811 ab") == "NL-6811"
    assert geo.area_key("DE", "10115") == "DE-10115"


@pytest.mark.parametrize(
    ("a", "b", "km"),
    [
        ("NL-1012", "NL-3511", 35),  # Amsterdam centre – Utrecht centre
        ("NL-6811", "NL-6511", 16),  # Arnhem – Nijmegen
        ("DE-10115", "DE-80331", 504),  # Berlin Mitte – München Altstadt
        ("NL-6811", "DE-47533", 25),  # Arnhem – Kleve, across the border
    ],
)
def test_known_distances_in_km(a: str, b: str, km: float) -> None:
    d = geo.distance(a, b)
    assert d.km == pytest.approx(km, abs=4)
    assert geo.distance(b, a).km == pytest.approx(d.km)
    assert geo.distance(a, a).km == 0


def test_an_area_known_only_approximately_says_so() -> None:
    approximate = next(k for k, p in geo.points().items() if p.approximate)
    exact = next(k for k, p in geo.points().items() if not p.approximate)
    assert geo.distance(approximate, exact).approximate
    assert not geo.distance(exact, exact).approximate


def test_an_unknown_area_gives_no_distance_and_names_it() -> None:
    d = geo.distance("NL-0000", "DE-10115")
    assert d.km is None
    assert d.unknown == ("NL-0000",)
