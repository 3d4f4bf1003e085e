"""Delegation transfer (委托调整) through the real identity, projects and backups services."""
import pytest
from sqlalchemy import select

from hgrip_backups.adapters.tables import members
from hgrip_kernel.contracts import registry
from hgrip_kernel.errors import DomainError

UNITS = {"code": "NGDC", "name": "国家基因组科学数据中心", "foreign": False,
         "units": [{"code": "U1", "name": "数据库部"}, {"code": "U2", "name": "生物信息部"}]}
OTHER = {"code": "ECMG", "name": "华东医学基因组中心", "foreign": False,
         "units": [{"code": "E1", "name": "测序平台"}]}


@pytest.fixture
def institution(lifecycle, wait_until):
    """NGDC with two units, another institution, and members of each role; waits until the
    backups service has learnt them all from identity's events."""
    with lifecycle.rpc() as cluster:
        cluster.identity.upsert_institution(UNITS)
        cluster.identity.upsert_institution(OTHER)
    people = {
        "zhang": dict(name="张晓寒", unit="U1"),
        "wang": dict(name="王雨晴", unit="U1"),
        "li": dict(name="李明", unit="U2"),
        "left": dict(name="赵离职", unit="U1", employed=False),
        "legal": dict(name="朱法人", role="legal_person", unit=None),
        "u1admin": dict(name="孙管理", role="unit_admin", unit="U1"),
        "u2admin": dict(name="周管理", role="unit_admin", unit="U2"),
        "outsider": dict(name="钱外单位", institution="ECMG", unit="E1"),
        "otherlegal": dict(name="吴外法人", role="legal_person", institution="ECMG", unit=None),
    }
    ids = {key: lifecycle.provision(username=f"{key}-{lifecycle.urls['backups'][-8:]}", **changes)
           for key, changes in people.items()}
    names = {key: f"{key}-{lifecycle.urls['backups'][-8:]}" for key in people}
    wait_until(lambda: len(lifecycle.rows(select(members.c.account_id))) >= len(ids),
               message="members known to backups")
    return ids, names


def _backup(lifecycle, owner, name="三例样本备份"):
    project = lifecycle.project(owner)
    with lifecycle.rpc() as cluster:
        backup = cluster.backups.create_backup(owner, project["id"], {"name": name, "categories": ["targeted"]})
    return project, backup


def _refusal(lifecycle, actor, payload) -> DomainError:
    with lifecycle.rpc() as cluster, pytest.raises(DomainError) as caught:
        cluster.backups.transfer_delegation(actor, payload)
    return caught.value


def test_a_legal_person_moves_every_backup_and_project_to_another_member(lifecycle, institution,
                                                                          wait_until):
    ids, names = institution
    project, first = _backup(lifecycle, ids["zhang"], "第一份")
    _, second = _backup(lifecycle, ids["zhang"], "第二份")
    with lifecycle.rpc() as cluster:
        answer = cluster.backups.transfer_delegation(
            ids["legal"], {"from_account": names["zhang"], "to_account": names["li"]})
        assert {b["id"] for b in answer["backups"]} == {first["id"], second["id"]}
        assert answer["to_account"] == {"username": names["li"], "name": "李明"}
        assert len(answer["project_ids"]) == 2
        # The new delegate can use them at once; the old one no longer.
        assert cluster.backups.get_backup(ids["li"], first["id"])["name"] == "第一份"
        with pytest.raises(DomainError) as old:
            cluster.backups.get_backup(ids["zhang"], first["id"])
        assert old.value.code == "backup_not_found"
        # Verification's notices ask who owns it now (no actor: a peer's call).
        assert cluster.backups.get_backup_facts(first["id"]) == {
            "backup_id": first["id"], "owner_id": ids["li"], "backup_number": None, "name": "第一份"}
        assert cluster.backups.get_backup_facts("00000000-0000-4000-8000-000000000000") is None
        assert cluster.projects.get_project(ids["li"], project["id"])["id"] == project["id"]
        assert [b["id"] for b in cluster.backups.list_backups(ids["li"], project["id"])] == [first["id"]]
        # ... and may go on working in the project they received.
        cluster.backups.create_backup(ids["li"], project["id"], {"name": "新的", "categories": ["wgs"]})
        # The history says who moved it, and to whom.
        timeline = cluster.backups.history(ids["li"], first["id"])
    moved = timeline[-1]
    assert moved["event_type"] == "BackupDelegated"
    assert moved["actor_name"] == "朱法人" and names["li"] in moved["summary_zh"]
    # The unit follows the new delegate (U2), so U2's administrator now sees it.
    row = lifecycle.rows(select(lifecycle_backups().c.unit_code)
                         .where(lifecycle_backups().c.id == first["id"]))[0]
    assert row.unit_code == "U2"
    events = lifecycle.events(event_type="BackupDelegated")
    assert len(events) == 2
    for event in events:
        registry.validate("backups", "BackupDelegated", 1, event.data)
        assert event.data["delegated_by"] == ids["legal"] and event.data["sequence"] == event.stream_version
    [transfer] = lifecycle.events(event_type="DelegationTransferred")
    assert transfer.data["to_owner_id"] == ids["li"]


def lifecycle_backups():
    from hgrip_backups.adapters.tables import backups
    return backups


def test_a_unit_admin_acts_within_their_unit_only(lifecycle, institution):
    ids, names = institution
    _backup(lifecycle, ids["li"])      # li is in U2
    refused = _refusal(lifecycle, ids["u1admin"], {"from_account": names["li"], "to_account": names["wang"]})
    assert refused.code == "member_not_found" and refused.details["field"] == "from_account"
    refused = _refusal(lifecycle, ids["u1admin"], {"from_account": names["zhang"], "to_account": names["li"]})
    assert refused.code == "member_not_found" and refused.details["field"] == "to_account"
    assert "不是本单位" in refused.message_zh
    _, mine = _backup(lifecycle, ids["zhang"])
    with lifecycle.rpc() as cluster:
        done = cluster.backups.transfer_delegation(ids["u1admin"], {"from_account": names["zhang"],
                                                                    "to_account": names["wang"]})
        assert [b["id"] for b in done["backups"]] == [mine["id"]]
        assert cluster.backups.get_backup(ids["wang"], mine["id"])["id"] == mine["id"]


@pytest.mark.parametrize("to_key, code", [
    ("outsider", "member_not_found"),            # another institution: not a member
    ("left", "delegate_not_employed"),           # has left
    ("legal", "delegate_not_natural_person"),
    ("zhang", "delegation_to_same_person"),
])
def test_refusals_change_nothing(lifecycle, institution, to_key, code):
    ids, names = institution
    _, backup = _backup(lifecycle, ids["zhang"])
    refused = _refusal(lifecycle, ids["legal"], {"from_account": names["zhang"], "to_account": names[to_key]})
    assert refused.code == code and refused.message_zh and refused.message
    with lifecycle.rpc() as cluster:
        assert cluster.backups.get_backup(ids["zhang"], backup["id"])["id"] == backup["id"]
    assert lifecycle.events(event_type="BackupDelegated") == []


def test_only_administrators_of_the_same_institution_may_transfer(lifecycle, institution):
    ids, names = institution
    _backup(lifecycle, ids["zhang"])
    for actor in ("zhang", "wang"):
        assert _refusal(lifecycle, ids[actor], {"from_account": names["zhang"],
                                                "to_account": names["wang"]}).code == "institution_admins_only"
    refused = _refusal(lifecycle, ids["otherlegal"], {"from_account": names["zhang"], "to_account": names["wang"]})
    assert refused.code == "member_not_found"
    bad = _refusal(lifecycle, ids["legal"], {"from_account": names["zhang"]})
    assert bad.code == "invalid_input" and "to_account" in bad.details


def test_a_project_name_the_new_delegate_already_uses_blocks_the_transfer(lifecycle, institution,
                                                                           wait_until):
    from hgrip_backups.adapters.tables import known_projects
    ids, names = institution
    lifecycle.project(ids["zhang"], name="同名项目")
    lifecycle.project(ids["wang"], name="同名项目")
    wait_until(lambda: lifecycle.count(known_projects) == 2, message="projects known to backups")
    refused = _refusal(lifecycle, ids["legal"], {"from_account": names["zhang"], "to_account": names["wang"]})
    assert refused.code == "delegate_has_project_named" and refused.details["names"] == ["同名项目"]
