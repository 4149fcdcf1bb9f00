"""multipart/form-data encoding of request fields."""

from __future__ import annotations

import codecs
import os
import typing
from io import BytesIO

from .fields import _TYPE_FIELD_VALUE_TUPLE, RequestField

# A UTF-8 StreamWriter factory, kept for code that imports it from here.
writer = codecs.lookup("utf-8")[3]

_TYPE_FIELDS_SEQUENCE = typing.Sequence[
    typing.Union[tuple[str, _TYPE_FIELD_VALUE_TUPLE], RequestField]
]
_TYPE_FIELDS = typing.Union[
    _TYPE_FIELDS_SEQUENCE,
    typing.Mapping[str, _TYPE_FIELD_VALUE_TUPLE],
]


def choose_boundary() -> str:
    """A random boundary: 32 hex digits from 16 bytes of os.urandom."""
    return os.urandom(16).hex()


def iter_field_objects(fields: _TYPE_FIELDS) -> typing.Iterable[RequestField]:
    """Yields a RequestField for every field of a mapping or of a sequence of
    ``(name, value)`` pairs and/or RequestField objects."""
    items: typing.Iterable[RequestField | tuple[str, _TYPE_FIELD_VALUE_TUPLE]]
    items = fields.items() if isinstance(fields, typing.Mapping) else fields
    for field in items:
        if isinstance(field, RequestField):
            yield field
        else:
            yield RequestField.from_tuples(*field)


def encode_multipart_formdata(
    fields: _TYPE_FIELDS, boundary: str | None = None
) -> tuple[bytes, str]:
    """Encodes ``fields`` (see :func:`iter_field_objects`) as multipart/form-data.

    Returns ``(body, content_type)``; ``boundary`` defaults to :func:`choose_boundary`.
    """
    if boundary is None:
        boundary = choose_boundary()
    delimiter = f"--{boundary}\r\n".encode("latin-1")
    body = BytesIO()

    for field in iter_field_objects(fields):
        body.write(delimiter)
        body.write(field.render_headers().encode("utf-8"))
        data = field.data
        if isinstance(data, int):
            data = str(data)  # ints were accepted by urllib3 1.x
        body.write(data.encode("utf-8") if isinstance(data, str) else data)
        body.write(b"\r\n")

    body.write(f"--{boundary}--\r\n".encode("latin-1"))
    return body.getvalue(), f"multipart/form-data; boundary={boundary}"
