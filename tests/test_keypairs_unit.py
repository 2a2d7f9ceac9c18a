"""Lazy key pairs and HMAC secrets: when, where and how they are made.

``_keypairs`` (seeds and derivation), ``_operations/_secrets`` (derived outside
the lock), ``_seeded_rsa`` and ``_ed25519ph``:

* Made no sooner than the first operation that needs them, once, and with
  the backend's lock let go (other requests go on meanwhile).
* Derived from a per-key seed: reproducible with ``seed=``, whatever order
  keys are first used in; RSA primes searched for deterministically then.
* Ed25519ph (which the cryptography package lacks) checked against RFC 8032.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from kms_mock import FrozenClock, MockKMS, _keypairs, _seeded_rsa, mock_kms
from kms_mock._bytestream import ByteStream
from kms_mock._ed25519ph import ed25519ph_sign, ed25519ph_verify
from kms_mock._keypairs import KeyPair, LazySecret, derive_secret, private_key_from
from kms_mock._keyspecs import KEY_SPECS, SYMMETRIC_DEFAULT, unsupported_reason
from kms_mock._materials import KeyMaterial
from kms_mock._models import Key
from kms_mock._operations._secrets import (
    SecretPending,
    derive_outside_lock,
    hmac_secret,
    key_pair,
    lazy_secrets,
)
from kms_mock._seeded_rsa import RSA_PUBLIC_EXPONENT, deterministic_rsa, random_prime
from kms_mock._store import Backend
from tests._helpers import START, error_of, lazy_secret_of, stored_key

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

ACCOUNT = "123456789012"
REGION = "us-east-1"
SEED = bytes(range(32))
TIMEOUT = 10.0
CREATED = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)


def stored(kms: MockKMS, key_id: str) -> Key:
    return stored_key(kms, key_id)


@pytest.fixture
def derivations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The key specs derived (counted at the one place secrets are made)."""
    made: list[str] = []
    original = _keypairs.derive_secret

    def counting(key_spec: str, seed: bytes, *, reproducible: bool) -> _keypairs.Secret:
        made.append(key_spec)
        return original(key_spec, seed, reproducible=reproducible)

    monkeypatch.setattr(_keypairs, "derive_secret", counting)
    return made


# --- When: not at CreateKey, once on first use ----------------------------------------------


def test_create_key_makes_a_seed_not_a_key(
    client: KMSClient, kms: MockKMS, derivations: list[str]
) -> None:
    for spec, usage in (
        ("RSA_4096", "SIGN_VERIFY"),
        ("ECC_NIST_P521", "KEY_AGREEMENT"),
        ("HMAC_512", "GENERATE_VERIFY_MAC"),
        ("ML_DSA_87", "SIGN_VERIFY"),
    ):
        key_id = client.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]["KeyId"]  # type: ignore[arg-type]
        client.describe_key(KeyId=key_id)
        secret = lazy_secret_of(kms, key_id)
        assert (secret.key_spec, len(secret.seed), secret.peek()) == (spec, 32, None)
        assert repr(secret) == f"LazySecret({spec}, pending)"
    assert derivations == []
    symmetric = client.create_key()["KeyMetadata"]["KeyId"]
    assert stored(kms, symmetric).materials.key_secret is None  # versioned AES material instead
    external = client.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY", Origin="EXTERNAL")
    external_id = external["KeyMetadata"]["KeyId"]
    assert stored(kms, external_id).materials.current is None  # awaits an import


def test_the_first_use_derives_once(
    client: KMSClient, kms: MockKMS, derivations: list[str]
) -> None:
    key_id = client.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"][
        "KeyId"
    ]
    for _ in range(3):
        client.sign(KeyId=key_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    client.get_public_key(KeyId=key_id)
    assert derivations == ["ECC_NIST_P256"]
    assert repr(lazy_secret_of(kms, key_id)) == "LazySecret(ECC_NIST_P256, derived)"


def test_a_failed_first_use_derives_nothing(client: KMSClient, derivations: list[str]) -> None:
    key_id = client.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"][
        "KeyId"
    ]
    with pytest.raises(ClientError):
        client.sign(KeyId=key_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_384")
    assert derivations == []


# --- Where: outside the backend's lock --------------------------------------------------------


class SlowDerivation:
    """Holds each derivation until released, so a test can act while one runs."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.count = 0
        original = _keypairs.derive_secret

        def slow(key_spec: str, seed: bytes, *, reproducible: bool) -> _keypairs.Secret:
            self.count += 1
            self.started.set()
            assert self.release.wait(TIMEOUT), "the test never released the derivation"
            return original(key_spec, seed, reproducible=reproducible)

        monkeypatch.setattr(_keypairs, "derive_secret", slow)


def run(target: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    results: list[object] = []
    thread = threading.Thread(target=lambda: results.append(target()), daemon=True)
    thread.start()
    return thread, results


OPERATIONS_THAT_GENERATE: dict[str, Callable[[KMSClient, str, str], object]] = {
    "Sign": lambda c, signing, _: c.sign(
        KeyId=signing, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256"
    ),
    "GenerateDataKeyPair": lambda c, _, symmetric: c.generate_data_key_pair(
        KeyId=symmetric, KeyPairSpec="RSA_2048"
    ),
}


@pytest.mark.parametrize("operation", list(OPERATIONS_THAT_GENERATE))
def test_other_requests_go_on_while_a_pair_is_generated(
    kms: MockKMS, monkeypatch: pytest.MonkeyPatch, operation: str
) -> None:
    client, other = (boto3.client("kms", region_name=REGION) for _ in range(2))
    signing = client.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    symmetric = client.create_key()["KeyMetadata"]["KeyId"]
    slow = SlowDerivation(monkeypatch)
    generating, results = run(
        lambda: OPERATIONS_THAT_GENERATE[operation](client, signing["KeyId"], symmetric)
    )
    assert slow.started.wait(TIMEOUT)
    # Needs the backend's lock: would wait forever if the generation held it.
    described, answers = run(lambda: other.describe_key(KeyId=symmetric))
    described.join(TIMEOUT)
    assert answers, "DescribeKey waited for the key pair generation"
    slow.release.set()
    generating.join(TIMEOUT)
    assert len(results) == 1
    assert slow.count == 1


def test_concurrent_first_uses_derive_once(kms: MockKMS, monkeypatch: pytest.MonkeyPatch) -> None:
    clients = [boto3.client("kms", region_name=REGION) for _ in range(3)]
    key_id = clients[0].create_key(KeySpec="ECC_NIST_P384", KeyUsage="SIGN_VERIFY")["KeyMetadata"][
        "KeyId"
    ]
    slow = SlowDerivation(monkeypatch)
    threads = [
        run(functools.partial(c.sign, KeyId=key_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_384"))
        for c in clients
    ]
    assert slow.started.wait(TIMEOUT)
    slow.release.set()
    for thread, _ in threads:
        thread.join(TIMEOUT)
    assert [len(results) for _, results in threads] == [1, 1, 1]
    assert slow.count == 1
    public = serialization.load_der_public_key(clients[1].get_public_key(KeyId=key_id)["PublicKey"])
    assert isinstance(public, ec.EllipticCurvePublicKey)
    for _, results in threads:
        response: Any = results[0]
        public.verify(response["Signature"], b"m", ec.ECDSA(hashes.SHA384()))


def test_the_call_is_checked_again_after_the_lock_was_let_go(
    client: KMSClient, kms: MockKMS, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = client.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    other = boto3.client("kms", region_name=REGION)
    slow = SlowDerivation(monkeypatch)

    def sign() -> str:
        try:
            client.sign(KeyId=key["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
        except ClientError as error:
            return str(error.response["Error"]["Code"])
        return "signed"

    signing, outcome = run(sign)
    assert slow.started.wait(TIMEOUT)
    other.disable_key(KeyId=key["KeyId"])  # while the pair is being made
    slow.release.set()
    signing.join(TIMEOUT)
    assert outcome == ["DisabledException"]
    sign_events = [e for e in kms.audit_log if e["eventName"] == "Sign"]
    assert [e["errorCode"] for e in sign_events] == ["DisabledException"]
    assert client.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"] == {}


@pytest.fixture
def backend(clock: FrozenClock) -> Backend:
    return Backend(clock=clock, default_region=REGION, account_id=ACCOUNT, seed=1)


def test_derive_outside_lock_lets_go_of_the_one_level_dispatch_holds(backend: Backend) -> None:
    held_elsewhere: list[bool] = []

    def probe() -> None:
        got = backend.lock.acquire(timeout=TIMEOUT)
        held_elsewhere.append(got)
        if got:
            backend.lock.release()

    secret = LazySecret("HMAC_256", SEED, reproducible=True)
    original = _keypairs.derive_secret

    def derive(key_spec: str, seed: bytes, *, reproducible: bool) -> _keypairs.Secret:
        thread = threading.Thread(target=probe)
        thread.start()
        thread.join(TIMEOUT)
        return original(key_spec, seed, reproducible=reproducible)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_keypairs, "derive_secret", derive)
        with backend.lock:
            derive_outside_lock(backend, secret)
            # Taken back: another thread cannot get it now.
            assert not _acquired_by_another_thread(backend)
    assert held_elsewhere == [True]
    assert secret.peek() is not None


def _acquired_by_another_thread(backend: Backend) -> bool:
    got: list[bool] = []

    def attempt() -> None:
        acquired = backend.lock.acquire(timeout=0.05)
        got.append(acquired)
        if acquired:
            backend.lock.release()

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join(TIMEOUT)
    return got == [True]


def test_derive_outside_lock_held_twice_derives_under_it(backend: Backend) -> None:
    # A caller already inside the lock: the step out frees nothing, and the
    # key's own lock (a leaf) cannot deadlock: the secret is derived in place.
    secret = LazySecret("ECC_NIST_P256", SEED, reproducible=True)
    with backend.lock, backend.lock:
        derive_outside_lock(backend, secret)
        assert not _acquired_by_another_thread(backend)
    assert _acquired_by_another_thread(backend)  # both levels given back
    assert isinstance(secret.peek(), KeyPair)


def test_derive_outside_lock_without_the_lock(backend: Backend) -> None:
    secret = LazySecret("HMAC_224", SEED, reproducible=True)
    derive_outside_lock(backend, secret)
    derive_outside_lock(backend, secret)  # already derived: nothing to do
    assert secret.peek() == derive_secret("HMAC_224", SEED, reproducible=True)


def bare_key(spec: str, secret: LazySecret | bytes | None) -> Key:
    """A key made by hand (not stored): only its spec and secret (its one material) matter here."""
    arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k"
    key = Key("k", arn, ACCOUNT, REGION, CREATED, spec, "-", "AWS_KMS", "{}")
    if secret is not None:
        key.materials.add_current(KeyMaterial("m", secret, CREATED, None))
    return key


def test_lazy_secrets_reruns_the_handler_once_the_secret_is_ready(backend: Backend) -> None:
    key = bare_key("HMAC_256", LazySecret("HMAC_256", SEED, reproducible=True))
    runs: list[int] = []

    def handler(request: Any, params: dict[str, Any]) -> dict[str, Any]:
        runs.append(1)
        return {"Secret": hmac_secret(key)}

    class FakeRequest:
        def __init__(self) -> None:
            self.backend = backend

    response = lazy_secrets(handler)(FakeRequest(), {})  # type: ignore[arg-type]
    assert response == {"Secret": derive_secret("HMAC_256", SEED, reproducible=True)}
    assert len(runs) == 2  # first run: SecretPending; second: the secret is ready


def test_secret_accessors_guard_against_misuse() -> None:
    with pytest.raises(SecretPending) as pending:
        key_pair(bare_key("ECC_NIST_P256", LazySecret("ECC_NIST_P256", SEED, reproducible=True)))
    assert pending.value.secret.key_spec == "ECC_NIST_P256"
    hmac_key = LazySecret("HMAC_256", SEED, reproducible=True)
    hmac_key.derive()
    with pytest.raises(TypeError, match="is an HMAC key"):
        key_pair(bare_key("HMAC_256", hmac_key))
    pair = LazySecret("ECC_NIST_P256", SEED, reproducible=True)
    pair.derive()
    with pytest.raises(TypeError, match="is an asymmetric key"):
        hmac_secret(bare_key("ECC_NIST_P256", pair))
    with pytest.raises(RuntimeError, match="has no derived secret"):
        key_pair(bare_key(SYMMETRIC_DEFAULT, bytes(32)))  # AES material
    with pytest.raises(RuntimeError, match="has no derived secret"):
        key_pair(bare_key("RSA_2048", None))  # EXTERNAL, awaiting its import


# --- How: derived from the per-key seed --------------------------------------------------------

NON_RSA_SPECS = [
    spec
    for spec in KEY_SPECS
    if spec not in ("SYMMETRIC_DEFAULT", "SM2") and not spec.startswith("RSA")
]


def _fingerprint(secret: _keypairs.Secret) -> bytes:
    return secret if isinstance(secret, bytes) else secret.public_der


@pytest.mark.parametrize("spec", NON_RSA_SPECS)
def test_derivation_is_a_function_of_the_seed(spec: str) -> None:
    for reproducible in (True, False):  # only RSA depends on it
        first = derive_secret(spec, SEED, reproducible=reproducible)
        again = derive_secret(spec, SEED, reproducible=reproducible)
        assert _fingerprint(first) == _fingerprint(again)
    other = derive_secret(spec, bytes(32), reproducible=True)
    assert _fingerprint(other) != _fingerprint(first)
    if isinstance(first, KeyPair):
        private = serialization.load_der_private_key(first.private_pkcs8(), None)
        assert private.public_key() == first.public_key


def test_hmac_secrets_have_the_specs_length() -> None:
    for spec, size in (("HMAC_224", 28), ("HMAC_256", 32), ("HMAC_384", 48), ("HMAC_512", 64)):
        secret = derive_secret(spec, SEED, reproducible=True)
        assert isinstance(secret, bytes)
        assert len(secret) == size


def test_unseeded_rsa_keys_come_from_openssl() -> None:
    first = derive_secret("RSA_2048", SEED, reproducible=False)
    second = derive_secret("RSA_2048", SEED, reproducible=False)
    assert isinstance(first, KeyPair)
    assert isinstance(second, KeyPair)
    assert first.public_der != second.public_der


def test_seeded_rsa_keys_are_deterministic_and_sound() -> None:
    first = deterministic_rsa(2048, ByteStream(SEED, b"RSA_2048"))
    second = deterministic_rsa(2048, ByteStream(SEED, b"RSA_2048"))
    numbers = first.private_numbers()
    assert numbers == second.private_numbers()
    public = numbers.public_numbers
    assert (public.e, public.n.bit_length(), numbers.p * numbers.q) == (65537, 2048, public.n)
    assert abs(numbers.p - numbers.q).bit_length() > 1024 - 100
    assert numbers.d.bit_length() > 1024
    signature = first.sign(b"m", padding.PKCS1v15(), hashes.SHA256())
    first.public_key().verify(signature, b"m", padding.PKCS1v15(), hashes.SHA256())
    # derive_secret reaches it through a cache: the same key, paid for once.
    cached = derive_secret("RSA_2048", SEED, reproducible=True)
    assert cached is derive_secret("RSA_2048", SEED, reproducible=True)
    assert isinstance(cached, KeyPair)
    assert isinstance(cached.private_key, rsa.RSAPrivateKey)
    assert cached.private_key.private_numbers() == numbers


def _jacobi(a: int, n: int) -> int:
    """The Jacobi symbol (a/n) for odd n > 0, by quadratic reciprocity."""
    a, result = a % n, 1
    while a:
        while a % 2 == 0:
            a //= 2
            if n % 8 in (3, 5):
                result = -result
        a, n = n, a
        if a % 4 == n % 4 == 3:
            result = -result
        a %= n
    return result if n == 1 else 0


def _is_prime(n: int) -> bool:
    """Solovay-Strassen (Euler's criterion against the Jacobi symbol) with 40 fixed
    bases: a reference independent of the Miller-Rabin test being checked."""
    if n < 2 or n % 2 == 0:
        return n == 2
    return all(pow(a, (n - 1) // 2, n) == _jacobi(a, n) % n for a in range(2, min(n, 42)))


def test_random_primes() -> None:
    stream = ByteStream(SEED, b"primes")
    for bits in (17, 64, 80, 256):  # 17: windows that run past the top of the range
        for _ in range(5):
            p = random_prime(bits, stream)
            assert p.bit_length() == bits
            assert p >> (bits - 2) == 0b11  # top two bits: p * q has exactly 2 * bits bits
            assert _is_prime(p)
            assert (p - 1) % RSA_PUBLIC_EXPONENT != 0


def test_primes_too_close_together_are_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = ByteStream(SEED, b"RSA_2048")
    prime = random_prime(1024, stream)
    draws = iter([prime, prime])  # p = q: |p - q| is not above 2**(1024 - 100)
    real = _seeded_rsa.random_prime

    def close_then_real(bits: int, stream: ByteStream) -> int:
        return next(draws, None) or real(bits, stream)

    monkeypatch.setattr(_seeded_rsa, "random_prime", close_then_real)
    numbers = deterministic_rsa(2048, stream).private_numbers()
    assert next(draws, None) is None  # both were drawn, then refused
    assert numbers.p != numbers.q


def test_the_primality_test_rejects_strong_pseudoprimes() -> None:
    stream = ByteStream(SEED, b"mr")
    strong_pseudoprimes = [2047, 3215031751, 3825123056546413051]  # to bases 2; 2..7; 2..23
    carmichael = [561, 41041, 825265]
    for n in strong_pseudoprimes + carmichael + [(2**61 - 1) * (2**89 - 1)]:
        assert not _seeded_rsa._probably_prime(n, stream), n
    for n in (2**127 - 1, 2**521 - 1, 2**607 - 1):
        assert _seeded_rsa._probably_prime(n, stream)


def test_ec_scalars_out_of_range_are_drawn_again() -> None:
    class Draws(ByteStream):
        def __init__(self, values: list[int]) -> None:
            super().__init__(SEED, b"")
            self.values = values

        def integer(self, bits: int) -> int:
            return self.values.pop(0)

    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # P-256
    draws = Draws([0, order, 5])
    private = private_key_from("ECC_NIST_P256", draws, reproducible=True)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    assert private.private_numbers().private_value == 5
    assert draws.values == []


def test_no_pairs_of_unknown_specs() -> None:
    with pytest.raises(ValueError, match="no key pairs of key spec SM2"):
        derive_secret("SM2", SEED, reproducible=True)


def test_seeded_pairs_do_not_depend_on_the_order_of_first_use() -> None:
    specs = [
        ("ECC_NIST_P256", "SIGN_VERIFY"),
        ("ECC_NIST_EDWARDS25519", "SIGN_VERIFY"),
        ("ML_DSA_44", "SIGN_VERIFY"),
        ("ECC_NIST_P384", "KEY_AGREEMENT"),
    ]

    def public_keys(order: Callable[[list[str]], list[str]]) -> dict[str, bytes]:
        with mock_kms(clock=FrozenClock(START), seed=42):
            client = boto3.client("kms", region_name=REGION)
            key_ids = [
                client.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]["KeyId"]  # type: ignore[arg-type]
                for spec, usage in specs
            ]
            return {
                key_id: client.get_public_key(KeyId=key_id)["PublicKey"]
                for key_id in order(key_ids)
            }

    forwards = public_keys(list)
    backwards = public_keys(lambda ids: ids[::-1])
    assert forwards == backwards
    assert len(set(forwards.values())) == len(specs)


# --- What the installed cryptography cannot do -----------------------------------------------


def test_unsupported_key_specs() -> None:
    assert unsupported_reason("SM2") == "the cryptography package has no SM2"
    for spec in KEY_SPECS:
        if spec != "SM2":
            assert unsupported_reason(spec) is None, spec


@pytest.mark.parametrize(
    ("spec", "probe", "what"),
    [
        ("ML_DSA_65", "mldsa_supported", "ML-DSA"),
        ("ECC_NIST_EDWARDS25519", "ed25519_supported", "Ed25519"),
    ],
)
def test_a_build_without_an_algorithm_refuses_its_key_spec(
    client: KMSClient, monkeypatch: pytest.MonkeyPatch, spec: str, probe: str, what: str
) -> None:
    from cryptography.hazmat.backends.openssl.backend import backend as openssl

    monkeypatch.setattr(openssl, probe, lambda: False)
    reason = unsupported_reason(spec)
    assert reason is not None
    assert reason.startswith("cryptography ")
    assert reason.endswith(f" cannot do {what}")
    with pytest.raises(ClientError) as excinfo:
        client.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")  # type: ignore[arg-type]
    assert error_of(excinfo) == (
        "NotImplementedByKmsMock",
        f"not implemented by kms_mock: CreateKey with KeySpec {spec}: {reason}. kms_mock does "
        "not serve this yet; see the README's list of supported operations.",
        501,
    )
    assert client.list_keys()["Keys"] == []


# --- Ed25519ph (RFC 8032) -------------------------------------------------------------------

# RFC 8032 §7.3, test vector "Ed25519ph".
RFC_SECRET = bytes.fromhex("833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42")
RFC_PUBLIC = bytes.fromhex("ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf")
RFC_SIGNATURE = bytes.fromhex(
    "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae41"
    "31f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406"
)


def test_ed25519ph_rfc_8032_test_vector() -> None:
    public = ed25519.Ed25519PrivateKey.from_private_bytes(RFC_SECRET).public_key()
    assert public.public_bytes_raw() == RFC_PUBLIC
    assert ed25519ph_sign(RFC_SECRET, b"abc") == RFC_SIGNATURE
    assert ed25519ph_verify(RFC_PUBLIC, RFC_SIGNATURE, b"abc")


def test_ed25519ph_agrees_with_cryptographys_public_keys() -> None:
    # Signing derives the public key itself and hashes it into the signature:
    # verifying against cryptography's public key checks the curve arithmetic.
    stream = ByteStream(SEED, b"ed25519")
    for _ in range(5):
        private_bytes = stream.read(32)
        public = ed25519.Ed25519PrivateKey.from_private_bytes(private_bytes).public_key()
        message = stream.read(64)
        signature = ed25519ph_sign(private_bytes, message)
        assert ed25519ph_verify(public.public_bytes_raw(), signature, message)
        # ... and is not plain Ed25519 (dom2 separates them).
        with pytest.raises(InvalidSignature):
            public.verify(signature, message)


def test_ed25519ph_rejects_what_it_should() -> None:
    s_too_big = RFC_SIGNATURE[:32] + (2**253).to_bytes(32, "little")
    bad_point = b"\xff" * 32  # y >= p: no point
    minus_zero = (1 | 1 << 255).to_bytes(32, "little")  # x = 0 with the sign bit set
    cases = [
        (RFC_PUBLIC, RFC_SIGNATURE, b"abd"),
        (RFC_PUBLIC, bytes([RFC_SIGNATURE[0] ^ 1]) + RFC_SIGNATURE[1:], b"abc"),
        (RFC_PUBLIC, RFC_SIGNATURE[:-1] + bytes([RFC_SIGNATURE[-1] ^ 1]), b"abc"),
        (RFC_PUBLIC, s_too_big, b"abc"),
        (RFC_PUBLIC, RFC_SIGNATURE[:-1], b"abc"),
        (RFC_PUBLIC[:-1], RFC_SIGNATURE, b"abc"),
        (bad_point, RFC_SIGNATURE, b"abc"),
        (minus_zero, RFC_SIGNATURE, b"abc"),
        (RFC_PUBLIC, bad_point + RFC_SIGNATURE[32:], b"abc"),
        (hashlib.sha256(b"not a point?").digest(), RFC_SIGNATURE, b"abc"),
    ]
    for public, signature, message in cases:
        assert not ed25519ph_verify(public, signature, message)
