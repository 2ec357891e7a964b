"""Interactions (meetings, calls, emails, letters, events, social posts), their participants and follow-ups."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, false, func, select, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.audit.services import audited
from crm.extensions import db, search_trigram_index
from crm.lib.i18n import N_

KINDS = (
    ("meeting", N_("Meeting")),
    ("call", N_("Call")),
    ("email", N_("Email")),
    ("letter", N_("Letter")),
    ("event", N_("Event")),
    ("social_post", N_("Social post")),
)
MEETING_FORMATS = (
    ("in_person", N_("In person")),
    ("virtual", N_("Virtual")),
    ("phone", N_("Phone")),
    ("social", N_("Social media")),
)
PARTICIPANT_ROLES = (
    ("attendee", N_("Attendee")),
    ("target", N_("Target")),
    ("organiser", N_("Organiser")),
    ("presenter", N_("Presenter")),
    ("note_taker", N_("Note-taker")),
    ("reporter", N_("Reported it")),
)
FOLLOW_UP_STATUSES = (("open", N_("Open")), ("done", N_("Done")), ("cancelled", N_("Cancelled")))
SUGGESTED_HASHTAGS = ("#mppchats", "#skillstohelp")


@audited
class Interaction(db.Model):
    """Something ITPO did with stakeholders: a meeting, call, email, letter, event or social post."""

    __tablename__ = "interactions"
    # Lists are newest first: each common filter has an index that also serves the ORDER BY.
    __table_args__ = (
        Index("ix_interactions_occurred_at_id", "occurred_at", "id"),
        Index("ix_interactions_kind_occurred_at", "kind", "occurred_at", "id"),
        Index("ix_interactions_jurisdiction_occurred_at", "jurisdiction_id", "occurred_at", "id"),
        # The few archived ones, so `not_archived` is one small index read per list or count.
        Index("ix_interactions_archived", "archived", "id"),
        # The one search (crm/search, 0041): titles and summaries, folded, by trigram on PostgreSQL.
        *(search_trigram_index("interactions", column) for column in ("title", "summary")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime]
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    # The display and audit copy of the tags; InteractionHashtag rows are the indexed copy for filters.
    hashtags: Mapped[str | None] = mapped_column(String(300))
    jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"))
    proposal_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposal_versions.id", ondelete="SET NULL"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # An #mppchats conversation a member reported themselves: only they (and staff) may see it.
    member_report: Mapped[bool] = mapped_column(default=False)
    meeting_format: Mapped[str | None] = mapped_column(String(20))
    platform: Mapped[str | None] = mapped_column(String(40))
    url: Mapped[str | None] = mapped_column(String(500))
    reach: Mapped[int | None]
    posted_by: Mapped[str | None] = mapped_column(String(160))
    # Archived (logged by mistake, a duplicate): out of lists, timelines, follow-up lists and
    # dashboards; its page, its history and the audit trail stay.
    archived: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime | None] = mapped_column(onupdate=func.now())

    jurisdiction = relationship("Jurisdiction")
    author = relationship("User")
    proposal_version = relationship("ProposalVersion")  # shown by name: "Proposal to Ontario, version 2"
    participants = relationship(
        "Participant", back_populates="interaction", cascade="all, delete-orphan", order_by="Participant.id"
    )
    tags = relationship("InteractionHashtag", cascade="all, delete-orphan")
    follow_ups = relationship(
        "FollowUp", back_populates="interaction", cascade="all, delete-orphan", order_by="FollowUp.due_date"
    )

    @property
    def kind_label(self) -> str:
        return dict(KINDS).get(self.kind, self.kind)

    @property
    def stakeholders(self) -> list["Participant"]:
        return [p for p in self.participants if p.side == "stakeholder"]

    @property
    def itpo_people(self) -> list["Participant"]:
        return [p for p in self.participants if p.side == "itpo"]


def not_archived(interaction_id):
    """A condition on a column holding an interaction's id (its own, a participant's or a follow-up's): that
    interaction is not archived. A NOT IN over the archived few (an index read), so the queries that page
    through participant rows in index order still never visit the interactions themselves."""
    return interaction_id.not_in(select(Interaction.id).where(Interaction.archived == true()))  # =, not IS: indexed


@audited
class Participant(db.Model):
    """A person, organization or ITPO user taking part in an interaction, with a role."""

    __tablename__ = "participants"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN person_id IS NULL THEN 0 ELSE 1 END) + "
            "(CASE WHEN organization_id IS NULL THEN 0 ELSE 1 END) + "
            "(CASE WHEN user_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="exactly_one_party",
        ),
        # Timelines page through these without touching the interactions table.
        Index("ix_participants_person_timeline", "person_id", "occurred_at", "interaction_id"),
        Index("ix_participants_organization_timeline", "organization_id", "occurred_at", "interaction_id"),
        # ... and the interaction list filtered by an ITPO participant pages through this one.
        Index("ix_participants_user_timeline", "user_id", "occurred_at", "interaction_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    side: Mapped[str] = mapped_column(String(12))  # itpo, stakeholder
    role: Mapped[str] = mapped_column(String(30), default="attendee")
    # A copy of the interaction's occurred_at (kept in step by the services): timelines read only this.
    occurred_at: Mapped[datetime]

    interaction = relationship("Interaction", back_populates="participants")
    person = relationship("Person")
    organization = relationship("Organization")
    user = relationship("User")

    @property
    def name(self) -> str:
        if self.person is not None:
            return self.person.full_name
        if self.organization is not None:
            org = self.organization
            return f"{org.name} ({org.acronym})" if org.acronym else org.name
        return self.user.name if self.user is not None else "—"

    @property
    def role_label(self) -> str:
        return dict(PARTICIPANT_ROLES).get(self.role, self.role)


class InteractionHashtag(db.Model):
    """One hashtag of one interaction, lower-cased with its '#': the indexed copy used by filters."""

    __tablename__ = "interaction_hashtags"

    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(60), primary_key=True)

    __table_args__ = (Index("ix_interaction_hashtags_tag_interaction", "tag", "interaction_id"),)


@audited
class FollowUp(db.Model):
    """Something someone must do after an interaction, by a date."""

    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_assignee_status_due", "assignee_id", "status", "due_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    due_date: Mapped[date]
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12), default="open")
    completed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    interaction = relationship("Interaction", back_populates="follow_ups")
    assignee = relationship("User")

    def is_overdue(self, today: date) -> bool:
        return self.status == "open" and self.due_date < today
