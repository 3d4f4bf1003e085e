"""The operator's console in backups: any backup by its number, for operators only."""
import pytest

from hgrip_backups.app import operator_views
from hgrip_kernel.errors import Forbidden, NotFound


def test_an_operator_finds_a_legacy_backup_by_its_number_with_owner_and_history(app):
    app.institution_known()
    operator = app.member("operator", role="operator", institution=None, unit=None)
    zhang = app.member("zhangxiaohan", name="张晓寒")
    backup = app.import_legacy(number="BF2021031500012")
    app.backups.write_backup(None, backup)
    app.institution.details[backup.backup_id] = {
        "id": backup.backup_id, "backup_number": "BF2021031500012",
        "delegate": {"account_id": zhang, "username": "zhangxiaohan", "name": "张晓寒", "authorised_at": None}}
    found = operator_views.operator_backup(app.ports, operator, " bf2021031500012 ")
    assert found["backup"]["backup_number"] == "BF2021031500012"
    assert found["owner"]["name"] == "张晓寒" and found["owner"]["unit"] == {"code": "U1", "name": "数据库部"}
    assert [entry["event_type"] for entry in found["history"]] == ["LegacyBackupImported"]
    assert app.institution.asked[-1][1] is None      # no scope: any institution's backup


@pytest.mark.parametrize("number", ["BF2099010100001", "HRA000567", "", None])
def test_an_unknown_number_is_not_found(app, number):
    operator = app.member("operator", role="operator", institution=None, unit=None)
    with pytest.raises(NotFound):
        operator_views.operator_backup(app.ports, operator, number)


@pytest.mark.parametrize("role", ["natural_person", "legal_person", "unit_admin"])
def test_nobody_else_may(app, role):
    actor = app.member("someone", role=role)
    with pytest.raises(Forbidden) as refused:
        operator_views.operator_backup(app.ports, actor, "BF2021031500012")
    assert refused.value.code == "operators_only"
