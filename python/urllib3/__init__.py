"""urllib3, on a Rust core: a drop-in for urllib3 2.x.

The classes, functions, exceptions, warnings and log records are urllib3's; the sockets, TLS,
HTTP parsing, body framing and content decoding happen in Rust (``urllib3._rs``).
"""

from __future__ import annotations

import logging
import sys
import typing
import warnings
from logging import NullHandler

from . import _lazy, exceptions
from ._base_connection import _TYPE_BODY
from ._collections import HTTPHeaderDict
from ._version import __version__
from .filepost import _TYPE_FIELDS, encode_multipart_formdata
from .poolmanager import PoolManager, ProxyManager, proxy_from_url
from .util.request import make_headers
from .util.retry import Retry
from .util.timeout import Timeout

if typing.TYPE_CHECKING:
    from . import connection, connectionpool, contrib, http2, response
    from .connectionpool import HTTPConnectionPool, HTTPSConnectionPool, connection_from_url
    from .response import BaseHTTPResponse, HTTPResponse

# Loaded on first use: the pools, connections and responses import http.client (and email and
# ssl with it), which is most of what importing urllib3 would otherwise cost.
_ON_FIRST_USE = {
    "HTTPConnectionPool": "connectionpool",
    "HTTPSConnectionPool": "connectionpool",
    "connection_from_url": "connectionpool",
    "BaseHTTPResponse": "response",
    "HTTPResponse": "response",
}
# Submodules importing urllib3 does not load (fields and filepost it does).
_SUBMODULES = frozenset({"connection", "connectionpool", "contrib", "http2", "response"})

__getattr__ = _lazy.first_use(__name__, _ON_FIRST_USE, _SUBMODULES)

__author__ = "urllib3-rs developers"
__license__ = "MIT"

__all__ = (
    "HTTPConnectionPool",
    "HTTPHeaderDict",
    "HTTPSConnectionPool",
    "PoolManager",
    "ProxyManager",
    "HTTPResponse",
    "Retry",
    "Timeout",
    "add_stderr_logger",
    "connection_from_url",
    "disable_warnings",
    "encode_multipart_formdata",
    "make_headers",
    "proxy_from_url",
    "request",
    "BaseHTTPResponse",
)

logging.getLogger(__name__).addHandler(NullHandler())

_STDERR_LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"


def add_stderr_logger(level: int = logging.DEBUG) -> logging.StreamHandler[typing.TextIO]:
    """Adds a stderr handler to urllib3's logger, for quick debugging; returns the handler."""
    # By __name__, not a literal: a vendored copy of the package logs under its own name.
    package_logger = logging.getLogger(__name__)
    package_logger.setLevel(level)
    stderr_handler = _timestamped_stderr_handler()
    package_logger.addHandler(stderr_handler)
    package_logger.debug("Added a stderr logging handler to logger: %s", __name__)
    return stderr_handler


def _timestamped_stderr_handler() -> logging.StreamHandler[typing.TextIO]:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_STDERR_LOG_FORMAT))
    return handler


del NullHandler

# Appended, so that users' own filters take precedence.  Security warnings are shown every
# time; InsecurePlatformWarning, the same on every request, once per location.
warnings.simplefilter("always", exceptions.SecurityWarning, append=True)
warnings.simplefilter("default", exceptions.InsecurePlatformWarning, append=True)


def disable_warnings(category: type[Warning] = exceptions.HTTPWarning) -> None:
    """Silences urllib3's warnings of ``category`` (all of them by default)."""
    warnings.simplefilter("ignore", category)


_DEFAULT_POOL = PoolManager()


def request(
    method: str,
    url: str,
    *,
    body: _TYPE_BODY | None = None,
    fields: _TYPE_FIELDS | None = None,
    headers: typing.Mapping[str, str] | None = None,
    preload_content: bool | None = True,
    decode_content: bool | None = True,
    redirect: bool | None = True,
    retries: Retry | bool | int | None = None,
    timeout: Timeout | float | int | None = 3,
    json: typing.Any | None = None,
) -> BaseHTTPResponse:
    """A request through a module-level PoolManager (``urllib3.request(...)``)."""
    return _DEFAULT_POOL.request(
        method,
        url,
        body=body,
        fields=fields,
        headers=headers,
        preload_content=preload_content,
        decode_content=decode_content,
        redirect=redirect,
        retries=retries,
        timeout=timeout,
        json=json,
    )
