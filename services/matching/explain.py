"""Plain-words explanations of an evaluation in Dutch, German or English, built from the same facts as its score."""

from __future__ import annotations

from services.matching.domain import Evaluation, Filter
from services.matching.vocabulary import Fit, Language, Vocabulary

_T: dict[str, dict[Language, str]] = {
    "essential": {
        "nl": "{covered} van {total} essentiële vaardigheden",
        "de": "{covered} von {total} wesentlichen Fähigkeiten",
        "en": "{covered} of {total} essential skills",
    },
    "no_essential": {
        "nl": "geen essentiële vaardigheden gevraagd",
        "de": "keine wesentlichen Fähigkeiten verlangt",
        "en": "no essential skills asked",
    },
    "missing": {"nl": "ontbreekt: {items}", "de": "fehlt: {items}", "en": "missing: {items}"},
    "optional": {
        "nl": "{covered} van {total} optionele vaardigheden",
        "de": "{covered} von {total} optionalen Fähigkeiten",
        "en": "{covered} of {total} optional skills",
    },
    "km": {"nl": "{about}{km} km", "de": "{about}{km} km", "en": "{about}{km} km"},
    "about": {"nl": "ongeveer ", "de": "etwa ", "en": "about "},
    "km_unknown": {"nl": "afstand onbekend", "de": "Entfernung unbekannt", "en": "distance unknown"},
    "exact": {"nl": "gewenst beroep: {occ}", "de": "Wunschberuf: {occ}", "en": "desired occupation: {occ}"},
    "broader": {
        "nl": "verwant aan gewenst beroep {wanted} (breder/smaller): {occ}",
        "de": "Ober-/Unterberuf des Wunschberufs {wanted}: {occ}",
        "en": "broader or narrower than desired occupation {wanted}: {occ}",
    },
    "related": {
        "nl": "verwant aan gewenst beroep {wanted}: {occ}",
        "de": "verwandt mit Wunschberuf {wanted}: {occ}",
        "en": "related to desired occupation {wanted}: {occ}",
    },
    "no_fit": {"nl": "ander beroep: {occ}", "de": "anderer Beruf: {occ}", "en": "other occupation: {occ}"},
    "language_ok": {
        "nl": "taalniveau {level} (gevraagd {required})",
        "de": "Sprachniveau {level} (verlangt {required})",
        "en": "language level {level} (asked {required})",
    },
    "language_none": {
        "nl": "taalniveau onbekend (gevraagd {required})",
        "de": "Sprachniveau unbekannt (verlangt {required})",
        "en": "language level unknown (asked {required})",
    },
    "bbl": {
        "nl": "BBL-plaats voor crebo {crebo} bij een erkend leerbedrijf",
        "de": "BBL-Platz (duale Ausbildung) für Crebo {crebo} bei einem anerkannten Ausbildungsbetrieb",
        "en": "BBL place for crebo {crebo} at a recognised company",
    },
    "internship": {
        "nl": "stage voor crebo {crebo} bij een erkend leerbedrijf",
        "de": "Praktikum für Crebo {crebo} bei einem anerkannten Ausbildungsbetrieb",
        "en": "internship for crebo {crebo} at a recognised company",
    },
    "vacancy": {"nl": "vacature", "de": "Stelle", "en": "vacancy"},
    "hybrid_teacher": {
        "nl": "plek als hybride docent",
        "de": "Stelle als Hybridlehrkraft",
        "en": "hybrid-teacher post",
    },
}

_WHY_NOT: dict[Filter, dict[Language, str]] = {
    Filter.CONSENT: {
        "nl": "geen toestemming voor matching",
        "de": "keine Einwilligung ins Matching",
        "en": "no consent to matching",
    },
    Filter.OPEN: {"nl": "niet meer open", "de": "nicht mehr offen", "en": "no longer open"},
    Filter.CAPACITY: {"nl": "geen plaatsen meer vrij", "de": "keine Plätze mehr frei", "en": "no places left"},
    Filter.RECOGNISED: {
        "nl": "werkgever is geen erkend leerbedrijf voor deze kwalificatie",
        "de": "Betrieb ist für diese Qualifikation kein anerkannter Ausbildungsbetrieb",
        "en": "employer is not a recognised learning company for this qualification",
    },
    Filter.RADIUS: {
        "nl": "buiten de reisafstand ({km} km, maximaal {radius} km)",
        "de": "außerhalb des Pendelradius ({km} km, höchstens {radius} km)",
        "en": "outside the travel radius ({km} km, at most {radius} km)",
    },
    Filter.HOURS: {"nl": "uren passen niet", "de": "Stunden passen nicht", "en": "hours do not fit"},
    Filter.START: {
        "nl": "niet beschikbaar op de startdatum",
        "de": "zum Starttermin nicht verfügbar",
        "en": "not available by the start date",
    },
}


def _labels(vocab: Vocabulary, keys: tuple[str, ...], lang: Language) -> str:
    return ", ".join(vocab.label(k, lang) for k in keys)


def _km(e: Evaluation, lang: Language) -> str:
    d = e.facts.distance
    if d.km is None:
        return _T["km_unknown"][lang]
    return _T["km"][lang].format(about=_T["about"][lang] if d.approximate else "", km=round(d.km))


def explain(e: Evaluation, vocab: Vocabulary, lang: Language) -> str:
    """Why this match scores as it does: skills covered and missing, distance, occupation fit, language, the kind."""
    f = e.facts
    covered = f.essential_total - len(f.essential_missing)
    key = "essential" if f.essential_total else "no_essential"
    essential = _T[key][lang].format(covered=covered, total=f.essential_total)
    if f.essential_missing:
        essential += f" ({_T['missing'][lang].format(items=_labels(vocab, f.essential_missing, lang))})"
    parts = [essential]
    if f.optional_total:
        parts.append(_T["optional"][lang].format(covered=f.optional_covered, total=f.optional_total))
    parts.append(_km(e, lang))
    occ = vocab.label(e.occupation, lang)
    wanted = vocab.label(f.wanted, lang) if f.wanted else ""
    fit_key = {Fit.EXACT: "exact", Fit.BROADER: "broader", Fit.RELATED: "related", Fit.NONE: "no_fit"}[f.fit]
    parts.append(_T[fit_key][lang].format(occ=occ, wanted=wanted))
    if f.language_required is not None:
        if f.language_level is None:
            parts.append(_T["language_none"][lang].format(required=f.language_required.name))
        else:
            parts.append(_T["language_ok"][lang].format(level=f.language_level.name, required=f.language_required.name))
    parts.append(_T[e.kind.value][lang].format(crebo=e.crebo or ""))
    return "; ".join(parts)


def why_not(e: Evaluation, lang: Language) -> str:
    """For a near miss: the one filter that failed, in words."""
    (failed,) = e.failed
    d = e.facts.distance
    km = "?" if d.km is None else str(round(d.km))
    return _WHY_NOT[failed][lang].format(km=km, radius=round(e.facts.radius_km))
