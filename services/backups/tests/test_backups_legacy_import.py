"""``hgrip legacy import``: the old platform's export (JSON and CSV) into a real backups database."""
import io
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from hgrip_backups.adapters import tables
from hgrip_backups.adapters.legacy_files import CSV_COLUMNS
from hgrip_backups.app.legacy_import import LegacyImportError
from hgrip_backups.domain.legacy import legacy_backup_id
from hgrip_backups.domain.mobile import mobile_hash
from hgrip_backups.entrypoints.legacy_import import import_legacy_file
from hgrip_kernel.store import create_engine
from hgrip_kernel.store.tables import events, outbox

SECRET = "test-mobile-hash-secret"
HEADER = ",".join(CSV_COLUMNS)

EXPORT = {"registrants": [
    {"name": "张晓寒", "mobile": "13912345678", "institution": "国家基因组科学数据中心（测试）", "backups": [
        {"backup_number": "BF2021031500012", "name": "遗传性耳聋家系外显子组测序数据备份",
         "project_name": "汉族遗传性耳聋家系全外显子组测序研究", "pi_name": "刘晓寒",
         "pi_email": "liuxh@big.ac.cn", "submitted_at": "2021-03-15 10:24:37", "categories": ["wes"],
         "files": [{"detailed_type": "raw_sequencing", "accession": "HRA000123", "cases": 120,
                    "mb_per_case": 8500},
                   {"detailed_type": "基因组变异数据", "accession": "GVM000123", "cases": 120,
                    "mb_per_case": 12.5}]},
        {"backup_number": "BF2022110800047", "name": "肝细胞癌转录组测序数据备份",
         "project_name": "肝细胞癌转录组与预后标志物研究", "submitted_at": "2022-11-08",
         "files": [{"detailed_type": "各类统计与分析数据", "accession": "OMIX000789", "cases": 60,
                    "mb_per_case": 3.5}]}]},
    {"name": "黄志强", "mobile": "137 0013 7000", "institution": "国家基因组科学数据中心(测试)", "backups": [
        {"backup_number": "BF2020082400002", "name": "高原人群全基因组重测序数据备份",
         "project_name": "高原适应相关遗传变异研究", "pi_name": "黄志强", "pi_email": "huangzq@big.ac.cn",
         "submitted_at": "2020-08-24T14:30:00+08:00", "categories": ["wgs", "全外显子组测序相关数据"],
         "files": []}]},
]}

CSV = "\n".join([
    HEADER,
    "张晓寒,13912345678,国家基因组科学数据中心（测试）,BF2021031500012,遗传性耳聋家系外显子组测序数据备份,"
    "汉族遗传性耳聋家系全外显子组测序研究,刘晓寒,liuxh@big.ac.cn,2021-03-15 10:24:37,wes,"
    "raw_sequencing,HRA000123,120,8500",
    "张晓寒,13912345678,国家基因组科学数据中心（测试）,BF2021031500012,遗传性耳聋家系外显子组测序数据备份,"
    "汉族遗传性耳聋家系全外显子组测序研究,刘晓寒,liuxh@big.ac.cn,2021-03-15 10:24:37,wes,"
    "基因组变异数据,GVM000123,120,12.5",
    "张晓寒,13912345678,国家基因组科学数据中心（测试）,BF2022110800047,肝细胞癌转录组测序数据备份,"
    "肝细胞癌转录组与预后标志物研究,,,2022-11-08,,各类统计与分析数据,OMIX000789,60,3.5",
    "黄志强,137 0013 7000,国家基因组科学数据中心(测试),BF2020082400002,高原人群全基因组重测序数据备份,"
    "高原适应相关遗传变异研究,黄志强,huangzq@big.ac.cn,2020-08-24T14:30:00+08:00,wgs;全外显子组测序相关数据,,,,",
]) + "\n"


@pytest.fixture
def database(make_database):
    """A migrated backups database on PostgreSQL, nothing running on it."""
    engine = create_engine(make_database("backups"))
    yield engine
    engine.dispose()


def write(tmp_path, name, content) -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content, ensure_ascii=False),
                    encoding="utf-8")
    return str(path)


def stored(engine):
    with engine.connect() as connection:
        rows = connection.execute(select(events).order_by(events.c.position)).mappings().all()
        legacy = connection.execute(select(tables.legacy_backups)
                                    .order_by(tables.legacy_backups.c.backup_number)).mappings().all()
        outbox_count = len(connection.execute(select(outbox.c.id)).all())
        backups = connection.execute(select(tables.backups.c.id)).all()
    return rows, legacy, outbox_count, backups


def test_json_import_writes_each_backup_as_a_stream_with_its_row_and_is_idempotent(database, tmp_path):
    path = write(tmp_path, "export.json", EXPORT)
    report = import_legacy_file(database, path, None, SECRET, progress=False)
    assert report.ok and (report.imported, report.already_present, report.rejected, report.total) == (3, 0, 0, 3)
    assert report.summary() == "imported 3, already present 0, rejected 0 (of 3 legacy backups in the file)"

    rows, legacy, outbox_count, backups = stored(database)
    assert [r["event_type"] for r in rows] == ["LegacyBackupImported"] * 3 and outbox_count == 3
    assert not backups   # no owner yet: not in anybody's list until claimed
    first = rows[0]
    assert first["stream_id"] == f"backup-{legacy_backup_id('BF2021031500012')}"
    assert first["actor"] is None and first["correlation_id"] == report.run_id
    data = first["data"]
    assert data["submitted_at"] == "2021-03-15T02:24:37+00:00"    # naive = Beijing time
    assert [(f["detailed_type"], f["repository"], f["mb_per_case"]) for f in data["files"]] == [
        ("raw_sequencing", "GSA-Human", 8500), ("genome_variation", "GVM", 12.5)]
    assert data["registrant"] == {"name": "张晓寒", "mobile_masked": "139****5678",
                                  "mobile_hash": mobile_hash(SECRET, "13912345678"),
                                  "institution_name": "国家基因组科学数据中心（测试）"}
    second = rows[1]["data"]
    assert (second["pi_name"], second["pi_email"], second["categories"]) == (None, None, [])
    assert second["submitted_at"] == "2022-11-07T16:00:00+00:00"   # a date: midnight in Beijing
    assert rows[2]["data"]["categories"] == ["wgs", "wes"] and rows[2]["data"]["files"] == []

    by_number = {row["backup_number"]: row for row in legacy}
    huang = by_number["BF2020082400002"]
    assert huang["mobile_hash"] == mobile_hash(SECRET, "13700137000") and huang["mobile_masked"] == "137****7000"
    assert huang["institution_key"] == by_number["BF2021031500012"]["institution_key"]   # tolerant key
    assert all(row["claimed_at"] is None and row["owner_id"] is None for row in legacy)
    # The clear mobile numbers are nowhere in the database.
    everything = json.dumps([dict(r) for r in rows] + [dict(r) for r in legacy], default=str, ensure_ascii=False)
    assert "13912345678" not in everything and "13700137000" not in everything

    again = import_legacy_file(database, path, "json", SECRET, progress=False)
    assert (again.imported, again.already_present, again.rejected) == (0, 3, 0)
    assert stored(database)[:3] == (rows, legacy, outbox_count)


def test_csv_import_gives_the_same_backups_as_json(make_database, database, tmp_path):
    json_report = import_legacy_file(database, write(tmp_path, "export.json", EXPORT), None, SECRET,
                                     progress=False)
    other = create_engine(make_database("backups"))
    try:
        csv_path = write(tmp_path, "export.csv", "\ufeff" + CSV)   # with the BOM Excel writes
        report = import_legacy_file(other, csv_path, None, SECRET, progress=False)
        assert report.ok and (report.imported, report.total) == (3, 3)

        def comparable(engine):
            rows = stored(engine)[0]
            return [(r["stream_id"], {k: v for k, v in r["data"].items() if k != "imported_at"}) for r in rows]
        assert comparable(other) == comparable(database) and json_report.imported == 3
        again = import_legacy_file(other, csv_path, "csv", SECRET, progress=False)
        assert (again.imported, again.already_present) == (0, 3)
    finally:
        other.dispose()


def test_a_bad_file_names_every_problem_and_imports_nothing(database, tmp_path):
    bad = json.loads(json.dumps(EXPORT))
    first = bad["registrants"][0]
    first["mobile"] = "1391234567"                               # 10 digits
    first["backups"][0]["files"][0]["accession"] = "OMIX000123"  # not a GSA-Human accession
    first["backups"][0]["files"][1]["cases"] = 0
    first["backups"][1]["submitted_at"] = "15/03/2021"
    bad["registrants"][1]["backups"][0]["detailed_type"] = "raw_sequencing"   # a misplaced key
    bad["registrants"][1]["backups"][0]["categories"] = ["wgs", "宏基因组"]
    bad["registrants"].append({"name": "", "mobile": "13800000000", "institution": "华东医学遗传研究院",
                               "backups": [{**EXPORT["registrants"][1]["backups"][0]}]})   # duplicate number
    report = import_legacy_file(database, write(tmp_path, "bad.json", bad), None, SECRET, progress=False)

    assert not report.ok and report.imported == 0 and report.rejected == 3
    lines = [str(p) for p in report.problems]
    assert lines == [
        "registrants[0]: mobile: must be an 11-digit mainland-China mobile number",
        "registrants[0].backups[0] (BF2021031500012).files[0]: accession: does not have the format of "
        "GSA-Human (for example HRA000567)",
        "registrants[0].backups[0] (BF2021031500012).files[1]: cases: must be a whole number from 1 to 1000000000",
        "registrants[0].backups[1] (BF2022110800047): submitted_at: must be a date (YYYY-MM-DD) or an "
        "ISO 8601 date and time",
        "registrants[1].backups[0] (BF2020082400002): detailed_type: is not a field of the export format",
        "registrants[1].backups[0] (BF2020082400002): categories: unknown content category '宏基因组'",
        "registrants[2]: name: is required",
    ]
    assert "1391234567" not in " ".join(lines)   # the mobile is never repeated
    assert stored(database)[:3] == ([], [], 0)


def test_duplicates_and_numbers_of_this_platform_are_rejected(database, tmp_path):
    with database.begin() as connection:   # a backup numbered by this platform
        connection.execute(insert(tables.backups).values(
            id="0b6f6d1c-1111-4a5b-9c3d-2e4f6a8b0c1d", project_id=None,
            owner_id="5a0c8f2e-3b1d-4c6e-9f7a-0d2b4e6f8a10", name="n", categories=["wes"],
            status="completed", backup_number="BF2022110800047", file_count=0, total_mb=0,
            created_at=datetime(2022, 11, 8, tzinfo=UTC), institution_code="INST-NGDC", pi_name="p",
            pi_email="p@big.ac.cn", project_name="p", version=1))
    twice = json.loads(json.dumps(EXPORT))
    twice["registrants"][1]["backups"].append(dict(twice["registrants"][0]["backups"][0]))
    report = import_legacy_file(database, write(tmp_path, "twice.json", twice), None, SECRET, progress=False)
    assert [str(p) for p in report.problems] == [
        "registrants[1].backups[1] (BF2021031500012): backup_number: appears twice in the file "
        "(also at registrants[0].backups[0] (BF2021031500012))",
        "registrants[0].backups[1] (BF2022110800047): backup_number: is the number of a backup "
        "created on this platform"]
    assert report.imported == 0 and stored(database)[0] == []


def test_csv_problems_name_the_line_and_column(database, tmp_path):
    lines = CSV.splitlines()
    lines[2] = lines[2].replace("刘晓寒", "王五")                    # differs from line 2, same backup
    lines[4] = lines[4].replace("137 0013 7000", "")               # line 5: no mobile
    lines.append("孙丽娟,13677778888,华东医学遗传研究院,BF2023020600015,b,p,,,2023-02-06,,raw_sequencing,HRA000512,,36")
    report = import_legacy_file(database, write(tmp_path, "bad.csv", "\n".join(lines) + "\n"), None,
                                SECRET, progress=False)
    assert [str(p) for p in report.problems] == [
        "line 3 (BF2021031500012): pi_name: differs from line 2, which has the same backup_number",
        "line 5 (BF2020082400002): registrant_mobile: is required",
        "line 6 (BF2023020600015): file_cases: is required",
    ]
    assert report.rejected == 3 and report.total == 4 and stored(database)[0] == []


@pytest.mark.parametrize("name, content, message", [
    ("export.json", "{not json", "not valid JSON"),
    ("export.json", json.dumps([{"name": "x"}]), 'must be an object {"registrants": [...]}'),
    ("export.csv", "name,mobile\n张晓寒,13912345678\n", "missing: registrant_name"),
    ("export.txt", "{}", "add --format json|csv"),
])
def test_an_unreadable_file_is_refused_whole(database, tmp_path, name, content, message):
    with pytest.raises(LegacyImportError) as refused:
        import_legacy_file(database, write(tmp_path, name, content), None, SECRET, progress=False)
    assert message in str(refused.value)
    with pytest.raises(LegacyImportError, match="no such file"):
        import_legacy_file(database, str(tmp_path / "missing.json"), None, SECRET, progress=False)


def test_progress_bar_counts_the_backups(database, tmp_path):
    out = io.StringIO()
    import_legacy_file(database, write(tmp_path, "export.json", EXPORT), None, SECRET, progress=True, out=out)
    shown = out.getvalue()
    assert "importing legacy backups" in shown and "3/3" in shown and "100%" in shown


def test_the_hgrip_command_works_on_the_configured_sqlite_database(tmp_path, monkeypatch, capsys):
    from hgrip_kernel.cli.main import main

    monkeypatch.setenv("HGRIP_VAR", str(tmp_path / "var"))
    monkeypatch.delenv("HGRIP_BACKUPS_DATABASE_URL", raising=False)   # the SQLite default
    monkeypatch.setenv("HGRIP_MOBILE_HASH_SECRET", SECRET)
    assert main(["legacy", "import", write(tmp_path, "export.json", EXPORT)]) == 1
    assert "run `hgrip migrate backups` first" in capsys.readouterr().out   # not migrated yet
    assert main(["migrate", "backups"]) == 0
    capsys.readouterr()

    assert main(["legacy", "import", write(tmp_path, "export.csv", CSV), "--no-progress"]) == 0
    assert capsys.readouterr().out.startswith(
        "imported 3, already present 0, rejected 0 (of 3 legacy backups in the file) [run legacy-import-")
    assert main(["legacy", "import", str(tmp_path / "export.csv"), "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("imported 0, already present 3, rejected 0")
    assert "importing legacy backups" in captured.err   # the progress bar, on stderr

    engine = create_engine(f"sqlite:///{tmp_path / 'var' / 'db' / 'backups.sqlite'}")
    with engine.connect() as connection:
        numbers = connection.execute(select(tables.legacy_backups.c.mobile_hash)).scalars().all()
    engine.dispose()
    assert set(numbers) == {mobile_hash(SECRET, "13912345678"), mobile_hash(SECRET, "13700137000")}

    bad = CSV.replace("120,12.5", "120,-1")
    assert main(["legacy", "import", write(tmp_path, "bad.csv", bad), "--no-progress"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == ["rejected: line 3 (BF2021031500012): file_mb_per_case: must be a number greater "
                   "than 0 (at most 1000000000)",
                   "imported 0, already present 0, rejected 1 (of 3 legacy backups in the file)",
                   "nothing imported: 1 legacy backup(s) have problems; correct the file and run "
                   "the command again"]


def test_the_demo_file_is_valid_and_covers_every_way_of_claiming():
    """deploy/demo-legacy.json (imported by `make run`) against deploy/demo-accounts.json."""
    from pathlib import Path

    from hgrip_backups.adapters.legacy_files import check_file
    from hgrip_backups.domain.names import name_key

    deploy = Path(__file__).resolve().parents[3] / "deploy"
    records, problems, total = check_file(deploy / "demo-legacy.json", None, SECRET)
    assert problems == [] and len(records) == total >= 8
    accounts = json.loads((deploy / "demo-accounts.json").read_text(encoding="utf-8"))
    people = {(a["name"], a["mobile"]): a for a in accounts if a["role"] == "natural_person"}
    names = {a["name"] for a in people.values()}

    kinds = {}
    for record in records:
        registrant = record.registrant
        exact = [a for (name, mobile), a in people.items() if name == registrant.name
                 and mobile_hash(SECRET, mobile) == registrant.mobile_hash]
        if exact and exact[0]["institution"] == registrant.institution_name:
            kind = "auto-attach, exact"
        elif exact and name_key(exact[0]["institution"]) == registrant.institution_key:
            kind = "auto-attach, institution typed differently"
        elif exact:
            kind = "another institution"
        elif registrant.name in names:
            kind = "same name, another mobile"
        else:
            kind = "no account"
        kinds.setdefault(kind, set()).add(registrant.name)
    assert kinds == {"auto-attach, exact": {"张晓寒", "孙丽娟"},
                     "auto-attach, institution typed differently": {"王雨晴", "周建国"},
                     "same name, another mobile": {"刘浩然"},
                     "another institution": {"赵明辉"},
                     "no account": {"黄志强"}}


def test_make_run_imports_the_demo_file_after_migrating():
    from hgrip_standins.runner.cli import DEFAULT_LEGACY, with_legacy_import
    from hgrip_standins.runner.plan import default_plan

    plan = with_legacy_import(default_plan(python="py", hgrip="hgrip"), DEFAULT_LEGACY, hgrip="hgrip")
    assert plan.migrations == [["hgrip", "migrate"],
                               ["hgrip", "legacy", "import", DEFAULT_LEGACY, "--no-progress"]]
    assert DEFAULT_LEGACY.endswith("deploy/demo-legacy.json")
