"""The rules table and its templates, without I/O: every rule says something sensible in every language."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from services.matching.web.routes import routers
from services.notifications import rendering
from services.notifications.domain import OWN_FEED, RULES, Audience, Channel, Rule, events_with_rules, rules_for
from services.notifications.rendering import Language
from services.notifications.settings import NotificationSettings
from services.notifications.tests.samples import sample
from shared.events.catalogue import CATALOGUE


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
@pytest.mark.parametrize("language", rendering.LANGUAGES)
def test_every_rule_renders_a_sentence_and_an_email_in_every_language(rule: Rule, language: Language) -> None:
    data = sample(rule.event).model_dump(mode="json")
    said = rendering.message(rule, data, language)
    assert said.subject
    assert said.text.endswith(".")
    assert "{" not in said.text
    assert "None" not in said.text
    assert said.link.startswith("/")
    assert "{" not in said.link

    mail = rendering.email(rule, data, language, web_url="https://regionet.example/", region="gld")
    assert said.text in mail.text
    assert f"https://regionet.example{said.link}" in mail.text
    assert f'href="https://regionet.example{said.link}"' in mail.html


def test_every_link_is_a_page_the_web_ui_serves() -> None:
    pages = [
        route.path_regex
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute) and "GET" in (route.methods or ()) and not route.path.startswith("/static/")
    ]
    links = {rule.name: rule.link_for(sample(rule.event).model_dump(mode="json")) for rule in RULES}
    links["webhook_disabled"] = OWN_FEED
    unserved = {name: link for name, link in links.items() if not any(page.fullmatch(link) for page in pages)}
    assert unserved == {}


def test_email_links_go_to_the_web_ui_as_configured_else_to_matching(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REGIONET_NOTIFICATIONS_WEB_URL", "REGIONET_MATCHING_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REGIONET_MATCHING_URL", "http://127.0.0.1:9103")  # as regionet up sets it
    assert NotificationSettings().web_url == "http://127.0.0.1:9103"
    monkeypatch.setenv("REGIONET_MATCHING_PUBLIC_URL", "https://werk.regionet.example")
    assert NotificationSettings().web_url == "https://werk.regionet.example"
    monkeypatch.setenv("REGIONET_NOTIFICATIONS_WEB_URL", "https://meldingen.regionet.example")
    assert NotificationSettings().web_url == "https://meldingen.regionet.example"


def test_every_rule_names_an_event_of_the_catalogue() -> None:
    assert all(CATALOGUE.get(key) is not None for key in events_with_rules())


def test_email_goes_to_participants_only_because_only_their_address_can_be_looked_up() -> None:
    assert {r.audience for r in RULES if Channel.EMAIL in r.channels} == {Audience.PARTICIPANT}


def test_money_and_dates_are_written_the_way_each_language_writes_them() -> None:
    (rule,) = [r for r in rules_for("vouchers.voucher.issued.v1") if r.audience is Audience.PARTICIPANT]
    data = sample(rule.event).model_dump(mode="json")
    texts = {language: rendering.message(rule, data, language).text for language in rendering.LANGUAGES}
    assert "€\xa01.500,00" in texts["nl"]
    assert "1 juni 2027" in texts["nl"]
    assert "1.500,00\xa0€" in texts["de"]
    assert "1. Juni 2027" in texts["de"]
    assert "€1,500.00" in texts["en"]
    assert "1 June 2027" in texts["en"]


def test_a_must_send_email_says_why_and_an_ordinary_one_points_to_the_preferences() -> None:
    (decision,) = [r for r in rules_for("vouchers.voucher.issued.v1") if r.audience is Audience.PARTICIPANT]
    (ordinary,) = rules_for("vouchers.voucher.expired.v1")
    assert decision.must_send
    assert not ordinary.must_send
    issued = rendering.email(decision, sample(decision.event).model_dump(mode="json"), "en", web_url="x", region="gld")
    expired = rendering.email(ordinary, sample(ordinary.event).model_dump(mode="json"), "en", web_url="x", region="gld")
    assert "because it is a decision about your application" in issued.text
    assert "choose which messages you receive" in expired.text


def test_html_parts_escape_what_they_show() -> None:
    (rule,) = rules_for("vouchers.budget.threshold_passed.v1")
    data = sample(rule.event, category="<b>zoek</b>").model_dump(mode="json")
    mail = rendering.email(rule, data, "nl", web_url="x", region="gld")
    assert "&lt;b&gt;zoek&lt;/b&gt;" in mail.html
    assert "<b>zoek" not in mail.html


def test_only_a_placement_of_all_trajectory_changes_is_told() -> None:
    (rule,) = rules_for("intake.participant.trajectory_changed.v1")
    assert rule.applies_to({"status": "placed"})
    assert not rule.applies_to({"status": "ended"})


def test_an_unknown_or_missing_language_reads_dutch() -> None:
    assert rendering.language_of(None) == "nl"
    assert rendering.language_of("fr") == "nl"
    assert rendering.language_of("de") == "de"
