"""``Timeout``: connect/read/total timeouts of a request."""

from __future__ import annotations

import time
import typing
from enum import Enum
# The C module's own function, which socket re-exports: the socket module is not needed here.
from _socket import getdefaulttimeout

from ..exceptions import TimeoutStateError

if typing.TYPE_CHECKING:
    from typing import Final


class _TYPE_DEFAULT(Enum):
    # -1 because socket.settimeout() rejects negatives: the sentinel leaking into a
    # socket call fails loudly instead of silently meaning something.
    token = -1


#: "Not given": resolved to socket.getdefaulttimeout() when used.
_DEFAULT_TIMEOUT: Final[_TYPE_DEFAULT] = _TYPE_DEFAULT.token

_TYPE_TIMEOUT = typing.Optional[typing.Union[float, _TYPE_DEFAULT]]


class Timeout:
    """Timeouts for one request or, as a default, for a pool.

    ``Timeout(connect=2.0, read=7.0)``; ``Timeout(connect=None, read=None)`` waits
    forever.  Values not given fall back to ``socket.getdefaulttimeout()``.

    :param total: an upper bound for connect and read together; the read timeout becomes
        what is left after connecting (the smaller value wins when ``connect`` or
        ``read`` is also given).
    :param connect: seconds to wait for the connection to be established.
    :param read: seconds to wait between two reads from the server (not the whole
        response: a server that trickles bytes keeps the request alive).

    DNS resolution and system load are not bounded by these values.
    """

    #: The "not given" sentinel.
    DEFAULT_TIMEOUT: _TYPE_TIMEOUT = _DEFAULT_TIMEOUT

    def __init__(
        self,
        total: _TYPE_TIMEOUT = None,
        connect: _TYPE_TIMEOUT = _DEFAULT_TIMEOUT,
        read: _TYPE_TIMEOUT = _DEFAULT_TIMEOUT,
    ) -> None:
        self._connect = self._validate_timeout(connect, "connect")
        self._read = self._validate_timeout(read, "read")
        self.total = self._validate_timeout(total, "total")
        self._start_connect: float | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(connect={self._connect!r}, read={self._read!r}, total={self.total!r})"

    # str() is the repr, as in urllib3 1.x.
    __str__ = __repr__

    @staticmethod
    def resolve_default_timeout(timeout: _TYPE_TIMEOUT) -> float | None:
        """``timeout``, or socket's global default when it is the sentinel."""
        return getdefaulttimeout() if timeout is _DEFAULT_TIMEOUT else timeout

    @classmethod
    def _validate_timeout(cls, value: _TYPE_TIMEOUT, name: str) -> _TYPE_TIMEOUT:
        """Returns ``value`` if it is None, the sentinel or a number > 0; raises
        ValueError otherwise (booleans included, though they are ints)."""
        if value is None or value is _DEFAULT_TIMEOUT:
            return value

        if isinstance(value, bool):
            raise ValueError(
                "Timeout cannot be a boolean value. It must be an int, float or None."
            )

        type_error = ValueError(
            f"Timeout value {name} was {value}, but it must be an int, float or None."
        )
        try:
            float(value)
            nonpositive = value <= 0
        except (TypeError, ValueError):
            # float() accepts strings like "1.0"; the comparison then rejects them.
            raise type_error from None
        if nonpositive:
            raise ValueError(
                f"Attempted to set {name} timeout to {value}, but the timeout cannot be "
                "set to a value less than or equal to 0."
            )
        return value

    @classmethod
    def from_float(cls, timeout: _TYPE_TIMEOUT) -> Timeout:
        """A Timeout with ``timeout`` for both connect and read (the http.client style
        single timeout)."""
        return Timeout(read=timeout, connect=timeout)

    def clone(self) -> Timeout:
        """A fresh copy, with its own (unstarted) connect clock.

        Not copy.deepcopy: that would copy the sentinel too, and it is compared by
        identity."""
        return Timeout(connect=self._connect, read=self._read, total=self.total)

    def start_connect(self) -> float:
        """Starts the connect clock; raises TimeoutStateError if already started."""
        if self._start_connect is not None:
            raise TimeoutStateError("Timeout timer has already been started.")
        self._start_connect = time.monotonic()
        return self._start_connect

    def get_connect_duration(self) -> float:
        """Seconds since :meth:`start_connect`; TimeoutStateError if it was not called."""
        if self._start_connect is None:
            raise TimeoutStateError(
                "Can't get connect duration for timer that has not started."
            )
        return time.monotonic() - self._start_connect

    @property
    def connect_timeout(self) -> _TYPE_TIMEOUT:
        """The connect timeout: the smaller of ``connect`` and ``total``; may be None or
        the default sentinel."""
        if self.total is None:
            return self._connect
        if self._connect is None or self._connect is _DEFAULT_TIMEOUT:
            return self.total
        return min(self._connect, self.total)  # type: ignore[type-var]

    @property
    def read_timeout(self) -> float | None:
        """The read timeout, sentinel resolved.

        With ``total`` set this is what remains of it after the connect time (capped by
        ``read``, floored at 0); if the connect clock has not started, ``read`` alone
        when given, otherwise TimeoutStateError.
        """
        total = self.total
        read = self._read
        if total is not None and total is not _DEFAULT_TIMEOUT:
            if read is not None and read is not _DEFAULT_TIMEOUT:
                if self._start_connect is None:
                    return read
                return max(0, min(total - self.get_connect_duration(), read))
            return max(0, total - self.get_connect_duration())
        return self.resolve_default_timeout(read)
