"""The translations stay whole (issue 25): every word a member, visitor or email recipient reads goes through
gettext; the French catalogue has every entry, none fuzzy, placeholders intact; messages.pot is what the code says.

The template check reads each translated template with Jinja's lexer: text outside {% trans %} blocks and {{ }}
(and the attributes people read or hear: aria-label, title, placeholder, alt) must hold no words. Staff pages not
yet translated are listed in UNTRANSLATED; a template in neither list fails, so a new page is classified.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from jinja2 import Environment

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
TRANSLATIONS = ROOT / "translations"

# Everything a member, a visitor or an email recipient sees.
TRANSLATED = {
    "_macros.html",
    "base.html",
    "errors/error.html",
    "auth/login.html",
    "auth/forgot_password.html",
    "auth/reset_password.html",
    "auth/resend_confirmation.html",
    "auth/change_password.html",
    "auth/change_email.html",
    "members/join.html",
    "members/profile.html",
    "members/my_data.html",
    "home/index.html",
    "home/home.html",
    "campaigns/index.html",
    "campaigns/show.html",
    "campaigns/choose.html",
    "campaigns/write.html",
    "campaigns/waiting.html",
    "campaigns/unavailable.html",
    "campaigns/letter.html",
    "campaigns/share.html",
    "campaigns/my_letters.html",
    "programs/index.html",
    "programs/program.html",
    "programs/event.html",
    "programs/_event_list.html",
    "programs/_home_panel.html",
    "programs/speak.html",
    "outbox/unsubscribe_confirm.html",
    "outbox/unsubscribed.html",
    "mailings/link_problem.html",
    "mailings/someone_else.html",
    "replies/survey.html",
    "replies/_on_letter.html",
    "email/confirm.txt",
    "email/reset.txt",
    "email/change_email.txt",
    "email/login_warning.txt",
    "email/letter_copy.txt",
    "email/letter_undelivered.txt",
    "email/colleague_invite.txt",
    "programs/email/registered.txt",
    "programs/email/waitlisted.txt",
    "programs/email/promoted.txt",
    "programs/email/reminder.txt",
    "programs/email/cancelled.txt",
    "replies/email_survey.txt",
    # Staff pages, translated since
    "dashboards/_charts.html",
    "dashboards/_map.html",
    "dashboards/campaign.html",
    "dashboards/committee.html",
    "dashboards/evidence.html",
    "dashboards/index.html",
    "campaigns/_similarity.html",
    "campaigns/_template_failures.html",
    "campaigns/dashboard.html",
    "campaigns/edit.html",
    "campaigns/manage.html",
    "campaigns/similarity.html",
    "campaigns/targets.html",
    "campaigns/template.html",
    "mailings/_conversion.html",
    "mailings/_placeholders.html",
    "mailings/campaign.html",
    "mailings/mailing.html",
    "mailings/participants.html",
    "mailings/segments.html",
    "interactions/_interaction_summary.html",
    "interactions/_open_follow_ups.html",
    "interactions/_timeline.html",
    "interactions/detail.html",
    "interactions/form.html",
    "interactions/index.html",
    "interactions/mppchat_detail.html",
    "interactions/mppchat_form.html",
    "interactions/my_follow_ups.html",
    "interactions/my_reports.html",
    "interactions/post_form.html",
    "interactions/posts.html",
    "interactions/timeline.html",
    "_archive.html",
    "stakeholders/_stances.html",
    "stakeholders/_timeline.html",
    "stakeholders/_upload.html",
    "stakeholders/import.html",
    "stakeholders/merge.html",
    "stakeholders/organization.html",
    "stakeholders/organization_form.html",
    "stakeholders/organizations.html",
    "stakeholders/people.html",
    "stakeholders/person.html",
    "stakeholders/person_form.html",
    "stakeholders/roster.html",
    "home/_staff_follow_ups.html",
    "email/follow_up_digest.txt",
    "search/_box.html",
    "search/results.html",
    "programs/_reach.html",
    "programs/_staff_nav.html",
    "programs/attendance.html",
    "programs/event_form.html",
    "programs/manage.html",
    "programs/report.html",
    "programs/resources.html",
    "programs/speaker_offers.html",
    "auth/accept_invitation.html",
    "auth/admin_users.html",
    "auth/invitation_problem.html",
    "auth/invitations.html",
    "auth/login_mfa.html",
    "auth/mfa_setup.html",
    "auth/reauth.html",
    "auth/recovery_codes.html",
    "email/invitation.txt",
    "replies/_responsiveness.html",
    "replies/detail.html",
    "proposals/_version_meta.html",
    "proposals/_where_it_went.html",
    "proposals/print.html",
    "proposals/public_index.html",
    "proposals/public_version.html",
    "proposals/scoreboard.html",
    "proposals/ask_status.html",
    "proposals/committee_index.html",
    "proposals/committee_proposal.html",
    "proposals/compare.html",
    "proposals/edit_version.html",
    "proposals/version.html",
    "outbox/address_health.html",
    "outbox/admin_messages.html",
    "outbox/mailbox.html",
    "outbox/message.html",
    "audit/index.html",
    "ops/health.html",
}

# Pages still in English: none now (the staff pages were translated last); a new page lands here or above.
UNTRANSLATED: set[str] = set()

# Words that are the same in both languages: the brand, the switch's own labels, UTC.
SAME_IN_BOTH = {"ITPO", "EN", "FR", "UTC"}
READ_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt"}
HOLE = "\x01"  # where an expression or a translated block stood


def _all_templates() -> set[str]:
    return {str(path.relative_to(TEMPLATES)) for path in TEMPLATES.rglob("*") if path.suffix in (".html", ".txt")}


def untranslated_text(source: str) -> list[str]:
    """The words in a template outside {% trans %} and expressions: text nodes and read-aloud attributes."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    parts, in_trans, block = [], False, []
    for _, kind, value in env.lex(source):
        if kind == "block_begin":
            block = []
        elif kind == "name" and block is not None:
            block.append(value)
        if kind == "block_end" and block:
            if block[0] == "trans":
                in_trans = True
            elif block[0] == "endtrans":
                in_trans = False
                parts.append(HOLE)
            block = None
        if kind == "data" and not in_trans:
            parts.append(value)
        elif kind in ("variable_begin",) and not in_trans:
            parts.append(HOLE)
    collector = _TextCollector()
    collector.feed("".join(parts))
    collector.close()
    words = []
    for text in collector.texts:
        for word in re.findall(r"[^\W\d_][\w'’.-]*", text.replace(HOLE, " ")):
            if word.strip(".-'") not in SAME_IN_BOTH:
                words.append(word)
    return words


class _TextCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.texts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.texts.append(data)


def test_every_template_is_classified():
    unknown = _all_templates() - TRANSLATED - UNTRANSLATED
    assert not unknown, f"new templates: add them to TRANSLATED (wrapped in trans) or UNTRANSLATED: {sorted(unknown)}"
    assert not TRANSLATED & UNTRANSLATED
    assert not (TRANSLATED | UNTRANSLATED) - _all_templates(), "a listed template no longer exists"


@pytest.mark.parametrize("name", sorted(TRANSLATED))
def test_a_translated_template_has_no_text_outside_gettext(name):
    words = untranslated_text((TEMPLATES / name).read_text(encoding="utf-8"))
    assert not words, f"{name}: wrap these in {{% trans %}} or _(): {words}"


def test_the_check_finds_text_outside_trans_and_in_attributes():
    assert untranslated_text("<p>{% trans %}Hello{% endtrans %} {{ name }}</p>") == []
    assert untranslated_text('<p>Hello {{ name }}</p><a aria-label="Menu">x</a>') == ["Hello", "Menu", "x"]
    assert untranslated_text('<a href="/x?a=b" class="btn">{{ _("Go") }}</a>') == []
    assert untranslated_text("<script>var English = 1;</script>ITPO") == []


def _catalogue(language: str = "fr"):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def test_the_french_catalogue_is_complete_with_nothing_fuzzy():
    catalogue = _catalogue()
    missing = [m.id for m in catalogue if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not missing, f"untranslated in fr: {missing}"
    assert not fuzzy, f"fuzzy in fr: {fuzzy}"


def test_french_placeholders_match_the_english():
    problems = [(message.id, [str(error) for error in errors]) for message, errors in _catalogue().check() if errors]
    assert not problems


def test_messages_pot_is_what_the_code_marks():
    """messages.pot and the fr catalogue hold exactly the strings the code and templates mark (`make messages`)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "N_": None}
    marked = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords, strip_comment_tags=True
        )
        if message
    }
    with (TRANSLATIONS / "messages.pot").open("rb") as handle:
        pot = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    french = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue() if m.id}
    assert marked - pot == set(), "run `make messages`: messages.pot lacks these"
    assert pot - marked == set(), "run `make messages`: messages.pot has strings the code no longer marks"
    assert french == pot, "run `make messages`: the fr catalogue and messages.pot differ"
