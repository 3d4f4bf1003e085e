"""The export of 备份列表 (institution_backups_export): who may, and what its query accepts."""
import pytest

from hgrip_backups.app import institution_views
from hgrip_backups.entrypoints.institution_schemas import load_backup_export
from hgrip_kernel.errors import DomainError, Forbidden


def test_an_administrator_gets_batches_in_their_scope(app):
    admin = app.member("bio-admin", role="unit_admin", unit="U1")
    batch = institution_views.institution_backups_export(app.ports, admin, {"status": "completed"}, None, 500)
    assert batch == {"items": [], "next": None}
    name, authority, (query, after, limit) = app.institution.asked[-1]
    assert (name, authority.unit_code, query, after, limit) == ("export", "U1", {"status": "completed"}, None, 500)


@pytest.mark.parametrize("role", ["natural_person", "operator"])
def test_anyone_else_is_refused_every_batch(app, role):
    actor = app.member("someone", role=role)
    with pytest.raises(Forbidden) as refused:
        institution_views.institution_backups_export(app.ports, actor, {}, ["2024-01-01T00:00:00+00:00", "x"], 10)
    assert refused.value.code == "institution_admins_only"
    assert app.institution.asked == []


def test_the_export_query_is_the_lists_without_paging():
    values, after, limit = load_backup_export({"name": "  ", "status": "", "sort": "name"}, None, 1000)
    assert values == {"status": "completed", "sort": "name"} and (after, limit) == (None, 1000)
    assert load_backup_export({}, [None, "id-1"], 5000)[1] == [None, "id-1"]


@pytest.mark.parametrize("query, after, limit, bad", [
    ({"page": 2}, None, 10, "page"),
    ({}, "BF1", 10, "after"),
    ({}, ["a"], 10, "after"),
    ({}, None, 0, "limit"),
    ({}, None, 5001, "limit"),
    ({}, None, True, "limit"),
])
def test_a_bad_export_query_names_the_field(query, after, limit, bad):
    with pytest.raises(DomainError) as refused:
        load_backup_export(query, after, limit)
    assert refused.value.code == "invalid_input" and bad in refused.value.details
    assert all(problem["message_zh"] for problem in refused.value.details[bad])
