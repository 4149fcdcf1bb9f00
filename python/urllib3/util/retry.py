"""``Retry``: how often, and after which errors and responses, a request is retried."""

from __future__ import annotations

import email.utils
import logging
import random
import re
import time
import typing
import warnings
from collections.abc import Collection
from itertools import takewhile
from types import TracebackType

from ..exceptions import (
    ConnectTimeoutError,
    InvalidHeader,
    MaxRetryError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    ResponseError,
)
from .util import reraise

if typing.TYPE_CHECKING:
    from typing_extensions import Self

    from ..connectionpool import ConnectionPool
    from ..response import BaseHTTPResponse

log = logging.getLogger(__name__)

# Retry-After as delay-seconds: digits only, optional surrounding whitespace (RFC 9110).
_RETRY_AFTER_SECONDS_RE = re.compile(r"^\s*[0-9]+\s*$")


class RequestHistory(typing.NamedTuple):
    """One attempt that led to a retry."""

    method: str | None
    url: str | None
    error: Exception | None
    status: int | None
    redirect_location: str | None


class Retry:
    """A retry policy.  Immutable in practice: every attempt produces a new Retry
    (:meth:`increment`), so one instance can be shared as a default.

    ``PoolManager(retries=Retry(connect=5, read=2, redirect=5))`` sets a default,
    ``request(..., retries=Retry(10))`` one request's policy, ``retries=False`` turns
    retries off (errors are then raised as they are instead of wrapped in
    :class:`~urllib3.exceptions.MaxRetryError`).

    :param total: retries of any kind allowed; takes precedence over the other counts.
        None leaves the limit to them; 0 fails at the first retry; False disables retries
        and implies ``raise_on_redirect=False``.
    :param connect: retries after connection errors (the request never reached the
        server).
    :param read: retries after read errors (the server may have processed the request).
    :param redirect: redirects to follow; False implies ``raise_on_redirect=False``.
    :param status: retries on responses whose status is in ``status_forcelist``.
    :param other: retries after other errors (may happen after the request was sent).
    :param allowed_methods: upper-case methods read and status retries apply to;
        :attr:`DEFAULT_ALLOWED_METHODS` (the idempotent ones) by default, None for all.
    :param status_forcelist: statuses that trigger a retry for the allowed methods.
    :param backoff_factor: sleeps ``backoff_factor * 2 ** (retries - 1)`` seconds
        between consecutive failed attempts (none before the first retry), capped at
        ``backoff_max``; 0 (the default) disables backoff.
    :param backoff_max: upper bound of a backoff sleep.
    :param backoff_jitter: adds ``random.uniform(0, backoff_jitter)`` to each backoff.
    :param raise_on_redirect: when redirects run out, raise MaxRetryError (True) or
        return the 3xx response.
    :param raise_on_status: the same for statuses in ``status_forcelist``.
    :param history: the :class:`RequestHistory` of the attempts so far.
    :param respect_retry_after_header: honour Retry-After on the statuses in
        :attr:`RETRY_AFTER_STATUS_CODES`.
    :param remove_headers_on_redirect: headers dropped (case-insensitively) when a
        redirect goes to another host.
    :param retry_after_max: upper bound, in seconds, of a Retry-After wait.
    """

    #: Methods retried by default: the idempotent ones.
    DEFAULT_ALLOWED_METHODS = frozenset(["HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE"])

    #: Statuses on which a Retry-After header triggers a retry.
    RETRY_AFTER_STATUS_CODES = frozenset([413, 429, 503])

    #: Headers dropped on a cross-host redirect by default.
    DEFAULT_REMOVE_HEADERS_ON_REDIRECT = frozenset(["Cookie", "Authorization", "Proxy-Authorization"])

    #: Default upper bound of a backoff sleep, in seconds.
    DEFAULT_BACKOFF_MAX = 120

    #: Default upper bound of a Retry-After wait: 6 hours, as other popular clients do
    #: (the RFC sets none).
    DEFAULT_RETRY_AFTER_MAX: typing.Final[int] = 21600

    # Set below the class: the policy used when none is given.
    DEFAULT: typing.ClassVar[Retry]

    def __init__(
        self,
        total: bool | int | None = 10,
        connect: int | None = None,
        read: int | None = None,
        redirect: bool | int | None = None,
        status: int | None = None,
        other: int | None = None,
        allowed_methods: typing.Collection[str] | None = DEFAULT_ALLOWED_METHODS,
        status_forcelist: typing.Collection[int] | None = None,
        backoff_factor: float = 0,
        backoff_max: float = DEFAULT_BACKOFF_MAX,
        raise_on_redirect: bool = True,
        raise_on_status: bool = True,
        history: tuple[RequestHistory, ...] | None = None,
        respect_retry_after_header: bool = True,
        remove_headers_on_redirect: typing.Collection[str] = DEFAULT_REMOVE_HEADERS_ON_REDIRECT,
        backoff_jitter: float = 0.0,
        retry_after_max: int = DEFAULT_RETRY_AFTER_MAX,
    ) -> None:
        self.total = total
        self.connect = connect
        self.read = read
        self.status = status
        self.other = other

        if redirect is False or total is False:
            redirect = 0
            raise_on_redirect = False

        self.redirect = redirect
        self.status_forcelist = status_forcelist or set()
        # An empty collection means "any method" today, but will mean "none" in v3.
        if not allowed_methods and isinstance(allowed_methods, Collection):
            warnings.warn(
                "Using an empty collection for 'allowed_methods' option to "
                "retry on any verb is deprecated and will skip retries for "
                "all verbs in urllib3 v3.0. Instead use "
                "Retry(..., allowed_methods=None).",
                FutureWarning,
                stacklevel=2,
            )
        self.allowed_methods = allowed_methods
        self.backoff_factor = backoff_factor
        self.backoff_max = backoff_max
        self.retry_after_max = retry_after_max
        self.raise_on_redirect = raise_on_redirect
        self.raise_on_status = raise_on_status
        self.history = history or ()
        self.respect_retry_after_header = respect_retry_after_header
        self.remove_headers_on_redirect = frozenset(h.lower() for h in remove_headers_on_redirect)
        self.backoff_jitter = backoff_jitter

    def new(self, **kw: typing.Any) -> Self:
        """A copy of this policy with ``kw`` changed."""
        params = dict(
            total=self.total,
            connect=self.connect,
            read=self.read,
            redirect=self.redirect,
            status=self.status,
            other=self.other,
            allowed_methods=self.allowed_methods,
            status_forcelist=self.status_forcelist,
            backoff_factor=self.backoff_factor,
            backoff_max=self.backoff_max,
            retry_after_max=self.retry_after_max,
            raise_on_redirect=self.raise_on_redirect,
            raise_on_status=self.raise_on_status,
            history=self.history,
            remove_headers_on_redirect=self.remove_headers_on_redirect,
            respect_retry_after_header=self.respect_retry_after_header,
            backoff_jitter=self.backoff_jitter,
        )
        params.update(kw)
        return type(self)(**params)  # type: ignore[arg-type]

    @classmethod
    def from_int(
        cls,
        retries: Retry | bool | int | None,
        redirect: bool | int | None = True,
        default: Retry | bool | int | None = None,
    ) -> Retry:
        """A Retry from the older forms: a Retry (kept), an int/bool total, or None
        (``default``, else :attr:`DEFAULT`)."""
        if retries is None:
            retries = default if default is not None else cls.DEFAULT

        if isinstance(retries, Retry):
            return retries

        # redirect=False/0 disables redirects; anything truthy leaves them to total.
        redirect = bool(redirect) and None
        new_retries = cls(retries, redirect=redirect)
        log.debug("Converted retries value: %r -> %r", retries, new_retries)
        return new_retries

    def get_backoff_time(self) -> float:
        """Seconds to sleep before the next attempt, from the run of consecutive
        failures at the end of the history (a redirect ends a run)."""
        run = len(list(takewhile(lambda h: h.redirect_location is None, reversed(self.history))))
        if run <= 1:
            return 0

        backoff = self.backoff_factor * (2 ** (run - 1))
        if self.backoff_jitter != 0.0:
            backoff += random.random() * self.backoff_jitter
        return float(max(0, min(self.backoff_max, backoff)))

    def parse_retry_after(self, retry_after: str) -> float:
        """Seconds to wait for a Retry-After value (delay-seconds or an HTTP date),
        at least 0 and at most ``retry_after_max``; InvalidHeader if unparseable."""
        seconds: float
        if _RETRY_AFTER_SECONDS_RE.match(retry_after):
            seconds = int(retry_after)
        else:
            date_tuple = email.utils.parsedate_tz(retry_after)
            if date_tuple is None:
                raise InvalidHeader(f"Invalid Retry-After header: {retry_after}")
            # mktime_tz takes a missing zone as UTC, which is what RFC 9110 asks for.
            seconds = email.utils.mktime_tz(date_tuple) - time.time()

        return min(max(seconds, 0), self.retry_after_max)

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        """The response's Retry-After in seconds, None without one."""
        retry_after = response.headers.get("Retry-After")
        if retry_after is None:
            return None
        return self.parse_retry_after(retry_after)

    def sleep_for_retry(self, response: BaseHTTPResponse) -> bool:
        """Sleeps as long as the response's Retry-After asks; whether it slept."""
        retry_after = self.get_retry_after(response)
        if retry_after:
            time.sleep(retry_after)
            return True
        return False

    def _sleep_backoff(self) -> None:
        backoff = self.get_backoff_time()
        if backoff <= 0:
            return
        time.sleep(backoff)

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        """Sleeps before the next attempt: as the response's Retry-After asks if there is
        one (and it is respected), else the exponential backoff (none by default)."""
        if self.respect_retry_after_header and response:
            if self.sleep_for_retry(response):
                return
        self._sleep_backoff()

    def _is_connection_error(self, err: Exception) -> bool:
        """Errors after which the server certainly did not get the request, so a retry
        is safe."""
        if isinstance(err, ProxyError):
            err = err.original_error
        return isinstance(err, ConnectTimeoutError)

    def _is_read_error(self, err: Exception) -> bool:
        """Errors after the request was sent: the server may have acted on it."""
        return isinstance(err, (ReadTimeoutError, ProtocolError))

    def _is_method_retryable(self, method: str) -> bool:
        """Whether ``method`` is in ``allowed_methods`` (always, when that is empty/None)."""
        if self.allowed_methods and method.upper() not in self.allowed_methods:
            return False
        return True

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        """Whether a response with ``status_code`` to ``method`` should be retried:
        the method must be allowed, and the status either in ``status_forcelist`` or one
        of :attr:`RETRY_AFTER_STATUS_CODES` with a Retry-After header that is respected
        (and retries left in ``total``)."""
        if not self._is_method_retryable(method):
            return False

        if self.status_forcelist and status_code in self.status_forcelist:
            return True

        return bool(
            self.total
            and self.respect_retry_after_header
            and has_retry_after
            and status_code in self.RETRY_AFTER_STATUS_CODES
        )

    def is_exhausted(self) -> bool:
        """Whether some count has gone below zero (None/0 counts are not limits here)."""
        counts = [
            c
            for c in (self.total, self.connect, self.read, self.redirect, self.status, self.other)
            if c
        ]
        if not counts:
            return False
        return min(counts) < 0

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        """The policy for the next attempt, after ``error`` or ``response``.

        Raises MaxRetryError when that uses up a count; re-raises ``error`` itself when
        retries are disabled, or when it is a kind that must not be retried (a read error
        on a method not allowed, a count set to False).
        """
        if self.total is False and error:
            raise reraise(type(error), error, _stacktrace)

        total = self.total
        if total is not None:
            total -= 1

        connect = self.connect
        read = self.read
        redirect = self.redirect
        status_count = self.status
        other = self.other
        cause = "unknown"
        status = None
        redirect_location = None

        if error and self._is_connection_error(error):
            if connect is False:
                raise reraise(type(error), error, _stacktrace)
            elif connect is not None:
                connect -= 1

        elif error and self._is_read_error(error):
            # The request may have had effects: only allowed methods are retried.
            if read is False or method is None or not self._is_method_retryable(method):
                raise reraise(type(error), error, _stacktrace)
            elif read is not None:
                read -= 1

        elif error:
            if other is not None:
                other -= 1

        elif response and response.get_redirect_location():
            if redirect is not None:
                redirect -= 1
            cause = "too many redirects"
            response_redirect_location = response.get_redirect_location()
            if response_redirect_location:
                redirect_location = response_redirect_location
            status = response.status

        else:
            # A response retried for its status (status_forcelist / Retry-After).
            cause = ResponseError.GENERIC_ERROR
            if response and response.status:
                if status_count is not None:
                    status_count -= 1
                cause = ResponseError.SPECIFIC_ERROR.format(status_code=response.status)
                status = response.status

        history = self.history + (RequestHistory(method, url, error, status, redirect_location),)

        new_retry = self.new(
            total=total,
            connect=connect,
            read=read,
            redirect=redirect,
            status=status_count,
            other=other,
            history=history,
        )

        if new_retry.is_exhausted():
            reason = error or ResponseError(cause)
            raise MaxRetryError(_pool, url, reason) from reason  # type: ignore[arg-type]

        log.debug("Incremented Retry for (url='%s'): %r", url, new_retry)

        return new_retry

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(total={self.total}, connect={self.connect}, "
            f"read={self.read}, redirect={self.redirect}, status={self.status})"
        )


# The policy used when none is given: 3 retries, as urllib3 has had since 1.9.
Retry.DEFAULT = Retry(3)
