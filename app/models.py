"""Import every model module so the metadata (and Alembic) sees the whole domain."""

from accounts.models import ApiToken, Organisation, RoleGrant, User
from accounts.twofactor import RecoveryCode
from core.audit import AuditEvent, AuditHead
from core.jobs import SchedulerHeartbeat
from dispatch.models import Assignment, AssignmentCrew, Message, Unit, UnitMember
from handover.models import HandoverNote, HandoverPacket
from handover.weekly.models import TriageList, TriageListEntry
from stats.models import NightFigures
from triage.models import Assessment, GeocodeCacheEntry, Incident, Person, TimelineEvent

__all__ = [
    "ApiToken",
    "Assessment",
    "Assignment",
    "AssignmentCrew",
    "AuditEvent",
    "AuditHead",
    "GeocodeCacheEntry",
    "HandoverNote",
    "HandoverPacket",
    "Incident",
    "Message",
    "NightFigures",
    "Organisation",
    "Person",
    "RecoveryCode",
    "RoleGrant",
    "SchedulerHeartbeat",
    "TimelineEvent",
    "TriageList",
    "TriageListEntry",
    "Unit",
    "UnitMember",
    "User",
]
