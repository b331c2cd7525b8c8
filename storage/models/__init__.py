"""Typed SQLAlchemy 2 models: every table the bot writes, one module per subject. Migrations in
`storage/migrations/` match these. Import models from here (`from storage.models import Hazard`): the
package loads every module, so the metadata is complete wherever a model is used.
"""

from storage.models.base import NAMING, Base, UTCDateTime, checked
from storage.models.broadcasts import (
    BroadcastFile,
    Campaign,
    CampaignEvent,
    CampaignHazard,
    CampaignTask,
    CodeCounter,
    Notice,
    NoticeEvent,
    NoticeReceipt,
)
from storage.models.emergency import EmergencyMember, RollCall, RollCallAnswer
from storage.models.hazards import (
    Document,
    Hazard,
    HazardDocument,
    HazardEvent,
    HazardGram,
    HazardPhoto,
    LedgerAnchor,
    LedgerHead,
    Photo,
)
from storage.models.letters import Letter, LetterEvent, LetterSignature
from storage.models.park import (
    AuditEntry,
    CardPost,
    Chat,
    Conversation,
    Enterprise,
    JoinRequest,
    Person,
    ProcessedUpdate,
)
from storage.models.platform import (
    DingTalkApiMonth,
    DingTalkCard,
    InboxItem,
    JobRun,
    OutboxItem,
    ReminderSent,
)
from storage.models.quiz import Quiz, QuizAnswer, QuizAttempt, QuizQuestion
from storage.models.records import Drill, Inspection, Training
from storage.models.supplies import Publicity, Supply, SupplyCheck
from storage.models.web import LoginToken, WebSession

__all__ = [
    "NAMING",
    "AuditEntry",
    "Base",
    "BroadcastFile",
    "Campaign",
    "CampaignEvent",
    "CampaignHazard",
    "CampaignTask",
    "CardPost",
    "Chat",
    "CodeCounter",
    "Conversation",
    "DingTalkApiMonth",
    "DingTalkCard",
    "Document",
    "Drill",
    "EmergencyMember",
    "Enterprise",
    "Hazard",
    "HazardDocument",
    "HazardEvent",
    "HazardGram",
    "HazardPhoto",
    "InboxItem",
    "Inspection",
    "JobRun",
    "JoinRequest",
    "LedgerAnchor",
    "LedgerHead",
    "Letter",
    "LetterEvent",
    "LetterSignature",
    "LoginToken",
    "Notice",
    "NoticeEvent",
    "NoticeReceipt",
    "OutboxItem",
    "Person",
    "Photo",
    "ProcessedUpdate",
    "Publicity",
    "Quiz",
    "QuizAnswer",
    "QuizAttempt",
    "QuizQuestion",
    "ReminderSent",
    "RollCall",
    "RollCallAnswer",
    "Supply",
    "SupplyCheck",
    "Training",
    "UTCDateTime",
    "WebSession",
    "checked",
]
