"""What a core connection (``urllib3._rs.Connection``) offers beyond the socket methods it has
in Rust: file objects over its byte stream, since http.client reads a response through
``sock.makefile("rb")`` and botocore reads a ``100 Continue`` through ``makefile("rb", 0)``;
and the private SSL object that the Elasticsearch client reads the verified chain from on
Python 3.10 to 3.12.
"""

from __future__ import annotations

import io
import ssl
import typing

__all__ = ["SSLObject", "file_over", "makefile"]

if typing.TYPE_CHECKING:
    from _typeshed import WriteableBuffer

    from ._rs import Connection

    class _FileSocket(typing.Protocol):
        """What a file from :func:`makefile` calls on its socket: a core connection
        (``urllib3._rs.Connection``) or contrib.pyopenssl's ``WrappedSocket``."""

        def recv_into(self, buffer: WriteableBuffer, /) -> int: ...

        def sendall(self, data: bytes, /) -> None: ...

        def fileno(self) -> int: ...

        def _incref_socketios(self) -> None: ...

        def _decref_socketios(self) -> None: ...


class SocketIO(io.RawIOBase):
    """Raw I/O over a core connection, as ``socket.SocketIO`` is over a socket. Closing it
    leaves the connection open: the connection belongs to its ``HTTPConnection``."""

    def __init__(self, sock: _FileSocket, mode: str) -> None:
        super().__init__()
        self._sock = sock
        self._mode = mode
        sock._incref_socketios()

    def close(self) -> None:
        if not self.closed:
            super().close()
            self._sock._decref_socketios()

    def readinto(self, b: typing.Any) -> int:
        self._checkClosed()
        return self._sock.recv_into(b)

    def write(self, b: typing.Any) -> int:
        self._checkClosed()
        data = bytes(b)
        self._sock.sendall(data)
        return len(data)

    def readable(self) -> bool:
        return "r" in self._mode

    def writable(self) -> bool:
        return "w" in self._mode

    def fileno(self) -> int:
        return self._sock.fileno()

    @property
    def name(self) -> int:
        return self.fileno()

    @property
    def mode(self) -> str:
        return self._mode


def makefile(
    sock: _FileSocket,
    mode: str = "r",
    buffering: int | None = None,
    encoding: str | None = None,
    errors: str | None = None,
    newline: str | None = None,
) -> typing.Any:
    """``socket.makefile`` for a core connection."""
    return file_over(lambda rawmode: SocketIO(sock, rawmode), mode, buffering, encoding, errors, newline)


def file_over(
    make_raw: typing.Callable[[str], typing.Any],
    mode: str,
    buffering: int | None,
    encoding: str | None,
    errors: str | None,
    newline: str | None,
) -> typing.Any:
    """``socket.makefile``'s rules: checks ``mode``, makes the raw I/O (``make_raw`` gets
    "r", "w" or "rw") and wraps it as ``buffering`` and text mode ask."""
    if not set(mode) <= {"r", "w", "b"}:
        raise ValueError(f"invalid mode {mode!r} (only r, w, b allowed)")
    writing = "w" in mode
    reading = "r" in mode or not writing
    binary = "b" in mode
    raw = make_raw(("r" if reading else "") + ("w" if writing else ""))
    if buffering is None or buffering < 0:
        buffering = io.DEFAULT_BUFFER_SIZE
    if buffering == 0:
        if not binary:
            raise ValueError("unbuffered streams must be binary")
        return raw
    buffer: typing.Any
    if reading and writing:
        buffer = io.BufferedRWPair(raw, raw, buffering)
    elif reading:
        buffer = io.BufferedReader(raw, buffering)
    else:
        buffer = io.BufferedWriter(raw, buffering)
    if binary:
        return buffer
    text = io.TextIOWrapper(buffer, encoding, errors, newline)
    text.mode = mode  # type: ignore[misc]
    return text


class Certificate:
    """A certificate of a verified chain, as ``_ssl.Certificate`` gives it."""

    def __init__(self, der: bytes) -> None:
        self._der = der

    def public_bytes(self, format: int = ssl._ssl.ENCODING_PEM) -> bytes | str:  # type: ignore[attr-defined]
        if format == ssl._ssl.ENCODING_DER:  # type: ignore[attr-defined]
            return self._der
        if format == ssl._ssl.ENCODING_PEM:  # type: ignore[attr-defined]
            return ssl.DER_cert_to_PEM_cert(self._der)
        raise ValueError("Unsupported format")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Certificate) and other._der == self._der

    def __hash__(self) -> int:
        return hash(self._der)

    def __repr__(self) -> str:
        return f"<Certificate {len(self._der)} bytes>"


class SSLObject:
    """``SSLSocket._sslobj`` of a core TLS connection: the chain methods only."""

    def __init__(self, sock: Connection) -> None:
        self._sock = sock

    def get_verified_chain(self) -> list[Certificate]:
        return [Certificate(der) for der in self._sock.get_verified_chain()]
