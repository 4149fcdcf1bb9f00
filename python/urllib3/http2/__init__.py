"""Opt-in HTTP/2 (``inject_into_urllib3()``): HTTPS pools then use HTTP2Connection and
offer only "h2" in ALPN, as urllib3's experimental support does; a server that does not pick
it is spoken to in HTTP/1.1."""

from __future__ import annotations

import typing
from importlib.metadata import version

__all__ = [
    "inject_into_urllib3",
    "extract_from_urllib3",
]

# The HTTPSConnection class in place before injection, restored by extraction.
orig_HTTPSConnection: typing.Any = None


def inject_into_urllib3() -> None:
    """Makes HTTPS pools use :class:`~urllib3.http2.connection.HTTP2Connection`."""
    _require_h2_4()
    from .. import connection as urllib3_connection
    from .connection import HTTP2Connection

    global orig_HTTPSConnection
    orig_HTTPSConnection = urllib3_connection.HTTPSConnection
    # Only "h2" is offered, not "http/1.1" as well, as in urllib3's experimental
    # support: a connection is then HTTP/2 or nothing, which is what its tests expect.
    _install_https_connection(HTTP2Connection, "h2")


def extract_from_urllib3() -> None:
    """Undoes :func:`inject_into_urllib3`."""
    _install_https_connection(orig_HTTPSConnection, "http/1.1")


def _require_h2_4() -> None:
    # The core speaks HTTP/2 itself, so the h2 package is not needed; but an installed h2 of
    # another major than urllib3 supports is refused as urllib3 refuses it, so that code
    # moving between the two sees the same error.
    try:
        installed = version("h2")
    except ImportError:  # importlib.metadata.PackageNotFoundError: h2 is not installed
        return
    if not installed.startswith("4."):
        raise ImportError(
            "urllib3 v2 supports h2 version 4.x.x, currently "
            f"the 'h2' module is compiled with {installed!r}. "
            "See: https://github.com/urllib3/urllib3/issues/3290"
        )


def _install_https_connection(connection_cls: typing.Any, alpn_protocol: str) -> None:
    """Points every place urllib3 looks up the HTTPS connection class at
    ``connection_cls``, and has TLS offer just ``alpn_protocol``."""
    # Imported here: these modules import this package themselves.
    from .. import connection as urllib3_connection
    from .. import util as urllib3_util
    from ..connectionpool import HTTPSConnectionPool
    from ..util import ssl_ as urllib3_util_ssl

    HTTPSConnectionPool.ConnectionCls = connection_cls
    urllib3_connection.HTTPSConnection = connection_cls  # type: ignore[misc]
    # util re-exports ssl_'s list: both names are read, so both are replaced (a list each).
    for module in (urllib3_util, urllib3_util_ssl):
        module.ALPN_PROTOCOLS = [alpn_protocol]  # type: ignore[attr-defined]
