"""URL parsing and normalisation (RFC 3986, RFC 6874 zone IDs): ``parse_url`` and the
``Url`` tuple it returns.

Only http, https and scheme-less URLs are normalised (host lowercased and IDNA-encoded,
dot segments removed, invalid characters percent-encoded); other schemes are split into
their parts and left as given.
"""

from __future__ import annotations

import re
import typing
from functools import lru_cache, partial

from ..exceptions import LocationParseError
from .util import to_str

if typing.TYPE_CHECKING:
    from typing_extensions import Self

# Scheme-less URLs are taken to be http, hence None here.
_NORMALIZABLE_SCHEMES = ("http", "https", None)

_PERCENT_RE = re.compile(r"%[a-fA-F0-9]{2}")
_HOST_PERCENT_RE = re.compile(r"%[a-fA-F0-9]{2}|%")
# Does the URL begin with a scheme (or an absolute path)?  '.' is left out on purpose:
# "example.com:80" is then read as a host and port rather than as scheme "example.com".
_SCHEME_RE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+-]*:|/)")
_HOST_INVALID_CHAR_RE = re.compile(r"[\x00-\x20\x7f]")
# RFC 3986 appendix B, except that '\' also ends the authority (as browsers do).
_URI_RE = re.compile(
    r"^(?:([a-zA-Z][a-zA-Z0-9+.-]*):)?"  # scheme
    r"(?://([^\\/?#]*))?"  # authority
    r"([^?#]*)"  # path
    r"(?:\?([^#]*))?"  # query
    r"(?:#(.*))?$",  # fragment
    re.UNICODE | re.DOTALL,
)


def _ipv6_pattern() -> str:
    """RFC 3986's IPv6address rule as a regular expression (section 3.2.2)."""
    h16 = "[0-9A-Fa-f]{1,4}"
    ls32 = rf"(?:{h16}:{h16}|{_IPV4_PAT})"
    # What may follow "::" when n groups (n = 0..7) may precede it.
    tails = [
        f"(?:{h16}:){{5}}{ls32}",
        f"(?:{h16}:){{4}}{ls32}",
        f"(?:{h16}:){{3}}{ls32}",
        f"(?:{h16}:){{2}}{ls32}",
        f"{h16}:{ls32}",
        ls32,
        h16,
        "",
    ]
    forms = [f"(?:{h16}:){{6}}{ls32}"]  # no "::" at all
    for n, tail in enumerate(tails):
        head = "" if n == 0 else f"(?:(?:{h16}:){{0,{n - 1}}}{h16})?"
        forms.append(f"{head}::{tail}")
    return "(?:" + "|".join(forms) + ")"


_IPV4_PAT = r"(?:[0-9]{1,3}\.){3}[0-9]{1,3}"
_UNRESERVED_PAT = r"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._\-~"
_IPV6_PAT = _ipv6_pattern()
# RFC 6874 writes the zone separator as "%25"; a bare "%" is accepted too.
_ZONE_ID_PAT = "(?:%25|%)(?:[" + _UNRESERVED_PAT + "]|%[a-fA-F0-9]{2})+"
_IPV6_ADDRZ_PAT = r"\[" + _IPV6_PAT + r"(?:" + _ZONE_ID_PAT + r")?\]"
_REG_NAME_PAT = r"(?:[^\[\]%:/?#]|%[a-fA-F0-9]{2})*"
_TARGET_RE = re.compile(r"^(/[^?#]*)(?:\?([^#]*))?(?:#.*)?$")

# Every IPv4 spelling socket.inet_aton accepts: 1 to 4 parts, decimal or 0x-hex.
_IPV4_RE = re.compile(
    r"^(?:0[xX][0-9a-fA-F]+|[0-9]+)(?:\.(?:0[xX][0-9a-fA-F]+|[0-9]+)){0,3}$"
)
# The IPv6 expressions are large and slow to compile; most programs never see an IPv6
# literal, so each is compiled when first used (``_ipv6``, or importing its name).
_IPV6_PATTERNS = {
    "_IPV6_RE": "^" + _IPV6_PAT + "$",
    "_IPV6_ADDRZ_RE": "^" + _IPV6_ADDRZ_PAT + "$",
    "_BRACELESS_IPV6_ADDRZ_RE": "^" + _IPV6_PAT + r"(?:" + _ZONE_ID_PAT + r")?$",
    "_ZONE_ID_RE": "(" + _ZONE_ID_PAT + r")\]$",
}


def _ipv6(name: str) -> re.Pattern[str]:
    """The compiled IPv6 expression of that name."""
    compiled: re.Pattern[str] | None = globals().get(name)
    if compiled is None:
        compiled = globals()[name] = re.compile(_IPV6_PATTERNS[name])
    return compiled


def __getattr__(name: str) -> re.Pattern[str]:
    if name in _IPV6_PATTERNS:
        return _ipv6(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# host, then an optional port whose leading zeros are dropped (":" alone means none). A
# bracketed host is checked against _IPV6_ADDRZ_RE afterwards; a reg-name covers IPv4.
_HOST_PORT_RE = re.compile(
    r"^(%s|\[[^\]]*\])(?::0*?(|0|[1-9][0-9]{0,4}))?$" % _REG_NAME_PAT, re.UNICODE | re.DOTALL
)

_UNRESERVED_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-~")
_SUB_DELIM_CHARS = set("!$&'()*+,;=")
_USERINFO_CHARS = _UNRESERVED_CHARS | _SUB_DELIM_CHARS | {":"}
_PATH_CHARS = _USERINFO_CHARS | {"@", "/"}
_QUERY_CHARS = _FRAGMENT_CHARS = _PATH_CHARS | {"?"}


def _lowercase(scheme: str | None) -> str | None:
    return None if scheme is None else scheme.lower()


def _rooted(path: str | None) -> str | None:
    """A non-empty path always starts with "/"."""
    return "/" + path if path and not path.startswith("/") else path


class Url(
    typing.NamedTuple(
        "Url",
        [
            ("scheme", typing.Optional[str]),
            ("auth", typing.Optional[str]),
            ("host", typing.Optional[str]),
            ("port", typing.Optional[int]),
            ("path", typing.Optional[str]),
            ("query", typing.Optional[str]),
            ("fragment", typing.Optional[str]),
        ],
    )
):
    """The parts of a URL, as :func:`parse_url` returns them.

    The scheme is lowercased and a non-empty path always starts with "/".  ``auth`` (the
    userinfo) stays percent-encoded; :attr:`auth_decoded` decodes it.
    """

    def __new__(
        cls,
        scheme: str | None = None,
        auth: str | None = None,
        host: str | None = None,
        port: int | None = None,
        path: str | None = None,
        query: str | None = None,
        fragment: str | None = None,
    ) -> Self:
        return super().__new__(
            cls, _lowercase(scheme), auth, host, port, _rooted(path), query, fragment
        )

    @property
    def auth_decoded(self) -> tuple[None, None] | tuple[str, str | None]:
        """``(username, password)`` with %-escapes decoded as UTF-8; the password is None
        when the userinfo has no ":", both are None without userinfo."""
        if self.auth is None:
            return None, None
        from urllib.parse import unquote  # not imported with urllib3: most URLs have no userinfo

        # Only the first ":" separates: the password may contain more of them.
        decoded = [unquote(part, encoding="utf-8") for part in self.auth.split(":", 1)]
        return decoded[0], decoded[1] if len(decoded) == 2 else None

    @property
    def auth_decoded_joined(self) -> str | None:
        """``"username:password"`` decoded, ready for ``make_headers(basic_auth=...)``;
        the colon is always there (RFC 7617 makes no difference between an empty and a
        missing password).  None without userinfo."""
        username, password = self.auth_decoded
        if username is None:
            return None
        return f"{username}:{password or ''}"

    @property
    def hostname(self) -> str | None:
        """The host; the name urllib.parse uses."""
        return self.host

    @property
    def request_uri(self) -> str:
        """The path (default "/") and query, as sent in the request line."""
        uri = self.path or "/"
        if self.query is not None:
            uri += "?" + self.query
        return uri

    @property
    def authority(self) -> str | None:
        """``userinfo@host:port`` (RFC 3986 3.2), like urllib.parse's ``netloc``."""
        netloc = self.netloc
        if netloc is None or self.auth is None:
            return netloc
        return f"{self.auth}@{netloc}"

    @property
    def netloc(self) -> str | None:
        """``host:port`` (no userinfo: see :attr:`authority` for that)."""
        if self.host is None:
            return None
        if self.port is not None:
            return f"{self.host}:{self.port}"
        return self.host

    @property
    def url(self) -> str:
        """The URL put back together.

        Equivalent to what was parsed though not always identical (an empty port, for
        one, is dropped).  Parts that are None are left out; empty strings are kept.
        """
        scheme, auth, host, port, path, query, fragment = self
        parts = []
        if scheme is not None:
            parts.append(scheme + "://")
        if auth is not None:
            parts.append(auth + "@")
        if host is not None:
            parts.append(host)
        if port is not None:
            parts.append(":" + str(port))
        if path is not None:
            parts.append(path)
        if query is not None:
            parts.append("?" + query)
        if fragment is not None:
            parts.append("#" + fragment)
        return "".join(parts)

    def __str__(self) -> str:
        return self.url


def _upper_percent(match: re.Match[str]) -> str:
    return match.group(0).upper()


@typing.overload
def _encode_invalid_chars(component: str, allowed_chars: typing.Container[str]) -> str: ...


@typing.overload
def _encode_invalid_chars(component: None, allowed_chars: typing.Container[str]) -> None: ...


def _encode_invalid_chars(
    component: str | None, allowed_chars: typing.Container[str]
) -> str | None:
    """Percent-encodes (as UTF-8) every character of ``component`` not in
    ``allowed_chars``, without encoding a second time what is already encoded.

    Existing ``%XX`` escapes are uppercased.  "%" itself is kept only when every "%" in
    the component starts such an escape; one stray "%" means the component was not
    encoded, and then every "%" is encoded.
    """
    if component is None:
        return component

    component = to_str(component)

    # Common case: plain allowed ASCII, nothing to do.
    if (
        "%" not in component
        and component.isascii()
        and all(map(allowed_chars.__contains__, component))
    ):
        return component

    component, n_escapes = _PERCENT_RE.subn(_upper_percent, component)
    # surrogatepass: lone surrogates are encoded as their 3 bytes rather than failing.
    raw = component.encode("utf-8", "surrogatepass")
    keep_percent = n_escapes == raw.count(b"%")

    out = []
    for byte in raw:
        if (byte == 0x25 and keep_percent) or (byte < 0x80 and chr(byte) in allowed_chars):
            out.append(chr(byte))
        else:
            out.append("%%%02X" % byte)
    return "".join(out)


def _remove_path_dot_segments(path: str) -> str:
    """Resolves "." and ".." segments (RFC 3986 5.2.4)."""
    kept: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            del kept[-1:]  # ".." above the root stays at the root
        elif segment != ".":
            kept.append(segment)

    # An absolute path stays absolute, and one that ended in a dot segment named a
    # directory, so it keeps its trailing "/".
    head = [""] if path.startswith("/") and (not kept or kept[0]) else []
    tail = [""] if path.endswith(("/.", "/..")) else []
    return "/".join(head + kept + tail)


@typing.overload
def _normalize_host(host: None, scheme: str | None) -> None: ...


@typing.overload
def _normalize_host(host: str, scheme: str | None) -> str: ...


def _normalize_host(host: str | None, scheme: str | None) -> str | None:
    """Validates the host and, for http(s), canonicalises it: lowercase; IPv6 zone IDs
    unquoted; unreserved %-escapes decoded; non-ASCII labels IDNA-encoded."""
    if not host:
        return host

    # Whatever the scheme: control characters or spaces in a host would let a URL smuggle
    # extra lines into a request.
    bad = _HOST_INVALID_CHAR_RE.search(host)
    if bad:
        raise LocationParseError(
            f"Host {host!r} contains invalid character {bad.group()!r}"
        )

    if scheme not in _NORMALIZABLE_SCHEMES:
        return host

    if host.startswith("[") and _ipv6("_IPV6_ADDRZ_RE").match(host):
        zone = _ipv6("_ZONE_ID_RE").search(host)
        if not zone:
            return host.lower()
        start, end = zone.span(1)
        zone_id = host[start:end]
        # Turn the RFC 6874 separator "%25" back into the plain "%" of RFC 4007 scoped
        # addresses ("%25" alone is a zone named "25").
        zone_id = zone_id[3:] if zone_id.startswith("%25") and zone_id != "%25" else zone_id[1:]
        zone_id = _PERCENT_RE.sub(
            partial(_normalize_zone_id_percent_encoding, error_host=host), zone_id
        )
        zone_id = _encode_invalid_chars(zone_id, _UNRESERVED_CHARS)
        return f"{host[:start].lower()}%{zone_id}{host[end:]}"

    if _IPV4_RE.match(host):
        return host

    if "%" in host:
        host = _HOST_PERCENT_RE.sub(_normalize_host_percent_encoding, host)
    return b".".join([_idna_encode(label) for label in host.split(".")]).decode("ascii")


def _decode_percent_encoding(match: re.Match[str], *, error_host: str) -> str:
    """The character a ``%XX`` escape stands for; raises if it is a control character.

    ("%20" is allowed here and stays encoded: only C0 controls and DEL are refused.)"""
    escape = match.group(0)
    char = chr(int(escape[1:], 16))
    if char < "\x20" or char == "\x7f":
        raise LocationParseError(
            f"Host {error_host!r} contains invalid percent-encoded "
            f"control character {escape!r}"
        )
    return char


def _normalize_host_percent_encoding(match: re.Match[str]) -> str:
    escape = match.group(0)
    if escape == "%":  # a "%" that starts no escape
        raise LocationParseError(f"{match.string!r} is not a valid host")
    char = _decode_percent_encoding(match, error_host=match.string)
    # Unreserved characters mean the same encoded or not, so they are decoded;
    # anything else (reserved, non-ASCII bytes) stays escaped.
    return char if char in _UNRESERVED_CHARS else escape.upper()


def _normalize_zone_id_percent_encoding(match: re.Match[str], *, error_host: str) -> str:
    _decode_percent_encoding(match, error_host=error_host)
    return match.group(0).upper()


def _idna_encode(name: str) -> bytes:
    """One host label as ASCII bytes: IDNA 2008 for non-ASCII, lowercase otherwise."""
    if name.isascii():
        return _PERCENT_RE.sub(_upper_percent, name.lower()).encode("ascii")

    idna = _import_idna()
    try:
        return idna.encode(name.lower(), strict=True, std3_rules=True)  # type: ignore[no-any-return]
    except idna.IDNAError:
        raise LocationParseError(f"Name '{name}' is not a valid IDNA label") from None


def _import_idna() -> typing.Any:
    # Imported on first use: only non-ASCII hosts need it, and it is optional.
    try:
        import idna
    except ImportError:
        raise LocationParseError("Unable to parse URL without the 'idna' module") from None
    return idna


def _encode_target(target: str) -> str:
    """Percent-encodes what is invalid in a request target (path and query; a fragment
    is dropped).  ``target`` must start with "/"."""
    match = _TARGET_RE.match(target)
    if match is None:  # Defensive: cannot happen for a target starting with "/".
        raise LocationParseError(f"{target!r} is not a valid request URI")

    path, query = match.groups()
    pieces = [_encode_invalid_chars(path, _PATH_CHARS)]
    if query is not None:
        pieces += ("?", _encode_invalid_chars(query, _QUERY_CHARS))
    return "".join(pieces)


def parse_url(url: str) -> Url:
    """Splits ``url`` into a :class:`Url`; parts not present are None.

    Follows RFC 3986 and RFC 6874, and is lenient with incomplete URLs:

    - ``parse_url("http://google.com/mail/")`` gives scheme, host and path;
    - ``parse_url("google.com:80")`` a host and port with no scheme;
    - ``parse_url("/foo?bar")`` only a path and query.

    Raises LocationParseError for an invalid host or port.
    """
    if not isinstance(url, str):
        if not url:
            return Url()
        raise TypeError(f"expected a str URL, got {type(url).__name__}")
    # A client asks for the same few URLs again and again, and a Url is immutable: the
    # parses of recent ones are kept. Only ASCII ones, whose parse depends on nothing else
    # (a non-ASCII host goes through idna, which may come and go).
    if url.isascii():
        return _parse_recent(url)
    return _parse(url)


def _parse(url: str) -> Url:
    if not url:
        return Url()

    # Without a scheme, what comes first is the authority, not a path.
    if not _SCHEME_RE.search(url):
        url = "//" + url

    scheme, authority, path, query, fragment = _URI_RE.match(url).groups()  # type: ignore[union-attr]
    normalize_uri = scheme is None or scheme.lower() in _NORMALIZABLE_SCHEMES

    if scheme:
        scheme = scheme.lower()

    auth: str | None
    host: str | None
    port: str | None
    if authority:
        # The last "@" separates the userinfo: a password may itself contain "@".
        auth, _, host_port = authority.rpartition("@")
        auth = auth or None
        match = _HOST_PORT_RE.fullmatch(host_port)
        if match and match.group(1).startswith("[") and not _ipv6("_IPV6_ADDRZ_RE").match(match.group(1)):
            match = None
        if not match:
            bad = _HOST_INVALID_CHAR_RE.search(host_port)
            if bad:
                raise LocationParseError(
                    f"Host {host_port!r} contains invalid character {bad.group()!r}"
                )
            raise LocationParseError(f"{host_port!r} is not a valid host or port")
        host, port = match.groups()
        if auth and normalize_uri:
            auth = _encode_invalid_chars(auth, _USERINFO_CHARS)
        if port == "":
            port = None
    else:
        auth = host = port = None

    port_int: int | None = None
    if port is not None:
        port_int = int(port)
        if port_int > 65535:
            raise LocationParseError(url)

    host = _normalize_host(host, scheme)

    if normalize_uri:
        if path:
            path = _encode_invalid_chars(_remove_path_dot_segments(path), _PATH_CHARS)
        if query:
            query = _encode_invalid_chars(query, _QUERY_CHARS)
        if fragment:
            fragment = _encode_invalid_chars(fragment, _FRAGMENT_CHARS)

    # An empty path is "" rather than None when a query or fragment follows (what
    # urllib3 has always returned).
    if not path:
        path = "" if query is not None or fragment is not None else None

    return Url(
        scheme=scheme,
        auth=auth,
        host=host,
        port=port_int,
        path=path,
        query=query,
        fragment=fragment,
    )


#: ``_parse`` with the results for the last 1024 URLs kept (errors are not).
_parse_recent = lru_cache(maxsize=1024)(_parse)
