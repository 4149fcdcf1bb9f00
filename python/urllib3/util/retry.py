"""``Retry``: how often, and after which errors and responses, a request is retried."""

from __future__ import annotations

import logging
import re
import time
import typing
import warnings
from collections.abc import Collection
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


class _Outcome(typing.NamedTuple):
    """How one failed attempt is accounted for by :meth:`Retry.increment`."""

    counter: str | None  # the counter it uses up besides ``total`` (None: only that)
    cause: str  # for the ResponseError when no exception caused it
    status: int | None
    redirect_location: str | None


# The retry counters, each also a constructor argument and attribute of Retry.
_COUNTERS = ("total", "connect", "read", "redirect", "status", "other")

# Everything Retry.new() carries over to the copy.
_CONSTRUCTOR_ATTRIBUTES = _COUNTERS + (
    "allowed_methods",
    "status_forcelist",
    "backoff_factor",
    "backoff_max",
    "retry_after_max",
    "raise_on_redirect",
    "raise_on_status",
    "history",
    "remove_headers_on_redirect",
    "respect_retry_after_header",
    "backoff_jitter",
)


def _warn_if_empty_methods(allowed_methods: typing.Collection[str] | None) -> None:
    # An empty collection means "any method" today, but will mean "none" in v3.
    if isinstance(allowed_methods, Collection) and len(allowed_methods) == 0:
        warnings.warn(
            "Using an empty collection for 'allowed_methods' option to "
            "retry on any verb is deprecated and will skip retries for "
            "all verbs in urllib3 v3.0. Instead use "
            "Retry(..., allowed_methods=None).",
            FutureWarning,
            stacklevel=3,
        )


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
        # False for either turns redirects off and makes running out of them return the
        # 3xx response rather than raise.
        if total is False or redirect is False:
            redirect, raise_on_redirect = 0, False
        _warn_if_empty_methods(allowed_methods)

        # How many retries of each kind are left.
        self.total, self.connect, self.read = total, connect, read
        self.redirect, self.status, self.other = redirect, status, other
        self.history = history or ()

        # What is retried, and what happens when retries run out.
        self.allowed_methods = allowed_methods
        self.status_forcelist = status_forcelist or set()
        self.raise_on_redirect, self.raise_on_status = raise_on_redirect, raise_on_status
        self.remove_headers_on_redirect = frozenset(
            name.lower() for name in remove_headers_on_redirect
        )

        # How long to wait in between.
        self.backoff_factor = backoff_factor
        self.backoff_max = backoff_max
        self.backoff_jitter = backoff_jitter
        self.respect_retry_after_header = respect_retry_after_header
        self.retry_after_max = retry_after_max

    def new(self, **kw: typing.Any) -> Self:
        """A copy of this policy with ``kw`` changed."""
        params = {name: getattr(self, name) for name in _CONSTRUCTOR_ATTRIBUTES}
        params.update(kw)
        return type(self)(**params)

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
            retries = cls.DEFAULT if default is None else default
        if isinstance(retries, Retry):
            return retries

        # A falsy ``redirect`` turns redirects off; otherwise ``total`` alone limits them.
        converted = cls(retries, redirect=None if redirect else False)
        log.debug("Converted retries value: %r -> %r", retries, converted)
        return converted

    def get_backoff_time(self) -> float:
        """Seconds to sleep before the next attempt, from the run of consecutive
        failures at the end of the history (a redirect ends a run)."""
        streak = 0
        for attempt in reversed(self.history):
            if attempt.redirect_location is not None:
                break
            streak += 1
        # The first failure of a run is retried at once.
        if streak < 2:
            return 0

        delay = self.backoff_factor * 2 ** (streak - 1)
        if self.backoff_jitter != 0.0:
            import random  # jitter is rare: not imported with urllib3

            delay += random.random() * self.backoff_jitter
        return float(max(0, min(self.backoff_max, delay)))

    def parse_retry_after(self, retry_after: str) -> float:
        """Seconds to wait for a Retry-After value (delay-seconds or an HTTP date),
        at least 0 and at most ``retry_after_max``; InvalidHeader if unparseable."""
        seconds: float
        if _RETRY_AFTER_SECONDS_RE.match(retry_after):
            seconds = int(retry_after)
        else:
            import email.utils  # HTTP dates are rare here, and email is slow to import

            date_tuple = email.utils.parsedate_tz(retry_after)
            if date_tuple is None:
                raise InvalidHeader(f"Invalid Retry-After header: {retry_after}")
            # mktime_tz takes a missing zone as UTC, which is what RFC 9110 asks for.
            seconds = email.utils.mktime_tz(date_tuple) - time.time()

        return min(max(seconds, 0), self.retry_after_max)

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        """The response's Retry-After in seconds, None without one."""
        value = response.headers.get("Retry-After")
        return None if value is None else self.parse_retry_after(value)

    def sleep_for_retry(self, response: BaseHTTPResponse) -> bool:
        """Sleeps as long as the response's Retry-After asks; whether it slept."""
        delay = self.get_retry_after(response)
        if not delay:
            return False
        time.sleep(delay)
        return True

    def _sleep_backoff(self) -> None:
        delay = self.get_backoff_time()
        if delay > 0:
            time.sleep(delay)

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        """Sleeps before the next attempt: as the response's Retry-After asks if there is
        one (and it is respected), else the exponential backoff (none by default)."""
        if self.respect_retry_after_header and response and self.sleep_for_retry(response):
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
        return not self.allowed_methods or method.upper() in self.allowed_methods

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        """Whether a response with ``status_code`` to ``method`` should be retried:
        the method must be allowed, and the status either in ``status_forcelist`` or one
        of :attr:`RETRY_AFTER_STATUS_CODES` with a Retry-After header that is respected
        (and retries left in ``total``)."""
        if not self._is_method_retryable(method):
            return False
        if status_code in (self.status_forcelist or ()):
            return True
        return self._retry_after_asks_for_retry(status_code, has_retry_after)

    def _retry_after_asks_for_retry(self, status_code: int, has_retry_after: bool) -> bool:
        if not (has_retry_after and self.respect_retry_after_header and self.total):
            return False
        return status_code in self.RETRY_AFTER_STATUS_CODES

    def is_exhausted(self) -> bool:
        """Whether some count has gone below zero (None/0 counts are not limits here)."""
        return any(count < 0 for count in self._counts().values() if count)

    def _counts(self) -> dict[str, typing.Any]:
        """The retry counters, by the name :meth:`new` takes them under."""
        return {name: getattr(self, name) for name in _COUNTERS}

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
        if error:
            outcome = self._error_outcome(method, error, _stacktrace)
        else:
            outcome = self._response_outcome(response)

        # Every attempt uses up one of ``total``, and one of its own kind if counted.
        counts = self._counts()
        for name in ("total", outcome.counter):
            if name is not None and counts[name] is not None:
                counts[name] -= 1

        attempt = RequestHistory(method, url, error, outcome.status, outcome.redirect_location)
        new_retry = self.new(history=(*self.history, attempt), **counts)

        if new_retry.is_exhausted():
            reason = error or ResponseError(outcome.cause)
            raise MaxRetryError(_pool, url, reason) from reason  # type: ignore[arg-type]

        log.debug("Incremented Retry for (url='%s'): %r", url, new_retry)
        return new_retry

    def _error_outcome(
        self, method: str | None, error: Exception, stacktrace: TracebackType | None
    ) -> _Outcome:
        """Which counter ``error`` uses up; re-raises it when it must not be retried."""
        if self.total is False:
            counter = None  # retries are off altogether
        elif self._is_connection_error(error):
            counter = None if self.connect is False else "connect"
        elif self._is_read_error(error):
            # The server may have acted on the request: only safe methods are repeated.
            retryable = (
                self.read is not False
                and method is not None
                and self._is_method_retryable(method)
            )
            counter = "read" if retryable else None
        else:
            counter = "other"
        if counter is None:
            raise reraise(type(error), error, stacktrace)
        return _Outcome(counter, "unknown", None, None)

    def _response_outcome(self, response: BaseHTTPResponse | None) -> _Outcome:
        """Which counter a retried ``response`` uses up: a redirect, or a status from
        ``status_forcelist`` / a Retry-After."""
        location = response.get_redirect_location() if response else None
        if location:
            return _Outcome("redirect", "too many redirects", response.status, location)  # type: ignore[union-attr]
        if response and response.status:
            cause = ResponseError.SPECIFIC_ERROR.format(status_code=response.status)
            return _Outcome("status", cause, response.status, None)
        return _Outcome(None, ResponseError.GENERIC_ERROR, None, None)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(total={self.total}, connect={self.connect}, "
            f"read={self.read}, redirect={self.redirect}, status={self.status})"
        )


# The policy used when none is given: 3 retries, as urllib3 has had since 1.9.
Retry.DEFAULT = Retry(3)
