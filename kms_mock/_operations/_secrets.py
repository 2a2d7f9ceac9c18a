"""Handlers that need a key's private key or HMAC secret get it derived outside the lock.

Dispatch runs every handler holding the backend's lock, and generating an
RSA_4096 key can take a second: no other request should wait on that.
Handlers that need a secret are wrapped in :func:`lazy_secrets` and ask for it
with :func:`key_pair` / :func:`hmac_secret`. If it is not derived yet, those
raise :class:`SecretPending`; the wrapper then steps out of the backend's lock
(the one level dispatch holds), derives the secret under the key's own lock,
steps back in and runs the handler again from the start. So every check a
call makes and everything it changes happen in one pass under the backend
lock, with the secret ready; handlers ask for secrets before they change
anything. A call that stepped out keeps the timestamp it started with.

If the caller holds the backend lock more than once, the step out frees
nothing and the secret is derived under it: correct, only not concurrent (the
key's lock is a leaf, so this cannot deadlock).
"""

from __future__ import annotations

import functools

from .._dispatch import Handler, Params, Request, Response
from .._keypairs import SEED_SIZE, KeyPair, LazySecret
from .._materials import KeySecret
from .._models import Key
from .._store import Backend


class SecretPending(Exception):
    """Raised in a handler: ``secret`` must be derived (outside the lock) before it goes on.

    Control flow between :func:`key_pair` and :func:`lazy_secrets`, never seen outside.
    """

    def __init__(self, secret: KeySecret) -> None:
        super().__init__(secret.key_spec)
        self.secret = secret


def _ready(key: Key) -> object:
    secret = key.materials.key_secret
    if secret is None:
        raise RuntimeError(f"{key.arn} ({key.key_spec}, {key.origin}) has no derived secret")
    value = secret.peek()
    if value is None:
        raise SecretPending(secret)
    return value


def key_pair(key: Key) -> KeyPair:
    """The key pair of asymmetric ``key``; raises SecretPending until it is derived."""
    value = _ready(key)
    if not isinstance(value, KeyPair):
        raise TypeError(f"{key.arn} is an HMAC key: it has a secret, not a key pair")
    return value


def hmac_secret(key: Key) -> bytes:
    """The secret of HMAC ``key``; raises SecretPending until it is derived."""
    value = _ready(key)
    if not isinstance(value, bytes):
        raise TypeError(f"{key.arn} is an asymmetric key: it has a key pair, not a secret")
    return value


def derive_outside_lock(backend: Backend, secret: KeySecret) -> None:
    """Derive ``secret`` with the backend's lock let go (one level), then take it back."""
    if secret.peek() is not None:
        return
    lock = backend.lock
    try:
        lock.release()
    except RuntimeError:  # not held by this thread (a handler called directly)
        secret.derive()
        return
    try:
        secret.derive()
    finally:
        lock.acquire()


def fresh_key_pair(request: Request, key_spec: str) -> KeyPair:
    """A new key pair of ``key_spec``, generated with the backend's lock let go.

    Its seed comes from the mock's entropy (reproducible with ``seed=``). The world
    may have moved while the lock was let go: the caller checks again what it checked.
    """
    entropy = request.backend.entropy
    secret = LazySecret(key_spec, entropy.token_bytes(SEED_SIZE), reproducible=entropy.seeded)
    derive_outside_lock(request.backend, secret)
    pair = secret.derive()  # ready: derived above
    assert isinstance(pair, KeyPair)
    return pair


def lazy_secrets(handler: Handler) -> Handler:
    """Run ``handler``; whenever it needs a secret not derived yet, derive it and rerun."""

    @functools.wraps(handler)
    def serve(request: Request, params: Params) -> Response:
        while True:
            try:
                return handler(request, params)
            except SecretPending as pending:
                derive_outside_lock(request.backend, pending.secret)

    return serve
