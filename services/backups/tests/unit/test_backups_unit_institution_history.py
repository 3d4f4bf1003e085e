"""备份详细信息's history for a legal person or unit administrator: the delegate's timeline, within
the same scope as the detail (the scope itself is the detail query's; here its answer is faked)."""
import pytest

from hgrip_backups.app import institution_views
from hgrip_kernel.errors import Forbidden, NotFound


def _legacy_backup_in_detail(app):
    """A legacy backup the institution's detail query answers (as it does for an actor in scope)."""
    app.institution_known()
    backup = app.import_legacy(number="BF2021031500012")
    app.backups.write_backup(None, backup)
    app.institution.details[backup.backup_id] = {"id": backup.backup_id, "backup_number": "BF2021031500012"}
    return backup


def test_an_administrator_in_scope_gets_the_timeline(app):
    backup = _legacy_backup_in_detail(app)
    legal = app.member("legal", role="legal_person", unit=None)
    history = institution_views.institution_backup_history(app.ports, legal, backup.backup_id.upper())
    assert [entry["event_type"] for entry in history] == ["LegacyBackupImported"]
    assert history[0]["summary_zh"] and history[0]["summary_en"]
    name, authority, asked_id = app.institution.asked[-1]
    assert (name, authority.role, authority.institution_code, asked_id) == (
        "detail", "legal_person", "NGDC", backup.backup_id)


@pytest.mark.parametrize("backup_id", ["out-of-scope", "not-a-uuid", None])
def test_outside_the_scope_it_is_not_found(app, backup_id):
    backup = _legacy_backup_in_detail(app)
    admin = app.member("admin2", role="unit_admin", unit="U2")
    app.institution.details.pop(backup.backup_id)      # the query finds nothing in U2's scope
    with pytest.raises(NotFound) as refused:
        institution_views.institution_backup_history(
            app.ports, admin, backup.backup_id if backup_id == "out-of-scope" else backup_id)
    assert refused.value.code == "backup_not_found"


@pytest.mark.parametrize("role", ["natural_person", "operator"])
def test_other_roles_are_refused(app, role):
    backup = _legacy_backup_in_detail(app)
    actor = app.member("someone", role=role)
    with pytest.raises(Forbidden) as refused:
        institution_views.institution_backup_history(app.ports, actor, backup.backup_id)
    assert refused.value.code == "institution_admins_only"
