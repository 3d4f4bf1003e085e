"""The registry-sync domain, plain Python: what is pushed to HGRG (backup numbers, owner changes),
the states every push goes through, and when to retry."""
from .backoff import BackoffPolicy
from .owner_change import CLAIMED, DELEGATED, OwnerChange, owner_change_body, owner_stream_id
from .push_state import FAILING, OPEN_STATES, PENDING, SYNCED, PushState
from .sync_state import SyncState, sync_stream_id

__all__ = ["BackoffPolicy", "PushState", "SyncState", "sync_stream_id", "OwnerChange",
           "owner_change_body", "owner_stream_id", "DELEGATED", "CLAIMED", "PENDING", "FAILING",
           "SYNCED", "OPEN_STATES"]
