"""The pool manager: pools per scheme, host, port and settings, and cross-host redirects."""

from __future__ import annotations

import functools
import logging
import sys
import typing
import warnings
from types import TracebackType

from . import _lane
from ._base_connection import ProxyConfig, port_by_scheme
from ._collections import RecentlyUsedContainer
from ._request_methods import RequestMethods
from .exceptions import LocationValueError, MaxRetryError, ProxySchemeUnknown, URLSchemeUnknown
from .util.proxy import connection_requires_http_tunnel
from .util.retry import Retry
from .util.timeout import Timeout
from .util.url import Url, parse_url

if typing.TYPE_CHECKING:
    import ssl
    from typing import Self

    from .connectionpool import HTTPConnectionPool
    from .response import BaseHTTPResponse
    from .util.connection import _TYPE_SOCKET_OPTIONS

__all__ = ["PoolManager", "ProxyManager", "proxy_from_url"]

log = logging.getLogger(__name__)

SSL_KEYWORDS = (
    "key_file",
    "cert_file",
    "cert_reqs",
    "ca_certs",
    "ca_cert_data",
    "ssl_version",
    "ssl_minimum_version",
    "ssl_maximum_version",
    "ca_cert_dir",
    "ssl_context",
    "key_password",
    "server_hostname",
    "assert_hostname",
    "assert_fingerprint",
)

# http.client's default block size, which urllib3 makes part of the pool key.
_DEFAULT_BLOCKSIZE = 16384

# Request-context keys that say where a pool goes, not how it is made.
_ADDRESS_KEYS = ("scheme", "host", "port")

_ABSENT = object()

_STRICT_WARNING = (
    "The 'strict' parameter is no longer needed on Python 3+. "
    "This will raise an error in urllib3 v3.0."
)
_SCHEMELESS_URL_WARNING = (
    "URLs without a scheme (ie 'https://') are deprecated and will raise an error "
    "in urllib3 v3.0. To avoid this FutureWarning ensure all URLs "
    "start with 'https://' or 'http://'. Read more in this issue: "
    "https://github.com/urllib3/urllib3/issues/2920"
)
_FORWARDING_SSL_CONTEXT_WARNING = (
    "Passing ssl_context when use_forwarding_for_https=True is deprecated "
    "and will raise an error in urllib3 v3.0. "
    "Use proxy_ssl_context to configure the TLS connection to the proxy."
)


class PoolKey(typing.NamedTuple):
    """What identifies a pool: the scheme, host, port and every pool keyword argument."""

    key_scheme: str
    key_host: str
    key_port: int | None
    key_timeout: Timeout | float | int | None
    key_retries: Retry | bool | int | None
    key_block: bool | None
    key_source_address: tuple[str, int] | None
    key_key_file: str | None
    key_key_password: str | None
    key_cert_file: str | None
    key_cert_reqs: str | None
    key_ca_certs: str | None
    key_ca_cert_data: str | bytes | None
    key_ssl_version: int | str | None
    key_ssl_minimum_version: typing.Any
    key_ssl_maximum_version: typing.Any
    key_ca_cert_dir: str | None
    key_ssl_context: typing.Any
    key_maxsize: int | None
    key_headers: frozenset[tuple[str, str]] | None
    key__proxy: Url | None
    key__proxy_headers: frozenset[tuple[str, str]] | None
    key__proxy_config: ProxyConfig | None
    key_socket_options: _TYPE_SOCKET_OPTIONS | None
    key__socks_options: frozenset[tuple[str, str]] | None
    key_assert_hostname: bool | str | None
    key_assert_fingerprint: str | None
    key_server_hostname: str | None
    key_blocksize: int | None


def _default_key_normalizer(key_class: type[PoolKey], request_context: dict[str, typing.Any]) -> PoolKey:
    """Builds a hashable key: lower-case scheme and host, dicts as frozensets, lists as tuples."""
    context = request_context.copy()
    context["scheme"] = context["scheme"].lower()
    context["host"] = context["host"].lower()
    for key in ("headers", "_proxy_headers", "_socks_options"):
        if key in context and context[key] is not None:
            context[key] = frozenset(context[key].items())
    socket_opts = context.get("socket_options")
    if socket_opts is not None:
        context["socket_options"] = tuple(socket_opts)
    fields = _key_defaults.get(key_class)
    if fields is None:
        fields = _key_defaults[key_class] = dict.fromkeys(key_class._fields)
    context = {**fields, **{"key_" + key: value for key, value in context.items()}}
    if context["key_blocksize"] is None:
        context["key_blocksize"] = _DEFAULT_BLOCKSIZE
    return key_class(**context)


#: Every field of a key class, None: the fields a request context does not mention.
_key_defaults: dict[type[PoolKey], dict[str, None]] = {}


key_fn_by_scheme = {
    "http": functools.partial(_default_key_normalizer, PoolKey),
    "https": functools.partial(_default_key_normalizer, PoolKey),
}


def __getattr__(name: str) -> typing.Any:
    # The pool classes (and http.client and TLS with them) load when a manager first needs
    # a pool, not when urllib3 is imported.
    if name == "pool_classes_by_scheme":
        from .connectionpool import HTTPConnectionPool, HTTPSConnectionPool

        classes = {"http": HTTPConnectionPool, "https": HTTPSConnectionPool}
        globals()[name] = classes
        return classes
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class PoolManager(RequestMethods):
    """Keeps pools by host and settings and follows redirects across hosts."""

    proxy: Url | None = None
    proxy_config: ProxyConfig | None = None

    def __init__(
        self,
        num_pools: int = 10,
        headers: typing.Mapping[str, str] | None = None,
        **connection_pool_kw: typing.Any,
    ) -> None:
        super().__init__(headers)
        retries = connection_pool_kw.get("retries")
        if retries is not None and not isinstance(retries, Retry):
            # One Retry for every pool, so that their keys compare equal on it; the caller's
            # dict is left as it was.
            connection_pool_kw = {**connection_pool_kw, "retries": Retry.from_int(retries)}
        self.connection_pool_kw = connection_pool_kw
        self.pools: RecentlyUsedContainer[PoolKey, HTTPConnectionPool] = RecentlyUsedContainer(num_pools)
        self.key_fn_by_scheme = dict(key_fn_by_scheme)
        # The fast lane's memory of pool keys (urllib3._lane.pool_for).
        self._lane_keys: dict[tuple[typing.Any, ...], tuple[dict[str, typing.Any], PoolKey]] = {}

    @property
    def pool_classes_by_scheme(self) -> dict[str, type[HTTPConnectionPool]]:
        """The pool class for each scheme: the module's ``pool_classes_by_scheme`` unless
        one was set on this manager (read when the first pool is made)."""
        chosen = self.__dict__.get("_pool_classes_by_scheme")
        if chosen is None:
            chosen = self.__dict__["_pool_classes_by_scheme"] = sys.modules[__name__].pool_classes_by_scheme
        return chosen  # type: ignore[no-any-return]

    @pool_classes_by_scheme.setter
    def pool_classes_by_scheme(self, classes: dict[str, type[HTTPConnectionPool]]) -> None:
        self.__dict__["_pool_classes_by_scheme"] = classes

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> typing.Literal[False]:
        self.clear()
        return False

    def _new_pool(
        self,
        scheme: str,
        host: str,
        port: int,
        request_context: dict[str, typing.Any] | None = None,
    ) -> HTTPConnectionPool:
        """A pool of ``pool_classes_by_scheme[scheme]`` made with the context's arguments
        (TLS ones only for https)."""
        pool_cls: type[HTTPConnectionPool] = self.pool_classes_by_scheme[scheme]
        context = self.connection_pool_kw if request_context is None else request_context
        unused = _ADDRESS_KEYS if scheme != "http" else _ADDRESS_KEYS + SSL_KEYWORDS
        pool_kw = {key: value for key, value in context.items() if key not in unused}
        if pool_kw.get("blocksize") is None:
            pool_kw["blocksize"] = _DEFAULT_BLOCKSIZE
        return pool_cls(host, port, **pool_kw)

    def clear(self) -> None:
        """Closes and forgets every pool (responses still streaming finish first)."""
        self.pools.clear()

    def connection_from_host(
        self,
        host: str | None,
        port: int | None = None,
        scheme: str | None = "http",
        pool_kwargs: dict[str, typing.Any] | None = None,
    ) -> HTTPConnectionPool:
        """The pool for ``scheme://host:port`` (the scheme's port when none is given) with
        the manager's pool arguments, ``pool_kwargs`` applied on top."""
        if not host:
            raise LocationValueError("No host specified.")
        return self.connection_from_context(self._request_context(host, port, scheme, pool_kwargs))

    def _request_context(
        self, host: str, port: int | None, scheme: str | None, pool_kwargs: dict[str, typing.Any] | None
    ) -> dict[str, typing.Any]:
        """The pool arguments for ``scheme://host:port``, from which its pool key is made."""
        scheme = scheme or "http"
        context = self._merge_pool_kwargs(pool_kwargs)
        context.update(
            scheme=scheme,
            host=host,
            port=port_by_scheme.get(scheme.lower(), 80) if port is None else port,
        )
        return context

    def connection_from_context(self, request_context: dict[str, typing.Any]) -> HTTPConnectionPool:
        """The pool for a request context: its key comes from ``key_fn_by_scheme``."""
        if request_context.pop("strict", _ABSENT) is not _ABSENT:
            warnings.warn(_STRICT_WARNING, FutureWarning)
        make_key = self.key_fn_by_scheme.get(request_context["scheme"].lower())
        if make_key is None:
            raise URLSchemeUnknown(request_context["scheme"].lower())
        return self.connection_from_pool_key(make_key(request_context), request_context=request_context)

    def connection_from_pool_key(self, pool_key: PoolKey, request_context: dict[str, typing.Any]) -> HTTPConnectionPool:
        with self.pools.lock:
            pool = self.pools.get(pool_key)
            if pool:
                return pool
            pool = self._new_pool(
                request_context["scheme"],
                request_context["host"],
                request_context["port"],
                request_context=request_context,
            )
            self.pools[pool_key] = pool
        return pool

    def connection_from_url(self, url: str, pool_kwargs: dict[str, typing.Any] | None = None) -> HTTPConnectionPool:
        u = parse_url(url)
        return self.connection_from_host(u.host, port=u.port, scheme=u.scheme, pool_kwargs=pool_kwargs)

    def _merge_pool_kwargs(self, override: dict[str, typing.Any] | None) -> dict[str, typing.Any]:
        """The manager's pool arguments with ``override`` applied; None removes a key."""
        base = self.connection_pool_kw.copy()
        for key, value in (override or {}).items():
            if value is None:
                base.pop(key, None)
            else:
                base[key] = value
        return base

    def _proxy_requires_url_absolute_form(self, parsed_url: Url) -> bool:
        if self.proxy is None:
            return False
        return not connection_requires_http_tunnel(self.proxy, self.proxy_config, parsed_url.scheme)

    def urlopen(  # type: ignore[override]
        self, method: str, url: str, redirect: bool = True, **kw: typing.Any
    ) -> BaseHTTPResponse:
        """Sends a request to an absolute URL through the pool for its host; redirects,
        across hosts too, are followed here (the pool is told not to)."""
        target = parse_url(url)
        if target.scheme is None:
            warnings.warn(_SCHEMELESS_URL_WARNING, category=FutureWarning, stacklevel=2)
        pool = _lane.pool_for(self, target) or self.connection_from_host(
            target.host, port=target.port, scheme=target.scheme
        )
        kw.update(assert_same_host=False, redirect=False)
        kw.setdefault("headers", self.headers)
        # A forwarding proxy is sent the whole URL; everyone else the path and query.
        if self._proxy_requires_url_absolute_form(target):
            request_target = target._replace(fragment=None).url
        else:
            request_target = target.request_uri
        response = pool.urlopen(method, request_target, **kw)
        return self._after_pool_response(method, url, redirect, kw, response, pool)

    def _after_pool_response(
        self,
        method: str,
        url: str,
        redirect: bool,
        kw: dict[str, typing.Any],
        response: BaseHTTPResponse,
        pool: HTTPConnectionPool,
    ) -> BaseHTTPResponse:
        """The response for the caller, or, for a redirect, the one at its end."""
        location = redirect and response.get_redirect_location()
        if not location:
            return response
        from urllib.parse import urljoin  # redirects only: not imported with urllib3

        return self._follow_redirect(method, url, urljoin(url, location), response, pool, redirect, kw)

    def _follow_redirect(
        self,
        method: str,
        url: str,
        location: str,
        response: BaseHTTPResponse,
        pool: HTTPConnectionPool,
        redirect: bool,
        kw: dict[str, typing.Any],
    ) -> BaseHTTPResponse:
        """Counts a redirect against the request's Retry and requests ``location``; when
        redirects ran out, raises or returns the redirect response as Retry says."""
        if response.status == 303:
            method = "GET"
            kw.update(body=None, chunked=False, body_pos=None)
        retries = kw.get("retries", response.retries)
        if not isinstance(retries, Retry):
            retries = Retry.from_int(retries, redirect=redirect)
        from .connectionpool import _headers_for_redirect

        kw["headers"] = _headers_for_redirect(kw["headers"], response.status, retries, pool, location)
        try:
            kw["retries"] = retries.increment(method, url, response=response, _pool=pool)
        except MaxRetryError:
            if retries.raise_on_redirect:
                response.drain_conn()
                raise
            return response
        kw["redirect"] = redirect
        log.info("Redirecting %s -> %s", url, location)
        response.drain_conn()
        return self.urlopen(method, location, **kw)


_lane.register_manager(PoolManager, key_fn_by_scheme)


class ProxyManager(PoolManager):
    """A manager that sends every request through one HTTP(S) proxy."""

    def __init__(
        self,
        proxy_url: str,
        num_pools: int = 10,
        headers: typing.Mapping[str, str] | None = None,
        proxy_headers: typing.Mapping[str, str] | None = None,
        proxy_ssl_context: ssl.SSLContext | None = None,
        use_forwarding_for_https: bool = False,
        proxy_assert_hostname: None | str | typing.Literal[False] = None,
        proxy_assert_fingerprint: str | None = None,
        **connection_pool_kw: typing.Any,
    ) -> None:
        proxy = _proxy_url(proxy_url)
        self.proxy_ssl_context = proxy_ssl_context
        forwards_https = use_forwarding_for_https and proxy.scheme == "https"
        target_context = connection_pool_kw.get("ssl_context")
        if forwards_https and target_context is not None:
            warnings.warn(_FORWARDING_SSL_CONTEXT_WARNING, FutureWarning, stacklevel=2)
            # The context meant for the target is what the proxy's TLS used before.
            self.proxy_ssl_context = self.proxy_ssl_context or target_context
        self.proxy = proxy
        self.proxy_headers = proxy_headers or {}
        self.proxy_config = ProxyConfig(
            ssl_context=proxy_ssl_context,
            use_forwarding_for_https=use_forwarding_for_https,
            assert_hostname=proxy_assert_hostname,
            assert_fingerprint=proxy_assert_fingerprint,
        )
        # Every pool this manager makes carries the proxy with it.
        connection_pool_kw.update(
            _proxy=self.proxy,
            _proxy_headers=self.proxy_headers,
            _proxy_config=self.proxy_config,
        )
        super().__init__(num_pools, headers, **connection_pool_kw)

    def connection_from_host(
        self,
        host: str | None,
        port: int | None = None,
        scheme: str | None = "http",
        pool_kwargs: dict[str, typing.Any] | None = None,
    ) -> HTTPConnectionPool:
        """https:// targets get a pool of their own (tunnelled); every http:// request goes
        through the one pool for the proxy."""
        if scheme != "https":
            assert self.proxy is not None
            host, port, scheme = self.proxy.host, self.proxy.port, self.proxy.scheme
        return super().connection_from_host(host, port, scheme, pool_kwargs=pool_kwargs)

    def _set_proxy_headers(self, url: str, headers: typing.Mapping[str, str] | None = None) -> typing.Mapping[str, str]:
        """Proxy requests carry ``Accept`` and the target's ``Host`` unless given."""
        headers_ = {"Accept": "*/*"}
        netloc = parse_url(url).netloc
        if netloc:
            headers_["Host"] = netloc
        if headers:
            headers_.update(headers)
        return headers_

    def urlopen(  # type: ignore[override]
        self, method: str, url: str, redirect: bool = True, **kw: typing.Any
    ) -> BaseHTTPResponse:
        """As ``PoolManager.urlopen``; a forwarded request gets the proxy headers first."""
        if self._proxy_requires_url_absolute_form(parse_url(url)):
            kw["headers"] = self._set_proxy_headers(url, kw.get("headers", self.headers))
        return super().urlopen(method, url, redirect=redirect, **kw)


def _proxy_url(proxy_url: typing.Any) -> Url:
    """The proxy's URL, with its scheme's port when it names none; a pool stands for its own
    address. Only http and https proxies are managed here (SOCKS has its own manager)."""
    from .connectionpool import HTTPConnectionPool

    if isinstance(proxy_url, HTTPConnectionPool):
        proxy_url = f"{proxy_url.scheme}://{proxy_url.host}:{proxy_url.port}"
    proxy = parse_url(proxy_url)
    if proxy.scheme not in ("http", "https"):
        raise ProxySchemeUnknown(proxy.scheme)
    if proxy.port is None:
        proxy = proxy._replace(port=port_by_scheme.get(proxy.scheme, 80))
    return proxy


def proxy_from_url(url: str, **kw: typing.Any) -> ProxyManager:
    return ProxyManager(proxy_url=url, **kw)
