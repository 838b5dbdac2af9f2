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


def _v1_token(key: bytes, value: str, context: str) -> str:
    """A value as sealed before key ids existed (version byte 1, no key id)."""
    import base64
    import os

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    field_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                     info=b"borderpass field encryption v1").derive(key)
    nonce = os.urandom(12)
    return base64.b64encode(b"\x01" + nonce + AESGCM(field_key).encrypt(
        nonce, value.encode(), context.encode())).decode()


def test_values_carry_their_key_id_and_old_ones_still_open() -> None:  # R-U7
    from borderpass.core.crypto import key_id

    cipher = FieldCipher(KEY)
    token = cipher.encrypt(ID, "owner.id_number")
    assert cipher.token_kid(token) == key_id(KEY) == cipher.kid
    legacy = _v1_token(KEY, ID, "owner.id_number")
    assert cipher.token_kid(legacy) is None and cipher.decrypt(legacy, "owner.id_number") == ID
    fresh = cipher.reseal(legacy, "owner.id_number")
    assert fresh and cipher.token_kid(fresh) == cipher.kid
    assert cipher.reseal(token, "owner.id_number") is None  # already under the current key


def test_a_new_key_seals_while_the_old_one_still_opens() -> None:  # R-U7
    new = bytes(32)
    old_cipher = FieldCipher(KEY)
    token = old_cipher.encrypt(ID, "driver.id_number")
    rotating = FieldCipher(new, old_keys=[KEY], index_key=old_cipher.index_key)
    assert rotating.decrypt(token, "driver.id_number") == ID
    assert rotating.token_kid(rotating.encrypt(ID, "x")) == rotating.kid != old_cipher.kid
    assert rotating.blind_index(ID, "id_number") == old_cipher.blind_index(ID, "id_number")
    with pytest.raises(CryptoError, match="not configured"):
        FieldCipher(new).decrypt(token, "driver.id_number")


def test_files_are_sealed_bound_to_their_name_and_plain_ones_still_read() -> None:  # R-U7
    from borderpass.core.crypto import FILE_MAGIC

    cipher = FieldCipher(KEY)
    image = b"\xff\xd8\xff\xe0 a jpeg"
    blob = cipher.seal_file(image, "ab" * 32)
    assert blob.startswith(FILE_MAGIC) and image not in blob
    assert blob != cipher.seal_file(image, "ab" * 32)  # a fresh nonce per write
    assert cipher.open_file(blob, "ab" * 32) == image and cipher.file_kid(blob) == cipher.kid
    with pytest.raises(CryptoError):
        cipher.open_file(blob, "cd" * 32)  # moved under another file's name
    with pytest.raises(CryptoError):
        cipher.open_file(blob[:-1] + bytes([blob[-1] ^ 1]), "ab" * 32)
    assert cipher.open_file(image, "ab" * 32) == image  # stored before sealing
    assert cipher.file_kid(image) is None


def test_file_store_writes_owner_only_sealed_files(tmp_path) -> None:  # R-U7
    from borderpass.adapters.storage import FileStore

    store = FileStore(tmp_path / "uploads", FieldCipher(KEY))
    digest = store.put(b"\x89PNG\r\n\x1a\n a png")
    path = tmp_path / "uploads" / digest[:2] / digest[2:]
    assert not path.read_bytes().startswith(b"\x89PNG")
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    assert store.get(digest) == b"\x89PNG\r\n\x1a\n a png" and store.kid_of(digest)
    path.write_bytes(b"\x89PNG\r\n\x1a\n a png")  # as stored before sealing
    assert store.get(digest).startswith(b"\x89PNG") and store.reseal(digest)
    assert not path.read_bytes().startswith(b"\x89PNG") and not store.reseal(digest)
    path.write_bytes(b"something else")
    with pytest.raises(ValueError, match="does not match"):
        store.reseal(digest)  # never swaps a file for another
