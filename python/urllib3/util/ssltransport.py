"""``SSLTransport``: TLS over any socket-like object, through ssl.MemoryBIO.

ssl.SSLSocket can only wrap a real socket; this can wrap another TLS stream too, which
is what HTTPS through an HTTPS proxy (TLS in TLS) needs.
"""

from __future__ import annotations

import socket
import ssl
import typing

from .._core_socket import file_over
from ..exceptions import ProxySchemeUnsupported

if typing.TYPE_CHECKING:
    from typing_extensions import Self

    from .ssl_ import _TYPE_PEER_CERT_RET, _TYPE_PEER_CERT_RET_DICT


_WriteBuffer = typing.Union[bytearray, memoryview]
_ReturnValue = typing.TypeVar("_ReturnValue")

SSL_BLOCKSIZE = 16384


def _refuse_flags(flags: int, call: str) -> None:
    # The socket flags (MSG_PEEK and so on) have no meaning for data that must first go
    # through the TLS engine.
    if flags != 0:
        raise ValueError(f"non-zero flags not allowed in calls to {call}")


class SSLTransport:
    """A TLS connection over ``socket`` (anything with sendall/recv), with most of the
    socket API.  The handshake happens in the constructor."""

    @staticmethod
    def _validate_ssl_context_for_tls_in_tls(ssl_context: ssl.SSLContext) -> None:
        """Raises ProxySchemeUnsupported unless ``ssl_context`` has ``wrap_bio``, the
        one thing this class needs (pyOpenSSL's contexts, for one, lack it)."""
        if not hasattr(ssl_context, "wrap_bio"):
            raise ProxySchemeUnsupported(
                "TLS in TLS requires SSLContext.wrap_bio() which isn't "
                "available on non-native SSLContext"
            )

    def __init__(
        self,
        socket: socket.socket,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        suppress_ragged_eofs: bool = True,
    ) -> None:
        # ``incoming`` holds TLS records received from the socket, ``outgoing`` those
        # the TLS engine produced and that still have to be sent.
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()

        self.suppress_ragged_eofs = suppress_ragged_eofs
        self.socket = socket

        self.sslobj = ssl_context.wrap_bio(
            self.incoming, self.outgoing, server_hostname=server_hostname
        )
        self._ssl_io_loop(self.sslobj.do_handshake)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: typing.Any) -> None:
        self.close()

    def fileno(self) -> int:
        return self.socket.fileno()

    def read(self, len: int = 1024, buffer: typing.Any | None = None) -> int | bytes:
        return self._wrap_ssl_read(len, buffer)

    def recv(self, buflen: int = 1024, flags: int = 0) -> int | bytes:
        _refuse_flags(flags, "recv")
        return self._wrap_ssl_read(buflen)

    def recv_into(
        self,
        buffer: _WriteBuffer,
        nbytes: int | None = None,
        flags: int = 0,
    ) -> None | int | bytes:
        _refuse_flags(flags, "recv_into")
        # Without a size, fill the whole buffer (as socket.recv_into does).
        return self.read(len(buffer) if nbytes is None else nbytes, buffer)

    def sendall(self, data: bytes, flags: int = 0) -> None:
        _refuse_flags(flags, "sendall")
        sent = 0
        # Cast to bytes so that len() and slicing count bytes whatever the buffer's format.
        with memoryview(data) as view, view.cast("B") as octets:
            while sent < len(octets):
                # send() is declared for bytes, as urllib3 declares it; it writes any buffer
                # (sslobj.write takes one), so the view goes to it uncopied.
                sent += self.send(typing.cast(bytes, octets[sent:]))

    def send(self, data: bytes, flags: int = 0) -> int:
        _refuse_flags(flags, "send")
        return self._ssl_io_loop(self.sslobj.write, data)

    def makefile(
        self,
        mode: str,
        buffering: int | None = None,
        *,
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> typing.BinaryIO | typing.TextIO | socket.SocketIO:
        """A file object over this transport, as socket.makefile() gives (http.client
        reads responses through one)."""
        def raw_io(rawmode: str) -> socket.SocketIO:
            # SocketIO only needs recv_into/send/... from its "socket", which this provides.
            # The reference count lives on the real socket: it decides when closing the last
            # file closes the socket.
            raw = socket.SocketIO(self, rawmode)  # type: ignore[arg-type]
            self.socket._io_refs += 1  # type: ignore[attr-defined]
            return raw

        return file_over(raw_io, mode, buffering, encoding, errors, newline)  # type: ignore[no-any-return]

    def unwrap(self) -> None:
        """Ends TLS (close_notify both ways); the socket goes on in plain text."""
        self._ssl_io_loop(self.sslobj.unwrap)

    def close(self) -> None:
        self.socket.close()

    @typing.overload
    def getpeercert(
        self, binary_form: typing.Literal[False] = ...
    ) -> _TYPE_PEER_CERT_RET_DICT | None: ...

    @typing.overload
    def getpeercert(self, binary_form: typing.Literal[True]) -> bytes | None: ...

    def getpeercert(self, binary_form: bool = False) -> _TYPE_PEER_CERT_RET:
        return self.sslobj.getpeercert(binary_form)  # type: ignore[return-value]

    def version(self) -> str | None:
        return self.sslobj.version()

    def cipher(self) -> tuple[str, str, int] | None:
        return self.sslobj.cipher()

    def selected_alpn_protocol(self) -> str | None:
        return self.sslobj.selected_alpn_protocol()

    def shared_ciphers(self) -> list[tuple[str, str, int]] | None:
        return self.sslobj.shared_ciphers()

    def compression(self) -> str | None:
        return self.sslobj.compression()

    def settimeout(self, value: float | None) -> None:
        self.socket.settimeout(value)

    def gettimeout(self) -> float | None:
        return self.socket.gettimeout()

    def _decref_socketios(self) -> None:
        # Called by SocketIO.close() on the object it was given, i.e. on us.
        self.socket._decref_socketios()  # type: ignore[attr-defined]

    def _wrap_ssl_read(self, len: int, buffer: bytearray | None = None) -> int | bytes:
        try:
            return self._ssl_io_loop(self.sslobj.read, len, buffer)
        except ssl.SSLError as e:
            # A peer that closes without close_notify: treated as EOF if so configured.
            if e.errno == ssl.SSL_ERROR_EOF and self.suppress_ragged_eofs:
                return 0
            raise

    @typing.overload
    def _ssl_io_loop(self, func: typing.Callable[[], None]) -> None: ...

    @typing.overload
    def _ssl_io_loop(self, func: typing.Callable[[bytes], int], arg1: bytes) -> int: ...

    @typing.overload
    def _ssl_io_loop(
        self,
        func: typing.Callable[[int, bytearray | None], bytes],
        arg1: int,
        arg2: bytearray | None,
    ) -> bytes: ...

    def _ssl_io_loop(
        self,
        func: typing.Callable[..., _ReturnValue],
        arg1: None | bytes | int = None,
        arg2: bytearray | None = None,
    ) -> _ReturnValue:
        """Runs one TLS operation (handshake, read, write, unwrap) to completion,
        shuttling records between the memory BIOs and the socket while it asks for more
        data."""
        if arg1 is None and arg2 is None:
            args: tuple[typing.Any, ...] = ()
        elif arg2 is None:
            args = (arg1,)
        else:
            args = (arg1, arg2)

        while True:
            want = None
            ret = None
            try:
                ret = func(*args)
            except ssl.SSLError as e:
                if e.errno not in (ssl.SSL_ERROR_WANT_READ, ssl.SSL_ERROR_WANT_WRITE):
                    raise
                want = e.errno

            # Whatever the engine produced (handshake messages, data, alerts) goes out
            # first, even when it now waits for the peer.
            self.socket.sendall(self.outgoing.read())

            if want is None:
                return typing.cast(_ReturnValue, ret)
            if want == ssl.SSL_ERROR_WANT_READ:
                data = self.socket.recv(SSL_BLOCKSIZE)
                if data:
                    self.incoming.write(data)
                else:
                    self.incoming.write_eof()
