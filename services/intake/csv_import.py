"""Reading spreadsheets of participants and employers: pure parsing and row validation.

Existing programmes keep their people and companies in spreadsheets exported as CSV: Dutch
headers, semicolons (Excel's Dutch default), a byte-order mark, Windows-1252, empty lines and
rows of empty cells. Each row becomes a validated command or a rejection with its line number
and a reason; nothing here touches the database.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from services.intake.handlers.commands import RegisterEmployer, RegisterParticipant
from shared.events.contracts.intake import ConsentPurpose, Situation, TargetGroup
from shared.text_input import has_control_character

MAX_ROWS = 20_000
LIST_SEPARATORS = re.compile(r"\s*[,|/]\s*")

C = TypeVar("C", bound=BaseModel)


class FileRejected(ValueError):
    """The file as a whole cannot be read (no usable header, too many rows, not text)."""


@dataclass(frozen=True)
class Rejected:
    """A row that was not imported, and why."""

    line: int
    reason: str


@dataclass(frozen=True)
class Accepted(Generic[C]):
    """A valid row: its command and a digest that recognises the same row in a later file."""

    line: int
    command: C
    digest: str


@dataclass
class ParsedFile(Generic[C]):
    """What a file holds: valid rows, rejected rows, columns that were not understood."""

    accepted: list[Accepted[C]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def _key(text: str) -> str:
    """A header or value reduced to lower-case letters, digits, '+' and single spaces."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9+]+", " ", plain.lower()).split())


def _aliases(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {_key(alias): name for name, aliases in table.items() for alias in (name, *aliases)}


PARTICIPANT_COLUMNS = _aliases(
    {
        "name": ("naam", "volledige naam", "naam deelnemer", "full name"),
        "first_name": ("voornaam", "roepnaam"),
        "infix": ("tussenvoegsel", "tussenv"),
        "last_name": ("achternaam", "familienaam"),
        "email": ("e-mail", "e-mailadres", "emailadres", "mail"),
        "phone": ("telefoon", "telefoonnummer", "tel", "mobiel", "mobiel nummer"),
        "birth_date": ("geboortedatum", "geb datum", "geboren"),
        "postcode": ("postcode", "pc"),
        "preferred_language": ("taal", "voorkeurstaal", "language"),
        "situation": ("situatie", "huidige situatie"),
        "target_groups": ("doelgroep", "doelgroepen"),
        "education_level": ("opleidingsniveau", "opleiding", "niveau"),
        "skills": ("vaardigheden", "competenties"),
        "desired_occupations": ("gewenst beroep", "gewenste beroepen", "beroepswens"),
        "coach_id": ("coach", "arbeidsmarktcoach", "coach id"),
        "consents": ("toestemming", "toestemmingen", "consent"),
    }
)

EMPLOYER_COLUMNS = _aliases(
    {
        "kvk_number": ("kvk", "kvk nummer", "kvknummer", "kvk nr"),
        "name": ("naam", "bedrijfsnaam", "handelsnaam", "werkgever", "bedrijf"),
        "sector": ("branche", "sector"),
        "employee_count": ("aantal medewerkers", "medewerkers", "werknemers", "aantal werknemers", "fte"),
        "postcode": ("postcode",),
        "city": ("plaats", "vestigingsplaats", "woonplaats", "stad"),
        "accredited_learning_company": ("erkend leerbedrijf", "leerbedrijf", "erkend"),
        "contact_name": ("contactpersoon", "naam contactpersoon"),
        "contact_email": ("e-mail", "email", "e-mail contactpersoon", "emailadres"),
        "contact_phone": ("telefoon", "telefoonnummer", "tel"),
    }
)

SITUATIONS = {
    _key(k): v
    for k, v in {
        "zoekt werk": Situation.LOOKING_FOR_WORK,
        "werkzoekend": Situation.LOOKING_FOR_WORK,
        "ik zoek werk in de techniek": Situation.LOOKING_FOR_WORK,
        "werkt in de techniek": Situation.WORKING_IN_TECH,
        "ik werk in de techniek": Situation.WORKING_IN_TECH,
        "werkt buiten de techniek": Situation.WORKING_OUTSIDE_TECH,
        "ik werk buiten de techniek": Situation.WORKING_OUTSIDE_TECH,
        "zzp": Situation.SELF_EMPLOYED_IN_TECH,
        "zzp er": Situation.SELF_EMPLOYED_IN_TECH,
        "zzp in de techniek": Situation.SELF_EMPLOYED_IN_TECH,
        "zzp er in de techniek": Situation.SELF_EMPLOYED_IN_TECH,
        "ik ben zzp er in de techniek": Situation.SELF_EMPLOYED_IN_TECH,
        "student": Situation.STUDENT,
        "bbl": Situation.STUDENT,
        "bol": Situation.STUDENT,
        "student bbl": Situation.STUDENT,
        "student bol": Situation.STUDENT,
        "anders": Situation.OTHER,
        "overig": Situation.OTHER,
        **{s.value.replace("_", " "): s for s in Situation},
    }.items()
}

TARGET_GROUPS = {
    _key(k): v
    for k, v in {
        "kwetsbare jongeren": TargetGroup.VULNERABLE_YOUTH,
        "kwetsbare jongere": TargetGroup.VULNERABLE_YOUTH,
        "jongere": TargetGroup.VULNERABLE_YOUTH,
        "45+": TargetGroup.AGE_45_PLUS,
        "45 plus": TargetGroup.AGE_45_PLUS,
        "45 plusser": TargetGroup.AGE_45_PLUS,
        "statushouder": TargetGroup.REFUGEE_WITH_PERMIT,
        "vluchteling": TargetGroup.REFUGEE_WITH_PERMIT,
        "vrouw": TargetGroup.WOMAN,
        "vrouwen": TargetGroup.WOMAN,
        "anders": TargetGroup.OTHER,
        "overig": TargetGroup.OTHER,
        **{t.value.replace("_", " "): t for t in TargetGroup},
    }.items()
}

LANGUAGES = {
    _key(k): v
    for k, v in {
        "nl": "nl",
        "nederlands": "nl",
        "dutch": "nl",
        "de": "de",
        "duits": "de",
        "deutsch": "de",
        "german": "de",
        "en": "en",
        "engels": "en",
        "english": "en",
    }.items()
}

CONSENTS = {
    _key(k): v
    for k, v in {
        "coaching": ConsentPurpose.COACHING,
        "begeleiding": ConsentPurpose.COACHING,
        "matching": ConsentPurpose.MATCHING,
        "bemiddeling": ConsentPurpose.MATCHING,
        "rapportage": ConsentPurpose.ANONYMOUS_REPORTING,
        "anonieme rapportage": ConsentPurpose.ANONYMOUS_REPORTING,
        "e-mail": ConsentPurpose.EMAIL_CONTACT,
        "email": ConsentPurpose.EMAIL_CONTACT,
        "contact per e-mail": ConsentPurpose.EMAIL_CONTACT,
        **{c.value.replace("_", " "): c for c in ConsentPurpose if c is not ConsentPurpose.SHARE_WITH_EMPLOYER},
    }.items()
}

YES = {"ja", "j", "yes", "y", "x", "1", "true", "waar"}
NO = {"nee", "n", "no", "0", "false", "onwaar", ""}


class RowProblem(ValueError):
    """A value in a row that cannot be read; the message names the column and what to write."""


def decode(content: bytes) -> str:
    """The text of a file: UTF-8 (with or without BOM), else Windows-1252 as Excel writes it.

    Bytes that are text in neither become U+FFFD (so the rows holding them are rejected one by
    one, not imported): the encoding that leaves fewer of those is taken.
    """
    if b"\x00" in content[:4096]:
        raise FileRejected("the file is not a CSV text file; export the sheet as CSV (semicolon-separated)")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError:
        as_utf8 = content.decode("utf-8-sig", errors="replace")
        as_cp1252 = content.decode("cp1252", errors="replace")
        return min(as_utf8, as_cp1252, key=lambda text: text.count(UNREADABLE))


# A record's line breaks as the csv module counts them (str.splitlines knows more of them).
_PHYSICAL_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
UNREADABLE = "\ufffd"


def _records(text: str) -> Iterator[tuple[int, list[str] | str]]:
    """Each non-empty record with the file line it starts on, or that line and why it cannot be read.

    The delimiter is taken from the header. A quote opened and never closed would swallow every
    line after it into one cell: that record is rejected and reading goes on at the next line.
    """
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((";", ",", "\t"), key=first_line.count)
    lines = _PHYSICAL_LINES.findall(text)
    offset = 0
    while offset < len(lines):
        reader = csv.reader(io.StringIO("".join(lines[offset:]), newline=""), delimiter=delimiter, strict=True)
        previous_end = 0
        restart = len(lines)
        while True:
            start = offset + previous_end + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                if reader.line_num + offset >= len(lines) and "end of data" in str(exc):
                    yield start, 'a quote (") opened on this line is never closed; close it or remove it'
                    restart = start  # the next line, counted from 0
                    break
                yield start, _unreadable_record(exc)
                previous_end = reader.line_num
                continue
            previous_end = reader.line_num
            if any(cell.strip() for cell in cells):
                yield start, [cell.strip() for cell in cells]
        offset = restart


def _unreadable_record(exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return f"a cell is longer than {csv.field_size_limit()} characters; shorten it"
    return f'the line is not valid CSV ({exc}); a quote (") inside a quoted cell must be doubled ("")'


def _cell_problem(cells: list[str]) -> str | None:
    """Why a record's cells cannot be imported as text, if they cannot."""
    if any(UNREADABLE in cell for cell in cells):
        return (
            "the line holds characters that could not be read (bytes that are neither UTF-8 nor Windows-1252);"
            " save the sheet as 'CSV UTF-8' and send it again"
        )
    if any(has_control_character(cell) for cell in cells):
        return "the line holds a control character (such as NUL); remove it and send the file again"
    return None


def _list(value: str) -> list[str]:
    return [part for part in LIST_SEPARATORS.split(value) if part]


def _lookup(value: str, table: dict[str, Any], column: str) -> Any:
    found = table.get(_key(value))
    if found is None:
        raise RowProblem(
            f"{column}: {value!r} is not known; use one of: {', '.join(sorted(set(map(str, table.values()))))}"
        )
    return found


def _date(value: str) -> date:
    for pattern in ("%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise RowProblem(f"birth_date: {value!r} is not a date; write it as 31-12-1980")


def _count(value: str) -> int:
    digits = re.sub(r"[\s.]", "", value)
    if not digits.isdigit():
        raise RowProblem(f"employee_count: {value!r} is not a number of employees; write a whole number such as 120")
    return int(digits)


def _yes_no(value: str, column: str) -> bool:
    key = _key(value)
    if key in YES:
        return True
    if key in NO:
        return False
    raise RowProblem(f"{column}: {value!r} is not yes or no; write ja or nee")


def _participant_fields(cells: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    name = cells.get("name") or " ".join(
        part for part in (cells.get("first_name"), cells.get("infix"), cells.get("last_name")) if part
    )
    if name:
        data["name"] = name
    for column in ("email", "phone", "postcode", "education_level", "coach_id"):
        if cells.get(column):
            data[column] = cells[column]
    if cells.get("birth_date"):
        data["birth_date"] = _date(cells["birth_date"])
    if cells.get("preferred_language"):
        data["preferred_language"] = _lookup(cells["preferred_language"], LANGUAGES, "preferred_language")
    if cells.get("situation"):
        data["situation"] = _lookup(cells["situation"], SITUATIONS, "situation")
    if cells.get("target_groups"):
        data["target_groups"] = [_lookup(v, TARGET_GROUPS, "target_groups") for v in _list(cells["target_groups"])]
    if cells.get("consents"):
        data["consents"] = sorted({_lookup(v, CONSENTS, "consents") for v in _list(cells["consents"])})
    for column in ("skills", "desired_occupations"):
        if cells.get(column):
            data[column] = _list(cells[column])
    return data


def _employer_fields(cells: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {k: cells[k] for k in ("kvk_number", "name", "sector", "postcode", "city") if cells.get(k)}
    if cells.get("employee_count"):
        data["employee_count"] = _count(cells["employee_count"])
    data["accredited_learning_company"] = _yes_no(
        cells.get("accredited_learning_company", ""), "accredited_learning_company"
    )
    if cells.get("contact_name"):
        contact = {"name": cells["contact_name"]}
        if cells.get("contact_email"):
            contact["email"] = cells["contact_email"]
        if cells.get("contact_phone"):
            contact["phone"] = cells["contact_phone"]
        data["contacts"] = [contact]
    return data


def _reason(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "row"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "missing":
            message = "is empty; every row needs it"
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def _digest(command: BaseModel) -> str:
    canonical = json.dumps(command.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _parse(
    content: bytes,
    columns: dict[str, str],
    required: dict[str, tuple[str, ...]],
    fields: Callable[[dict[str, str]], dict[str, Any]],
    model: type[C],
) -> ParsedFile[C]:
    records = _records(decode(content))
    header = next(records, None)
    if header is None:
        raise FileRejected("the file is empty; send a CSV file with a header row and one row per line")
    header_line, names = header
    problem = names if isinstance(names, str) else _cell_problem(names)
    if problem is not None:
        raise FileRejected(f"the header row (line {header_line}) cannot be read: {problem}")
    assert not isinstance(names, str)  # a record that is a reason always has a problem
    mapping = {i: columns[_key(n)] for i, n in enumerate(names) if _key(n) in columns}
    missing = [label for label, options in required.items() if not set(options) & set(mapping.values())]
    if missing:
        raise FileRejected(
            f"the header row has no column for {' and '.join(missing)}; it has: {', '.join(names)}."
            " Add the missing columns (Dutch or English names) and send the file again"
        )
    parsed: ParsedFile[C] = ParsedFile(ignored_columns=[n for i, n in enumerate(names) if i not in mapping and n])
    for count, (line, cells) in enumerate(records, start=1):
        if count > MAX_ROWS:
            raise FileRejected(f"the file has more than {MAX_ROWS} rows; split it into smaller files")
        problem = cells if isinstance(cells, str) else _cell_problem(cells)
        if problem is not None:
            parsed.rejected.append(Rejected(line, problem))
            continue
        assert not isinstance(cells, str)  # a record that is a reason always has a problem
        values = {mapping[i]: v for i, v in enumerate(cells) if i in mapping and v}
        try:
            command = model.model_validate(fields(values))
        except RowProblem as exc:
            parsed.rejected.append(Rejected(line, str(exc)))
        except ValidationError as exc:
            parsed.rejected.append(Rejected(line, _reason(exc)))
        else:
            parsed.accepted.append(Accepted(line, command, _digest(command)))
    return parsed


def parse_participants(content: bytes) -> ParsedFile[RegisterParticipant]:
    """Validate a participants file row by row."""
    return _parse(
        content,
        PARTICIPANT_COLUMNS,
        {"naam (or achternaam)": ("name", "last_name"), "situatie": ("situation",)},
        _participant_fields,
        RegisterParticipant,
    )


def parse_employers(content: bytes) -> ParsedFile[RegisterEmployer]:
    """Validate an employers file row by row; a KvK number repeated within the file is rejected."""
    parsed = _parse(
        content,
        EMPLOYER_COLUMNS,
        {
            "kvk-nummer": ("kvk_number",),
            "bedrijfsnaam": ("name",),
            "branche": ("sector",),
            "aantal medewerkers": ("employee_count",),
        },
        _employer_fields,
        RegisterEmployer,
    )
    first_line: dict[str, int] = {}
    unique: list[Accepted[RegisterEmployer]] = []
    for row in parsed.accepted:
        kvk = row.command.kvk_number
        if kvk in first_line:
            parsed.rejected.append(Rejected(row.line, f"kvk_number: {kvk} already appears on line {first_line[kvk]}"))
        else:
            first_line[kvk] = row.line
            unique.append(row)
    parsed.accepted = unique
    parsed.rejected.sort(key=lambda r: r.line)
    return parsed
