"""Event contracts of the registry-sync service (stream ``sync-<backup_number>``).

They record how a backup number's way to HGRG went.

SyncRequested, SyncAttemptFailed and BackupSynced are ``on_broker=False``: they are read only from
registry-sync's own store (its status RPCs and the operator console read the rows they make, and
``hgrip rebuild registry-sync`` folds them), no service consumes them and the downstream feed does
not carry them, so they get no outbox row and never reach RabbitMQ (published, they went to
``hgrip.unroutable``: two or three messages per number for nobody). BackupSyncOverdue stays on the
broker: verification consumes it.
"""
from marshmallow import RAISE, Schema, fields, validate

from . import registry

SOURCE = "registry-sync"


class _Closed(Schema):
    class Meta:
        unknown = RAISE  # v1 is a closed contract: a new field means a new schema version

    backup_number = fields.String(required=True, validate=validate.Length(min=1, max=32))


@registry.register(SOURCE, "SyncRequested", 1, on_broker=False)
class SyncRequestedV1(_Closed):
    """A submitted backup is to be pushed; ``payload`` is the BackupSubmitted data, sent as is."""
    backup_id = fields.UUID(required=True)
    submitted_event_id = fields.UUID(required=True)   # the backups.BackupSubmitted it came from
    requested_at = fields.AwareDateTime(required=True)
    payload = fields.Dict(keys=fields.String(), required=True)


@registry.register(SOURCE, "SyncAttemptFailed", 1, on_broker=False)
class SyncAttemptFailedV1(_Closed):
    """A push did not get through; another follows at ``next_attempt_at`` (it never gives up)."""
    attempt = fields.Integer(required=True, validate=validate.Range(min=1))
    error = fields.String(required=True, validate=validate.Length(min=1, max=500))
    next_attempt_at = fields.AwareDateTime(required=True)


@registry.register(SOURCE, "BackupSynced", 1, on_broker=False)
class BackupSyncedV1(_Closed):
    """HGRG has the number: ``received`` on this push, or ``duplicate`` (an earlier one got through)."""
    attempt = fields.Integer(required=True, validate=validate.Range(min=1))
    synced_at = fields.AwareDateTime(required=True)
    hgrg_status = fields.String(required=True, validate=validate.OneOf(("received", "duplicate")))


@registry.register(SOURCE, "BackupSyncOverdue", 1)
class BackupSyncOverdueV1(_Closed):
    """The number has not reached HGRG for longer than the threshold (``SYNC_OVERDUE_SECONDS``):
    recorded once per failing spell (a number's only one: synced is final), at the first failed
    attempt past it. Pushing goes on; verification mails the backup's owner."""
    backup_id = fields.UUID(required=True)
    since = fields.AwareDateTime(required=True)         # when the number was requested (its way began)
    attempts = fields.Integer(required=True, validate=validate.Range(min=1))
    last_error = fields.String(required=True, validate=validate.Length(min=1, max=500))
    threshold_seconds = fields.Integer(required=True, validate=validate.Range(min=0))
    overdue_at = fields.AwareDateTime(required=True)
