"""Fault rules through the server: the ``/_kms_mock/faults`` control route, what a client
sees of a transport fault over HTTP (a dropped connection, an answer held back), botocore's
retries against it, and ``kms-mock faults``."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

import kms_mock.server
from kms_mock import FrozenClock, mock_kms
from kms_mock.cli import main
from kms_mock.server import KmsServer, serve
from tests._helpers import START
from tests._servers import (
    SIGNED,
    control,
    http_client,
    kms_request,
    loopback_only,  # noqa: F401  (the network guard of this module)
)

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

THROTTLE_CREATE_KEY = {
    "kind": "error",
    "code": "ThrottlingException",
    "operation": "CreateKey",
    "times": 2,
}


@pytest.fixture
def server() -> Iterator[KmsServer]:
    """A server of a mock of its own on a frozen clock."""
    with serve(mock_kms(clock=FrozenClock(START))) as running:
        yield running


@pytest.fixture
def backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore's sleeps between attempts, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr("botocore.endpoint.time.sleep", slept.append)
    return slept


def retrying_client(url: str, **config: Any) -> KMSClient:
    """A client of ``url`` in botocore's standard retry mode, three attempts."""
    return http_client(url, retries={"mode": "standard", "total_max_attempts": 3}, **config)


def raw_kms_request(url: str, operation: str) -> socket.socket:
    """A connected socket that has sent one signed KMS request (``ListKeys`` and such)."""
    host, port = url.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)), timeout=30)
    authorization = SIGNED.format(region="us-east-1")
    connection.sendall(
        f"POST / HTTP/1.1\r\nHost: {host}\r\nX-Amz-Target: TrentService.{operation}\r\n"
        f"Authorization: {authorization}\r\nContent-Length: 2\r\n\r\n{{}}".encode()
    )
    return connection


# -- the control route ------------------------------------------------------------------------


def test_a_throttling_rule_added_over_http_is_retried_by_botocore(
    server: KmsServer, backoff: list[float]
) -> None:
    status, added = control(server.url, "POST", "faults", THROTTLE_CREATE_KEY)
    assert (status, added["rule"], added["fired"]) == (
        200,
        "error('ThrottlingException', operation='CreateKey')",
        0,
    )
    client = retrying_client(server.url)

    created = client.create_key()

    assert created["ResponseMetadata"]["RetryAttempts"] == 2
    assert len(backoff) == 2
    assert len(client.list_keys()["Keys"]) == 1
    listed = control(server.url, "GET", "faults")
    assert listed == (200, {"rules": [added | {"fired": 2}]})
    events = [(event["eventName"], event.get("errorCode")) for event in server.kms.audit_log]
    assert events[:3] == [("CreateKey", "ThrottlingException")] * 2 + [("CreateKey", None)]


def test_rules_are_listed_removed_one_by_one_and_cleared(server: KmsServer) -> None:
    first = control(server.url, "POST", "faults", {"kind": "read_timeout", "key": "alias/app"})[1]
    control(
        server.url,
        "POST",
        "faults",
        {"kind": "delay", "seconds": 2, "mock_time": True, "operation": ["Encrypt", "Decrypt"]},
    )[1]
    server.kms.faults.connection_error(operation="ListKeys")  # added in Python: listed too
    rules = control(server.url, "GET", "faults")[1]["rules"]
    assert [rule["rule"] for rule in rules] == [
        "read_timeout(key='alias/app')",
        "delay(2, mock_time=True, operation=['Encrypt', 'Decrypt'])",
        "connection_error(operation='ListKeys')",
    ]
    assert len({rule["id"] for rule in rules}) == 3

    assert control(server.url, "DELETE", f"faults?id={first['id']}") == (
        200,
        {"rules": rules[1:]},
    )
    assert control(server.url, "DELETE", "faults") == (200, {"rules": []})
    assert server.kms.faults.rules == []


def test_a_delay_in_mock_time_moves_the_servers_clock(server: KmsServer) -> None:
    control(server.url, "POST", "faults", {"kind": "delay", "seconds": 60, "mock_time": True})
    http_client(server.url).list_keys()
    assert control(server.url, "GET", "clock")[1]["now"] == "2025-01-01T00:01:00Z"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"kind": "timeout"},
            "faults: 'kind' names the rule to add: one of error, connection_error, "
            "read_timeout, delay (not 'timeout').",
        ),
        (
            {"kind": "error", "code": "ThrottlingException", "when": "lambda p: True"},
            "faults: a 'when' predicate cannot travel over HTTP: match the calls by "
            "operation and key (or add the rule in Python).",
        ),
        (
            {"kind": "error", "code": "ThrottlingException", "time": 2},
            "faults: error takes code, message, operation, key, times, skip, probability; "
            "not time.",
        ),
        (
            {"kind": "delay", "operation": "ListKeys"},
            "faults: delay needs seconds (it takes seconds, mock_time, operation, key, times, "
            "skip, probability).",
        ),
        (
            {"kind": "error", "code": "Throttling"},
            "'Throttling' is not an error KMS returns: use ThrottlingException, an error shape "
            "of botocore's KMS model (did you mean 'ThrottlingException'?).",
        ),
        ({"kind": "error", "code": "NotFoundException", "times": 0}, "times=0 must be an int"),
        ([], "faults takes a JSON object such as {'kind': 'error', 'code': "),
    ],
)
def test_a_rule_the_route_cannot_add_is_refused_with_what_to_do(
    server: KmsServer, document: object, message: str
) -> None:
    status, answer = control(server.url, "POST", "faults", document)
    assert status == 400
    assert answer["error"].startswith(message)
    assert server.kms.faults.rules == []


@pytest.mark.parametrize(
    ("route", "message"),
    [
        ("faults?id=7", "no fault rule 7 on this server; its rules' ids: none."),
        ("faults?id=x", "faults?id= takes the id of one rule, as GET faults lists them."),
    ],
)
def test_removing_a_rule_that_is_not_there(server: KmsServer, route: str, message: str) -> None:
    assert control(server.url, "DELETE", route) == (400, {"error": message})


# -- transport faults over HTTP ---------------------------------------------------------------


def test_a_connection_error_drops_the_connection_without_an_answer(server: KmsServer) -> None:
    server.kms.faults.connection_error(operation="ListKeys", times=1)
    with raw_kms_request(server.url, "ListKeys") as connection:
        assert connection.recv(1) == b""  # closed, without a byte of answer
    assert server.kms.audit_log == []  # the call never reached the service


def test_a_connection_error_is_retried_by_botocore(server: KmsServer, backoff: list[float]) -> None:
    rule = {"kind": "connection_error", "operation": "CreateKey", "times": 1}
    control(server.url, "POST", "faults", rule)
    client = retrying_client(server.url)

    created = client.create_key()

    assert created["ResponseMetadata"]["RetryAttempts"] == 1
    assert len(client.list_keys()["Keys"]) == 1  # one state change


def test_a_read_timeout_holds_the_answer_until_botocore_gives_up(
    server: KmsServer, backoff: list[float]
) -> None:
    control(
        server.url, "POST", "faults", {"kind": "read_timeout", "operation": "CreateKey", "times": 1}
    )
    client = retrying_client(server.url, read_timeout=0.2)

    created = client.create_key()

    assert created["ResponseMetadata"]["RetryAttempts"] == 1
    assert len(client.list_keys()["Keys"]) == 1
    assert control(server.url, "GET", "faults")[1]["rules"][0]["fired"] == 1


def test_a_held_answer_ends_when_its_client_gives_up(monkeypatch: pytest.MonkeyPatch) -> None:
    # One worker thread: the next request is answered only once the held one has ended.
    monkeypatch.setattr(kms_mock.server, "THREADS", 1)
    with serve(mock_kms(clock=FrozenClock(START))) as server:
        server.kms.faults.read_timeout(operation="ListKeys", times=1)
        with raw_kms_request(server.url, "ListKeys") as connection:
            connection.settimeout(0.2)
            with pytest.raises(TimeoutError):  # held: no answer yet
                connection.recv(1)
        # The client gave up and closed its socket.
        status, answer = kms_request(server.url, "ListKeys")
        assert (status, answer["Keys"]) == (200, [])


def test_a_held_answer_ends_when_the_server_stops() -> None:
    server = serve(mock_kms(clock=FrozenClock(START))).start()
    try:
        server.kms.faults.read_timeout(operation="ListKeys")
        with raw_kms_request(server.url, "ListKeys") as connection:
            connection.settimeout(0.2)
            with pytest.raises(TimeoutError):  # held: no answer yet
                connection.recv(1)
            connection.settimeout(30)
            stopping = threading.Thread(target=server.stop)
            stopping.start()
            assert connection.recv(1) == b""  # closed, without an answer
            stopping.join()
    finally:
        server.stop()


# -- kms-mock faults -------------------------------------------------------------------------


def test_faults_commands_add_list_remove_and_clear(
    server: KmsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint = ["--endpoint", server.url]
    add = ["faults", "add", "error", "ThrottlingException", "--operation", "Encrypt"]
    assert main([*add, "--operation", "Decrypt", "--times", "2", *endpoint]) == 0
    assert (
        main(["faults", "add", "delay", "1.5", "--mock-time", "--key", "alias/a", *endpoint]) == 0
    )
    assert main(["faults", "add", "connection_error", "--probability", "0.5", *endpoint]) == 0
    assert main(["faults", "list", *endpoint]) == 0
    ids = [rule["id"] for rule in control(server.url, "GET", "faults")[1]["rules"]]
    assert main(["faults", "remove", str(ids[0]), *endpoint]) == 0
    assert main(["faults", "clear", *endpoint]) == 0

    out, err = capsys.readouterr()
    rules = [
        f"{ids[0]}  error('ThrottlingException', operation=['Encrypt', 'Decrypt'])  fired 0",
        f"{ids[1]}  delay(1.5, mock_time=True, key='alias/a')  fired 0",
        f"{ids[2]}  connection_error()  fired 0",
    ]
    assert (out, err) == ("\n".join([*rules, *rules, *rules[1:]]) + "\n", "")
    assert server.kms.faults.rules == []


def test_faults_command_says_what_the_server_refused(
    server: KmsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["faults", "add", "error", "--endpoint", server.url]) == 1
    assert capsys.readouterr() == (
        "",
        f"kms-mock faults: {server.url}: faults: error needs code (it takes code, message, "
        "operation, key, times, skip, probability).\n",
    )


def test_faults_add_delay_takes_a_number(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["faults", "add", "delay", "soon"]) == 1
    assert capsys.readouterr() == (
        "",
        "kms-mock faults: delay takes a number of seconds, not 'soon'.\n",
    )


def test_the_fault_route_body_is_the_kms_faults_call(server: KmsServer) -> None:
    # The route's document mirrors the Python call: the same rule, described the same.
    control(server.url, "POST", "faults", THROTTLE_CREATE_KEY)
    python_rule = server.kms.faults.error("ThrottlingException", operation="CreateKey", times=2)
    served, added = server.kms.faults.rules
    assert added is python_rule
    assert repr(served) == repr(python_rule)
