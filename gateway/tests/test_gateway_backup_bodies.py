"""The request schemas of the backup routes: shapes and types (backups owns the content rules)."""
import json

import pytest
from marshmallow import ValidationError
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from hgrip_gateway import schemas
from hgrip_gateway.responses import read_json

BACKUP = {"name": " 2024 肺癌队列备份 ", "categories": ["wgs", "chip"]}
FILE = {"detailed_type": "raw_sequencing", "cases": 120, "mb_per_case": 1.5,
        "submission_account": "data-admin@big.ac.cn", "accession": "HRA000567"}


def load(schema_cls, document):
    request = Request(EnvironBuilder(method="POST", data=json.dumps(document).encode()).get_environ())
    return read_json(request, schema_cls())


def errors_of(schema_cls, document) -> dict:
    with pytest.raises(ValidationError) as caught:
        load(schema_cls, document)
    return caught.value.normalized_messages()


def test_a_valid_backup_is_trimmed_and_passed_as_plain_data():
    assert load(schemas.BackupCreateRequest, BACKUP) == {"name": "2024 肺癌队列备份", "categories": ["wgs", "chip"]}


@pytest.mark.parametrize("document, field", [
    ({"categories": ["wgs"]}, "name"),
    ({**BACKUP, "name": "   "}, "name"),
    ({**BACKUP, "name": "x" * 201}, "name"),
    ({**BACKUP, "categories": []}, "categories"),
    ({**BACKUP, "categories": "wgs"}, "categories"),
    ({**BACKUP, "categories": [""]}, "categories"),
    ({**BACKUP, "categories": [1]}, "categories"),
    ({"name": "n"}, "categories"),
])
def test_backup_fields_are_checked(document, field):
    assert field in errors_of(schemas.BackupCreateRequest, document)


def test_unknown_categories_are_backups_business():
    # Known and distinct codes are the taxonomy owner's rule; it answers invalid_input itself.
    assert load(schemas.BackupCreateRequest, {**BACKUP, "categories": ["wgs", "wgs", "astrology"]})


def test_a_backup_patch_takes_any_one_field_but_not_none():
    assert load(schemas.BackupUpdateRequest, {"name": " new "}) == {"name": "new"}
    assert load(schemas.BackupUpdateRequest, {"categories": ["wes"]}) == {"categories": ["wes"]}
    assert "_schema" in errors_of(schemas.BackupUpdateRequest, {})
    assert "name" in errors_of(schemas.BackupUpdateRequest, {"name": None})


def test_a_valid_file_is_passed_as_plain_data():
    assert load(schemas.FileAddRequest, {**FILE, "submission_account": " data-admin@big.ac.cn "}) == FILE
    assert load(schemas.FileAddRequest, {**FILE, "mb_per_case": 2})["mb_per_case"] == 2.0


@pytest.mark.parametrize("field, value", [
    ("cases", 0), ("cases", -1), ("cases", 1.5), ("cases", "3"), ("cases", True), ("cases", None),
    ("mb_per_case", 0), ("mb_per_case", -0.5), ("mb_per_case", "1.5"), ("mb_per_case", False),
    ("submission_account", "not-an-email"), ("submission_account", "a@"), ("submission_account", ""),
    ("accession", ""), ("detailed_type", ""), ("detailed_type", 7),
])
def test_file_fields_are_checked(field, value):
    assert field in errors_of(schemas.FileAddRequest, {**FILE, field: value})
    assert field in errors_of(schemas.FileUpdateRequest, {field: value})


def test_a_new_file_needs_every_field():
    assert set(errors_of(schemas.FileAddRequest, {})) == set(FILE)


def test_nan_and_infinity_are_not_sizes():
    # Python's json module reads these non-JSON words; the schema must not let them through.
    for word in (b"NaN", b"Infinity"):
        body = b'{"mb_per_case": ' + word + b"}"
        request = Request(EnvironBuilder(method="PATCH", data=body).get_environ())
        with pytest.raises(ValidationError) as caught:
            read_json(request, schemas.FileUpdateRequest())
        assert "mb_per_case" in caught.value.normalized_messages()


def test_a_file_patch_takes_any_field_but_not_none():
    assert load(schemas.FileUpdateRequest, {"cases": 3}) == {"cases": 3}
    assert load(schemas.FileUpdateRequest, {"accession": " OMIX001226 "}) == {"accession": "OMIX001226"}
    errors = errors_of(schemas.FileUpdateRequest, {})
    assert errors["_schema"][0].startswith("Give at least one of")


@pytest.mark.parametrize("code", ["12345", "1234567", "12345a", "", "١٢٣٤٥٦", "12 456"])
def test_the_code_is_six_ascii_digits(code):
    assert "code" in errors_of(schemas.VerifyRequest, {"code": code})


def test_a_code_keeps_its_leading_zeros_and_must_be_text():
    assert load(schemas.VerifyRequest, {"code": " 042917 "}) == {"code": "042917"}
    assert "code" in errors_of(schemas.VerifyRequest, {"code": 42917})


@pytest.mark.parametrize("schema_cls, document", [
    (schemas.BackupCreateRequest, {**BACKUP, "status": "completed"}),
    (schemas.BackupCreateRequest, {**BACKUP, "project_id": "p-1"}),
    (schemas.BackupUpdateRequest, {"name": "n", "backup_number": "BF2024060300001"}),
    (schemas.FileAddRequest, {**FILE, "progress": "complete"}),
    (schemas.FileUpdateRequest, {"cases": 2, "repository": "GWH"}),
    (schemas.VerifyRequest, {"code": "123456", "file_id": "f-1"}),
])
def test_unknown_fields_are_refused(schema_cls, document):
    assert "Unknown field." in json.dumps(errors_of(schema_cls, document))


@pytest.mark.parametrize("field, value, message", [
    ("cases", 1_000_000_001, "Must be a whole number from 1 to 1000000000."),
    ("cases", 2_147_483_647, "Must be a whole number from 1 to 1000000000."),
    # What the gateway refused before the limit was shared, it refuses in the same words.
    ("cases", 0, "Must be greater than or equal to 1 and less than or equal to 2147483647."),
    ("cases", 2_147_483_648, "Must be greater than or equal to 1 and less than or equal to 2147483647."),
    ("mb_per_case", 0, "Must be greater than 0."),
    ("mb_per_case", 1_000_000_001, "Must be a number greater than 0 (at most 1000000000)."),
])
def test_file_numbers_above_backups_limits_get_backups_own_answer(field, value, message):
    # The limits are backups' (hgrip_kernel.field_rules): the gateway refuses with backups' text.
    assert errors_of(schemas.FileAddRequest, {**FILE, field: value}) == {field: [message]}
    assert load(schemas.FileAddRequest, {**FILE, "cases": 1_000_000_000, "mb_per_case": 1_000_000_000})


@pytest.mark.parametrize("username, message", [
    ("u" * 101, "Length must be between 1 and 100."),   # identity's answer, now the gateway's
    ("u" * 150, "Length must be between 1 and 100."),
    ("u" * 151, "Length must be between 1 and 150."),   # the gateway's former answer, unchanged
    ("  ", "Length must be between 1 and 150."),
])
def test_a_username_gets_the_answer_it_got_before_the_limit_was_shared(username, message):
    assert errors_of(schemas.LoginRequest, {"username": username, "password": "p"}) == {"username": [message]}
    assert load(schemas.LoginRequest, {"username": "u" * 100, "password": "p"})["username"] == "u" * 100
