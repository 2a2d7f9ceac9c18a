"""Which activation serves a call, and what one activation covers.

* A call is served by the activation its own thread or asyncio task entered;
  a thread that entered none (a worker of the code under test) by the most
  recent one in the process.
* A decorated class: one activation per test, covering its setup and teardown;
  class-level code in an activation of its own. Decorated generators: for as
  long as they are iterated.
* Every decorated call starts at the clock instant the decorator was given.
* After ``stop()``, the last activation stays readable until the next start.
* A clock is checked when the mock is made.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from kms_mock import FrozenClock, SystemClock, UsageError, _active, mock_kms
from tests._helpers import listed_key_ids, new_client

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

START = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)


def _key_rotating_quarterly() -> tuple[KMSClient, str]:
    """A client and a new key of the active mock that rotates every 90 days."""
    client = new_client()
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    client.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    return client, key_id


# -- concurrent activations -------------------------------------------------------------


def test_threads_in_their_own_mocks_see_only_their_own_keys() -> None:
    both_active = threading.Barrier(2)
    both_created = threading.Barrier(2)
    seen: dict[str, list[str]] = {}
    failures: list[BaseException] = []

    def work(name: str) -> None:
        try:
            with mock_kms():
                both_active.wait(timeout=10)
                client = new_client()
                created = client.create_key(Description=name)["KeyMetadata"]["KeyId"]
                both_created.wait(timeout=10)
                seen[name] = listed_key_ids(client)
                assert seen[name] == [created]
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    assert len(seen["a"]) == len(seen["b"]) == 1
    assert seen["a"] != seen["b"]


def test_gathered_coroutines_each_keep_their_own_state() -> None:
    @mock_kms
    async def make_keys(count: int) -> list[str]:
        client = new_client()
        for _ in range(count):
            client.create_key()
            await asyncio.sleep(0)  # let the other coroutine run in between
        return listed_key_ids(client)

    async def both() -> list[list[str]]:
        return list(await asyncio.gather(make_keys(2), make_keys(3)))

    two, three = asyncio.run(both())
    assert (len(two), len(three)) == (2, 3)
    assert not set(two) & set(three)
    assert _active.depth() == 0


def test_a_worker_thread_is_served_by_the_most_recent_activation() -> None:
    # The code under test starts a thread: it entered no mock, so it is served
    # by the newest one in the process, whichever thread entered that.
    answers: list[list[str]] = []

    def worker() -> None:
        answers.append(listed_key_ids(new_client()))

    with mock_kms():
        new_client().create_key()
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join(timeout=30)
        with mock_kms():
            thread = threading.Thread(target=worker)
            thread.start()
            thread.join(timeout=30)
    assert [len(keys) for keys in answers] == [1, 0]


def test_a_thread_inside_its_own_mock_ignores_newer_ones_elsewhere() -> None:
    inside = threading.Event()
    newer_started = threading.Event()
    answers: list[int] = []

    def work() -> None:
        with mock_kms():
            new_client().create_key()
            inside.set()
            newer_started.wait(timeout=10)
            answers.append(len(listed_key_ids(new_client())))

    thread = threading.Thread(target=work)
    thread.start()
    inside.wait(timeout=10)
    with mock_kms():  # newer, entered by the main thread
        newer_started.set()
        thread.join(timeout=30)
        assert listed_key_ids(new_client()) == []
    assert answers == [1]


def test_a_mock_stopped_from_another_thread_serves_no_more() -> None:
    mock = mock_kms().start()
    stopper = threading.Thread(target=mock.stop)
    stopper.start()
    stopper.join(timeout=30)
    assert _active.depth() == 0
    with mock_kms():
        assert listed_key_ids(new_client()) == []  # the new one, not the stopped one
    assert not mock.active


# -- a decorated class: one activation per test --------------------------------------


def test_a_decorated_class_covers_its_setup_teardown_and_fixtures(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With credentials configured, a call made outside a mock would be signed
    # and sent: the suite's network guard turns that into a failure.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    pytester.makepyfile(
        test_lifecycle="""
        import boto3
        import pytest

        from kms_mock import mock_kms

        EVENTS = []


        def keys():
            return len(boto3.client("kms", region_name="us-east-1").list_keys()["Keys"])


        def create():
            boto3.client("kms", region_name="us-east-1").create_key()


        @mock_kms
        class TestLifecycle:
            @classmethod
            def setup_class(cls):
                EVENTS.append(("setup_class", keys()))
                create()

            @classmethod
            def teardown_class(cls):
                EVENTS.append(("teardown_class", keys()))

            @pytest.fixture(scope="class")
            def class_key(self):
                EVENTS.append(("class fixture", keys()))
                create()

            def setup_method(self, method):
                EVENTS.append(("setup_method " + method.__name__, keys()))
                create()

            def teardown_method(self):
                EVENTS.append(("teardown_method", keys()))

            @pytest.fixture
            def plain(self):
                EVENTS.append(("fixture", keys()))

            @pytest.fixture
            def yielding(self):
                create()
                yield
                EVENTS.append(("yield fixture teardown", keys()))

            def test_a(self, class_key, plain, yielding):
                EVENTS.append(("test_a", keys()))

            def test_b(self):
                EVENTS.append(("test_b", keys()))


        def test_events():
            assert EVENTS == [
                ("setup_class", 0),
                ("class fixture", 1),
                ("setup_method test_a", 0),
                ("fixture", 1),
                ("test_a", 2),
                ("yield fixture teardown", 2),
                ("teardown_method", 2),
                ("setup_method test_b", 0),
                ("test_b", 1),
                ("teardown_method", 1),
                ("teardown_class", 2),
            ]
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=3)
    assert _active.depth() == 0


def test_a_failing_setup_method_still_stops_its_mock() -> None:
    @mock_kms
    class TestBroken:
        def setup_method(self) -> None:
            raise RuntimeError("setup failed")

        def test_never_runs(self) -> None:
            raise AssertionError("not reached")

    test = TestBroken()
    with pytest.raises(RuntimeError, match="setup failed"):
        test.setup_method()
    assert _active.depth() == 0


def test_a_decorated_subclass_of_a_decorated_class_activates_once() -> None:
    depths: list[int] = []

    @mock_kms
    class Base:
        def setup_method(self) -> None:
            depths.append(_active.depth())

        def test_inherited(self) -> int:
            return _active.depth()

    @mock_kms(region="eu-west-1")
    class Child(Base):
        pass

    test = Child()
    test.setup_method()
    assert test.test_inherited() == 1
    test.teardown_method()  # type: ignore[attr-defined]
    assert depths == [1]
    assert _active.depth() == 0


def test_a_test_method_called_without_setup_gets_its_own_mock() -> None:
    @mock_kms
    class TestPlain:
        def test_creates(self) -> int:
            new_client().create_key()
            return len(listed_key_ids(new_client()))

    test = TestPlain()
    assert test.test_creates() == 1
    assert test.test_creates() == 1  # fresh each call
    assert _active.depth() == 0


# -- decorated generators -------------------------------------------------------------


def test_a_decorated_generator_is_inside_the_mock_while_iterated() -> None:
    @mock_kms
    def keys_made() -> Iterator[int]:
        client = new_client()
        client.create_key()
        yield len(listed_key_ids(client))
        client.create_key()
        yield len(listed_key_ids(client))

    generator = keys_made()
    assert _active.depth() == 0  # nothing runs before the first next()
    assert next(generator) == 1
    assert _active.depth() == 1
    assert next(generator) == 2
    with pytest.raises(StopIteration):
        next(generator)
    assert _active.depth() == 0


def test_a_closed_decorated_generator_stops_its_mock() -> None:
    @mock_kms
    def endless() -> Generator[int, None, None]:
        while True:
            yield len(listed_key_ids(new_client()))

    generator = endless()
    assert next(generator) == 0
    generator.close()
    assert _active.depth() == 0


def test_a_decorated_async_generator_is_inside_the_mock_while_iterated() -> None:
    @mock_kms
    async def keys_made() -> AsyncGenerator[int, str]:
        client = new_client()
        client.create_key()
        received = yield len(listed_key_ids(client))
        assert received == "more"
        client.create_key()
        yield len(listed_key_ids(client))

    async def consume() -> tuple[list[int], int]:
        generator: Any = keys_made()
        first = await generator.__anext__()
        second = await generator.asend("more")
        depth = _active.depth()
        with pytest.raises(StopAsyncIteration):
            await generator.__anext__()
        return [first, second], depth

    counts, depth = asyncio.run(consume())
    assert counts == [1, 2]
    assert depth == 1
    assert _active.depth() == 0


def test_an_exception_thrown_into_a_decorated_async_generator_reaches_it() -> None:
    caught: list[str] = []

    @mock_kms
    async def guarded() -> AsyncIterator[int]:
        try:
            yield 1
        except ValueError as error:
            caught.append(str(error))
            yield 2

    async def throw() -> int:
        generator: Any = guarded()
        await generator.__anext__()
        value: int = await generator.athrow(ValueError("thrown"))
        await generator.aclose()
        return value

    assert asyncio.run(throw()) == 2
    assert caught == ["thrown"]
    assert _active.depth() == 0


def test_a_decorated_yield_fixture_covers_its_teardown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_fixture="""
        import boto3
        import pytest

        from kms_mock import mock_kms

        SEEN = []


        @pytest.fixture
        @mock_kms
        def client():
            client = boto3.client("kms", region_name="us-east-1")
            client.create_key()
            yield client
            SEEN.append(len(client.list_keys()["Keys"]))


        def test_uses_it(client):
            client.create_key()
            assert len(client.list_keys()["Keys"]) == 2


        def test_teardown_was_inside():
            assert SEEN == [2]
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2)


# -- every decorated call starts at the configured instant ------------------------------


def test_each_decorated_test_starts_at_the_configured_instant() -> None:
    clock = FrozenClock(START)

    @mock_kms(clock=clock)
    class TestDates:
        def test_a_year_on(self) -> str:
            client = new_client()
            key_id = client.create_key()["KeyMetadata"]["KeyId"]
            client.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
            clock.advance(days=365)  # the clock the test holds drives its mock
            rotations = client.list_key_rotations(KeyId=key_id)["Rotations"]
            assert len(rotations) == 4
            return client.create_key()["KeyMetadata"]["CreationDate"].isoformat()

    test = TestDates()
    for _ in range(2):
        test.setup_method()  # type: ignore[attr-defined]
        try:
            assert test.test_a_year_on() == "2026-01-01T00:00:00+00:00"
        finally:
            test.teardown_method()  # type: ignore[attr-defined]
    assert clock.now() == START + _dt.timedelta(days=365)  # where the last test left it


def test_each_call_of_a_decorated_function_starts_at_the_configured_instant() -> None:
    clock = FrozenClock("2025-06-01T00:00:00Z")

    @mock_kms(clock=clock)
    def created_at() -> _dt.datetime:
        when = new_client().create_key()["KeyMetadata"]["CreationDate"]
        clock.advance(days=30)
        return when

    assert created_at() == created_at() == _dt.datetime(2025, 6, 1, tzinfo=_dt.UTC)


def test_a_decorated_system_clock_starts_each_call_without_the_last_offset() -> None:
    clock = SystemClock()
    clock.advance(days=1)

    @mock_kms(clock=clock)
    def offset_then_advance() -> str:
        shown = repr(clock)
        clock.advance(days=10)
        return shown

    assert offset_then_advance() == offset_then_advance() == "SystemClock(offset=1 day, 0:00:00)"


def test_a_context_manager_does_not_rewind_its_clock() -> None:
    clock = FrozenClock(START)
    mock = mock_kms(clock=clock)
    with mock:
        clock.advance(days=1)
    with mock:
        assert clock.now() == START + _dt.timedelta(days=1)


# -- readable after stop --------------------------------------------------------------


def test_the_last_activation_stays_readable_until_the_next_start() -> None:
    clock = FrozenClock(START)
    with mock_kms(clock=clock) as kms:
        client, key_id = _key_rotating_quarterly()
        blob = client.encrypt(KeyId=key_id, Plaintext=b"kept")["CiphertextBlob"]
    assert not kms.active
    assert [event["eventName"] for event in kms.audit_log] == [
        "CreateKey",
        "EnableKeyRotation",
        "Encrypt",
    ]
    (material,) = kms.key_materials(key_id)
    assert kms.inspect_ciphertext(blob).key_material_id == material.key_material_id
    # Read-only: moving the clock after the stop rotates nothing.
    clock.advance(days=365)
    assert len(kms.key_materials(key_id)) == 1
    assert len(kms.audit_log) == 3
    with kms:
        assert kms.audit_log == []
        with pytest.raises(UsageError, match=r"^no key "):
            kms.key_materials(key_id)


class Sundial:
    """A clock with only ``now()``: the mock hears of no move until it reads the time."""

    def __init__(self) -> None:
        self.when = START

    def __repr__(self) -> str:
        return f"Sundial({self.when.isoformat()})"

    def now(self) -> _dt.datetime:
        return self.when


def test_events_due_at_the_stop_are_in_the_final_state() -> None:
    sundial = Sundial()
    with mock_kms(clock=sundial) as kms:
        _, key_id = _key_rotating_quarterly()
        sundial.when += _dt.timedelta(days=91)
    sundial.when += _dt.timedelta(days=91)  # after the stop: changes nothing
    assert [material.rotation_type for material in kms.key_materials(key_id)] == [None, "AUTOMATIC"]


def test_a_mock_never_started_has_nothing_to_read() -> None:
    with pytest.raises(UsageError) as excinfo:
        _ = mock_kms().audit_log
    assert str(excinfo.value) == (
        "this MockKMS has never been active: use it as a decorator or context manager, "
        "or call start() first."
    )


# -- the clock is checked when the mock is made ---------------------------------------


@pytest.mark.parametrize(
    ("clock", "message"),
    [
        (
            "2025-01-01T00:00:00Z",
            "clock='2025-01-01T00:00:00Z' is a time, not a clock: pass "
            "FrozenClock('2025-01-01T00:00:00Z') for a clock that stands still there "
            "until the test moves it.",
        ),
        (
            START,
            f"clock={START!r} is a time, not a clock: pass FrozenClock({START!r}) for a "
            "clock that stands still there until the test moves it.",
        ),
        (
            42,
            "clock=42 is not a clock: pass a FrozenClock, a SystemClock, or an object with "
            "a now() method returning a timezone-aware datetime (the kms_mock.Clock protocol).",
        ),
    ],
)
def test_a_bad_clock_is_refused_at_once(clock: Any, message: str) -> None:
    with pytest.raises(UsageError) as excinfo:
        mock_kms(clock=clock)
    assert str(excinfo.value) == message


def test_a_clock_that_gives_naive_times_is_refused() -> None:
    class Naive:
        def __repr__(self) -> str:
            return "Naive()"

        def now(self) -> _dt.datetime:
            return _dt.datetime(2025, 1, 1)

    with pytest.raises(UsageError) as excinfo:
        mock_kms(clock=Naive())
    assert str(excinfo.value) == (
        "clock=Naive() is not a clock: its now() returned datetime.datetime(2025, 1, 1, 0, 0), "
        "where a timezone-aware datetime (such as datetime.now(timezone.utc)) is needed."
    )


def test_a_clock_class_is_refused_at_once() -> None:
    # The class itself has a now(), which fails for want of an instance.
    with pytest.raises(UsageError) as excinfo:
        mock_kms(clock=FrozenClock)  # type: ignore[call-overload]
    assert str(excinfo.value) == (
        f"clock={FrozenClock!r} is a class, not a clock: pass an instance of it, "
        "such as FrozenClock()."
    )


def test_a_clock_whose_now_needs_arguments_is_refused_at_once() -> None:
    class Dial:
        def __repr__(self) -> str:
            return "Dial()"

        def now(self, zone: _dt.tzinfo) -> _dt.datetime:
            return _dt.datetime.now(zone)

    with pytest.raises(UsageError) as excinfo:
        mock_kms(clock=Dial())  # type: ignore[call-overload]
    assert str(excinfo.value) == (
        "clock=Dial() is not a clock: calling its now() raised TypeError: "
        f"{_type_error_of(Dial().now)} (a clock's now() takes no arguments and returns "
        "a timezone-aware datetime)."
    )


def _type_error_of(method: Any) -> str:
    """What Python says when ``method`` is called without arguments."""
    with pytest.raises(TypeError) as excinfo:
        method()
    return str(excinfo.value)


def test_a_clock_with_only_now_drives_the_mock() -> None:
    sundial = Sundial()
    with mock_kms(clock=sundial) as kms:
        client, key_id = _key_rotating_quarterly()
        sundial.when += _dt.timedelta(days=91)
        # Unheard of until the mock reads the time: the next request (or inspection).
        assert len(kms.key_materials(key_id)) == 2
        rotation = client.list_key_rotations(KeyId=key_id)["Rotations"][0]
        assert rotation["RotationDate"] == START + _dt.timedelta(days=90)
