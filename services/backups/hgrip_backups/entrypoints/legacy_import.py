"""``hgrip legacy import``'s work, wired: the export read from its file, checked, and written to the
backups database (app/legacy_import.py tells the steps; cli.py prints the report)."""
import sys
from pathlib import Path
from typing import TextIO

from ..adapters.legacy_files import check_file
from ..adapters.legacy_store import ImportTarget
from ..app.legacy_import import ImportReport, import_legacy
from ..domain.legacy_records import LegacyBackupRecord


def import_legacy_file(engine, path: str | Path, fmt: str | None, secret: str, *, progress: bool = True,
                       out: TextIO | None = None) -> ImportReport:
    """Check the whole file, then import every backup not imported yet. The report says what
    happened; with problems nothing was written."""
    def bar(records: list[LegacyBackupRecord]):
        from tqdm import tqdm
        return tqdm(records, desc="importing legacy backups", unit="backup",
                    file=out or sys.stderr, disable=not progress)

    return import_legacy(ImportTarget(engine), lambda: check_file(path, fmt, secret), bar)
