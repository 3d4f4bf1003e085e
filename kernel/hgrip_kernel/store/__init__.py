from .engine import create_engine, database_unreachable, is_sqlite
from .event_store import EventStore, UnitOfWork

__all__ = ["EventStore", "UnitOfWork", "create_engine", "database_unreachable", "is_sqlite"]
