"""Responses: urllib3's ``HTTPResponse`` over a response of the Rust core.

The body is framed (Content-Length, chunked, close-delimited) and decoded (gzip, deflate, br,
zstd) in Rust; Python sees bytes. A response built by hand from a file-like object (as tests
and adapters do) is read through the same core.
"""

from __future__ import annotations

import http.client
import io
import json as _json
import logging
import typing
from http.client import HTTPMessage as _HttplibHTTPMessage

from . import _rs
from ._collections import HTTPHeaderDict
from ._errors import CoreError, translate
from .exceptions import (
    BodyNotHttplibCompatible,
    DecodeError,
    InvalidHeader,
    ReadTimeoutError,
    ResponseNotChunked,
)
from .util.response import is_fp_closed

if typing.TYPE_CHECKING:
    from .connection import HTTPConnection
    from .connectionpool import HTTPConnectionPool
    from .util.retry import Retry

log = logging.getLogger(__name__)

_READ_CHUNK_SIZE = 2**16

# Longest chunk-size line accepted; the core enforces its own bound with the same intent.
_MAX_CHUNK_LINE_LENGTH = 4096

try:
    import brotli  # type: ignore[import-not-found]
except ImportError:
    brotli = None  # decoding is done by the core, which always has brotli


class BytesQueueBuffer:
    """A FIFO of byte strings that hands out exactly the number of bytes asked for."""

    def __init__(self) -> None:
        self.buffer: typing.Deque[bytes | memoryview] = __import__("collections").deque()
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def put(self, data: bytes) -> None:
        self.buffer.append(data)
        self._size += len(data)

    def get(self, n: int) -> bytes:
        if n == 0:
            return b""
        if not self.buffer:
            raise RuntimeError("buffer is empty")
        if n < 0:
            raise ValueError("n should be > 0")
        if len(self.buffer[0]) == n and isinstance(self.buffer[0], bytes):
            self._size -= n
            return self.buffer.popleft()  # type: ignore[return-value]
        out = io.BytesIO()
        taken = 0
        while taken < n and self.buffer:
            chunk = self.buffer.popleft()
            need = n - taken
            if len(chunk) > need:
                view = memoryview(chunk)
                out.write(view[:need])
                self.buffer.appendleft(view[need:])
                taken += need
            else:
                out.write(chunk)
                taken += len(chunk)
        self._size -= taken
        return out.getvalue()

    def get_all(self) -> bytes:
        if not self.buffer:
            return b""
        if len(self.buffer) == 1:
            only = self.buffer.pop()
            self._size = 0
            return bytes(only)
        out = b"".join(self.buffer)
        self.buffer.clear()
        self._size = 0
        return out


class BaseHTTPResponse(io.IOBase):
    CONTENT_DECODERS = ["gzip", "x-gzip", "deflate", "br", "zstd"]
    REDIRECT_STATUSES = [301, 302, 303, 307, 308]
    DECODER_ERROR_CLASSES: tuple[type[Exception], ...] = (IOError,)

    def __init__(
        self,
        *,
        headers: typing.Mapping[str, str] | typing.Mapping[bytes, bytes] | None = None,
        status: int,
        version: int,
        version_string: str,
        reason: str | None,
        decode_content: bool,
        request_url: str | None,
        retries: Retry | None = None,
    ) -> None:
        self.headers = headers if isinstance(headers, HTTPHeaderDict) else HTTPHeaderDict(headers)  # type: ignore[arg-type]
        self.status = status
        self.version = version
        self.version_string = version_string
        self.reason = reason
        self.decode_content = decode_content
        self._has_decoded_content = False
        self._request_url = request_url
        self.retries = retries
        transfer_encoding = self.headers.get("transfer-encoding", "").lower()
        self.chunked = "chunked" in (t.strip() for t in transfer_encoding.split(","))
        self._decoder = None
        self.length_remaining: int | None

    def get_redirect_location(self) -> str | None | typing.Literal[False]:
        """The Location of a redirect, None for a redirect without one, False otherwise."""
        if self.status in self.REDIRECT_STATUSES:
            return self.headers.get("location")
        return False

    @property
    def data(self) -> bytes:
        raise NotImplementedError()

    def json(self) -> typing.Any:
        """The body parsed as JSON (UTF-8)."""
        return _json.loads(self.data.decode("utf-8"))

    @property
    def url(self) -> str | None:
        raise NotImplementedError()

    @url.setter
    def url(self, url: str | None) -> None:
        raise NotImplementedError()

    @property
    def connection(self) -> HTTPConnection | None:
        raise NotImplementedError()

    @property
    def retries(self) -> Retry | None:
        return self._retries

    @retries.setter
    def retries(self, retries: Retry | None) -> None:
        # The URL after redirects is the last redirect location in the history.
        if retries is not None and retries.history:
            self.url = retries.history[-1].redirect_location
        self._retries = retries

    def stream(self, amt: int | None = 2**16, decode_content: bool | None = None) -> typing.Iterator[bytes]:
        raise NotImplementedError()

    def read(self, amt: int | None = None, decode_content: bool | None = None, cache_content: bool = False) -> bytes:
        raise NotImplementedError()

    def read1(self, amt: int | None = None, decode_content: bool | None = None) -> bytes:
        raise NotImplementedError()

    def read_chunked(self, amt: int | None = None, decode_content: bool | None = None) -> typing.Iterator[bytes]:
        raise NotImplementedError()

    def release_conn(self) -> None:
        raise NotImplementedError()

    def drain_conn(self) -> None:
        raise NotImplementedError()

    def shutdown(self) -> None:
        raise NotImplementedError()

    def close(self) -> None:
        raise NotImplementedError()

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        temp = self.read(len(b))
        if len(temp) == 0:
            return 0
        b[: len(temp)] = temp
        return len(temp)

    def getheaders(self) -> HTTPHeaderDict:
        """The headers (the 1.x name, kept by urllib3 2.x)."""
        return self.headers

    def getheader(self, name: str, default: str | None = None) -> str | None:
        """One header's value (the 1.x name, kept by urllib3 2.x)."""
        return self.headers.get(name, default)

    def info(self) -> HTTPHeaderDict:
        return self.headers

    def geturl(self) -> str | None:
        return self.url


class _OriginalResponse:
    """What ``response._original_response`` offers callers that reach for http.client's
    response: ``requests`` reads cookies from ``.msg``. Built only when asked for."""

    def __init__(self, response: HTTPResponse) -> None:
        self._response = response
        self.status = response.status
        self.reason = response.reason
        self.version = response.version
        self.fp = None
        msg = _HttplibHTTPMessage()
        for name, value in response.headers.iteritems():
            msg[name] = value
        self.msg = msg
        self.headers = msg

    def isclosed(self) -> bool:
        return self._response.isclosed()

    def getheaders(self) -> list[tuple[str, str]]:
        return list(self.msg.items())

    def getheader(self, name: str, default: str | None = None) -> str | None:
        return self.msg.get(name, default)

    def close(self) -> None:
        self._response.close()


class HTTPResponse(BaseHTTPResponse):
    """A response whose body is read on demand, as urllib3's ``HTTPResponse``."""

    def __init__(
        self,
        body: typing.Any = "",
        headers: typing.Mapping[str, str] | typing.Mapping[bytes, bytes] | None = None,
        status: int = 0,
        version: int = 0,
        version_string: str = "HTTP/?",
        reason: str | None = None,
        preload_content: bool = True,
        decode_content: bool = True,
        original_response: typing.Any = None,
        pool: HTTPConnectionPool | None = None,
        connection: HTTPConnection | None = None,
        msg: _HttplibHTTPMessage | None = None,
        retries: Retry | None = None,
        enforce_content_length: bool = True,
        request_method: str | None = None,
        request_url: str | None = None,
        auto_close: bool = True,
        sock_shutdown: typing.Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(
            headers=headers,
            status=status,
            version=version,
            version_string=version_string,
            reason=reason,
            decode_content=decode_content,
            request_url=request_url,
            retries=retries,
        )
        self.enforce_content_length = enforce_content_length
        self.auto_close = auto_close
        self._body: bytes | None = None
        self._uncached_read_occurred = False
        self._fp: typing.Any = None
        self._core: typing.Any = None
        self._original = original_response
        self._fp_bytes_read = 0
        self.msg = msg
        self._pool = pool
        self._connection = connection
        self._sock_shutdown = sock_shutdown
        self.chunk_left: int | None = None
        # Whether the body comes from a Python file object rather than a core connection:
        # then that object's own state says whether the response is closed, as in urllib3.
        self._reads_python_file = False
        if body and isinstance(body, (str, bytes)):
            self._body = body  # type: ignore[assignment]
        if isinstance(body, _rs.Response):
            self._core = body
            self._fp = body
        elif hasattr(body, "read"):
            # A file-like body is framed and decoded by the core too.
            self._fp = body
            # An http.client response of a chunked body: its socket file holds the chunk
            # framing, which the core reads (urllib3 reads it there too).
            wire = self.chunked and isinstance(body, http.client.HTTPResponse) and body.fp is not None
            try:
                self._core = _rs.Response.from_reader(
                    body.fp if wire else body,
                    status if isinstance(status, int) else 0,
                    reason if isinstance(reason, str) else "",
                    version if isinstance(version, int) else 11,
                    list(self.headers.iteritems()),
                    decode_content,
                    enforce_content_length,
                    wire,
                    request_method or "GET",
                )
            except CoreError as e:
                raise translate(e)
            self._reads_python_file = True
        self.length_remaining = self._init_length(request_method)
        if preload_content and not self._body:
            self._body = self.read(decode_content=decode_content)

    @property
    def _original_response(self) -> typing.Any:
        if self._original is None and self._core is not None:
            self._original = _OriginalResponse(self)
        return self._original

    @_original_response.setter
    def _original_response(self, value: typing.Any) -> None:
        self._original = value

    def _init_length(self, request_method: str | None) -> int | None:
        if self._core is not None:
            # A chunked body has no length, whatever a Content-Length beside it says.
            return None if self.chunked else self._core.length_remaining
        declared = self.headers.get("content-length")
        if declared is not None and self.chunked:
            log.warning(
                "Received response with both Content-Length and "
                "Transfer-Encoding set. This is expressly forbidden "
                "by RFC 7230 sec 3.3.2. Ignoring Content-Length and "
                "attempting to process response as Transfer-Encoding: "
                "chunked."
            )
            return None
        # The header is vetted even when the status or method means no body: conflicting
        # values are an error either way.
        candidates: set[int] = set()
        if declared is not None:
            try:
                # "42, 42" (a repeated header, folded) is one length (RFC 9110 8.6).
                candidates.update(map(int, declared.split(",")))
            except ValueError:
                candidates.clear()  # not all numbers: no usable length
            if len(candidates) > 1:
                raise InvalidHeader(
                    "Content-Length contained multiple "
                    "unmatching values (%s)" % declared
                )
        try:
            code = int(self.status)
        except ValueError:  # http.client may report "_UNKNOWN"
            code = 0
        if request_method == "HEAD" or code in (204, 304) or 100 <= code < 200:
            return 0
        return next((n for n in candidates if n >= 0), None)

    def release_conn(self) -> None:
        if not self._pool or not self._connection:
            return None
        self._pool._put_conn(self._connection)
        self._connection = None

    def drain_conn(self) -> None:
        """Reads and discards the rest of the body so the connection can be reused."""
        try:
            if self._core is not None:
                self._core.drain()
            elif self._fp is not None:
                while self._fp.read(_READ_CHUNK_SIZE):
                    pass
        except (CoreError, OSError):
            pass
        self._after_read()

    @property
    def data(self) -> bytes:
        if self._body:
            return self._body  # type: ignore[return-value]
        if self._fp:
            return self.read(cache_content=True)
        return None  # type: ignore[return-value]

    @property
    def connection(self) -> HTTPConnection | None:
        return self._connection

    def isclosed(self) -> bool:
        if self._core is not None and not self._reads_python_file:
            return self._core.is_complete or self._core.closed
        return is_fp_closed(self._fp)

    def tell(self) -> int:
        """Body bytes received so far, before decoding."""
        if self._core is not None:
            return self._core.tell()
        return self._fp_bytes_read

    def _content_encoding(self) -> str | None:
        value = self.headers.get("content-encoding")
        return value.lower() if value else None

    def _raise(self, e: CoreError) -> typing.NoReturn:
        # A body read that times out says so without the limit, as urllib3's does.
        if e.kind == "ReadTimeoutError":
            raise ReadTimeoutError(self._pool, None, "Read timed out.") from None
        raise translate(e, pool=self._pool)

    def read(
        self,
        amt: int | None = None,
        decode_content: bool | None = None,
        cache_content: bool = False,
    ) -> bytes:
        """Reads ``amt`` bytes (all with None), decoded unless ``decode_content`` is false.

        Returns exactly ``amt`` bytes unless the body ends first.
        """
        if decode_content is None:
            decode_content = self.decode_content
        if amt is not None and amt < 0:
            amt = None
        if self._fp is None:
            return b""
        if self._core is not None:
            if amt == 0:
                return b""
            if not decode_content and self._has_decoded_content:
                raise RuntimeError(
                    "Calling read(decode_content=False) is not supported after "
                    "read(decode_content=True) was called."
                )
            encoding = self._content_encoding()
            try:
                data = self._core.read(amt, decode_content, encoding)
            except CoreError as e:
                self._after_read()
                self._raise(e)
            if decode_content and encoding:
                self._has_decoded_content = True
            if self._reads_python_file and amt and not data and hasattr(self._fp, "close"):
                # urllib3 closes the file once a sized read finds nothing left.
                self._fp.close()
        else:
            data = b""
        self.length_remaining = self._remaining()
        # A body read in part is not cached whole later: the cache would miss the start.
        if amt is None and cache_content and not self._uncached_read_occurred:
            self._body = data
        elif data:
            self._uncached_read_occurred = True
        self._after_read()
        return data

    def _remaining(self) -> int | None:
        if self._core is not None:
            return None if self.chunked else self._core.length_remaining
        return self.length_remaining

    def _after_read(self) -> None:
        """Once the body is complete, the connection goes back to its pool."""
        if self._core is not None and (self._core.is_complete or self._core.closed):
            self.release_conn()

    def read1(self, amt: int | None = None, decode_content: bool | None = None) -> bytes:
        """Reads what one read from the body gives, at most ``amt`` bytes."""
        if amt is None or amt < 0:
            amt = _READ_CHUNK_SIZE
        return self.read(amt, decode_content=decode_content)

    def stream(self, amt: int | None = 2**16, decode_content: bool | None = None) -> typing.Iterator[bytes]:
        """Yields the body in pieces of ``amt`` bytes; never an empty piece."""
        if self.chunked and self.supports_chunked_reads():
            yield from self.read_chunked(amt, decode_content=decode_content)
            return
        while not is_fp_closed(self._fp) or self._body_pending():
            data = self.read(amt=amt, decode_content=decode_content)
            if not data:
                break
            yield data

    def _body_pending(self) -> bool:
        return self._core is not None and not self._core.is_complete

    def readable(self) -> bool:
        return True

    def shutdown(self) -> None:
        if self._sock_shutdown is not None:
            import socket

            self._sock_shutdown(socket.SHUT_RD)

    def close(self) -> None:
        self._sock_shutdown = None
        if not self.closed and self._fp:
            self._fp.close()
        if self._connection:
            self._connection.close()
        if not self.auto_close:
            io.IOBase.close(self)

    @property
    def closed(self) -> bool:
        if not self.auto_close:
            return io.IOBase.closed.__get__(self)  # type: ignore[no-any-return]
        if self._fp is None:
            return True
        if self._core is not None and not self._reads_python_file:
            return self._core.closed or self._core.is_complete
        if hasattr(self._fp, "isclosed"):
            return self._fp.isclosed()  # type: ignore[no-any-return]
        if hasattr(self._fp, "closed"):
            return self._fp.closed  # type: ignore[no-any-return]
        return True

    def fileno(self) -> int:
        # Asked of whatever holds the body (None has no fileno either); an in-memory
        # body such as BytesIO has the method but raises io.UnsupportedOperation itself.
        descriptor_of = getattr(self._fp, "fileno", None)
        if descriptor_of is None:
            raise OSError(
                "HTTPResponse has no file to get a fileno from"
                if self._fp is None
                else "The file-like object this HTTPResponse is wrapped "
                "around has no file descriptor"
            )
        return descriptor_of()  # type: ignore[no-any-return]

    def flush(self) -> None:
        if self._fp is not None and hasattr(self._fp, "flush") and not getattr(self._fp, "closed", False):
            self._fp.flush()

    def supports_chunked_reads(self) -> bool:
        """Whether the body can be read wire chunk by wire chunk."""
        return hasattr(self._fp, "fp") or (self._core is not None and not self._reads_python_file)

    def read_chunked(self, amt: int | None = None, decode_content: bool | None = None) -> typing.Iterator[bytes]:
        """Yields the body chunk by chunk as the server framed it."""
        if not self.chunked:
            raise ResponseNotChunked(
                "Response is not chunked. "
                "Header 'transfer-encoding: chunked' is missing."
            )
        if not self.supports_chunked_reads():
            raise BodyNotHttplibCompatible(
                "Body should be http.client.HTTPResponse like. "
                "It should have have an fp attribute which returns raw chunks."
            )
        if decode_content is None:
            decode_content = self.decode_content
        if self._core is None:
            return
        while True:
            try:
                chunk = self._core.read_chunk(amt, decode_content, self._content_encoding())
            except CoreError as e:
                self._after_read()
                self._raise(e)
            if not chunk:
                break
            yield chunk
        self._after_read()

    @property
    def url(self) -> str | None:
        return self._request_url

    @url.setter
    def url(self, url: str | None) -> None:
        self._request_url = url

    def __iter__(self) -> typing.Iterator[bytes]:
        # Lines end at b"\n" alone (a "\r" is content) and keep it; a line may span
        # chunks, so its earlier pieces wait in `pending` until its end arrives.
        pending: list[bytes] = []
        for chunk in self.stream(decode_content=True):
            start = 0
            end = chunk.find(b"\n")
            while end != -1:
                pending.append(chunk[start : end + 1])
                yield b"".join(pending)
                pending.clear()
                start = end + 1
                end = chunk.find(b"\n", start)
            if start < len(chunk):
                pending.append(chunk[start:])
        if pending:
            # The last line, without a newline at the end of the body.
            yield b"".join(pending)
