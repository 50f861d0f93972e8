"""The web UI's words in Dutch, German and English, and which language a reader gets.

Every visible string of a page comes from :data:`MESSAGES`; a test checks that each key exists
in all three languages. A reader's language is, in order: the one they picked (``?lang=`` is
remembered in a cookie), their account's, their browser's (``Accept-Language``), Dutch.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("nl", "de", "en")
DEFAULT = "nl"
LANGUAGE_NAMES = {"nl": "Nederlands", "de": "Deutsch", "en": "English"}

MESSAGES: Mapping[str, Mapping[str, str]] = {
    "nl": {
        "app": "Regionet",
        "skip": "Naar de inhoud",
        "language": "Taal",
        "signin.title": "Inloggen",
        "signin.intro": "Log in met het account van je regio.",
        "signin.oidc": "Inloggen bij je regio",
        "signin.dev.title": "Ontwikkelomgeving: kies een account",
        "signin.dev.intro": "Alleen onder ./dev up: kies een van de accounts van deze regio.",
        "signin.dev.account": "Account",
        "signin.dev.submit": "Inloggen als dit account",
        "signin.dev.none": "Er zijn nog geen accounts. Laad de demoregio met: regionet demo",
        "signout": "Uitloggen",
        "home.title": "Welkom",
        "home.signed_in_as": "Je bent ingelogd als",
        "home.role": "Rol",
        "home.party": "Handelt namens",
        "role.participant": "deelnemer",
        "role.coach": "arbeidsmarktcoach",
        "role.employer": "werkgever",
        "role.provider": "opleider",
        "role.programme_officer": "programmamedewerker",
        "role.admin": "beheerder",
        "error.title": "Dat lukte niet",
        "error.csrf": "Het formulier was verlopen of kwam niet van deze pagina. Probeer het opnieuw.",
        "error.signin": "Inloggen is niet gelukt",
        "error.back": "Terug naar inloggen",
    },
    "de": {
        "app": "Regionet",
        "skip": "Zum Inhalt",
        "language": "Sprache",
        "signin.title": "Anmelden",
        "signin.intro": "Melden Sie sich mit dem Konto Ihrer Region an.",
        "signin.oidc": "Bei Ihrer Region anmelden",
        "signin.dev.title": "Entwicklungsumgebung: Konto wählen",
        "signin.dev.intro": "Nur unter ./dev up: wählen Sie eines der Konten dieser Region.",
        "signin.dev.account": "Konto",
        "signin.dev.submit": "Mit diesem Konto anmelden",
        "signin.dev.none": "Es gibt noch keine Konten. Laden Sie die Demoregion mit: regionet demo",
        "signout": "Abmelden",
        "home.title": "Willkommen",
        "home.signed_in_as": "Sie sind angemeldet als",
        "home.role": "Rolle",
        "home.party": "Handelt für",
        "role.participant": "Teilnehmende Person",
        "role.coach": "Arbeitsmarkt-Coach",
        "role.employer": "Arbeitgeber",
        "role.provider": "Bildungsanbieter",
        "role.programme_officer": "Programmverantwortliche Person",
        "role.admin": "Administration",
        "error.title": "Das hat nicht geklappt",
        "error.csrf": "Das Formular war abgelaufen oder kam nicht von dieser Seite. Bitte versuchen Sie es erneut.",
        "error.signin": "Die Anmeldung ist fehlgeschlagen",
        "error.back": "Zurück zur Anmeldung",
    },
    "en": {
        "app": "Regionet",
        "skip": "Skip to content",
        "language": "Language",
        "signin.title": "Sign in",
        "signin.intro": "Sign in with your region's account.",
        "signin.oidc": "Sign in with your region",
        "signin.dev.title": "Development: pick an account",
        "signin.dev.intro": "Only under ./dev up: pick one of this region's accounts.",
        "signin.dev.account": "Account",
        "signin.dev.submit": "Sign in as this account",
        "signin.dev.none": "There are no accounts yet. Load the demo region with: regionet demo",
        "signout": "Sign out",
        "home.title": "Welcome",
        "home.signed_in_as": "You are signed in as",
        "home.role": "Role",
        "home.party": "Acts for",
        "role.participant": "participant",
        "role.coach": "labour-market coach",
        "role.employer": "employer",
        "role.provider": "training provider",
        "role.programme_officer": "programme officer",
        "role.admin": "administrator",
        "error.title": "That did not work",
        "error.csrf": "The form had expired or did not come from this page. Please try again.",
        "error.signin": "Signing in failed",
        "error.back": "Back to sign-in",
    },
}


def from_accept_language(header: str | None) -> str | None:
    """The first of our languages the browser asks for, by its weights (``de-DE;q=0.9, en;q=0.8``)."""
    if not header:
        return None
    wanted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        wanted.append((-weight, position, tag.strip().lower().split("-")[0]))
    for _, _, language in sorted(wanted):
        if language in LANGUAGES:
            return language
    return None


def choose(*candidates: str | None) -> str:
    """The first candidate that is one of our languages; Dutch otherwise."""
    for candidate in candidates:
        if candidate in LANGUAGES:
            return str(candidate)
    return DEFAULT


def translator(language: str) -> Mapping[str, str]:
    """The messages of ``language``."""
    return MESSAGES[language]
