"""Every place that renders user-authored text is listed here with the tests that cover it.

A "place" is a function in `crm/` that compiles a template, renders Markdown, marks text as HTML, sanitises
HTML, or writes a CSV/XLSX file — or that calls one of the project's functions doing so. A new one makes
`test_every_place_that_renders_user_text_is_listed` fail, naming it: add it to SINKS with the tests that
show user text stays text there (escaped, sanitised, formula-safe, or bounded by the sandbox).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CRM = ROOT / "crm"
TEMPLATES = ROOT / "templates"

# Library calls that turn text into markup, code or a spreadsheet (by the called name).
PRIMITIVES = {
    "from_string": "compiles a Jinja template",
    "render_template_string": "compiles a Jinja template",
    "Template": "compiles a Jinja template",
    "markdown": "renders Markdown",
    "Markup": "marks text as HTML",
    "clean": "sanitises HTML (nh3)",
    "writer": "writes CSV",
    "to_csv": "writes CSV",
    "to_excel": "writes XLSX",
    "ExcelWriter": "writes XLSX",
    "Workbook": "writes XLSX",
}
# The project's own renderers and writers: whoever calls them renders user text too.
PROJECT_SINKS = {
    "render_markdown",
    "check_template",
    "write_csv",
    "write_xlsx",
    "export_table",
    "to_xlsx",
    "html_body",
}
# `render` is too common a name: only the sandbox's counts.
QUALIFIED = {("sandbox", "render")}
# Calls by those names that touch no user text (a form field's value trimmed, not HTML).
NOT_SINKS = {
    ("crm/audit/views.py", "index", "clean"),
    ("crm/outbox/worker.py", "_detached", "html_body"),  # copies a batch's stored HTML for the sender threads
}

SEC = "tests/security"
# place ("path:function") -> the tests ("file::test") that show user text stays text there.
SINKS: dict[str, tuple[str, ...]] = {
    # Letter and mailing templates: the one sandbox, its allow-list and its caps.
    "crm/campaigns/sandbox.py:_compiled": (
        f"{SEC}/test_template_resource_limits.py::test_every_other_jinja_node_is_refused",
        f"{SEC}/test_letter_template_sandbox.py::test_dangerous_or_broken_templates_are_refused_with_a_message",
    ),
    "crm/campaigns/compose.py:_render_part": (
        f"{SEC}/test_letter_template_sandbox.py::test_a_template_injection_in_a_personal_story_is_just_text",
        "tests/campaigns/test_write_first.py::test_a_template_that_fails_for_one_member_says_so_and_tells_the_lead",
    ),
    "crm/campaigns/letter_templates.py:_checked_subject": (
        f"{SEC}/test_letter_template_sandbox.py::test_a_template_injection_by_a_lead_is_rejected_at_save_time",
        f"{SEC}/test_template_resource_limits.py::test_saving_a_deeply_nested_template_is_a_message_not_a_500",
    ),
    "crm/campaigns/letter_templates.py:_checked_blocks": (
        f"{SEC}/test_letter_template_sandbox.py::test_a_template_injection_by_a_lead_is_rejected_at_save_time",
        f"{SEC}/test_template_resource_limits.py::test_saving_a_deeply_nested_template_is_a_message_not_a_500",
    ),
    "crm/mailings/services.py:Renderer.render": (
        "tests/mailings/test_mailings.py::test_a_template_that_fails_for_one_member_skips_them_and_sends_the_rest",
    ),
    "crm/mailings/services.py:check_mailing_text": (
        "tests/mailings/test_mailings.py::test_a_template_that_breaks_the_sandbox_is_refused",
    ),
    "crm/mailings/services.py:_check_french": (
        "tests/mailings/test_in_french.py::test_a_french_version_with_a_bad_template_is_refused_and_nothing_saved",
    ),
    # A letter's HTML part: paragraphs of escaped text, then nh3 with <p> and <br> only.
    "crm/campaigns/compose.py:html_body": (
        f"{SEC}/test_mail_injection.py::test_html_in_a_story_is_literal_text_and_escaped_in_the_html_part",
    ),
    "crm/campaigns/services.py:_office_email": (
        f"{SEC}/test_mail_injection.py::test_html_in_a_story_is_literal_text_and_escaped_in_the_html_part",
    ),
    "crm/campaigns/digest.py:_claim_letters": (
        "tests/campaigns/test_digest.py::test_markup_in_a_story_is_text_in_the_digest_s_html_part",
    ),
    # The template editor's sample: the sandbox renders it; escaped text with each personal block's place marked.
    "crm/campaigns/template_quality.py:_rendered": (
        "tests/campaigns/test_template_quality.py::test_the_sample_marks_where_each_personal_block_goes",
        f"{SEC}/test_letter_template_sandbox.py::test_a_template_injection_by_a_lead_is_rejected_at_save_time",
    ),
    "crm/campaigns/template_quality.py:sample_markup": (
        "tests/campaigns/test_template_quality.py::test_the_sample_marks_where_each_personal_block_goes",
        f"{SEC}/test_stored_xss.py::test_no_page_renders_a_stored_payload_as_markup",
    ),
    "crm/outbox/models.py:OutboundMessage.content": (
        f"{SEC}/test_mail_injection.py::test_html_in_a_story_is_literal_text_and_escaped_in_the_html_part",
    ),
    "crm/outbox/backends.py:SendGridMailer.send_bulk": (
        f"{SEC}/test_mail_injection.py::test_html_in_a_story_is_literal_text_and_escaped_in_the_html_part",
    ),
    # Markdown (proposals, interaction notes): markdown, then nh3; the `|markdown` filter.
    "crm/lib/markdown.py:render_markdown": (
        f"{SEC}/test_markdown_sanitising.py::test_script_raw_html_and_javascript_links_are_removed",
    ),
    "crm/__init__.py:_markdown": (
        f"{SEC}/test_markdown_sanitising.py::test_script_raw_html_and_javascript_links_are_removed",
        f"{SEC}/test_stored_xss.py::test_no_page_renders_a_stored_payload_as_markup",
    ),
    # Markup built in a view: a fixed string whose arguments Markup.format escapes.
    "crm/campaigns/views.py:_duplicate_notice_for": (
        "tests/campaigns/test_member_letters.py::test_a_second_send_to_the_same_target_is_refused_with_a_link_to_the_first",
    ),
    # Spreadsheets: every cell through formula_safe.
    "crm/lib/spreadsheets.py:write_csv": (
        f"{SEC}/test_formula_safe_exports.py::test_formula_like_text_is_quoted_in_csv_and_xlsx",
    ),
    "crm/stakeholders/files.py:write_xlsx": (
        f"{SEC}/test_formula_safe_exports.py::test_formula_like_text_is_quoted_in_csv_and_xlsx",
    ),
    "crm/stakeholders/views.py:_export": (
        "tests/stakeholders/test_export.py::test_people_export_follows_the_filters_and_neutralises_formulas",
        "tests/stakeholders/test_export.py::test_xlsx_export_holds_text_never_formulas",
    ),
    "crm/dashboards/exports.py:export_table": (
        "tests/dashboards/test_exports.py::test_evidence_downloads_keep_small_counts_withheld",
    ),
    "crm/dashboards/views.py:_download": (
        "tests/dashboards/test_exports.py::test_campaign_tables_download_as_csv_and_xlsx",
    ),
    "crm/interactions/lists.py:to_xlsx": (
        "tests/interactions/test_lists_and_timeline.py::test_xlsx_export_opens_in_a_spreadsheet_with_safe_cells",
    ),
    "crm/interactions/views.py:export": (
        "tests/interactions/test_lists_and_timeline.py::test_csv_export_follows_the_filters_and_neutralises_formulas",
        "tests/interactions/test_lists_and_timeline.py::test_xlsx_export_opens_in_a_spreadsheet_with_safe_cells",
    ),
    "crm/mailings/views.py:participants_export": (
        "tests/mailings/test_reports.py::test_who_took_part_lists_downloads_and_becomes_a_segment",
    ),
    "crm/members/privacy.py:member_data_csv": (
        "tests/campaigns/test_member_privacy.py::test_a_member_downloads_everything_held_about_them",
    ),
}

# Page templates that render Markdown through the sanitising `|markdown` filter.
MARKDOWN_PAGES = {
    "interactions/detail.html",
    "interactions/mppchat_detail.html",
    "proposals/print.html",
    "proposals/public_version.html",
    "proposals/version.html",
}


def _called_name(node: ast.AST) -> tuple[str | None, str | None]:
    """(owner, name) of a reference: `sandbox.render` -> ("sandbox", "render"), `write_csv` -> (None, ...)."""
    if isinstance(node, ast.Attribute):
        owner = node.value.id if isinstance(node.value, ast.Name) else None
        return owner, node.attr
    if isinstance(node, ast.Name):
        return None, node.id
    return None, None


class _SinkFinder(ast.NodeVisitor):
    """Notes, per enclosing function of one file, each primitive called and each project sink referred to."""

    def __init__(self, relative: str, found: dict[str, set[str]]):
        self.relative, self.found, self.stack = relative, found, []

    def note(self, name: str, what: str) -> None:
        function = ".".join(self.stack) or "<module>"
        if (self.relative, function, name) not in NOT_SINKS:
            self.found.setdefault(f"{self.relative}:{function}", set()).add(what)

    def visit_FunctionDef(self, node):
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_ClassDef = visit_FunctionDef

    def visit_Call(self, node):
        _, name = _called_name(node.func)
        if name in PRIMITIVES:
            self.note(name, PRIMITIVES[name])
        self.generic_visit(node)

    def visit_Attribute(self, node):
        owner, name = _called_name(node)
        if name in PROJECT_SINKS or (owner, name) in QUALIFIED:
            self.note(name, f"calls {name}")
        self.generic_visit(node)

    def visit_Name(self, node):
        if node.id in PROJECT_SINKS and isinstance(node.ctx, ast.Load):
            self.note(node.id, f"calls {node.id}")


def _places() -> dict[str, set[str]]:
    """Every function in crm/ that calls a primitive or refers to a project sink -> what it does there."""
    found: dict[str, set[str]] = {}
    for path in sorted(CRM.rglob("*.py")):
        finder = _SinkFinder(path.relative_to(ROOT).as_posix(), found)
        finder.visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def test_every_place_that_renders_user_text_is_listed():
    """A new template, Markdown, HTML or spreadsheet sink fails here until it is listed with its tests."""
    unlisted = {place: sorted(what) for place, what in _places().items() if place not in SINKS}
    assert not unlisted, f"add these to SINKS in {__file__} with the tests that cover them: {unlisted}"


def test_every_listed_place_still_exists():
    stale = sorted(set(SINKS) - set(_places()))
    assert not stale, f"these no longer render user text; remove them from SINKS: {stale}"


@pytest.mark.parametrize("place", sorted(SINKS))
def test_every_listed_place_names_tests_that_exist(place):
    for test in SINKS[place]:
        file, name = test.split("::")
        source = (ROOT / file).read_text(encoding="utf-8")
        assert re.search(rf"^def {re.escape(name)}\(", source, re.MULTILINE), f"{place}: {test} does not exist"


def test_no_page_template_marks_text_safe_or_turns_escaping_off():
    """Escaping is never switched off in a page; Markdown goes through the sanitising filter, in listed pages."""
    offenders, markdown_pages = [], set()
    for path in sorted(TEMPLATES.rglob("*.html")) + sorted(TEMPLATES.rglob("*.txt")):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(TEMPLATES).as_posix()
        if re.search(r"\|\s*safe\b|autoescape\s+false|Markup\(", text):
            offenders.append(name)
        if re.search(r"\|\s*markdown\b", text):
            markdown_pages.add(name)
    assert not offenders, f"templates that mark text safe or turn escaping off: {offenders}"
    assert markdown_pages == MARKDOWN_PAGES, "list a new |markdown page in MARKDOWN_PAGES (and the stored-XSS sweep)"
