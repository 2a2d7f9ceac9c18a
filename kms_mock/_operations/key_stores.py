"""Custom key stores: CreateCustomKeyStore, DescribeCustomKeyStores, UpdateCustomKeyStore,
ConnectCustomKeyStore, DisconnectCustomKeyStore, DeleteCustomKeyStore.

Bookkeeping and connection state only: no CloudHSM cluster or external key store
proxy is reached, so every well-formed cluster id, certificate, password, proxy and
credential is taken as valid. The rules are those of each operation's documentation
in botocore's model; AWS's messages for these errors are not recorded anywhere, so
the ones here are kms_mock's words.
https://docs.aws.amazon.com/kms/latest/developerguide/key-store-overview.html
"""

from __future__ import annotations

from typing import Any

from .. import _key_stores
from .._dispatch import Params, Request, Response, operation
from .._errors import (
    CloudHsmClusterInUseException,
    CustomKeyStoreHasCMKsException,
    CustomKeyStoreNameInUseException,
    CustomKeyStoreNotFoundException,
    LimitExceededException,
    ValidationException,
    XksProxyUriEndpointInUseException,
    XksProxyUriInUseException,
    XksProxyVpcEndpointServiceInUseException,
)
from .._key_stores import (
    CLOUDHSM,
    CONNECTED,
    DISCONNECTED,
    DISCONNECTING,
    EXTERNAL_KEY_STORE,
    FAILED,
    PUBLIC_ENDPOINT,
    VPC_ENDPOINT_SERVICE,
    CustomKeyStore,
    XksProxy,
)
from .._store import RegionStore
from ._pagination import paginate
from ._rules import key_store_of, key_store_state_error

# "Custom key stores: 10 per account and Region" (AWS KMS resource quotas).
KEY_STORES_PER_REGION = 10

# The request members of each store type, and which may change while the store is
# connected (UpdateCustomKeyStore: "To update most properties ... the ConnectionState
# ... must be DISCONNECTED").
_CLOUDHSM_MEMBERS = ("CloudHsmClusterId", "TrustAnchorCertificate", "KeyStorePassword")
_XKS_MEMBERS = (
    "XksProxyConnectivity",
    "XksProxyUriEndpoint",
    "XksProxyUriPath",
    "XksProxyAuthenticationCredential",
    "XksProxyVpcEndpointServiceName",
    "XksProxyVpcEndpointServiceOwner",
)
_CHANGEABLE_WHILE_CONNECTED = {
    CLOUDHSM: frozenset({"NewCustomKeyStoreName"}),
    EXTERNAL_KEY_STORE: frozenset(
        {"NewCustomKeyStoreName", "XksProxyAuthenticationCredential", "XksProxyUriPath"}
    ),
}
_VPC_ONLY = ("XksProxyVpcEndpointServiceName", "XksProxyVpcEndpointServiceOwner")


def _members_of(store_type: str) -> tuple[str, ...]:
    return _CLOUDHSM_MEMBERS if store_type == CLOUDHSM else _XKS_MEMBERS


def _refuse_members_of_other_type(params: Params, store_type: str) -> None:
    other = _XKS_MEMBERS if store_type == CLOUDHSM else _CLOUDHSM_MEMBERS
    for member in other:
        if member in params:
            raise ValidationException(
                f"{member} is not valid for custom key stores with CustomKeyStoreType {store_type}."
            )


def _require(params: Params, members: tuple[str, ...], what: str) -> None:
    for member in members:
        if member not in params:
            raise ValidationException(f"You must specify a {member} value for {what}.")


def _check_proxy(proxy: XksProxy, params: Params) -> None:
    """The VPC endpoint service members go with VPC_ENDPOINT_SERVICE connectivity only."""
    if proxy.connectivity == VPC_ENDPOINT_SERVICE:
        if proxy.vpc_endpoint_service_name is None:
            raise ValidationException(
                "You must specify a XksProxyVpcEndpointServiceName value for external key "
                "stores with XksProxyConnectivity VPC_ENDPOINT_SERVICE."
            )
        return
    for member in _VPC_ONLY:
        if member in params:
            raise ValidationException(
                f"{member} is not valid for external key stores with XksProxyConnectivity "
                f"{PUBLIC_ENDPOINT}."
            )


def _check_unique(
    region: RegionStore,
    store_id: str | None,
    name: str,
    cluster_id: str | None,
    proxy: XksProxy | None,
) -> None:
    """Name, CloudHSM cluster and proxy address: each one store's in the account and Region."""
    others = [store for store in region.key_stores.values() if store.store_id != store_id]
    if any(store.name == name for store in others):
        raise CustomKeyStoreNameInUseException(f"Custom key store name {name} is already in use.")
    if cluster_id is not None and any(store.cloud_hsm_cluster_id == cluster_id for store in others):
        raise CloudHsmClusterInUseException(
            f"CloudHSM cluster {cluster_id} is already associated with a custom key store."
        )
    if proxy is not None:
        _check_proxy_unique(proxy, [store.xks_proxy for store in others if store.xks_proxy])


def _check_proxy_unique(proxy: XksProxy, others: list[XksProxy]) -> None:
    """The uniqueness requirements of CreateCustomKeyStore's XksProxyUriEndpoint."""
    vpc = proxy.connectivity == VPC_ENDPOINT_SERVICE
    for other in others:
        if (other.uri_endpoint, other.uri_path) == (proxy.uri_endpoint, proxy.uri_path):
            raise XksProxyUriInUseException(
                f"XKS proxy URI {proxy.uri_endpoint}{proxy.uri_path} is already associated "
                "with another external key store."
            )
        # A private DNS name is one store's, and no public endpoint may share it.
        if other.uri_endpoint == proxy.uri_endpoint and (
            vpc or other.connectivity == VPC_ENDPOINT_SERVICE
        ):
            raise XksProxyUriEndpointInUseException(
                f"XKS proxy URI endpoint {proxy.uri_endpoint} is already associated with "
                "another external key store."
            )
        if vpc and other.vpc_endpoint_service_name == proxy.vpc_endpoint_service_name:
            raise XksProxyVpcEndpointServiceInUseException(
                f"VPC endpoint service {proxy.vpc_endpoint_service_name} is already "
                "associated with another external key store."
            )


@operation("CreateCustomKeyStore")
def create_custom_key_store(request: Request, params: Params) -> Response:
    """A new store, DISCONNECTED until ConnectCustomKeyStore."""
    store_type: str = params.get("CustomKeyStoreType", CLOUDHSM)
    _refuse_members_of_other_type(params, store_type)
    what = f"custom key stores with CustomKeyStoreType {store_type}"
    proxy = None
    if store_type == EXTERNAL_KEY_STORE:
        _require(params, _XKS_MEMBERS[:4], what)
        # Every member of the blank is given (checked just above): none of it remains.
        blank = XksProxy(params["XksProxyConnectivity"], "", "", "", "")
        proxy = _proxy_with(blank, params, request.account_id)
    else:
        _require(params, _CLOUDHSM_MEMBERS, what)
    region = request.store
    name: str = params["CustomKeyStoreName"]
    _check_unique(region, None, name, params.get("CloudHsmClusterId"), proxy)
    if len(region.key_stores) >= KEY_STORES_PER_REGION:
        raise LimitExceededException(
            f"The number of custom key stores in this account and Region would exceed the "
            f"limit of {KEY_STORES_PER_REGION}."
        )
    store = CustomKeyStore(
        store_id=_key_stores.new_store_id(request.backend.entropy.token_bytes(9)),
        name=name,
        store_type=store_type,
        created_at=request.now,
        cloud_hsm_cluster_id=params.get("CloudHsmClusterId"),
        trust_anchor_certificate=params.get("TrustAnchorCertificate"),
        key_store_password=params.get("KeyStorePassword"),
        xks_proxy=proxy,
    )
    region.add_key_store(store)
    return {"CustomKeyStoreId": store.store_id}


def _entry(store: CustomKeyStore) -> dict[str, Any]:
    """CustomKeyStoresListEntry, with each optional member only where AWS has it."""
    entry: dict[str, Any] = {
        "CustomKeyStoreId": store.store_id,
        "CustomKeyStoreName": store.name,
        "CustomKeyStoreType": store.store_type,
        "ConnectionState": store.connection_state,
        "CreationDate": store.created_at,
    }
    if store.connection_error_code is not None:
        entry["ConnectionErrorCode"] = store.connection_error_code
    if store.cloud_hsm_cluster_id is not None:
        entry["CloudHsmClusterId"] = store.cloud_hsm_cluster_id
        entry["TrustAnchorCertificate"] = store.trust_anchor_certificate
    proxy = store.xks_proxy
    if proxy is not None:
        configuration: dict[str, str | None] = {
            "Connectivity": proxy.connectivity,
            "AccessKeyId": proxy.access_key_id,
            "UriEndpoint": proxy.uri_endpoint,
            "UriPath": proxy.uri_path,
        }
        if proxy.connectivity == VPC_ENDPOINT_SERVICE:
            configuration["VpcEndpointServiceName"] = proxy.vpc_endpoint_service_name
            configuration["VpcEndpointServiceOwner"] = proxy.vpc_endpoint_service_owner
        entry["XksProxyConfiguration"] = configuration
    return entry


@operation("DescribeCustomKeyStores")
def describe_custom_key_stores(request: Request, params: Params) -> Response:
    """Every store of the account and Region in creation order, or the one named, paged."""
    if "CustomKeyStoreId" in params and "CustomKeyStoreName" in params:
        raise ValidationException(
            "You cannot specify both CustomKeyStoreId and CustomKeyStoreName in the same request."
        )
    stores = list(request.store.key_stores.values())
    if "CustomKeyStoreId" in params:
        stores = [key_store_of(request, params["CustomKeyStoreId"])]
    elif "CustomKeyStoreName" in params:
        name = params["CustomKeyStoreName"]
        stores = [store for store in stores if store.name == name]
        if not stores:
            raise CustomKeyStoreNotFoundException(f"Custom key store {name} does not exist.")
    page, paging = paginate(
        request.operation,
        stores,
        params,
        default_limit=100,
        max_limit=1000,
        token=lambda store: f"{store.sequence:012d}",
    )
    return {"CustomKeyStores": [_entry(store) for store in page], **paging}


def _proxy_with(proxy: XksProxy, params: Params, account_id: str) -> XksProxy:
    """``proxy`` with the settings ``params`` give, after the connectivity rules."""
    connectivity = params.get("XksProxyConnectivity", proxy.connectivity)
    if connectivity != proxy.connectivity and "XksProxyUriEndpoint" not in params:
        # "If you change the XksProxyConnectivity ..., you must also change the XksProxyUriEndpoint"
        raise ValidationException(
            "You must specify a XksProxyUriEndpoint value when you change the "
            "XksProxyConnectivity of an external key store."
        )
    credential = params.get("XksProxyAuthenticationCredential", {})
    vpc = connectivity == VPC_ENDPOINT_SERVICE
    updated = XksProxy(
        connectivity=connectivity,
        uri_endpoint=params.get("XksProxyUriEndpoint", proxy.uri_endpoint),
        uri_path=params.get("XksProxyUriPath", proxy.uri_path),
        access_key_id=credential.get("AccessKeyId", proxy.access_key_id),
        raw_secret_access_key=credential.get("RawSecretAccessKey", proxy.raw_secret_access_key),
        # A public endpoint has no VPC endpoint service: one turning VPC names its own.
        vpc_endpoint_service_name=params.get(
            "XksProxyVpcEndpointServiceName", proxy.vpc_endpoint_service_name
        )
        if vpc
        else None,
        # "If not provided, the Amazon Web Services account ID calling the action will be used."
        vpc_endpoint_service_owner=params.get(
            "XksProxyVpcEndpointServiceOwner", proxy.vpc_endpoint_service_owner or account_id
        )
        if vpc
        else None,
    )
    _check_proxy(updated, params)
    return updated


def _check_update_allowed(request: Request, store: CustomKeyStore, params: Params) -> None:
    """Every member fits the store's type, and its ConnectionState allows changing it."""
    _refuse_members_of_other_type(params, store.store_type)
    changing = {"NewCustomKeyStoreName", *_members_of(store.store_type)} & params.keys()
    anytime = _CHANGEABLE_WHILE_CONNECTED[store.store_type]
    allowed_states = {DISCONNECTED} if changing - anytime else {DISCONNECTED, CONNECTED}
    if store.connection_state not in allowed_states:
        raise key_store_state_error(request, store)


@operation("UpdateCustomKeyStore")
def update_custom_key_store(request: Request, params: Params) -> Response:
    """Rename a store, or (disconnected, most of them) change its settings."""
    store = key_store_of(request, params["CustomKeyStoreId"])
    _check_update_allowed(request, store, params)
    name = params.get("NewCustomKeyStoreName", store.name)
    cluster_id = params.get("CloudHsmClusterId", store.cloud_hsm_cluster_id)
    proxy = store.xks_proxy
    if proxy is not None:
        proxy = _proxy_with(proxy, params, request.account_id)
    _check_unique(request.store, store.store_id, name, cluster_id, proxy)
    store.name = name
    store.cloud_hsm_cluster_id = cluster_id
    store.key_store_password = params.get("KeyStorePassword", store.key_store_password)
    store.xks_proxy = proxy
    return {}


@operation("ConnectCustomKeyStore")
def connect_custom_key_store(request: Request, params: Params) -> Response:
    """Start connecting: CONNECTING now, CONNECTED (or FAILED) when the clock says."""
    store = key_store_of(request, params["CustomKeyStoreId"])
    if store.connection_state in (DISCONNECTING, FAILED):
        raise key_store_state_error(request, store)
    if store.connection_state == DISCONNECTED:
        backend = request.backend
        _key_stores.connect(
            backend.schedule, store, request.now, backend.key_store_connection_delay
        )
    return {}


@operation("DisconnectCustomKeyStore")
def disconnect_custom_key_store(request: Request, params: Params) -> Response:
    """Start disconnecting: its keys are Unavailable from now on."""
    store = key_store_of(request, params["CustomKeyStoreId"])
    if store.connection_state in (DISCONNECTING, DISCONNECTED):
        raise key_store_state_error(request, store)
    backend = request.backend
    _key_stores.disconnect(backend.schedule, store, request.now, backend.key_store_connection_delay)
    return {}


@operation("DeleteCustomKeyStore")
def delete_custom_key_store(request: Request, params: Params) -> Response:
    """Delete a disconnected store that holds no KMS keys (not even ones pending deletion)."""
    store = key_store_of(request, params["CustomKeyStoreId"])
    region = request.store
    if any(key.custom_key_store is store for key in region.keys.values()):
        raise CustomKeyStoreHasCMKsException(
            f"Custom key store {store.store_id} contains KMS keys."
        )
    if store.connection_state != DISCONNECTED:
        raise key_store_state_error(request, store)
    region.remove_key_store(store.store_id)
    return {}
