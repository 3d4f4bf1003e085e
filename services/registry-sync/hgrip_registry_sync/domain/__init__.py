"""The registry-sync domain, plain Python: one SyncState per backup number, and when to retry."""
from .backoff import BackoffPolicy
from .sync_state import FAILING, OPEN_STATES, PENDING, SYNCED, SyncState, sync_stream_id

__all__ = ["BackoffPolicy", "SyncState", "sync_stream_id", "PENDING", "FAILING", "SYNCED",
           "OPEN_STATES"]
