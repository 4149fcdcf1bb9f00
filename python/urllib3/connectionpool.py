"""Connection pools: ``HTTPConnectionPool`` and ``HTTPSConnectionPool``.

``urlopen`` runs a request as a few stages, each a method with one job:

    _prepare_call    the target, headers, ``Retry`` and body position of this call
    _send_once       take a connection (``_get_conn``), tunnel if needed
                     (``_prepare_proxy``), one exchange (``_make_request``), and settle the
                     connection: kept by the response, back to ``pool.pool``, or discarded
    _after_error     an attempt failed: ``Retry.increment`` raises or allows another one
    _after_response  a redirect or a status ``Retry`` wants retried gives the next call;
                     anything else goes to the caller

A follow-up re-enters ``urlopen`` with the updated arguments, so a subclass that wraps
``urlopen`` sees every attempt. The seams urllib3's users and tests reach (``_get_conn``,
``_put_conn``, ``_new_conn``, ``_validate_conn``, ``_prepare_proxy``, ``_make_request``,
``_get_timeout``, ``_raise_timeout``, ``is_same_host``, ``ConnectionCls``, ``ResponseCls``,
``QueueCls``) are called where urllib3 calls them.
"""

from __future__ import annotations

import errno
import logging
import queue
import sys
import typing
import warnings
import weakref
from socket import timeout as SocketTimeout
from types import TracebackType

from . import _lane, _rs
from ._base_connection import _TYPE_BODY, ProxyConfig
from ._collections import HTTPHeaderDict
from ._request_methods import RequestMethods
from .connection import (
    BaseSSLError,
    DummyConnection,
    HTTPConnection,
    HTTPException,
    HTTPSConnection,
    _wrap_proxy_error,
    port_by_scheme,
)
from .exceptions import (
    ClosedPoolError,
    EmptyPoolError,
    FullPoolError,
    HostChangedError,
    InsecureRequestWarning,
    LocationValueError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
    TimeoutError,
)
from .response import BaseHTTPResponse, HTTPResponse
from .util.connection import is_connection_dropped
from .util.proxy import connection_requires_http_tunnel
from .util.request import _TYPE_BODY_POSITION, set_file_position
from .util.retry import Retry
from .util.ssl_match_hostname import CertificateError
from .util.timeout import _DEFAULT_TIMEOUT, _TYPE_DEFAULT, Timeout
from .util.url import Url, _encode_target
from .util.url import _normalize_host as normalize_host
from .util.url import parse_url
from .util.util import to_str

if typing.TYPE_CHECKING:
    from typing import Self

log = logging.getLogger(__name__)

_TYPE_TIMEOUT = typing.Union[Timeout, float, _TYPE_DEFAULT, None]

# The default store is the core's (``_rs.ConnectionStore``, queue.LifoQueue's surface, the
# store the fast lane also takes from). If queue.LifoQueue was replaced (gevent and tests do)
# by the time a pool is made, the replacement is used instead; HTTPConnectionPool.QueueCls
# stays this marker either way.
_DEFAULT_QUEUE_CLASS: typing.Any = object()
_STDLIB_LIFO_QUEUE = queue.LifoQueue
# The core's store raises the stdlib's own classes; a patched ``queue.Empty`` (obspy and
# others do that) is caught too, for a queue class of the caller's.
_EMPTY = (queue.Empty,)
_FULL = (queue.Full,)

# A read on a non-blocking socket that found nothing: a timeout in all but name.
_WOULD_BLOCK = frozenset({errno.EAGAIN, errno.EWOULDBLOCK})

# An attempt that fails with one of these is counted by Retry and may be tried again; the
# connection it used is discarded.
_ATTEMPT_ERRORS = (
    TimeoutError,
    HTTPException,
    OSError,
    ProtocolError,
    BaseSSLError,
    SSLError,
    CertificateError,
    ProxyError,
)

# Failures on the way to a proxy, reported as ProxyError when they happen before the proxy
# answered.
_CONNECT_ERRORS = (OSError, NewConnectionError, TimeoutError, SSLError)

_UNVERIFIED_HTTPS_WARNING = (
    "Unverified HTTPS request is being made to host '{host}'. Adding certificate "
    "verification is strongly advised. See: "
    "https://urllib3.readthedocs.io/en/latest/advanced-usage.html#tls-warnings"
)


class ConnectionPool:
    """Base class for pools: a host and port, and a context manager that closes the pool."""

    scheme: str | None = None
    QueueCls = _DEFAULT_QUEUE_CLASS

    def __init__(self, host: str, port: int | None = None) -> None:
        if not host:
            raise LocationValueError("No host specified.")
        self.host = _normalize_host(host, scheme=self.scheme)
        self.port = port
        # CONNECT needs IPv6 literals in brackets, so the tunnel host keeps them.
        self._tunnel_host = normalize_host(host, scheme=self.scheme).lower()

    def __str__(self) -> str:
        return f"{type(self).__name__}(host={self.host!r}, port={self.port!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> typing.Literal[False]:
        self.close()
        return False

    def close(self) -> None:
        """Closes all pooled connections."""

    def _new_pool_queue(self, maxsize: int) -> queue.LifoQueue[typing.Any]:
        """The store of idle connections, holding ``maxsize`` empty slots to start with."""
        store_cls = self.QueueCls
        if store_cls is _DEFAULT_QUEUE_CLASS:
            replaced = queue.LifoQueue is not _STDLIB_LIFO_QUEUE
            store_cls = queue.LifoQueue if replaced else _rs.ConnectionStore
        # The core's store is no LifoQueue, but it has LifoQueue's surface (what ``pool.pool``
        # is declared as, in urllib3 too).
        store: queue.LifoQueue[typing.Any] = store_cls(maxsize)
        for _ in range(maxsize):
            store.put(None)
        return store


class _Call:
    """The arguments of one ``urlopen`` call, as its stages read and update them."""

    __slots__ = (
        "method",
        "url",
        "body",
        "headers",
        "retries",
        "redirect",
        "assert_same_host",
        "timeout",
        "pool_timeout",
        "release_conn",
        "chunked",
        "body_pos",
        "preload_content",
        "decode_content",
        "response_kw",
        "tunnel",
        "timeout_obj",
    )
    # Set by ``_prepare_call`` (or by the fast lane's ``take``) before an attempt reads them.
    tunnel: bool
    timeout_obj: Timeout

    def __init__(
        self,
        method: str,
        url: str,
        body: _TYPE_BODY | None,
        headers: typing.Any,
        retries: typing.Any,
        redirect: bool,
        assert_same_host: bool,
        timeout: _TYPE_TIMEOUT,
        pool_timeout: int | None,
        release_conn: bool | None,
        chunked: bool,
        body_pos: _TYPE_BODY_POSITION | None,
        preload_content: bool,
        decode_content: bool,
        response_kw: dict[str, typing.Any],
    ) -> None:
        self.method, self.url, self.body, self.headers = method, url, body, headers
        self.retries, self.redirect, self.assert_same_host = retries, redirect, assert_same_host
        self.timeout, self.pool_timeout, self.release_conn = timeout, pool_timeout, release_conn
        self.chunked, self.body_pos = chunked, body_pos
        self.preload_content, self.decode_content = preload_content, decode_content
        self.response_kw = response_kw

    def reissue(self, pool: HTTPConnectionPool) -> BaseHTTPResponse:
        """The next attempt, through ``urlopen`` again (a subclass wrapping it sees each)."""
        return pool.urlopen(
            self.method,
            self.url,
            self.body,
            self.headers,
            self.retries,
            self.redirect,
            self.assert_same_host,
            timeout=self.timeout,
            pool_timeout=self.pool_timeout,
            release_conn=self.release_conn,
            chunked=self.chunked,
            body_pos=self.body_pos,
            preload_content=self.preload_content,
            decode_content=self.decode_content,
            **self.response_kw,
        )


class HTTPConnectionPool(ConnectionPool, RequestMethods):
    """A thread-safe pool of connections to one host (urllib3's ``HTTPConnectionPool``)."""

    scheme = "http"
    ConnectionCls: type[HTTPConnection] | type[HTTPSConnection] = HTTPConnection
    ResponseCls = HTTPResponse
    # For the "Starting new ... connection" log line, whatever a subclass's scheme.
    _connection_kind = ("HTTP", 80)

    def __init__(
        self,
        host: str,
        port: int | None = None,
        timeout: _TYPE_TIMEOUT | None = _DEFAULT_TIMEOUT,
        maxsize: int = 1,
        block: bool = False,
        headers: typing.Mapping[str, str] | None = None,
        retries: Retry | bool | int | None = None,
        _proxy: Url | None = None,
        _proxy_headers: typing.Mapping[str, str] | None = None,
        _proxy_config: ProxyConfig | None = None,
        **conn_kw: typing.Any,
    ):
        ConnectionPool.__init__(self, host, port)
        RequestMethods.__init__(self, headers)
        self.timeout = timeout if isinstance(timeout, Timeout) else Timeout.from_float(timeout)
        self.retries = Retry.DEFAULT if retries is None else retries
        self.block = block
        self.proxy, self.proxy_config = _proxy, _proxy_config
        self.proxy_headers = _proxy_headers or {}
        self.num_connections = self.num_requests = 0
        self.conn_kw = conn_kw
        if _proxy:
            # Every connection learns the proxy it goes through; socket options default to
            # none there, as in urllib3.
            conn_kw.setdefault("socket_options", [])
            conn_kw.update(proxy=_proxy, proxy_config=_proxy_config)
        self.pool: queue.LifoQueue[typing.Any] | None = self._new_pool_queue(maxsize)
        # Connections close when the pool is garbage-collected, even without close().
        weakref.finalize(self, _close_pool_connections, self.pool)

    # -- the connection store -------------------------------------------------------------

    def _new_conn(self) -> HTTPConnection:
        """A new connection to this pool's host (it connects on first use)."""
        self.num_connections += 1
        host, port = self._connection_address()
        kind, default_port = self._connection_kind
        log.debug("Starting new %s connection (%d): %s:%s", kind, self.num_connections, self.host, self.port or default_port)
        return self.ConnectionCls(
            host=host,
            port=port,
            timeout=self.timeout.connect_timeout,
            **self._connection_settings(),
            **self.conn_kw,
        )

    def _connection_address(self) -> tuple[str, int | None]:
        return self.host, self.port

    def _connection_settings(self) -> dict[str, typing.Any]:
        """Keyword arguments for each new connection beyond ``conn_kw``."""
        return {}

    def _get_conn(self, timeout: float | None = None) -> HTTPConnection:
        """A connection from the store; an empty slot there means a new connection."""
        store = self.pool
        if store is None:
            raise ClosedPoolError(self, "Pool is closed.")
        conn: HTTPConnection | None
        try:
            conn = store.get(block=self.block, timeout=timeout)
        except (*_EMPTY, queue.Empty):
            if self.block:
                raise EmptyPoolError(
                    self,
                    "Pool is empty and a new connection can't be opened due to blocking mode.",
                ) from None
            conn = None  # a non-blocking pool grows past maxsize for a while
        if conn is None:
            return self._new_conn()
        if is_connection_dropped(conn):
            log.debug("Resetting dropped connection: %s", self.host)
            conn.close()
        return conn

    def _put_conn(self, conn: HTTPConnection | None) -> None:
        """Returns a connection (or its empty slot) to the store; one too many is closed."""
        store = self.pool
        if store is None:
            if conn:
                conn.close()
            return
        try:
            store.put(conn, block=False)
        except (*_FULL, queue.Full):
            if conn:
                conn.close()
            if self.block:
                raise FullPoolError(self, "Pool reached maximum size and no more connections are allowed.") from None
            log.warning(
                "Connection pool is full, discarding connection: %s. Connection pool size: %s",
                self.host,
                store.qsize(),
            )

    def _discard(self, conn: HTTPConnection | None) -> None:
        """A connection that failed is closed; its slot goes back empty."""
        if conn:
            conn.close()
        self._put_conn(None)

    def _validate_conn(self, conn: HTTPConnection) -> None:
        """Called for every connection before a request; HTTPS connects here."""

    def _prepare_proxy(self, conn: HTTPConnection) -> None:
        """Nothing to prepare for a plain HTTP proxy."""

    def close(self) -> None:
        """Closes every pooled connection; later requests raise ClosedPoolError."""
        store, self.pool = self.pool, None
        if store is not None:
            _close_pool_connections(store)

    # -- one exchange ---------------------------------------------------------------------

    def _get_timeout(self, timeout: _TYPE_TIMEOUT) -> Timeout:
        """This request's own Timeout: a copy, since it records when connecting started."""
        chosen = self.timeout if timeout is _DEFAULT_TIMEOUT else timeout
        if isinstance(chosen, Timeout):
            return chosen.clone()
        return Timeout.from_float(chosen)

    def _raise_timeout(self, err: BaseException, url: str, timeout_value: typing.Any) -> None:
        """Raises ReadTimeoutError when ``err`` is a read that timed out; else returns."""
        timed_out = isinstance(err, (SocketTimeout, ReadTimeoutError)) or getattr(err, "errno", None) in _WOULD_BLOCK
        if timed_out:
            raise ReadTimeoutError(self, url, f"Read timed out. (read timeout={timeout_value})") from err

    def _make_request(
        self,
        conn: HTTPConnection,
        method: str,
        url: str,
        body: _TYPE_BODY | None = None,
        headers: typing.Mapping[str, str] | None = None,
        retries: Retry | None = None,
        timeout: _TYPE_TIMEOUT = _DEFAULT_TIMEOUT,
        chunked: bool = False,
        response_conn: HTTPConnection | None = None,
        preload_content: bool = True,
        decode_content: bool = True,
        enforce_content_length: bool = True,
    ) -> BaseHTTPResponse:
        """Sends one request on ``conn`` and reads the response head (and body if preloading)."""
        self.num_requests += 1
        timeout_obj = self._get_timeout(timeout)
        timeout_obj.start_connect()
        conn.timeout = Timeout.resolve_default_timeout(timeout_obj.connect_timeout)
        self._validate_before_request(conn, url)
        self._send_request(
            conn,
            url,
            method,
            body=body,
            headers=headers,
            chunked=chunked,
            preload_content=preload_content,
            decode_content=decode_content,
            enforce_content_length=enforce_content_length,
        )
        read_timeout = timeout_obj.read_timeout
        if not conn.is_closed:
            # A zero read timeout could never see a response; urllib3 says so up front.
            if read_timeout == 0:
                raise ReadTimeoutError(self, url, f"Read timed out. (read timeout={read_timeout})")
            conn.timeout = read_timeout
        try:
            response = conn.getresponse()
        except (BaseSSLError, OSError, ReadTimeoutError) as e:
            self._raise_timeout(err=e, url=url, timeout_value=read_timeout)
            raise
        self._took_response(response, method, url, retries, response_conn)
        return response

    def _took_response(
        self,
        response: BaseHTTPResponse,
        method: str,
        url: str,
        retries: Retry | None,
        response_conn: HTTPConnection | None,
    ) -> None:
        """Ties a response to this pool (and to the connection it releases when read), and
        logs the request line."""
        response.retries = retries
        response._connection = response_conn
        response._pool = self
        log.debug(
            '%s://%s:%s "%s %s %s" %s %s',
            self.scheme,
            self.host,
            self.port,
            method,
            url,
            response.version_string,
            response.status,
            response.length_remaining,
        )

    def _validate_before_request(self, conn: HTTPConnection, url: str) -> None:
        """``_validate_conn``, its failures reported as urllib3 reports them."""
        try:
            self._validate_or_time_out(conn, url)
        except (OSError, NewConnectionError, TimeoutError, BaseSSLError, CertificateError, SSLError) as e:
            reported = _as_reported(e, conn)
            if reported is e:
                raise
            raise reported

    def _validate_or_time_out(self, conn: HTTPConnection, url: str) -> None:
        try:
            self._validate_conn(conn)
        except (SocketTimeout, BaseSSLError) as e:
            self._raise_timeout(err=e, url=url, timeout_value=conn.timeout)
            raise

    def _send_request(self, conn: HTTPConnection, url: str, method: str, **request_kw: typing.Any) -> None:
        try:
            conn.request(method, url, **request_kw)
        except ReadTimeoutError as e:
            self._raise_timeout(err=e, url=url, timeout_value=conn.timeout)
            raise
        except OSError as e:
            # The server may have answered and closed before reading the whole request;
            # its answer is still there to read.
            if not isinstance(e, BrokenPipeError) and e.errno not in (errno.EPROTOTYPE, errno.ECONNRESET):
                raise

    # -- the request's stages -------------------------------------------------------------

    def is_same_host(self, url: str) -> bool:
        """Whether ``url`` is on this pool's scheme, host and port (a path always is)."""
        if url.startswith("/"):
            return True
        target = parse_url(url)
        scheme = target.scheme or "http"
        host = None if target.host is None else _normalize_host(target.host, scheme=scheme)
        return (scheme, host, self._port_as_compared(target.port, scheme)) == (
            self.scheme,
            self.host,
            self.port,
        )

    def _port_as_compared(self, port: int | None, scheme: str) -> int | None:
        """A URL's port as this pool states its own: the scheme's default is implied when the
        pool names no port, and spelled out when it does."""
        default = port_by_scheme.get(scheme)
        if port is None and self.port is not None:
            return default
        if port == default and self.port is None:
            return None
        return port

    def urlopen(  # type: ignore[override]
        self,
        method: str,
        url: str,
        body: _TYPE_BODY | None = None,
        headers: typing.Mapping[str, str] | None = None,
        retries: Retry | bool | int | None = None,
        redirect: bool = True,
        assert_same_host: bool = True,
        timeout: _TYPE_TIMEOUT = _DEFAULT_TIMEOUT,
        pool_timeout: int | None = None,
        release_conn: bool | None = None,
        chunked: bool = False,
        body_pos: _TYPE_BODY_POSITION | None = None,
        preload_content: bool = True,
        decode_content: bool = True,
        **response_kw: typing.Any,
    ) -> BaseHTTPResponse:
        """Sends a request with retries and same-host redirects, as urllib3 does.

        ``release_conn`` (default: ``preload_content``) returns the connection to the pool
        as soon as the head is read; otherwise the response returns it once its body is.
        """
        call = _Call(
            method,
            url,
            body,
            headers,
            retries,
            redirect,
            assert_same_host,
            timeout,
            pool_timeout,
            release_conn,
            chunked,
            body_pos,
            preload_content,
            decode_content,
            response_kw,
        )
        taken = _lane.take(self, call)
        if taken is None:
            self._prepare_call(call)
        return self._after_attempt(call, self._send_once(call, taken), lane=taken is not None)

    def _after_attempt(self, call: _Call, response: BaseHTTPResponse | None, lane: bool) -> BaseHTTPResponse:
        """What follows an attempt (``response``: None when it failed and may be retried): the
        next attempt, or the response for the caller. ``lane``: the fast lane sent it."""
        if response is None:
            return call.reissue(self)
        if lane and not _lane.needs_follow_up(call, response):
            return response
        if self._after_response(call, response):
            return call.reissue(self)
        return response

    def _prepare_call(self, call: _Call) -> None:
        """Stage: what this call sends, settled before a connection is taken."""
        if call.url.startswith("/"):
            destination_scheme = None
            call.url = to_str(_encode_target(call.url))
        else:
            target = parse_url(call.url)
            destination_scheme = target.scheme
            call.url = to_str(target._replace(fragment=None).url)
        if call.headers is None:
            call.headers = self.headers
        if not isinstance(call.retries, Retry):
            call.retries = Retry.from_int(call.retries, redirect=call.redirect, default=self.retries)
        if call.release_conn is None:
            call.release_conn = call.preload_content
        if call.assert_same_host and not self.is_same_host(call.url):
            raise HostChangedError(self, call.url, call.retries)
        call.tunnel = connection_requires_http_tunnel(self.proxy, self.proxy_config, destination_scheme)
        if not call.tunnel and self.proxy_headers:
            # Forwarded requests carry the proxy's headers; a copy, not the caller's dict.
            call.headers = call.headers.copy()
            call.headers.update(self.proxy_headers)
        call.body_pos = set_file_position(call.body, call.body_pos)
        call.timeout_obj = self._get_timeout(call.timeout)

    def _send_once(
        self,
        call: _Call,
        taken: HTTPConnection | None = None,
        failed: BaseException | None = None,
    ) -> BaseHTTPResponse | None:
        """Stage: one attempt on a connection from the store (``taken``: one the fast lane
        took, ready for its one-call exchange; ``failed``: what the lane's route met in the
        exchange it made on it). Returns the response, or None when it failed and ``Retry``
        allows another attempt (already counted)."""
        conn = taken
        try:
            if taken is not None:
                response = _lane.send(self, taken, call, failed)
            else:
                conn = self._get_conn(timeout=call.pool_timeout)
                conn.timeout = call.timeout_obj.connect_timeout  # type: ignore[assignment]
                if call.tunnel and self.proxy is not None and conn.is_closed:
                    self._open_tunnel(conn)
                response = self._make_request(
                    conn,
                    call.method,
                    call.url,
                    timeout=call.timeout_obj,
                    body=call.body,
                    headers=call.headers,
                    chunked=call.chunked,
                    retries=call.retries,
                    # A connection released here must not be released by the response too.
                    response_conn=None if call.release_conn else conn,
                    preload_content=call.preload_content,
                    decode_content=call.decode_content,
                    **call.response_kw,
                )
        except EmptyPoolError:
            raise  # nothing was taken, so nothing goes back
        except _ATTEMPT_ERRORS as e:
            self._after_error(call, e, conn)
            log.warning(
                "Retrying (%r) after connection broken by '%r': %s",
                call.retries,
                e,
                call.url,
                # pip rewrites this warning and finds the host here.
                extra={"__urllib3-retry-warning": {"host": self.host}},
            )
            return None
        except BaseException:
            self._discard(conn)
            raise
        if call.release_conn:
            self._put_conn(conn)
        return response

    def _open_tunnel(self, conn: HTTPConnection) -> None:
        """A new connection through a proxy first goes through its CONNECT tunnel."""
        try:
            self._prepare_proxy(conn)
        except (BaseSSLError, OSError, SocketTimeout) as e:
            # Only a pool with a proxy opens tunnels (``_send_once`` checks).
            self._raise_timeout(err=e, url=typing.cast(Url, self.proxy).url, timeout_value=conn.timeout)
            raise

    def _after_error(self, call: _Call, err: BaseException, conn: HTTPConnection | None) -> None:
        """Stage: an attempt failed. Discards its connection and counts the failure against
        ``call.retries``, which raises when they ran out; then sleeps any backoff.

        Call it from the ``except`` block, so that the traceback and context are the error's.
        """
        reason = _as_reported(err, conn)
        if isinstance(reason, (OSError, HTTPException)):
            reason = ProtocolError("Connection aborted.", reason)
        self._discard(conn)
        call.retries = call.retries.increment(
            call.method, call.url, error=reason, _pool=self, _stacktrace=sys.exc_info()[2]
        )
        call.retries.sleep()

    def _after_response(self, call: _Call, response: BaseHTTPResponse) -> bool:
        """Stage: a response arrived. Returns True when ``call`` now describes the next
        attempt (a redirect, or a status ``Retry`` wants retried); False hands the response
        to the caller."""
        location = call.redirect and response.get_redirect_location()
        if location:
            self._rewrite_for_redirect(call, location, response.status)
            if not self._count_response(call, response, raise_when_exhausted=call.retries.raise_on_redirect):
                return False
            call.retries.sleep_for_retry(response)
            log.debug("Redirecting %s -> %s", call.url, location)
            call.url = location
            return True
        has_retry_after = bool(response.headers.get("Retry-After"))
        if not call.retries.is_retry(call.method, response.status, has_retry_after):
            return False
        if not self._count_response(call, response, raise_when_exhausted=call.retries.raise_on_status):
            return False
        call.retries.sleep(response)
        log.debug("Retry: %s", call.url)
        return True

    def _rewrite_for_redirect(self, call: _Call, location: str, status: int) -> None:
        if status == 303:
            call.method, call.body, call.chunked, call.body_pos = "GET", None, False, None
        call.headers = _headers_for_redirect(call.headers, status, call.retries, self, location)

    def _count_response(self, call: _Call, response: BaseHTTPResponse, raise_when_exhausted: bool) -> bool:
        """``Retry.increment`` for a response. False when retries ran out and the response
        is to be returned as it is; the response is drained either way."""
        try:
            call.retries = call.retries.increment(call.method, call.url, response=response, _pool=self)
        except MaxRetryError:
            if raise_when_exhausted:
                response.drain_conn()
                raise
            return False
        response.drain_conn()
        return True


class HTTPSConnectionPool(HTTPConnectionPool):
    """A pool of HTTPS connections; TLS settings go to each connection."""

    scheme = "https"
    ConnectionCls: type[HTTPSConnection] = HTTPSConnection
    _connection_kind = ("HTTPS", 443)

    def __init__(
        self,
        host: str,
        port: int | None = None,
        timeout: _TYPE_TIMEOUT | None = _DEFAULT_TIMEOUT,
        maxsize: int = 1,
        block: bool = False,
        headers: typing.Mapping[str, str] | None = None,
        retries: Retry | bool | int | None = None,
        _proxy: Url | None = None,
        _proxy_headers: typing.Mapping[str, str] | None = None,
        key_file: str | None = None,
        cert_file: str | None = None,
        cert_reqs: int | str | None = None,
        key_password: str | None = None,
        ca_certs: str | None = None,
        ssl_version: int | str | None = None,
        ssl_minimum_version: typing.Any = None,
        ssl_maximum_version: typing.Any = None,
        assert_hostname: str | typing.Literal[False] | None = None,
        assert_fingerprint: str | None = None,
        ca_cert_dir: str | None = None,
        **conn_kw: typing.Any,
    ) -> None:
        super().__init__(host, port, timeout, maxsize, block, headers, retries, _proxy, _proxy_headers, **conn_kw)
        # Who we are, whom we trust, which versions, and how the peer is checked: each new
        # connection gets these (_connection_settings).
        self.cert_file, self.key_file, self.key_password = cert_file, key_file, key_password
        self.cert_reqs, self.ca_certs, self.ca_cert_dir = cert_reqs, ca_certs, ca_cert_dir
        self.ssl_version = ssl_version
        self.ssl_minimum_version, self.ssl_maximum_version = ssl_minimum_version, ssl_maximum_version
        self.assert_hostname, self.assert_fingerprint = assert_hostname, assert_fingerprint
        # Concurrent requests over HTTP/2 are streams of one connection (while it has room):
        # every connection this pool makes shares these.
        self._http2_connections = _rs.Http2Connections()

    def close(self) -> None:
        super().close()
        self._http2_connections.clear()

    def _prepare_proxy(self, conn: HTTPSConnection) -> None:  # type: ignore[override]
        """Sets up the CONNECT tunnel to this pool's host through the proxy, and connects."""
        proxy_speaks_tls = self.proxy is not None and self.proxy.scheme == "https"
        conn.set_tunnel(
            self._tunnel_host,
            self.port,
            headers=self.proxy_headers,
            scheme="https" if proxy_speaks_tls else "http",
        )
        conn.connect()

    def _new_conn(self) -> HTTPSConnection:
        # Declared an HTTPSConnection class, it is DummyConnection (or None) without ssl.
        connection_cls: object = self.ConnectionCls
        if connection_cls in (None, DummyConnection):
            raise ImportError("Can't connect to HTTPS URL because the SSL module is not available.")
        # Made by ConnectionCls, an HTTPSConnection class.
        conn = typing.cast(HTTPSConnection, super()._new_conn())
        conn._http2_connections = self._http2_connections
        return conn

    def _connection_address(self) -> tuple[str, int | None]:
        # Through a proxy, the connection goes to the proxy and tunnels from there.
        if self.proxy is not None and self.proxy.host is not None:
            return self.proxy.host, self.proxy.port
        return self.host, self.port

    def _connection_settings(self) -> dict[str, typing.Any]:
        return {name: getattr(self, name) for name in _TLS_CONNECTION_SETTINGS}

    def _validate_conn(self, conn: HTTPConnection) -> None:
        """Connects (so TLS is verified before the request) and warns when it was not."""
        super()._validate_conn(conn)
        if conn.is_closed:
            conn.connect()
        verified = conn.is_verified or conn.proxy_is_verified
        if not verified:
            warnings.warn(_UNVERIFIED_HTTPS_WARNING.format(host=conn.host), InsecureRequestWarning)


_lane.register(HTTPConnectionPool, HTTPSConnectionPool)

# The pool's TLS settings that each of its connections is made with.
_TLS_CONNECTION_SETTINGS = (
    "cert_file",
    "key_file",
    "key_password",
    "cert_reqs",
    "ca_certs",
    "ca_cert_dir",
    "assert_hostname",
    "assert_fingerprint",
    "ssl_version",
    "ssl_minimum_version",
    "ssl_maximum_version",
)


def connection_from_url(url: str, **kw: typing.Any) -> HTTPConnectionPool:
    """A pool for the scheme, host and port of ``url``."""
    target = parse_url(url)
    scheme = target.scheme or "http"
    port = port_by_scheme.get(scheme, 80) if target.port is None else target.port
    pool_cls = HTTPSConnectionPool if scheme == "https" else HTTPConnectionPool
    return pool_cls(target.host, port=port, **kw)  # type: ignore[arg-type]


def _as_reported(err: BaseException, conn: HTTPConnection | None) -> BaseException:
    """The error urllib3 reports for a failed attempt: TLS failures as SSLError, and a
    failure before the proxy answered as ProxyError."""
    if isinstance(err, (BaseSSLError, CertificateError)):
        err = SSLError(err)
    if (
        conn is not None
        and conn.proxy
        and not conn.has_connected_to_proxy
        and isinstance(err, (*_CONNECT_ERRORS, HTTPException))
    ):
        # A failure before the proxy answered.
        return _wrap_proxy_error(err, conn.proxy.scheme)
    return err


def _headers_for_redirect(
    headers: typing.Any, status: int, retries: Retry, pool: HTTPConnectionPool, location: str
) -> typing.Any:
    """The headers a redirected request carries: a 303 turns it into a bodiless GET, which
    sheds the body's headers, and the headers ``Retry`` names (credentials) stay behind
    when the redirect leaves the pool's host."""
    if status == 303:
        headers = HTTPHeaderDict(headers)._prepare_for_method_change()
    unsafe = retries.remove_headers_on_redirect
    # Checked first: is_same_host may one day need the network.
    if unsafe and not pool.is_same_host(location):
        kept = headers.copy()
        for name in list(kept):
            if name.lower() in unsafe:
                del kept[name]
        headers = kept
    return headers


@typing.overload
def _normalize_host(host: None, scheme: str | None) -> None: ...


@typing.overload
def _normalize_host(host: str, scheme: str | None) -> str: ...


def _normalize_host(host: str | None, scheme: str | None) -> str | None:
    """Normalised like urllib3: lower-case, IDNA, and IPv6 literals without brackets."""
    host = normalize_host(host, scheme)
    if host and host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host


def _url_from_pool(pool: HTTPConnectionPool | HTTPSConnectionPool, path: str | None = None) -> str:
    return Url(scheme=pool.scheme, host=pool.host, port=pool.port, path=path).url


def _close_pool_connections(store: queue.LifoQueue[typing.Any]) -> None:
    """Empties a store, closing each connection in it."""
    while True:
        try:
            conn = store.get(block=False)
        except (*_EMPTY, queue.Empty):
            return
        if conn:
            conn.close()
