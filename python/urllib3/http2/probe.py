"""Per-origin cache of "does this server speak HTTP/2?".

The first connection to an origin probes (via ALPN) and records the answer; connections
to the same origin made meanwhile wait for it rather than probing too.  Protocol:
``acquire_and_get(host, port)`` returns the known answer, or None, in which case the
caller now holds the origin's lock and must call ``set_and_release`` with what it found
(None if it could not tell, letting the next caller probe).
"""

from __future__ import annotations

import threading


class _HTTP2ProbeCache:
    __slots__ = (
        "_lock",
        "_cache_locks",
        "_cache_values",
    )

    def __init__(self) -> None:
        # _lock guards the two dicts; each origin's RLock is held during its probe.
        self._lock = threading.Lock()
        self._cache_locks: dict[tuple[str, int], threading.RLock] = {}
        self._cache_values: dict[tuple[str, int], bool | None] = {}

    def acquire_and_get(self, host: str, port: int) -> bool | None:
        key = (host, port)
        with self._lock:
            value = self._cache_values.get(key)
            if value is not None:
                return value  # known: no lock taken, nothing to release
            key_lock = self._cache_locks.get(key)
            if key_lock is None:
                key_lock = self._cache_locks[key] = threading.RLock()
                self._cache_values[key] = None

        # Unknown: wait for any probe in progress, then take the probe over.
        key_lock.acquire()
        try:
            value = self._cache_values[key]
        except BaseException:  # e.g. KeyboardInterrupt, or _reset() in the meantime
            key_lock.release()
            raise
        if value is not None:
            # The probe we waited for found the answer: nothing for this caller to report,
            # so the lock goes back now (kept, every later prober would wait forever).
            key_lock.release()
        return value

    def set_and_release(self, host: str, port: int, supports_http2: bool | None) -> None:
        key = (host, port)
        origin_lock = self._cache_locks[key]
        # Held again (it is re-entrant) just around the store: a ValueError gives back
        # only this extra hold, and the caller keeps the one from acquire_and_get.
        with origin_lock:
            self._record(key, supports_http2)
        # The hold acquire_and_get left with the caller: now the waiting probers may go.
        origin_lock.release()

    def _record(self, key: tuple[str, int], supports_http2: bool | None) -> None:
        known = self._cache_values[key]
        if supports_http2 is None and known is not None:
            # Only "not known yet" may be recorded as unknown; an answer is final.
            raise ValueError(
                "Cannot reset HTTP/2 support for origin after value has been set."
            )
        self._cache_values[key] = supports_http2

    def _values(self) -> dict[tuple[str, int], bool | None]:
        """For tests: a snapshot of the cache."""
        with self._lock:
            return dict(self._cache_values)

    def _reset(self) -> None:
        """For tests: forget everything."""
        with self._lock:
            self._cache_locks = {}
            self._cache_values = {}


_HTTP2_PROBE_CACHE = _HTTP2ProbeCache()

set_and_release = _HTTP2_PROBE_CACHE.set_and_release
acquire_and_get = _HTTP2_PROBE_CACHE.acquire_and_get
_values = _HTTP2_PROBE_CACHE._values
_reset = _HTTP2_PROBE_CACHE._reset

__all__ = [
    "set_and_release",
    "acquire_and_get",
]
