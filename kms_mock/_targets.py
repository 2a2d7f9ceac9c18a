"""Which keys a raw request names, found read-only (fault rules and request quotas ask).

A request names keys by id, ARN, alias name or alias ARN, or through a
ciphertext, which names the key that made it. They are resolved as AWS
resolves them: ids and alias names in the caller's account and the request's
Region. Unlike ``_resolve``, nothing is validated, refused or created: an
identifier that names no key simply names none (a predefined ``alias/aws/...``
names the AWS managed key a call would make).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _ciphertext
from ._arns import key_arn, parse_kms_arn
from ._aws_managed import aws_managed_key_id
from ._shapes import blob_from_wire

if TYPE_CHECKING:
    from ._models import Key
    from ._store import Backend

# The request members that name a key (CreateAlias and UpdateAlias: TargetKeyId;
# ReEncrypt: SourceKeyId and DestinationKeyId).
_KEY_MEMBERS = ("KeyId", "TargetKeyId", "SourceKeyId", "DestinationKeyId")


def key_arn_named(backend: Backend, identifier: str, account_id: str, region: str) -> str | None:
    """The ARN of the key ``identifier`` names for a caller of ``account_id`` in ``region``."""
    resource = identifier
    if identifier.startswith("arn:"):
        parsed = parse_kms_arn(identifier)
        if parsed is None:
            return None
        _, region, account_id, resource = parsed
    if resource.startswith("alias/"):
        alias = backend.region_store(account_id, region).aliases.get(resource)
        if alias is not None:
            return key_arn(region, account_id, alias.target_key_id)
        # A predefined alias names its AWS managed key before a call has made it.
        key_id = aws_managed_key_id(backend.material_id_salt, account_id, region, resource)
        return None if key_id is None else key_arn(region, account_id, key_id)
    return key_arn(region, account_id, resource.removeprefix("key/"))


def key_arns_named(backend: Backend, params: Any, account_id: str, region: str) -> list[str]:
    """The ARNs of the keys a request's members name, the ciphertext's key last."""
    if not isinstance(params, dict):
        return []
    arns = []
    for member in _KEY_MEMBERS:
        identifier = params.get(member)
        if isinstance(identifier, str):
            arn = key_arn_named(backend, identifier, account_id, region)
            if arn is not None:
                arns.append(arn)
    blob = blob_from_wire(params.get("CiphertextBlob"))
    if blob is not None:
        try:
            envelope = _ciphertext.parse(blob)
        except _ciphertext.MalformedCiphertext:
            return arns
        arns.append(key_arn(envelope.region, envelope.account_id, envelope.key_id))
    return arns


def first_key_named(backend: Backend, params: Any, account_id: str, region: str) -> Key | None:
    """The first stored key among those a request names, if any."""
    for arn in key_arns_named(backend, params, account_id, region):
        parsed = parse_kms_arn(arn)
        assert parsed is not None  # made by key_arn
        key = backend.key(parsed.account_id, parsed.region, parsed.resource.removeprefix("key/"))
        if key is not None:
            return key
    return None
