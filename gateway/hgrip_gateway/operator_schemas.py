"""Schemas of the operator's console (role ``operator``): answers only — the console's one write is a
replay of dead letters, which has no body."""
from marshmallow import Schema, fields

from .institution_schemas import InstitutionBackupDetail
from .schemas import _DATETIME, ROLES, CodeName, HistoryEntry

_STATES = {"enum": ["pending", "synced", "failing"]}


class Owner(Schema):
    account_id = fields.String(required=True)
    username = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True, metadata={"enum": ROLES})
    employed = fields.Boolean(required=True)
    institution = fields.Nested(CodeName, required=True, allow_none=True)
    unit = fields.Nested(CodeName, required=True, allow_none=True)


class Push(Schema):
    state = fields.String(required=True, metadata=_STATES)
    attempts = fields.Integer(required=True)
    last_error = fields.String(required=True, allow_none=True)
    requested_at = fields.String(required=True, allow_none=True, metadata=_DATETIME)
    next_attempt_at = fields.String(required=True, allow_none=True, metadata=_DATETIME)
    synced_at = fields.String(required=True, allow_none=True, metadata=_DATETIME)
    updated_at = fields.String(required=True, allow_none=True, metadata=_DATETIME)


class OwnerChangePush(Push):
    change_id = fields.String(required=True)
    backup_number = fields.String(required=True)
    reason = fields.String(required=True, metadata={"enum": ["delegated", "claimed"]})
    owner_username = fields.String(required=True)
    sequence = fields.Integer(required=True)


class HgrgState(Schema):
    backup_number = fields.String(required=True, allow_none=True)
    number = fields.Nested(Push, required=True, allow_none=True, metadata={
        "description": "the number's push to HGRG; null for a draft or a number never pushed"})
    owner_changes = fields.List(fields.Nested(OwnerChangePush), required=True)


class OperatorBackup(Schema):
    backup = fields.Nested(InstitutionBackupDetail, required=True)
    owner = fields.Nested(Owner, required=True, allow_none=True, metadata={
        "description": "null for a legacy backup nobody has claimed yet"})
    history = fields.List(fields.Nested(HistoryEntry), required=True, metadata={"description": "oldest first"})
    hgrg = fields.Nested(HgrgState, required=True)


class QueueSummary(Schema):
    pending = fields.Integer(required=True)
    failing = fields.Integer(required=True)
    synced = fields.Integer(required=True)
    oldest_open_at = fields.String(required=True, allow_none=True, metadata=_DATETIME)
    oldest_open_age_seconds = fields.Integer(required=True, allow_none=True)
    last_synced_at = fields.String(required=True, allow_none=True, metadata=_DATETIME)


class SyncSummary(Schema):
    pending = fields.Integer(required=True, metadata={"description": "numbers and owner changes not yet tried"})
    failing = fields.Integer(required=True, metadata={"description": "tried and failed; still retried"})
    oldest_pending_at = fields.String(required=True, allow_none=True, metadata=_DATETIME)
    oldest_pending_age_seconds = fields.Integer(required=True, allow_none=True)
    last_synced_at = fields.String(required=True, allow_none=True, metadata=_DATETIME)
    numbers = fields.Nested(QueueSummary, required=True)
    owner_changes = fields.Nested(QueueSummary, required=True)
    at = fields.String(required=True, metadata=_DATETIME)


class DeadLetter(Schema):
    message_id = fields.String(required=True, allow_none=True)
    service = fields.String(required=True, allow_none=True, metadata={"example": "backups"})
    queue = fields.String(required=True, allow_none=True, metadata={"example": "backups.on_project_created"})
    event_type = fields.String(required=True, allow_none=True)
    error = fields.String(required=True, metadata={"description": "the last error, personal data masked"})
    attempts = fields.Integer(required=True)
    failed_at = fields.String(required=True, allow_none=True, metadata=_DATETIME)


class DeadLetterMessage(Schema):
    headers = fields.Dict(required=True)
    body = fields.Raw(required=True, metadata={"description": "the message (an event envelope), personal data masked"})
    content_type = fields.String(required=True, allow_none=True)
    correlation_id = fields.String(required=True, allow_none=True)


class DeadLetterDetail(DeadLetter):
    message = fields.Nested(DeadLetterMessage, required=True)


class DeadLetterList(Schema):
    items = fields.List(fields.Nested(DeadLetter), required=True)
    total = fields.Integer(required=True)


class OperatorRef(Schema):
    id = fields.String(required=True)
    username = fields.String(required=True)
    name = fields.String(required=True)


class ReplayedMessage(Schema):
    message_id = fields.String(required=True, allow_none=True)
    service = fields.String(required=True, allow_none=True)
    queue = fields.String(required=True, allow_none=True)
    event_type = fields.String(required=True, allow_none=True)


class OperatorAction(Schema):
    id = fields.String(required=True, metadata={"description": "the OperatorActionRecorded event's id"})
    at = fields.String(required=True, metadata=_DATETIME)
    action = fields.String(required=True, metadata={"enum": ["dead_letter_replayed", "dead_letters_replayed"]})
    operator = fields.Nested(OperatorRef, required=True)
    target = fields.String(required=True, allow_none=True, metadata={"description": "message id; null: all"})
    replayed = fields.List(fields.Nested(ReplayedMessage), required=True)
    count = fields.Integer(required=True)
    correlation_id = fields.String(required=True, allow_none=True)


class OperatorActionList(Schema):
    items = fields.List(fields.Nested(OperatorAction), required=True, metadata={"description": "newest first"})
    total = fields.Integer(required=True)


class ReplayResult(Schema):
    replayed = fields.List(fields.Nested(DeadLetter), required=True)
    count = fields.Integer(required=True)
    action = fields.Nested(OperatorAction, required=True)
