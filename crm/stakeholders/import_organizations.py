"""The organizations an import's rows name: matched on name (accents, case and punctuation aside) or acronym,
and a new one that looks like an existing one offered to the person applying the import."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from flask_babel import gettext
from sqlalchemy import select

from crm.lib.errors import ValidationError
from crm.reference.models import Jurisdiction
from crm.stakeholders.import_rows import _Parsed, organization_key
from crm.stakeholders.models import Organization

# Words too common in organization names to say that two names are alike.
_COMMON = frozenset(
    "of the and for de du des la le les et of on in a an association college ministry council board society "
    "ontario canada canadian office".split()
)
LOOK_ALIKE_RATIO = 0.8  # SequenceMatcher's ratio between two names' keys from which they "look alike"
# A word this many organizations share says little (and would make a look-up slow): skip it.
WORD_SHARED_BY_AT_MOST = 200


@dataclass
class Organizations:
    """The directory's organizations by name key, by (key, jurisdiction) and by acronym, with their labels."""

    by_key: dict[str, int] = field(default_factory=dict)
    placed: dict[tuple[str, int | None], int] = field(default_factory=dict)
    acronyms: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    labels: dict[int, str] = field(default_factory=dict)
    jurisdictions: dict[int, int | None] = field(default_factory=dict)
    words: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def read(cls, read) -> Organizations:
        """Read with `read` (a connection's execute); archived ones first, so an active one replaces them."""
        known = cls()
        rows = read(
            select(
                Organization.id,
                Organization.name,
                Organization.acronym,
                Organization.jurisdiction_id,
                Organization.archived,
                Jurisdiction.code,
            )
            .outerjoin(Jurisdiction, Jurisdiction.id == Organization.jurisdiction_id)
            .order_by(Organization.archived.desc(), Organization.id.desc())
        )
        for id_, name, acronym, jurisdiction_id, archived, code in rows:
            key = organization_key(name)
            known.by_key[key] = id_
            if archived:  # (matched by its name only, when no active one has it)
                continue
            known.placed[(key, jurisdiction_id)] = id_
            extra = ", ".join(filter(None, (acronym, code)))
            known.labels[id_] = f"{name} ({extra})" if extra else name
            known.jurisdictions[id_] = jurisdiction_id
            if acronym and organization_key(acronym):
                known.acronyms[organization_key(acronym).replace(" ", "")].append(id_)
            for word in set(key.split()) - _COMMON:
                known.words[word].add(key)
        return known

    def by_acronym(self, item: _Parsed, matched: list[str]) -> str | None:
        """Point a row whose organization is an acronym ("CPSO") at the organization with it (the one in the
        row's jurisdiction when several have it), noting it in `matched`; the row's error when that is unclear."""
        if item.organization_key in self.by_key:
            return None  # a name is matched as a name first
        ids = self.acronyms.get(item.organization_key.replace(" ", ""), [])
        here = [id_ for id_ in ids if item.jurisdiction_id and self.jurisdictions[id_] == item.jurisdiction_id]
        ids = here or ids
        if not ids:
            return None
        if len(ids) > 1:
            return gettext(
                "'%(acronym)s' is the acronym of %(count)s organizations: %(names)s. Write the organization's full "
                "name, or its jurisdiction (ON, BC…) in the jurisdiction column",
                acronym=item.organization,
                count=len(ids),
                names="; ".join(self.labels[id_] for id_ in sorted(ids)),
            )
        item.organization_key = f"acronym:{item.organization_key}@{ids[0]}"
        self.by_key[item.organization_key] = ids[0]
        words = f"{item.organization} → {self.labels[ids[0]]}"
        if words not in matched:
            matched.append(words)
        return None

    def alike(self, key: str) -> list[int]:
        """The active organizations whose name looks like `key`: sharing an uncommon word, and close in spelling."""
        words = [self.words.get(word, ()) for word in set(key.split()) - _COMMON]
        candidates = set().union(*(keys for keys in words if len(keys) <= WORD_SHARED_BY_AT_MOST))
        scored = []
        for other in candidates:
            matcher = SequenceMatcher(None, key, other)
            if self.by_key.get(other) in self.labels and matcher.quick_ratio() >= LOOK_ALIKE_RATIO:
                scored.append((matcher.ratio(), self.by_key[other]))
        return [id_ for ratio, id_ in sorted(scored, reverse=True)[:3] if ratio >= LOOK_ALIKE_RATIO]


def look_alikes(known: Organizations, parsed: list[_Parsed], new_names: list[str]) -> list[list]:
    """For each new organization that looks like existing ones: [its name, its key, [[id, label], ...]]."""
    keys = {item.organization: item.organization_key for item in parsed if item.organization}
    found = []
    for name in new_names:
        ids = known.alike(keys[name])
        if ids:
            found.append([name, keys[name], [[id_, known.labels[id_]] for id_ in ids]])
    return found


def use_existing(plan, report, choices: dict[int, int]) -> None:
    """Point the plan's rows at the existing organizations picked for its look-alikes (`choices`: a look-alike's
    index → an organization it offered) instead of creating them; a pick it did not offer is refused."""
    for index, organization_id in choices.items():
        if index >= len(report.look_alikes) or organization_id not in dict(report.look_alikes[index][2]):
            raise ValidationError(
                "file", "That organization was not one the preview offered. Upload the file again and pick again."
            )
        name, key, offered = report.look_alikes[index]
        plan.organizations[key] = organization_id
        report.new_organizations.remove(name)
        report.matched_organizations.append(f"{name} → {dict(offered)[organization_id]}")
    chosen = {report.look_alikes[index][1]: id_ for index, id_ in choices.items()}
    moved = [(item, person, diff) for item, person, diff in plan.updates if item.organization_key in chosen]
    for item, person, diff in moved:
        organization_id = chosen[item.organization_key]
        if person.organization_id == organization_id:
            diff.pop("organization_id", None)
        else:
            diff["organization_id"] = [person.organization_id, organization_id]
    plan.updates = [update for update in plan.updates if update[2]]
