"""kms_mock over HTTP: a WSGI application serving a mock, and a threaded server for it.

:func:`make_app` is a standard WSGI application (mount it in any WSGI server):
KMS requests (``POST /`` with ``X-Amz-Target: TrentService.<Operation>``, as
AWS's JSON 1.1 protocol sends them) go to the same wire layer as the botocore
hook, and the control routes live under ``/_kms_mock/``. :class:`KmsServer`
serves it with waitress (the ``server`` extra: ``pip install 'kms-mock[server]'``),
in a background thread (:func:`serve`) or in the foreground (``kms-mock serve``).
"""

from __future__ import annotations

import http
import logging
import socket
import threading
import time
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from . import _control
from ._control import CONTROL_PREFIX, ControlAnswer
from ._errors import READ_TIMEOUT, TransportFault, UsageError
from ._mock import MockKMS
from ._wire import WireResponse, handle_http

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["CONTROL_PREFIX", "DEFAULT_HOST", "DEFAULT_PORT", "KmsServer", "make_app", "serve"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4599
# Worker threads answering requests; the backend's lock serializes the calls anyway.
THREADS = 8
#: How long a read-timeout fault holds a request whose client does not give up:
#: longer than the 60-second read timeout of botocore and the AWS CLI, so theirs fires.
READ_TIMEOUT_HOLD = 90.0
# How often a held request looks whether its client has gone.
_HOLD_POLL = 0.05

_NOT_RUNNING = ControlAnswer(
    503,
    _control.JSON,
    b'{"error": "the mock behind this server is not running: start() it, or use '
    b'kms_mock.server.serve(kms), which does."}',
)


def _status_line(status: int) -> str:
    return f"{status} {http.HTTPStatus(status).phrase}"


def _body_of(environ: WSGIEnvironment) -> bytes:
    length = environ.get("CONTENT_LENGTH") or "0"
    return environ["wsgi.input"].read(int(length)) if length.isdigit() else b""


def make_app(kms: MockKMS) -> WSGIApplication:
    """The WSGI application serving ``kms`` (which must be running while it serves).

    Each KMS request is served by the mock's state at that moment, so a test
    that moves ``kms.clock`` or calls ``kms.reset()`` sees the server follow.
    A request that a connection-error or read-timeout fault rule fails has no
    answer: the application raises, and the hosting server fails the request
    as it fails any application error (:class:`KmsServer` drops the connection).
    """

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO") or "/"
        if not kms.active:
            answer: ControlAnswer | WireResponse = _NOT_RUNNING
        elif path.startswith(CONTROL_PREFIX):
            answer = _control.answer(
                kms,
                environ["REQUEST_METHOD"],
                path[len(CONTROL_PREFIX) :],
                environ.get("QUERY_STRING", ""),
                _body_of(environ),
            )
        else:
            answer = _serve_kms(kms, environ)
        start_response(_status_line(answer.status), _headers(answer))
        return [answer.body]

    return app


def _serve_kms(kms: MockKMS, environ: WSGIEnvironment) -> WireResponse:
    # A request's changes are in the state file, if the mock has one, once handle_http
    # returns: before the answer is sent.
    return handle_http(
        kms._backend,
        target=environ.get("HTTP_X_AMZ_TARGET"),
        body=_body_of(environ),
        authorization=environ.get("HTTP_AUTHORIZATION"),
        host=environ.get("HTTP_HOST"),
        user_agent=environ.get("HTTP_USER_AGENT"),
    )


def _headers(answer: ControlAnswer | WireResponse) -> list[tuple[str, str]]:
    if isinstance(answer, WireResponse):
        return list(answer.headers.items())
    headers = [("Content-Type", answer.content_type), ("Content-Length", str(len(answer.body)))]
    if answer.allow is not None:
        headers.append(("Allow", answer.allow))
    headers.extend(answer.headers)
    return headers


class KmsServer:
    """An HTTP endpoint serving a mock, bound on creation (``url`` is known at once).

    ``start()`` serves in a background thread, ``run()`` in the calling one
    (until ``stop()``, from a signal handler or another thread). ``stop()``
    lets requests in progress finish, closes every connection and, if this
    server started the mock, stops it. A mock that was not running is started
    without intercepting this process's botocore clients.
    """

    def __init__(
        self, kms: MockKMS | None = None, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT
    ) -> None:
        self.kms = MockKMS() if kms is None else kms
        self._owns_mock = not self.kms.active
        # A socket map of its own, which this server's loop serves.
        self._sockets: dict[int, Any] = {}
        self._stopping = threading.Event()
        self._waitress = _waitress_server(
            make_app(self.kms), self._stopping, self._sockets, host, port
        )
        if self._owns_mock:
            try:
                self.kms.start(intercept=False)  # loads its state file, if it has one
            except BaseException:  # a state file refused: the socket must not leak
                _close_sockets(self._sockets)
                raise
        self.host: str = self._waitress.effective_host
        self.port: int = self._waitress.effective_port
        self._thread: threading.Thread | None = None
        self._serving = threading.Event()
        self._closed = threading.Event()
        # Held while stop() wakes the loop and while the sockets close, so that the
        # wake-up pipe is never written once closed (its number may be reused by
        # then). Re-entrant: a signal handler may call stop() in the serving thread.
        self._trigger_lock = threading.RLock()

    def __repr__(self) -> str:
        return f"<KmsServer {self.url} serving {self.kms!r}>"

    @property
    def url(self) -> str:
        """The endpoint URL: ``http://<host>:<port>`` (``endpoint_url`` for boto3, the AWS CLI)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> KmsServer:
        """Serve in a background thread (a daemon: it never keeps the process alive)."""
        self._serving.set()
        self._thread = threading.Thread(
            target=self._serve, name=f"kms-mock {self.url}", daemon=True
        )
        self._thread.start()
        return self

    def run(self) -> None:
        """Serve in this thread until :meth:`stop` (from a signal handler or another thread)."""
        self._serving.set()
        self._serve()

    def _serve(self) -> None:
        from waitress import wasyncore

        adjustments = self._waitress.adj
        try:
            # waitress's own loop, one wake-up at a time, so that it ends on stop().
            while not self._stopping.is_set():
                wasyncore.loop(
                    timeout=adjustments.asyncore_loop_timeout,
                    map=self._sockets,
                    use_poll=adjustments.asyncore_use_poll,
                    count=1,
                )
        finally:
            self._close_down()

    def stop(self) -> None:
        """Stop serving and wait until the server is closed down (idempotent)."""
        with self._trigger_lock:
            if self._stopping.is_set():
                first = False
            else:
                first = True
                self._stopping.set()
                if self._serving.is_set():
                    self._waitress.pull_trigger()  # the loop wakes, sees _stopping, ends
        if not self._serving.is_set():
            if first:  # never served: no loop to end
                self._close_down()
        elif self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def _close_down(self) -> None:
        from waitress import wasyncore

        # Requests being answered finish first: their worker threads wake the
        # loop when done, through the pipe that closes next. Queued ones are cancelled.
        self._waitress.task_dispatcher.shutdown()
        with self._trigger_lock:
            wasyncore.close_all(self._sockets)
        if self._owns_mock:
            self.kms.stop()
        self._closed.set()

    def __enter__(self) -> KmsServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def serve(kms: MockKMS | None = None, *, host: str = DEFAULT_HOST, port: int = 0) -> KmsServer:
    """``with serve(kms) as server:`` serves ``kms`` at ``server.url`` until the block ends.

    ``port=0`` (the default here) picks a free port. The server shares the
    handle: ``kms.clock.advance(...)`` moves what its clients see. Without a
    ``kms``, it serves a new mock of its own.
    """
    return KmsServer(kms, host=host, port=port)


def _failing_transport_faults(app: WSGIApplication, stopping: threading.Event) -> WSGIApplication:
    """``app``, whose transport faults fail the connection under waitress: no answer at all.

    A connection error closes it at once; a read timeout holds it until the client
    gives up, the server stops, or :data:`READ_TIMEOUT_HOLD` has passed.
    """
    from waitress.channel import ClientDisconnected

    def failing(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            return app(environ, start_response)
        except TransportFault as fault:
            if fault.kind == READ_TIMEOUT:
                _hold(environ, stopping)
            # What waitress raises for a client that went away: it closes the
            # connection without writing a byte, as a reset socket leaves a client.
            raise ClientDisconnected from None

    return failing


def _hold(environ: WSGIEnvironment, stopping: threading.Event) -> None:
    connection = _client_socket(environ)
    deadline = time.monotonic() + READ_TIMEOUT_HOLD
    while time.monotonic() < deadline and not (connection and _closed_by_client(connection)):
        if stopping.wait(_HOLD_POLL):
            return


def _client_socket(environ: WSGIEnvironment) -> socket.socket | None:
    # waitress's documented client_disconnected callable is a method of the
    # connection's channel, which holds the socket. waitress itself notices a
    # client leaving only if it reads ahead (channel_request_lookahead), which
    # slows every request down: the held one looks at its socket instead.
    channel = getattr(environ.get("waitress.client_disconnected"), "__self__", None)
    connection = getattr(channel, "socket", None)
    return connection if isinstance(connection, socket.socket) else None


def _closed_by_client(connection: socket.socket) -> bool:
    # waitress's sockets never block: a peek finds the end of the stream, data, or nothing yet.
    try:
        return connection.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:  # reset by the client
        return True


def _waitress_server(
    app: WSGIApplication, stopping: threading.Event, sockets: dict[int, Any], host: str, port: int
) -> Any:
    try:
        from waitress.server import create_server
    except ImportError:
        raise UsageError(
            "kms_mock's HTTP server needs waitress: pip install 'kms-mock[server]'. "
            "(make_app(kms) is a WSGI application for any other WSGI server.)"
        ) from None
    # waitress warns whenever a request waits for a worker thread: expected when
    # many clients share a few threads, and no sign of trouble here.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    try:
        return create_server(
            _failing_transport_faults(app, stopping),
            map=sockets,
            host=host,
            port=port,
            threads=THREADS,
            ident="kms-mock",
        )
    except OSError:  # the port is taken, the host is not this machine's: nothing may leak
        _close_sockets(sockets)
        raise


def _close_sockets(sockets: dict[int, Any]) -> None:
    from waitress import wasyncore

    wasyncore.close_all(sockets)
