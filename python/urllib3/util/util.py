"""Small str/bytes and exception helpers."""

from __future__ import annotations

import typing
from types import TracebackType


def _unexpected_type(x: object) -> typing.NoReturn:
    raise TypeError(f"not expecting type {type(x).__name__}")


def to_bytes(
    x: str | bytes, encoding: str | None = None, errors: str | None = None
) -> bytes:
    """``x`` as bytes: bytes pass through, str is encoded (UTF-8 unless told)."""
    if isinstance(x, str):
        return x.encode(encoding or "utf-8", errors or "strict")
    if isinstance(x, bytes):
        return x
    _unexpected_type(x)


def to_str(
    x: str | bytes, encoding: str | None = None, errors: str | None = None
) -> str:
    """``x`` as str: str passes through, bytes are decoded (UTF-8 unless told)."""
    if isinstance(x, bytes):
        return x.decode(encoding or "utf-8", errors or "strict")
    if isinstance(x, str):
        return x
    _unexpected_type(x)


def reraise(
    tp: type[BaseException] | None,
    value: BaseException,
    tb: TracebackType | None = None,
) -> typing.NoReturn:
    """Raises ``value`` again, with traceback ``tb`` when it carries another one."""
    try:
        raise value if value.__traceback__ is tb else value.with_traceback(tb)
    finally:
        # Drop the frame's references so the exception and traceback do not form a cycle.
        value = tb = None  # type: ignore[assignment]
