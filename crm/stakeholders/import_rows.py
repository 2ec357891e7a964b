"""Reading an import sheet: its headers, and each row checked and read as a person."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from flask_babel import gettext

from crm.stakeholders.models import Person, looks_like_phone

NAME_LENGTH = Person.__table__.c.full_name.type.length
IMPORT_COLUMNS = ("name", "title", "organization", "email", "phone", "jurisdiction", "tags", "notes")
# A quick shape check (tens of thousands of rows): one @, no spaces, a dotted domain of letters,
# digits and hyphens.
EMAIL_RE = re.compile(r"^[^@\s,;<>\"]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$")


def _split(cell: str) -> list[str]:
    if ";" not in cell:  # most cells hold one value or none (read_table has stripped them)
        return [cell.strip()] if cell and not cell.isspace() else []
    return [part.strip() for part in cell.split(";") if part.strip()]


# A tags cell is often written "regulator,priority" or "a | b", whatever the sheet's own delimiter.
_TAG_SEPARATORS = re.compile(r"[;,|]")


def _split_tags(cell: str) -> list[str]:
    """The tags in a cell, separated by `;`, `,` or `|`, each once, in the order written."""
    tags = [part.strip() for part in _TAG_SEPARATORS.split(cell or "") if part.strip()]
    return list(dict.fromkeys(tags))


@dataclass(slots=True)
class _Parsed:
    number: int
    name: str
    title: str
    organization: str
    emails: list[str]
    phones: list[str]
    jurisdiction_id: int | None
    jurisdiction_code: str
    tags: list[str]
    notes: str
    # Which organization the row names (`_plan`): `organization_key(name)`, with "@<jurisdiction id>"
    # when an organization of that name in the row's jurisdiction is not the one the name alone
    # would pick, or "acronym:…" when the name is an organization's acronym.
    organization_key: str = ""


# Letters that unaccent (PostgreSQL's fold_text, 0023) spells out and NFKD leaves as they are.
_SPELLED_OUT = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "TH",
        "ı": "i",
    }
)


@lru_cache(maxsize=65536)
def folded(text: str) -> str:
    """Text in lower case without accents, as PostgreSQL's fold_text() (0023): organization names match so."""
    return "".join(
        c for c in unicodedata.normalize("NFKD", text.translate(_SPELLED_OUT)) if not unicodedata.combining(c)
    ).lower()


_PUNCTUATION = re.compile(r"[\W_]+")


@lru_cache(maxsize=65536)
def organization_key(name: str) -> str:
    """An organization's name as the import matches it: folded, "&" read as "and", punctuation dropped
    ("College of Physicians & Surgeons, Ont." and "college of physicians and surgeons ont" are one)."""
    return " ".join(_PUNCTUATION.sub(" ", folded(name.replace("&", " and "))).split())


def _parse_rows(rows, jurisdictions: dict[str, int], errors: list) -> list[_Parsed]:
    """The rows as `_Parsed` people; each row with an error adds it to `errors` instead."""
    parsed: list[_Parsed] = []
    seen = _Seen()
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        if not any(row.values()):
            continue
        item, problems, key = _parse_row(number, row, jurisdictions)
        if item.name:
            problems += seen.repeat_of(item, key)
        if problems:
            errors.append((number, "; ".join(problems) + "."))
            continue
        seen.add(item, key)
        parsed.append(item)
    return parsed


def _parse_row(number: int, row: dict[str, str], jurisdictions: dict[str, int]) -> tuple[_Parsed, list[str], tuple]:
    """One row read as a person, what is wrong with it (nothing when the list is empty), and the
    (name, organization) key a repeated row is found by."""
    problems: list[str] = []
    name = _name_of(row, problems)
    emails = _emails_of(row, problems)
    phones = _phones_of(row, problems)
    code = row.get("jurisdiction", "").strip().upper()
    jurisdiction_id = jurisdictions.get(code) if code else None
    if code and jurisdiction_id is None:
        problems.append(
            gettext(
                "unknown jurisdiction '%(code)s'; use a province or territory code such as ON, or CA for federal",
                code=row["jurisdiction"],
            )
        )
    organization = " ".join(row.get("organization", "").split())
    item = _Parsed(
        number,
        name,
        row.get("title", "")[:200],
        organization[:200],
        emails,
        phones,
        jurisdiction_id,
        code,
        _split_tags(row.get("tags", "")),
        row.get("notes", ""),
        organization_key(organization[:200]),
    )
    return item, problems, (name.lower(), organization.lower())


def _name_of(row: dict[str, str], problems: list[str]) -> str:
    """The row's name, single-spaced; an empty or too long one is a problem."""
    name = " ".join(row.get("name", "").split())
    if not name:
        problems.append(gettext("the name is empty; every row needs a name"))
    elif len(name) > NAME_LENGTH:
        problems.append(
            gettext(
                "the name is %(length)s characters long; shorten it to %(most)s at most",
                length=len(name),
                most=NAME_LENGTH,
            )
        )
    return name


def _emails_of(row: dict[str, str], problems: list[str]) -> list[str]:
    """The row's email addresses, lower-cased; anything that is not one is a problem."""
    emails = []
    for email in _split(row.get("email", "")):
        if len(email) <= 254 and EMAIL_RE.match(email):
            emails.append(email.lower())
        else:
            problems.append(gettext("'%(email)s' is not an email address (like name@example.org)", email=email))
    return emails


def _phones_of(row: dict[str, str], problems: list[str]) -> list[str]:
    """The row's phone numbers; anything that is not one is a problem."""
    phones = _split(row.get("phone", ""))
    for phone in phones:
        if not looks_like_phone(phone):
            problems.append(gettext("'%(phone)s' is not a phone number (like 416-555-0100)", phone=phone))
    return phones


class _Seen:
    """The sheet's rows read so far, by email and by name + organization: a person twice is an error."""

    def __init__(self) -> None:
        self.emails: dict[str, int] = {}
        self.names: dict[tuple[str, str], int] = {}

    def repeat_of(self, item: _Parsed, key: tuple[str, str]) -> list[str]:
        """The problem of a row naming someone an earlier row named (by email, else name + organization)."""
        first = next((self.emails[e] for e in item.emails if e in self.emails), None)
        if first is None:
            first = self.names.get(key)
        if first is None:
            return []
        return [
            gettext("%(name)s appears again (first on row %(row)s); keep one row per person", name=item.name, row=first)
        ]

    def add(self, item: _Parsed, key: tuple[str, str]) -> None:
        for email in item.emails:
            self.emails[email] = item.number
        self.names[key] = item.number


# Headers that contact sheets often use for the import's columns (read after lower-casing).
HEADER_ALIASES = {
    "full name": "name",
    "organisation": "organization",
    "company": "organization",
    "e-mail": "email",
    "email address": "email",
    "e-mail address": "email",
    "courriel": "email",
    "phone number": "phone",
    "telephone": "phone",
    "téléphone": "phone",
    "tel": "phone",
    "province": "jurisdiction",
    "province/territory": "jurisdiction",
    "job title": "title",
    "position": "title",
    "note": "notes",
    "tag": "tags",
    "nom complet": "name",
}


def _with_usual_headers(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows with a usual header ("Organisation", "Phone number", "E-mail"…) read as the import's column,
    unless the sheet also has that column under its own name."""
    if not rows:
        return rows
    renamed = {
        header: HEADER_ALIASES[header]
        for header in rows[0]
        if header in HEADER_ALIASES and HEADER_ALIASES[header] not in rows[0]
    }
    targets = Counter(renamed.values())
    renamed = {header: column for header, column in renamed.items() if targets[column] == 1}  # "Tel" and
    if not renamed:  # "Telephone" both: neither is read as the phone, and both are listed as ignored
        return rows
    return [{renamed.get(key, key): value for key, value in row.items()} for row in rows]
