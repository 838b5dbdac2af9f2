"""Personal-data protection (R-U7): encryption, blind index, masking, log redaction."""

from __future__ import annotations

import json
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from borderpass.core.crypto import CryptoError, FieldCipher, load_data_key
from borderpass.core.logs import JsonFormatter, redact
from borderpass.core.masking import mask_name, mask_number

KEY = bytes(range(32))
ID = "533102198503140218"


@given(st.text(min_size=0, max_size=60))
def test_encrypt_round_trip(value: str) -> None:  # R-U7
    cipher = FieldCipher(KEY)
    token = cipher.encrypt(value, "owner.id_number")
    assert cipher.decrypt(token, "owner.id_number") == value
    assert len(value) < 8 or value not in token


def test_ciphertext_is_randomised_and_bound_to_its_column() -> None:  # R-U7
    cipher = FieldCipher(KEY)
    a, b = cipher.encrypt(ID, "owner.id_number"), cipher.encrypt(ID, "owner.id_number")
    assert a != b
    with pytest.raises(CryptoError):
        cipher.decrypt(a, "driver.id_number")
    tampered = a[:-4] + ("AAAA" if a[-4:] != "AAAA" else "BBBB")
    with pytest.raises(CryptoError):
        cipher.decrypt(tampered, "owner.id_number")
    with pytest.raises(CryptoError):
        FieldCipher(bytes(32)).decrypt(a, "owner.id_number")


def test_blind_index_equal_for_equal_values_only() -> None:  # R-U7
    cipher = FieldCipher(KEY)
    assert cipher.blind_index(ID, "id_number") == cipher.blind_index(f" {ID.lower()} ",
                                                                     "id_number")
    assert cipher.blind_index(ID, "id_number") != cipher.blind_index(ID[:-1] + "1", "id_number")
    assert cipher.blind_index(ID, "id_number") != FieldCipher(bytes(32)).blind_index(
        ID, "id_number")
    assert ID not in cipher.blind_index(ID, "id_number")


def test_data_key_from_env_or_generated_once(tmp_path) -> None:
    with pytest.raises(CryptoError):
        load_data_key("not base64!", tmp_path)
    with pytest.raises(CryptoError):
        load_data_key("c2hvcnQ=", tmp_path)
    first = load_data_key("", tmp_path)
    assert len(first) == 32 and load_data_key("", tmp_path) == first
    assert (tmp_path / "dev-data.key").stat().st_mode & 0o077 == 0


def test_masking() -> None:  # R-U7
    assert mask_number(ID) == "533***********0218"
    assert mask_name("岩温") == "岩*" and mask_name(None) is None


def test_logs_never_carry_identity_numbers() -> None:  # R-U7
    assert ID not in redact(f"filing for {ID} and phone 13812345678")
    assert "13812345678" not in redact("phone 13812345678")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "owner %s", (ID,), None)
    record.driver_id = ID
    line = JsonFormatter().format(record)
    assert ID not in line and json.loads(line)["msg"].startswith("owner 533")
