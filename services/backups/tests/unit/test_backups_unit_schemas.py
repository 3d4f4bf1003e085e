"""RPC payload validation: one ``invalid_input`` naming every bad field; unknown fields refused."""
import pytest

from hgrip_backups.entrypoints import schemas
from hgrip_kernel.errors import InvalidInput

FILE = {"detailed_type": "raw_sequencing", "cases": 50, "mb_per_case": 2000,
        "submission_account": "data-admin@big.ac.cn", "accession": "HRA000567"}


def _refused(load, payload) -> dict:
    with pytest.raises(InvalidInput) as caught:
        load(payload)
    assert caught.value.code == "invalid_input"
    assert (caught.value.message, caught.value.message_zh) == (
        "The request contains invalid fields.", "请求中有字段不符合要求。")
    return caught.value.details


def test_create_backup_trims_and_checks():
    assert schemas.load_create_backup({"name": "  备份 ", "categories": ["wgs", "chip"]}) == {
        "name": "备份", "categories": ["wgs", "chip"]}


@pytest.mark.parametrize("payload,fields", [
    ({"name": " ", "categories": []}, {"name", "categories"}),
    ({"name": "x" * 201, "categories": ["wgs"]}, {"name"}),
    ({"name": "a\nb", "categories": ["wgs"]}, {"name"}),
    ({"name": "ok", "categories": ["wgs", "wgs"]}, {"categories"}),
    ({"name": "ok", "categories": ["metagenome"]}, {"categories"}),
    ({"name": "ok", "categories": "wgs"}, {"categories"}),
    ({"categories": ["wgs"]}, {"name"}),
    ({"name": "ok"}, {"categories"}),
    ({"name": "ok", "categories": ["wgs"], "backup_number": "BF2023062816036"}, {"backup_number"}),
])
def test_create_backup_refusals(payload, fields):
    assert set(_refused(schemas.load_create_backup, payload)) == fields


def test_update_backup_takes_a_subset():
    assert schemas.load_update_backup({}) == {}
    assert schemas.load_update_backup({"name": " 新 "}) == {"name": "新"}
    assert set(_refused(schemas.load_update_backup, {"status": "completed"})) == {"status"}
    assert set(_refused(schemas.load_update_backup, {"categories": []})) == {"categories"}


def test_add_file_builds_details():
    details = schemas.load_add_file(dict(FILE, submission_account=" Data-Admin@big.ac.cn ",
                                         accession=" HRA000567 ", mb_per_case=2000.0))
    assert (details.submission_account, details.accession) == ("Data-Admin@big.ac.cn", "HRA000567")
    assert details.mb_per_case == 2000 and isinstance(details.mb_per_case, int)
    assert schemas.load_add_file(dict(FILE, mb_per_case=0.5)).mb_per_case == 0.5


@pytest.mark.parametrize("changes,field", [
    ({"cases": 0}, "cases"), ({"cases": -1}, "cases"), ({"cases": 2.5}, "cases"),
    ({"cases": "3"}, "cases"), ({"cases": True}, "cases"), ({"cases": 10**10}, "cases"),
    ({"mb_per_case": 0}, "mb_per_case"), ({"mb_per_case": -2}, "mb_per_case"),
    ({"mb_per_case": "5"}, "mb_per_case"), ({"mb_per_case": float("nan")}, "mb_per_case"),
    ({"mb_per_case": float("inf")}, "mb_per_case"), ({"mb_per_case": False}, "mb_per_case"),
    ({"submission_account": "zhangxx"}, "submission_account"),
    ({"submission_account": "zhangxx@"}, "submission_account"),
    ({"accession": "  "}, "accession"), ({"accession": "H" * 65}, "accession"),
    ({"detailed_type": "raw"}, "detailed_type"),
    ({"progress": "complete"}, "progress"),
    ({"repository": "OMIX"}, "repository"),
])
def test_add_file_refusals(changes, field):
    assert set(_refused(schemas.load_add_file, dict(FILE, **changes))) == {field}


def test_add_file_requires_every_field():
    assert set(_refused(schemas.load_add_file, {})) == set(FILE)


def test_update_file_takes_a_subset():
    assert schemas.load_update_file({"cases": 3}) == {"cases": 3}
    assert schemas.load_update_file({}) == {}
    assert set(_refused(schemas.load_update_file, {"cases": 0, "id": "x"})) == {"cases", "id"}


@pytest.mark.parametrize("payload", [None, [], "name", 3])
def test_a_payload_must_be_an_object(payload):
    assert _refused(schemas.load_create_backup, payload) == {"_schema": ["The payload must be an object."]}


def test_a_code_must_be_a_short_string():
    assert schemas.load_code(" 320000 ") == "320000"
    for bad in (None, 320000, "", "x" * 33):
        assert set(_refused(schemas.load_code, bad)) == {"code"}
