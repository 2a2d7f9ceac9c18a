"""kms_mock.server: the same answers over HTTP as in-process, AWS's transport errors,
the control routes, the Python server and its pytest fixture."""

from __future__ import annotations

import io
import json
import socket
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from botocore import UNSIGNED
from botocore.exceptions import ClientError

from kms_mock import FrozenClock, MockKMS, UsageError, _active, mock_kms
from kms_mock.server import KmsServer, make_app, serve
from tests._helpers import START, error_of, exactly, new_client
from tests._servers import (
    SIGNED,
    control,
    exchange,
    http_client,
    kms_request,
    loopback_only,  # noqa: F401  (the network guard of this module)
)

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

SEED = 20250101
WireAnswer = tuple[str, int, str, bytes]  # operation, status, x-amzn-RequestId, body


def record_wire_answers(client: KMSClient) -> list[WireAnswer]:
    """Every answer ``client`` gets from now on, as it came over the wire."""
    answers: list[WireAnswer] = []

    def record(http_response: Any, model: Any, **_: Any) -> None:
        request_id = http_response.headers["x-amzn-RequestId"]
        answers.append((model.name, http_response.status_code, request_id, http_response.content))

    client.meta.events.register("after-call.kms", record)
    return answers


def scenario(client: KMSClient, clock: FrozenClock) -> None:
    """A representative set of calls, errors and a clock move among them."""
    key_id = client.create_key(Description="served", Tags=[{"TagKey": "t", "TagValue": "v"}])[
        "KeyMetadata"
    ]["KeyId"]
    client.describe_key(KeyId=key_id)
    client.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    client.get_key_rotation_status(KeyId=key_id)
    blob = client.encrypt(KeyId=key_id, Plaintext=b"secret", EncryptionContext={"app": "x"})[
        "CiphertextBlob"
    ]
    client.create_alias(AliasName="alias/served", TargetKeyId=key_id)
    client.list_aliases(KeyId=key_id)
    client.generate_data_key(KeyId="alias/served", KeySpec="AES_256")
    signing = client.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    client.get_public_key(KeyId=signing["Arn"])
    failing: list[Callable[[], object]] = [
        lambda: client.describe_key(KeyId="fake-key-id"),
        lambda: client.create_alias(AliasName="no-prefix", TargetKeyId=key_id),
        lambda: client.decrypt(CiphertextBlob=b"x" * 200),
        lambda: client.generate_random(NumberOfBytes=2000),
        lambda: client.rotate_key_on_demand(KeyId=signing["KeyId"]),
    ]
    for call in failing:
        with pytest.raises(ClientError):
            call()
    clock.advance(days=91)
    client.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")
    client.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "x"})
    client.schedule_key_deletion(KeyId=signing["KeyId"], PendingWindowInDays=7)
    client.list_keys()


def test_answers_over_http_are_byte_for_byte_the_in_process_ones(
    request: pytest.FixtureRequest,
) -> None:
    sent: list[str] = request.getfixturevalue("_no_network")
    in_process_clock = FrozenClock(START)
    with mock_kms(clock=in_process_clock, seed=SEED):
        client = new_client()
        in_process = record_wire_answers(client)
        scenario(client, in_process_clock)
    assert sent == []

    server_clock = FrozenClock(START)
    with serve(mock_kms(clock=server_clock, seed=SEED)) as server:
        assert _active.active_backend() is None  # nothing in this process is intercepted
        client = http_client(server.url)
        over_http = record_wire_answers(client)
        scenario(client, server_clock)

    assert over_http == in_process
    assert len(over_http) == 19
    assert [status for _, status, _, _ in over_http].count(400) == 5
    # Every answer came over a socket from the server, none from the hook.
    assert len(sent) == len(over_http)
    assert {url.rstrip("/") for url in sent} == {server.url}


def test_modeled_errors_over_http_are_what_botocore_raises_in_process() -> None:
    with serve() as server:
        client = http_client(server.url)
        with pytest.raises(client.exceptions.NotFoundException) as excinfo:
            client.describe_key(KeyId="fake-key-id")
        assert error_of(excinfo) == ("NotFoundException", "Invalid keyId 'fake-key-id'", 400)
        with pytest.raises(client.exceptions.InvalidCiphertextException) as invalid:
            client.decrypt(CiphertextBlob=b"x" * 200)
        assert error_of(invalid) == ("InvalidCiphertextException", "", 400)
        assert "message" not in invalid.value.response


def test_region_comes_from_the_signing_region_of_each_client() -> None:
    with serve(mock_kms(region="us-west-2")) as server:
        europe = http_client(server.url, region="eu-west-1")
        arn = europe.create_key()["KeyMetadata"]["Arn"]
        assert arn.startswith("arn:aws:kms:eu-west-1:123456789012:key/")
        assert http_client(server.url, region="eu-west-1").list_keys()["Keys"] != []
        assert http_client(server.url, region="ap-south-1").list_keys()["Keys"] == []


# -- what AWS answers before any operation ---------------------------------------------------


def test_unsigned_request_gets_missing_authentication_token() -> None:
    with serve() as server:
        unsigned = http_client(server.url, signature_version=UNSIGNED)
        with pytest.raises(ClientError) as excinfo:
            unsigned.list_keys()
        assert error_of(excinfo) == (
            "MissingAuthenticationTokenException",
            "Request is missing Authentication Token",
            400,
        )
        assert server.kms.audit_log == []


def test_malformed_body_gets_serialization_exception() -> None:
    with serve() as server:
        headers = {
            "X-Amz-Target": "TrentService.CreateKey",
            "Authorization": SIGNED.format(region="us-east-1"),
        }
        status, answer_headers, body = exchange(server.url, "POST", "/", b"{not json", headers)
        assert (status, json.loads(body)) == (400, {"__type": "SerializationException"})
        assert answer_headers["content-type"] == "application/x-amz-json-1.1"
        assert answer_headers["x-amzn-requestid"]
        assert kms_request(server.url, "ListKeys")[1]["Keys"] == []


@pytest.mark.parametrize("target", ["TrentService.NoSuchOperation", "Other.ListKeys", None])
def test_unknown_target_gets_unknown_operation_exception(target: str | None) -> None:
    with serve() as server:
        headers = {"Authorization": SIGNED.format(region="us-east-1")} | (
            {"X-Amz-Target": target} if target else {}
        )
        status, _, body = exchange(server.url, "POST", "/", b"{}", headers)
        assert (status, json.loads(body)) == (400, {"__type": "UnknownOperationException"})


def test_a_mock_that_is_not_running_answers_503() -> None:
    kms = mock_kms()
    with serve(kms) as server:
        kms.stop()
        assert control(server.url, "GET", "health") == (
            503,
            {
                "error": "the mock behind this server is not running: start() it, or use "
                "kms_mock.server.serve(kms), which does."
            },
        )


# -- control routes ---------------------------------------------------------------------------


@pytest.fixture
def server() -> Any:
    """A server of a mock on a frozen clock at START, with its own state."""
    with serve(mock_kms(clock=FrozenClock(START), seed=SEED)) as running:
        yield running


def test_health(server: KmsServer) -> None:
    assert control(server.url, "GET", "health") == (
        200,
        {"status": "ok", "region": "us-east-1", "account_id": "123456789012"},
    )


def test_clock_read_advance_and_move_to(server: KmsServer) -> None:
    assert control(server.url, "GET", "clock") == (
        200,
        {"now": "2025-01-01T00:00:00Z", "clock": "FrozenClock('2025-01-01T00:00:00+00:00')"},
    )
    status, answer = control(server.url, "POST", "clock/advance", {"days": 365, "hours": 6})
    assert (status, answer["now"]) == (200, "2026-01-01T06:00:00Z")
    assert server.kms.clock.now().isoformat() == "2026-01-01T06:00:00+00:00"
    status, answer = control(
        server.url, "POST", "clock/move-to", {"instant": "2030-05-01T00:00:00Z"}
    )
    assert (status, answer["now"]) == (200, "2030-05-01T00:00:00Z")


def test_advancing_the_clock_rotates_keys_on_schedule(server: KmsServer) -> None:
    key_id = kms_request(server.url, "CreateKey")[1]["KeyMetadata"]["KeyId"]
    kms_request(server.url, "EnableKeyRotation", {"KeyId": key_id, "RotationPeriodInDays": 90})
    control(server.url, "POST", "clock/advance", {"days": 365})
    rotations = kms_request(server.url, "ListKeyRotations", {"KeyId": key_id})[1]["Rotations"]
    assert [entry["RotationType"] for entry in rotations] == ["AUTOMATIC"] * 4
    status, versions = control(server.url, "GET", f"key-materials?KeyId={key_id}")
    assert status == 200
    assert [version["rotation_type"] for version in versions] == [None, *["AUTOMATIC"] * 4]
    assert versions[1]["date"] == "2025-04-01T00:00:00Z"
    assert versions[-1]["state"] == "CURRENT"


def test_a_system_clock_is_offset() -> None:
    with serve() as server:
        before = server.kms.clock.now()
        status, answer = control(server.url, "POST", "clock/advance", {"days": 365})
        assert status == 200
        assert answer["clock"].startswith("SystemClock(offset=365 days")
        assert (server.kms.clock.now() - before).days == 365
        status, answer = control(server.url, "POST", "clock/move-to", {"instant": "9000-01-01"})
        assert (status, answer["now"][:10]) == (200, "9000-01-01")


def test_reset_empties_the_state(server: KmsServer) -> None:
    kms_request(server.url, "CreateKey")
    control(server.url, "POST", "clock/advance", {"days": 2})
    assert control(server.url, "POST", "reset")[0] == 200
    assert kms_request(server.url, "ListKeys")[1]["Keys"] == []
    assert control(server.url, "GET", "clock")[1]["now"] == "2025-01-03T00:00:00Z"


def test_audit_log_as_json_lines(server: KmsServer) -> None:
    kms_request(server.url, "CreateKey", region="eu-west-1")
    kms_request(server.url, "DescribeKey", {"KeyId": "fake-key-id"})
    status, headers, body = exchange(server.url, "GET", "/_kms_mock/audit-log")
    assert (status, headers["content-type"]) == (200, "application/x-ndjson")
    assert headers["x-kms-mock-audit-log-dropped"] == "0"
    events = [json.loads(line) for line in body.decode().splitlines()]
    assert [(event["eventName"], event["awsRegion"]) for event in events] == [
        ("CreateKey", "eu-west-1"),
        ("DescribeKey", "us-east-1"),
    ]
    assert events[1]["errorCode"] == "NotFoundException"
    assert events == server.kms.audit_log


def test_the_audit_log_records_each_callers_user_agent(server: KmsServer) -> None:
    client = http_client(server.url, user_agent_extra="my-app/1.2")
    sent: list[bytes] = []
    client.meta.events.register(
        "before-send.kms", lambda request, **_: sent.append(request.headers["User-Agent"])
    )
    client.list_keys()
    exchange(
        server.url,
        "POST",
        "/",
        b"{}",
        {"X-Amz-Target": "TrentService.ListKeys", "Authorization": SIGNED, "User-Agent": "curl/8"},
    )
    [header] = sent
    assert header.endswith(b" my-app/1.2")
    assert [event["userAgent"] for event in server.kms.audit_log] == [header.decode(), "curl/8"]


CONTROL_MISUSES = {
    "unknown unit": ("POST", "clock/advance", {"weeks": 1}, 400),
    "no amount": ("POST", "clock/advance", {}, 400),
    "not an object": ("POST", "clock/advance", [1], 400),
    "past the end of datetime": ("POST", "clock/advance", {"days": 10**7}, 400),
    "not a number": ("POST", "clock/advance", {"days": float("nan")}, 400),
    "infinite": ("POST", "clock/advance", {"seconds": float("inf")}, 400),
    "beyond a timedelta": ("POST", "clock/advance", {"seconds": 1e18}, 400),
    "a string amount": ("POST", "clock/advance", {"days": "1"}, 400),
    "past year 9999": ("POST", "clock/move-to", {"instant": "10000-01-01T00:00:00Z"}, 400),
    "backwards": ("POST", "clock/move-to", {"instant": "2020-01-01T00:00:00Z"}, 400),
    "not an instant": ("POST", "clock/move-to", {"instant": "soon"}, 400),
    "extra member": ("POST", "clock/move-to", {"instant": "2030-01-01", "x": 1}, 400),
    "unknown key": ("GET", "key-materials?KeyId=fake-key-id", None, 400),
    "no key": ("GET", "key-materials", None, 400),
    "wrong method": ("GET", "reset", None, 405),
    "unknown route": ("GET", "keys", None, 404),
}


@pytest.mark.parametrize(
    ("method", "route", "document", "status"), CONTROL_MISUSES.values(), ids=CONTROL_MISUSES.keys()
)
def test_control_misuse_is_an_error_that_says_what_to_do(
    server: KmsServer, method: str, route: str, document: object, status: int
) -> None:
    answered, answer = control(server.url, method, route, document)
    assert answered == status
    assert set(answer) == {"error"}
    assert control(server.url, "GET", "clock")[1]["now"] == "2025-01-01T00:00:00Z"


def test_control_messages(server: KmsServer) -> None:
    assert control(server.url, "POST", "clock/advance", {"weeks": 1})[1]["error"] == (
        "clock/advance takes an amount of days, hours, minutes, seconds "
        "(such as {'days': 365}), not {'weeks': 1}."
    )
    status, headers, body = exchange(server.url, "GET", "/_kms_mock/reset")
    assert (status, headers["allow"]) == (405, "POST")
    assert json.loads(body) == {"error": "reset answers POST, not GET."}
    assert control(server.url, "GET", "keys")[1]["error"].startswith(
        "no control route /_kms_mock/keys; the routes: GET /_kms_mock/health, GET /_kms_mock/clock"
    )
    status, _, body = exchange(server.url, "POST", "/_kms_mock/clock/advance", b"{days")
    assert (status, json.loads(body)) == (
        400,
        {"error": "clock/advance takes a JSON body; this one is not JSON."},
    )


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000 + b"]" * 100_000, b'{"days": ' + b"[" * 5000 + b"]" * 5000 + b"}"],
    ids=["nested 100,000 deep", "nested inside a member"],
)
def test_a_control_body_nested_deeper_than_json_goes_is_not_json(
    server: KmsServer, body: bytes
) -> None:
    # Deeper than Python's JSON parser goes: a 400 that says so, not a 500.
    status, _, answer = exchange(server.url, "POST", "/_kms_mock/clock/advance", body)
    assert (status, json.loads(answer)) == (
        400,
        {"error": "clock/advance takes a JSON body; this one is not JSON."},
    )
    assert control(server.url, "GET", "clock")[1]["now"] == "2025-01-01T00:00:00Z"


def test_a_clock_that_cannot_move() -> None:
    class Fixed:
        def now(self) -> Any:
            return FrozenClock(START).now()

    with serve(mock_kms(clock=Fixed())) as server:
        status, answer = control(server.url, "POST", "clock/advance", {"days": 1})
    assert status == 400
    assert answer["error"].endswith("has no advance(); it cannot be moved.")


# -- the Python server ------------------------------------------------------------------------


def test_serving_a_running_mock_shares_its_handle_and_leaves_it_running(kms: MockKMS) -> None:
    assert isinstance(kms.clock, FrozenClock)
    key_id = new_client().create_key()["KeyMetadata"]["KeyId"]  # in-process
    with serve(kms) as server:
        over_http = http_client(server.url)
        assert over_http.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
        over_http.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
        kms.clock.advance(days=7)
        with pytest.raises(over_http.exceptions.NotFoundException):
            over_http.describe_key(KeyId=key_id)
    assert kms.active
    assert kms.intercepting


def test_a_server_of_its_own_mock_stops_it_and_its_port_even_if_the_block_raised() -> None:
    server = serve()

    def fail_while_serving() -> None:
        with server:
            http_client(server.url).list_keys()
            raise RuntimeError("in the block")

    with pytest.raises(RuntimeError, match=exactly("in the block")):
        fail_while_serving()
    assert not server.kms.active
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((server.host, server.port), timeout=5)


def test_a_server_that_never_started_stops_cleanly() -> None:
    server = KmsServer(port=0)
    assert server.kms.active
    assert not server.kms.intercepting
    server.stop()
    server.stop()
    assert not server.kms.active


def test_server_url_and_repr() -> None:
    with serve() as server:
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert repr(server) == f"<KmsServer {server.url} serving {server.kms!r}>"


def test_make_app_is_a_wsgi_application() -> None:
    kms = mock_kms(clock=FrozenClock(START)).start(intercept=False)
    try:
        app = make_app(kms)
        started: list[tuple[str, list[tuple[str, str]]]] = []
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/_kms_mock/clock",
            "QUERY_STRING": "",
            "wsgi.input": io.BytesIO(),
        }
        body = b"".join(app(environ, lambda status, headers, *_: started.append((status, headers))))  # type: ignore[arg-type]
    finally:
        kms.stop()
    assert started[0][0] == "200 OK"
    assert json.loads(body)["now"] == "2025-01-01T00:00:00Z"


def test_kms_server_fixture_serves_the_tests_mock(
    kms_server: KmsServer, kms_mock: MockKMS, kms_clock: FrozenClock
) -> None:
    assert kms_server.kms is kms_mock
    key_id = kms_request(kms_server.url, "CreateKey")[1]["KeyMetadata"]["KeyId"]
    kms_request(kms_server.url, "EnableKeyRotation", {"KeyId": key_id})
    kms_clock.advance(days=365)
    assert [version.rotation_type for version in kms_mock.key_materials(key_id)] == [
        None,
        "AUTOMATIC",
    ]
    status, answer = kms_request(kms_server.url, "GetKeyRotationStatus", {"KeyId": key_id})
    assert (status, answer["NextRotationDate"]) == (200, 1798761600.0)  # 2027-01-01


def test_without_waitress_the_server_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "waitress.server", None)
    with pytest.raises(
        UsageError,
        match=exactly(
            "kms_mock's HTTP server needs waitress: pip install 'kms-mock[server]'. "
            "(make_app(kms) is a WSGI application for any other WSGI server.)"
        ),
    ):
        serve()
