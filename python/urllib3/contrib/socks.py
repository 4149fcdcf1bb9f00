"""SOCKS proxies (socks4, socks4a, socks5, socks5h): the managers and connection classes.

The SOCKS handshake runs in the Rust core; these classes carry urllib3's SOCKS options to it.
"""

from __future__ import annotations

import typing

from ..connection import HTTPConnection, HTTPSConnection
from ..connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from ..poolmanager import PoolManager
from ..util.url import parse_url

try:
    import ssl
except ImportError:  # pragma: no cover
    ssl = None  # type: ignore[assignment]


class _TYPE_SOCKS_OPTIONS(typing.TypedDict):
    socks_version: int
    proxy_host: str | None
    proxy_port: str | None
    username: str | None
    password: str | None
    rdns: bool


class SOCKSConnection(HTTPConnection):
    """An HTTP connection made through a SOCKS proxy."""

    def __init__(self, _socks_options: _TYPE_SOCKS_OPTIONS, *args: typing.Any, **kwargs: typing.Any) -> None:
        self._socks_options = _socks_options
        super().__init__(*args, **kwargs)


class SOCKSHTTPSConnection(SOCKSConnection, HTTPSConnection):
    pass


class SOCKSHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = SOCKSConnection


class SOCKSHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = SOCKSHTTPSConnection


class SOCKSProxyManager(PoolManager):
    """A manager that connects through a SOCKS proxy."""

    pool_classes_by_scheme = {"http": SOCKSHTTPConnectionPool, "https": SOCKSHTTPSConnectionPool}

    def __init__(
        self,
        proxy_url: str,
        username: str | None = None,
        password: str | None = None,
        num_pools: int = 10,
        headers: typing.Mapping[str, str] | None = None,
        **connection_pool_kw: typing.Any,
    ):
        parsed = parse_url(proxy_url)
        # Credentials in the URL are percent-encoded (``us%40er`` for ``us@er``), and a user
        # without a password is a SOCKS4 user id; both count only when none are given apart.
        if username is None and password is None:
            username, password = parsed.auth_decoded
        versions = {"socks5": (2, False), "socks5h": (2, True), "socks4": (1, False), "socks4a": (1, True)}
        if parsed.scheme not in versions:
            raise ValueError(f"Unable to determine SOCKS version from {proxy_url}")
        socks_version, rdns = versions[parsed.scheme]
        self.proxy_url = proxy_url
        socks_options = {
            "socks_version": socks_version,
            "proxy_host": parsed.host,
            "proxy_port": parsed.port,
            "username": username,
            "password": password,
            "rdns": rdns,
        }
        connection_pool_kw["_socks_options"] = socks_options
        super().__init__(num_pools, headers, **connection_pool_kw)
        self.pool_classes_by_scheme = SOCKSProxyManager.pool_classes_by_scheme
