"""Fields of a multipart/form-data body (``RequestField``) and the formatting of their
header parameters."""

from __future__ import annotations

import typing
import warnings

_TYPE_FIELD_VALUE = typing.Union[str, bytes]
_TYPE_FIELD_VALUE_TUPLE = typing.Union[
    _TYPE_FIELD_VALUE,
    tuple[str, _TYPE_FIELD_VALUE],
    tuple[str, _TYPE_FIELD_VALUE, str],
]

# WHATWG multipart/form-data: only LF, CR and '"' are escaped in parameter values.
_MULTIPART_PARAM_ESCAPES = {0x0A: "%0A", 0x0D: "%0D", 0x22: "%22"}


def guess_content_type(
    filename: str | None, default: str = "application/octet-stream"
) -> str:
    """The Content-Type :mod:`mimetypes` guesses for ``filename``, else ``default``."""
    if filename:
        import mimetypes  # file fields only: it imports urllib.parse, not needed otherwise

        return mimetypes.guess_type(filename)[0] or default
    return default


def format_header_param_rfc2231(name: str, value: _TYPE_FIELD_VALUE) -> str:
    """Formats ``name=value`` per RFC 2231 (``name*=utf-8''...`` when the value is not
    plain ASCII or needs quoting).

    .. deprecated:: 2.0.0
        Not valid for multipart/form-data; removed in urllib3 v3.0.
    """
    warnings.warn(
        "'format_header_param_rfc2231' is insecure, deprecated and will be "
        "removed in urllib3 v3.0. This is not valid for "
        "multipart/form-data header parameters.",
        FutureWarning,
        stacklevel=2,
    )
    if isinstance(value, bytes):
        value = value.decode("utf-8")

    # A plain quoted string does when the value is ASCII and has nothing to escape.
    if value.isascii() and not any(ch in value for ch in '"\\\r\n'):
        return f'{name}="{value}"'

    import email.utils  # the deprecated RFC 2231 form only: email is slow to import

    return f"{name}*={email.utils.encode_rfc2231(value, 'utf-8')}"


def format_multipart_header_param(name: str, value: _TYPE_FIELD_VALUE) -> str:
    """Formats one multipart header parameter as ``name="value"``, as browsers and curl
    do (WHATWG HTML standard): the value is UTF-8 text (bytes are decoded) and only
    LF, CR and ``"`` are percent-encoded.

    .. versionchanged:: 2.0.0
        Control characters are no longer percent-encoded; renamed from
        ``format_header_param_html5`` / ``format_header_param``.
    """
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    return f'{name}="{value.translate(_MULTIPART_PARAM_ESCAPES)}"'


def _warn_renamed(old_name: str) -> None:
    """The FutureWarning of a pre-2.0 name of :func:`format_multipart_header_param`,
    attributed to the caller of that old name."""
    warnings.warn(
        f"'{old_name}' has been renamed to 'format_multipart_header_param'. "
        "The old name will be removed in urllib3 v3.0.",
        FutureWarning,
        stacklevel=3,
    )


def format_header_param_html5(name: str, value: _TYPE_FIELD_VALUE) -> str:
    """.. deprecated:: 2.0.0 Use :func:`format_multipart_header_param`."""
    _warn_renamed("format_header_param_html5")
    return format_multipart_header_param(name, value)


def format_header_param(name: str, value: _TYPE_FIELD_VALUE) -> str:
    """.. deprecated:: 2.0.0 Use :func:`format_multipart_header_param`."""
    _warn_renamed("format_header_param")
    return format_multipart_header_param(name, value)


def _formatter_or_default(
    formatter: typing.Callable[[str, _TYPE_FIELD_VALUE], str] | None,
) -> typing.Callable[[str, _TYPE_FIELD_VALUE], str]:
    """The parameter formatter a RequestField uses: a custom one is still honoured, with
    a FutureWarning for whoever constructed the field."""
    if formatter is None:
        return format_multipart_header_param
    warnings.warn(
        "The 'header_formatter' parameter is deprecated and "
        "will be removed in urllib3 v3.0.",
        FutureWarning,
        stacklevel=3,
    )
    return formatter


def _split_field_value(
    value: _TYPE_FIELD_VALUE_TUPLE,
) -> tuple[str | None, _TYPE_FIELD_VALUE, str | None]:
    """``(filename, data, content_type)`` of an old-style field value: bare data, or a
    ``(filename, data)`` / ``(filename, data, content_type)`` tuple.  A two-item tuple
    gets the Content-Type guessed from the filename; bare data gets no filename and no
    Content-Type."""
    if not isinstance(value, tuple):
        return None, value, None
    if len(value) == 3:
        return value
    filename, data = value
    return filename, data, guess_content_type(filename)


class RequestField:
    """One part of a multipart body: a ``name``, its ``data``, an optional ``filename``
    and the part's own ``headers``.

    .. versionchanged:: 2.0.0
        ``header_formatter`` is deprecated (removed in urllib3 v3.0).
    """

    def __init__(
        self,
        name: str,
        data: _TYPE_FIELD_VALUE,
        filename: str | None = None,
        headers: typing.Mapping[str, str] | None = None,
        header_formatter: typing.Callable[[str, _TYPE_FIELD_VALUE], str] | None = None,
    ):
        self._name = name
        self._filename = filename
        self.data = data
        # Always our own dict: make_multipart() writes into it.
        self.headers: dict[str, str | None] = dict(headers or {})
        self.header_formatter = _formatter_or_default(header_formatter)

    @classmethod
    def from_tuples(
        cls,
        fieldname: str,
        value: _TYPE_FIELD_VALUE_TUPLE,
        header_formatter: typing.Callable[[str, _TYPE_FIELD_VALUE], str] | None = None,
    ) -> RequestField:
        """Builds a multipart field from the old-style value forms: ``data``,
        ``(filename, data)`` (Content-Type guessed from the filename) or
        ``(filename, data, content_type)``."""
        filename, data, content_type = _split_field_value(value)
        field = cls(fieldname, data, filename=filename, header_formatter=header_formatter)
        field.make_multipart(content_type=content_type)
        return field

    def _render_part(self, name: str, value: _TYPE_FIELD_VALUE) -> str:
        """Formats one header parameter; override to change how they are quoted.

        :meta public:
        """
        return self.header_formatter(name, value)

    def _render_parts(
        self,
        header_parts: (
            dict[str, _TYPE_FIELD_VALUE | None]
            | typing.Sequence[tuple[str, _TYPE_FIELD_VALUE | None]]
        ),
    ) -> str:
        """Joins ``(name, value)`` parameters as ``name="value"; ...``, leaving out those
        whose value is None."""
        pairs = header_parts.items() if isinstance(header_parts, dict) else header_parts
        return "; ".join(
            self._render_part(name, value) for name, value in pairs if value is not None
        )

    def render_headers(self) -> str:
        """The part's header block, ending with the blank line.  Content-Disposition,
        Content-Type and Content-Location come first; empty values are left out."""
        ordered = ("Content-Disposition", "Content-Type", "Content-Location")
        lines = [f"{name}: {self.headers[name]}" for name in ordered if self.headers.get(name)]
        lines.extend(
            f"{name}: {value}"
            for name, value in self.headers.items()
            if name not in ordered and value
        )
        lines.append("\r\n")
        return "\r\n".join(lines)

    def make_multipart(
        self,
        content_disposition: str | None = None,
        content_type: str | None = None,
        content_location: str | None = None,
    ) -> None:
        """Sets the part's Content-Disposition (``form-data`` by default, with the name
        and filename parameters), Content-Type and Content-Location headers."""
        params = self._render_parts((("name", self._name), ("filename", self._filename)))
        disposition = content_disposition or "form-data"
        self.headers["Content-Disposition"] = f"{disposition}; {params}"
        self.headers["Content-Type"] = content_type
        self.headers["Content-Location"] = content_location
