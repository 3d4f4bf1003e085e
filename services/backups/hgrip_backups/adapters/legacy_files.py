"""Reading the old platform's export: a JSON or CSV file into checked legacy backup records and the
problems found (docs/legacy-import.md). No database: the rules of each value are in
domain/legacy_records.py, the import itself in app/legacy_import.py.
"""
import csv
import json
from datetime import datetime
from pathlib import Path

from hgrip_kernel.contracts.backups import LEGACY_OR_NEW_NUMBER
from hgrip_kernel.envelope import utcnow

from ..app.legacy_import import LegacyImportError
from ..domain.legacy_records import (
    Checker,
    LegacyBackupRecord,
    Problem,
    backup_values,
    check_accessions,
    duplicates,
    file_values,
    label,
    registrant,
)

FORMATS = ("json", "csv")
CSV_COLUMNS = ("registrant_name", "registrant_mobile", "registrant_institution", "backup_number",
               "backup_name", "project_name", "pi_name", "pi_email", "submitted_at", "categories",
               "file_detailed_type", "file_accession", "file_cases", "file_mb_per_case")
_CSV_FILE_COLUMNS = ("file_detailed_type", "file_accession", "file_cases", "file_mb_per_case")
# Field names of the JSON format, by the CSV column that carries the same value.
_JSON_NAMES = {"registrant_name": "name", "registrant_mobile": "mobile",
               "registrant_institution": "institution", "backup_number": "backup_number",
               "backup_name": "name", "project_name": "project_name", "pi_name": "pi_name",
               "pi_email": "pi_email", "submitted_at": "submitted_at", "categories": "categories",
               "file_detailed_type": "detailed_type", "file_accession": "accession",
               "file_cases": "cases", "file_mb_per_case": "mb_per_case"}
_REGISTRANT_KEYS = {"name", "mobile", "institution", "backups"}
_BACKUP_KEYS = {"backup_number", "name", "project_name", "pi_name", "pi_email", "submitted_at",
                "categories", "files"}
_FILE_KEYS = {"detailed_type", "accession", "cases", "mb_per_case"}

Checked = tuple[list[LegacyBackupRecord], list[Problem], int]   # records, problems, backups in the file


def detect_format(path: str | Path, fmt: str | None) -> str:
    if fmt:
        if fmt not in FORMATS:
            raise LegacyImportError(f"unknown format {fmt!r}: use json or csv")
        return fmt
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    raise LegacyImportError(f"cannot tell the format of {path} from its name: add --format json|csv")


def read_text(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")   # Excel writes a BOM
    except FileNotFoundError:
        raise LegacyImportError(f"no such file: {path}") from None
    except UnicodeDecodeError as exc:
        raise LegacyImportError(f"{path} is not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise LegacyImportError(f"cannot read {path}: {exc.strerror}") from None


def check_json(text: str, secret: str, now: datetime) -> Checked:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LegacyImportError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(data, dict) or not isinstance(data.get("registrants"), list) or set(data) - {"registrants"}:
        raise LegacyImportError('the JSON file must be an object {"registrants": [...]} and nothing else')
    checker, records, total = Checker(LEGACY_OR_NEW_NUMBER), [], 0
    for i, person in enumerate(data["registrants"]):
        where_person = f"registrants[{i}]"
        if not isinstance(person, dict):
            total += 1
            checker.problem(where_person, "-", "must be an object", where_person)
            continue
        backups = person.get("backups")
        if not isinstance(backups, list) or not backups:
            checker.problem(where_person, "backups", "must be a non-empty list", where_person)
            backups = []
        total += len(backups)
        # A registrant's problem rejects every backup of that registrant.
        everyone = tuple(_record_of(b, f"{where_person}.backups[{j}]") for j, b in enumerate(backups))
        everyone = everyone or (where_person,)
        checker.unknown_keys(person, _REGISTRANT_KEYS, where_person, everyone)
        raw_person = {"registrant_name": person.get("name"), "registrant_mobile": person.get("mobile"),
                      "registrant_institution": person.get("institution")}
        person = registrant(checker, raw_person, where_person, _JSON_NAMES, everyone, secret)
        for j, raw in enumerate(backups):
            where = f"{where_person}.backups[{j}]"
            record = _record_of(raw, where)
            if not isinstance(raw, dict):
                checker.problem(where, "-", "must be an object", record)
                continue
            where = label(where, raw.get("backup_number"))
            checker.unknown_keys(raw, _BACKUP_KEYS, where, record)
            values = backup_values(checker, {**raw, "backup_name": raw.get("name")}, where,
                                    _JSON_NAMES, record, now)
            raw_files = raw.get("files", [])
            if not isinstance(raw_files, list):
                checker.problem(where, "files", "must be a list", record)
                raw_files = []
            files = []
            for k, raw_file in enumerate(raw_files):
                where_file = f"{where}.files[{k}]"
                if not isinstance(raw_file, dict):
                    checker.problem(where_file, "-", "must be an object", record)
                    continue
                checker.unknown_keys(raw_file, _FILE_KEYS, where_file, record)
                checked = file_values(checker, {f"file_{key}": value for key, value in raw_file.items()},
                                       where_file, _JSON_NAMES, record)
                if checked is not None:
                    files.append(checked)
            check_accessions(checker, files, where, _JSON_NAMES, record)
            if person is not None and values is not None and len(files) == len(raw_files):
                records.append(LegacyBackupRecord(person, {**values, "files": files}, where))
    return records, checker.problems, total


def _record_of(raw, where: str) -> str:
    number = raw.get("backup_number") if isinstance(raw, dict) else None
    return number.strip() if isinstance(number, str) and number.strip() else where


def check_csv(text: str, secret: str, now: datetime) -> Checked:
    reader = csv.DictReader(text.splitlines(keepends=True))
    header = reader.fieldnames or []
    missing = [c for c in CSV_COLUMNS if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        raise LegacyImportError(
            "the CSV header must name each of these columns once, in any order: "
            f"{','.join(CSV_COLUMNS)}" + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; unknown: {', '.join(unknown)}" if unknown else ""))
    names = {column: column for column in CSV_COLUMNS}
    checker = Checker(LEGACY_OR_NEW_NUMBER)
    groups: dict[str, list[tuple[int, dict]]] = {}
    for row in reader:
        line = reader.line_num
        if None in row or any(value is None for value in row.values()):
            checker.problem(f"line {line}", "-", f"must have exactly {len(header)} columns", f"line {line}")
            groups.setdefault(f"line {line}", [])
            continue
        row = {key: value.strip() for key, value in row.items()}
        if not any(row.values()):
            continue   # a blank line
        key = row["backup_number"] or f"line {line}"
        groups.setdefault(key, []).append((line, row))
    records = []
    for key, rows in groups.items():
        if not rows:
            continue   # a malformed line, reported above
        first_line, first = rows[0]
        where = label(f"line {first_line}", first["backup_number"])
        shared = [c for c in CSV_COLUMNS if c not in _CSV_FILE_COLUMNS]
        for line, row in rows[1:]:
            for column in shared:
                if row[column] != first[column]:
                    checker.problem(label(f"line {line}", row["backup_number"]), column,
                                    f"differs from line {first_line}, which has the same backup_number",
                                    key)
        person = registrant(checker, first, where, names, key, secret)
        values = backup_values(checker, first, where, names, key, now)
        files, with_files = [], [(line, row) for line, row in rows if any(row[c] for c in _CSV_FILE_COLUMNS)]
        if len(rows) > 1 and len(with_files) != len(rows):
            empty = next(line for line, row in rows if not any(row[c] for c in _CSV_FILE_COLUMNS))
            checker.problem(f"line {empty}", "file_*", "a backup with files has a row without file columns",
                            key)
        for line, row in with_files:
            checked = file_values(checker, row, label(f"line {line}", row["backup_number"]), names, key)
            if checked is not None:
                files.append(checked)
        check_accessions(checker, files, where, names, key)
        if person is not None and values is not None and len(files) == len(with_files):
            records.append(LegacyBackupRecord(person, {**values, "files": files}, where))
    return records, checker.problems, len(groups)


def check_file(path: str | Path, fmt: str | None, secret: str, now: datetime | None = None) -> Checked:
    """``(records, problems, total)``: the file read and every record checked (no database)."""
    fmt = detect_format(path, fmt)
    text = read_text(path)
    now = now or utcnow()
    records, problems, total = (check_json if fmt == "json" else check_csv)(text, secret, now)
    return records, problems + duplicates(records), total
