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
"""
import csv
import json
import re
import sys
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from hgrip_kernel.contracts.backups import LEGACY_OR_NEW_NUMBER
from hgrip_kernel.envelope import utcnow
from hgrip_kernel.errors import ConcurrencyError
from hgrip_kernel.masking import mask_mobile
from hgrip_kernel.store import EventStore

from . import legacy_store, projections
from .domain import Backup, taxonomy
from .domain.legacy import Registrant
from .domain.mobile import mobile_hash, normalise_mobile
from .domain.names import name_key

FORMATS = ("json", "csv")
BEIJING = timezone(timedelta(hours=8))
IMPORTED, PRESENT = "imported", "already_present"

CSV_COLUMNS = ("registrant_name", "registrant_mobile", "registrant_institution", "backup_number",
               "backup_name", "project_name", "pi_name", "pi_email", "submitted_at", "categories",
               "file_detailed_type", "file_accession", "file_cases", "file_mb_per_case")
_CSV_FILE_COLUMNS = ("file_detailed_type", "file_accession", "file_cases", "file_mb_per_case")
_CSV_CATEGORY_SEPARATORS = re.compile(r"[;；、]")
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

NAME_MAX, PI_NAME_MAX, EMAIL_MAX = 200, 50, 254
MAX_CASES = 1_000_000_000
MAX_MB_PER_CASE = 1_000_000_000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TYPES_BY_KEY = {name_key(t.label_zh): code for code, t in taxonomy.DETAILED_TYPES.items()}
_TYPES_BY_KEY.update({name_key(t.label_en): code for code, t in taxonomy.DETAILED_TYPES.items()})
_CATEGORIES_BY_KEY = {name_key(c.label_zh): code for code, c in taxonomy.CATEGORIES.items()}
_CATEGORIES_BY_KEY.update({name_key(c.label_en): code for code, c in taxonomy.CATEGORIES.items()})


class LegacyImportError(Exception):
    """The file cannot be read at all (missing, not JSON/CSV, wrong shape) or the database is not
    ready; nothing was imported."""


@dataclass(frozen=True)
class Problem:
    where: str          # "registrants[0].backups[1] (BF2021…)" or "line 7 (BF2021…)"
    field: str          # the JSON key or CSV column
    message: str
    records: tuple[str, ...]   # what it rejects: backup numbers (or locations where there is none)

    def __str__(self) -> str:
        return f"{self.where}: {self.field}: {self.message}"


@dataclass
class LegacyBackupRecord:
    """One legacy backup, checked: what ``Backup.import_legacy`` takes."""
    registrant: Registrant
    values: dict
    where: str

    @property
    def backup_number(self) -> str:
        return self.values["backup_number"]


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


# --- checking values ---------------------------------------------------------------------------
class _Checker:
    """Collects problems while turning raw values into checked ones (None where a value is bad)."""

    def __init__(self):
        self.problems: list[Problem] = []

    def problem(self, where, field_name, message, record):
        records = record if isinstance(record, tuple) else (record,)
        self.problems.append(Problem(where, field_name, message, records))

    def text(self, value, where, field_name, record, *, required=True, max_len=NAME_MAX):
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(where, field_name, "is required", record)
            return None
        if not isinstance(value, str):
            self.problem(where, field_name, "must be text", record)
            return None
        value = value.strip()
        if len(value) > max_len:
            self.problem(where, field_name, f"must be at most {max_len} characters", record)
            return None
        if _CONTROL.search(value):
            self.problem(where, field_name, "must not contain control characters", record)
            return None
        return value

    def mobile(self, value, where, field_name, record):
        number = normalise_mobile(value) if isinstance(value, str) else None
        if number is None:
            self.problem(where, field_name, "is required" if value in (None, "") else
                         "must be an 11-digit mainland-China mobile number", record)
        return number

    def email(self, value, where, field_name, record):
        text = self.text(value, where, field_name, record, required=False, max_len=EMAIL_MAX)
        if text is not None and not _EMAIL.match(text):
            self.problem(where, field_name, "is not an e-mail address", record)
            return None
        return text

    def number(self, value, where, field_name, record):
        text = self.text(value, where, field_name, record, max_len=32)
        if text is None:
            return None
        if not re.fullmatch(LEGACY_OR_NEW_NUMBER, text):
            self.problem(where, field_name, "must be a backup number: BF followed by 6 to 20 digits",
                         record)
            return None
        return text

    def moment(self, value, where, field_name, record, now):
        text = self.text(value, where, field_name, record, max_len=40)
        if text is None:
            return None
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                moment = datetime.combine(date.fromisoformat(text), datetime.min.time())
            else:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.problem(where, field_name, "must be a date (YYYY-MM-DD) or an ISO 8601 date and time",
                         record)
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=BEIJING)  # the old platform's clock: Beijing time
        if moment > now:
            self.problem(where, field_name, "is in the future", record)
            return None
        return moment

    def categories(self, value, where, field_name, record):
        if value is None or value == "":
            return []
        items = value if isinstance(value, list) else None
        if isinstance(value, str):
            items = [item for item in _CSV_CATEGORY_SEPARATORS.split(value) if item.strip()]
        if items is None or not all(isinstance(item, str) for item in items):
            self.problem(where, field_name, "must be a list of content categories", record)
            return None
        codes = []
        for item in items:
            code = item.strip() if item.strip() in taxonomy.CATEGORIES else _CATEGORIES_BY_KEY.get(name_key(item))
            if code is None:
                self.problem(where, field_name, f"unknown content category {item.strip()!r}", record)
                return None
            if code not in codes:
                codes.append(code)
        return codes

    def detailed_type(self, value, where, field_name, record):
        text = self.text(value, where, field_name, record, max_len=100)
        if text is None:
            return None
        code = text if text in taxonomy.DETAILED_TYPES else _TYPES_BY_KEY.get(name_key(text))
        if code is None:
            self.problem(where, field_name, f"unknown detailed type {text!r} (a code such as "
                         "raw_sequencing, or the manual's label such as 组学原始测序数据)", record)
        return code

    def cases(self, value, where, field_name, record):
        if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CASES:
            self.problem(where, field_name, "is required" if value in (None, "") else
                         f"must be a whole number from 1 to {MAX_CASES}", record)
            return None
        return value

    def mb_per_case(self, value, where, field_name, record):
        if isinstance(value, str):
            try:
                value = float(value) if value.strip() else None
            except ValueError:
                value = "bad"
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not 0 < value <= MAX_MB_PER_CASE or value != value:
            self.problem(where, field_name, "is required" if value is None else
                         f"must be a number greater than 0 (at most {MAX_MB_PER_CASE})", record)
            return None
        return int(value) if float(value).is_integer() else float(value)

    def unknown_keys(self, raw: dict, known: set, where, record):
        for key in sorted(set(raw) - known):
            self.problem(where, key, "is not a field of the export format", record)


def _registrant(checker, raw, where, names, record, secret) -> Registrant | None:
    name = checker.text(raw.get("registrant_name"), where, names["registrant_name"], record)
    number = checker.mobile(raw.get("registrant_mobile"), where, names["registrant_mobile"], record)
    institution = checker.text(raw.get("registrant_institution"), where,
                               names["registrant_institution"], record)
    if None in (name, number, institution):
        return None
    return Registrant(name=name, mobile_hash=mobile_hash(secret, number),
                      mobile_masked=mask_mobile(number), institution_name=institution)


def _backup_values(checker, raw, where, names, record, now) -> dict | None:
    values = {
        "backup_number": checker.number(raw.get("backup_number"), where, names["backup_number"], record),
        "name": checker.text(raw.get("backup_name"), where, names["backup_name"], record),
        "project_name": checker.text(raw.get("project_name"), where, names["project_name"], record),
        "pi_name": checker.text(raw.get("pi_name"), where, names["pi_name"], record, required=False,
                                max_len=PI_NAME_MAX),
        "pi_email": checker.email(raw.get("pi_email"), where, names["pi_email"], record),
        "submitted_at": checker.moment(raw.get("submitted_at"), where, names["submitted_at"], record, now),
        "categories": checker.categories(raw.get("categories"), where, names["categories"], record),
    }
    required = ("backup_number", "name", "project_name", "submitted_at", "categories")
    return None if any(values[key] is None for key in required) else values


def _file_values(checker, raw, where, names, record) -> dict | None:
    detailed_type = checker.detailed_type(raw.get("file_detailed_type"), where,
                                          names["file_detailed_type"], record)
    accession = checker.text(raw.get("file_accession"), where, names["file_accession"], record, max_len=64)
    cases = checker.cases(raw.get("file_cases"), where, names["file_cases"], record)
    mb_per_case = checker.mb_per_case(raw.get("file_mb_per_case"), where, names["file_mb_per_case"], record)
    if detailed_type is None or accession is None:
        return None
    repository = taxonomy.repository_of(detailed_type)
    if not repository.accepts(accession):
        checker.problem(where, names["file_accession"],
                        f"does not have the format of {repository.code} (for example "
                        f"{repository.accession_example})", record)
        return None
    if cases is None or mb_per_case is None:
        return None
    return {"detailed_type": detailed_type, "repository": repository.code, "accession": accession,
            "cases": cases, "mb_per_case": mb_per_case}


def _check_accessions(checker, files, where, names, record) -> None:
    seen = set()
    for item in files:
        if item["accession"] in seen:
            checker.problem(where, names["file_accession"],
                            f"{item['accession']} appears twice in this backup", record)
        seen.add(item["accession"])


def _label(where: str, number) -> str:
    return f"{where} ({number.strip()})" if isinstance(number, str) and number.strip() else where


# --- reading the two formats --------------------------------------------------------------------
def detect_format(path: str | Path, fmt: str | None) -> str:
    if fmt:
        if fmt not in FORMATS:
            raise LegacyImportError(f"unknown format {fmt!r}: use json or csv")
        return fmt
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    raise LegacyImportError(f"cannot tell the format of {path} from its name: add --format json|csv")


def _read_text(path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")   # Excel writes a BOM
    except FileNotFoundError:
        raise LegacyImportError(f"no such file: {path}") from None
    except UnicodeDecodeError as exc:
        raise LegacyImportError(f"{path} is not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise LegacyImportError(f"cannot read {path}: {exc.strerror}") from None


def check_json(text: str, secret: str, now: datetime) -> tuple[list[LegacyBackupRecord], list[Problem]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LegacyImportError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(data, dict) or not isinstance(data.get("registrants"), list) or set(data) - {"registrants"}:
        raise LegacyImportError('the JSON file must be an object {"registrants": [...]} and nothing else')
    checker, records, total = _Checker(), [], 0
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
        registrant = _registrant(checker, raw_person, where_person, _JSON_NAMES, everyone, secret)
        for j, raw in enumerate(backups):
            where = f"{where_person}.backups[{j}]"
            record = _record_of(raw, where)
            if not isinstance(raw, dict):
                checker.problem(where, "-", "must be an object", record)
                continue
            where = _label(where, raw.get("backup_number"))
            checker.unknown_keys(raw, _BACKUP_KEYS, where, record)
            values = _backup_values(checker, {**raw, "backup_name": raw.get("name")}, where,
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
                checked = _file_values(checker, {f"file_{key}": value for key, value in raw_file.items()},
                                       where_file, _JSON_NAMES, record)
                if checked is not None:
                    files.append(checked)
            _check_accessions(checker, files, where, _JSON_NAMES, record)
            if registrant is not None and values is not None and len(files) == len(raw_files):
                records.append(LegacyBackupRecord(registrant, {**values, "files": files}, where))
    return records, checker.problems, total


def _record_of(raw, where: str) -> str:
    number = raw.get("backup_number") if isinstance(raw, dict) else None
    return number.strip() if isinstance(number, str) and number.strip() else where


def check_csv(text: str, secret: str, now: datetime) -> tuple[list[LegacyBackupRecord], list[Problem]]:
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
    checker = _Checker()
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
        where = _label(f"line {first_line}", first["backup_number"])
        shared = [c for c in CSV_COLUMNS if c not in _CSV_FILE_COLUMNS]
        for line, row in rows[1:]:
            for column in shared:
                if row[column] != first[column]:
                    checker.problem(_label(f"line {line}", row["backup_number"]), column,
                                    f"differs from line {first_line}, which has the same backup_number",
                                    key)
        registrant = _registrant(checker, first, where, names, key, secret)
        values = _backup_values(checker, first, where, names, key, now)
        files, with_files = [], [(line, row) for line, row in rows if any(row[c] for c in _CSV_FILE_COLUMNS)]
        if len(rows) > 1 and len(with_files) != len(rows):
            empty = next(line for line, row in rows if not any(row[c] for c in _CSV_FILE_COLUMNS))
            checker.problem(f"line {empty}", "file_*", "a backup with files has a row without file columns",
                            key)
        for line, row in with_files:
            checked = _file_values(checker, row, _label(f"line {line}", row["backup_number"]), names, key)
            if checked is not None:
                files.append(checked)
        _check_accessions(checker, files, where, names, key)
        if registrant is not None and values is not None and len(files) == len(with_files):
            records.append(LegacyBackupRecord(registrant, {**values, "files": files}, where))
    return records, checker.problems, len(groups)


def _duplicates(records: list[LegacyBackupRecord]) -> list[Problem]:
    seen, problems = {}, []
    for record in records:
        number = record.backup_number
        if number in seen:
            problems.append(Problem(record.where, "backup_number",
                                    f"appears twice in the file (also at {seen[number]})", (number,)))
        else:
            seen[number] = record.where
    return problems


def check_file(path, fmt: str | None, secret: str, now: datetime | None = None):
    """``(records, problems, total)``: the file read and every record checked (no database)."""
    fmt = detect_format(path, fmt)
    text = _read_text(path)
    now = now or utcnow()
    records, problems, total = (check_json if fmt == "json" else check_csv)(text, secret, now)
    return records, problems + _duplicates(records), total


# --- writing ------------------------------------------------------------------------------------
def _numbers_of_new_backups(connection, records) -> list[Problem]:
    numbers = [r.backup_number for r in records]
    taken = set()
    for start in range(0, len(numbers), 500):
        taken.update(connection.execute(select(projections.backups.c.backup_number).where(
            projections.backups.c.backup_number.in_(numbers[start:start + 500]),
            projections.backups.c.origin != "legacy")).scalars())
    return [Problem(r.where, "backup_number", "is the number of a backup created on this platform",
                    (r.backup_number,)) for r in records if r.backup_number in taken]


def _write_one(store: EventStore, record: LegacyBackupRecord, run_id: str) -> str:
    def work(uow):
        if legacy_store.imported_numbers(uow.connection, [record.backup_number]):
            return PRESENT
        now = utcnow()
        backup = Backup.import_legacy(record.values, record.registrant, now)
        uow.save(backup)
        legacy_store.insert_imported(uow.connection, backup.backup_id, record.backup_number,
                                     record.registrant, now)
        return IMPORTED

    try:
        return store.write(work, actor=None, correlation_id=run_id, attempts=3)
    except (ConcurrencyError, IntegrityError):
        return PRESENT   # another import wrote this number at the same moment


def import_legacy_file(engine, path, fmt: str | None, secret: str, *, progress: bool = True,
                       out=None) -> ImportReport:
    """Check the whole file, then import every backup not imported yet. The report says what
    happened; with problems nothing was written."""
    report = ImportReport(run_id=f"legacy-import-{uuid.uuid4().hex[:12]}")
    if not inspect(engine).has_table(legacy_store.legacy_backups.name):
        raise LegacyImportError("the backups database has no legacy_backups table: run "
                                "`hgrip migrate backups` first")
    records, problems, report.total = check_file(path, fmt, secret)
    with engine.connect() as connection:
        problems += _numbers_of_new_backups(connection, records)
    if problems:
        report.problems = problems
        report.rejected = len({record for p in problems for record in p.records})
        return report
    from tqdm import tqdm

    store = EventStore(engine, source="backups")
    for record in tqdm(records, desc="importing legacy backups", unit="backup",
                       file=out or sys.stderr, disable=not progress):
        if _write_one(store, record, report.run_id) == IMPORTED:
            report.imported += 1
        else:
            report.already_present += 1
    return report
