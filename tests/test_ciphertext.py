"""Unit tests of the ciphertext envelope (kms_mock._ciphertext), without boto3."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kms_mock._ciphertext import (
    MAGIC,
    NONCE_SIZE,
    MalformedCiphertext,
    canonical_context,
    context_digest,
    open_sealed,
    parse,
    seal,
)
from tests._helpers import exactly

SECRET = bytes(range(32))
MATERIAL_ID = hashlib.sha256(b"material").hexdigest()
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
NONCE = bytes(range(100, 100 + NONCE_SIZE))
CONTEXT = {"purpose": "test", "tenant": "acme"}

# MalformedCiphertext's reasons (AWS's InvalidCiphertextException has no message).
FOREIGN = "not a kms_mock ciphertext"
TRUNCATED = "truncated ciphertext"
UNAUTHENTIC = "authentication failed"

contexts = st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=5)


def make_blob(plaintext: bytes = b"hello", **overrides: Any) -> bytes:
    fields: dict[str, Any] = {
        "secret": SECRET,
        "material_id": MATERIAL_ID,
        "region": "us-east-1",
        "account_id": "123456789012",
        "key_id": KEY_ID,
        "plaintext": plaintext,
        "context": CONTEXT,
        "nonce": NONCE,
    }
    fields.update(overrides)
    return seal(**fields)


# --- canonical_context ---------------------------------------------------------------------


def test_canonical_context_ignores_insertion_order() -> None:
    forward = {"a": "1", "b": "2", "c": "3"}
    backward = {"c": "3", "b": "2", "a": "1"}
    assert canonical_context(forward) == canonical_context(backward)
    assert context_digest(forward) == context_digest(backward)


def test_canonical_context_is_unambiguous() -> None:
    assert canonical_context({"a": "bc"}) != canonical_context({"ab": "c"})
    assert canonical_context({"a": "b"}) != canonical_context({"b": "a"})
    assert canonical_context({"a": "", "b": ""}) != canonical_context({"a": "b"})


def test_canonical_context_is_case_sensitive() -> None:
    assert canonical_context({"Key": "value"}) != canonical_context({"key": "value"})
    assert canonical_context({"key": "Value"}) != canonical_context({"key": "value"})


def test_empty_and_missing_context_are_the_same() -> None:
    assert canonical_context(None) == canonical_context({}) == b""
    assert context_digest(None) == hashlib.sha256(b"").hexdigest()


def test_canonical_context_length_prefixes_utf8_bytes() -> None:
    # "é" is one character but two UTF-8 bytes: the prefix counts bytes.
    assert canonical_context({"é": "x"}) == (
        b"\x00\x00\x00\x02" + "é".encode() + b"\x00\x00\x00\x01x"
    )


@given(contexts, contexts)
def test_canonical_context_is_injective(first: dict[str, str], second: dict[str, str]) -> None:
    assert (canonical_context(first) == canonical_context(second)) == (first == second)


@given(contexts, st.randoms())
def test_canonical_context_ignores_any_order(context: dict[str, str], rng: Any) -> None:
    items = list(context.items())
    rng.shuffle(items)
    assert canonical_context(dict(items)) == canonical_context(context)


# --- seal / parse / open_sealed ------------------------------------------------------------


def test_seal_parse_round_trip_fields() -> None:
    blob = make_blob(b"hello")
    envelope = parse(blob)
    assert envelope.region == "us-east-1"
    assert envelope.account_id == "123456789012"
    assert envelope.key_id == KEY_ID
    assert envelope.material_id == MATERIAL_ID
    assert envelope.context_digest == context_digest(CONTEXT)
    assert envelope.header.startswith(MAGIC + b"\x01")
    assert envelope.header.endswith(NONCE)
    assert len(envelope.sealed) == len(b"hello") + 16
    assert envelope.header + envelope.sealed == blob
    assert open_sealed(envelope, SECRET, CONTEXT) == b"hello"


def test_envelope_is_158_plus_n_bytes_for_a_us_east_1_key() -> None:
    for size in (1, 32, 4096):
        blob = make_blob(b"x" * size)
        assert len(blob) == 158 + size
    assert len(make_blob(b"x" * 4096)) <= 6144


def test_other_regions_and_mrk_ids_round_trip() -> None:
    mrk = "mrk-" + "ab" * 16
    blob = make_blob(region="ap-southeast-2", account_id="111122223333", key_id=mrk)
    envelope = parse(blob)
    assert (envelope.region, envelope.account_id, envelope.key_id) == (
        "ap-southeast-2",
        "111122223333",
        mrk,
    )
    assert open_sealed(envelope, SECRET, CONTEXT) == b"hello"


def test_open_sealed_rejects_another_secret() -> None:
    envelope = parse(make_blob())
    with pytest.raises(MalformedCiphertext, match=exactly(UNAUTHENTIC)):
        open_sealed(envelope, bytes(32), CONTEXT)


@pytest.mark.parametrize(
    "context",
    [
        None,
        {},
        {"purpose": "test"},
        {**CONTEXT, "extra": ""},
        {"purpose": "Test", "tenant": "acme"},
    ],
)
def test_open_sealed_rejects_another_context(context: dict[str, str] | None) -> None:
    envelope = parse(make_blob())
    with pytest.raises(MalformedCiphertext, match=exactly(UNAUTHENTIC)):
        open_sealed(envelope, SECRET, context)


def test_the_context_digest_is_authenticated() -> None:
    # Swapping in the digest of another context must not help an attacker.
    blob = make_blob()
    forged = blob[:38] + bytes.fromhex(context_digest({"purpose": "test"})) + blob[70:]
    with pytest.raises(MalformedCiphertext, match=exactly(UNAUTHENTIC)):
        open_sealed(parse(forged), SECRET, {"purpose": "test"})


def test_every_single_byte_change_is_detected() -> None:
    blob = make_blob(b"abc")
    for index in range(len(blob)):
        tampered = blob[:index] + bytes((blob[index] ^ 0x80,)) + blob[index + 1 :]
        with pytest.raises(MalformedCiphertext):  # unauthentic, or no longer parses
            open_sealed(parse(tampered), SECRET, CONTEXT)


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        pytest.param(lambda b: b"\x01\x02\x02\x00\x79" + b[5:], FOREIGN, id="magic"),
        pytest.param(lambda b: b[:5] + b"\x02" + b[6:], FOREIGN, id="version"),
        pytest.param(lambda b: b"", FOREIGN, id="empty"),
        pytest.param(lambda b: b[:70], FOREIGN, id="no-key-reference"),
        pytest.param(lambda b: b[:71], TRUNCATED, id="cut-after-the-key-reference-length"),
        pytest.param(lambda b: b[:75], TRUNCATED, id="cut-in-key-reference"),
        pytest.param(lambda b: b[: len(b) - 6], TRUNCATED, id="cut-in-tag"),
        pytest.param(lambda b: b[:-1], TRUNCATED, id="one-byte-short"),
        pytest.param(lambda b: b[68:], FOREIGN, id="first-68-bytes-removed"),
    ],
)
def test_parse_rejects_foreign_and_truncated_bytes(mangle: Any, reason: str) -> None:
    with pytest.raises(MalformedCiphertext, match=exactly(reason)):
        parse(mangle(make_blob(b"")))


def test_an_empty_plaintext_seals_to_a_header_and_a_tag() -> None:
    # The shortest ciphertext there is: the parser's length check must let it through.
    blob = make_blob(b"")
    envelope = parse(blob)
    assert (len(envelope.header), len(envelope.sealed)) == (len(blob) - 16, 16)
    assert open_sealed(envelope, SECRET, CONTEXT) == b""


def test_parse_rejects_an_unreadable_key_reference() -> None:
    blob = make_blob()
    ref = b"us-east-1:123456789012:" + KEY_ID.encode()
    assert ref in blob
    for bad in (b"us-east-1;123456789012:" + KEY_ID.encode(), b"\xff" + ref[1:]):
        with pytest.raises(MalformedCiphertext, match=exactly("unreadable key reference")):
            parse(blob.replace(ref, bad))
