"""Suite-wide kms_mock settings, overriding the ini options."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def kms_mock_config() -> dict[str, object]:
    """Every test's mock: account 111122223333, and reproducible ids with seed 1234."""
    return {"account_id": "111122223333", "seed": 1234}
