"""Small str/bytes and exception helpers."""

from __future__ import annotations

import typing
from types import TracebackType


def to_bytes(
    x: str | bytes, encoding: str | None = None, errors: str | None = None
) -> bytes:
    """``x`` as bytes: bytes pass through, str is encoded (UTF-8 unless told)."""
    if isinstance(x, bytes):
        return x
    if not isinstance(x, str):
        raise TypeError(f"not expecting type {type(x).__name__}")
    if encoding or errors:
        return x.encode(encoding or "utf-8", errors=errors or "strict")
    return x.encode()


def to_str(
    x: str | bytes, encoding: str | None = None, errors: str | None = None
) -> str:
    """``x`` as str: str passes through, bytes are decoded (UTF-8 unless told)."""
    if isinstance(x, str):
        return x
    if not isinstance(x, bytes):
        raise TypeError(f"not expecting type {type(x).__name__}")
    if encoding or errors:
        return x.decode(encoding or "utf-8", errors=errors or "strict")
    return x.decode()


def reraise(
    tp: type[BaseException] | None,
    value: BaseException,
    tb: TracebackType | None = None,
) -> typing.NoReturn:
    """Raises ``value`` again, with traceback ``tb`` when it carries another one."""
    try:
        if value.__traceback__ is not tb:
            raise value.with_traceback(tb)
        raise value
    finally:
        # Drop the frame's references so the exception and traceback do not form a cycle.
        value = None  # type: ignore[assignment]
        tb = None
