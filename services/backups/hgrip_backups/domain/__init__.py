"""Backups domain: plain Python, no nameko, SQLAlchemy or marshmallow."""
from .backup import (
    ALREADY_COMPLETE,
    APPLIED,
    COMPLETED,
    DATASET_CHANGED,
    DRAFT,
    FILE_GONE,
    Backup,
    DatasetCheckNeeded,
    backup_stream_id,
)
from .data_file import COMPLETE, PENDING, DataFile, FileDetails

__all__ = ["ALREADY_COMPLETE", "APPLIED", "COMPLETE", "COMPLETED", "DATASET_CHANGED", "DRAFT",
           "FILE_GONE", "PENDING", "Backup", "DataFile", "DatasetCheckNeeded", "FileDetails",
           "backup_stream_id"]
