"""The pass wire format: signature, compact alphanumeric QR, rotating code (R-F7, R-G2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import base45
import pytest
import qrcode
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from borderpass.services.crossings import pass_tokens as tokens

T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
KEY = Ed25519PrivateKey.generate()
CRED = tokens.Credential(kid="K1AB", declaration_id=123456, plate="云N12345", direction="exit",
                         port="ruili", category="personal", valid_from=T0,
                         valid_until=T0 + timedelta(hours=48))
SECRET = b"0123456789abcdefghij"


def test_round_trip_and_signature() -> None:
    text = tokens.qr_text(tokens.encode_credential(CRED, KEY), "123456")
    scanned = tokens.parse(text)
    assert scanned.credential == CRED and scanned.code == "123456"
    tokens.verify(scanned, KEY.public_key())


@pytest.mark.parametrize("plate", ["云N1234", "云N12345", "云N12345学", "A1"])
def test_credentials_of_odd_and_even_length_read_back(plate: str) -> None:
    cred = tokens.Credential(**{**CRED.__dict__, "plate": plate})
    scanned = tokens.parse(tokens.qr_text(tokens.encode_credential(cred, KEY), "654321"))
    assert scanned.credential == cred
    tokens.verify(scanned, KEY.public_key())


def test_fits_a_small_alphanumeric_qr() -> None:
    text = tokens.qr_text(tokens.encode_credential(CRED, KEY), "123456")
    symbol = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    symbol.add_data(text)
    symbol.make(fit=True)
    assert symbol.version <= 10 and symbol.data_list[0].mode == qrcode.util.MODE_ALPHA_NUM


def test_forged_credential_is_refused() -> None:  # a changed plate breaks the signature
    forged = tokens.Credential(**{**CRED.__dict__, "plate": "云N99999"})
    text = tokens.qr_text(tokens.encode_credential(forged, Ed25519PrivateKey.generate()), "1" * 6)
    with pytest.raises(tokens.TokenError) as err:
        tokens.verify(tokens.parse(text), KEY.public_key())
    assert err.value.code == "pass_forged"
    with pytest.raises(tokens.TokenError) as err:
        tokens.verify(tokens.parse(text), None)
    assert err.value.code == "pass_unknown_key"


def test_a_remembered_check_still_depends_on_the_key_and_every_byte() -> None:
    scanned = tokens.parse(tokens.qr_text(tokens.encode_credential(CRED, KEY), "123456"))
    for _ in range(2):  # checked, then remembered: the same answer
        tokens.verify(scanned, KEY.public_key())
    with pytest.raises(tokens.TokenError):  # the same bytes under another key: forged
        tokens.verify(scanned, Ed25519PrivateKey.generate().public_key())
    raw = bytearray(base45.b45decode(scanned.text))
    raw[-1] ^= 1  # the signature's last byte
    flipped = base45.b45encode(bytes(raw)).decode()
    for _ in range(2):
        with pytest.raises(tokens.TokenError) as err:
            tokens.verify(tokens.parse(tokens.qr_text(flipped, "123456")), KEY.public_key())
        assert err.value.code == "pass_forged"


def test_a_bad_signature_part_is_found_malformed_when_checked() -> None:
    text = tokens.encode_credential(CRED, KEY)
    broken = text[:-3] + "::: "[:3]  # an impossible base45 triple in the signature
    scanned = tokens.parse(tokens.qr_text(broken, "123456"))  # the credential reads fine
    assert scanned.credential == CRED
    with pytest.raises(tokens.TokenError) as err:
        tokens.verify(scanned, KEY.public_key())
    assert err.value.code == "pass_malformed"


@pytest.mark.parametrize("text", ["", "BP1", "BP112345", "XX1123456ABC", "BP1abcdefABCD",
                                  "BP1123456" + "Z" * 40, "BP1123456!!!", "BP1123456" + "0" * 3,
                                  "BP1123456" + "A" * 700])
def test_malformed_texts(text: str) -> None:
    with pytest.raises(tokens.TokenError) as err:
        tokens.parse(text)
    assert err.value.code == "pass_malformed"


def test_truncated_credential_is_malformed() -> None:
    text = tokens.qr_text(tokens.encode_credential(CRED, KEY), "123456")
    with pytest.raises(tokens.TokenError):
        tokens.verify(tokens.parse(text[:-6]), KEY.public_key())


def test_rotating_code_tolerates_one_step() -> None:  # RFC 6238, 30 s, ±1 step
    code = tokens.current_code(SECRET, T0)
    assert tokens.code_matches(SECRET, code, T0)
    assert tokens.code_matches(SECRET, code, T0 + timedelta(seconds=30))
    assert tokens.code_matches(SECRET, code, T0 - timedelta(seconds=30))
    assert not tokens.code_matches(SECRET, code, T0 + timedelta(seconds=61))
    assert not tokens.code_matches(b"another-secret-20byt", code, T0)


def test_rfc6238_vector() -> None:  # RFC 6238 appendix B, SHA-1, T = 59 s
    at = datetime.fromtimestamp(59, UTC)
    assert tokens.current_code(b"12345678901234567890", at) == "287082"
