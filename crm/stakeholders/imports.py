"""Import of a contact sheet of people: a preview makes a plan, and applying writes exactly that plan.
Columns and matching: docs/design-notes.md, "stakeholders/imports.py"."""

from __future__ import annotations

from flask_babel import gettext
from sqlalchemy.orm import Session

from crm.lib.bulk import gc_paused
from crm.stakeholders.import_organizations import use_existing
from crm.stakeholders.import_plan import ImportReport, ImportRow, _Existing, _Plan, _plan
from crm.stakeholders.import_rows import IMPORT_COLUMNS, _Parsed, _with_usual_headers
from crm.stakeholders.import_write import _write
from crm.stakeholders.revision import directory_revision, preview_still_current


@gc_paused()
def import_stakeholders(session: Session, rows: list[dict[str, str]], *, apply: bool) -> ImportReport:
    """Preview (apply=False) or apply an import of people; applying happens only when no row has an error.

    A preview's report carries its plan (`saved_plan`), which `apply_saved_plan` writes later, unchanged, when
    the directory has not changed in between."""
    report = ImportReport()
    rows = _with_usual_headers(rows)
    if not rows or "name" not in rows[0]:
        found = ", ".join(rows[0].keys()) if rows else gettext("none")
        report.errors.append(
            (
                1,
                gettext(
                    "The header row has no 'name' column (found: %(found)s). Name the columns %(columns)s; only name "
                    "is required.",
                    found=found,
                    columns=", ".join(IMPORT_COLUMNS),
                ),
            )
        )
        return report
    report.ignored_columns = [column for column in rows[0] if column not in IMPORT_COLUMNS]
    revision = directory_revision(session, lock=apply)  # before reading: a change after it moves it
    plan = _plan(session, rows, report)
    if plan is None:
        return report
    if apply:
        _write(session, plan, report)
    else:
        report.plan, report.revision = plan, revision
    return report


@gc_paused()
def saved_plan(report: ImportReport) -> dict:
    """A preview's plan as JSON-ready data: what applying it writes, and the directory revision it was made at."""
    plan = report.plan
    return {
        "format": PLAN_FORMAT,
        "revision": report.revision,
        "report": {
            "rows": [[r.number, r.action, r.name, r.organization, r.detail, r.tags] for r in report.rows],
            "new_organizations": report.new_organizations,
            "matched_organizations": report.matched_organizations,
            "look_alikes": report.look_alikes,
            "ignored_columns": report.ignored_columns,
        },
        "creates": [_parsed_json(item) for item in plan.creates],
        "updates": [
            [
                _parsed_json(item),
                [
                    person.id,
                    person.title,
                    person.jurisdiction_id,
                    person.notes,
                    person.organization_id,
                    sorted(person.contacts),
                    sorted(person.tags),
                ],
                diff,
            ]
            for item, person, diff in plan.updates
        ],
        "organizations": plan.organizations,
    }


@gc_paused()
def apply_saved_plan(
    session: Session, saved: dict | None, choices: dict[int, int] | None = None
) -> ImportReport | None:
    """Write a preview's saved plan, as previewed, if nothing the import reads has changed since the preview
    (the revision is checked with the directory locked against writers until the transaction ends); None when
    something has (or the plan is missing or from another version), so that the caller previews again.
    `choices`: see `use_existing`."""
    if not preview_still_current(session, saved, PLAN_FORMAT):
        return None
    shown = saved["report"]
    report = ImportReport(
        rows=[ImportRow(*row) for row in shown["rows"]],
        new_organizations=shown["new_organizations"],
        matched_organizations=shown["matched_organizations"],
        look_alikes=shown["look_alikes"],
        ignored_columns=shown["ignored_columns"],
    )
    plan = _Plan(
        [_Parsed(*item) for item in saved["creates"]],
        [
            (_Parsed(*item), _Existing(*person[:5], set(person[5]), set(person[6])), diff)
            for item, person, diff in saved["updates"]
        ],
        saved["organizations"],
    )
    use_existing(plan, report, choices or {})
    _write(session, plan, report)
    return report


# Bumped when the saved plan's layout changes: a preview saved by other code is previewed again.
PLAN_FORMAT = 4  # 2: a row's notes are added below the person's; 3: rows keep their organization's key;
# 4: rows show their tags, organizations matched by acronym and look-alikes


def _parsed_json(item: _Parsed) -> list:
    return [
        item.number,
        item.name,
        item.title,
        item.organization,
        item.emails,
        item.phones,
        item.jurisdiction_id,
        item.jurisdiction_code,
        item.tags,
        item.notes,
        item.organization_key,
    ]
