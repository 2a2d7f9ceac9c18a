"""The ``kms-mock`` console script (also ``python -m kms_mock``).

``demo`` tells kms_mock's stories step by step, each step with its wall time,
through a real boto3 client. Each story runs in a fresh ``mock_kms`` on its
own :class:`FrozenClock` starting at :data:`DEMO_START`, so every story's
dates read the same however many stories come before it. A story is a
function of :class:`Narrator`; :data:`STORIES` lists them in the order the
demo tells them, so a new story is one function and one entry.

``serve`` runs the HTTP endpoint (:mod:`kms_mock.server`) for non-Python
clients such as the AWS CLI, until SIGINT or SIGTERM; ``clock show|advance|move-to``
move a running server's clock, and ``faults add|list|remove|clear`` its fault
rules, through its control routes.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import signal
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

import boto3
from botocore.exceptions import ClientError

from . import __version__
from ._clock import Clock, FrozenClock, SystemClock
from ._control import ADVANCE_UNITS, CONTROL_PREFIX, utc_text
from ._errors import UsageError
from ._mock import MockKMS, mock_kms
from ._settings import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_AUDIT_LOG_LIMIT,
    DEFAULT_REGION,
    RULE_KINDS,
    check_audit_log_limit,
)
from .server import DEFAULT_HOST, DEFAULT_PORT, KmsServer

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

DEMO_START = "2025-01-01T00:00:00Z"
DEMO_REGION = "us-east-1"
DEMO_ALIAS = "alias/kms-mock-demo"
# Reproducible key ids and material ids, so that two runs of the demo print the
# same story. Story number i (from 0) uses DEMO_SEED + i: each story its own keys.
DEMO_SEED = 2025
# The rotation story: a decade of the default yearly rotation, in one advance.
DECADE_DAYS = 3650
DEMO_PLAINTEXT = b"written on 2025-01-01"
# ListKeyRotations is read through boto3's paginator, a few entries per page.
ROTATIONS_PAGE_SIZE = 4

# Where ``kms-mock clock`` finds the server unless told: ``kms-mock serve``'s default.
SERVE_ENDPOINT = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _utc(when: _dt.datetime) -> str:
    # botocore hands timestamps back in the local time zone; the story speaks UTC.
    return when.astimezone(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _error(error: ClientError) -> str:
    details = error.response.get("Error", {})
    return f"{details.get('Code')}: {details.get('Message')}"


class Narrator:
    """What a story gets: the client, the mock's handle and clock, and a way to tell each step."""

    def __init__(self, client: KMSClient, kms: MockKMS, clock: FrozenClock, out: TextIO) -> None:
        self.client = client
        self.kms = kms
        self.clock = clock
        self._out = out

    def timed(self, elapsed_ms: float, action: str) -> None:
        """A line for a step that took ``elapsed_ms`` of wall time."""
        print(f"[{elapsed_ms:7.2f} ms] {action}", file=self._out)

    def title(self, text: str) -> None:
        """Start a story."""
        print(f"\n{text}\n{'-' * len(text)}", file=self._out)

    def say(self, text: str) -> None:
        """A line without a timing (a fact, or what comes next)."""
        print(f"{'':13}{text}", file=self._out)

    @contextmanager
    def step(self, action: str) -> Iterator[list[str]]:
        """Time the block; print ``action``, its wall time and the lines it collected."""
        lines: list[str] = []
        started = time.perf_counter()
        try:
            yield lines
        finally:
            self.timed((time.perf_counter() - started) * 1000, action)
            for line in lines:
                self.say(f"-> {line}")

    def key_state(self, key_id: str) -> str:
        """DescribeKey's answer as one line: the state (and deletion date), or the error."""
        try:
            metadata = self.client.describe_key(KeyId=key_id)["KeyMetadata"]
        except ClientError as error:
            return _error(error)
        line = f"KeyState {metadata['KeyState']}"
        if "DeletionDate" in metadata:
            line += f", DeletionDate {_utc(metadata['DeletionDate'])}"
        return line

    def advance(self, days: int) -> float:
        """Move the clock forward, as a timed step; returns its wall time in ms."""
        started = time.perf_counter()
        now = self.clock.advance(days=days)
        elapsed_ms = (time.perf_counter() - started) * 1000
        self.timed(elapsed_ms, f"clock.advance(days={days})")
        self.say(f"-> now {_utc(now)}")
        return elapsed_ms


def rotation_story(story: Narrator) -> None:
    """A key rotating yearly for ten years in one clock move; its old ciphertext still opens."""
    story.title("Key rotation on the clock: a decade of yearly rotations in one advance")
    story.say(f"clock: FrozenClock({DEMO_START!r}), now {_utc(story.clock.now())}")
    client, kms = story.client, story.kms
    with story.step("CreateKey (the first call also loads botocore's KMS model)") as lines:
        key = client.create_key(Description="kms_mock rotation demo key")["KeyMetadata"]
        key_id = key["KeyId"]
        original = key["CurrentKeyMaterialId"]
        lines.append(f"KeyId {key_id}")
        lines.append(f"CurrentKeyMaterialId {original}")
    with story.step("EnableKeyRotation (RotationPeriodInDays: the default, 365)"):
        client.enable_key_rotation(KeyId=key_id)
    with story.step("GetKeyRotationStatus") as lines:
        status = client.get_key_rotation_status(KeyId=key_id)
        lines.append(
            f"KeyRotationEnabled {status['KeyRotationEnabled']}, "
            f"RotationPeriodInDays {status['RotationPeriodInDays']}, "
            f"NextRotationDate {_utc(status['NextRotationDate'])}"
        )
    with story.step(f"Encrypt Plaintext={DEMO_PLAINTEXT!r}") as lines:
        blob = client.encrypt(KeyId=key_id, Plaintext=DEMO_PLAINTEXT)["CiphertextBlob"]
        made_with = kms.inspect_ciphertext(blob).key_material_id
        lines.append(f"CiphertextBlob of {len(blob)} bytes")
        lines.append(f"kms.inspect_ciphertext(blob).key_material_id {made_with}")
    decade_ms = story.advance(DECADE_DAYS)
    with story.step("Decrypt the ten-year-old CiphertextBlob") as lines:
        decrypted = client.decrypt(CiphertextBlob=blob)
        first = kms.key_materials(key_id)[0]
        lines.append(f"Plaintext {decrypted['Plaintext']!r}")
        lines.append(f"KeyMaterialId {decrypted['KeyMaterialId']}")
        same = first.key_material_id == decrypted["KeyMaterialId"]
        lines.append(
            f"kms.key_materials(key_id)[0]: the ORIGINAL material of {_utc(first.date)}, "
            + ("the same id" if same else "ANOTHER id")
        )
    action = (
        f"ListKeyRotations via boto3's paginator, PageSize={ROTATIONS_PAGE_SIZE} "
        "(its first use loads the paginator model)"
    )
    with story.step(action) as lines:
        pages = client.get_paginator("list_key_rotations").paginate(
            KeyId=key_id, PaginationConfig={"PageSize": ROTATIONS_PAGE_SIZE}
        )
        page_count, entries = 0, []
        for page in pages:
            page_count += 1
            entries.extend(page["Rotations"])
        lines.append(f"{len(entries)} rotations in {page_count} pages, oldest first:")
        lines.extend(
            f"{_utc(entry['RotationDate'])}  {entry['RotationType']}  "
            f"{entry['KeyMaterialState']:<11}  {entry['KeyMaterialId'][:16]}..."
            for entry in entries
        )
    story.say(
        "Each dated on its schedule, every 365 days from the enable date "
        "(leap years pull the calendar date back a day)."
    )
    with story.step("DescribeKey") as lines:
        metadata = client.describe_key(KeyId=key_id)["KeyMetadata"]
        lines.append(f"KeyId {metadata['KeyId']} (unchanged)")
        lines.append(f"CurrentKeyMaterialId {metadata['CurrentKeyMaterialId']}")
    automatic = sum(entry["RotationType"] == "AUTOMATIC" for entry in entries)
    story.say(
        f"A simulated decade ({DECADE_DAYS} days, {automatic} automatic rotations) "
        f"took {decade_ms:.2f} ms of wall time."
    )


def lifecycle_story(story: Narrator) -> None:
    """A key with an alias, scheduled for deletion, deleted by the clock on its date."""
    story.title("The key lifecycle: a 7-day deletion window, executed by the clock")
    story.say(f"clock: FrozenClock({DEMO_START!r}), now {_utc(story.clock.now())}")
    client = story.client
    with story.step("CreateKey") as lines:
        key = client.create_key(Description="kms_mock demo key")["KeyMetadata"]
        key_id = key["KeyId"]
        lines.append(f"KeyId {key_id}")
        lines.append(f"KeyState {key['KeyState']}, CreationDate {_utc(key['CreationDate'])}")
    with story.step(f"CreateAlias {DEMO_ALIAS}"):
        client.create_alias(AliasName=DEMO_ALIAS, TargetKeyId=key_id)
    with story.step(f"DescribeKey {DEMO_ALIAS}") as lines:
        lines.append(story.key_state(DEMO_ALIAS))
    with story.step("ScheduleKeyDeletion PendingWindowInDays=7") as lines:
        scheduled = client.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
        lines.append(
            f"KeyState {scheduled['KeyState']}, DeletionDate {_utc(scheduled['DeletionDate'])}"
        )
    story.advance(6)
    with story.step("DescribeKey (day 6 of 7)") as lines:
        lines.append(story.key_state(key_id))
    story.advance(1)
    with story.step("DescribeKey (day 7: the deletion date)") as lines:
        lines.append(story.key_state(key_id))
    with story.step(f"DescribeKey {DEMO_ALIAS}") as lines:
        lines.append(story.key_state(DEMO_ALIAS))


Story = Callable[[Narrator], None]

# The demo tells these in order, each on a fresh mock and clock.
STORIES: tuple[Story, ...] = (rotation_story, lifecycle_story)


def demo(out: TextIO) -> int:
    """Tell every story in :data:`STORIES`, each on a fresh mock; print the total wall time."""
    print(
        f"kms_mock {__version__} demo: a real boto3 client, served in-process by mock_kms\n"
        "(no AWS account, no credentials, no network). Times are wall times.",
        file=out,
    )
    started = time.perf_counter()
    client: KMSClient | None = None
    simulated = _dt.timedelta(0)
    for number, story in enumerate(STORIES):
        clock = FrozenClock(DEMO_START)
        started_at = clock.now()
        with mock_kms(clock=clock, region=DEMO_REGION, seed=DEMO_SEED + number) as kms:
            if client is None:
                # Made inside a mock, so it needs no credentials; later mocks serve it
                # too. A session of its own leaves boto3's default session untouched.
                client = boto3.session.Session(region_name=DEMO_REGION).client("kms")
                Narrator(client, kms, clock, out).timed(
                    (time.perf_counter() - started) * 1000,
                    f'boto3.session.Session(region_name="{DEMO_REGION}").client("kms")',
                )
            try:
                story(Narrator(client, kms, clock, out))
            except ClientError as error:
                print(f"\nThe demo failed: {_error(error)}", file=out)
                return 1
            simulated += clock.now() - started_at
    total_ms = (time.perf_counter() - started) * 1000
    print(
        f"\nTotal wall time: {total_ms:.1f} ms (boto3 client creation included) "
        f"for {simulated.days} simulated days in {len(STORIES)} stories.",
        file=out,
    )
    return 0


def clock_option(value: str) -> Clock:
    """``--clock``: ``system``, or ``frozen:<ISO-8601 instant>``."""
    if value == "system":
        return SystemClock()
    kind, _, start = value.partition(":")
    if kind == "frozen" and start:
        try:
            return FrozenClock(start)
        except UsageError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
    raise argparse.ArgumentTypeError(
        f"{value!r} is not a clock: use system, or frozen:<ISO-8601> such as "
        "frozen:2025-01-01T00:00:00Z."
    )


def audit_log_limit_option(value: str) -> int | None:
    """``--audit-log-limit``: how many records the audit log keeps, or ``none`` for all."""
    if value == "none":
        return None
    try:
        return check_audit_log_limit(int(value))
    except (ValueError, UsageError):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a number of records >= 1; use none to keep every record."
        ) from None


def _clock_text(clock: Clock) -> str:
    if isinstance(clock, FrozenClock):
        return "frozen:" + utc_text(clock.now())
    return "system"


def _state_text(args: argparse.Namespace) -> str:
    if args.state is None:
        return ""
    return f" state={args.state}{' (read-only)' if args.read_only else ''}"


def serve(args: argparse.Namespace, out: TextIO) -> int:
    """Serve until SIGINT or SIGTERM; the first line says where, for a parent process to read."""
    kms = MockKMS(
        region=args.region,
        account_id=args.account_id,
        clock=args.clock,
        seed=args.seed,
        state=args.state,
        state_read_only=args.read_only,
        enforce_permissions=args.enforce_permissions,
        audit_log_limit=args.audit_log_limit,
    )
    server = KmsServer(kms, host=args.host, port=args.port)
    # Either signal ends the serving loop; the server then closes down cleanly.
    previous = {number: signal.signal(number, lambda *_: server.stop()) for number in STOP_SIGNALS}
    try:
        print(
            f"kms-mock serve: {server.url} region={kms.region} account={kms.account_id} "
            f"clock={_clock_text(kms.clock)}{_state_text(args)}",
            file=out,
            flush=True,
        )
        server.run()
    finally:
        server.stop()  # already stopped, unless the line could not be written
        for number, handler in previous.items():
            signal.signal(number, handler)
    return 0


def _control(endpoint: str, method: str, route: str, document: object = None) -> Any:
    """The JSON answer of a server's control route; an error answer raises UsageError."""
    body = None if document is None else json.dumps(document).encode()
    request = urllib.request.Request(
        endpoint.rstrip("/") + CONTROL_PREFIX + route, data=body, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        raise UsageError(f"{endpoint}: {_error_message(error)}") from None
    except urllib.error.URLError as error:
        raise UsageError(f"no kms-mock server answers at {endpoint}: {error.reason}") from None


def _error_message(error: urllib.error.HTTPError) -> str:
    with error:
        try:
            return str(json.load(error)["error"])
        except (ValueError, KeyError, TypeError):  # not a kms-mock server's answer
            return f"HTTP {error.code} {error.reason}"


def clock(args: argparse.Namespace, out: TextIO) -> int:
    """``clock show|advance|move-to``: a server's clock, printed as ISO-8601 UTC."""
    if args.clock_command == "advance":
        amounts = {unit: getattr(args, unit) for unit in ADVANCE_UNITS if getattr(args, unit)}
        answer = _control(args.endpoint, "POST", "clock/advance", amounts)
    elif args.clock_command == "move-to":
        answer = _control(args.endpoint, "POST", "clock/move-to", {"instant": args.instant})
    else:
        answer = _control(args.endpoint, "GET", "clock")
    print(answer["now"], file=out)
    return 0


def faults(args: argparse.Namespace, out: TextIO) -> int:
    """``faults add|list|remove|clear``: a server's fault rules, printed one a line."""
    if args.faults_command == "add":
        answer = _control(args.endpoint, "POST", "faults", _fault_document(args))
        rules = [answer]
    else:
        if args.faults_command == "list":
            answer = _control(args.endpoint, "GET", "faults")
        elif args.faults_command == "remove":
            answer = _control(args.endpoint, "DELETE", f"faults?id={args.id}")
        else:
            answer = _control(args.endpoint, "DELETE", "faults")
        # remove and clear print what is left, as list does
        rules = answer["rules"]
    for rule in rules:
        print(f"{rule['id']}  {rule['rule']}  fired {rule['fired']}", file=out)
    return 0


def _fault_document(args: argparse.Namespace) -> dict[str, Any]:
    """The body of ``POST faults`` for ``faults add``: the kind, its argument, the filters."""
    document: dict[str, Any] = {"kind": args.kind}
    if args.argument is not None:
        # error's code, delay's seconds; the server says what the others take.
        if args.kind == "delay":
            try:
                document["seconds"] = float(args.argument)
            except ValueError:
                raise UsageError(
                    f"delay takes a number of seconds, not {args.argument!r}."
                ) from None
        else:
            document["code"] = args.argument
    if args.operation:
        document["operation"] = args.operation[0] if len(args.operation) == 1 else args.operation
    filters = {
        "key": args.key,
        "times": args.times,
        "skip": args.skip,
        "probability": args.probability,
        "message": args.message,
    }
    document.update({name: value for name, value in filters.items() if value is not None})
    if args.mock_time:
        document["mock_time"] = True
    return document


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kms-mock",
        description="kms_mock: an in-process mock of AWS KMS for Python test suites.",
    )
    parser.add_argument("--version", action="version", version=f"kms-mock {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "demo", help="tell the key rotation and lifecycle stories on a frozen clock, with timings"
    )
    _serve_parser(commands.add_parser("serve", help="an HTTP endpoint for the AWS CLI and SDKs"))
    _clock_parser(commands.add_parser("clock", help="read or move a running server's clock"))
    _faults_parser(commands.add_parser("faults", help="a running server's fault rules"))
    return parser


def _serve_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"0 picks a free one (default {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--region", default=DEFAULT_REGION, help="Region of requests that name none"
    )
    parser.add_argument("--account-id", default=DEFAULT_ACCOUNT_ID, help="the account of every key")
    parser.add_argument(
        "--clock",
        type=clock_option,
        default="system",
        help="system (the default; clock advance offsets it), or frozen:<ISO-8601>",
    )
    parser.add_argument("--seed", type=int, help="reproducible key ids, material and nonces")
    parser.add_argument(
        "--audit-log-limit",
        type=audit_log_limit_option,
        default=DEFAULT_AUDIT_LOG_LIMIT,
        help=f"audit log records kept, the earliest dropped (default {DEFAULT_AUDIT_LOG_LIMIT}); "
        "none keeps every record",
    )
    parser.add_argument(
        "--enforce-permissions",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="whether key policies, IAM policies and grants decide each call (default: yes)",
    )
    _state_options(parser)


def _state_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state",
        metavar="FILE",
        help="keep the state in this SQLite file: loaded if it exists, created if not, "
        "every change written before it is answered",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="serve the --state file without writing to it (changes stay in memory)",
    )


def _clock_parser(parser: argparse.ArgumentParser) -> None:
    endpoint = argparse.ArgumentParser(add_help=False)
    endpoint.add_argument(
        "--endpoint", default=SERVE_ENDPOINT, help=f"the server (default {SERVE_ENDPOINT})"
    )
    verbs = parser.add_subparsers(dest="clock_command", metavar="ACTION", required=True)
    verbs.add_parser("show", parents=[endpoint], help="print the server's time")
    advance = verbs.add_parser("advance", parents=[endpoint], help="move the clock forward")
    for unit in ADVANCE_UNITS:
        advance.add_argument(f"--{unit}", type=float, default=0)
    move_to = verbs.add_parser("move-to", parents=[endpoint], help="move the clock to an instant")
    move_to.add_argument("instant", help="ISO-8601, such as 2030-01-01T00:00:00Z")


def _faults_parser(parser: argparse.ArgumentParser) -> None:
    endpoint = argparse.ArgumentParser(add_help=False)
    endpoint.add_argument(
        "--endpoint", default=SERVE_ENDPOINT, help=f"the server (default {SERVE_ENDPOINT})"
    )
    verbs = parser.add_subparsers(dest="faults_command", metavar="ACTION", required=True)
    add = verbs.add_parser(
        "add", parents=[endpoint], help="add a rule, as kms.faults.<kind>(...) does"
    )
    add.add_argument("kind", choices=RULE_KINDS)
    add.add_argument("argument", nargs="?", help="error: the error code; delay: seconds")
    add.add_argument("--operation", action="append", help="a KMS operation (repeatable)")
    add.add_argument("--key", help="a key id, key ARN, alias name or alias ARN")
    add.add_argument("--times", type=int, help="at most this many calls")
    add.add_argument("--skip", type=int, help="let this many matching calls pass first")
    add.add_argument("--probability", type=float, help="each matching call, with this chance")
    add.add_argument("--message", help="error: the message (default: AWS's)")
    add.add_argument("--mock-time", action="store_true", help="delay: move the mock's clock")
    verbs.add_parser("list", parents=[endpoint], help="print the rules in force")
    remove = verbs.add_parser("remove", parents=[endpoint], help="remove one rule")
    remove.add_argument("id", type=int, help="its id, as list prints it")
    verbs.add_parser("clear", parents=[endpoint], help="remove every rule")


def main(argv: list[str] | None = None) -> int:
    """Run the ``kms-mock`` command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(sys.stdout)
    try:
        if args.command == "serve":
            return serve(args, sys.stdout)
        if args.command == "clock":
            return clock(args, sys.stdout)
        if args.command == "faults":
            return faults(args, sys.stdout)
    except (UsageError, OSError) as error:
        # A bad setting, a port in use, a server that is not there: said in one line.
        print(f"kms-mock {args.command}: {error}", file=sys.stderr)
        return 1
    parser.print_help(sys.stderr)
    return 2
