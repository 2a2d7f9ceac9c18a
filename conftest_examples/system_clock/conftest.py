"""Time frozen by time-machine or freezegun; the mock's SystemClock follows it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import freezegun
import pytest
import time_machine
from freezegun.api import FrozenDateTimeFactory

START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def frozen_time() -> Iterator[time_machine.Traveller]:
    """Time stands still at 2025-01-01 (time-machine) until the test shifts it."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def freezer() -> Iterator[FrozenDateTimeFactory]:
    """Time stands still at 2025-01-01 (freezegun) until the test ticks it."""
    with freezegun.freeze_time(START) as frozen:
        assert isinstance(frozen, FrozenDateTimeFactory)
        yield frozen
