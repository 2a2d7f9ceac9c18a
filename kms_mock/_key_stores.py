"""Custom key stores: what one is, and its connection state, which the clock moves.

ConnectCustomKeyStore "starts the connection process, but it does not wait for it to
complete" (ConnectCustomKeyStore in botocore's model): the store is CONNECTING for
the backend's connection delay of mock time, then CONNECTED, or FAILED when a test
asked for a failure. DisconnectCustomKeyStore is DISCONNECTING for as long, then
DISCONNECTED. Each change ahead is one event in the backend's schedule, held by
the store so that a disconnect can cancel a connection still in progress.
"""

from __future__ import annotations

import datetime as _dt
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from ._errors import UsageError
from ._schedule import Schedule, ScheduledEvent, date_after
from ._shapes import service_model

# CustomKeyStoreType, and the Origin of the keys a store of that type holds.
CLOUDHSM: Final = "AWS_CLOUDHSM"
EXTERNAL_KEY_STORE: Final = "EXTERNAL_KEY_STORE"

# ConnectionState (CustomKeyStoresListEntry in botocore's model).
CONNECTED: Final = "CONNECTED"
CONNECTING: Final = "CONNECTING"
DISCONNECTED: Final = "DISCONNECTED"
DISCONNECTING: Final = "DISCONNECTING"
FAILED: Final = "FAILED"

# XksProxyConnectivity.
PUBLIC_ENDPOINT: Final = "PUBLIC_ENDPOINT"
VPC_ENDPOINT_SERVICE: Final = "VPC_ENDPOINT_SERVICE"

DEFAULT_CONNECTION_DELAY: Final = _dt.timedelta(seconds=5)

# ConnectionErrorCodes the model documents for "All custom key stores"; the XKS_
# ones are for external key stores only, every other one for CloudHSM key stores.
_ANY_STORE_ERRORS: Final = frozenset({"INTERNAL_ERROR", "NETWORK_ERRORS", "INVALID_CREDENTIALS"})


@dataclass(frozen=True, slots=True)
class XksProxy:
    """How KMS reaches an external key store's proxy (replaced whole on every update)."""

    connectivity: str
    uri_endpoint: str
    uri_path: str
    access_key_id: str
    raw_secret_access_key: str
    vpc_endpoint_service_name: str | None = None
    vpc_endpoint_service_owner: str | None = None


@dataclass(eq=False, slots=True)
class CustomKeyStore:
    """A CloudHSM key store (``cloud_hsm_*``, password) or an external one (``xks_proxy``)."""

    store_id: str
    name: str
    store_type: str
    created_at: _dt.datetime
    sequence: int = 0  # creation order in its store: DescribeCustomKeyStores pages by it
    cloud_hsm_cluster_id: str | None = None
    trust_anchor_certificate: str | None = None
    key_store_password: str | None = None
    xks_proxy: XksProxy | None = None
    connection_state: str = DISCONNECTED
    connection_error_code: str | None = None
    # A failure a test asked for: the connection in progress, or else the next, ends with it.
    failure: str | None = None
    transition: ScheduledEvent | None = None

    @property
    def connected(self) -> bool:
        """Whether its keys can be used: only while CONNECTED."""
        return self.connection_state == CONNECTED


_Ending = Callable[[CustomKeyStore], None]


def new_store_id(random_bytes: bytes) -> str:
    """A custom key store id as AWS forms them: ``cks-`` and 17 hex digits."""
    return "cks-" + random_bytes.hex()[:17]


def connect(
    schedule: Schedule, store: CustomKeyStore, now: _dt.datetime, delay: _dt.timedelta
) -> None:
    """ConnectCustomKeyStore on a DISCONNECTED store: CONNECTING until ``now + delay``."""
    store.connection_state = CONNECTING
    store.connection_error_code = None
    _after(schedule, store, now, delay, _connection_ends)


def disconnect(
    schedule: Schedule, store: CustomKeyStore, now: _dt.datetime, delay: _dt.timedelta
) -> None:
    """DisconnectCustomKeyStore: DISCONNECTING until ``now + delay`` (a connection stops)."""
    store.connection_state = DISCONNECTING
    store.connection_error_code = None
    _after(schedule, store, now, delay, _disconnection_ends)


def _after(
    schedule: Schedule,
    store: CustomKeyStore,
    now: _dt.datetime,
    delay: _dt.timedelta,
    ends: _Ending,
) -> None:
    """The state change under way ends at ``now + delay``, replacing any still ahead."""
    if store.transition is not None:
        schedule.cancel(store.transition)
    store.transition = None
    due = date_after(now, delay)
    if due is not None:  # None: past year 9999, the change never comes
        store.transition = schedule.add(due, lambda when: ends(store), store)


def resume(schedule: Schedule, store: CustomKeyStore, due: _dt.datetime) -> None:
    """A loaded state file's store, CONNECTING or DISCONNECTING: the change ends at ``due``."""
    ends = _connection_ends if store.connection_state == CONNECTING else _disconnection_ends
    store.transition = schedule.add(due, lambda when: ends(store), store)


def _connection_ends(store: CustomKeyStore) -> None:
    store.transition = None
    if store.failure is None:
        store.connection_state = CONNECTED
    else:
        store.connection_state, store.connection_error_code = FAILED, store.failure
        store.failure = None


def _disconnection_ends(store: CustomKeyStore) -> None:
    store.transition = None
    store.connection_state = DISCONNECTED


def connection_error_codes(store_type: str) -> list[str]:
    """The ConnectionErrorCodes a store of ``store_type`` can end FAILED with, from the model."""
    codes: list[str] = service_model().shape_for("ConnectionErrorCodeType").metadata["enum"]
    if store_type == EXTERNAL_KEY_STORE:
        return [code for code in codes if code.startswith("XKS_") or code in _ANY_STORE_ERRORS]
    return [code for code in codes if not code.startswith("XKS_")]


def fail_connection(stores: Mapping[str, CustomKeyStore], store_id: str, error_code: str) -> None:
    """Make the connection in progress of ``store_id``, or else its next, end FAILED."""
    store = stores.get(store_id)
    if store is None:
        known = ", ".join(stores) or "none yet"
        raise UsageError(
            f"no custom key store {store_id!r} exists in this mock (stores: {known}); pass "
            "the CustomKeyStoreId that CreateCustomKeyStore returned."
        )
    allowed = connection_error_codes(store.store_type)
    if error_code not in allowed:
        close = difflib.get_close_matches(str(error_code), allowed, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise UsageError(
            f"{error_code!r} is not a ConnectionErrorCode of a {store.store_type} key store; "
            f"use one of {', '.join(allowed)}.{hint}"
        )
    store.failure = error_code
