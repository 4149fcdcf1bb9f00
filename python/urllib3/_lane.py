"""The fast lane: a stock request served by one call into the core.

``HTTPConnectionPool.urlopen`` runs its stages for every request. When nothing about a
request or its pool was changed from urllib3's defaults (no seam overridden or patched, a
path that needs no encoding, a body of bytes or str, a stock ``Retry`` and ``Timeout``, no
proxy) and an open connection is on top of the store, three steps take a shorter way:

    take             what ``_prepare_call`` settles, read in place rather than copied, and
                     the connection on top of the store, if it is open, verified and ours
    send             what ``_make_request`` does, in one call into the core
                     (``urllib3._rs.exchange``: the request written, the head and a
                     preloaded body read, the GIL released once), then the same response,
                     log line and pool counters
    needs_follow_up  whether ``_after_response`` could do anything with the response (a
                     redirect, or a status ``Retry`` may retry)

Everything else (returning the connection, redirects, ``Retry``, errors) stays with the
stages, which remain the reference. ``take`` declines, by returning None, before anything
observable happened; the stages then run the request as usual.

A request through a stock ``PoolManager`` goes further still: its ``request`` hands it to
the core's route (``ROUTE``, an ``_rs.LaneRoute``), which makes the lane's checks and
the manager's and the pool's steps too, from the URL to the response, in one call. What the
stages decide after its exchange, ``resume`` hands to them.

``URLLIB3_RS_NO_LANE=1`` turns the lane and the route off; ``urllib3._rs._lane_counts()``
tells how many requests the lane served and declined.
"""

from __future__ import annotations

import operator
import os
import re
import sys
import typing

from . import _rs
from ._base_connection import _ResponseOptions
from ._rs import CoreError
from .util.retry import Retry
from .util.timeout import _DEFAULT_TIMEOUT, Timeout

if typing.TYPE_CHECKING:
    from . import connection as _connection
    from .connection import HTTPConnection
    from .connectionpool import HTTPConnectionPool, _Call
    from .poolmanager import PoolManager
    from .util.url import Url
    from .response import BaseHTTPResponse

ENABLED = not os.environ.get("URLLIB3_RS_NO_LANE")

# The pool's methods the stages call where the lane does not: a patch of one, or one set on
# the instance, would not be called, so the lane serves only while all are urllib3's own.
# What the lane itself calls (urlopen, _send_once's _put_conn and _after_error, _took_response,
# _raise_timeout) needs no check: a replacement is called as it is by the stages. What the lane
# never meets needs none either: _new_conn and _prepare_proxy (an empty slot or a proxy sends
# the request down the stages), ConnectionCls (the connection itself is checked), QueueCls (the
# store is), ResponseCls (which urllib3 2.x no longer reads).
_POOL_SEAMS = (
    "_prepare_call",
    "_send_once",
    "_after_response",
    "_get_conn",
    "_make_request",
    "_validate_conn",
    "_get_timeout",
    "is_same_host",
)
_POOL_SEAM_NAMES = frozenset(_POOL_SEAMS)
_pool_seams = operator.attrgetter(*_POOL_SEAMS)
# The same for the connection: the methods whose work ``send`` does, and http.client's, which
# a subclass or a patch would expect to see called (with its response class). The lane calls
# _host_header, _core_failed and _response_from_core itself.
HTTP_CLIENT_SEAMS = ("putrequest", "putheader", "endheaders", "send", "_send_output")
_CONNECTION_SEAMS = (
    "request",
    "getresponse",
    "response_class",
    *HTTP_CLIENT_SEAMS,
)
_CONNECTION_SEAM_NAMES = frozenset(_CONNECTION_SEAMS)
_connection_seams = operator.attrgetter(*_CONNECTION_SEAMS)
# http.client's own methods: our classes override them, so a patch of http.client's would
# not show in theirs.
_http_client_seams = operator.attrgetter(*HTTP_CLIENT_SEAMS)
_http_client_class: type = object
_stock_http_client: tuple[typing.Any, ...] = ()
_stock_pools: dict[type, tuple[typing.Any, ...]] = {}
_stock_connections: dict[type, tuple[typing.Any, ...]] = {}

# A request target sent as it is: `_encode_target` would leave it unchanged (no character to
# escape, escapes already upper-case, no fragment).
_PLAIN_TARGET = re.compile(r"/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-F]{2})*")
# Targets found plain: most programs ask for a few over and over, and a lookup costs less
# than the match. No more than this many are remembered.
_plain_targets: set[str] = set()
_PLAIN_REMEMBERED = 1024


def _is_plain(target: str) -> bool:
    """Whether ``target`` is sent as it is; a plain one is remembered."""
    if not _PLAIN_TARGET.fullmatch(target):
        return False
    if len(_plain_targets) >= _PLAIN_REMEMBERED:
        _plain_targets.clear()
    _plain_targets.add(target)
    return True


def register(*pool_classes: type[HTTPConnectionPool]) -> None:
    """Records the stock pool classes and their seams, to compare with on each request."""
    # The connection module loads with the pool classes, not with urllib3 (see poolmanager).
    global _connection, ROUTE
    from . import connection as _connection

    for cls in pool_classes:
        _stock_pools[cls] = _pool_seams(cls)
        _route_pools[cls] = operator.attrgetter(*_ROUTE_POOL_SEAMS)(cls)
        register_connection(cls.ConnectionCls)
    # The route needs the modules that load with the pools.
    ROUTE = _rs.LaneRoute(sys.modules[__name__])


def register_http_client(cls: type) -> None:
    """Records http.client's connection class as shipped (``urllib3.connection`` loads it)."""
    global _http_client_class, _stock_http_client
    _http_client_class = cls
    _stock_http_client = _http_client_seams(cls)


def http_client_unpatched() -> bool:
    """Whether http.client's request-writing methods are still the ones it shipped with."""
    return _http_client_seams(_http_client_class) == _stock_http_client


def register_connection(conn_cls: type[HTTPConnection]) -> None:
    """Records a stock connection class: a stock pool class's, or one urllib3 itself makes a
    pool's ``ConnectionCls`` (``HTTP2Connection``)."""
    _stock_connections[conn_cls] = _connection_seams(conn_cls)
    _route_connections[conn_cls] = operator.attrgetter(*_ROUTE_CONNECTION_SEAMS)(conn_cls)


# The manager's: what pool_for stands in for (urlopen calls pool_for).
_MANAGER_SEAMS = (
    "connection_from_host",
    "connection_from_context",
    "connection_from_pool_key",
    "_merge_pool_kwargs",
)
_MANAGER_SEAM_NAMES = frozenset(_MANAGER_SEAMS)
_manager_seams = operator.attrgetter(*_MANAGER_SEAMS)
_stock_managers: dict[type, tuple[typing.Any, ...]] = {}
_stock_key_fns: dict[str, typing.Any] = {}
# Pool keys a manager remembers, by (scheme, host, port): no more than this many.
_KEYS_REMEMBERED = 64


# The route passes by more than the lane: the manager's urlopen and request encoders, the
# pool's urlopen (and what it calls around the lane's send), and the connection's steps of a
# send. These must be urllib3's own too.
_ROUTE_MANAGER_SEAMS = (
    *_MANAGER_SEAMS,
    "urlopen",
    "request_encode_url",
    "request_encode_body",
    "_proxy_requires_url_absolute_form",
)
_ROUTE_POOL_SEAMS = (*_POOL_SEAMS, "urlopen", "_took_response", "_put_conn")
_ROUTE_CONNECTION_SEAMS = (
    *_CONNECTION_SEAMS,
    "host",
    "_host_header",
    "_refuse_illegal_fields",
    "_response_from_core",
    "_wrap_core",
)
# The stock classes' route seams, in the order of the names above.
_route_managers: dict[type, tuple[typing.Any, ...]] = {}
_route_pools: dict[type, tuple[typing.Any, ...]] = {}
_route_connections: dict[type, tuple[typing.Any, ...]] = {}
# Made once the pool classes are registered (their module loads on first use).
ROUTE: _rs.LaneRoute | None = None


def register_manager(cls: type, key_fns: dict[str, typing.Any]) -> None:
    """Records the stock manager class, its seams and its pool key functions."""
    _stock_managers[cls] = _manager_seams(cls)
    _route_managers[cls] = operator.attrgetter(*_ROUTE_MANAGER_SEAMS)(cls)
    _stock_key_fns.update(key_fns)


def resume(
    manager: PoolManager,
    url: str,
    body: typing.Any,
    urlopen_kw: dict[str, typing.Any],
    handover: tuple[typing.Any, ...],
) -> BaseHTTPResponse:
    """``manager.request(...)`` from where the route handed it over (see ``LaneRoute.request``):
    the pool's stages after its attempt, then the manager's."""
    from .connectionpool import _Call

    pool, conn, outcome, method, target, headers, retries, timeout = handover
    kw = dict(urlopen_kw)
    redirect = kw.pop("redirect", True)
    if body is not None:
        kw["body"] = body
    kw.update(assert_same_host=False, redirect=False, headers=headers)
    call = _Call(
        method,
        target,
        body,
        headers,
        kw.get("retries"),
        False,
        False,
        kw.get("timeout", _DEFAULT_TIMEOUT),
        kw.get("pool_timeout"),
        kw.get("release_conn"),
        False,
        None,
        kw.get("preload_content", True),
        kw.get("decode_content", True),
        {},
    )
    _settle(pool, call, retries, timeout)
    response = outcome if conn is None else pool._send_once(call, conn, failed=outcome)
    response = pool._after_attempt(call, response, lane=True)
    return manager._after_pool_response(method, url, redirect, kw, response, pool)


def pool_for(manager: PoolManager, target: Url) -> HTTPConnectionPool | None:
    """``connection_from_host`` for a stock manager and a pool it already has, from the pool
    keys it remembers (worked out again once ``connection_pool_kw`` changed); None, with
    nothing done, otherwise."""
    if not ENABLED:
        return None
    cls = type(manager)
    stock = _stock_managers.get(cls)
    if (
        stock is None
        or _manager_seams(cls) != stock
        or not manager.__dict__.keys().isdisjoint(_MANAGER_SEAM_NAMES)
        or manager.key_fn_by_scheme != _stock_key_fns
        or not target.host
        or "strict" in manager.connection_pool_kw
    ):
        return None
    address = (target.scheme, target.host, target.port)
    remembered = manager._lane_keys
    entry = remembered.get(address)
    if entry is None or entry[0] != manager.connection_pool_kw:
        if len(remembered) >= _KEYS_REMEMBERED:
            remembered.clear()
        context = manager._request_context(target.host, target.port, target.scheme, None)
        make_key = manager.key_fn_by_scheme.get(context["scheme"].lower())
        if make_key is None:
            return None  # the stages raise URLSchemeUnknown
        entry = remembered[address] = (dict(manager.connection_pool_kw), make_key(context))
    return manager.pools.get(entry[1])


def _declined() -> None:
    _rs._lane_declined()


def take(pool: HTTPConnectionPool, call: _Call) -> HTTPConnection | None:
    """``_prepare_call`` and a ready connection for a request that may take the lane; None,
    with nothing done, for any other."""
    if not ENABLED:
        return None
    cls = type(pool)
    stock = _stock_pools.get(cls)
    body = call.body
    # Declared a LifoQueue; the lane serves a pool whose store is the core's.
    store: object = pool.pool
    if (
        stock is None
        or _pool_seams(cls) != stock
        or not pool.__dict__.keys().isdisjoint(_POOL_SEAM_NAMES)
        or type(store) is not _rs.ConnectionStore
        or call.response_kw
        or call.chunked
        or call.body_pos is not None
        or pool.proxy is not None
        or not (body is None or type(body) is bytes or type(body) is str)
        or (call.url not in _plain_targets and not _is_plain(call.url))
    ):
        _declined()
        return None
    timeout = pool.timeout if call.timeout is _DEFAULT_TIMEOUT else call.timeout
    if type(timeout) is not Timeout:
        timeout = pool._get_timeout(timeout)
    # With a total, the read timeout depends on when connecting started: the stages time it;
    # a zero read timeout fails after sending, as the stages make it.
    if timeout.total is not None or timeout.read_timeout == 0:
        _declined()
        return None
    conn: HTTPConnection | None = store.take_connection()
    if conn is None:
        _declined()  # an empty slot: the stages open a connection
        return None
    if not _ready(pool, conn):
        pool._put_conn(conn)  # back on top, as it was
        _declined()
        return None
    retries = call.retries
    if type(retries) is not Retry:
        retries = Retry.from_int(retries, redirect=call.redirect, default=pool.retries)
    _settle(pool, call, retries, timeout)
    return conn


def _settle(pool: HTTPConnectionPool, call: _Call, retries: Retry, timeout: Timeout) -> None:
    """What ``_prepare_call`` would settle of a call the lane takes."""
    call.retries = retries
    call.timeout_obj = timeout
    if call.headers is None:
        call.headers = pool.headers
    if call.release_conn is None:
        call.release_conn = call.preload_content
    call.tunnel = False


def _ready(pool: HTTPConnectionPool, conn: HTTPConnection) -> bool:
    """Whether ``conn`` is a stock connection with an open, verified core socket that the
    server has not closed: what ``_get_conn`` and ``_validate_conn`` would pass as it is."""
    sock = conn.sock
    if type(sock) is not _rs.Connection:
        return False
    cls = type(conn)
    stock = _stock_connections.get(cls)
    return (
        stock is not None
        and _connection_seams(cls) == stock
        and conn.__dict__.keys().isdisjoint(_CONNECTION_SEAM_NAMES)
        and http_client_unpatched()
        and (pool.scheme != "https" or sock.is_verified)
        and not sock.is_dropped()
    )


def send(
    pool: HTTPConnectionPool,
    conn: HTTPConnection,
    call: _Call,
    failed: BaseException | None = None,
) -> BaseHTTPResponse:
    """``_make_request`` on a connection ``take`` gave, in one call into the core; or, with
    ``failed``, what the route's attempt on it raised."""
    timeout = call.timeout_obj
    read_timeout = timeout.read_timeout
    if failed is not None:
        _raise_failure(pool, conn, call.url, read_timeout, failed)
    conn.timeout = Timeout.resolve_default_timeout(timeout.connect_timeout)
    method, url = call.method, call.url
    conn._refuse_illegal_fields(call.headers)  # what the connection's request() would refuse
    pool.num_requests += 1
    try:
        core = _rs.exchange(
            typing.cast(_rs.Connection, conn.sock),  # the core's: ``take`` checked
            method,
            url,
            conn._host_header(url),
            call.headers,
            call.body,
            _connection._get_default_user_agent(),
            _connection._seconds(conn.timeout),
            _connection._seconds(read_timeout),
            call.decode_content,
            True,
            call.preload_content,
        )
    except CoreError as e:
        _raise_failure(pool, conn, url, read_timeout, e)
    if core is None:
        # Headers the core does not write as urllib3 would: the stages send this one.
        pool.num_requests -= 1
        return pool._make_request(
            conn,
            method,
            url,
            body=call.body,
            headers=call.headers,
            retries=call.retries,
            timeout=timeout,
            response_conn=None if call.release_conn else conn,
            preload_content=call.preload_content,
            decode_content=call.decode_content,
        )
    conn.timeout = read_timeout
    options = _ResponseOptions(method, url, call.preload_content, call.decode_content, True)
    response = conn._response_from_core(core, options)
    pool._took_response(response, method, url, call.retries, None if call.release_conn else conn)
    return response


def _raise_failure(
    pool: HTTPConnectionPool,
    conn: HTTPConnection,
    url: str,
    read_timeout: float | None,
    err: BaseException,
) -> typing.NoReturn:
    """Raises what a failed exchange raises: a CoreError as urllib3's exception (translated:
    the CoreError is hidden, its cause kept), anything else as it is."""
    if not isinstance(err, CoreError):
        raise err
    failure = conn._core_failed(err)
    pool._raise_timeout(err=failure, url=url, timeout_value=read_timeout)
    raise failure


def needs_follow_up(call: _Call, response: BaseHTTPResponse) -> bool:
    """Whether ``_after_response`` may act on ``response``: a redirect to follow, or a status
    that ``call.retries`` may retry (``Retry.is_retry``'s conditions, loosely)."""
    status = response.status
    retries = call.retries
    return (
        (call.redirect and status in response.REDIRECT_STATUSES)
        or status in retries.RETRY_AFTER_STATUS_CODES
        or bool(retries.status_forcelist and status in retries.status_forcelist)
    )
