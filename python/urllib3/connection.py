"""HTTP connections: urllib3's ``HTTPConnection`` over a connection of the Rust core.

The classes keep ``http.client.HTTPConnection`` as their base, so code that subclasses them or
reaches for http.client's seams keeps working. ``sock`` is the core connection while connected.
A request made with the stock methods is written by the core in one call; a subclass that
overrides ``putrequest``/``putheader``/``endheaders``/``send`` is honoured step by step.
"""

from __future__ import annotations

import datetime
import http.client
import logging
import os
import re
import socket
import sys
import threading
import types
import typing
import warnings
import weakref
from http.client import HTTPConnection as _HTTPConnection
from http.client import HTTPException as HTTPException  # noqa: F401
from http.client import ResponseNotReady
from urllib.parse import urlsplit

from . import _lane, _rs
from . import response as _response
from ._base_connection import _TYPE_BODY, _ResponseOptions
from ._base_connection import ProxyConfig as ProxyConfig
from ._base_connection import port_by_scheme as port_by_scheme
from ._collections import HTTPHeaderDict
from ._errors import CoreError, translate
from ._version import __version__
from .exceptions import (
    ConnectTimeoutError,
    HeaderParsingError,
    NameResolutionError,
    NewConnectionError,
    ProxyError,
    SSLError,
    SystemTimeWarning,
)
from .util import connection as _util_connection
from .util.request import SKIP_HEADER, SKIPPABLE_HEADERS, body_to_chunks
from .util.ssl_ import is_ipaddress, resolve_cert_reqs, ssl_wrap_socket  # noqa: F401  (callers patch it here)
from .util.ssl_match_hostname import CertificateError, match_hostname
from .util.timeout import _DEFAULT_TIMEOUT, _TYPE_TIMEOUT, Timeout
from .util.url import Url

if typing.TYPE_CHECKING:
    from .response import HTTPResponse

try:
    import ssl

    BaseSSLError = ssl.SSLError
except ImportError:  # pragma: no cover
    ssl = None  # type: ignore[assignment]

    class BaseSSLError(BaseException):  # type: ignore[no-redef]
        pass


ConnectionError = ConnectionError
BrokenPipeError = BrokenPipeError

log = logging.getLogger(__name__)

# The functions as shipped: a replacement (a test's patch, a library's hook) sends the
# connection down the Python path so that the replacement is honoured.
_ORIGINAL_CREATE_CONNECTION = _util_connection.create_connection
_lane.register_http_client(_HTTPConnection)
_HTTP_CLIENT_TUNNEL = _HTTPConnection._tunnel  # type: ignore[attr-defined]
#: Per connection class: whether it keeps our request-writing methods (a class's methods do
#: not change once it is in use, so this is worked out once; weak, as classes may come and go).
_stock_classes: weakref.WeakKeyDictionary[type, bool] = weakref.WeakKeyDictionary()

# A response class put in its place (tests patch it) is made through its constructor.
_STOCK_RESPONSE = _response.HTTPResponse

# A date the system clock must be past for certificate checks to make sense.
RECENT_DATE = datetime.date(2025, 1, 1)


def _get_default_user_agent() -> str:
    return f"python-urllib3/{__version__}"


# Obsolete line folding: a CRLF followed by spaces or tabs continues the previous value.
_OBSOLETE_FOLD_RE = re.compile(r"(?:(?<![ \t])[ \t]+)?\r\n[ \t]+")


def _normalize_header_value(value: str) -> str:
    """Unfolds an obsolete multi-line header value into one line."""
    if "\r\n" not in value:
        return value
    return _OBSOLETE_FOLD_RE.sub(" ", value)


def _normalize_header_values(message: http.client.HTTPMessage) -> list[tuple[str, str]]:
    """The message's headers with folded values unfolded; the message is updated in place
    (keeping its order) so cookie jars reading it see the same values."""
    items = message.items()
    unfolded = [(name, _normalize_header_value(value)) for name, value in items]
    if unfolded != items:
        for name, _ in items:
            del message[name]
        for name, value in unfolded:
            message[name] = value
    return unfolded


def _match_hostname(cert: typing.Any, asserted_hostname: str, hostname_checks_common_name: bool = False) -> None:
    """match_hostname, logging a mismatch and attaching the certificate to the error for
    callers to inspect."""
    name = _bare_ip_or_name(asserted_hostname)
    try:
        match_hostname(cert, name, hostname_checks_common_name)
    except CertificateError as mismatch:
        log.warning("Certificate did not match expected hostname: %s. Certificate: %s", name, cert)
        mismatch._peer_cert = cert  # type: ignore[attr-defined]
        raise


def _bare_ip_without_scope(host: str) -> str:
    """The ssl module takes an IPv6 literal with a scope id (``a::b%zone``) for a DNS name:
    IP literals go to it bare, without brackets or zone."""
    unbracketed = host.strip("[]")
    address = unbracketed[: unbracketed.rfind("%")] if "%" in unbracketed else unbracketed
    return address if is_ipaddress(address) else host


def _bare_ip_or_name(host: str) -> str:
    """IP literals lose their URL brackets for matching; DNS names are matched as given."""
    unbracketed = host.strip("[]")
    return unbracketed if is_ipaddress(unbracketed) else host


def _wrap_proxy_error(err: Exception, proxy_scheme: str | None) -> ProxyError:
    """A ProxyError for a failure on the way to the proxy; TLS spoken to a plain HTTP proxy
    gets a hint, since that misconfiguration is common."""
    message = "Unable to connect to proxy"
    if proxy_scheme == "https" and _looks_like_plain_http_peer(err):
        message += _PLAIN_HTTP_PROXY_HINT
    wrapped = ProxyError(message, err)
    wrapped.__cause__ = err
    return wrapped


def _looks_like_plain_http_peer(err: BaseException) -> bool:
    # The stdlib's TLS names an HTTP answer to a ClientHello this way (OpenSSL's own words);
    # a stdlib error reaches here through a caller's socket or context.
    words = " ".join(re.split("[^a-z]", str(err).lower()))
    return any(phrase in words for phrase in ("wrong version number", "unknown protocol", "record layer failure"))


_PLAIN_HTTP_PROXY_HINT = (
    ". Your proxy appears to only use HTTP and not HTTPS, "
    "try changing your proxy URL to be HTTP. See: "
    "https://urllib3.readthedocs.io/en/latest/advanced-usage.html"
    "#https-proxy-error-http-proxy"
)


_REQUEST_CHUNKED_DEPRECATION = (
    "HTTPConnection.request_chunked() is deprecated and will be removed "
    "in urllib3 v3.0. Instead use HTTPConnection.request(..., chunked=True)."
)


def _skipped(name: str | bytes, values: typing.Iterable[typing.Any]) -> bool:
    """Whether a header is to be left out (a value is SKIP_HEADER); only the headers
    urllib3 adds by itself may be."""
    if not any(isinstance(value, str) and value == SKIP_HEADER for value in values):
        return False
    if _str(name).lower() in SKIPPABLE_HEADERS:
        return True
    allowed = "', '".join(sorted(header.title() for header in SKIPPABLE_HEADERS))
    raise ValueError(f"urllib3.util.SKIP_HEADER only supports '{allowed}'")


def _expand_user(path: str | None) -> str | None:
    return os.path.expanduser(path) if path else path


def _cert_reqs_or_default(cert_reqs: int | str | None, context: typing.Any) -> int | str:
    """Certificates are required unless said otherwise, by the argument or the context."""
    if cert_reqs is not None:
        return cert_reqs
    if context is not None:
        return context.verify_mode  # type: ignore[no-any-return]
    return resolve_cert_reqs(None)


def _check_tunnel_scheme(scheme: str) -> None:
    if scheme not in ("http", "https"):
        raise ValueError(f"Invalid proxy scheme for tunneling: {scheme!r}, must be either 'http' or 'https'")


class HTTPConnection(_HTTPConnection):
    """One connection to ``host:port``, opened on first use, as in urllib3."""

    default_port: typing.ClassVar[int] = port_by_scheme["http"]  # type: ignore[misc]

    #: Nagle's algorithm off, as urllib3 sets it by default.
    default_socket_options: typing.ClassVar[list[tuple[int, int, int | bytes]]] = [
        (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    ]

    is_verified: bool = False
    proxy_is_verified: bool | None = None
    # Set by http.client's constructor and set_tunnel(); typeshed does not declare them.
    source_address: tuple[str, int] | None
    _tunnel_headers: dict[str, str]

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        timeout: _TYPE_TIMEOUT = _DEFAULT_TIMEOUT,
        source_address: tuple[str, int] | None = None,
        blocksize: int = 16384,
        socket_options: None | list[tuple[int, int, int | bytes]] = default_socket_options,
        proxy: Url | None = None,
        proxy_config: ProxyConfig | None = None,
    ) -> None:
        resolved_timeout = Timeout.resolve_default_timeout(timeout)
        super().__init__(host, port, resolved_timeout, source_address, blocksize)
        self.socket_options, self.proxy, self.proxy_config = socket_options, proxy, proxy_config
        self._reset_route()

    def _reset_route(self) -> None:
        """The state of a connection that has not connected: no tunnel set, nothing verified,
        no request pending. ``close()`` comes back to it."""
        self.is_verified = False
        self.proxy_is_verified = None
        self._has_connected_to_proxy = False
        self._response_options: _ResponseOptions | None = None
        self._tunnel_host: str | None = None
        self._tunnel_port: int | None = None
        self._tunnel_scheme: str | None = None

    def __str__(self) -> str:
        return f"{type(self).__name__}(host={self.host!r}, port={self.port!r})"

    def __repr__(self) -> str:
        return f"<{self} at {id(self):#x}>"

    @property
    def host(self) -> str:
        # A trailing dot matters to DNS but not to certificates or Host headers.
        return self._dns_host.rstrip(".")

    @host.setter
    def host(self, value: str) -> None:
        self._dns_host = value

    def _new_conn(self) -> socket.socket | _rs.Connection:
        """Opens the core connection (the GIL is released while connecting).

        If ``urllib3.util.connection.create_connection`` was replaced (tests and some
        libraries patch it), the replacement makes a Python socket, and the connection then
        speaks through it the way http.client does.
        """
        sock: socket.socket | _rs.Connection
        if _util_connection.create_connection is not _ORIGINAL_CREATE_CONNECTION:
            sock = self._new_python_socket()
        else:
            sock = self._open_core(tls=None)
        sys.audit("http.client.connect", self, self.host, self.port)
        return sock

    def _open_core(self, tls: dict[str, typing.Any] | None) -> _rs.Connection:
        """Opens the core connection: direct, through a CONNECT tunnel (``set_tunnel``), or
        through a SOCKS proxy; with TLS to the target when ``tls`` is given. A subclass that
        writes the CONNECT itself (``_tunnel``) gets the connection to the proxy."""
        nodelay, keepalive = _socket_flags(self.socket_options)
        host, port = self._dns_host.strip("[]"), self.port
        route: dict[str, typing.Any] = {}
        if self._tunnel_host and self._tunnels_itself():
            if self._tunnel_scheme == "https":
                route["proxy"] = {
                    "url": self.proxy.url if self.proxy else f"https://{self._dns_host}:{self.port}",
                    "tls": self._proxy_tls_arguments(),
                    "forwarding": True,
                }
            tls = None
        elif self._tunnel_host:
            # set_tunnel() stores the port it was given or the scheme's default: never None.
            host, port = self._tunnel_host.strip("[]"), typing.cast(int, self._tunnel_port)
            route["proxy"] = {
                "url": self.proxy.url if self.proxy else f"{self._tunnel_scheme or 'http'}://{self._dns_host}:{self.port}",
                "headers": [(_str(k), _str(v)) for k, v in (self._tunnel_headers or {}).items()],
                "tls": self._proxy_tls_arguments(),
            }
        elif self.proxy is not None and self.proxy.scheme == "https" and tls is not None:
            # Forwarding through an HTTPS proxy: the TLS is with the proxy itself.
            route["proxy"] = {"url": self.proxy.url, "tls": self._proxy_tls_arguments(), "forwarding": True}
            tls = None
        socks = getattr(self, "_socks_options", None)
        if socks:
            route["socks"] = _socks_arguments(socks)
        if tls is not None and "h2" in tls["alpn_protocols"]:
            # The pool's HTTP/2 connections: one with room for a stream serves this one too.
            route["http2"] = getattr(self, "_http2_connections", None)
        try:
            return _rs.Connection.open(
                host,
                port,
                timeout=_seconds(self.timeout),
                source_address=self.source_address,
                nodelay=nodelay,
                keepalive=keepalive,
                family=_util_connection._core_family(),
                happy_eyeballs_delay=_util_connection.HAPPY_EYEBALLS_DELAY,
                configure_socket=_util_connection._socket_configurer(self.socket_options),
                tls=tls,
                **route,
            )
        except CoreError as e:
            raise self._connect_error(e)

    def _tunnels_itself(self) -> bool:
        """Whether a subclass, a patch of http.client or of this connection writes the CONNECT
        itself: then its ``_tunnel`` runs on the connection to the proxy, else the core
        tunnels."""
        tunnel = self._tunnel  # type: ignore[attr-defined]
        return getattr(tunnel, "__func__", tunnel) is not _HTTP_CLIENT_TUNNEL

    def _proxy_tls_arguments(self) -> dict[str, typing.Any] | None:
        """TLS settings for an HTTPS proxy: the connection's CA settings, with the proxy's
        own context, hostname and fingerprint settings on top, as urllib3 does."""
        if self.proxy is None or self.proxy.scheme != "https":
            return None
        args: dict[str, typing.Any] = {"cert_reqs": int(ssl.CERT_REQUIRED)}
        for name in ("ca_certs", "ca_cert_dir"):
            if getattr(self, name, None):
                args[name] = getattr(self, name)
        data = getattr(self, "ca_cert_data", None)
        if isinstance(data, str):
            args["ca_cert_pem"] = data
        elif data is not None:
            args["ca_cert_der"] = bytes(data)
        config = self.proxy_config
        if config is not None:
            if config.assert_hostname is False:
                args["check_hostname"] = False
            elif config.assert_hostname:
                args["assert_hostname"] = config.assert_hostname
            if config.assert_fingerprint:
                args["assert_fingerprint"] = config.assert_fingerprint
        context = config.ssl_context if config is not None else None
        if context is None and self.proxy_is_forwarding:
            # Forwarding, this connection's TLS is with the proxy: its own ssl_context serves
            # there when no proxy_ssl_context was given (urllib3's deprecated fallback).
            context = getattr(self, "ssl_context", None)
        if context is not None:
            _apply_context(context, args)
        return args

    def _connect_error(self, e: CoreError) -> BaseException:
        """urllib3's exception for a failed connect, with this connection as its subject."""
        if e.kind != "ProxyError" and self._tunnel_host:
            # Only a failure of the proxy itself comes as ProxyError: this one happened past
            # the proxy, on the tunnel to the target.
            self._has_connected_to_proxy = True
        return translate(e, conn=self)

    def set_tunnel(
        self,
        host: str,
        port: int | None = None,
        headers: typing.Mapping[str, str] | None = None,
        scheme: str = "http",
    ) -> None:
        """Tunnels through the proxy this connection goes to; ``scheme`` is the proxy's."""
        _check_tunnel_scheme(scheme)
        super().set_tunnel(host, port=port, headers=headers)
        self._tunnel_scheme = scheme

    def _new_python_socket(self) -> socket.socket:
        try:
            return _util_connection.create_connection(
                (self._dns_host, self.port),
                self.timeout,
                source_address=self.source_address,
                socket_options=self.socket_options,
            )
        except socket.gaierror as e:
            raise NameResolutionError(self.host, self, e) from e
        except socket.timeout as e:
            raise ConnectTimeoutError(
                self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
            ) from e
        except OSError as e:
            raise NewConnectionError(self, f"Failed to establish a new connection: {e}") from e

    def _uses_core(self) -> bool:
        """Whether the socket is the core's (else a Python socket or a stand-in for one)."""
        return isinstance(self.sock, _rs.Connection)

    def connect(self) -> None:
        self.sock = self._new_conn()
        if self._tunnel_host and self._tunnels_itself():
            self._has_connected_to_proxy = True
            self._tunnel()  # type: ignore[attr-defined]
        self._has_connected_to_proxy = bool(self.proxy)
        if self._has_connected_to_proxy:
            self.proxy_is_verified = False

    @property
    def is_closed(self) -> bool:
        return self.sock is None

    @property
    def is_connected(self) -> bool:
        if self.sock is None:
            return False
        return not _is_dropped(self.sock)

    @property
    def has_connected_to_proxy(self) -> bool:
        return self._has_connected_to_proxy

    @property
    def proxy_is_forwarding(self) -> bool:
        return bool(self.proxy) and self._tunnel_host is None

    @property
    def proxy_is_tunneling(self) -> bool:
        return self._tunnel_host is not None

    def close(self) -> None:
        """Closes the socket and forgets the tunnel: the next request starts over."""
        try:
            self._abandon_socket()
            super().close()
        finally:
            self.sock = None
            self._reset_route()

    def _abandon_socket(self) -> None:
        """Closes the socket after a failed exchange; what the connection went through (a
        proxy reached, TLS verified) stays on record until ``close()``, as in urllib3, where
        the pool reads it to name the failure."""
        sock, self.sock = self.sock, None
        if sock is not None:
            sock.close()

    def putheader(self, header: str, *values: str) -> None:  # type: ignore[override]
        """http.client's putheader; a header whose value is SKIP_HEADER is left out."""
        if not _skipped(header, values):
            super().putheader(header, *values)

    def send(self, data: typing.Any) -> None:
        """Writes ``data`` (bytes, or a readable object) on the connection."""
        if self.sock is None:
            if self.auto_open:
                self.connect()
            else:
                raise http.client.NotConnected()
        if not self._uses_core():
            super().send(data)
            return
        if hasattr(data, "read"):
            while block := data.read(self.blocksize):
                self._send_bytes(block)
            return
        if isinstance(data, str):
            data = data.encode("iso-8859-1")
        self._send_bytes(bytes(data))

    def _send_bytes(self, data: bytes) -> None:
        try:
            # Only send() comes here, for the core's connection (``_uses_core()``).
            typing.cast(_rs.Connection, self.sock).send(data, timeout=_seconds(self.timeout))
        except CoreError as e:
            raise translate(e, conn=self)

    def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        body: _TYPE_BODY | None = None,
        headers: typing.Mapping[str, str] | None = None,
        *,
        chunked: bool = False,
        preload_content: bool = True,
        decode_content: bool = True,
        enforce_content_length: bool = True,
    ) -> None:
        self._response_options = _ResponseOptions(
            request_method=method,
            request_url=url,
            preload_content=preload_content,
            decode_content=decode_content,
            enforce_content_length=enforce_content_length,
        )
        if headers is None:
            headers = {}
        stock = self._writes_stock_requests()
        if self.sock is None and stock:
            # http.client's checks, before a connection is opened for nothing (the core makes
            # the same ones before writing).
            self._validate_method(method)  # type: ignore[attr-defined]
            self._validate_path(url)  # type: ignore[attr-defined]
            self.connect()
        if not (self._uses_core() and stock):
            if self.sock is not None and not self._uses_core():
                # A reused Python socket gets this request's timeout, as in urllib3 (the core
                # takes it with each call instead).
                self.sock.settimeout(self.timeout)
            self._request_step_by_step(method, url, body, headers, chunked)
            return
        self._request_on_core(method, url, body, headers, chunked)

    def _request_on_core(
        self,
        method: str,
        url: str,
        body: _TYPE_BODY | None,
        headers: typing.Mapping[str, str],
        chunked: bool,
    ) -> None:
        """Has the core write the request (HTTP/1.1 or HTTP/2, as the connection speaks)."""
        if self.sock is None:
            self.connect()
        items = list(headers.items())
        for name, value in items:
            _skipped(name, (value,))
        try:
            # The core's connection: callers check ``_uses_core()``.
            typing.cast(_rs.Connection, self.sock).request(
                method,
                url,
                self._host_header(url),
                [(_str(k), _str(v)) for k, v in items],
                _core_body(body, self.blocksize),
                chunked=chunked,
                user_agent=_get_default_user_agent(),
                timeout=_seconds(self.timeout),
            )
        except CoreError as e:
            raise self._core_failed(e)

    def _core_failed(self, err: CoreError) -> BaseException:
        """The exception a failed core exchange raises; the socket is given up."""
        self._abandon_socket()
        return translate(err, conn=self)

    def _refuse_illegal_fields(self, headers: typing.Mapping[str, str] | None) -> None:
        """Raises for a header this connection cannot send. Over HTTP/1.1, http.client's
        ``putheader`` and the core check as they write; HTTP/2 refuses more, up front."""

    def _writes_stock_requests(self) -> bool:
        # A subclass (or a patch of http.client) that changes how requests are written or how
        # responses are read gets its methods called; a response class of its own needs
        # http.client's state, which only its own request path keeps.
        cls = type(self)
        stock = _stock_classes.get(cls)
        if stock is None:
            stock = _stock_classes[cls] = all(
                getattr(cls, name) is getattr(HTTPConnection, name) for name in _lane.HTTP_CLIENT_SEAMS
            )
        return stock and self.response_class is http.client.HTTPResponse and _lane.http_client_unpatched()

    def _request_step_by_step(
        self,
        method: str,
        url: str,
        body: _TYPE_BODY | None,
        headers: typing.Mapping[str, str],
        chunked: bool,
    ) -> None:
        """urllib3's algorithm through http.client's seams, for subclasses that override them."""
        header_keys = frozenset(_str(k).lower() for k in headers)
        self.putrequest(
            method,
            url,
            skip_accept_encoding="accept-encoding" in header_keys,
            skip_host="host" in header_keys,
        )
        chunks, content_length = body_to_chunks(body, method=method, blocksize=self.blocksize)
        if chunked:
            if "transfer-encoding" not in header_keys:
                self.putheader("Transfer-Encoding", "chunked")
        elif "content-length" in header_keys:
            chunked = False
        elif "transfer-encoding" in header_keys:
            chunked = True
        elif content_length is None:
            if chunks is not None:
                chunked = True
                self.putheader("Transfer-Encoding", "chunked")
        else:
            self.putheader("Content-Length", str(content_length))
        if "user-agent" not in header_keys:
            self.putheader("User-Agent", _get_default_user_agent())
        # The framing header not used stays out, as the core does (no smuggling by two).
        unused_framing = "content-length" if chunked else "transfer-encoding"
        for header, value in headers.items():
            if _str(header).lower() != unused_framing:
                self.putheader(header, value)
        self.endheaders()
        if chunks is not None:
            for chunk in chunks:
                if not chunk:
                    continue
                if isinstance(chunk, str):
                    chunk = chunk.encode("utf-8")
                if chunked:
                    self.send(b"%x\r\n%b\r\n" % (len(chunk), chunk))
                else:
                    self.send(chunk)
        if chunked:
            self.send(b"0\r\n\r\n")

    def _host_header(self, url: str) -> str:
        # As http.client's putrequest: an absolute URL (a request forwarded by a proxy) names
        # its own host; else the host at the end of the tunnel or of the connection, with the
        # port unless it is the default.
        if url.startswith("http"):
            netloc = urlsplit(url).netloc
            if netloc:
                return netloc
        host, port = (self._tunnel_host, self._tunnel_port) if self._tunnel_host else (self.host, self.port)
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        if port == self.default_port:
            return host
        return f"{host}:{port}"

    def request_chunked(
        self,
        method: str,
        url: str,
        body: _TYPE_BODY | None = None,
        headers: typing.Mapping[str, str] | None = None,
    ) -> None:
        """Deprecated spelling of ``request(..., chunked=True)``."""
        warnings.warn(_REQUEST_CHUNKED_DEPRECATION, FutureWarning, stacklevel=2)
        self.request(method, url, body, headers, chunked=True)

    def getresponse(self) -> HTTPResponse:  # type: ignore[override]
        """Reads the response head; the body is read through the returned response."""
        if self._response_options is None:
            raise ResponseNotReady()
        options = self._response_options
        self._response_options = None
        if not self._uses_core() or self.response_class is not http.client.HTTPResponse:
            # A caller's response class reads the head itself, through sock.makefile().
            return self._python_getresponse(options)
        # http.client's own state machine would refuse the next request otherwise.
        self._HTTPConnection__state = http.client._CS_IDLE  # type: ignore[attr-defined]
        try:
            # The core's connection: checked by ``_uses_core()`` above.
            core = typing.cast(_rs.Connection, self.sock).getresponse(
                options.request_method,
                timeout=_seconds(self.timeout),
                decode_content=options.decode_content,
                enforce_content_length=options.enforce_content_length,
            )
        except CoreError as e:
            raise self._core_failed(e)
        return self._response_from_core(core, options)

    def _response_from_core(self, core: _rs.Response, options: _ResponseOptions) -> HTTPResponse:
        """urllib3's response around a core response (whose head is read). When the server
        ends the connection with it, the connection lets its socket go, as http.client's
        does (the response keeps reading from it); the next request opens a new one."""
        if core.unparsed_headers:
            _warn_unparsed_headers(self, options.request_url, core.unparsed_headers)
        response = self._wrap_core(core, options)
        if core.will_close:
            self.close()
        return response

    def _wrap_core(self, core: _rs.Response, options: _ResponseOptions) -> HTTPResponse:
        # Looked up in its module on each call, so that a patched HTTPResponse is used.
        response_cls = _response.HTTPResponse
        if response_cls is _STOCK_RESPONSE:
            return response_cls._from_core(core, options)
        version = core.version
        return response_cls(
            body=core,
            headers=HTTPHeaderDict._from_pairs(core.headers),
            status=core.status,
            version=version,
            version_string=core.version_string,
            reason=core.reason,
            preload_content=options.preload_content,
            decode_content=options.decode_content,
            enforce_content_length=options.enforce_content_length,
            request_method=options.request_method,
            request_url=options.request_url,
        )

    def _python_getresponse(self, options: _ResponseOptions) -> HTTPResponse:
        """http.client reads the head from a Python socket; the body goes through the core."""
        if self.sock is not None:
            self.sock.settimeout(self.timeout)
        httplib_response = super().getresponse()
        headers = HTTPHeaderDict(_normalize_header_values(httplib_response.msg))
        return _response.HTTPResponse(
            body=httplib_response,
            headers=headers,
            status=httplib_response.status,
            version=httplib_response.version,
            version_string=getattr(self, "_http_vsn_str", "HTTP/?"),
            reason=httplib_response.reason,
            preload_content=options.preload_content,
            decode_content=options.decode_content,
            original_response=httplib_response,
            enforce_content_length=options.enforce_content_length,
            request_method=options.request_method,
            request_url=options.request_url,
        )


class HTTPSConnection(HTTPConnection):
    """One TLS connection to ``host:port``, verified as urllib3 verifies, opened on first use."""

    default_port = port_by_scheme["https"]  # type: ignore[misc]

    # Told "before connect" and "after connect failure" with the thread and the HTTP/2 probe's
    # answer: how urllib3's tests watch connections wait for an origin's probe.
    _connect_callback: typing.Callable[..., None] | None = None
    # Set by the pool that made the connection: its HTTP/2 connections, to share.
    _http2_connections: _rs.Http2Connections | None = None

    cert_reqs: int | str | None = None
    ca_certs: str | None = None
    ca_cert_dir: str | None = None
    ca_cert_data: None | str | bytes = None
    ssl_version: int | str | None = None
    ssl_minimum_version: int | None = None
    ssl_maximum_version: int | None = None
    assert_fingerprint: str | None = None

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        timeout: _TYPE_TIMEOUT = _DEFAULT_TIMEOUT,
        source_address: tuple[str, int] | None = None,
        blocksize: int = 16384,
        socket_options: None | list[tuple[int, int, int | bytes]] = HTTPConnection.default_socket_options,
        proxy: Url | None = None,
        proxy_config: ProxyConfig | None = None,
        cert_reqs: int | str | None = None,
        assert_hostname: None | str | typing.Literal[False] = None,
        assert_fingerprint: str | None = None,
        server_hostname: str | None = None,
        ssl_context: typing.Any = None,
        ca_certs: str | None = None,
        ca_cert_dir: str | None = None,
        ca_cert_data: None | str | bytes = None,
        ssl_minimum_version: int | None = None,
        ssl_maximum_version: int | None = None,
        ssl_version: int | str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
        key_password: str | None = None,
    ) -> None:
        super().__init__(
            host,
            port,
            timeout=timeout,
            source_address=source_address,
            blocksize=blocksize,
            socket_options=socket_options,
            proxy=proxy,
            proxy_config=proxy_config,
        )
        # Who we are to the server, and how it is checked: all handed to the core at connect.
        self.cert_file, self.key_file, self.key_password = cert_file, key_file, key_password
        self.ssl_context, self.server_hostname = ssl_context, server_hostname
        self.assert_hostname, self.assert_fingerprint = assert_hostname, assert_fingerprint
        self.ssl_version = ssl_version
        self.ssl_minimum_version, self.ssl_maximum_version = ssl_minimum_version, ssl_maximum_version
        self.ca_certs = _expand_user(ca_certs)
        self.ca_cert_dir = _expand_user(ca_cert_dir)
        self.ca_cert_data = ca_cert_data
        self.cert_reqs = _cert_reqs_or_default(cert_reqs, ssl_context)

    def set_cert(
        self,
        key_file: str | None = None,
        cert_file: str | None = None,
        cert_reqs: int | str | None = None,
        key_password: str | None = None,
        ca_certs: str | None = None,
        assert_hostname: None | str | typing.Literal[False] = None,
        assert_fingerprint: str | None = None,
        ca_cert_dir: str | None = None,
        ca_cert_data: None | str | bytes = None,
    ) -> None:
        import warnings

        warnings.warn(
            "HTTPSConnection.set_cert() is deprecated and will be removed "
            "in urllib3 v3.0. Instead provide the parameters to the "
            "HTTPSConnection constructor.",
            category=FutureWarning,
            stacklevel=2,
        )
        self.key_file, self.cert_file, self.key_password = key_file, cert_file, key_password
        self.cert_reqs = _cert_reqs_or_default(cert_reqs, self.ssl_context)
        self.ca_certs, self.ca_cert_dir, self.ca_cert_data = ca_certs, ca_cert_dir, ca_cert_data
        self.assert_hostname, self.assert_fingerprint = assert_hostname, assert_fingerprint

    def connect(self) -> None:
        """Connects and completes the TLS handshake in the core, within the connect timeout.

        When HTTP/2 is offered (``"h2"`` in ``util.ssl_.ALPN_PROTOCOLS``), the first connection
        to an origin records in ``http2.probe`` whether the server picked it; connections to
        the same origin made meanwhile wait for that answer."""
        from .util import ssl_

        origin = (self._tunnel_host or self.host, self._tunnel_port or self.port)
        probe: types.ModuleType | None = None
        known: bool | None = False
        if "h2" in ssl_.ALPN_PROTOCOLS:
            from .http2 import probe as http2_probe

            probe = http2_probe
            known = http2_probe.acquire_and_get(*origin)
        try:
            self._tell_connect_callback("before connect", known)
            self._connect_tls()
        except BaseException:
            try:
                self._tell_connect_callback("after connect failure", known)
            finally:
                # Whatever the callback does, the origin's probe lock goes back.
                if probe is not None and known is None:
                    probe.set_and_release(*origin, supports_http2=None)
            raise
        if probe is not None and known is None:
            probe.set_and_release(*origin, supports_http2=self._speaks_http2())

    def _tell_connect_callback(self, label: str, supports_http2: bool | None) -> None:
        if self._connect_callback is not None:
            self._connect_callback(label, thread_id=threading.get_ident(), target_supports_http2=supports_http2)

    def _speaks_http2(self) -> bool:
        sock = self.sock
        selected = getattr(sock, "selected_alpn_protocol", None)
        return selected is not None and selected() == "h2"

    def _connect_tls(self) -> None:
        if datetime.date.today() < RECENT_DATE:
            warnings.warn(
                (
                    f"System time is way off (before {RECENT_DATE}). This will probably "
                    "lead to SSL verification errors"
                ),
                SystemTimeWarning,
            )
        if _util_connection.create_connection is not _ORIGINAL_CREATE_CONNECTION:
            self._connect_with_stdlib_tls()
            return
        tls = self._tls_arguments()
        self.sock = self._open_core(tls=tls)
        if self._tunnel_host and self._tunnels_itself():
            self._has_connected_to_proxy = True
            self._tunnel()  # type: ignore[attr-defined]
            try:
                self.sock = self.sock.start_tls(
                    # set_tunnel() stores the port it was given or the scheme's default.
                    self._tunnel_host.strip("[]"),
                    typing.cast(int, self._tunnel_port),
                    tls,
                    timeout=_seconds(self.timeout),
                )
            except CoreError as e:
                raise self._connect_error(e)
        self.is_verified = self.sock.is_verified
        self._has_connected_to_proxy = bool(self.proxy)
        if self._has_connected_to_proxy:
            verified = self.sock.proxy_is_verified
            self.proxy_is_verified = bool(verified) if verified is not None else False

    def _connect_with_stdlib_tls(self) -> None:
        """TLS over the Python socket that a replaced ``create_connection`` made: the core
        cannot take over a socket made in Python, so the stdlib's ssl module speaks TLS on it,
        with the same settings and checks, and requests go through http.client's path."""
        if self._tunnel_host:
            raise NewConnectionError(self, "Tunnelling through a replaced create_connection is not supported")
        from .util.ssl_ import assert_fingerprint, create_urllib3_context, resolve_ssl_version

        context = self.ssl_context or create_urllib3_context(
            ssl_version=resolve_ssl_version(self.ssl_version),
            cert_reqs=resolve_cert_reqs(self.cert_reqs),
            ssl_minimum_version=self.ssl_minimum_version,
            ssl_maximum_version=self.ssl_maximum_version,
        )
        # urllib3's own checks (a pinned fingerprint, an asserted name) replace the stdlib's.
        checks_itself = bool(self.assert_fingerprint) or self.assert_hostname is not None
        if checks_itself:
            context.check_hostname = False
        server_hostname = _bare_ip_without_scope(self.server_hostname or self.host)
        self.sock = ssl_wrap_socket(
            self._new_python_socket(),
            keyfile=self.key_file,
            certfile=self.cert_file,
            key_password=self.key_password,
            ca_certs=self.ca_certs,
            ca_cert_dir=self.ca_cert_dir,
            ca_cert_data=self.ca_cert_data,
            server_hostname=server_hostname,
            ssl_context=context,
        )
        verifies = context.verify_mode != ssl.CERT_NONE
        if self.assert_fingerprint:
            assert_fingerprint(self.sock.getpeercert(binary_form=True), self.assert_fingerprint)
        elif verifies and not context.check_hostname and self.assert_hostname is not False:
            _match_hostname(self.sock.getpeercert(), self.assert_hostname or server_hostname)
        self.is_verified = verifies and (context.check_hostname or checks_itself)

    def _tls_arguments(self) -> dict[str, typing.Any]:
        """urllib3's TLS settings (and an ``ssl_context``'s) as the core takes them."""
        from .util.ssl_ import ALPN_PROTOCOLS, _hash_for_fingerprint, _keylog_filename, resolve_cert_reqs

        if self.assert_fingerprint:
            # Refused before connecting when no hash of its length is available, as urllib3
            # refuses it (HASHFUNC_MAP is the table callers adjust).
            _hash_for_fingerprint(self.assert_fingerprint.replace(":", "").lower())

        context = self.ssl_context
        cert_reqs = self.cert_reqs
        if cert_reqs is None:
            cert_reqs = context.verify_mode if context is not None else ssl.CERT_REQUIRED
        args: dict[str, typing.Any] = {
            "cert_reqs": int(resolve_cert_reqs(cert_reqs)),
            "ca_certs": self.ca_certs,
            "ca_cert_dir": self.ca_cert_dir,
            "cert_file": self.cert_file,
            "key_file": self.key_file,
            "key_password": self.key_password,
            "server_hostname": self.server_hostname,
            "assert_fingerprint": self.assert_fingerprint,
            "minimum_version": _tls_version(self.ssl_minimum_version),
            "maximum_version": _tls_version(self.ssl_maximum_version),
            # The context's own, else $SSLKEYLOGFILE (expanded), as urllib3's contexts get it.
            "keylog_filename": _expand_user(os.fspath(getattr(context, "keylog_filename", None) or _keylog_filename() or "")) or None,
            "alpn_protocols": self._offered_protocols(ALPN_PROTOCOLS),
        }
        if isinstance(self.ca_cert_data, str):
            args["ca_cert_pem"] = self.ca_cert_data
        elif self.ca_cert_data is not None:
            args["ca_cert_der"] = bytes(self.ca_cert_data)
        if self.assert_hostname is False:
            args["check_hostname"] = False
        elif self.assert_hostname:
            args["assert_hostname"] = self.assert_hostname
        if self.ssl_version is not None:
            self._apply_ssl_version(args)
        if context is not None:
            _apply_context(context, args)
        return args

    def _offered_protocols(self, protocols: typing.Iterable[str | bytes]) -> list[str]:
        """What ALPN offers: ``protocols``, without ``h2`` when http.client writes this
        connection's requests (a subclass with its own ``putheader``, say), since only the
        core speaks HTTP/2."""
        offered = [_str(p) for p in protocols]
        if "h2" in offered and not self._writes_stock_requests():
            offered = [p for p in offered if p != "h2"] or ["http/1.1"]
        return offered

    def _apply_ssl_version(self, args: dict[str, typing.Any]) -> None:
        """The deprecated ``ssl_version``, turned into versions by urllib3's own rules (which
        also warn, or refuse it next to ``ssl_minimum_version``/``ssl_maximum_version``)."""
        from .util.ssl_ import create_urllib3_context, resolve_ssl_version

        context = create_urllib3_context(
            ssl_version=resolve_ssl_version(self.ssl_version),
            ssl_minimum_version=self.ssl_minimum_version,
            ssl_maximum_version=self.ssl_maximum_version,
        )
        for name in ("minimum_version", "maximum_version"):
            number = int(getattr(context, name))
            args[name] = None if number in (-2, -1) else number


VerifiedHTTPSConnection = HTTPSConnection


def _socks_arguments(options: typing.Mapping[str, typing.Any]) -> dict[str, typing.Any]:
    """contrib.socks's options as the core takes them: a URL plus credentials."""
    names = {(1, False): "socks4", (1, True): "socks4a", (2, False): "socks5", (2, True): "socks5h"}
    scheme = names.get((options["socks_version"], bool(options["rdns"])), "socks5")
    return {
        "url": f"{scheme}://{options['proxy_host']}:{options['proxy_port'] or 1080}",
        "username": options.get("username"),
        "password": options.get("password"),
    }


def _tls_version(version: typing.Any) -> int | None:
    """An ``ssl.TLSVersion`` (or its integer or name) as its integer."""
    if version is None:
        return None
    if isinstance(version, str):
        return int(getattr(ssl.TLSVersion, version.replace("TLSVersion.", "")))
    return int(version)


def _apply_context(context: typing.Any, args: dict[str, typing.Any]) -> None:
    """Carries what an ``ssl_context`` says over to the core: verification, name checking,
    versions and the CA certificates loaded into it. A context that records what is loaded
    into it (contrib.pyopenssl's) hands that over itself, client certificate and ciphers
    included; a stdlib ``SSLContext`` cannot give those back, so pass them as urllib3
    arguments."""
    if context.verify_mode == ssl.CERT_NONE and args["cert_reqs"] != ssl.CERT_REQUIRED:
        args["cert_reqs"] = int(ssl.CERT_NONE)
    if not context.check_hostname and args["cert_reqs"] == ssl.CERT_NONE:
        args["check_hostname"] = False
    if getattr(context, "hostname_checks_common_name", False) is True:
        args["hostname_checks_common_name"] = True
    for name in ("minimum_version", "maximum_version"):
        value = getattr(context, name, None)
        if args.get(name) is None and value is not None:
            number = int(value)
            args[name] = None if number in (-2, -1) else number
    # Looked up on the type: a Mock standing in for a context invents any attribute.
    hand_over = getattr(type(context), "_hand_over_to_core", None)
    if hand_over is not None:
        hand_over(context, args)
    elif not (args.get("ca_certs") or args.get("ca_cert_dir") or "ca_cert_pem" in args or "ca_cert_der" in args):
        loaded = context.get_ca_certs(binary_form=True)
        if loaded:
            args["ca_cert_der"] = b"".join(loaded)


class DummyConnection:
    """Used to detect a failed ConnectionCls import."""


def _warn_unparsed_headers(conn: HTTPConnection, request_url: str, unparsed: str) -> None:
    """urllib3's warning for header lines that are no header (they are skipped)."""
    try:
        raise HeaderParsingError(defects=[], unparsed_data=unparsed)
    except HeaderParsingError as hpe:
        log.warning(
            "Failed to parse headers (url=%s): %s",
            _url_from_connection(conn, request_url),
            hpe,
            exc_info=True,
        )


def _socket_flags(options: typing.Any) -> tuple[bool, bool]:
    """The socket options the core sets itself: TCP_NODELAY and SO_KEEPALIVE with int values
    (the last of each wins, as setting them in order would). Every other option is set through
    ``_util_connection._socket_configurer``, which then applies the whole list after these."""
    nodelay = keepalive = False
    for option in options or ():
        if not _util_connection._core_applies(option):
            continue
        level, name, value = option
        if (level, name) == (socket.IPPROTO_TCP, socket.TCP_NODELAY):
            nodelay = bool(value)
        else:
            keepalive = bool(value)
    return nodelay, keepalive


def _seconds(timeout: typing.Any) -> float | None:
    if timeout is None or timeout is _DEFAULT_TIMEOUT:
        return None
    return float(timeout)


def _is_dropped(core: typing.Any) -> bool:
    checker = getattr(core, "is_dropped", None)
    if checker is None:
        from .util.wait import wait_for_read

        return bool(wait_for_read(core, timeout=0.0))
    return bool(checker())


def _str(value: typing.Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def _core_body(body: typing.Any, blocksize: int) -> typing.Any:
    """A body the core can send: None, bytes, str, or an iterator of chunks."""
    if body is None or isinstance(body, (bytes, str, bytearray)):
        return body
    if hasattr(body, "read"):
        def blocks() -> typing.Iterator[bytes]:
            encode = isinstance(body, __import__("io").TextIOBase)
            while True:
                block = body.read(blocksize)
                if not block:
                    return
                yield block.encode("utf-8") if encode else block

        return blocks()
    try:
        return memoryview(body).tobytes()
    except TypeError:
        pass
    try:
        return iter(body)
    except TypeError:
        raise TypeError(
            f"'body' must be a bytes-like object, file-like object, or iterable. Instead was {body!r}"
        ) from None


def _url_from_connection(conn: HTTPConnection, path: str | None = None) -> str:
    scheme = "https" if isinstance(conn, HTTPSConnection) else "http"
    return Url(scheme=scheme, host=conn.host, port=conn.port, path=path).url
