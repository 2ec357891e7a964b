"""What the stored-XSS sweep (test_stored_xss.py) types where: every text column and every free-text form field,
each either swept, searched, or exempt with its reason; and the payload each column gets."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from typing import NamedTuple

from sqlalchemy import String, Text
from wtforms import Form, StringField
from wtforms.fields import HiddenField, PasswordField
from wtforms.fields.core import UnboundField

import crm
from crm.extensions import db

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = "\"'><img src=x onerror=alert(1)>"
LINKS = ' [md](javascript:alert(1)) <a href="javascript:alert(1)">a</a>'
MARKDOWN_COLUMNS = {"interactions.summary", "interactions.outcome", "proposal_versions.body"}
# Where a form takes fewer characters than the column holds.
FORM_LIMITS = {"contact_points.value": 40}  # a phone number, in the person form
WEB_ADDRESS_COLUMNS = {
    "organizations.website",
    "ask_statuses.source_url",
    "events.join_url",
    "program_resources.url",
    "interactions.url",
    "elected_offices.profile_url",
}

# Columns that hold a copy of a swept column's text, and where it is copied from.
COPIES = {
    "letters.subject": "letter_templates.subject",
    "outbound_messages.subject": "letter_templates.subject",
    "outbound_messages.text_body": "letters.body",
    "delivery_events.reason": "address_health.last_reason",
}

ENUM = "one of a fixed set of choices the form or service checks"
BY_THE_APP = "written by the application, never typed"
MAILINGS_SWEPT = "typed by leads; swept by tests/mailings/test_escaping.py (segment, mailing and conversion pages)"
REFERENCE = "reference data loaded from the shipped files in crm/data; no form edits it"
EXEMPT = {
    # a language code: "en" or "fr", set by the code from a checked choice (issue 25)
    "users.language": "a language code set only from the EN | FR switch or the join page's language, checked",
    "letter_templates.language": "a language code, checked by save_template against en and fr",
    "letters.language": "a language code copied from the letter's template",
    # validated to a shape the payload cannot take
    "users.email": "an email address, validated (join, change of email, create-user): the payload is refused",
    "campaign_targets.email": "an email address, validated by the targets form",
    "member_profiles.postal_code": "a Canadian postal code, validated and normalised",
    "elected_offices.legislature_email": "an email address, validated by the roster upload",
    "elected_offices.constituency_email": "not written by the roster upload or any form; the seed leaves it empty",
    "address_health.address": "a recipient address the outbox sent to; every source validates it as an address",
    "outbound_messages.to_address": "a validated recipient address",
    "outbound_messages.reply_to": "a validated member address",
    "outbound_messages.from_address": "the organisation's sender address with a name whose line breaks are removed; "
    "shown on no page",
    "mail_batches.from_address": "as outbound_messages.from_address",
    "mail_suppressions.address": "a validated recipient address",
    "delivery_events.address": "the address SendGrid names in a signed event; shown on no page",
    "campaigns.slug": "lower-case letters, digits and dashes, checked by the service",
    "campaigns.hashtag": "# then letters, digits or _, checked by the service",
    "interactions.hashtags": "hashtags checked as # then letters, digits or _",
    "interaction_hashtags.tag": "a hashtag checked as # then letters, digits or _",
    "program_resources.original_name": "an uploaded file's name through werkzeug's secure_filename",
    "activity_days.kind": "the dashboard's count of interactions.kind (fixed choices)",
    "stakeholder_kind_days.organization_kind": "the dashboard's count of organizations.kind (fixed choices)",
    "proposal_versions.pdf_filename": "an uploaded file's name through werkzeug's secure_filename",
    "member_profiles.street_address": "typed by the member on their own profile and shown only to them (profile "
    "form, their own letter's signature), autoescaped; not yet filled by the sweep",
    "member_profiles.phone": "as member_profiles.street_address; checked to be a phone number (7 to 15 digits)",
    "letters.signature": "built by the application from users.name (swept) and the profile's postal code, riding, "
    "street address and phone; shown as text on the member's own letter page",
    "invitations.email": "an email address, validated by the invitation form",
    "job_runs.job": BY_THE_APP + " (a registered job's name)",
    "job_runs.trigger": BY_THE_APP + " (schedule or manual)",
    "job_runs.worker": BY_THE_APP + " (host name, process id and thread name)",
    "job_runs.outcome": BY_THE_APP + " (running, ok, warning or failed)",
    "job_runs.counts": BY_THE_APP + " (JSON of a job's counts)",
    "job_runs.error": "an exception's type and message or a job's warning, written by the application; shown "
    "autoescaped on the admin health page",
    "worker_heartbeats.name": BY_THE_APP + " (host name, process id and thread name)",
    "worker_heartbeats.kind": BY_THE_APP + " (process or thread)",
    "metric_totals.name": BY_THE_APP + " (the total's name: outbox or letters)",
    "metric_totals.label": "an outbox status or a campaign's slug (validated as a slug), counted by the worker; "
    "shown only in /metrics' plain text, where prometheus-client escapes label values",
    "invitations.nonce": "a random token made by the application (crm/auth/invitations.py)",
    "login_throttles.email": "the lowercased address typed at login, counted by crm/auth/throttle.py; shown on no page",
    "pending_letters.token": "a random token made by the application",
    "referral_codes.code": "a random code the application draws from a fixed alphabet (crm/campaigns/sharing.py)",
    "pending_letters.recipient_key": "district-<id> or person-<id>, checked by the letter service",
    "pending_letters.edits": "JSON of a visitor's own letter text, shown back only in that writer's own letter "
    "form (autoescaped textarea); the text becomes letters.body (swept) when sent",
    "template_failures.message": "a TemplateProblem message the sandbox writes; shown on the lead's dashboard",
    "template_failures.sample_values": "JSON of placeholder values (already swept where they are typed), shown as "
    "text on the lead's dashboard",
    "people.search_name": "lower(people.full_name), generated by the database (migration 0020); searches match "
    "and sort on it, no page shows it",
    # fixed choices
    **{
        column: ENUM
        for column in (
            "users.role",
            "invitations.role",
            "member_profiles.province",
            "member_profiles.licensure_stage",
            "organizations.kind",
            "contact_points.kind",
            "stances.ask",
            "stances.position",
            "interactions.kind",
            "interactions.meeting_format",
            "interactions.platform",
            "participants.side",
            "participants.role",
            "follow_ups.status",
            "campaigns.kind",
            "campaigns.status",
            "campaigns.mpp_address",
            "campaigns.letter_delivery",
            "letter_blocks.kind",
            "letter_obstacles.reason",
            "ask_statuses.status",
            "events.status",
            "registrations.status",
            "attendances.source",
            "speaker_offers.route",
            "speaker_offers.status",
            "program_resources.stages",
            "consent_records.purpose",
        )
    },
    # written by the application
    **{
        column: BY_THE_APP
        for column in (
            "users.password_hash",
            "users.totp_secret",
            "recovery_codes.code_hash",
            "audit_events.action",
            "audit_events.entity_type",
            "audit_events.ip_address",
            "consent_records.wording",
            "consent_records.wording_version",
            "consent_records.source",
            "consent_records.ip_address",
            "organizations.source_key",
            "proposals.slug",
            "proposal_versions.pdf_sha256",
            "program_resources.stored_name",
            "program_resources.content_type",
            "program_resources.sha256",
            "outbound_messages.kind",
            "outbound_messages.status",
            "outbound_messages.lease_owner",
            "outbound_messages.unsubscribe_url",
            "outbound_messages.provider_message_id",
            "mail_batches.kind",
            "mail_suppressions.reason",
            "sending_pauses.name",
            "sending_pauses.reason",
            "represent_lookups.postal_code",
            "represent_lookups.district_ids",
            "delivery_events.provider_event_id",
            "delivery_events.event",
            "delivery_events.provider_message_id",
            "letters.to_address",
            "letter_digests.to_address",
        )
    },
    "outbound_messages.html_body": "HTML the application builds with every value escaped "
    "(test_mail_injection.py); a mail part, shown on no page",
    "mail_batches.subject": "mail to members built from program and event text already swept; shown on no page",
    "mail_batches.text_body": "as mail_batches.subject",
    "mail_batches.html_body": "as outbound_messages.html_body",
    "letters.party": "a copy of elected_offices.party when the letter is written (swept there)",
    "letter_signatures.band": "personal, similar or near_copy, written by crm/campaigns/similarity.py",
    "letter_replies.party": "a copy of letters.party when the reply survey is queued (swept at elected_offices.party)",
    "letter_replies.answer": ENUM,
    "letter_replies.tone": ENUM,
    "letter_replies.nonce": BY_THE_APP,
    "letter_replies.reply_text": "typed on the reply survey page, which only a signed link in the member's email opens "
    "(the crawler cannot follow it): swept by tests/replies/test_answers.py::"
    "test_control_characters_are_removed_and_markup_is_shown_as_text on every page "
    "that shows it",
    "programs.slug": "the four programs are seeded by crm/programs/services.py; no form edits them",
    "programs.name": "as programs.slug",
    "programs.purpose": "as programs.slug",
    "programs.audience_stages": "as programs.slug",
    **{
        f"asks.{name}": "the three asks are seeded by crm/proposals/asks.py; no form edits them"
        for name in ("code", "title", "short_title", "figure_label")
    },
    **{
        f"jurisdictions.{name}": REFERENCE
        for name in ("code", "name", "kind", "ocd_id", "legislature_name", "member_title")
    },
    "electoral_districts.name": REFERENCE + ", or a district name in Represent's answer (crm/legislatures), whose "
    "markup tests/legislatures/test_represent_hostile_text.py shows as text on each page",
    "electoral_districts.ocd_id": REFERENCE + ", or represent:<set>:<boundary> written by crm/legislatures",
    # issue 27: representatives from Represent (crm/legislatures/directory.py)
    "elected_offices.source": BY_THE_APP + ' ("represent" or "demo")',
    "elected_offices.offices_json": "Represent's offices as JSON, kept for the record; shown on no page",
    "elected_offices.photo_url": "an http(s) address from Represent (others dropped), a link on the person page; "
    "tests/legislatures/test_represent_hostile_text.py sends it markup",
    "elected_offices.source_url": "as elected_offices.photo_url",
    "represent_answers.path": BY_THE_APP + " (a Represent path with a normalised postal code)",
    "represent_answers.body": "Represent's answer as JSON, read back by crm/legislatures; shown on no page",
    "postal_areas.fsa": REFERENCE,
    # mailings (issue 20): typed by leads, not yet in the sweep above; tests/mailings/test_escaping.py types the
    # payload into each through the lead's forms (and a member's name through a mailing) and reads every page
    # that shows them for live markup
    "segments.name": MAILINGS_SWEPT,
    "mailings.subject": MAILINGS_SWEPT,
    "mailings.body": MAILINGS_SWEPT,
    "mailings.subject_fr": MAILINGS_SWEPT,
    "mailings.body_fr": MAILINGS_SWEPT,
    "mailing_recipients.skipped_reason": "the sandbox's own message about a lead's template (swept in mailings.body "
    "by tests/mailings/test_escaping.py), shown escaped on the mailing page",
    "mailings.status": ENUM,
}


SWEPT = {
    "users.name",
    "invitations.name",
    "member_profiles.training_country",
    "member_profiles.specialty",
    "organizations.name",
    "organizations.acronym",
    "organizations.website",
    "organizations.notes",
    "people.full_name",
    "people.title",
    "people.notes",
    "contact_points.label",
    "contact_points.value",
    "tags.name",
    "stances.source",
    "stances.note",
    "interactions.title",
    "interactions.summary",
    "interactions.outcome",
    "interactions.url",
    "interactions.posted_by",
    "follow_ups.title",
    "proposals.title",
    "proposal_versions.body",
    "proposal_versions.change_summary",
    "ask_statuses.program_name",
    "ask_statuses.source_url",
    "ask_statuses.note",
    "campaigns.name",
    "campaigns.summary",
    "letter_templates.subject",
    "letter_blocks.body",
    "letter_blocks.label",
    "letters.body",
    "events.title",
    "events.description",
    "events.join_url",
    "program_resources.title",
    "program_resources.description",
    "program_resources.url",
    "speaker_offers.topic",
    "elected_offices.party",
    "elected_offices.phone",
    "elected_offices.profile_url",
    "elected_offices.roles",
    "outbound_messages.last_error",
    "address_health.last_reason",
}


class Searched(NamedTuple):
    """A search box: the page (as that role) shows what was searched for back in the form and the results."""

    page: str
    role: str = "admin"


DROPPED = "checked against stored values and then dropped: never stored, never shown back but in its own input"
TYPED_NAME = (
    "a name looked up in the directory, never stored; one that fits nobody is shown back in the form's "
    "error (test_a_typed_name_that_fits_nobody_is_shown_back_as_text)"
)
# Every free-text field of every form: the column it fills, the page a search shows it on, or why neither.
FORM_FIELDS = {
    "audit.AuditFilterForm.actor": Searched("/admin/audit/"),
    "auth.ChangeEmailForm.email": "users.email",
    "auth.EnableMfaForm.code": DROPPED,
    "auth.SecondFactorForm.code": DROPPED,
    "auth.ReauthForm.code": DROPPED,
    "auth.ForgotPasswordForm.email": DROPPED,
    "auth.LoginForm.email": DROPPED,
    "auth.ResendConfirmationForm.email": DROPPED,
    "members.EraseForm.confirm": DROPPED,
    "auth.UserSearchForm.q": Searched("/admin/users"),
    "auth.InviteForm.email": "invitations.email",
    "auth.InviteForm.name": "invitations.name",
    "auth.AcceptInvitationForm.name": "users.name",
    "campaigns.BlockForm.body": "letter_blocks.body",
    "campaigns.BlockForm.label": "letter_blocks.label",
    "campaigns.CampaignForm.hashtag": "campaigns.hashtag",
    "campaigns.CampaignForm.name": "campaigns.name",
    "campaigns.CampaignForm.slug": "campaigns.slug",
    "campaigns.CampaignForm.summary": "campaigns.summary",
    "campaigns.PostalCodeForm.postal_code": Searched("/campaigns/xss-sweep/write", "member"),
    "campaigns.TargetForm.email": "campaign_targets.email",
    "campaigns.TargetForm.person_name": TYPED_NAME,
    "campaigns.TemplateForm.subject": "letter_templates.subject",
    "interactions.FollowUpForm.title": "follow_ups.title",
    "interactions.FollowUpRow.title": "follow_ups.title",
    "interactions.InteractionFilterForm.hashtag": Searched("/interactions/"),
    "interactions.InteractionForm.hashtags": "interactions.hashtags",
    "interactions.InteractionForm.outcome": "interactions.outcome",
    "interactions.InteractionForm.posted_by": "interactions.posted_by",
    "interactions.InteractionForm.summary": "interactions.summary",
    "interactions.InteractionForm.title": "interactions.title",
    "interactions.InteractionForm.url": "interactions.url",
    "interactions.MppChatForm.outcome": "interactions.outcome",
    "interactions.ParticipantRow.who_name": TYPED_NAME,
    "interactions.MppChatForm.summary": "interactions.summary",
    "interactions.SocialPostForm.hashtags": "interactions.hashtags",
    "interactions.SocialPostForm.posted_by": "interactions.posted_by",
    "interactions.SocialPostForm.summary": "interactions.summary",
    "interactions.SocialPostForm.url": "interactions.url",
    "members.ProfileForm.full_name": "users.name",
    "members.ProfileForm.postal_code": "member_profiles.postal_code",
    "members.ProfileForm.street_address": "member_profiles.street_address",
    "members.ProfileForm.phone": "member_profiles.phone",
    "members.ProfileForm.specialty": "member_profiles.specialty",
    "members.ProfileForm.training_country": "member_profiles.training_country",
    "campaigns.LetterForm.postal_code": "member_profiles.postal_code",
    "mailings.MailingForm.subject": "mailings.subject",
    "mailings.MailingForm.body": "mailings.body",
    "mailings.MailingForm.subject_fr": "mailings.subject_fr",
    "mailings.MailingForm.body_fr": "mailings.body_fr",
    "mailings.SegmentForm.name": "segments.name",
    "members.JoinForm.email": "users.email",
    "members.JoinForm.full_name": "users.name",
    "members.JoinForm.postal_code": "member_profiles.postal_code",
    "members.JoinForm.specialty": "member_profiles.specialty",
    "members.JoinForm.training_country": "member_profiles.training_country",
    "programs.EventForm.description": "events.description",
    "programs.EventForm.join_url": "events.join_url",
    "programs.EventForm.title": "events.title",
    "programs.ResourceForm.description": "program_resources.description",
    "programs.ResourceForm.title": "program_resources.title",
    "programs.ResourceForm.url": "program_resources.url",
    "programs.SpeakerOfferForm.topic": "speaker_offers.topic",
    "proposals.AskStatusForm.note": "ask_statuses.note",
    "proposals.AskStatusForm.program_name": "ask_statuses.program_name",
    "proposals.AskStatusForm.source_url": "ask_statuses.source_url",
    "proposals.NewProposalForm.title": "proposals.title",
    "proposals.VersionForm.body": "proposal_versions.body",
    "proposals.VersionForm.change_summary": "proposal_versions.change_summary",
    "stakeholders.OrganizationFilterForm.q": Searched("/directory/organizations"),
    "stakeholders.OrganizationForm.acronym": "organizations.acronym",
    "stakeholders.OrganizationForm.name": "organizations.name",
    "stakeholders.OrganizationForm.notes": "organizations.notes",
    "stakeholders.OrganizationForm.website": "organizations.website",
    "stakeholders.PeopleFilterForm.q": Searched("/directory/people"),
    "stakeholders.PeopleFilterForm.tag": Searched("/directory/people"),
    "stakeholders.PersonForm.emails": "contact_points.value",
    "stakeholders.PersonForm.phones": "contact_points.value",
    "stakeholders.PersonForm.full_name": "people.full_name",
    "stakeholders.PersonForm.notes": "people.notes",
    "stakeholders.PersonForm.organization_name": TYPED_NAME,
    "stakeholders.PersonForm.tags": "tags.name",
    "stakeholders.PersonForm.title": "people.title",
    "stakeholders.StanceForm.note": "stances.note",
    "stakeholders.StanceForm.source": "stances.source",
    "replies.AnswerForm.reply_text": "letter_replies.reply_text",
}


def text_columns() -> dict[str, object]:
    """Every String/Text column of the models, as 'table.column' → Column."""
    return {
        f"{table.name}.{column.name}": column
        for table in db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, (String, Text))
    }


def free_text_form_fields() -> set[str]:
    """Every field a person types free text into, in every form of crm/*/forms.py, as 'package.Form.field'."""
    found = set()
    for module_info in pkgutil.walk_packages(crm.__path__, "crm."):
        if not module_info.name.endswith(".forms"):
            continue
        module = importlib.import_module(module_info.name)
        for name, form in inspect.getmembers(module, inspect.isclass):
            if not issubclass(form, Form) or form.__module__ != module.__name__ or name.startswith("_"):
                continue
            for field_name, field in inspect.getmembers(form, lambda value: isinstance(value, UnboundField)):
                if issubclass(field.field_class, StringField) and not issubclass(
                    field.field_class, (PasswordField, HiddenField)
                ):
                    found.add(f"{module.__name__.split('.')[1]}.{name}.{field_name}")
    return found


class Payloads:
    """The payload for each column: a marker naming the column, then the longest payload that fits."""

    def __init__(self):
        self.columns = text_columns()
        self.filled: dict[str, str] = {}

    def __call__(self, column: str) -> str:
        if column not in self.filled:
            marker = f"xss{len(self.filled):02d}x"
            length = min(self.columns[column].type.length or 10_000, FORM_LIMITS.get(column, 10_000))
            prefix = f"https://example.org/{marker}?q=" if column in WEB_ADDRESS_COLUMNS else marker
            extra = LINKS if column in MARKDOWN_COLUMNS else ""
            fitting = [text for text in (SCRIPT + ATTRIBUTE + extra, ATTRIBUTE) if len(prefix + text) <= length]
            assert fitting, f"{column} is too short for any payload: list it in EXEMPT with the reason"
            self.filled[column] = prefix + fitting[0]
        return self.filled[column]

    def marker(self, column: str) -> str:
        return re.match(r"(?:https://example\.org/)?(xss\d\dx)", self.filled[COPIES.get(column, column)]).group(1)
