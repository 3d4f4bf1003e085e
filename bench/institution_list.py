"""(e) The institution backup list (法人/单位管理员 备份列表) over 100 000 backups.

A fresh database migrated for backups is filled by bulk COPY of the read-model rows (members,
institution and 8 units, 500 delegates, known projects, 100 000 backups of which ~70% are numbered,
filings citing ~10% of those); no events are written: the list reads only the read model, and
appending 100 000 streams would take the whole bench budget. Then a fixed mix of filtered pages
(both tabs, unit, backup name, PI, delegate name and username, backup-number prefix, filing number,
three sort orders, page 1 and a deep page, as the legal person and as a unit administrator) is
timed twice:
- through ``institution_queries.backup_page`` on one connection (the three statements of a page),
  against a primary-key lookup of one backup row on the same connection;
- through a running BackupsService over nameko RPC (``institution_backups``), against the same
  service's ``health`` RPC (one round trip and one trivial query).
"""
import csv
import io
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import psycopg2.extensions
from sqlalchemy import create_engine, text

BACKUPS = 100_000
UNITS = 8
DELEGATES = 500
FILED_SHARE = 0.10          # of the backups, cited by a filing
COMPLETED_SHARE = 0.70
INSTITUTION = "BENCH"
ROUNDS = 12                 # each query of the mix, per round
TARGET_P95_MS = 50
BEIJING = timezone(timedelta(hours=8))

TOPICS = ["全基因组测序", "全外显子组测序", "转录组测序", "表观组测序", "基因组靶向测序", "全基因组芯片",
          "肿瘤队列", "出生缺陷", "罕见病", "心血管队列", "WGS trio", "RNA-seq cohort", "GWAS panel",
          "单细胞转录组", "宏基因组对照", "遗传性耳聋", "精神疾病家系", "糖尿病队列", "肝癌样本", "肺癌样本"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜"
GIVEN = "晓文博静怡浩然雨晴明辉丽娟建国伟芳敏强磊军洋勇艳杰娜涛斌超秀英华玉兰桂珍志红霞平刚凤云飞鹏宇航嘉欣子涵梓轩思远"


def _name(rng) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _copy(cursor, table: str, columns: list[str], rows) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["\\N" if value is None else value for value in row])
    buffer.seek(0)
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
                       buffer)


class World:
    """What was loaded, for choosing realistic filter values."""

    def __init__(self):
        self.legal_id = str(uuid.uuid4())
        self.unit_admins: dict[str, str] = {}
        self.delegates: list[dict] = []
        self.backup_ids: list[str] = []
        self.numbers: list[str] = []
        self.filings: list[str] = []
        self.pis: list[str] = []


def load(url: str, seed: int = 20230628) -> World:
    # COPY cannot run under eventlet's cooperative wait callback; nothing else runs meanwhile.
    callback = psycopg2.extensions.get_wait_callback()
    psycopg2.extensions.set_wait_callback(None)
    try:
        return _load(url, seed)
    finally:
        psycopg2.extensions.set_wait_callback(callback)


def _load(url: str, seed: int) -> World:
    rng = random.Random(seed)
    world = World()
    engine = create_engine(url)
    raw = engine.raw_connection()
    cursor = raw.cursor()
    now = datetime(2026, 6, 1, tzinfo=UTC)
    units = [f"U{i + 1}" for i in range(UNITS)]
    _copy(cursor, "member_institutions", ["code", "name", "name_key", '"foreign"', "version"],
          [(INSTITUTION, "国家基因组科学数据中心测试", "国家基因组科学数据中心测试", False, 1)])
    _copy(cursor, "member_units", ["institution_code", "code", "name"],
          [(INSTITUTION, code, f"第{i + 1}研究部") for i, code in enumerate(units)])
    member_rows = [(world.legal_id, "bench-legal", "国家基因组科学数据中心测试", "国家基因组科学数据中心测试",
                    "legal_person", INSTITUTION, None, True, True, now.isoformat(), 1)]
    for code in units:
        admin_id = str(uuid.uuid4())
        world.unit_admins[code] = admin_id
        member_rows.append((admin_id, f"bench-admin-{code}", _name(rng), "-", "unit_admin", INSTITUTION,
                            code, True, True, now.isoformat(), 1))
    for i in range(DELEGATES):
        delegate = {"id": str(uuid.uuid4()), "username": f"delegate{i:04d}", "name": _name(rng),
                    "unit": units[i % UNITS]}
        world.delegates.append(delegate)
        member_rows.append((delegate["id"], delegate["username"], delegate["name"], delegate["name"],
                            "natural_person", INSTITUTION, delegate["unit"], rng.random() < 0.9, True,
                            now.isoformat(), 1))
    _copy(cursor, "members", ["account_id", "username", "name", "name_key", "role", "institution_code",
                              "unit_code", "employed", "authorised", "authorised_at", "version"], member_rows)

    projects = {d["id"]: [(str(uuid.uuid4()), f"{rng.choice(TOPICS)}项目 {d['username']}-{k}")
                          for k in range(rng.randint(1, 3))] for d in world.delegates}
    _copy(cursor, "known_projects", ["project_id", "owner_id", "institution_code", "name", "applied_event_id"],
          [(pid, owner, INSTITUTION, name, str(uuid.uuid4()))
           for owner, owned in projects.items() for pid, name in owned])

    world.pis = [_name(rng) for _ in range(300)]
    serials: dict[str, int] = {}
    backup_rows, completed = [], []
    start = datetime(2021, 1, 1, tzinfo=UTC)
    span = (now - start).total_seconds()
    for i in range(BACKUPS):
        delegate = rng.choice(world.delegates)
        project_id, project_name = rng.choice(projects[delegate["id"]])
        created = start + timedelta(seconds=rng.random() * span)
        backup_id = str(uuid.uuid4())
        files = rng.randint(1, 6)
        total_mb = float(sum(rng.randint(1, 200) * rng.choice((5, 100, 2000)) for _ in range(files)))
        number = submitted = None
        status = "draft"
        if rng.random() < COMPLETED_SHARE:
            status = "completed"
            submitted = created + timedelta(hours=rng.randint(1, 240))
            day = submitted.astimezone(BEIJING).strftime("%Y%m%d")
            serials[day] = serials.get(day, 0) + 1
            number = f"BF{day}{serials[day]:05d}"
            world.numbers.append(number)
            completed.append((backup_id, delegate["id"], total_mb))
        world.backup_ids.append(backup_id)
        backup_rows.append((
            backup_id, project_id, delegate["id"], f"{rng.choice(TOPICS)}数据备份 {i:06d}",
            json.dumps([rng.choice(["wgs", "wes", "targeted", "transcriptome"])]), status, number, files,
            total_mb, created.isoformat(), submitted.isoformat() if submitted else None, INSTITUTION,
            delegate["unit"], rng.choice(world.pis), "pi@big.ac.cn", project_name,
            2 if number else 1, "legacy" if rng.random() < 0.05 and number else "new"))
    _copy(cursor, "backups", ["id", "project_id", "owner_id", "name", "categories", "status",
                              "backup_number", "file_count", "total_mb", "created_at", "submitted_at",
                              "institution_code", "unit_code", "pi_name", "pi_email", "project_name",
                              "version", "origin"], backup_rows)

    filing_rows = []
    cited = rng.sample(completed, int(BACKUPS * FILED_SHARE))
    position = 0
    while position < len(cited):
        group = cited[position:position + rng.randint(1, 3)]
        position += len(group)
        number = f"BA{2023 + position % 3}{position:08d}"
        world.filings.append(number)
        declared = sum(mb for _, _, mb in group) * rng.uniform(0.8, 1.6)
        filed_at = (now - timedelta(days=rng.randint(1, 900))).isoformat()
        for backup_id, _, _ in group:
            filing_rows.append((number, backup_id, declared, "Foreign University Hospital", filed_at))
    _copy(cursor, "filings", ["filing_number", "backup_id", "declared_mb", "recipient", "filed_at"], filing_rows)
    raw.commit()
    cursor.close()
    raw.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return world


def query_mix(world: World, rng) -> list[tuple[str, str, dict]]:
    """(label, actor id, query) — the filters an administrator types, as the form sends them."""
    legal = world.legal_id
    admin_unit, admin = "U3", world.unit_admins["U3"]
    delegate = rng.choice(world.delegates)
    number = rng.choice(world.numbers)
    return [
        ("completed, page 1", legal, {}),
        ("incomplete, page 1", legal, {"status": "incomplete"}),
        ("unit", legal, {"unit": "U5"}),
        ("name contains (common)", legal, {"name": "全基因组"}),
        ("name contains (one backup)", legal, {"name": "备份 04217"}),
        ("pi contains", legal, {"pi": rng.choice(world.pis)}),
        ("delegate name contains", legal, {"delegate": delegate["name"]}),
        ("delegate username", legal, {"delegate": delegate["username"]}),
        ("backup number prefix", legal, {"backup_number": number[:8].lower()}),
        ("backup number (whole)", legal, {"backup_number": number}),
        ("filing number", legal, {"filing_number": rng.choice(world.filings)}),
        ("deep page (page 500)", legal, {"page": 500}),
        ("sort by name", legal, {"sort": "name"}),
        ("sort by -backup_number", legal, {"sort": "-backup_number", "page": 3}),
        ("unit admin, completed", admin, {"unit": admin_unit}),
        ("unit admin, incomplete, name", admin, {"status": "incomplete", "name": "测序"}),
    ]


def _percentiles(samples_ms: list[float]) -> dict:
    ordered = sorted(samples_ms)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": statistics.median(ordered), "p95": cut[94], "p99": cut[98]}


def _fmt(p: dict) -> str:
    return f"p50 {p['p50']:.1f} ms, p95 {p['p95']:.1f} ms, p99 {p['p99']:.1f} ms"


def time_queries(url: str, world: World) -> tuple[dict, dict, dict]:
    """(page percentiles, baseline percentiles, per-label p95) through institution_queries."""
    from hgrip_backups.adapters import members
    from hgrip_backups.adapters import queries as institution_queries
    from hgrip_backups.domain.scope import authority_of
    from hgrip_backups.entrypoints import institution_schemas
    from hgrip_kernel.store import create_engine as kernel_engine

    engine = kernel_engine(url)
    rng = random.Random(7)
    mix = query_mix(world, rng)
    pages, baseline, by_label = [], [], {}
    with engine.connect() as connection:
        authorities = {actor: authority_of(members.get_member(connection, actor))
                       for actor in {actor for _, actor, _ in mix}}
        for round_ in range(ROUNDS + 1):      # round 0 warms caches and statement plans
            for label, actor, query in mix:
                values = institution_schemas.load_backup_query(query)
                started = time.perf_counter()
                page = institution_queries.backup_page(connection, authorities[actor], values)
                elapsed = (time.perf_counter() - started) * 1000
                assert len(page["items"]) <= values["page_size"]
                backup_id = rng.choice(world.backup_ids)
                started = time.perf_counter()
                institution_queries.primary_key_lookup(connection, backup_id)
                lookup = (time.perf_counter() - started) * 1000
                connection.rollback()
                if round_:
                    pages.append(elapsed)
                    baseline.append(lookup)
                    by_label.setdefault(label, []).append(elapsed)
    engine.dispose()
    worst = {label: _percentiles(samples)["p95"] for label, samples in by_label.items()}
    return _percentiles(pages), _percentiles(baseline), worst


def time_rpc(url: str, amqp_uri: str, world: World) -> tuple[dict, dict]:
    """(page percentiles, health percentiles) through a running BackupsService."""
    from nameko.containers import ServiceContainer
    from nameko.standalone.rpc import ClusterRpcProxy

    from hgrip_backups.entrypoints.service import BackupsService
    from hgrip_kernel.logging import configure_logging
    from hgrip_kernel.nameko import register_rpc_errors

    register_rpc_errors()
    configure_logging("backups", level="WARNING")   # one info line per call would flood the report
    config = _backups_config(url, amqp_uri, tempfile.mkdtemp(prefix="hgrip-bench-"))
    container = ServiceContainer(BackupsService, config)
    container.start()
    rng = random.Random(11)
    mix = query_mix(world, rng)
    pages, health = [], []
    try:
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as cluster:
            for round_ in range(ROUNDS // 2 + 1):
                for _, actor, query in mix:
                    started = time.perf_counter()
                    cluster.backups.institution_backups(actor, query)
                    elapsed = (time.perf_counter() - started) * 1000
                    started = time.perf_counter()
                    cluster.backups.health()
                    baseline = (time.perf_counter() - started) * 1000
                    if round_:
                        pages.append(elapsed)
                        health.append(baseline)
    finally:
        container.stop()
    return _percentiles(pages), _percentiles(health)


def _proc_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def _free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def time_export(url: str, amqp_uri: str, world: World) -> dict:
    """Export every backup (both tabs) as CSV and as XLSX through a gateway *process* (``hgrip serve
    gateway``), with backups and a token-checking identity stand-in running here; the gateway's peak
    RSS (VmHWM, reset after a warm-up export) against its RSS before."""
    import subprocess
    import sys
    import zipfile

    import requests
    from nameko.containers import ServiceContainer
    from nameko.rpc import rpc

    from hgrip_backups.entrypoints.service import BackupsService
    from hgrip_identity.adapters.tokens import issue as issue_token
    from hgrip_kernel.logging import configure_logging
    from hgrip_kernel.nameko import register_rpc_errors

    legal = {"id": world.legal_id, "username": "bench-legal", "name": "国家基因组科学数据中心测试",
             "role": "legal_person", "mobile": None,
             "institution": {"code": INSTITUTION, "name": "-", "foreign": False},
             "unit": None, "real_name_verified": True, "authorised": True, "authorised_at": None, "employed": True}

    class BenchIdentity:
        name = "identity"

        @rpc
        def authenticate(self, token):
            return legal

    register_rpc_errors()
    configure_logging("backups", level="WARNING")
    var = tempfile.mkdtemp(prefix="hgrip-bench-")
    config = _backups_config(url, amqp_uri, var)
    containers = [ServiceContainer(BackupsService, config),
                  ServiceContainer(BenchIdentity, {"AMQP_URI": amqp_uri, "serializer": "json"})]
    for container in containers:
        container.start()
    port = _free_port()
    # The gateway checks a token's signature itself (gateway/hgrip_gateway/tokens.py): sign one as identity does.
    token_secret = "bench-token-secret-long-enough-for-hs256"
    env = {**os.environ, "HGRIP_AMQP_URI": amqp_uri, "HGRIP_VAR": var, "HGRIP_GATEWAY_ADDRESS": f"127.0.0.1:{port}",
           "HGRIP_GATEWAY_RPC_TIMEOUT": "60", "HGRIP_TOKEN_SECRET": token_secret}
    log = open(os.path.join(var, "gateway.log"), "ab")  # noqa: SIM115 (the child writes it until the end)
    gateway = subprocess.Popen([str(Path(sys.executable).with_name("hgrip")), "serve", "gateway", "--log-level",
                                "WARNING"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/api/v1/institution/backups/export"
    headers = {"Authorization": f"Bearer {issue_token(token_secret, legal)}"}
    result: dict = {}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the gateway did not start")
            time.sleep(0.3)
        for fmt in ("csv", "xlsx"):   # warm-up: every module loaded, one small file each
            warm = requests.get(base, params={"format": fmt, "backup_number": "BF2021"}, headers=headers, timeout=120)
            assert warm.status_code == 200, warm.text
        before_kb = _proc_kb(gateway.pid, "VmRSS")
        with open(f"/proc/{gateway.pid}/clear_refs", "w") as handle:
            handle.write("5")      # reset the peak (VmHWM) to the present RSS
        for fmt in ("csv", "xlsx"):
            rows = size = 0
            started = time.perf_counter()
            for status in ("completed", "incomplete"):
                path = os.path.join(var, f"export-{status}.{fmt}")
                with requests.get(base, params={"format": fmt, "status": status}, headers=headers, stream=True,
                                  timeout=300) as answer, open(path, "wb") as out:
                    answer.raise_for_status()
                    assert "Content-Length" not in answer.headers   # streamed (chunked), not built first
                    for chunk in answer.iter_content(64 * 1024):
                        size += len(chunk)
                        out.write(chunk)
                if fmt == "csv":
                    with open(path, "rb") as file:
                        rows += sum(chunk.count(b"\n") for chunk in iter(lambda: file.read(1 << 20), b"")) - 1
                else:
                    with zipfile.ZipFile(path) as book, book.open("xl/worksheets/sheet1.xml") as sheet:
                        rows += sum(chunk.count(b"<row ") for chunk in iter(lambda: sheet.read(1 << 20), b"")) - 1
                os.unlink(path)
            result[fmt] = {"rows": rows, "bytes": size, "seconds": time.perf_counter() - started}
        result["rss_before_mb"] = before_kb / 1024
        result["peak_growth_mb"] = (_proc_kb(gateway.pid, "VmHWM") - before_kb) / 1024
    finally:
        gateway.terminate()
        gateway.wait(20)
        log.close()
        for container in containers:
            container.stop()
    return result


def run(scratch) -> list[dict]:
    url = scratch.database("backups")
    started = time.perf_counter()
    world = load(url)
    loaded_s = time.perf_counter() - started
    page, lookup, worst = time_queries(url, world)
    slowest = max(worst, key=worst.get)
    rows = [{
        "what": f"(e) institution backup list page on {BACKUPS:,} backups ({UNITS} units, {DELEGATES} "
                f"delegates, bulk-loaded in {loaded_s:.0f} s): {len(worst)} filter/sort/page mixes via "
                f"institution_queries, 3 statements each; slowest mix p95 {worst[slowest]:.1f} ms "
                f"({slowest})",
        "measured": _fmt(page), "baseline": f"primary-key lookup p95 {lookup['p95']:.2f} ms",
        "ratio": page["p95"] / lookup["p95"], "target": f"p95 < {TARGET_P95_MS} ms",
        "met": page["p95"] < TARGET_P95_MS}]
    rpc_page, rpc_health = time_rpc(url, scratch.vhost(), world)
    rows.append({
        "what": "(e) the same mix through a running BackupsService (`institution_backups` over nameko "
                "RPC: scope lookup, validation, page, JSON)",
        "measured": _fmt(rpc_page), "baseline": f"`health` RPC p95 {rpc_health['p95']:.1f} ms",
        "ratio": rpc_page["p95"] / rpc_health["p95"], "target": f"p95 < {TARGET_P95_MS} ms",
        "met": rpc_page["p95"] < TARGET_P95_MS})
    export = time_export(url, scratch.vhost(), world)
    csv_, xlsx = export["csv"], export["xlsx"]
    assert csv_["rows"] == xlsx["rows"] == BACKUPS, export
    rows.append({
        "what": f"(e) export of all {BACKUPS:,} backups (both tabs) through a running gateway process "
                f"(`GET /institution/backups/export`, streamed from keyset batches of 1 000): CSV "
                f"{csv_['bytes'] / 1e6:.1f} MB in {csv_['seconds']:.1f} s, XLSX {xlsx['bytes'] / 1e6:.1f} MB in "
                f"{xlsx['seconds']:.1f} s; gateway RSS before {export['rss_before_mb']:.0f} MB",
        "measured": f"gateway peak RSS growth {export['peak_growth_mb']:.1f} MB",
        "baseline": f"CSV file {csv_['bytes'] / 1e6:.1f} MB",
        "ratio": export["peak_growth_mb"] * 1e6 / csv_["bytes"], "target": "growth < 50 MB",
        "met": export["peak_growth_mb"] < 50})
    for label in sorted(worst, key=worst.get, reverse=True):
        print(f"  {label:32s} p95 {worst[label]:7.1f} ms")
    return rows


def _backups_config(url: str, amqp_uri: str, var: str) -> dict:
    """The backups service's config for a bench container, its secrets kept under ``var``
    (HGRIP_VAR is set only while the config is built)."""
    from hgrip_kernel.config import service_config

    saved = os.environ.get("HGRIP_VAR")
    os.environ["HGRIP_VAR"] = var
    try:
        return service_config("backups", DATABASE_URL=url, AMQP_URI=amqp_uri, RELAY_ENABLED=False)
    finally:
        if saved is None:
            os.environ.pop("HGRIP_VAR", None)
        else:
            os.environ["HGRIP_VAR"] = saved
