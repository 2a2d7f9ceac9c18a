"""Custom key stores: the six operations, the connection state machine on the clock,
keys in a store (Unavailable while it is not connected), GenerateRandom in a store.

AWS's messages for these errors are not recorded anywhere: the codes are the
model's, the messages kms_mock's (tested verbatim all the same, so that a change is
deliberate).
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from kms_mock import FrozenClock, MockKMS, _key_stores
from kms_mock._errors import UsageError
from kms_mock._schedule import Schedule
from tests._helpers import ACCOUNT, START, dump, error_of, raises

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

CLUSTER = "cluster-234abcdefgh"
OTHER_CLUSTER = "cluster-765zyxwvuts"
VPC_SERVICE = "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0"
CREDENTIAL = {"AccessKeyId": "ABCDEFGHIJKLMNOPQRST", "RawSecretAccessKey": "s" * 43}
STATE_ERROR = "CustomKeyStoreInvalidStateException"


def _hsm(client: KMSClient, name: str = "hsm", cluster: str = CLUSTER) -> str:
    return client.create_custom_key_store(
        CustomKeyStoreName=name,
        CloudHsmClusterId=cluster,
        TrustAnchorCertificate="-----BEGIN CERTIFICATE-----",
        KeyStorePassword="kmsuser-password",
    )["CustomKeyStoreId"]


def _xks_params(name: str = "xks", **overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "CustomKeyStoreName": name,
        "CustomKeyStoreType": "EXTERNAL_KEY_STORE",
        "XksProxyConnectivity": "PUBLIC_ENDPOINT",
        "XksProxyUriEndpoint": "https://xks.example.com",
        "XksProxyUriPath": "/kms/xks/v1",
        "XksProxyAuthenticationCredential": CREDENTIAL,
    }
    params.update(overrides)
    return {name: value for name, value in params.items() if value is not None}


def _xks(client: KMSClient, name: str = "xks", **overrides: Any) -> str:
    return client.create_custom_key_store(**_xks_params(name, **overrides))["CustomKeyStoreId"]


def _entry(client: KMSClient, store_id: str) -> dict[str, Any]:
    [entry] = client.describe_custom_key_stores(CustomKeyStoreId=store_id)["CustomKeyStores"]
    return dict(entry)


def _state(client: KMSClient, store_id: str) -> str:
    return str(_entry(client, store_id)["ConnectionState"])


def _connected(client: KMSClient, clock: FrozenClock, store_id: str) -> str:
    client.connect_custom_key_store(CustomKeyStoreId=store_id)
    clock.advance(seconds=5)
    assert _state(client, store_id) == "CONNECTED"
    return store_id


def _disconnected(client: KMSClient, clock: FrozenClock, store_id: str) -> None:
    client.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    clock.advance(seconds=5)
    assert _state(client, store_id) == "DISCONNECTED"


def _hsm_key(client: KMSClient, store_id: str) -> dict[str, Any]:
    return dict(client.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id)["KeyMetadata"])


def _invalid_state(operation: str, store_id: str, state: str) -> tuple[str, str, int]:
    return (
        STATE_ERROR,
        f"{operation} is not valid for custom key store {store_id} in ConnectionState {state}.",
        400,
    )


# -- CreateCustomKeyStore and DescribeCustomKeyStores -----------------------------------------


def test_a_cloudhsm_store_starts_disconnected(client: KMSClient) -> None:
    store_id = _hsm(client)
    assert store_id.startswith("cks-")
    assert len(store_id) == 21
    assert _entry(client, store_id) == {
        "CustomKeyStoreId": store_id,
        "CustomKeyStoreName": "hsm",
        "CustomKeyStoreType": "AWS_CLOUDHSM",
        "ConnectionState": "DISCONNECTED",
        "CreationDate": _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC),
        "CloudHsmClusterId": CLUSTER,
        "TrustAnchorCertificate": "-----BEGIN CERTIFICATE-----",
    }


def test_an_external_store_with_a_public_endpoint(client: KMSClient) -> None:
    entry = _entry(client, _xks(client))
    assert entry["CustomKeyStoreType"] == "EXTERNAL_KEY_STORE"
    assert "CloudHsmClusterId" not in entry
    assert entry["XksProxyConfiguration"] == {
        "Connectivity": "PUBLIC_ENDPOINT",
        "AccessKeyId": CREDENTIAL["AccessKeyId"],
        "UriEndpoint": "https://xks.example.com",
        "UriPath": "/kms/xks/v1",
    }


def test_an_external_store_with_a_vpc_endpoint_service_owned_by_the_caller(
    client: KMSClient,
) -> None:
    store_id = _xks(
        client,
        XksProxyConnectivity="VPC_ENDPOINT_SERVICE",
        XksProxyVpcEndpointServiceName=VPC_SERVICE,
    )
    configuration = _entry(client, store_id)["XksProxyConfiguration"]
    assert configuration["VpcEndpointServiceName"] == VPC_SERVICE
    assert configuration["VpcEndpointServiceOwner"] == ACCOUNT


def test_describe_lists_every_store_in_creation_order_and_pages(client: KMSClient) -> None:
    ids = [_hsm(client, f"hsm-{n}", f"cluster-{'abcdefghijk'[n] * 11}") for n in range(3)]
    first = client.describe_custom_key_stores(Limit=2)
    assert [s["CustomKeyStoreId"] for s in first["CustomKeyStores"]] == ids[:2]
    assert first["Truncated"] is True
    rest = client.describe_custom_key_stores(Limit=2, Marker=first["NextMarker"])
    assert [s["CustomKeyStoreId"] for s in rest["CustomKeyStores"]] == ids[2:]
    assert rest["Truncated"] is False
    paginator = client.get_paginator("describe_custom_key_stores")
    listed = [
        s["CustomKeyStoreId"] for page in paginator.paginate() for s in page["CustomKeyStores"]
    ]
    assert listed == ids


def test_describe_by_name(client: KMSClient) -> None:
    _hsm(client)
    store_id = _xks(client)
    [entry] = client.describe_custom_key_stores(CustomKeyStoreName="xks")["CustomKeyStores"]
    assert entry["CustomKeyStoreId"] == store_id


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"CustomKeyStoreId": "cks-1234567890abcdef0"}, "cks-1234567890abcdef0"),
        ({"CustomKeyStoreName": "nowhere"}, "nowhere"),
    ],
)
def test_describe_what_does_not_exist(
    client: KMSClient, params: dict[str, Any], message: str
) -> None:
    excinfo = raises(lambda: client.describe_custom_key_stores(**params))
    assert error_of(excinfo) == (
        "CustomKeyStoreNotFoundException",
        f"Custom key store {message} does not exist.",
        400,
    )


def test_describe_takes_an_id_or_a_name_not_both(client: KMSClient) -> None:
    store_id = _hsm(client)
    excinfo = raises(
        lambda: client.describe_custom_key_stores(
            CustomKeyStoreId=store_id, CustomKeyStoreName="hsm"
        )
    )
    assert error_of(excinfo) == (
        "ValidationException",
        "You cannot specify both CustomKeyStoreId and CustomKeyStoreName in the same request.",
        400,
    )


def test_stores_belong_to_their_region(kms: MockKMS, client: KMSClient) -> None:
    store_id = _hsm(client)
    elsewhere = boto3.client("kms", region_name="eu-west-1")
    assert elsewhere.describe_custom_key_stores()["CustomKeyStores"] == []
    excinfo = raises(lambda: elsewhere.connect_custom_key_store(CustomKeyStoreId=store_id))
    assert error_of(excinfo)[0] == "CustomKeyStoreNotFoundException"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {
                "CustomKeyStoreName": "hsm",
                "CloudHsmClusterId": CLUSTER,
                "KeyStorePassword": "p" * 8,
            },
            "You must specify a TrustAnchorCertificate value for custom key stores with "
            "CustomKeyStoreType AWS_CLOUDHSM.",
        ),
        (
            {"CustomKeyStoreName": "hsm", "XksProxyUriPath": "/kms/xks/v1"},
            "XksProxyUriPath is not valid for custom key stores with CustomKeyStoreType "
            "AWS_CLOUDHSM.",
        ),
        (
            _xks_params(XksProxyAuthenticationCredential=None),
            "You must specify a XksProxyAuthenticationCredential value for custom key stores "
            "with CustomKeyStoreType EXTERNAL_KEY_STORE.",
        ),
        (
            _xks_params(CloudHsmClusterId=CLUSTER),
            "CloudHsmClusterId is not valid for custom key stores with CustomKeyStoreType "
            "EXTERNAL_KEY_STORE.",
        ),
        (
            _xks_params(XksProxyConnectivity="VPC_ENDPOINT_SERVICE"),
            "You must specify a XksProxyVpcEndpointServiceName value for external key stores "
            "with XksProxyConnectivity VPC_ENDPOINT_SERVICE.",
        ),
        (
            _xks_params(XksProxyVpcEndpointServiceName=VPC_SERVICE),
            "XksProxyVpcEndpointServiceName is not valid for external key stores with "
            "XksProxyConnectivity PUBLIC_ENDPOINT.",
        ),
    ],
)
def test_create_needs_the_members_of_its_type_only(
    kms: MockKMS, client: KMSClient, params: dict[str, Any], message: str
) -> None:
    before = dump(kms)
    excinfo = raises(lambda: client.create_custom_key_store(**params))
    assert error_of(excinfo) == ("ValidationException", message, 400)
    assert dump(kms) == before


def test_names_are_unique_in_the_account_and_region(kms: MockKMS, client: KMSClient) -> None:
    _hsm(client)
    before = dump(kms)
    excinfo = raises(lambda: _xks(client, name="hsm"))
    assert error_of(excinfo) == (
        "CustomKeyStoreNameInUseException",
        "Custom key store name hsm is already in use.",
        400,
    )
    assert dump(kms) == before


def test_a_cluster_backs_one_store(client: KMSClient) -> None:
    _hsm(client)
    excinfo = raises(lambda: _hsm(client, name="second"))
    assert error_of(excinfo) == (
        "CloudHsmClusterInUseException",
        f"CloudHSM cluster {CLUSTER} is already associated with a custom key store.",
        400,
    )


def test_ten_stores_per_region(client: KMSClient) -> None:
    for n in range(10):
        _xks(client, name=f"xks-{n}", XksProxyUriPath=f"/p{n}/kms/xks/v1")
    excinfo = raises(lambda: _hsm(client))
    assert error_of(excinfo) == (
        "LimitExceededException",
        "The number of custom key stores in this account and Region would exceed the limit of 10.",
        400,
    )
    elsewhere = boto3.client("kms", region_name="eu-west-1")
    assert _hsm(elsewhere).startswith("cks-")


def test_an_xks_proxy_address_is_one_stores(client: KMSClient) -> None:
    _xks(client)
    excinfo = raises(lambda: _xks(client, name="same-uri"))
    assert error_of(excinfo) == (
        "XksProxyUriInUseException",
        "XKS proxy URI https://xks.example.com/kms/xks/v1 is already associated with another "
        "external key store.",
        400,
    )
    # Public endpoints may share an endpoint, on another path.
    _xks(client, name="other-path", XksProxyUriPath="/other/kms/xks/v1")


def test_a_private_dns_name_is_one_stores(client: KMSClient) -> None:
    _xks(client)
    excinfo = raises(
        lambda: _xks(
            client,
            name="vpc",
            XksProxyUriPath="/vpc/kms/xks/v1",
            XksProxyConnectivity="VPC_ENDPOINT_SERVICE",
            XksProxyVpcEndpointServiceName=VPC_SERVICE,
        )
    )
    assert error_of(excinfo) == (
        "XksProxyUriEndpointInUseException",
        "XKS proxy URI endpoint https://xks.example.com is already associated with another "
        "external key store.",
        400,
    )


def test_a_vpc_endpoint_service_is_one_stores(client: KMSClient) -> None:
    vpc = {"XksProxyConnectivity": "VPC_ENDPOINT_SERVICE"}
    _xks(client, XksProxyVpcEndpointServiceName=VPC_SERVICE, **vpc)
    excinfo = raises(
        lambda: _xks(
            client,
            name="second",
            XksProxyUriEndpoint="https://other.example.com",
            XksProxyVpcEndpointServiceName=VPC_SERVICE,
            **vpc,
        )
    )
    assert error_of(excinfo) == (
        "XksProxyVpcEndpointServiceInUseException",
        f"VPC endpoint service {VPC_SERVICE} is already associated with another external "
        "key store.",
        400,
    )


# -- the connection state machine on the clock ------------------------------------------------


def test_connecting_takes_five_seconds_of_mock_time(client: KMSClient, clock: FrozenClock) -> None:
    store_id = _hsm(client)
    assert client.connect_custom_key_store(CustomKeyStoreId=store_id)["ResponseMetadata"]
    assert _state(client, store_id) == "CONNECTING"
    clock.advance(seconds=4)
    assert _state(client, store_id) == "CONNECTING"
    clock.advance(seconds=1)
    assert _state(client, store_id) == "CONNECTED"


def test_connecting_again_changes_nothing(client: KMSClient, clock: FrozenClock) -> None:
    store_id = _hsm(client)
    client.connect_custom_key_store(CustomKeyStoreId=store_id)
    clock.advance(seconds=3)
    client.connect_custom_key_store(CustomKeyStoreId=store_id)  # CONNECTING: the same attempt
    clock.advance(seconds=2)
    assert _state(client, store_id) == "CONNECTED"
    client.connect_custom_key_store(CustomKeyStoreId=store_id)
    assert _state(client, store_id) == "CONNECTED"


def test_disconnecting_takes_as_long(client: KMSClient, clock: FrozenClock) -> None:
    store_id = _connected(client, clock, _xks(client))
    client.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    assert _state(client, store_id) == "DISCONNECTING"
    excinfo = raises(lambda: client.connect_custom_key_store(CustomKeyStoreId=store_id))
    assert error_of(excinfo) == _invalid_state("ConnectCustomKeyStore", store_id, "DISCONNECTING")
    clock.advance(seconds=5)
    assert _state(client, store_id) == "DISCONNECTED"
    excinfo = raises(lambda: client.disconnect_custom_key_store(CustomKeyStoreId=store_id))
    assert error_of(excinfo) == _invalid_state("DisconnectCustomKeyStore", store_id, "DISCONNECTED")


def test_disconnecting_stops_a_connection_in_progress(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    store_id = _hsm(client)
    client.connect_custom_key_store(CustomKeyStoreId=store_id)
    client.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    clock.advance(minutes=1)
    assert _state(client, store_id) == "DISCONNECTED"


def test_the_delay_is_a_setting(kms: MockKMS, client: KMSClient, clock: FrozenClock) -> None:
    assert kms.key_store_connection_delay == _dt.timedelta(seconds=5)
    kms.key_store_connection_delay = _dt.timedelta(minutes=2)
    store_id = _hsm(client)
    client.connect_custom_key_store(CustomKeyStoreId=store_id)
    clock.advance(seconds=119)
    assert _state(client, store_id) == "CONNECTING"
    clock.advance(seconds=1)
    assert _state(client, store_id) == "CONNECTED"
    kms.key_store_connection_delay = _dt.timedelta(0)
    client.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    assert _state(client, store_id) == "DISCONNECTED"  # done by the next call


@pytest.mark.parametrize("delay", [5, _dt.timedelta(seconds=-1)])
def test_the_delay_is_a_timedelta_not_below_zero(kms: MockKMS, delay: Any) -> None:
    with pytest.raises(UsageError, match=r"must be a datetime\.timedelta >= 0"):
        kms.key_store_connection_delay = delay


def test_a_failed_connection_needs_a_disconnect(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    store_id = _hsm(client)
    kms.fail_key_store_connection(store_id, "USER_LOCKED_OUT")
    client.connect_custom_key_store(CustomKeyStoreId=store_id)
    clock.advance(seconds=5)
    entry = _entry(client, store_id)
    assert (entry["ConnectionState"], entry["ConnectionErrorCode"]) == (
        "FAILED",
        "USER_LOCKED_OUT",
    )
    excinfo = raises(lambda: client.connect_custom_key_store(CustomKeyStoreId=store_id))
    assert error_of(excinfo) == _invalid_state("ConnectCustomKeyStore", store_id, "FAILED")
    _disconnected(client, clock, store_id)
    assert "ConnectionErrorCode" not in _entry(client, store_id)
    _connected(client, clock, store_id)  # the failure was for one attempt


def test_a_connection_in_progress_can_be_made_to_fail(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    store_id = _xks(client)
    client.connect_custom_key_store(CustomKeyStoreId=store_id)
    kms.fail_key_store_connection(store_id, "XKS_PROXY_NOT_REACHABLE")
    clock.advance(seconds=5)
    assert _entry(client, store_id)["ConnectionErrorCode"] == "XKS_PROXY_NOT_REACHABLE"


def test_fail_key_store_connection_names_what_is_wrong(kms: MockKMS, client: KMSClient) -> None:
    hsm = _hsm(client)
    with pytest.raises(UsageError, match=r"no custom key store 'cks-nope' exists .*stores: cks-"):
        kms.fail_key_store_connection("cks-nope", "NETWORK_ERRORS")
    with pytest.raises(UsageError) as excinfo:
        kms.fail_key_store_connection(hsm, "XKS_PROXY_TIMED_OUT")
    message = str(excinfo.value)
    assert message.startswith(
        "'XKS_PROXY_TIMED_OUT' is not a ConnectionErrorCode of a AWS_CLOUDHSM key store; use "
        "one of INVALID_CREDENTIALS, CLUSTER_NOT_FOUND, NETWORK_ERRORS, INTERNAL_ERROR,"
    )
    with pytest.raises(UsageError, match="Did you mean 'NETWORK_ERRORS'"):
        kms.fail_key_store_connection(hsm, "NETWORK_ERROR")


# -- UpdateCustomKeyStore ------------------------------------------------------------------------


def test_a_connected_cloudhsm_store_can_only_be_renamed(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    store_id = _connected(client, clock, _hsm(client))
    client.update_custom_key_store(CustomKeyStoreId=store_id, NewCustomKeyStoreName="renamed")
    assert _entry(client, store_id)["CustomKeyStoreName"] == "renamed"
    before = dump(kms)
    excinfo = raises(
        lambda: client.update_custom_key_store(
            CustomKeyStoreId=store_id, NewCustomKeyStoreName="again", KeyStorePassword="p" * 8
        )
    )
    assert error_of(excinfo) == _invalid_state("UpdateCustomKeyStore", store_id, "CONNECTED")
    assert dump(kms) == before
    _disconnected(client, clock, store_id)
    client.update_custom_key_store(
        CustomKeyStoreId=store_id, KeyStorePassword="p" * 8, CloudHsmClusterId=OTHER_CLUSTER
    )
    assert _entry(client, store_id)["CloudHsmClusterId"] == OTHER_CLUSTER


def test_a_connected_external_store_takes_a_new_credential_and_path(
    client: KMSClient, clock: FrozenClock
) -> None:
    store_id = _connected(client, clock, _xks(client))
    client.update_custom_key_store(
        CustomKeyStoreId=store_id,
        XksProxyUriPath="/new/kms/xks/v2",
        XksProxyAuthenticationCredential={
            "AccessKeyId": "ZYXWVUTSRQPONMLKJIHG",
            "RawSecretAccessKey": "t" * 43,
        },
    )
    configuration = _entry(client, store_id)["XksProxyConfiguration"]
    assert (configuration["UriPath"], configuration["AccessKeyId"]) == (
        "/new/kms/xks/v2",
        "ZYXWVUTSRQPONMLKJIHG",
    )
    excinfo = raises(
        lambda: client.update_custom_key_store(
            CustomKeyStoreId=store_id, XksProxyUriEndpoint="https://new.example.com"
        )
    )
    assert error_of(excinfo) == _invalid_state("UpdateCustomKeyStore", store_id, "CONNECTED")


def test_no_update_while_connecting(client: KMSClient) -> None:
    store_id = _hsm(client)
    client.connect_custom_key_store(CustomKeyStoreId=store_id)
    excinfo = raises(
        lambda: client.update_custom_key_store(CustomKeyStoreId=store_id, NewCustomKeyStoreName="n")
    )
    assert error_of(excinfo) == _invalid_state("UpdateCustomKeyStore", store_id, "CONNECTING")


def test_changing_connectivity(kms: MockKMS, client: KMSClient) -> None:
    store_id = _xks(client)
    to_vpc: dict[str, Any] = {
        "CustomKeyStoreId": store_id,
        "XksProxyConnectivity": "VPC_ENDPOINT_SERVICE",
    }
    excinfo = raises(lambda: client.update_custom_key_store(**to_vpc))
    assert error_of(excinfo) == (
        "ValidationException",
        "You must specify a XksProxyUriEndpoint value when you change the XksProxyConnectivity "
        "of an external key store.",
        400,
    )
    endpoint: dict[str, Any] = {"XksProxyUriEndpoint": "https://private.example.com"}
    excinfo = raises(lambda: client.update_custom_key_store(**to_vpc, **endpoint))
    assert error_of(excinfo)[1].startswith("You must specify a XksProxyVpcEndpointServiceName")
    client.update_custom_key_store(**to_vpc, **endpoint, XksProxyVpcEndpointServiceName=VPC_SERVICE)
    configuration = _entry(client, store_id)["XksProxyConfiguration"]
    assert (configuration["Connectivity"], configuration["VpcEndpointServiceOwner"]) == (
        "VPC_ENDPOINT_SERVICE",
        ACCOUNT,
    )
    client.update_custom_key_store(
        CustomKeyStoreId=store_id,
        XksProxyConnectivity="PUBLIC_ENDPOINT",
        XksProxyUriEndpoint="https://public.example.com",
    )
    assert _entry(client, store_id)["XksProxyConfiguration"] == {
        "Connectivity": "PUBLIC_ENDPOINT",
        "AccessKeyId": CREDENTIAL["AccessKeyId"],
        "UriEndpoint": "https://public.example.com",
        "UriPath": "/kms/xks/v1",
    }


def test_update_keeps_names_and_addresses_unique(client: KMSClient) -> None:
    _hsm(client)
    _xks(client)
    store_id = _xks(client, name="second", XksProxyUriEndpoint="https://other.example.com")
    excinfo = raises(
        lambda: client.update_custom_key_store(
            CustomKeyStoreId=store_id, NewCustomKeyStoreName="hsm"
        )
    )
    assert error_of(excinfo)[0] == "CustomKeyStoreNameInUseException"
    excinfo = raises(
        lambda: client.update_custom_key_store(
            CustomKeyStoreId=store_id, XksProxyUriEndpoint="https://xks.example.com"
        )
    )
    assert error_of(excinfo)[0] == "XksProxyUriInUseException"
    client.update_custom_key_store(CustomKeyStoreId=store_id, NewCustomKeyStoreName="second")


def test_update_takes_the_members_of_the_stores_type(client: KMSClient) -> None:
    store_id = _hsm(client)
    excinfo = raises(
        lambda: client.update_custom_key_store(
            CustomKeyStoreId=store_id, XksProxyUriPath="/kms/xks/v1"
        )
    )
    assert error_of(excinfo) == (
        "ValidationException",
        "XksProxyUriPath is not valid for custom key stores with CustomKeyStoreType AWS_CLOUDHSM.",
        400,
    )


# -- DeleteCustomKeyStore ------------------------------------------------------------------------


def test_delete_needs_no_keys_and_a_disconnected_store(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    store_id = _connected(client, clock, _hsm(client))
    key_id = _hsm_key(client, store_id)["KeyId"]
    client.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    before = dump(kms)
    excinfo = raises(lambda: client.delete_custom_key_store(CustomKeyStoreId=store_id))
    assert error_of(excinfo) == (
        "CustomKeyStoreHasCMKsException",
        f"Custom key store {store_id} contains KMS keys.",
        400,
    )
    assert dump(kms) == before
    clock.advance(days=7)  # the key is deleted
    excinfo = raises(lambda: client.delete_custom_key_store(CustomKeyStoreId=store_id))
    assert error_of(excinfo) == _invalid_state("DeleteCustomKeyStore", store_id, "CONNECTED")
    _disconnected(client, clock, store_id)
    client.delete_custom_key_store(CustomKeyStoreId=store_id)
    assert client.describe_custom_key_stores()["CustomKeyStores"] == []
    _hsm(client)  # the name and the cluster are free again


# -- keys in a custom key store -----------------------------------------------------------------


def test_a_key_in_a_cloudhsm_store(client: KMSClient, clock: FrozenClock) -> None:
    store_id = _connected(client, clock, _hsm(client))
    metadata = _hsm_key(client, store_id)
    assert metadata["Origin"] == "AWS_CLOUDHSM"
    assert (metadata["CustomKeyStoreId"], metadata["CloudHsmClusterId"]) == (store_id, CLUSTER)
    assert (metadata["KeyState"], metadata["Enabled"]) == ("Enabled", True)
    assert "CurrentKeyMaterialId" not in metadata  # such keys do not rotate
    assert "XksKeyConfiguration" not in metadata
    blob = client.encrypt(KeyId=metadata["KeyId"], Plaintext=b"in the HSM")["CiphertextBlob"]
    assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"in the HSM"


def test_a_key_in_an_external_store(client: KMSClient, clock: FrozenClock) -> None:
    store_id = _connected(client, clock, _xks(client))
    metadata = client.create_key(
        Origin="EXTERNAL_KEY_STORE", CustomKeyStoreId=store_id, XksKeyId="external-key-1"
    )["KeyMetadata"]
    assert metadata["XksKeyConfiguration"] == {"Id": "external-key-1"}
    assert metadata["CustomKeyStoreId"] == store_id
    assert "CloudHsmClusterId" not in metadata
    excinfo = raises(
        lambda: client.create_key(
            Origin="EXTERNAL_KEY_STORE", CustomKeyStoreId=store_id, XksKeyId="external-key-1"
        )
    )
    assert error_of(excinfo) == (
        "XksKeyAlreadyInUseException",
        f"External key external-key-1 is already associated with {metadata['Arn']}.",
        400,
    )


def test_create_key_in_a_store_that_is_not_connected(kms: MockKMS, client: KMSClient) -> None:
    store_id = _hsm(client)
    before = dump(kms)
    excinfo = raises(lambda: _hsm_key(client, store_id))
    assert error_of(excinfo) == _invalid_state("CreateKey", store_id, "DISCONNECTED")
    assert dump(kms) == before


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        (
            {"Origin": "EXTERNAL_KEY_STORE", "XksKeyId": "k"},
            (
                "UnsupportedOperationException",
                "Custom key store {store} is a AWS_CLOUDHSM key store, which is not valid for "
                "KMS keys with Origin EXTERNAL_KEY_STORE.",
            ),
        ),
        (
            {"Origin": "AWS_CLOUDHSM", "KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"},
            (
                "UnsupportedOperationException",
                "A custom key store holds only symmetric encryption KMS keys in a single Region.",
            ),
        ),
        (
            {"Origin": "AWS_CLOUDHSM", "MultiRegion": True},
            (
                "UnsupportedOperationException",
                "A custom key store holds only symmetric encryption KMS keys in a single Region.",
            ),
        ),
        (
            {},
            (
                "ValidationException",
                "CustomKeyStoreId is not valid for KMS keys with Origin AWS_KMS.",
            ),
        ),
        (
            {"Origin": "EXTERNAL_KEY_STORE"},
            (
                "ValidationException",
                "You must specify a XksKeyId value for KMS keys with Origin EXTERNAL_KEY_STORE.",
            ),
        ),
    ],
)
def test_create_key_refusals(
    kms: MockKMS,
    client: KMSClient,
    clock: FrozenClock,
    kwargs: dict[str, Any],
    error: tuple[str, str],
) -> None:
    store_id = _connected(client, clock, _hsm(client))
    before = dump(kms)
    excinfo = raises(lambda: client.create_key(CustomKeyStoreId=store_id, **kwargs))
    code, message = error
    assert error_of(excinfo) == (code, message.format(store=store_id), 400)
    assert dump(kms) == before


def test_keys_are_unavailable_while_their_store_is_not_connected(
    client: KMSClient, clock: FrozenClock
) -> None:
    store_id = _connected(client, clock, _hsm(client))
    key = _hsm_key(client, store_id)
    blob = client.encrypt(KeyId=key["KeyId"], Plaintext=b"before")["CiphertextBlob"]
    client.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    metadata = client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (metadata["KeyState"], metadata["Enabled"]) == ("Unavailable", False)
    unavailable = ("KMSInvalidStateException", f"{key['Arn']} is unavailable.", 400)
    calls = [
        lambda: client.decrypt(CiphertextBlob=blob),
        lambda: client.encrypt(KeyId=key["KeyId"], Plaintext=b"x"),
        lambda: client.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256"),
        lambda: client.re_encrypt(CiphertextBlob=blob, DestinationKeyId=key["KeyId"]),
    ]
    assert [error_of(raises(call)) for call in calls] == [unavailable] * len(calls)
    clock.advance(seconds=5)
    _connected(client, clock, store_id)
    assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before"
    assert client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_enable_and_disable_an_unavailable_key(client: KMSClient, clock: FrozenClock) -> None:
    store_id = _connected(client, clock, _hsm(client))
    key_id = _hsm_key(client, store_id)["KeyId"]
    _disconnected(client, clock, store_id)
    client.disable_key(KeyId=key_id)  # succeeds; the state shows once the store is back
    assert client.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Unavailable"
    _connected(client, clock, store_id)
    assert client.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"
    _disconnected(client, clock, store_id)
    client.enable_key(KeyId=key_id)
    _connected(client, clock, store_id)
    assert client.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"


def test_a_key_pending_deletion_stays_so_while_unavailable(
    client: KMSClient, clock: FrozenClock
) -> None:
    store_id = _connected(client, clock, _hsm(client))
    key_id = _hsm_key(client, store_id)["KeyId"]
    client.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    _disconnected(client, clock, store_id)
    assert client.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    client.cancel_key_deletion(KeyId=key_id)
    assert client.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Unavailable"
    _connected(client, clock, store_id)
    assert client.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"


@pytest.mark.parametrize(
    "call",
    [
        "enable_key_rotation",
        "disable_key_rotation",
        "get_key_rotation_status",
        "rotate_key_on_demand",
    ],
)
def test_keys_in_custom_key_stores_do_not_rotate(
    client: KMSClient, clock: FrozenClock, call: str
) -> None:
    store_id = _connected(client, clock, _hsm(client))
    key = _hsm_key(client, store_id)
    excinfo = raises(lambda: getattr(client, call)(KeyId=key["KeyId"]))
    assert error_of(excinfo) == (
        "UnsupportedOperationException",
        f"{key['Arn']} origin is AWS_CLOUDHSM which is not valid for this operation.",
        400,
    )


# -- GenerateRandom in a CloudHSM key store ----------------------------------------------------


def test_generate_random_in_a_cloudhsm_store(client: KMSClient, clock: FrozenClock) -> None:
    store_id = _hsm(client)
    excinfo = raises(lambda: client.generate_random(NumberOfBytes=8, CustomKeyStoreId=store_id))
    assert error_of(excinfo) == _invalid_state("GenerateRandom", store_id, "DISCONNECTED")
    _connected(client, clock, store_id)
    assert len(client.generate_random(NumberOfBytes=8, CustomKeyStoreId=store_id)["Plaintext"]) == 8


def test_generate_random_not_in_an_external_store(client: KMSClient, clock: FrozenClock) -> None:
    store_id = _connected(client, clock, _xks(client))
    excinfo = raises(lambda: client.generate_random(NumberOfBytes=8, CustomKeyStoreId=store_id))
    assert error_of(excinfo) == (
        "UnsupportedOperationException",
        f"{store_id} is an external key store, which is not valid for this operation.",
        400,
    )


# -- the audit log --------------------------------------------------------------------------------


def test_the_audit_log_keeps_no_password_or_proxy_secret(kms: MockKMS, client: KMSClient) -> None:
    hsm = _hsm(client)
    xks = _xks(client)
    client.update_custom_key_store(CustomKeyStoreId=hsm, KeyStorePassword="another-password")
    client.describe_custom_key_stores()
    rendered = json.dumps(kms.audit_log)
    for secret in ("kmsuser-password", "another-password", "s" * 43, CREDENTIAL["AccessKeyId"]):
        assert secret not in rendered
    created = [e for e in kms.audit_log if e["eventName"] == "CreateCustomKeyStore"]
    assert [e["responseElements"] for e in created] == [
        {"customKeyStoreId": hsm},
        {"customKeyStoreId": xks},
    ]
    assert created[1]["requestParameters"]["xksProxyAuthenticationCredential"] == {}


# -- the state machine, without a client ------------------------------------------------------


def test_the_state_machine_runs_on_the_schedule_it_is_given() -> None:
    schedule = Schedule()
    start = FrozenClock(START).now()
    store = _key_stores.CustomKeyStore("cks-1", "s", _key_stores.CLOUDHSM, start)
    delay = _dt.timedelta(seconds=5)
    _key_stores.connect(schedule, store, start, delay)
    assert (store.connection_state, len(schedule)) == ("CONNECTING", 1)
    schedule.run_until(start + delay)
    assert (store.connection_state, store.transition, len(schedule)) == ("CONNECTED", None, 0)
    _key_stores.disconnect(schedule, store, start + delay, delay)
    _key_stores.connect(schedule, store, start + delay, delay)  # the disconnect is cancelled
    assert len(schedule) == 1
    schedule.run_until(start + 2 * delay)
    assert store.connection_state == "CONNECTED"


def test_a_transition_past_year_9999_never_happens() -> None:
    schedule = Schedule()
    end = _dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=_dt.UTC)
    store = _key_stores.CustomKeyStore("cks-1", "s", _key_stores.CLOUDHSM, end)
    _key_stores.connect(schedule, store, end, _dt.timedelta(seconds=5))
    assert (store.connection_state, store.transition, len(schedule)) == ("CONNECTING", None, 0)
