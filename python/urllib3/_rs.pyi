"""Type stub for ``urllib3._rs``, the extension module built from ``crates/python/src``.

Every name the module exposes is declared here; ``urllib3._rs.__all__`` lists the same.
"""

import io
import socket
import ssl
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Generic, Literal, NoReturn, Protocol, TypeVar, final, overload

from _typeshed import ReadableBuffer, SupportsItems, WriteableBuffer
from typing_extensions import Self, TypeAlias

from ._base_connection import _ResponseOptions
from ._collections import HTTPHeaderDict
from .response import BaseHTTPResponse
from ._core_socket import SSLObject, SocketIO

__all__ = [
    "__version__",
    "CoreError",
    "Connection",
    "Response",
    "Decoder",
    "ConnectionStore",
    "exchange",
    "_lane_counts",
    "_lane_declined",
    "_panic_in_core",
    "_core_error_sample",
    "_core_error_kinds",
]

_T = TypeVar("_T")
_R = TypeVar("_R")

#: The version of the ``urllib3-python`` crate (``CARGO_PKG_VERSION``).
__version__: str

# A request body the core sends: None, bytes-like or str (UTF-8) as it is, or an iterable of
# chunks, each bytes-like or str.
_Body: TypeAlias = bytes | bytearray | str | Iterable[ReadableBuffer | str] | None

# The settings dicts of ``Connection.open`` and ``start_tls``. Only the keys below are read,
# and each value is checked (and refused with TypeError) in Rust:
#   TLS:   cert_reqs (int), ca_certs, ca_cert_dir, ca_cert_pem, cert_file, key_file,
#          key_password, server_hostname, assert_hostname, assert_fingerprint, ciphers,
#          keylog_filename (str | None), ca_cert_der (bytes | None), minimum_version,
#          maximum_version (int | None), check_hostname, hostname_checks_common_name (truthy)
#   proxy: url (str), headers (list[tuple[str, str]] | None), tls (a TLS dict),
#          forwarding (truthy)
#   SOCKS: url (str), username, password (str | None)
_Settings: TypeAlias = dict[str, object]

class _Reader(Protocol):
    def read(self, size: int, /) -> ReadableBuffer | str: ...

_BinaryMode: TypeAlias = Literal["b", "rb", "br", "wb", "bw", "rwb", "rbw", "wrb", "wbr", "brw", "bwr"]

class CoreError(Exception):
    """A failure in the Rust core; its attributes carry the error's kind and fields.

    The attributes are set on every ``CoreError`` the core raises (not on one made by hand).
    """

    #: The urllib3 exception class name (``"ReadTimeoutError"``, ``"ProtocolError"``, ...).
    kind: str
    message: str
    url: str | None
    host: str | None
    port: int | None
    #: For the timeout kinds: the limit that ran out, in seconds (None: no limit was set).
    timeout: float | None
    #: Whether the error is of a timeout kind.
    timed_out: bool
    errno: int | None
    #: The text of the first cause in the chain that is not a core error.
    detail: str | None
    #: For IncompleteRead and InvalidChunkLength: (bytes read, bytes still expected).
    counts: tuple[int, int] | None
    #: For InvalidChunkLength: the chunk-size line as the server sent it.
    received: bytes | None
    #: For a ProxyError from a refused CONNECT: the proxy's status.
    status: int | None
    #: For SSLError: the server's certificate was refused (Python's SSLCertVerificationError).
    certificate_failure: bool
    #: The next core error of the chain.
    cause: CoreError | None

@final
class Http2Connections:
    """A pool's HTTP/2 connections, shared by its connection objects."""

    def clear(self) -> None: ...

class Connection:
    """An open connection to one host and port; also its own ``sock``."""

    @staticmethod
    def open(
        host: str,
        port: int,
        timeout: float | None = None,
        source_address: tuple[str, int] | None = None,
        nodelay: bool = True,
        keepalive: bool = False,
        family: Literal[0, 4, 6] = 0,
        happy_eyeballs_delay: float | None = None,
        configure_socket: Callable[[int], object] | None = None,
        tls: _Settings | None = None,
        proxy: _Settings | None = None,
        socks: _Settings | None = None,
        http2: Http2Connections | None = None,
    ) -> Connection: ...
    def start_tls(self, host: str, port: int, tls: _Settings, timeout: float | None = None) -> Connection: ...
    @property
    def proxy_is_verified(self) -> bool | None: ...
    @property
    def is_verified(self) -> bool: ...
    @property
    def tls_version(self) -> str | None: ...
    @property
    def alpn_protocol(self) -> str | None: ...
    @property
    def peer_certificate(self) -> bytes | None: ...
    def request(
        self,
        method: str,
        target: str,
        host: str,
        headers: Sequence[tuple[str, str]],
        body: _Body = None,
        chunked: bool = False,
        user_agent: str = "",
        timeout: float | None = None,
    ) -> None: ...
    def getresponse(
        self,
        method: str,
        timeout: float | None = None,
        decode_content: bool = True,
        enforce_content_length: bool = True,
    ) -> Response: ...
    def is_dropped(self) -> bool: ...
    @property
    def is_idle(self) -> bool: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None: ...
    @property
    def peer_address(self) -> tuple[str, int] | None: ...
    @property
    def local_address(self) -> tuple[str, int] | None: ...
    # The socket surface (what http.client, botocore and elastic-transport call on a socket).
    def send(self, data: ReadableBuffer, flags: int = 0, *, timeout: float | None = None) -> int: ...
    def sendall(self, data: ReadableBuffer, flags: int = 0, *, timeout: float | None = None) -> None: ...
    def recv(self, bufsize: int, flags: int = 0) -> bytes: ...
    def recv_into(self, buffer: WriteableBuffer, nbytes: int = 0, flags: int = 0) -> int: ...
    def has_pending(self) -> bool: ...
    @overload
    def makefile(
        self,
        mode: _BinaryMode,
        buffering: Literal[0],
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> SocketIO: ...
    @overload
    def makefile(
        self,
        mode: Literal["rwb", "rbw", "wrb", "wbr", "brw", "bwr"],
        buffering: Literal[-1, 1] | None = None,
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> io.BufferedRWPair: ...
    @overload
    def makefile(
        self,
        mode: Literal["b", "rb", "br"],
        buffering: Literal[-1, 1] | None = None,
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> io.BufferedReader: ...
    @overload
    def makefile(
        self,
        mode: Literal["wb", "bw"],
        buffering: Literal[-1, 1] | None = None,
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> io.BufferedWriter: ...
    @overload
    def makefile(
        self,
        mode: _BinaryMode,
        buffering: int,
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> io.IOBase: ...
    @overload
    def makefile(
        self,
        mode: Literal["r", "w", "rw", "wr", ""] = "r",
        buffering: int | None = None,
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> io.TextIOWrapper: ...
    def _incref_socketios(self) -> None: ...
    def _decref_socketios(self) -> None: ...
    def fileno(self) -> int: ...
    @overload
    def getsockopt(self, level: int, option: int, buflen: None = None) -> int: ...
    @overload
    def getsockopt(self, level: int, option: int, buflen: int) -> bytes: ...
    def setsockopt(self, level: int, option: int, value: int | ReadableBuffer) -> None: ...
    def settimeout(self, timeout: float | None) -> None: ...
    def gettimeout(self) -> float | None: ...
    @property
    def type(self) -> socket.SocketKind: ...
    @property
    def family(self) -> socket.AddressFamily: ...
    def getsockname(self) -> tuple[str, int] | tuple[str, int, int, int]: ...
    def getpeername(self) -> tuple[str, int] | tuple[str, int, int, int]: ...
    def version(self) -> str | None: ...
    # SSLSocket.cipher(). connection.rs also declares a ``#[getter] cipher``; the method
    # registered under the same name replaces it on the type, so only the method exists.
    def cipher(self) -> tuple[str, str, int] | None: ...
    def selected_alpn_protocol(self) -> str | None: ...
    @overload
    def getpeercert(self, binary_form: Literal[False] = False) -> ssl._PeerCertRetDictType | None: ...
    @overload
    def getpeercert(self, binary_form: Literal[True]) -> bytes | None: ...
    @overload
    def getpeercert(self, binary_form: bool) -> ssl._PeerCertRetDictType | bytes | None: ...
    def get_verified_chain(self) -> list[bytes]: ...
    @property
    def _sslobj(self) -> SSLObject: ...

@final
class Response:
    """A response head, and a body read (and decoded) in Rust on demand."""

    @staticmethod
    def from_reader(
        fp: _Reader,
        status: int,
        reason: str,
        version: int,
        headers: Sequence[tuple[str, str]],
        decode_content: bool = True,
        enforce_content_length: bool = True,
        wire: bool = False,
        method: str = "GET",
    ) -> Response:
        """A response whose body is read through ``fp.read(n)``."""

    @property
    def status(self) -> int: ...
    @property
    def reason(self) -> str: ...
    @property
    def version(self) -> Literal[10, 11, 20]: ...
    @property
    def version_string(self) -> Literal["HTTP/1.0", "HTTP/1.1", "HTTP/2"]: ...
    @property
    def unparsed_headers(self) -> str | None: ...
    @property
    def will_close(self) -> bool: ...
    @property
    def headers(self) -> list[tuple[str, str]]: ...
    def header_lists(self) -> dict[str, list[str]]: ...
    def headers_for(self, response: object, headers_cls: type[HTTPHeaderDict]) -> HTTPHeaderDict:
        """``response``'s HTTPHeaderDict, made on the first call and kept as its ``headers``."""
    def to_urllib3(
        self,
        cls: type[_R],
        made_of: tuple[type[object], Mapping[str, object], Callable[..., bytes]],
        options: _ResponseOptions,
    ) -> _R:
        """``cls`` (urllib3's HTTPResponse) around this response, its state set in one step."""
    def read(self, amt: int | None = None, decoder: Decoder | None = None) -> bytes: ...
    def read1(self, amt: int | None = None) -> bytes: ...
    def read_chunk(self, amt: int | None = None, decoder: Decoder | None = None) -> bytes: ...
    def take_read_ahead(self) -> bytes | None: ...
    def drain(self) -> None: ...
    def tell(self) -> int: ...
    @property
    def length_remaining(self) -> int | None: ...
    @property
    def is_complete(self) -> bool: ...
    @property
    def is_chunked(self) -> bool: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    def isclosed(self) -> bool: ...
    # botocore's ``response._fp.fp.raw._sock``: each step is this response.
    @property
    def fp(self) -> Self: ...
    @property
    def raw(self) -> Self: ...
    @property
    def _sock(self) -> Self: ...
    def settimeout(self, timeout: float | None) -> None: ...

@final
class Decoder:
    """The core's content decoder for one ``Content-Encoding`` value."""

    def __new__(cls, content_encoding: str) -> Self: ...
    def decompress(self, data: bytes | bytearray, max_length: int = -1) -> bytes: ...
    def flush(self) -> bytes: ...
    @property
    def has_unconsumed_tail(self) -> bool: ...
    @property
    def total_in(self) -> int: ...

@final
class ConnectionStore(Generic[_T]):
    """A thread-safe LIFO of entries and empty slots (None), with ``queue.LifoQueue``'s
    surface. Generic for type checkers only: the class is not subscriptable at run time."""

    def __new__(cls, maxsize: int = 0) -> Self: ...
    @property
    def maxsize(self) -> int: ...
    def get(self, block: object = True, timeout: float | None = None) -> _T | None: ...
    def put(self, item: _T | None, block: object = True, timeout: float | None = None) -> None: ...
    def take_connection(self) -> _T | None: ...
    def get_nowait(self) -> _T | None: ...
    def put_nowait(self, item: _T | None) -> None: ...
    def qsize(self) -> int: ...
    def empty(self) -> bool: ...
    def full(self) -> bool: ...
    @property
    def queue(self) -> list[_T | None]: ...

def exchange(
    conn: Connection,
    method: str,
    target: str,
    host: str,
    headers: SupportsItems[object, object],
    body: _Body,
    user_agent: str,
    write_timeout: float | None,
    read_timeout: float | None,
    decode_content: bool,
    enforce_content_length: bool,
    preload: bool,
) -> Response | None:
    """A request written and its response head read (with ``preload``, the body too) in one
    call; None, having done nothing, for headers the core does not write as urllib3 would."""

@final
class LaneRoute:
    """A stock manager's ``request`` in one call (``urllib3._lane``'s route)."""

    def __init__(self, lane: types.ModuleType) -> None: ...
    def request(
        self,
        manager: object,
        method: object,
        url: object,
        body: object,
        headers: object,
        urlopen_kw: dict[str, object],
    ) -> BaseHTTPResponse | tuple[object, ...] | None:
        """The response; None, having done nothing, when the route declines; or what
        ``_lane.resume`` continues from."""

def _lane_counts() -> tuple[int, int]: ...
def _lane_declined() -> None: ...
def _panic_in_core(message: str) -> NoReturn: ...
def _core_error_sample(
    kind: str,
    message: str,
    *,
    url: str | None = None,
    host: str | None = None,
    port: int | None = None,
    timeout: float | None = None,
    errno: int | None = None,
    detail: str | None = None,
    counts: tuple[int, int] | None = None,
    cause: tuple[str, str] | None = None,
) -> NoReturn: ...
def _core_error_kinds() -> list[str]: ...
