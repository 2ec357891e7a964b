"""Imports every model so metadata (and Alembic) sees the whole schema."""

from crm.audit.models import AuditEvent  # noqa: F401
from crm.auth.models import Invitation, RecoveryCode, User  # noqa: F401
from crm.campaigns.models import (
    LetterObstacle,  # noqa: F401
)
from crm.dashboards.models import ActivityDay, ActivityDirtyDay, StakeholderKindDay  # noqa: F401
from crm.interactions.models import FollowUp, Interaction, InteractionHashtag, Participant  # noqa: F401
from crm.legislatures.models import RepresentAnswer  # noqa: F401
from crm.members.models import ConsentRecord, MemberProfile  # noqa: F401
from crm.ops.models import JobRun, WorkerHeartbeat  # noqa: F401
from crm.outbox.models import AddressHealth, DeliveryEvent, MailBatch, OutboundMessage, SendingPause, Suppression  # noqa: F401
from crm.programs.models import (  # noqa: F401
    Attendance,
    Event,
    EventSpeaker,
    Program,
    Registration,
    Resource,
    SpeakerOffer,
)
from crm.proposals.models import Ask, AskStatus, Proposal, ProposalVersion  # noqa: F401
from crm.reference.models import ElectoralDistrict, Jurisdiction, PostalArea  # noqa: F401
from crm.stakeholders.models import ContactPoint, ElectedOffice, Organization, Person, Stance, Tag  # noqa: F401
