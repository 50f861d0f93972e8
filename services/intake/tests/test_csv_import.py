"""Reading messy spreadsheets: every row validated, rejected rows with their line and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.intake import csv_import
from shared.events.contracts.intake import ConsentPurpose, Situation, TargetGroup

DATA = Path(__file__).parent / "data"


def test_a_dutch_excel_export_with_bom_empty_lines_and_bad_rows_is_read_row_by_row() -> None:
    parsed = csv_import.parse_participants((DATA / "deelnemers_export.csv").read_bytes())

    by_line = {row.line: row.command for row in parsed.accepted}
    assert sorted(by_line) == [2, 3, 6, 11, 13]
    sanne = by_line[2]
    assert (sanne.name, sanne.email, sanne.postcode, sanne.situation) == (
        "Sanne de Vries",
        "sanne.devries@example.nl",
        "6811 AB",
        Situation.LOOKING_FOR_WORK,
    )
    assert sanne.target_groups == [TargetGroup.AGE_45_PLUS]
    assert sanne.consents == [ConsentPurpose.ANONYMOUS_REPORTING, ConsentPurpose.MATCHING]
    assert sanne.skills == ["lassen", "heftruck"]
    assert by_line[6].preferred_language == "de"
    assert by_line[6].situation is Situation.SELF_EMPLOYED_IN_TECH
    # A quoted field may hold the delimiter and a line break; the row keeps its first line number.
    assert by_line[13].name == "Ingrid Smit; jr."

    reasons = {r.line: r.reason for r in parsed.rejected}
    assert sorted(reasons) == [5, 8, 9, 10]
    assert "email" in reasons[5]
    assert "not a Dutch postcode" in reasons[8]
    assert "31-02-1980" in reasons[9]
    assert "astronaut" in reasons[10]
    assert parsed.ignored_columns == ["Opmerkingen"]


def test_an_employer_file_in_windows_1252_rejects_bad_kvk_numbers_and_repeats() -> None:
    parsed = csv_import.parse_employers((DATA / "werkgevers_export.csv").read_bytes())

    by_line = {row.line: row.command for row in parsed.accepted}
    assert sorted(by_line) == [2, 4, 6]
    assert by_line[6].name == "Café Techniek & Zn"
    assert by_line[4].employee_count == 1250
    assert by_line[4].accredited_learning_company is True
    assert by_line[2].contacts[0].name == "Henk Kuipers"
    reasons = {r.line: r.reason for r in parsed.rejected}
    assert sorted(reasons) == [3, 7, 8]
    assert "exactly 8 digits" in reasons[3]
    assert "already appears on line 2" in reasons[7]
    assert "ja or nee" in reasons[8]


def test_the_same_row_gets_the_same_digest_in_another_file() -> None:
    header = "naam;situatie;postcode\n"
    first = csv_import.parse_participants(f"{header}Jan Jansen;zoekt werk;6811ab\n".encode())
    second = csv_import.parse_participants(f"\ufeff{header}\n\nJan Jansen ; Zoekt werk ; 6811 AB\n".encode())
    assert first.accepted[0].digest == second.accepted[0].digest


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"\n\n;;;\n", "empty"),
        (b"voornaam;postcode\nJan;6811 AB\n", "no column for naam \\(or achternaam\\) and situatie"),
        (b"\x00\x01\x02binary", "not a CSV"),
    ],
)
def test_a_file_without_usable_header_is_rejected_as_a_whole(content: bytes, words: str) -> None:
    with pytest.raises(csv_import.FileRejected, match=words):
        csv_import.parse_participants(content)


def test_an_unclosed_quote_rejects_its_own_line_and_every_later_row_is_still_read() -> None:
    content = b'naam;situatie\nAnna;student\n"Jan;student\nPiet;student\nKees;zoekt werk\n'
    parsed = csv_import.parse_participants(content)
    assert [(row.line, row.command.name) for row in parsed.accepted] == [(2, "Anna"), (4, "Piet"), (5, "Kees")]
    assert [(r.line, "never closed" in r.reason) for r in parsed.rejected] == [(3, True)]


def test_a_cell_over_the_size_limit_rejects_its_row_only() -> None:
    content = b"naam;situatie\n" + b"B" * 140_000 + b";student\nKees;student\n"
    parsed = csv_import.parse_participants(content)
    assert [(row.line, row.command.name) for row in parsed.accepted] == [(3, "Kees")]
    assert [(r.line, "longer than" in r.reason) for r in parsed.rejected] == [(2, True)]


def test_bytes_that_are_neither_utf8_nor_windows_1252_reject_their_rows() -> None:
    # 0x81 and 0x8d are undefined in Windows-1252; "é" is UTF-8, so the file is mostly UTF-8.
    content = "naam;situatie\nRené;student\n".encode() + b"Ja\x81n\x8d;student\nKees;student\n"
    parsed = csv_import.parse_participants(content)
    assert [(row.line, row.command.name) for row in parsed.accepted] == [(2, "René"), (4, "Kees")]
    assert [(r.line, "could not be read" in r.reason) for r in parsed.rejected] == [(3, True)]


def test_control_characters_in_a_cell_reject_the_row() -> None:
    parsed = csv_import.parse_participants(b"naam;situatie\nJa\x07n;student\nKees;student\n")
    assert [(row.line, row.command.name) for row in parsed.accepted] == [(3, "Kees")]
    assert [(r.line, "control character" in r.reason) for r in parsed.rejected] == [(2, True)]


def test_a_nul_deep_in_a_file_rejects_its_row_instead_of_reaching_the_database() -> None:
    long_row = b"Lange Naam;" + b"student" + b" " * 5000 + b"\n"
    parsed = csv_import.parse_participants(b"naam;situatie\n" + long_row + b"Ja\x00n;student\nKees;student\n")
    assert [row.line for row in parsed.accepted] == [2, 4]
    assert [(r.line, "control character" in r.reason) for r in parsed.rejected] == [(3, True)]
