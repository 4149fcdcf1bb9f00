"""Connection pools: urllib3's ``HTTPConnectionPool`` and ``HTTPSConnectionPool``.

The pool algorithm is urllib3's (a LIFO queue of connections and empty slots, retries and
redirects in ``urlopen``), so subclasses and patched steps (``_get_conn``, ``_make_request``,
``Retry.increment``...) behave as they do there; the connections underneath are the core's.
"""

from __future__ import annotations

import logging
import queue
import sys
import typing
import warnings
import weakref
from socket import timeout as SocketTimeout
from types import TracebackType

from ._base_connection import _TYPE_BODY, ProxyConfig
from ._collections import HTTPHeaderDict
from ._request_methods import RequestMethods
from .connection import (
    BaseSSLError,
    DummyConnection,
    HTTPConnection,
    HTTPException,
    HTTPSConnection,
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
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
    TimeoutError,
)
from .response import BaseHTTPResponse
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


# A marker meaning "queue.LifoQueue as it is when the pool is made", so that patching
# queue.LifoQueue (as gevent and tests do) takes effect.
_DEFAULT_QUEUE_CLASS: typing.Any = object()


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
        if self.QueueCls is _DEFAULT_QUEUE_CLASS:
            return queue.LifoQueue(maxsize)
        return self.QueueCls(maxsize)  # type: ignore[no-any-return]


class HTTPConnectionPool(ConnectionPool, RequestMethods):
    """A thread-safe pool of connections to one host (urllib3's ``HTTPConnectionPool``)."""

    scheme = "http"
    ConnectionCls: type[HTTPConnection] | type[HTTPSConnection] = HTTPConnection

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
        if not isinstance(timeout, Timeout):
            timeout = Timeout.from_float(timeout)
        if retries is None:
            retries = Retry.DEFAULT
        self.timeout = timeout
        self.retries = retries
        self.pool: queue.LifoQueue[typing.Any] | None = self._new_pool_queue(maxsize)
        self.block = block
        self.proxy = _proxy
        self.proxy_headers = _proxy_headers or {}
        self.proxy_config = _proxy_config
        # Empty slots: taking one means opening a new connection.
        for _ in range(maxsize):
            self.pool.put(None)
        self.num_connections = 0
        self.num_requests = 0
        self.conn_kw = conn_kw
        if self.proxy:
            self.conn_kw.setdefault("socket_options", [])
            self.conn_kw["proxy"] = self.proxy
            self.conn_kw["proxy_config"] = self.proxy_config
        # Connections close when the pool is garbage-collected, even without close().
        weakref.finalize(self, _close_pool_connections, self.pool)

    def _new_conn(self) -> HTTPConnection:
        """A new connection (opened on first use)."""
        self.num_connections += 1
        log.debug(
            "Starting new HTTP connection (%d): %s:%s",
            self.num_connections,
            self.host,
            self.port or "80",
        )
        return self.ConnectionCls(
            host=self.host,
            port=self.port,
            timeout=self.timeout.connect_timeout,
            **self.conn_kw,
        )

    def _get_conn(self, timeout: float | None = None) -> HTTPConnection:
        """A pooled connection, or a new one if the pool holds an empty slot."""
        conn = None
        if self.pool is None:
            raise ClosedPoolError(self, "Pool is closed.")
        try:
            conn = self.pool.get(block=self.block, timeout=timeout)
        except AttributeError:
            raise ClosedPoolError(self, "Pool is closed.") from None
        except queue.Empty:
            if self.block:
                raise EmptyPoolError(
                    self,
                    "Pool is empty and a new connection can't be opened due to blocking mode.",
                ) from None
        if conn and is_connection_dropped(conn):
            log.debug("Resetting dropped connection: %s", self.host)
            conn.close()
        return conn or self._new_conn()

    def _put_conn(self, conn: HTTPConnection | None) -> None:
        """Returns a connection (or its empty slot) to the pool; a full pool closes it."""
        if self.pool is not None:
            try:
                self.pool.put(conn, block=False)
                return
            except AttributeError:
                pass
            except queue.Full:
                if conn:
                    conn.close()
                if self.block:
                    raise FullPoolError(
                        self,
                        "Pool reached maximum size and no more connections are allowed.",
                    ) from None
                log.warning(
                    "Connection pool is full, discarding connection: %s. Connection pool size: %s",
                    self.host,
                    self.pool.qsize(),
                )
        if conn:
            conn.close()

    def _validate_conn(self, conn: HTTPConnection) -> None:
        """Called for every connection before a request; HTTPS connects here."""

    def _prepare_proxy(self, conn: HTTPConnection) -> None:
        """Nothing to prepare for a plain HTTP proxy."""

    def _get_timeout(self, timeout: _TYPE_TIMEOUT) -> Timeout:
        if timeout is _DEFAULT_TIMEOUT:
            return self.timeout.clone()
        if isinstance(timeout, Timeout):
            return timeout.clone()
        return Timeout.from_float(timeout)

    def _raise_timeout(self, err: BaseException, url: str, timeout_value: typing.Any) -> None:
        """Raises ReadTimeoutError for a timeout, and nothing for any other error."""
        if isinstance(err, (SocketTimeout, ReadTimeoutError)):
            raise ReadTimeoutError(self, url, f"Read timed out. (read timeout={timeout_value})") from err
        if hasattr(err, "errno") and err.errno in {11}:  # EAGAIN: a non-blocking read timed out
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
        try:
            self._validate_conn(conn)
        except (SocketTimeout, BaseSSLError) as e:
            self._raise_timeout(err=e, url=url, timeout_value=conn.timeout)
            raise
        try:
            conn.request(
                method,
                url,
                body=body,
                headers=headers,
                chunked=chunked,
                preload_content=preload_content,
                decode_content=decode_content,
                enforce_content_length=enforce_content_length,
            )
        except BrokenPipeError:
            pass
        except ReadTimeoutError as e:
            self._raise_timeout(err=e, url=url, timeout_value=conn.timeout)
            raise
        read_timeout = timeout_obj.read_timeout
        if not conn.is_closed:
            if read_timeout == 0:
                raise ReadTimeoutError(self, url, f"Read timed out. (read timeout={read_timeout})")
            conn.timeout = read_timeout
        try:
            response = conn.getresponse()
        except (BaseSSLError, OSError, ReadTimeoutError) as e:
            self._raise_timeout(err=e, url=url, timeout_value=read_timeout)
            raise
        response.retries = retries
        response._connection = response_conn  # type: ignore[attr-defined]
        response._pool = self  # type: ignore[attr-defined]
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
        return response

    def close(self) -> None:
        """Closes every pooled connection; later requests raise ClosedPoolError."""
        if self.pool is None:
            return
        old_pool, self.pool = self.pool, None
        _close_pool_connections(old_pool)

    def is_same_host(self, url: str) -> bool:
        """Whether ``url`` is on this pool's scheme, host and port."""
        if url.startswith("/"):
            return True
        scheme, _, host, port, *_ = parse_url(url)
        scheme = scheme or "http"
        if host is not None:
            host = _normalize_host(host, scheme=scheme)
        if self.port is not None and port is None:
            port = port_by_scheme.get(scheme)
        elif self.port is None and port == port_by_scheme.get(scheme):
            port = None
        return (scheme, host, port) == (self.scheme, self.host, self.port)

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
        """Sends a request with retries and same-host redirects, as urllib3 does."""
        if url.startswith("/"):
            parsed_url = None
            destination_scheme = None
        else:
            parsed_url = parse_url(url)
            destination_scheme = parsed_url.scheme
        if headers is None:
            headers = self.headers
        if not isinstance(retries, Retry):
            retries = Retry.from_int(retries, redirect=redirect, default=self.retries)
        if release_conn is None:
            release_conn = preload_content
        if assert_same_host and not self.is_same_host(url):
            raise HostChangedError(self, url, retries)
        if parsed_url is None:
            url = to_str(_encode_target(url))
        else:
            url = to_str(parsed_url._replace(fragment=None).url)
        conn = None
        release_this_conn = release_conn
        http_tunnel_required = connection_requires_http_tunnel(self.proxy, self.proxy_config, destination_scheme)
        if not http_tunnel_required:
            headers = headers.copy()  # type: ignore[attr-defined]
            headers.update(self.proxy_headers)  # type: ignore[union-attr]
        err = None
        clean_exit = False
        body_pos = set_file_position(body, body_pos)
        timeout_obj = self._get_timeout(timeout)
        try:
            conn = self._get_conn(timeout=pool_timeout)
            conn.timeout = timeout_obj.connect_timeout  # type: ignore[assignment]
            if self.proxy is not None and http_tunnel_required and conn.is_closed:
                self._prepare_proxy(conn)
            response_conn = conn if not release_conn else None
            response = self._make_request(
                conn,
                method,
                url,
                timeout=timeout_obj,
                body=body,
                headers=headers,
                chunked=chunked,
                retries=retries,
                response_conn=response_conn,
                preload_content=preload_content,
                decode_content=decode_content,
                **response_kw,
            )
            clean_exit = True
        except EmptyPoolError:
            clean_exit = True
            release_this_conn = False
            raise
        except (
            TimeoutError,
            HTTPException,
            OSError,
            ProtocolError,
            BaseSSLError,
            SSLError,
            CertificateError,
            ProxyError,
        ) as e:
            clean_exit = False
            new_e: Exception = e
            if isinstance(e, (BaseSSLError, CertificateError)):
                new_e = SSLError(e)
            if isinstance(new_e, (OSError, HTTPException)):
                new_e = ProtocolError("Connection aborted.", new_e)
            retries = retries.increment(method, url, error=new_e, _pool=self, _stacktrace=sys.exc_info()[2])
            retries.sleep()
            err = e
        finally:
            if not clean_exit:
                if conn:
                    conn.close()
                    conn = None
                release_this_conn = True
            if release_this_conn:
                self._put_conn(conn)

        if not conn:
            log.warning("Retrying (%r) after connection broken by '%r': %s", retries, err, url)
            return self.urlopen(
                method,
                url,
                body,
                headers,
                retries,
                redirect,
                assert_same_host,
                timeout=timeout,
                pool_timeout=pool_timeout,
                release_conn=release_conn,
                chunked=chunked,
                body_pos=body_pos,
                preload_content=preload_content,
                decode_content=decode_content,
                **response_kw,
            )

        redirect_location = redirect and response.get_redirect_location()
        if redirect_location:
            if response.status == 303:
                method = "GET"
                body = None
                chunked = False
                body_pos = None
                headers = HTTPHeaderDict(headers)._prepare_for_method_change()
            if retries.remove_headers_on_redirect and not self.is_same_host(redirect_location):
                new_headers = headers.copy()  # type: ignore[union-attr]
                for header in headers:
                    if header.lower() in retries.remove_headers_on_redirect:
                        new_headers.pop(header, None)
                headers = new_headers
            try:
                retries = retries.increment(method, url, response=response, _pool=self)
            except MaxRetryError:
                if retries.raise_on_redirect:
                    response.drain_conn()
                    raise
                return response
            response.drain_conn()
            retries.sleep_for_retry(response)
            log.debug("Redirecting %s -> %s", url, redirect_location)
            return self.urlopen(
                method,
                redirect_location,
                body,
                headers,
                retries=retries,
                redirect=redirect,
                assert_same_host=assert_same_host,
                timeout=timeout,
                pool_timeout=pool_timeout,
                release_conn=release_conn,
                chunked=chunked,
                body_pos=body_pos,
                preload_content=preload_content,
                decode_content=decode_content,
                **response_kw,
            )

        has_retry_after = bool(response.headers.get("Retry-After"))
        if retries.is_retry(method, response.status, has_retry_after):
            try:
                retries = retries.increment(method, url, response=response, _pool=self)
            except MaxRetryError:
                if retries.raise_on_status:
                    response.drain_conn()
                    raise
                return response
            response.drain_conn()
            retries.sleep(response)
            log.debug("Retry: %s", url)
            return self.urlopen(
                method,
                url,
                body,
                headers,
                retries=retries,
                redirect=redirect,
                assert_same_host=assert_same_host,
                timeout=timeout,
                pool_timeout=pool_timeout,
                release_conn=release_conn,
                chunked=chunked,
                body_pos=body_pos,
                preload_content=preload_content,
                decode_content=decode_content,
                **response_kw,
            )
        return response


class HTTPSConnectionPool(HTTPConnectionPool):
    """A pool of HTTPS connections; TLS settings go to each connection."""

    scheme = "https"
    ConnectionCls: type[HTTPSConnection] = HTTPSConnection  # type: ignore[assignment]

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
        self.key_file = key_file
        self.cert_file = cert_file
        self.cert_reqs = cert_reqs
        self.key_password = key_password
        self.ca_certs = ca_certs
        self.ca_cert_dir = ca_cert_dir
        self.ssl_version = ssl_version
        self.ssl_minimum_version = ssl_minimum_version
        self.ssl_maximum_version = ssl_maximum_version
        self.assert_hostname = assert_hostname
        self.assert_fingerprint = assert_fingerprint

    def _prepare_proxy(self, conn: HTTPSConnection) -> None:  # type: ignore[override]
        """Sets up the CONNECT tunnel to this pool's host through the proxy, and connects."""
        tunnel_scheme = "https" if self.proxy and self.proxy.scheme == "https" else "http"
        conn.set_tunnel(scheme=tunnel_scheme, host=self._tunnel_host, port=self.port, headers=self.proxy_headers)
        conn.connect()

    def _new_conn(self) -> HTTPSConnection:
        self.num_connections += 1
        log.debug(
            "Starting new HTTPS connection (%d): %s:%s",
            self.num_connections,
            self.host,
            self.port or "443",
        )
        if not self.ConnectionCls or self.ConnectionCls is DummyConnection:  # type: ignore[comparison-overlap]
            raise ImportError("Can't connect to HTTPS URL because the SSL module is not available.")
        actual_host: str = self.host
        actual_port = self.port
        if self.proxy is not None and self.proxy.host is not None:
            actual_host = self.proxy.host
            actual_port = self.proxy.port
        return self.ConnectionCls(
            host=actual_host,
            port=actual_port,
            timeout=self.timeout.connect_timeout,
            cert_file=self.cert_file,
            key_file=self.key_file,
            key_password=self.key_password,
            cert_reqs=self.cert_reqs,
            ca_certs=self.ca_certs,
            ca_cert_dir=self.ca_cert_dir,
            assert_hostname=self.assert_hostname,
            assert_fingerprint=self.assert_fingerprint,
            ssl_version=self.ssl_version,
            ssl_minimum_version=self.ssl_minimum_version,
            ssl_maximum_version=self.ssl_maximum_version,
            **self.conn_kw,
        )

    def _validate_conn(self, conn: HTTPConnection) -> None:
        super()._validate_conn(conn)
        if conn.is_closed:
            conn.connect()
        if not conn.is_verified and not conn.proxy_is_verified:
            warnings.warn(
                (
                    f"Unverified HTTPS request is being made to host '{conn.host}'. "
                    "Adding certificate verification is strongly advised. See: "
                    "https://urllib3.readthedocs.io/en/latest/advanced-usage.html"
                    "#tls-warnings"
                ),
                InsecureRequestWarning,
            )


def connection_from_url(url: str, **kw: typing.Any) -> HTTPConnectionPool:
    """A pool for the scheme, host and port of ``url``."""
    scheme, _, host, port, *_ = parse_url(url)
    scheme = scheme or "http"
    if port is None:
        port = port_by_scheme.get(scheme, 80)
    if scheme == "https":
        return HTTPSConnectionPool(host, port=port, **kw)  # type: ignore[arg-type]
    return HTTPConnectionPool(host, port=port, **kw)  # type: ignore[arg-type]


def _normalize_host(host: str | None, scheme: str | None) -> str | None:
    """Normalised like urllib3: lower-case, IDNA, and IPv6 literals without brackets."""
    host = normalize_host(host, scheme)
    if host and host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host


def _url_from_pool(pool: HTTPConnectionPool | HTTPSConnectionPool, path: str | None = None) -> str:
    return Url(scheme=pool.scheme, host=pool.host, port=pool.port, path=path).url


def _close_pool_connections(pool: queue.LifoQueue[typing.Any]) -> None:
    """Drains a pool's queue, closing each connection."""
    try:
        while True:
            conn = pool.get(block=False)
            if conn:
                conn.close()
    except queue.Empty:
        pass
