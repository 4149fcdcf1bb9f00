"""Request helpers: ``make_headers``, request-body rewinding and chunking."""

from __future__ import annotations

import io
import typing
from enum import Enum

from ..exceptions import UnrewindableBodyError
from .util import to_bytes

if typing.TYPE_CHECKING:
    from typing import Final

#: A header value that tells urllib3 not to send that header at all, for the headers
#: it would otherwise add by itself (those in SKIPPABLE_HEADERS).
SKIP_HEADER = "@@@SKIP_HEADER@@@"
SKIPPABLE_HEADERS = frozenset(["accept-encoding", "host", "user-agent"])

# The Rust core always decodes brotli and zstd, so unlike urllib3 this does not depend on
# optional Python packages being installed.
ACCEPT_ENCODING = "gzip,deflate,br,zstd"


class _TYPE_FAILEDTELL(Enum):
    token = 0


#: Recorded when body.tell() failed, so a later rewind can say why it is impossible
#: (None means "no position recorded").
_FAILEDTELL: Final[_TYPE_FAILEDTELL] = _TYPE_FAILEDTELL.token

_TYPE_BODY_POSITION = typing.Union[int, _TYPE_FAILEDTELL]

# Methods that get no "Content-Length: 0" when sent without a body.  Listed negatively so
# that unknown methods are treated like POST, which does expect a body.
_METHODS_NOT_EXPECTING_BODY = {"GET", "HEAD", "DELETE", "TRACE", "OPTIONS", "CONNECT"}


def make_headers(
    keep_alive: bool | None = None,
    accept_encoding: bool | list[str] | str | None = None,
    user_agent: str | None = None,
    basic_auth: str | None = None,
    proxy_basic_auth: str | None = None,
    disable_cache: bool | None = None,
    *,
    basic_auth_encoding: str = "latin-1",
    proxy_basic_auth_encoding: str = "latin-1",
) -> dict[str, str]:
    """Builds common request headers.

    :param keep_alive: adds ``connection: keep-alive``.
    :param accept_encoding: True for every encoding urllib3 decodes
        (``gzip,deflate,br,zstd``), a list to be comma-joined, or a str used as is.
    :param user_agent: the ``user-agent`` value.
    :param basic_auth: ``"username:password"`` (decoded, not percent-encoded; see
        :attr:`Url.auth_decoded_joined`) for ``authorization: Basic ...``.
    :param basic_auth_encoding: how ``basic_auth`` is turned into bytes before Base64;
        latin-1 by default, as before, "utf-8" if the server expects it.
    :param proxy_basic_auth: the same for ``proxy-authorization``.
    :param proxy_basic_auth_encoding: the same for ``proxy_basic_auth``.
    :param disable_cache: adds ``cache-control: no-cache``.

    >>> make_headers(keep_alive=True, user_agent="Batman/1.0")
    {'user-agent': 'Batman/1.0', 'connection': 'keep-alive'}
    """
    # In the order urllib3 has always produced them; None means "not asked for".
    wanted: dict[str, str | None] = {
        "accept-encoding": (
            _accept_encoding_value(accept_encoding) if accept_encoding else None
        ),
        "user-agent": user_agent or None,
        "connection": "keep-alive" if keep_alive else None,
        "authorization": (
            _basic_credentials(basic_auth, basic_auth_encoding) if basic_auth else None
        ),
        "proxy-authorization": (
            _basic_credentials(proxy_basic_auth, proxy_basic_auth_encoding)
            if proxy_basic_auth
            else None
        ),
        "cache-control": "no-cache" if disable_cache else None,
    }
    return {name: value for name, value in wanted.items() if value is not None}


def _accept_encoding_value(accept_encoding: bool | list[str] | str) -> str:
    """A str is taken as is, a list is comma-joined, anything else (True) means every
    encoding we can decode."""
    if isinstance(accept_encoding, str):
        return accept_encoding
    if isinstance(accept_encoding, list):
        return ",".join(accept_encoding)
    return ACCEPT_ENCODING


def _basic_credentials(user_pass: str, encoding: str) -> str:
    """An ``Authorization``-style value for HTTP Basic authentication (RFC 7617)."""
    from base64 import b64encode  # credentials only: not imported with urllib3

    return "Basic " + b64encode(user_pass.encode(encoding)).decode()


def set_file_position(
    body: typing.Any, pos: _TYPE_BODY_POSITION | None
) -> _TYPE_BODY_POSITION | None:
    """Seeks ``body`` to ``pos`` when given; otherwise records its current position
    (``_FAILEDTELL`` if tell() fails) so a retry or redirect can rewind it."""
    if pos is None:
        return _current_position(body)
    rewind_body(body, pos)
    return pos


def _current_position(body: typing.Any) -> _TYPE_BODY_POSITION | None:
    tell = getattr(body, "tell", None)
    if tell is None:
        return None
    try:
        return tell()  # type: ignore[no-any-return]
    except OSError:
        # Not None: a later rewind must be able to tell "tell() failed" from "no body
        # position was ever recorded".
        return _FAILEDTELL


def rewind_body(body: typing.IO[typing.AnyStr], body_pos: _TYPE_BODY_POSITION) -> None:
    """Seeks ``body`` back to ``body_pos`` before it is sent again.

    Raises UnrewindableBodyError when that is impossible, ValueError for a bad position.
    """
    seek = getattr(body, "seek", None)
    if seek is None or not isinstance(body_pos, int):
        raise _why_not_rewindable(seek, body_pos)
    try:
        seek(body_pos)
    except OSError as e:
        raise UnrewindableBodyError(
            "An error occurred when rewinding request body for redirect/retry."
        ) from e


def _why_not_rewindable(
    seek: typing.Callable[[int], object] | None, body_pos: object
) -> Exception:
    """The error for a body that cannot be seeked to ``body_pos``, the most telling
    reason first."""
    if body_pos is _FAILEDTELL:
        return UnrewindableBodyError(
            "Unable to record file position for rewinding "
            "request body during a redirect/retry."
        )
    if seek is None:
        return UnrewindableBodyError("body does not implement seek.")
    return ValueError(
        f"body_pos must be of type integer, instead it was {type(body_pos)}."
    )


class ChunksAndContentLength(typing.NamedTuple):
    chunks: typing.Iterable[bytes] | None
    content_length: int | None


def body_to_chunks(
    body: typing.Any | None, method: str, blocksize: int
) -> ChunksAndContentLength:
    """Turns a request body into an iterable of byte chunks plus its length.

    A ``content_length`` of None means the length is unknown, so the body is to be sent
    with ``Transfer-Encoding: chunked``.  Without a body the length is 0 for methods
    that normally carry one and None for the others.
    """
    chunks: typing.Iterable[bytes] | None
    content_length: int | None

    if body is None:
        chunks = None
        content_length = None if method.upper() in _METHODS_NOT_EXPECTING_BODY else 0

    elif isinstance(body, (str, bytes)):
        data = to_bytes(body)
        chunks = (data,)
        content_length = len(data)

    elif hasattr(body, "read"):
        # File-like: read lazily, encoding text files as UTF-8.
        def read_blocks() -> typing.Iterable[bytes]:
            encode = isinstance(body, io.TextIOBase)
            while True:
                block = body.read(blocksize)
                if not block:
                    break
                yield block.encode("utf-8") if encode else block

        chunks = read_blocks()
        content_length = None

    else:
        try:
            # Buffer-protocol objects (bytearray, memoryview, array...) go out as they are.
            view = memoryview(body)
        except TypeError:
            try:
                chunks = iter(body)
            except TypeError:
                raise TypeError(
                    f"'body' must be a bytes-like object, file-like "
                    f"object, or iterable. Instead was {body!r}"
                ) from None
            content_length = None
        else:
            chunks = (body,)
            content_length = view.nbytes

    return ChunksAndContentLength(chunks=chunks, content_length=content_length)
