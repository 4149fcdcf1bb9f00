# The names urllib3.util has always re-exported (older code imports them from here).
from __future__ import annotations

import typing

from .. import _lazy
from .request import SKIP_HEADER, SKIPPABLE_HEADERS, make_headers
from .retry import Retry
from .timeout import Timeout
from .url import Url, parse_url

if typing.TYPE_CHECKING:
    from . import connection, response, ssl_, ssltransport, wait
    from .connection import is_connection_dropped
    from .response import is_fp_closed
    from .wait import wait_for_read, wait_for_write
    from .ssl_ import (
        ALPN_PROTOCOLS,
        IS_PYOPENSSL,
        SSLContext,
        assert_fingerprint,
        create_urllib3_context,
        resolve_cert_reqs,
        resolve_ssl_version,
        ssl_wrap_socket,
    )

# What is loaded on first use, by the submodule it comes from: the TLS helpers import the
# stdlib's ssl and hashlib, is_fp_closed http.client, the socket helpers socket and select;
# importing urllib3 needs none of them.
_ON_FIRST_USE = {
    "is_connection_dropped": "connection",
    "wait_for_read": "wait",
    "wait_for_write": "wait",
    "is_fp_closed": "response",
    "ALPN_PROTOCOLS": "ssl_",
    "IS_PYOPENSSL": "ssl_",
    "SSLContext": "ssl_",
    "assert_fingerprint": "ssl_",
    "create_urllib3_context": "ssl_",
    "resolve_cert_reqs": "ssl_",
    "resolve_ssl_version": "ssl_",
    "ssl_wrap_socket": "ssl_",
}
# Submodules importing urllib3 does not load (util, proxy and the ones above it does).
_SUBMODULES = frozenset({"connection", "response", "ssl_", "ssltransport", "ssl_match_hostname", "wait"})

__getattr__ = _lazy.first_use(__name__, _ON_FIRST_USE, _SUBMODULES)

__all__ = (
    "IS_PYOPENSSL",
    "SSLContext",
    "ALPN_PROTOCOLS",
    "Retry",
    "Timeout",
    "Url",
    "assert_fingerprint",
    "create_urllib3_context",
    "is_connection_dropped",
    "is_fp_closed",
    "parse_url",
    "make_headers",
    "resolve_cert_reqs",
    "resolve_ssl_version",
    "ssl_wrap_socket",
    "wait_for_read",
    "wait_for_write",
    "SKIP_HEADER",
    "SKIPPABLE_HEADERS",
)
