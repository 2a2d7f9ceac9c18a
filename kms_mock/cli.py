"""The ``kms-mock`` console script (also ``python -m kms_mock``).

``demo`` tells kms_mock's stories step by step, each step with its wall time,
through a real boto3 client inside ``mock_kms`` on a :class:`FrozenClock`.
A story is a function of :class:`Narrator`; :data:`STORIES` lists them in the
order the demo tells them, so a new story is one function and one entry.

``serve`` (the HTTP endpoint for non-Python clients) is not built yet: it says
so and exits with status 2.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

import boto3
from botocore.exceptions import ClientError

from . import __version__
from ._clock import FrozenClock
from ._mock import mock_kms

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

DEMO_START = "2025-01-01T00:00:00Z"
DEMO_REGION = "us-east-1"
DEMO_ALIAS = "alias/kms-mock-demo"
# Reproducible key ids, so that two runs of the demo print the same story.
DEMO_SEED = 2025

SERVE_NOT_IMPLEMENTED = (
    "kms-mock serve: the HTTP server mode is not implemented yet.\n"
    "Use kms_mock in-process for now: `with mock_kms(): ...` around code that makes "
    "boto3 KMS clients (see the README)."
)


def _utc(when: _dt.datetime) -> str:
    # botocore hands timestamps back in the local time zone; the story speaks UTC.
    return when.astimezone(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _error(error: ClientError) -> str:
    details = error.response.get("Error", {})
    return f"{details.get('Code')}: {details.get('Message')}"


class Narrator:
    """What a story gets: the client, the clock, and a way to tell each step."""

    def __init__(self, client: KMSClient, clock: FrozenClock, out: TextIO) -> None:
        self.client = client
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

    def advance(self, days: int) -> None:
        """Move the clock forward, as a timed step."""
        with self.step(f"clock.advance(days={days})") as lines:
            lines.append(f"now {_utc(self.clock.advance(days=days))}")


def lifecycle_story(story: Narrator) -> None:
    """A key with an alias, scheduled for deletion, deleted by the clock on its date."""
    story.title("The key lifecycle: a 7-day deletion window, executed by the clock")
    story.say(f"clock: FrozenClock({DEMO_START!r}), now {_utc(story.clock.now())}")
    client = story.client
    with story.step("CreateKey (the first call also loads botocore's KMS model)") as lines:
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

# The demo tells these in order; the rotation story joins them when rotation lands.
STORIES: tuple[Story, ...] = (lifecycle_story,)


def demo(out: TextIO) -> int:
    """Tell every story in :data:`STORIES` on a fresh mock; print the total wall time."""
    print(
        f"kms_mock {__version__} demo: a real boto3 client, served in-process by mock_kms\n"
        "(no AWS account, no credentials, no network). Times are wall times.",
        file=out,
    )
    started = time.perf_counter()
    clock = FrozenClock(DEMO_START)
    simulated_from = clock.now()
    with mock_kms(clock=clock, region=DEMO_REGION, seed=DEMO_SEED):
        # A session of its own: the demo leaves boto3's default session untouched.
        client = boto3.session.Session(region_name=DEMO_REGION).client("kms")
        narrator = Narrator(client, clock, out)
        narrator.timed(
            (time.perf_counter() - started) * 1000,
            f'boto3.session.Session(region_name="{DEMO_REGION}").client("kms")',
        )
        try:
            for story in STORIES:
                story(narrator)
        except ClientError as error:
            print(f"\nThe demo failed: {_error(error)}", file=out)
            return 1
    total_ms = (time.perf_counter() - started) * 1000
    simulated = clock.now() - simulated_from
    print(
        f"\nTotal wall time: {total_ms:.1f} ms (boto3 client creation included) "
        f"for {simulated.days} simulated days.",
        file=out,
    )
    return 0


def serve(err: TextIO) -> int:
    """Not built yet: say so, and fail with status 2."""
    print(SERVE_NOT_IMPLEMENTED, file=err)
    return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kms-mock",
        description="kms_mock: an in-process mock of AWS KMS for Python test suites.",
    )
    parser.add_argument("--version", action="version", version=f"kms-mock {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("demo", help="tell the key lifecycle story on a frozen clock, with timings")
    commands.add_parser("serve", help="HTTP endpoint for non-Python clients (not implemented yet)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``kms-mock`` command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(sys.stdout)
    if args.command == "serve":
        return serve(sys.stderr)
    parser.print_help(sys.stderr)
    return 2
