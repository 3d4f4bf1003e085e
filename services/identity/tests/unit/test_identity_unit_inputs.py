"""RPC payload validation, password hashing and token signing: plain Python, no I/O."""
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from hgrip_identity.adapters import passwords, tokens
from hgrip_identity.entrypoints.schemas import AccountPayloadSchema, InstitutionPayloadSchema, load
from hgrip_kernel.errors import InvalidInput

SECRET = "unit-test-secret-that-is-long-enough-for-hs256"


def account_payload(**overrides):
    base = {"username": "zhang", "password": "s3cretPass", "name": "张晓寒", "mobile": "13812345678",
            "role": "natural_person", "institution": "NGDC", "real_name_verified": True, "authorised": True}
    base.update(overrides)
    return base


def test_account_payload_defaults_and_beijing_time():
    data = load(AccountPayloadSchema, account_payload(authorised_at="2023-06-27 11:26:27", unit=""))
    assert data["employed"] is True and data["unit"] is None
    assert data["authorised_at"] == datetime(2023, 6, 27, 3, 26, 27, tzinfo=UTC)


def test_account_payload_email_is_optional_trimmed_and_blank_means_none():
    assert load(AccountPayloadSchema, account_payload())["email"] is None
    assert load(AccountPayloadSchema, account_payload(email=""))["email"] is None
    data = load(AccountPayloadSchema, account_payload(email=" zhangxiaohan@ngdc-demo.example.cn "))
    assert data["email"] == "zhangxiaohan@ngdc-demo.example.cn"


@pytest.mark.parametrize("overrides,field", [
    ({"email": "zhangxiaohan"}, "email"),
    ({"email": "x" * 250 + "@big.ac.cn"}, "email"),
    ({"role": "boss"}, "role"),
    ({"mobile": "12345"}, "mobile"),
    ({"password": "short1"}, "password"),
    ({"password": "lettersonly"}, "password"),
    ({"username": "has space"}, "username"),
    ({"institution": "bad code!"}, "institution"),
    ({"nickname": "x"}, "nickname"),
    ({"name": None}, "name"),
])
def test_account_payload_refused_with_field_details(overrides, field):
    with pytest.raises(InvalidInput) as info:
        load(AccountPayloadSchema, account_payload(**overrides))
    assert info.value.code == "invalid_input"
    assert field in info.value.details
    assert info.value.message and info.value.message_zh


def test_missing_required_fields_and_non_dict_payload():
    with pytest.raises(InvalidInput) as info:
        load(AccountPayloadSchema, {})
    assert {"username", "name", "role"} <= set(info.value.details)
    with pytest.raises(InvalidInput):
        load(AccountPayloadSchema, "not a dict")


def test_institution_payload_rejects_duplicate_units():
    ok = load(InstitutionPayloadSchema, {"code": "NGDC", "name": "NGDC"})
    assert ok == {"code": "NGDC", "name": "NGDC", "foreign": False, "units": []}
    with pytest.raises(InvalidInput) as info:
        load(InstitutionPayloadSchema, {"code": "NGDC", "name": "NGDC",
                                        "units": [{"code": "U1", "name": "a"}, {"code": "U1", "name": "b"}]})
    assert "units" in info.value.details


def test_argon2id_hash_and_verify():
    hashed = passwords.hash_password("s3cretPass")
    assert hashed.startswith("$argon2id$") and "s3cretPass" not in hashed
    assert passwords.verify_password(hashed, "s3cretPass")
    assert not passwords.verify_password(hashed, "wrong1234")
    assert not passwords.verify_password(None, "not-a-real-password-0")  # the dummy never matches
    assert not passwords.verify_password("garbage", "s3cretPass")


def test_token_round_trip_and_claims():
    account = {"id": "6b3a2d4e-0000-5000-8000-000000000001", "username": "zhang", "role": "natural_person"}
    token = tokens.issue(SECRET, account, ttl_seconds=60)
    claims = tokens.decode(SECRET, token)
    assert claims["sub"] == account["id"] and claims["username"] == "zhang"
    assert claims["role"] == "natural_person" and claims["exp"] - claims["iat"] == 60 and claims["jti"]


def test_expired_forged_and_unsigned_tokens_refused():
    account = {"id": "a", "username": "zhang", "role": "operator"}
    old = tokens.issue(SECRET, account, ttl_seconds=60, now=datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(tokens.InvalidToken):
        tokens.decode(SECRET, old)
    with pytest.raises(tokens.InvalidToken):
        tokens.decode(SECRET, tokens.issue("another-secret-that-is-long-enough-too", account))
    unsigned = jwt.encode({"sub": "a", "iat": 1, "exp": 2**40, "jti": "x"}, None, algorithm="none")
    with pytest.raises(tokens.InvalidToken):
        tokens.decode(SECRET, unsigned)
    with pytest.raises(tokens.InvalidToken):
        tokens.decode("", tokens.issue(SECRET, account))
