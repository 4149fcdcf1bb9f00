"""Waiting for a single socket to become readable or writable.

Only one socket is ever waited on, so the stateless select()/poll() suit better than
epoll/kqueue, which pay for set-up.  poll() is preferred (select() breaks on descriptors
above FD_SETSIZE); select() serves where poll() is missing or broken (Windows, some
monkeypatched environments).  Any object with a ``fileno()`` method will do.  Interrupted
calls are retried by Python itself (PEP 475).
"""

from __future__ import annotations

import select
import socket

__all__ = ["wait_for_read", "wait_for_write"]


def select_wait_for_socket(
    sock: socket.socket,
    read: bool = False,
    write: bool = False,
    timeout: float | None = None,
) -> bool:
    if not read and not write:
        raise RuntimeError("must specify at least one of read=True, write=True")
    rlist = [sock] if read else []
    wlist = [sock] if write else []
    # Windows reports a completed non-blocking connect as "exceptional", not writable:
    # the write candidates are watched in both lists (as the selectors module does).
    rready, wready, xready = select.select(rlist, wlist, wlist, timeout)
    return bool(rready or wready or xready)


def poll_wait_for_socket(
    sock: socket.socket,
    read: bool = False,
    write: bool = False,
    timeout: float | None = None,
) -> bool:
    if not read and not write:
        raise RuntimeError("must specify at least one of read=True, write=True")
    mask = (select.POLLIN if read else 0) | (select.POLLOUT if write else 0)
    poller = select.poll()
    poller.register(sock, mask)
    # poll() counts milliseconds; None blocks.
    return bool(poller.poll(None if timeout is None else timeout * 1000))


def _have_working_poll() -> bool:
    # select.poll can exist and still fail on first use (odd platforms, eventlet-style
    # monkeypatching), so it is tried rather than looked up.
    try:
        select.poll().poll(0)
    except (AttributeError, OSError):
        return False
    return True


def wait_for_socket(
    sock: socket.socket,
    read: bool = False,
    write: bool = False,
    timeout: float | None = None,
) -> bool:
    """Waits until ``sock`` is readable (``read``) and/or writable (``write``); True
    when it is, False when ``timeout`` seconds passed first."""
    # Chosen on first call rather than at import, so that monkeypatching of select done
    # after urllib3 is imported is still taken into account; the choice then replaces
    # this function.
    global wait_for_socket
    if _have_working_poll():
        wait_for_socket = poll_wait_for_socket
    elif hasattr(select, "select"):
        wait_for_socket = select_wait_for_socket
    return wait_for_socket(sock, read, write, timeout)


def wait_for_read(sock: socket.socket, timeout: float | None = None) -> bool:
    """True once ``sock`` is readable, False if ``timeout`` expired first."""
    # A core connection may hold received bytes in its buffer, where no poll sees them.
    has_pending = getattr(sock, "has_pending", None)
    if has_pending is not None and has_pending():
        return True
    return wait_for_socket(sock, read=True, timeout=timeout)


def wait_for_write(sock: socket.socket, timeout: float | None = None) -> bool:
    """True once ``sock`` is writable, False if ``timeout`` expired first."""
    return wait_for_socket(sock, write=True, timeout=timeout)
