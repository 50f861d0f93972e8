"""The demo region's data: fictional people and organisations shaped like Gelderland's programme.

Generated from a seed, so every run produces the same region. The proportions follow the
*Leve(n)lang Gelders Vakmanschap* reports: most participants already work in technology or are
looking for work there, fewer come from other sectors or are self-employed; the target groups
are vulnerable youth, people aged 45+, refugees with a residence permit and women.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

FIRST_NAMES = [
    "Sanne",
    "Daan",
    "Fleur",
    "Bram",
    "Lotte",
    "Ruben",
    "Iris",
    "Thijs",
    "Noor",
    "Jesse",
    "Eva",
    "Mohamed",
    "Yara",
    "Ahmed",
    "Fatima",
    "Mehmet",
    "Ayşe",
    "Tesfay",
    "Senait",
    "Piotr",
    "Agnieszka",
    "Kees",
    "Marja",
    "Henk",
    "Ingrid",
    "Wim",
    "Anouk",
    "Joost",
    "Linda",
    "Youssef",
]
LAST_NAMES = [
    "de Vries",
    "Jansen",
    "van den Berg",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "El Amrani",
    "Yılmaz",
    "Haile",
    "Kowalski",
    "Gerritsen",
    "Hermsen",
    "Wolters",
    "Arts",
    "Verhoeven",
]
# 4-digit areas of Arnhem, Nijmegen, Apeldoorn, Ede and Doetinchem.
POSTCODE_AREAS = [6811, 6822, 6833, 6845, 6512, 6524, 6537, 6543, 7311, 7322, 7333, 6711, 6716, 7001, 7006]
# Letter pairs in use in Dutch postcodes (SA, SD and SS are never issued).
POSTCODE_LETTERS = [
    a + b for a in "ABCDEGHJKLMNPRSTVWXZ" for b in "ABCDEGHJKLMNPRSTVWXZ" if a + b not in {"SA", "SD", "SS"}
]
# Occupations and skills by their ids in matching's vocabulary (services/matching/data/vocabulary.json),
# each occupation with the skills people who want it tend to have: intake keeps them as tags, matching
# ranks on them.
SKILLS_OF_OCCUPATION = {
    "hvac-installer": ["install-plumbing-pipes", "install-heating-boiler", "install-ventilation", "install-heat-pump"],
    "electrician": [
        "install-electrical-wiring",
        "test-electrical-equipment",
        "electrical-safety",
        "install-switchboards",
    ],
    "welder": ["tig-welding", "mag-welding", "read-technical-drawings", "measure-precision", "mig-welding"],
    "cnc-operator": ["program-cnc", "read-technical-drawings", "measure-precision", "operate-lathe"],
    "heating-technician": ["install-heating-boiler", "install-gas-piping", "customer-contact", "install-heat-pump"],
    "machinery-mechanic": ["maintain-machinery", "read-technical-drawings", "hydraulics", "pneumatics"],
    "mechatronics-technician": ["mechatronics", "plc-programming", "pneumatics", "read-electrical-diagrams"],
    "vocational-teacher": ["teach-vocational", "plan-lessons", "assess-students", "coach-apprentices"],
}
OCCUPATIONS = list(SKILLS_OF_OCCUPATION)
SKILLS = sorted({skill for skills in SKILLS_OF_OCCUPATION.values() for skill in skills})
SITUATIONS = [  # (situation, weight) — after the 750th voucher: 235 new, 422 in tech, 77 retraining, 40 zzp
    ("looking_for_work", 32),
    ("working_in_tech", 40),
    ("working_outside_tech", 12),
    ("self_employed_in_tech", 6),
    ("student", 7),
    ("other", 3),
]
SECTORS = ["installatietechniek", "metaal", "elektrotechniek", "bouw", "mobiliteit"]
EMPLOYER_NAMES = [
    "Installatiebedrijf {n}",
    "{n} Metaalbewerking",
    "Elektro {n}",
    "{n} Bouw & Techniek",
    "Garage {n}",
    "{n} Klimaattechniek",
    "Constructiebedrijf {n}",
    "{n} Industrieel Onderhoud",
]
PROVIDERS = [
    ("Vakschool Oost", [("Basis lassen MIG/MAG", 125_000, 80), ("CNC draaien en frezen", 165_000, 120)]),
    ("Installatie Opleidingen Arnhem", [("Monteur warmtepompen", 185_000, 120), ("NEN 3140 VOP", 49_500, 16)]),
    ("Metaal Leercentrum Nijmegen", [("Constructiebankwerken", 140_000, 100), ("Tekeninglezen metaal", 39_500, 24)]),
    ("E-Techniek Instituut", [("PLC basis", 110_000, 40), ("Zonnepanelen installeren", 95_000, 32)]),
    ("Praktijkopleider Academie", [("Hybride docent: didactiek voor vakmensen", 150_000, 60)]),
]
# The four Gelderland categories, with budgets in vouchers of EUR 1,000 shaped like the tally at the
# 750th voucher (235 new technicians, 422 in technology, 77 from other sectors, 40 self-employed).
VOUCHER_CENTS = 100_000
PROGRAMME_CATEGORIES = [
    ("zoek_werk_techniek", "Ik zoek werk in de techniek", "looking_for_work", 235),
    ("werk_in_techniek", "Ik werk in de techniek", "working_in_tech", 422),
    ("werk_buiten_techniek", "Ik werk buiten de techniek", "working_outside_tech", 77),
    ("zzp_techniek", "Ik ben zzp'er in de techniek", "self_employed_in_tech", 40),
]
CATEGORY_OF_SITUATION = {situation: code for code, _, situation, _ in PROGRAMME_CATEGORIES}
COACH_NAMES = ["Anna Willems", "Bert Kuipers", "Chantal Roelofs", "Dirk Hoekstra", "Esra Demir", "Frank Lammers"]


@dataclass
class DemoRegion:
    """Everything the demo loads, as API request bodies."""

    region: str
    coaches: list[dict[str, Any]] = field(default_factory=list)
    participants: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (coach id, body)
    employers: list[dict[str, Any]] = field(default_factory=list)
    providers: list[tuple[dict[str, Any], list[dict[str, Any]]]] = field(default_factory=list)
    programme: dict[str, Any] = field(default_factory=dict)
    applicants: int = 0  # how many eligible participants apply for a voucher


def applicants_of(demo: DemoRegion) -> list[int]:
    """Indexes of the participants who apply for a voucher: the first eligible ones."""
    eligible = [i for i, (_, body) in enumerate(demo.participants) if body["situation"] in CATEGORY_OF_SITUATION]
    return eligible[: demo.applicants]


def programme_body(opens_at: datetime) -> dict[str, Any]:
    """The demo's first-come-first-served voucher programme, open from ``opens_at`` for 90 days."""
    categories = [
        {
            "code": code,
            "name": name,
            "voucher_amount_cents": VOUCHER_CENTS,
            "budget_cents": vouchers * VOUCHER_CENTS,
            "eligible_situations": [situation],
        }
        for code, name, situation, vouchers in PROGRAMME_CATEGORIES
    ]
    return {
        "name": "Leve(n)lang Gelders Vakmanschap",
        "mode": "fcfs",
        "opens_at": opens_at.isoformat(),
        "closes_at": (opens_at + timedelta(days=90)).isoformat(),
        "redeem_by": (opens_at + timedelta(days=365)).isoformat(),
        "budget_cents": sum(c["budget_cents"] for c in categories),
        "categories": categories,
    }


def _birth_date(rng: random.Random, age: int) -> str:
    return date(date.today().year - age, rng.randint(1, 12), rng.randint(1, 28)).isoformat()


def _participant(rng: random.Random) -> dict[str, Any]:
    situation = rng.choices([s for s, _ in SITUATIONS], weights=[w for _, w in SITUATIONS])[0]
    target_groups: list[str] = []
    age = rng.randint(27, 44)
    roll = rng.random()
    if roll < 0.18:
        age = rng.randint(17, 26)
        target_groups.append("vulnerable_youth")
    elif roll < 0.40:
        age = rng.randint(45, 63)
        target_groups.append("age_45_plus")
    if rng.random() < 0.10:
        target_groups.append("refugee_with_permit")
    first = rng.choice(FIRST_NAMES)
    if (
        first
        in {
            "Sanne",
            "Fleur",
            "Lotte",
            "Iris",
            "Noor",
            "Eva",
            "Yara",
            "Fatima",
            "Ayşe",
            "Senait",
            "Agnieszka",
            "Marja",
            "Ingrid",
            "Anouk",
            "Linda",
        }
        and rng.random() < 0.7
    ):
        target_groups.append("woman")
    declares = bool(target_groups) and rng.random() < 0.8
    consents = ["coaching"]
    if declares:
        consents += ["matching", "anonymous_reporting"]
    elif rng.random() < 0.5:
        consents.append("matching")
    if rng.random() < 0.7:
        consents.append("email_contact")
    last = rng.choice(LAST_NAMES)
    handle = f"{first}.{last}".lower().replace(" ", "").replace("ş", "s").replace("ı", "i")
    letters = rng.choice(POSTCODE_LETTERS)
    wanted = rng.sample(OCCUPATIONS, rng.randint(1, 2))
    return {
        "name": f"{first} {last}",
        "email": f"{handle}{rng.randint(1, 999)}@example.org",
        "phone": f"06{rng.randint(10_000_000, 99_999_999)}",
        "birth_date": _birth_date(rng, age),
        "postcode": f"{rng.choice(POSTCODE_AREAS)} {letters}",
        "preferred_language": rng.choices(["nl", "en", "de"], weights=[85, 12, 3])[0],
        "situation": situation,
        "target_groups": target_groups if declares else [],
        "education_level": rng.choice(["vmbo", "mbo2", "mbo3", "mbo4", "hbo"]),
        "skills": sorted(set(rng.sample(SKILLS_OF_OCCUPATION[wanted[0]], rng.randint(2, 4)) + rng.sample(SKILLS, 1))),
        "desired_occupations": wanted,
        "consents": consents,
    }


def demo_region(
    region: str = "gld", *, participants: int = 240, employers: int = 30, applicants: int = 60, seed: int = 2018
) -> DemoRegion:
    """The demo data set of one region."""
    rng = random.Random(seed)
    demo = DemoRegion(region=region, programme=programme_body(datetime.now(UTC) - timedelta(hours=1)))
    demo.applicants = applicants
    for i, name in enumerate(COACH_NAMES, start=1):
        demo.coaches.append(
            {"id": f"coach-{region}-{i:02d}", "display_name": name, "region": region, "max_caseload": 60}
        )
    for _ in range(participants):
        coach = rng.choice(demo.coaches)["id"]
        demo.participants.append((coach, _participant(rng)))
    kvk_numbers = rng.sample(range(10_000_000, 99_999_999), employers + len(PROVIDERS))
    for i in range(employers):
        employees = rng.choice([4, 9, 18, 35, 60, 120, 240, 400, 900])
        demo.employers.append(
            {
                "kvk_number": str(kvk_numbers[i]),
                "name": rng.choice(EMPLOYER_NAMES).format(n=rng.choice(LAST_NAMES).split()[-1]),
                "sector": rng.choice(SECTORS),
                "employee_count": employees,
                "postcode": f"{rng.choice(POSTCODE_AREAS)} {rng.choice('ABCDEGH')}{rng.choice('KLMNPRST')}",
                "accredited_learning_company": rng.random() < 0.6,
            }
        )
    for j, (name, courses) in enumerate(PROVIDERS):
        body = {"kvk_number": str(kvk_numbers[employers + j]), "name": name, "accredited": True}
        demo.providers.append((body, [{"title": t, "price_cents": p, "duration_hours": h} for t, p, h in courses]))
    return demo
