"""Importing the old platform's export of numbered backups (``hgrip legacy import``; docs/legacy-import.md).

Two passes. First every record of the file is read and checked; if any is wrong, every problem is
reported (the record — JSON path or CSV line — the field and what is wrong) and **nothing is
imported**: an export is one delivery, and an operator fixes it and runs the command again rather
than reason about a half-imported file. Then each backup is written in its own transaction: the
``LegacyBackupImported`` event on stream ``backup-<uuid5(number)>`` (outbox row included; the
service's relay publishes it once it runs) and its ``legacy_backups`` row. A number already imported
is skipped and counted, so the same file imported twice changes nothing and an interrupted run is
finished by running it again. Clear mobile numbers are used only to compute their keyed hash and
mask; they are never written anywhere, nor printed.

The file is read by adapters/legacy_files.py, the backups written by adapters/legacy_store.py.
"""
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from ..domain.legacy_records import LegacyBackupRecord, Problem

IMPORTED, PRESENT = "imported", "already_present"

Checked = tuple[list[LegacyBackupRecord], list[Problem], int]   # records, problems, backups in the file
Progress = Callable[[list[LegacyBackupRecord]], Iterable[LegacyBackupRecord]]


class LegacyImportError(Exception):
    """The file cannot be read at all (missing, not JSON/CSV, wrong shape) or the database is not
    ready; nothing was imported."""


@dataclass
class ImportReport:
    run_id: str
    imported: int = 0
    already_present: int = 0
    rejected: int = 0
    problems: list[Problem] = field(default_factory=list)
    total: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        return (f"imported {self.imported}, already present {self.already_present}, "
                f"rejected {self.rejected} (of {self.total} legacy backups in the file)")


class ImportTarget(Protocol):
    """The backups database as the import needs it (adapters/legacy_store.py)."""

    def ready(self) -> bool:
        """Whether the database has been migrated far enough to take legacy backups."""

    def platform_numbers(self, numbers: list[str]) -> set[str]:
        """Those of ``numbers`` that backups created on this platform carry."""

    def write(self, record: LegacyBackupRecord, run_id: str) -> str:
        """Import one backup in its own transaction: IMPORTED, or PRESENT when it was already."""


def import_legacy(target: ImportTarget, read: Callable[[], Checked], progress: Progress) -> ImportReport:
    """Check the whole file (``read()``), then import every backup not imported yet. The report says
    what happened; with problems nothing was written."""
    report = ImportReport(run_id=f"legacy-import-{uuid.uuid4().hex[:12]}")
    if not target.ready():
        raise LegacyImportError("the backups database has no legacy_backups table: run "
                                "`hgrip migrate backups` first")
    records, problems, report.total = read()
    taken = target.platform_numbers([r.backup_number for r in records])
    problems += [Problem(r.where, "backup_number", "is the number of a backup created on this platform",
                         (r.backup_number,)) for r in records if r.backup_number in taken]
    if problems:
        report.problems = problems
        report.rejected = len({record for p in problems for record in p.records})
        return report
    for record in progress(records):
        if target.write(record, report.run_id) == IMPORTED:
            report.imported += 1
        else:
            report.already_present += 1
    return report
