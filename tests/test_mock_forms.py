"""Every form of ``mock_kms``: decorators, class decorators, context manager, start/stop.

Each activation starts with empty state; nesting shadows the outer mock until
the inner one ends; misuse is a UsageError whose message is tested verbatim.
"""

from __future__ import annotations

import asyncio
import io
import unittest
from typing import Any, assert_type

import boto3
import pytest
from botocore.exceptions import ClientError

from kms_mock import FrozenClock, MockKMS, UsageError, _active, mock_kms
from tests._helpers import backend_of, listed_key_ids, new_client, stored_key_ids

# -- bare decorator and decorator with arguments -------------------------------


def test_bare_decorator_serves_kms() -> None:
    @mock_kms
    def create_and_describe() -> str:
        client = new_client()
        key_id = client.create_key()["KeyMetadata"]["KeyId"]
        return client.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]

    assert _active.depth() == 0
    arn = create_and_describe()
    assert arn.startswith("arn:aws:kms:us-east-1:123456789012:key/")
    assert _active.depth() == 0


def test_decorator_with_region_and_account() -> None:
    @mock_kms(region="eu-west-1", account_id="111122223333")
    def create() -> tuple[str, str]:
        client = new_client("eu-west-1")
        metadata = client.create_key()["KeyMetadata"]
        return metadata["Arn"], metadata["AWSAccountId"]

    arn, account = create()
    assert arn.startswith("arn:aws:kms:eu-west-1:111122223333:key/")
    assert account == "111122223333"


def test_configured_region_serves_a_client_of_that_region() -> None:
    with mock_kms(region="eu-west-1", account_id="111122223333") as kms:
        client = new_client("eu-west-1")
        key_id = client.create_key()["KeyMetadata"]["KeyId"]
        assert stored_key_ids(kms, account="111122223333", region="eu-west-1") == [key_id]
        # Keys are regional: a us-east-1 client does not see it.
        assert listed_key_ids(new_client("us-east-1")) == []


def test_each_decorated_call_starts_empty() -> None:
    @mock_kms
    def count_after_creating_one() -> int:
        client = new_client()
        client.create_key()
        return len(listed_key_ids(client))

    assert count_after_creating_one() == 1
    assert count_after_creating_one() == 1


def test_return_value_passes_through() -> None:
    sentinel = object()

    @mock_kms
    def give(value: object, *, twice: bool = False) -> tuple[object, bool]:
        return value, twice

    assert give(sentinel, twice=True) == (sentinel, True)


def test_exception_passes_through_and_mock_stops() -> None:
    class Boom(Exception):
        pass

    @mock_kms
    def fail() -> None:
        assert _active.depth() == 1
        raise Boom("inside")

    with pytest.raises(Boom, match=r"^inside$"):
        fail()
    assert _active.depth() == 0


def test_wraps_keeps_name_and_doc() -> None:
    def original(a: int) -> int:
        """The docstring."""
        return a

    decorated = mock_kms(original)
    assert decorated.__name__ == "original"
    assert decorated.__doc__ == "The docstring."
    assert decorated.__wrapped__ is original  # type: ignore[attr-defined]

    async def coroutine() -> None:
        """Async docstring."""

    decorated_coroutine = mock_kms(region="eu-west-1")(coroutine)
    assert decorated_coroutine.__name__ == "coroutine"
    assert decorated_coroutine.__doc__ == "Async docstring."


# -- async --------------------------------------------------------------------


def test_async_function_decorated() -> None:
    @mock_kms(region="eu-west-1")
    async def create_after_await() -> tuple[str, int]:
        await asyncio.sleep(0)
        client = new_client("eu-west-1")
        arn = client.create_key()["KeyMetadata"]["Arn"]
        await asyncio.sleep(0)
        return arn, _active.depth()

    assert asyncio.iscoroutinefunction(create_after_await)
    assert _active.depth() == 0
    arn, depth = asyncio.run(create_after_await())
    assert arn.startswith("arn:aws:kms:eu-west-1:123456789012:key/")
    assert depth == 1
    assert _active.depth() == 0


def test_async_exception_passes_through() -> None:
    @mock_kms
    async def fail() -> None:
        raise LookupError("async failure")

    with pytest.raises(LookupError, match=r"^async failure$"):
        asyncio.run(fail())
    assert _active.depth() == 0


# -- class decorators ---------------------------------------------------------


def test_plain_class_each_method_fresh_state() -> None:
    @mock_kms(region="eu-west-1", account_id="111122223333")
    class TestPlain:
        created: list[str] = []  # noqa: RUF012  (shared across methods on purpose)

        def test_create(self) -> list[str]:
            client = new_client("eu-west-1")
            self.created.append(client.create_key()["KeyMetadata"]["Arn"])
            return listed_key_ids(client)

        def test_list(self) -> list[str]:
            return listed_key_ids(new_client("eu-west-1"))

        def helper(self) -> int:
            return _active.depth()

    instance = TestPlain()
    first = instance.test_create()
    assert len(first) == 1
    assert instance.created[0].startswith("arn:aws:kms:eu-west-1:111122223333:key/")
    # A key created in one method is absent in the next.
    assert instance.test_list() == []
    assert instance.test_create() != first
    # Only test* methods are wrapped.
    assert instance.helper() == 0
    assert _active.depth() == 0


def test_plain_class_static_class_and_inherited_methods() -> None:
    class Base:
        def test_inherited(self) -> int:
            return _active.depth()

    @mock_kms
    class TestMethods(Base):
        @staticmethod
        def test_static() -> int:
            return _active.depth()

        @classmethod
        def test_class(cls) -> str:
            return cls.__name__

        async def test_async(self) -> int:
            return _active.depth()

    instance = TestMethods()
    assert instance.test_static() == 1
    assert TestMethods.test_static() == 1
    assert instance.test_class() == "TestMethods"
    assert instance.test_inherited() == 1
    assert asyncio.run(instance.test_async()) == 1
    # The undecorated base class is left as it was.
    assert Base().test_inherited() == 0


def test_class_decorator_returns_the_same_class() -> None:
    class TestSame:
        def test_one(self) -> None:
            pass

    assert mock_kms(TestSame) is TestSame


def test_unittest_testcase_decorated() -> None:
    events: list[tuple[str, int, int]] = []

    @mock_kms(region="eu-west-1")
    class TestKMS(unittest.TestCase):
        def setUp(self) -> None:
            self.client = new_client("eu-west-1")
            self.key_id = self.client.create_key()["KeyMetadata"]["KeyId"]
            events.append(("setUp", _active.depth(), len(listed_key_ids(self.client))))

        def tearDown(self) -> None:
            events.append(("tearDown", _active.depth(), len(listed_key_ids(self.client))))

        def test_key_from_setup_is_there(self) -> None:
            metadata = self.client.describe_key(KeyId=self.key_id)["KeyMetadata"]
            assert metadata["Arn"].startswith("arn:aws:kms:eu-west-1:")
            events.append(("test_a", _active.depth(), len(listed_key_ids(self.client))))

        def test_fresh_state(self) -> None:
            # Only this test's setUp key: the other test's key is gone.
            events.append(("test_b", _active.depth(), len(listed_key_ids(self.client))))

        def test_failure_is_reported(self) -> None:
            self.fail("reported as a failure")

    suite = unittest.TestLoader().loadTestsFromTestCase(TestKMS)
    result = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0).run(suite)

    assert result.testsRun == 3
    assert result.errors == []
    assert [test.id().rsplit(".", 1)[-1] for test, _ in result.failures] == [
        "test_failure_is_reported"
    ]
    assert "AssertionError: reported as a failure" in result.failures[0][1]
    # setUp and tearDown run inside the mock, each test with one key (its own).
    assert sorted(set(events)) == [
        ("setUp", 1, 1),
        ("tearDown", 1, 1),
        ("test_a", 1, 1),
        ("test_b", 1, 1),
    ]
    assert len(events) == 3 + 3 + 2
    assert _active.depth() == 0


def test_unittest_async_testcase_decorated() -> None:
    depths: list[tuple[str, int]] = []

    @mock_kms
    class TestAsync(unittest.IsolatedAsyncioTestCase):
        async def asyncSetUp(self) -> None:
            depths.append(("asyncSetUp", _active.depth()))

        async def test_inside(self) -> None:
            await asyncio.sleep(0)
            depths.append(("test", len(listed_key_ids(new_client()))))

        async def asyncTearDown(self) -> None:
            depths.append(("asyncTearDown", _active.depth()))

    suite = unittest.TestLoader().loadTestsFromTestCase(TestAsync)
    result = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0).run(suite)
    assert result.wasSuccessful()
    assert depths == [("asyncSetUp", 1), ("test", 0), ("asyncTearDown", 1)]
    assert _active.depth() == 0


def test_unittest_setup_failure_still_stops_the_mock() -> None:
    @mock_kms
    class TestBrokenSetUp(unittest.TestCase):
        def setUp(self) -> None:
            raise RuntimeError("setUp failed")

        def test_never_runs(self) -> None:
            raise AssertionError("not reached")

    suite = unittest.TestLoader().loadTestsFromTestCase(TestBrokenSetUp)
    result = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0).run(suite)
    assert result.testsRun == 1
    assert len(result.errors) == 1
    assert "RuntimeError: setUp failed" in result.errors[0][1]
    assert _active.depth() == 0


# -- context manager and manual start/stop ------------------------------------


def test_context_manager_yields_the_handle(clock: FrozenClock) -> None:
    mock = mock_kms(clock=clock, region="eu-west-1")
    with mock as kms:
        assert kms is mock
        assert isinstance(kms, MockKMS)
        assert kms.active
        assert kms.clock is clock
        assert kms.region == "eu-west-1"
        assert kms.clock.now().isoformat() == "2025-01-01T00:00:00+00:00"
        metadata = new_client("eu-west-1").create_key()["KeyMetadata"]
        assert metadata["CreationDate"].isoformat() == "2025-01-01T00:00:00+00:00"
    assert not mock.active


def test_manual_start_stop() -> None:
    mock = mock_kms()
    assert repr(mock) == "<MockKMS inactive region=us-east-1 account_id=123456789012>"
    with pytest.raises(UsageError) as excinfo:
        _ = mock.audit_log_dropped
    assert str(excinfo.value) == (
        "this MockKMS has never been active: use it as a decorator or context manager, "
        "or call start() first."
    )
    assert mock.start() is mock
    try:
        assert repr(mock) == "<MockKMS active region=us-east-1 account_id=123456789012>"
        client = new_client()
        key_id = client.create_key()["KeyMetadata"]["KeyId"]
        assert stored_key_ids(mock) == [key_id]
    finally:
        mock.stop()
    assert _active.depth() == 0
    # The last activation's state stays readable until the next start.
    assert stored_key_ids(mock) == [key_id]


def test_restart_starts_empty() -> None:
    mock = mock_kms()
    with mock:
        new_client().create_key()
        assert len(listed_key_ids(new_client())) == 1
    with mock:
        assert listed_key_ids(new_client()) == []


def test_stop_is_idempotent() -> None:
    mock = mock_kms()
    mock.stop()  # never started: nothing to do
    mock.start()
    mock.stop()
    mock.stop()
    assert _active.depth() == 0
    assert not mock.active


def test_start_twice_is_a_usage_error() -> None:
    mock = mock_kms()
    with mock:
        with pytest.raises(UsageError) as excinfo:
            mock.start()
        assert str(excinfo.value) == (
            "this MockKMS is already active; call stop() first, or nest a new "
            "mock_kms(...) to start from empty state inside it."
        )
        # Still active, still serving.
        assert _active.depth() == 1
        assert listed_key_ids(new_client()) == []


# -- nesting ------------------------------------------------------------------


def test_nested_activations() -> None:
    client = new_client()
    with mock_kms() as outer:
        outer_key = client.create_key()["KeyMetadata"]["KeyId"]
        with mock_kms() as inner:
            # The inner mock starts empty and serves the same client.
            assert listed_key_ids(client) == []
            inner_key = client.create_key()["KeyMetadata"]["KeyId"]
            assert listed_key_ids(client) == [inner_key]
            assert backend_of(inner) is not backend_of(outer)
        # The outer state is back, without the inner key.
        assert listed_key_ids(client) == [outer_key]
    assert _active.depth() == 0


def test_stopping_outer_first_leaves_inner_serving() -> None:
    client = new_client()
    outer = mock_kms().start()
    inner = mock_kms().start()
    try:
        key_id = client.create_key()["KeyMetadata"]["KeyId"]
        outer.stop()
        assert _active.depth() == 1
        assert listed_key_ids(client) == [key_id]
    finally:
        inner.stop()
        outer.stop()
    assert _active.depth() == 0


def test_nested_decorated_functions() -> None:
    @mock_kms(region="eu-west-1")
    def inner() -> list[str]:
        return listed_key_ids(new_client("eu-west-1"))

    @mock_kms(region="eu-west-1")
    def outer() -> tuple[list[str], list[str], list[str]]:
        client = new_client("eu-west-1")
        client.create_key()
        before = listed_key_ids(client)
        during = inner()
        after = listed_key_ids(client)
        return before, during, after

    before, during, after = outer()
    assert len(before) == 1
    assert during == []
    assert after == before


# -- invalid arguments --------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"region": "Mars"}, "region='Mars' is not an AWS region name such as 'us-east-1'."),
        ({"region": ""}, "region='' is not an AWS region name such as 'us-east-1'."),
        ({"region": None}, "region=None is not an AWS region name such as 'us-east-1'."),
        (
            {"account_id": 123456789012},
            "account_id=123456789012 is not an AWS account id: use 12 digits, as a "
            "string, such as '123456789012'.",
        ),
        (
            {"account_id": "1234"},
            "account_id='1234' is not an AWS account id: use 12 digits, as a "
            "string, such as '123456789012'.",
        ),
        ({"seed": "7"}, "seed='7' must be an int (or None for OS randomness)."),
        ({"seed": True}, "seed=True must be an int (or None for OS randomness)."),
        ({"seed": 1.5}, "seed=1.5 must be an int (or None for OS randomness)."),
    ],
)
def test_invalid_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError) as excinfo:
        mock_kms(**kwargs)
    assert str(excinfo.value) == message
    assert _active.depth() == 0


def test_decorating_a_non_callable() -> None:
    with pytest.raises(UsageError) as excinfo:
        mock_kms(42)  # type: ignore[call-overload]
    assert str(excinfo.value) == (
        "mock_kms cannot decorate 42: decorate a function, a coroutine function or "
        "a class, or use it as a context manager."
    )
    with pytest.raises(UsageError, match=r"^mock_kms cannot decorate 'eu-west-1'"):
        mock_kms(region="eu-west-1")("eu-west-1")  # type: ignore[call-overload]


def test_usage_error_is_a_kms_mock_error() -> None:
    from kms_mock import KmsMockError

    assert issubclass(UsageError, KmsMockError)


# -- typing (checked by mypy --strict over this file) -------------------------


def test_types_for_mypy_users(clock: FrozenClock) -> None:
    with mock_kms() as kms:
        assert_type(kms, MockKMS)
        assert_type(kms.clock.now().isoformat(), str)
    with mock_kms(clock=clock, seed=1) as seeded:
        assert_type(seeded, MockKMS)
        assert seeded.clock is clock
    assert_type(mock_kms(region="eu-west-1"), MockKMS)

    @mock_kms
    def add(a: int, b: int = 1) -> int:
        return a + b

    @mock_kms(seed=3)
    async def name(prefix: str) -> str:
        return prefix + "x"

    @mock_kms
    class TestTyped:
        def test_it(self) -> int:
            return _active.depth()

    # The decorated callables keep their signatures (not ``Any``).
    assert_type(add(1), int)
    assert_type(asyncio.run(name("a")), str)
    assert_type(TestTyped().test_it(), int)
    assert add(1, b=2) == 3
    assert asyncio.run(name("a")) == "ax"
    assert TestTyped().test_it() == 1


def test_a_decorators_on_demand_rotation_limit_reaches_every_call() -> None:
    mock = mock_kms()
    mock.on_demand_rotation_limit = 1

    @mock
    def rotate_twice() -> str:
        client = boto3.client("kms", region_name="us-east-1")
        key_id = client.create_key()["KeyMetadata"]["KeyId"]
        client.rotate_key_on_demand(KeyId=key_id)
        with pytest.raises(ClientError) as excinfo:
            client.rotate_key_on_demand(KeyId=key_id)
        return str(excinfo.value.response["Error"]["Code"])

    assert rotate_twice() == "LimitExceededException"
