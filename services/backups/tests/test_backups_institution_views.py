"""Institution views (法人/单位管理员): backup list and detail, member list, delegate list.

Most tests read one shared world written as read-model rows into a migrated PostgreSQL database
(two NGDC units, another institution, an operator) and ask a real BackupsService over RabbitMQ.
The last test builds the manual's example through the real identity, projects and backups
services instead.
"""
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, insert, inspect

from hgrip_backups.adapters import queries as institution_queries
from hgrip_backups.adapters import tables
from hgrip_backups.adapters.tables import backups as backups_table
from hgrip_backups.adapters.tables import (
    data_files,
    filings,
    known_projects,
    member_institutions,
    member_units,
    members,
)
from hgrip_backups.entrypoints import institution_schemas
from hgrip_kernel.errors import Forbidden, InvalidInput, NotFound

NS = uuid.UUID("0b6c3f1e-5a4d-4e2b-9c8d-7f6e5d4c3b2a")
NGDC, ECMG, BIO, DATA, ONC = "NGDC", "ECMG", "BIO", "DATA", "ONC"
AUTHORISED_AT = datetime(2023, 6, 27, 3, 26, 27, tzinfo=UTC)   # 2023-06-27 11:26:27 Beijing


def ident(label: str) -> str:
    return str(uuid.uuid5(NS, label))


# label: (username, name, role, institution, unit, employed)
ACCOUNTS = {
    "legal": ("ngdc-legal", "国家基因组科学数据中心测试", "legal_person", NGDC, None, True),
    "bio_admin": ("ngdc-bio-admin", "李文博", "unit_admin", NGDC, BIO, True),
    "data_admin": ("ngdc-data-admin", "陈静怡", "unit_admin", NGDC, DATA, True),
    "left_admin": ("ngdc-old-admin", "周离职", "unit_admin", NGDC, BIO, False),
    "zhang": ("zhangxiaohan", "张晓寒", "natural_person", NGDC, BIO, True),
    "wang": ("wangyuqing", "王雨晴", "natural_person", NGDC, BIO, True),
    "liu": ("liuhaoran", "刘浩然", "natural_person", NGDC, DATA, True),
    "zhao": ("zhaominghui", "赵明辉", "natural_person", NGDC, DATA, False),
    "operator": ("operator", "平台运维测试", "operator", NGDC, None, True),
    "ecmg": ("ecmg-legal", "华东医学遗传研究院测试", "legal_person", ECMG, None, True),
    "sun": ("sunlijuan", "孙丽娟", "natural_person", ECMG, ONC, True),
}
PROJECTS = {"zhang": 1, "wang": 2, "liu": 1, "sun": 1}


def _day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# label: (owner, unit, backup number or None (draft), name, PI, created)
BACKUPS = {
    "z1": ("zhang", BIO, "BF2023062816036", "三例样本（父母子）的测序数据开放共享备份", "刘晓寒",
           "2023-06-28T02:30:00"),
    "z2": ("zhang", BIO, None, "张晓寒的草稿一", "刘晓寒", "2023-07-01T00:00:00"),
    "z3": ("zhang", BIO, None, "张晓寒的草稿二", "刘晓寒", "2023-07-02T00:00:00"),
    "w1": ("wang", BIO, "BF2023070100001", "WGS Trio Cohort", "陈晓明", "2023-06-30T00:00:00"),
    "w2": ("wang", BIO, "BF2024010200003", "肿瘤队列 100%_样本", "陈晓明", "2024-01-02T00:00:00"),
    "wd": ("wang", BIO, None, "王雨晴的草稿", "陈晓明", "2024-02-01T00:00:00"),
    "l1": ("liu", DATA, "BF2023080800001", "转录组测序备份", "刘晓寒", "2023-08-08T00:00:00"),
    "l2": ("liu", DATA, "BF2023080800002", "表观组测序备份", "孙伟", "2023-08-08T00:00:00"),  # same instant
    "ld": ("liu", DATA, None, "刘浩然的草稿", "孙伟", "2023-09-01T00:00:00"),
    "h1": ("zhao", DATA, "BF2022121200001", "离职人员的备份", "赵明辉", "2022-12-12T00:00:00"),
    "s1": ("sun", ONC, "BF2023090900001", "华东的备份", "刘晓寒", "2023-09-09T00:00:00"),
    "sd": ("sun", ONC, None, "华东的草稿", "刘晓寒", "2023-09-10T00:00:00"),
}
for n in range(1, 13):   # a dozen more of wang's, for paging
    BACKUPS[f"p{n:02d}"] = ("wang", BIO, f"BF20250101{n:05d}", f"批量备份 {n:02d}", "周建华",
                            (_day("2025-01-01T00:00:00") + timedelta(days=n)).isoformat()[:19])
TOTAL_MB = {"z1": 100_050, "l1": 500, "w1": 300}
# filing number: (declared MB, cited backups, filed at)
FILINGS = {
    "BA2023000001": (1_000, ["z1", "l1"], "2023-10-01T00:00:00"),    # cites 100 550 MB: exceeds
    "BA2023000002": (10_000, ["w1"], "2023-10-02T00:00:00"),
    "BA2023000003": (1e9, ["z1"], "2023-11-01T00:00:00"),
    "BA2023000009": (10, ["s1"], "2023-10-03T00:00:00"),
}
NGDC_COMPLETED = [k for k, v in BACKUPS.items() if v[2] and ACCOUNTS[v[0]][3] == NGDC]
NGDC_DRAFTS = [k for k, v in BACKUPS.items() if not v[2] and ACCOUNTS[v[0]][3] == NGDC]


def _write_world(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(insert(member_institutions), [
            {"code": NGDC, "name": "国家基因组科学数据中心测试", "name_key": "x", "foreign": False, "version": 1},
            {"code": ECMG, "name": "华东医学遗传研究院测试", "name_key": "y", "foreign": False, "version": 1}])
        c.execute(insert(member_units), [
            {"institution_code": NGDC, "code": BIO, "name": "生物信息研究部"},
            {"institution_code": NGDC, "code": DATA, "name": "数据资源部"},
            {"institution_code": ECMG, "code": ONC, "name": "肿瘤遗传学研究室"}])
        c.execute(insert(members), [
            {"account_id": ident(label), "username": username, "name": name, "name_key": name,
             "mobile_hash": None, "role": role, "institution_code": institution, "unit_code": unit,
             "employed": employed, "authorised": role == "natural_person",
             "authorised_at": AUTHORISED_AT if role == "natural_person" else None, "version": 1}
            for label, (username, name, role, institution, unit, employed) in ACCOUNTS.items()])
        c.execute(insert(known_projects), [
            {"project_id": ident(f"project-{label}-{n}"), "owner_id": ident(label),
             "institution_code": ACCOUNTS[label][3], "name": f"项目 {n}", "applied_event_id": str(uuid.uuid4())}
            for label, count in PROJECTS.items() for n in range(count)])
        c.execute(insert(backups_table), [
            {"id": ident(label), "project_id": ident(f"project-{owner}-0") if owner != "zhao" else None,
             "owner_id": ident(owner), "name": name, "categories": ["wgs", "targeted"],
             "status": "completed" if number else "draft", "backup_number": number,
             "file_count": 2 if label == "z1" else 1, "total_mb": TOTAL_MB.get(label, 100),
             "created_at": _day(created), "submitted_at": _day(created) + timedelta(days=1) if number else None,
             "institution_code": ACCOUNTS[owner][3], "unit_code": unit, "pi_name": pi,
             "pi_email": "data-admin@big.ac.cn", "project_name": "三例样本（父母子）的测序数据开放共享备案",
             "version": 3, "origin": "legacy" if label == "h1" else "new"}
            for label, (owner, unit, number, name, pi, created) in BACKUPS.items()])
        moment = _day("2023-06-28T03:00:00")
        c.execute(insert(data_files), [
            {"id": ident("z1-f1"), "backup_id": ident("z1"), "position": 1, "detailed_type": "raw_sequencing",
             "repository": "GSA-Human", "cases": 50, "mb_per_case": 2000.0,
             "submission_account": "data-admin@big.ac.cn", "accession": "HRA000567",
             "progress": "complete", "created_at": moment, "updated_at": moment},
            {"id": ident("z1-f2"), "backup_id": ident("z1"), "position": 2,
             "detailed_type": "analysis_statistics", "repository": "OMIX", "cases": 10, "mb_per_case": 5.0,
             "submission_account": "zhangxx@big.ac.cn", "accession": "OMIX001226",
             "progress": "complete", "created_at": moment, "updated_at": moment}])
        c.execute(insert(filings), [
            {"filing_number": number, "backup_id": ident(label), "declared_mb": declared,
             "recipient": "Pacific Genomics Ltd (US)", "filed_at": _day(filed)}
            for number, (declared, cited, filed) in FILINGS.items() for label in cited])
    engine.dispose()


@pytest.fixture(scope="module")
def world_url(make_database):
    url = make_database("backups")
    _write_world(url)
    return url


class Views:
    def __init__(self, rpc_proxy):
        self._rpc_proxy = rpc_proxy

    def __call__(self, method, actor_label, *args):
        """``views("institution_backups", "legal", query)``; the actor by its label (or an id)."""
        actor = ident(actor_label) if actor_label in ACCOUNTS else actor_label
        with self._rpc_proxy() as cluster:
            return getattr(cluster.backups, method)(actor, *args)

    def labels(self, actor_label, query=None) -> list[str]:
        page = self("institution_backups", actor_label, query or {})
        by_id = {ident(label): label for label in BACKUPS}
        return [by_id[item["id"]] for item in page["items"]]


@pytest.fixture
def views(world_url, start_service, service_config, rpc_proxy):
    """A BackupsService on the shared world (read only), asked over RabbitMQ."""
    from hgrip_backups.entrypoints.service import BackupsService
    start_service(BackupsService, service_config("backups", world_url))
    return Views(rpc_proxy)


def _sorted_newest_first(labels):
    return sorted(labels, key=lambda label: (BACKUPS[label][5], ident(label)), reverse=True)


# --- who sees what --------------------------------------------------------------------------------
def test_a_legal_person_sees_every_unit_and_a_unit_admin_only_its_own(views):
    legal = views("institution_backups", "legal", {})
    assert legal["total"] == len(NGDC_COMPLETED) == 18
    assert {item["unit"]["code"] for item in legal["items"]} == {BIO, DATA}
    assert views.labels("legal", {"page_size": 100}) == _sorted_newest_first(NGDC_COMPLETED)

    bio = views.labels("bio_admin", {"page_size": 100})
    assert bio == _sorted_newest_first([k for k in NGDC_COMPLETED if BACKUPS[k][1] == BIO])
    data = views.labels("data_admin", {"page_size": 100})
    assert data == _sorted_newest_first(["l1", "l2", "h1"])
    # A unit admin naming another unit gets an empty list, not an error.
    assert views("institution_backups", "bio_admin", {"unit": DATA}) == {
        "items": [], "total": 0, "page": 1, "page_size": 20}
    assert views.labels("legal", {"unit": DATA}) == data


def test_another_institution_sees_none_of_them_and_gets_404_for_their_detail(views):
    assert views.labels("ecmg", {"page_size": 100}) == ["s1"]
    assert views.labels("ecmg", {"pi": "刘晓寒"}) == ["s1"]                     # same PI name elsewhere
    with pytest.raises(NotFound) as foreign:
        views("institution_backup", "ecmg", ident("z1"))
    with pytest.raises(NotFound) as missing:
        views("institution_backup", "ecmg", str(uuid.uuid4()))
    with pytest.raises(NotFound) as garbage:
        views("institution_backup", "ecmg", "not-a-uuid")
    # Someone else's backup is answered exactly like one that does not exist.
    assert [(e.value.code, e.value.message, e.value.message_zh, e.value.details)
            for e in (foreign, missing, garbage)] == [
        ("backup_not_found", "Backup not found.", "备份不存在。", {})] * 3
    # Within NGDC, a unit admin cannot open the other unit's backup either.
    with pytest.raises(NotFound):
        views("institution_backup", "data_admin", ident("z1"))
    for actor in ("ecmg", "data_admin"):    # nor its history, answered the same way
        with pytest.raises(NotFound) as hidden:
            views("institution_backup_history", actor, ident("z1"))
        assert hidden.value.code == "backup_not_found"
    assert views("institution_backup", "bio_admin", ident("z1"))["id"] == ident("z1")
    # Nor does another institution's member or delegate list show NGDC's people.
    assert {m["username"] for m in views("institution_members", "ecmg", {})["items"]} == {
        "ecmg-legal", "sunlijuan"}


def test_natural_persons_operators_and_former_admins_are_refused(views):
    for actor in ("zhang", "operator", "left_admin"):
        for method, argument in (("institution_backups", {}), ("institution_backup", ident("z1")),
                                 ("institution_backup_history", ident("z1")),
                                 ("institution_members", {}), ("institution_delegates", {})):
            with pytest.raises(Forbidden) as refused:
                views(method, actor, argument)
            assert (refused.value.code, refused.value.message_zh) == (
                "institution_admins_only", "仅法人或单位管理员可以进行此操作。"), (actor, method)


# --- the list: tabs, filters, paging, sorting ---------------------------------------------------------
def test_the_incomplete_tab_lists_drafts(views):
    page = views("institution_backups", "legal", {"status": "incomplete", "page_size": 100})
    assert [item["id"] for item in page["items"]] == [
        ident(label) for label in _sorted_newest_first(NGDC_DRAFTS)]
    assert {(item["status"], item["backup_number"], item["submitted_at"]) for item in page["items"]} == {
        ("draft", None, None)}
    assert views.labels("bio_admin", {"status": "incomplete"}) == ["wd", "z3", "z2"]


def test_a_list_item_carries_what_the_manual_shows(views):
    [item] = views("institution_backups", "legal", {"backup_number": "BF2023062816036"})["items"]
    assert item == {
        "id": ident("z1"), "backup_number": "BF2023062816036",
        "name": "三例样本（父母子）的测序数据开放共享备份",
        "filing_numbers": ["BA2023000001", "BA2023000003"], "filing_warning": True,
        "pi_name": "刘晓寒",
        "delegate": {"account_id": ident("zhang"), "username": "zhangxiaohan", "name": "张晓寒"},
        "unit": {"code": BIO, "name": "生物信息研究部"},
        "created_at": "2023-06-28T02:30:00+00:00", "submitted_at": "2023-06-29T02:30:00+00:00",
        "status": "completed", "file_count": 2, "total_mb": 100_050, "origin": "new"}
    [w1] = views("institution_backups", "legal", {"filing_number": "BA2023000002"})["items"]
    assert (w1["filing_numbers"], w1["filing_warning"]) == (["BA2023000002"], False)
    [h1] = views("institution_backups", "data_admin", {"name": "离职"})["items"]
    assert (h1["origin"], h1["filing_numbers"], h1["filing_warning"]) == ("legacy", [], False)


@pytest.mark.parametrize("query,expected", [
    ({"name": "wgs trio"}, ["w1"]),                                   # case-insensitive substring
    ({"name": "测序"}, ["l1", "l2", "z1"]),
    ({"name": "100%_"}, ["w2"]),                                      # LIKE wildcards taken literally
    ({"name": "%"}, ["w2"]),
    ({"name": "_"}, ["w2"]),
    ({"name": "  三例样本  "}, ["z1"]),                                # trimmed
    ({"name": "样"}, ["w2", "z1"]),                                   # one character
    ({"pi": "晓"}, ["w1", "w2", "l1", "z1"]),
    ({"pi": "刘晓寒"}, ["l1", "z1"]),
    ({"delegate": "雨晴"}, None),                                      # name substring: all of wang's
    ({"delegate": "liuhaoran"}, ["l1", "l2"]),                        # exact username
    ({"delegate": "liuhao"}, []),                                     # a username must be exact
    ({"backup_number": "bf2023"}, ["l1", "l2", "w1", "z1"]),          # prefix, case-insensitive
    ({"backup_number": "BF20230808"}, ["l1", "l2"]),
    ({"backup_number": "BF2029"}, []),
    ({"backup_number": "2023"}, []),                                  # a prefix, not a substring
    ({"filing_number": "BA2023000001"}, ["l1", "z1"]),
    ({"filing_number": "BA20230000"}, []),                            # exact
    ({"filing_number": "BA2023000009"}, []),                          # another institution's filing
    ({"unit": BIO, "pi": "陈晓明"}, ["w1", "w2"]),                     # filters combine
    ({"unit": "NOPE"}, []),
    ({"name": "", "pi": "   ", "delegate": None}, None),              # blank filters are no filters
])
def test_each_filter(views, query, expected):
    """``expected``: the labels found (the list shows them newest first); None: every one of
    wang's when filtering by delegate, else every completed one."""
    if expected is None:
        expected = ([k for k in NGDC_COMPLETED if BACKUPS[k][0] == "wang"]
                    if query.get("delegate") else NGDC_COMPLETED)
    expected = _sorted_newest_first(expected)
    page = views("institution_backups", "legal", {**query, "page_size": 100})
    assert [item["id"] for item in page["items"]] == [ident(label) for label in expected]
    assert page["total"] == len(expected)


@pytest.mark.parametrize("text,has_case", [
    ("测序", False), ("2023 0628", False), ("BF2023", True), ("100%_", False), ("（父母子）", False),
    ("wgs", True), ("WGS", True), ("三例Trio", True), ("ｗｇｓ", True), ("ß", True), ("ⅰ", True),
])
def test_only_a_text_with_a_letter_that_has_a_case_is_matched_by_ilike(text, has_case):
    """The others are matched by LIKE: a character without case is equal only to itself."""
    assert institution_queries._has_case(text) is has_case


def test_paging_keeps_the_total_and_pages_are_disjoint(views):
    seen = []
    for page_number in (1, 2, 3, 4):
        page = views("institution_backups", "legal", {"page": page_number, "page_size": 5})
        assert (page["total"], page["page"], page["page_size"]) == (18, page_number, 5)
        seen.append([item["id"] for item in page["items"]])
    assert [len(ids) for ids in seen] == [5, 5, 5, 3]
    flat = [i for ids in seen for i in ids]
    assert len(set(flat)) == 18 and flat == [ident(k) for k in _sorted_newest_first(NGDC_COMPLETED)]
    beyond = views("institution_backups", "legal", {"page": 9, "page_size": 5})
    assert (beyond["items"], beyond["total"]) == ([], 18)
    # Query strings send numbers as text.
    assert views("institution_backups", "legal", {"page": "2", "page_size": "5"})["items"][0]["id"] == seen[1][0]


@pytest.mark.parametrize("sort,key,reverse", [
    ("created_at", lambda k: (BACKUPS[k][5], ident(k)), False),
    ("-created_at", lambda k: (BACKUPS[k][5], ident(k)), True),
    ("backup_number", lambda k: (BACKUPS[k][2], ident(k)), False),
    ("-backup_number", lambda k: (BACKUPS[k][2], ident(k)), True),
    ("name", lambda k: (BACKUPS[k][3], ident(k)), False),
    ("-name", lambda k: (BACKUPS[k][3], ident(k)), True),
])
def test_sorting_with_ties_broken_by_id(views, sort, key, reverse):
    labels = views.labels("legal", {"sort": sort, "page_size": 100})
    assert labels == sorted(NGDC_COMPLETED, key=key, reverse=reverse)
    if "created_at" in sort:     # l1 and l2 were created at the same instant
        tied = [label for label in labels if label in ("l1", "l2")]
        assert tied == sorted(["l1", "l2"], key=ident, reverse=reverse)


@pytest.mark.parametrize("status", ["completed", "incomplete"])
@pytest.mark.parametrize("sort", institution_schemas.SORTS)
def test_pages_past_the_first_follow_the_first_pages_order(views, sort, status):
    """A page past the first reads its ids alone, then their rows: pages of 3 (ties, and the
    drafts' missing numbers, broken by id) put together are the one page of every backup."""
    query = {"sort": sort, "status": status}
    whole = views.labels("legal", {**query, "page_size": 100})
    paged = [label for page in range(1, len(whole) // 3 + 2)
             for label in views.labels("legal", {**query, "page": page, "page_size": 3})]
    assert len(whole) > 3 and paged == whole


def _exported(views, actor, query, limit):
    ids, after = [], None
    while True:
        batch = views("institution_backups_export", actor, query, after, limit)
        ids += [item["id"] for item in batch["items"]]
        assert len(batch["items"]) <= limit
        if batch["next"] is None:
            return ids
        after = batch["next"]


@pytest.mark.parametrize("sort", institution_schemas.SORTS)
@pytest.mark.parametrize("status", ["completed", "incomplete"])
def test_the_export_batches_are_the_whole_list_in_its_order(views, sort, status):
    """Keyset batches (ties by id, drafts' NULL numbers) give exactly the list's rows, in its order."""
    for actor, query in (("legal", {}), ("bio_admin", {}), ("legal", {"pi": "刘晓寒"})):
        query = {**query, "status": status, "sort": sort}
        listed = [item["id"] for item in views("institution_backups", actor, {**query, "page_size": 100})["items"]]
        assert _exported(views, actor, query, 2) == listed, (actor, query)
        assert _exported(views, actor, query, 5000) == listed
    with pytest.raises(Forbidden):
        views("institution_backups_export", "zhang", {}, None, 10)


def test_an_operator_finds_any_backup_by_number_and_nobody_else_may(views):
    found = views("operator_backup", "operator", "bf2023090900001")       # another institution's
    assert found["backup"]["id"] == ident("s1") and found["owner"]["username"] == "sunlijuan"
    assert found["owner"]["unit"] == {"code": ONC, "name": "肿瘤遗传学研究室"}
    with pytest.raises(NotFound):
        views("operator_backup", "operator", "BF2099010100001")
    for actor in ("legal", "zhang", "bio_admin"):
        with pytest.raises(Forbidden) as refused:
            views("operator_backup", actor, "BF2023090900001")
        assert refused.value.code == "operators_only"


def test_a_bad_query_is_refused_with_every_field_in_both_languages(views):
    with pytest.raises(InvalidInput) as refused:
        views("institution_backups", "legal", {"status": "done", "page": 0, "page_size": 101,
                                               "sort": "size", "colour": "red", "name": "x" * 201,
                                               "unit": 7})
    error = refused.value
    assert (error.code, error.message, error.message_zh) == (
        "invalid_input", "The request contains invalid fields.", "请求中有字段不符合要求。")
    assert set(error.details) == {"status", "page", "page_size", "sort", "colour", "name", "unit"}
    assert error.details["page_size"] == [{"message": "Must be a whole number from 1 to 100.",
                                           "message_zh": "必须是 1 到 100 之间的整数。"}]
    assert error.details["colour"] == [{"message": "Unknown field.", "message_zh": "不支持此查询参数。"}]
    for messages in error.details.values():
        for message in messages:
            assert message["message"] and message["message_zh"] != "该参数不符合要求。", message
    for query, field in (({"page": True}, "page"), ({"page": 1.5}, "page"), ({"page": "2x"}, "page"),
                         ({"role": "operator"}, "role")):
        method = "institution_members" if field == "role" else "institution_backups"
        with pytest.raises(InvalidInput) as refused:
            views(method, "legal", query)
        assert set(refused.value.details) == {field}
    with pytest.raises(InvalidInput) as refused:
        views("institution_delegates", "legal", {"employed": "perhaps"})
    assert refused.value.details == {"employed": [{"message": "Not a valid boolean.",
                                                   "message_zh": "必须是 true 或 false。"}]}


# --- the detail -------------------------------------------------------------------------------------
def test_the_detail_is_the_manuals_backup_detail(views):
    detail = views("institution_backup", "legal", ident("z1").upper())
    files = detail.pop("files")
    filing_rows = detail.pop("filings")
    warnings = detail.pop("warnings")
    assert detail == {
        "id": ident("z1"), "project": {"id": ident("project-zhang-0"),
                                       "name": "三例样本（父母子）的测序数据开放共享备案"},
        "backup_number": "BF2023062816036", "name": "三例样本（父母子）的测序数据开放共享备份",
        "file_count": 2, "total_mb": 100_050, "status": "completed",
        "filing_numbers": ["BA2023000001", "BA2023000003"],
        "pi_name": "刘晓寒", "pi_email": "data-admin@big.ac.cn",
        "delegate": {"account_id": ident("zhang"), "username": "zhangxiaohan", "name": "张晓寒",
                     "authorised_at": "2023-06-27T03:26:27+00:00"},
        "institution": {"code": NGDC, "name": "国家基因组科学数据中心测试"},
        "unit": {"code": BIO, "name": "生物信息研究部"},
        "categories": ["wgs", "targeted"], "origin": "new",
        "created_at": "2023-06-28T02:30:00+00:00", "submitted_at": "2023-06-29T02:30:00+00:00"}
    assert [(f["detailed_type"], f["cases"], f["mb_per_case"], f["accession"]) for f in files] == [
        ("raw_sequencing", 50, 2000, "HRA000567"), ("analysis_statistics", 10, 5, "OMIX001226")]
    assert [(f["filing_number"], f["declared_mb"], f["cited_total_mb"], f["exceeds_declared"])
            for f in filing_rows] == [("BA2023000001", 1000, 100_550, True),
                                      ("BA2023000003", 1_000_000_000, 100_050, False)]
    assert warnings == [{
        "code": "filing_exceeds_declared", "filing_number": "BA2023000001",
        "message": "Filing BA2023000001 declares 1000 MB, but the backups it cites hold 100550 MB: "
                   "the filing must be changed in HGRG.",
        "message_zh": "备案号 BA2023000001 申报的数据量为 1000 MB，但其引用的备份合计 100550 MB，"
                      "已超出申报量，请在人遗系统中办理变更。"}]
    legacy = views("institution_backup", "data_admin", ident("h1"))
    assert (legacy["project"]["id"], legacy["origin"], legacy["files"], legacy["warnings"]) == (
        None, "legacy", [], [])


# --- members and delegates ---------------------------------------------------------------------------
def _member_order(labels):
    return sorted(labels, key=lambda label: (ACCOUNTS[label][4] or "", ACCOUNTS[label][1], ident(label)))


def test_the_member_list_is_every_account_in_scope_but_operators(views):
    page = views("institution_members", "legal", {"page_size": 100})
    by_id = {ident(label): label for label in ACCOUNTS}
    expected = _member_order([k for k, v in ACCOUNTS.items() if v[3] == NGDC and v[2] != "operator"])
    assert [by_id[item["account_id"]] for item in page["items"]] == expected
    assert page["total"] == len(expected) == 8
    assert page["items"][0] == {
        "account_id": ident("legal"), "username": "ngdc-legal", "name": "国家基因组科学数据中心测试",
        "role": "legal_person", "institution": {"code": NGDC, "name": "国家基因组科学数据中心测试"},
        "unit": None, "employed": True}
    zhao = next(item for item in page["items"] if item["username"] == "zhaominghui")
    assert (zhao["unit"], zhao["employed"]) == ({"code": DATA, "name": "数据资源部"}, False)

    bio = views("institution_members", "bio_admin", {})
    assert [by_id[i["account_id"]] for i in bio["items"]] == _member_order(
        ["bio_admin", "left_admin", "zhang", "wang"])
    assert views("institution_members", "bio_admin", {"unit": DATA})["total"] == 0
    admins = views("institution_members", "legal", {"role": "unit_admin"})["items"]
    assert [by_id[i["account_id"]] for i in admins] == _member_order(["bio_admin", "left_admin", "data_admin"])
    assert [i["username"] for i in views("institution_members", "legal", {"name": "晓"})["items"]] == [
        "zhangxiaohan"]
    two = views("institution_members", "legal", {"page": 2, "page_size": 3})
    assert (two["total"], [by_id[i["account_id"]] for i in two["items"]]) == (8, expected[3:6])


def test_the_delegate_list_counts_projects_and_backups_in_scope(views):
    page = views("institution_delegates", "legal", {})
    rows = {item["username"]: item for item in page["items"]}
    assert page["total"] == 4 and list(rows) == ["zhangxiaohan", "wangyuqing", "liuhaoran", "zhaominghui"]
    # The manual's row: 张晓寒 | 国家基因组科学数据中心测试 | 自然人 | 1 | 已完成: 1; 未完成: 2; | 在职
    assert rows["zhangxiaohan"] == {
        "account_id": ident("zhang"), "username": "zhangxiaohan", "name": "张晓寒", "role": "natural_person",
        "institution": {"code": NGDC, "name": "国家基因组科学数据中心测试"},
        "unit": {"code": BIO, "name": "生物信息研究部"}, "employed": True,
        "project_count": 1, "backups_completed": 1, "backups_incomplete": 2}
    assert [(r["project_count"], r["backups_completed"], r["backups_incomplete"], r["employed"])
            for r in rows.values()] == [(1, 1, 2, True), (2, 14, 1, True), (1, 2, 1, True), (0, 1, 0, False)]
    left = views("institution_delegates", "legal", {"employed": False})
    assert [i["username"] for i in left["items"]] == ["zhaominghui"]
    assert [i["username"] for i in views("institution_delegates", "legal", {"employed": "true"})["items"]] \
        == ["zhangxiaohan", "wangyuqing", "liuhaoran"]
    assert [i["username"] for i in views("institution_delegates", "data_admin", {})["items"]] == [
        "liuhaoran", "zhaominghui"]
    assert [i["username"] for i in views("institution_delegates", "legal", {"name": "浩", "unit": DATA})[
        "items"]] == ["liuhaoran"]
    assert views("institution_delegates", "ecmg", {})["items"][0]["backups_completed"] == 1


# --- the query schemas and the model -------------------------------------------------------------
def test_query_defaults_and_blank_filters():
    assert institution_schemas.load_backup_query(None) == {
        "status": "completed", "page": 1, "page_size": 20, "sort": "-created_at"}
    assert institution_schemas.load_backup_query({"name": " 测序 ", "pi": "", "page": " 3 "}) == {
        "status": "completed", "page": 3, "page_size": 20, "sort": "-created_at", "name": "测序"}
    assert institution_schemas.load_delegate_query({"employed": "false"})["employed"] is False
    with pytest.raises(InvalidInput) as refused:
        institution_schemas.load_member_query(["name"])
    assert set(refused.value.details) == {"_schema"}


def test_migration_0006_matches_the_model(world_url):
    engine = create_engine(world_url)
    try:
        with engine.connect() as connection:
            found = {index["name"] for table in ("backups", "members")
                     for index in inspect(connection).get_indexes(table)}
    finally:
        engine.dispose()
    assert {index.name for index in tables.INDEXES} <= found


# --- the manual's example through the real services -----------------------------------------------
def test_the_manual_example_through_identity_projects_and_backups(make_lifecycle, files, wait_until):
    """A researcher backs up through the RPCs; the legal person sees the manual's list row, detail
    (with the authorisation time and a filing warning) and delegate row; the other unit's
    administrator sees nothing of it."""
    from hgrip_backups.adapters import members as members_model

    lifecycle = make_lifecycle()
    with lifecycle.rpc() as cluster:
        cluster.identity.upsert_institution({
            "code": "NGDC", "name": "国家基因组科学数据中心测试", "foreign": False,
            "units": [{"code": "U1", "name": "生物信息研究部"}, {"code": "U2", "name": "数据资源部"}]})
    legal = lifecycle.provision(name="国家基因组科学数据中心测试", role="legal_person", unit=None,
                                authorised=False, authorised_at=None)
    other_admin = lifecycle.provision(name="陈静怡", role="unit_admin", unit="U2", authorised=False,
                                      authorised_at=None)
    owner = lifecycle.provision(name="张晓寒")     # U1, authorised 2023-06-27 11:26:27 (Beijing)
    project = lifecycle.project(owner)
    with lifecycle.rpc() as cluster:
        backup = cluster.backups.create_backup(owner, project["id"], {
            "name": "三例样本（父母子）的测序数据开放共享备份", "categories": ["wgs"]})
        cluster.backups.add_file(owner, backup["id"], files.hra())
        number = cluster.backups.submit(owner, backup["id"])["backup_number"]
        for name in ("草稿一", "草稿二"):
            cluster.backups.create_backup(owner, project["id"], {"name": name, "categories": ["wgs"]})
        cluster.backups.link_filing({"filing_number": "BA202601150001", "backup_numbers": [number],
                                     "declared_mb": 10, "recipient": "Pacific Genomics Ltd (US)",
                                     "filed_at": "2026-01-15T10:00:00+08:00"})

    def projected():   # identity's and projects' events have reached backups' read models
        with lifecycle.engine.connect() as connection:
            member = members_model.get_member(connection, owner)
            return (member is not None and member["unit_name"] == "生物信息研究部"
                    and members_model.unit_name(connection, "NGDC", "U2") == "数据资源部"
                    and connection.execute(known_projects.select()).first() is not None)

    wait_until(projected, message="members, units and the project in backups' read models")
    with lifecycle.rpc() as cluster:
        listed = cluster.backups.institution_backups(legal, {})
        drafts = cluster.backups.institution_backups(legal, {"status": "incomplete"})
        detail = cluster.backups.institution_backup(legal, backup["id"])
        delegates = cluster.backups.institution_delegates(legal, {})
        other_list = cluster.backups.institution_backups(other_admin, {})
        with pytest.raises(NotFound):
            cluster.backups.institution_backup(other_admin, backup["id"])
        history = cluster.backups.institution_backup_history(legal, backup["id"])
        owners_history = cluster.backups.history(owner, backup["id"])
        with pytest.raises(NotFound):
            cluster.backups.institution_backup_history(other_admin, backup["id"])
        with pytest.raises(Forbidden):
            cluster.backups.institution_backups(owner, {})

    [row] = listed["items"]
    assert (row["backup_number"], row["name"], row["filing_numbers"], row["pi_name"],
            row["delegate"]["name"], row["created_at"][:4]) == (
        number, "三例样本（父母子）的测序数据开放共享备份", ["BA202601150001"], "刘晓寒", "张晓寒",
        backup["created_at"][:4])
    assert row["filing_warning"] is True and drafts["total"] == 2
    assert (detail["project"], detail["file_count"], detail["total_mb"], detail["status"]) == (
        {"id": project["id"], "name": project["name"]}, 1, 100_000, "completed")
    assert detail["delegate"]["authorised_at"] == "2023-06-27T03:26:27+00:00"
    assert (detail["institution"], detail["unit"]) == (
        {"code": "NGDC", "name": "国家基因组科学数据中心测试"}, {"code": "U1", "name": "生物信息研究部"})
    assert [f["accession"] for f in detail["files"]] == ["HRA000567"]
    assert [w["filing_number"] for w in detail["warnings"]] == ["BA202601150001"]
    [delegate] = delegates["items"]
    assert (delegate["name"], delegate["institution"]["name"], delegate["role"], delegate["project_count"],
            delegate["backups_completed"], delegate["backups_incomplete"], delegate["employed"]) == (
        "张晓寒", "国家基因组科学数据中心测试", "natural_person", 1, 1, 2, True)
    assert other_list == {"items": [], "total": 0, "page": 1, "page_size": 20}
    # 备份详细信息's history: the delegate's own timeline, entry for entry.
    assert history == owners_history
    assert [entry["event_type"] for entry in history] == [
        "BackupCreated", "DataFileAdded", "BackupSubmitted", "FilingLinked"]
    assert history[0]["actor_name"] == "张晓寒"


def test_the_same_queries_on_sqlite(sqlite_url):
    """``make run`` keeps backups in SQLite by default: same answers, without the bigram indexes."""
    from hgrip_backups.domain.scope import Authority
    from hgrip_kernel.cli.migrate import upgrade
    from hgrip_kernel.store import create_engine as kernel_engine

    upgrade("backups", sqlite_url)
    _write_world(sqlite_url)
    legal = Authority(ident("legal"), "legal_person", NGDC, None)
    bio = Authority(ident("bio_admin"), "unit_admin", NGDC, BIO)
    engine = kernel_engine(sqlite_url)
    load = institution_schemas.load_backup_query
    try:
        with engine.connect() as connection:
            def labels(authority, query):
                page = institution_queries.backup_page(connection, authority, load(query))
                by_id = {ident(label): label for label in BACKUPS}
                return [by_id[item["id"]] for item in page["items"]]

            assert labels(legal, {"page_size": 100}) == _sorted_newest_first(NGDC_COMPLETED)
            assert labels(legal, {"name": "wgs TRIO"}) == ["w1"]
            assert labels(legal, {"name": "100%_"}) == ["w2"]
            assert labels(legal, {"pi": "刘晓寒"}) == _sorted_newest_first(["l1", "z1"])
            assert labels(legal, {"delegate": "雨晴", "sort": "name", "page_size": 2}) == sorted(
                ["w1", "w2"] + [f"p{n:02d}" for n in range(1, 13)], key=lambda k: BACKUPS[k][3])[:2]
            assert labels(legal, {"backup_number": "bf20230808"}) == _sorted_newest_first(["l1", "l2"])
            assert labels(legal, {"filing_number": "BA2023000001"}) == _sorted_newest_first(["l1", "z1"])
            assert labels(bio, {"status": "incomplete"}) == ["wd", "z3", "z2"]
            for sort in institution_schemas.SORTS:      # the export's keyset on SQLite too
                ids, after = [], None
                while True:
                    values, _, _ = institution_schemas.load_backup_export({"sort": sort}, after, 3)
                    batch = institution_queries.backup_batch(connection, legal, values, after, 3)
                    ids += [item["id"] for item in batch["items"]]
                    if (after := batch["next"]) is None:
                        break
                page = institution_queries.backup_page(connection, legal, load({"sort": sort, "page_size": 100}))
                assert ids == [item["id"] for item in page["items"]], sort
            detail = institution_queries.backup_detail(connection, legal, ident("z1"))
            assert (detail["delegate"]["authorised_at"], len(detail["files"]), len(detail["warnings"])) == (
                "2023-06-27T03:26:27+00:00", 2, 1)
            members_page = institution_queries.member_page(
                connection, legal, institution_schemas.load_member_query({}))
            assert members_page["items"][0]["username"] == "ngdc-legal" and members_page["total"] == 8
            delegates = institution_queries.delegate_page(
                connection, legal, institution_schemas.load_delegate_query({}))
            assert [(d["username"], d["backups_completed"], d["backups_incomplete"])
                    for d in delegates["items"]][0] == ("zhangxiaohan", 1, 2)
    finally:
        engine.dispose()
