"""Imports every model so metadata (and Alembic) sees the whole schema."""
from crm.audit.models import AuditEvent  # noqa: F401
from crm.auth.models import RecoveryCode, User  # noqa: F401
from crm.members.models import ConsentRecord, MemberProfile  # noqa: F401
from crm.outbox.models import OutboundMessage  # noqa: F401
from crm.reference.models import ElectoralDistrict, Jurisdiction, PostalArea  # noqa: F401
from crm.stakeholders.models import ContactPoint, ElectedOffice, Organization, Person  # noqa: F401
from crm.programs.models import (  # noqa: F401
    Attendance, Event, EventSpeaker, Program, Registration, Resource, SpeakerOffer)
