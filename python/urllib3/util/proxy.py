"""Proxy helpers."""

from __future__ import annotations

import typing

from .url import Url

if typing.TYPE_CHECKING:
    from ..connection import ProxyConfig


def connection_requires_http_tunnel(
    proxy_url: Url | None = None,
    proxy_config: ProxyConfig | None = None,
    destination_scheme: str | None = None,
) -> bool:
    """Whether a request to ``destination_scheme`` through ``proxy_url`` needs an HTTP
    CONNECT tunnel rather than being forwarded to the proxy.

    http:// destinations are always forwarded; https:// ones are tunnelled, unless the
    proxy is itself HTTPS and ``proxy_config.use_forwarding_for_https`` is set.
    """
    if proxy_url is None or destination_scheme == "http":
        return False
    forwards_https = bool(proxy_config and proxy_config.use_forwarding_for_https)
    return not (forwards_https and proxy_url.scheme == "https")
