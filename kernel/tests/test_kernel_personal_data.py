"""hgrip_kernel.personal_data: the mobile's keyed hash and the rotatable sealing keys."""
import hashlib
import hmac

import pytest

from hgrip_kernel.config import service_config
from hgrip_kernel.personal_data import (
    Cipher,
    PersonalData,
    PersonalDataKeyError,
    Sealed,
    local_keys,
    mobile_hash,
    new_key_entry,
    parse_keys,
)


def test_the_hash_is_the_one_backups_always_stored():
    # Legacy registrants and members were hashed so before identity's events carried the hash.
    expected = hmac.new(b"k", b"mobile:13812345678", hashlib.sha256).hexdigest()
    assert mobile_hash("k", "13812345678") == expected
    assert mobile_hash("k", "+86 138-1234-5678") == expected          # the old platform's spellings
    assert mobile_hash("k", "１３８１２３４５６７８") == expected
    assert mobile_hash("other", "13812345678") != expected            # keyed: no dictionary without the key
    assert mobile_hash("k", None) is None and mobile_hash("k", "12345") is None


def test_the_first_key_seals_every_listed_key_opens():
    old, new = new_key_entry("a"), new_key_entry("b")
    sealed_old = Cipher(old).seal("13812345678")
    both = Cipher(f"{new}, {old}")
    assert both.current_key_id == "b" and both.key_ids == ("b", "a")
    assert both.open(sealed_old) == "13812345678"
    sealed_new = both.seal("13812345678")
    assert sealed_new.key_id == "b" and "13812345678" not in sealed_new.token
    assert both.seal("13812345678").token != sealed_new.token            # a fresh IV each time
    resealed = both.reseal(sealed_old)
    assert resealed is not None and resealed.key_id == "b" and Cipher(new).open(resealed) == "13812345678"
    assert both.reseal(sealed_new) is None


def test_a_dropped_wrong_or_tampered_key_is_refused_without_showing_a_key():
    old, new = new_key_entry("a"), new_key_entry("b")
    sealed = Cipher(old).seal("13812345678")
    with pytest.raises(PersonalDataKeyError, match="'a' is no longer"):
        Cipher(new).open(sealed)
    impostor = "a:" + new.split(":", 1)[1]
    with pytest.raises(PersonalDataKeyError, match="does not open"):
        Cipher(impostor).open(sealed)
    with pytest.raises(PersonalDataKeyError, match="does not open"):
        Cipher(old).open(Sealed("a", sealed.token[:-4] + "AAAA"))


@pytest.mark.parametrize("keys,problem", [
    ("", "lists no key"), ("nocolon", "not id:base64key"), ("a:short", "not 32 url-safe"),
    ("bad id:" + "A" * 44, "not id:base64key"),
])
def test_malformed_key_lists_are_refused(keys, problem):
    with pytest.raises(PersonalDataKeyError, match=problem) as info:
        parse_keys(keys)
    assert "short" not in str(info.value)
    entry = new_key_entry("x")
    with pytest.raises(PersonalDataKeyError, match="twice"):
        parse_keys(f"{entry},{entry}")


def test_config_makes_one_local_key_or_takes_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("HGRIP_VAR", str(tmp_path))
    for name in ("HGRIP_PERSONAL_DATA_KEYS", "HGRIP_PERSONAL_DATA_HMAC_KEY", "HGRIP_MOBILE_HASH_SECRET"):
        monkeypatch.delenv(name, raising=False)
    first, again = service_config("identity"), service_config("identity")
    assert first["PERSONAL_DATA_KEYS"] == again["PERSONAL_DATA_KEYS"]
    assert first["PERSONAL_DATA_KEYS"] == local_keys((tmp_path / "secrets" / "personal_data_key").read_text())
    assert first["MOBILE_HASH_SECRET"] == (tmp_path / "secrets" / "mobile_hash_secret").read_text()
    # The hash key is every service's (backups matches by it); the sealing keys identity's alone.
    backups = service_config("backups")
    assert backups["MOBILE_HASH_SECRET"] == first["MOBILE_HASH_SECRET"] and "PERSONAL_DATA_KEYS" not in backups
    PersonalData.from_config(first).seal("x")
    entry = new_key_entry("2027")
    monkeypatch.setenv("HGRIP_PERSONAL_DATA_KEYS", entry)
    monkeypatch.setenv("HGRIP_PERSONAL_DATA_HMAC_KEY", "from-the-environment")
    config = service_config("identity")
    assert (config["PERSONAL_DATA_KEYS"], config["MOBILE_HASH_SECRET"]) == (entry, "from-the-environment")
    assert "PERSONAL_DATA_KEYS" not in service_config("verification")
