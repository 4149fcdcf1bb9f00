"""Certificate hostname matching (RFC 6125 / RFC 9110), without the commonName fallback
unless asked for.  Used where the TLS layer does not check hostnames itself (a custom
``assert_hostname``, pyOpenSSL)."""

from __future__ import annotations

import ipaddress
import re
import typing
from ipaddress import IPv4Address, IPv6Address

if typing.TYPE_CHECKING:
    from .ssl_ import _TYPE_PEER_CERT_RET_DICT

__version__ = "3.5.0.1"


class CertificateError(ValueError):
    pass


def _dnsname_match(
    dn: typing.Any, hostname: str, max_wildcards: int = 1
) -> typing.Match[str] | None | bool:
    """Whether the certificate DNS name ``dn`` (maybe with a wildcard) matches
    ``hostname``, per RFC 6125 section 6.4.3."""
    if not dn:
        return False

    leftmost, *remainder = dn.split(".")

    wildcards = leftmost.count("*")
    if wildcards > max_wildcards:
        # More than one wildcard in a label invites pathological regexes (CPython
        # issue 17980) and no real CA issues them.
        raise CertificateError("too many wildcards in certificate DNS name: " + repr(dn))

    if not wildcards:
        return bool(dn.lower() == hostname.lower())

    # A wildcard only counts in the left-most label, and there it matches within that
    # one label.
    if leftmost == "*":
        first = "[^.]+"  # a whole-label wildcard matches a non-empty label
    elif leftmost.startswith("xn--") or hostname.startswith("xn--"):
        # No partial wildcards in IDNA A-labels or U-labels: "*" is literal there.
        first = re.escape(leftmost)
    else:
        first = re.escape(leftmost).replace(r"\*", "[^.]*")

    pattern = r"\.".join([first, *(re.escape(label) for label in remainder)])
    return re.compile(r"\A" + pattern + r"\Z", re.IGNORECASE).match(hostname)


def _ipaddress_match(ipname: str, host_ip: IPv4Address | IPv6Address) -> bool:
    """Whether the certificate's IP address entry equals ``host_ip`` (compared as packed
    bytes, RFC 9110 4.3.5)."""
    # OpenSSL may leave a trailing newline on IP address entries.
    ip = ipaddress.ip_address(ipname.rstrip())
    return bool(ip.packed == host_ip.packed)


def match_hostname(
    cert: _TYPE_PEER_CERT_RET_DICT | None,
    hostname: str,
    hostname_checks_common_name: bool = False,
) -> None:
    """Raises CertificateError unless ``cert`` (as SSLSocket.getpeercert() returns it) is
    valid for ``hostname``: a DNS name, or an IP address matched against the IP address
    entries of subjectAltName.  The subject's commonName is only considered when
    ``hostname_checks_common_name`` is set and the certificate has no subjectAltName."""
    if not cert:
        raise ValueError(
            "empty or no certificate, match_hostname needs a "
            "SSL socket or SSL context with either "
            "CERT_OPTIONAL or CERT_REQUIRED"
        )

    host_ip = _parse_ip(hostname)
    # Every identity the certificate presents, in order, for the error message.
    presented: list[str] = []

    san: tuple[tuple[str, str], ...] = cert.get("subjectAltName", ())
    for kind, value in san:
        if kind not in _SAN_MATCHERS:
            continue
        if _SAN_MATCHERS[kind](value, hostname, host_ip):
            return
        presented.append(value)

    # commonName is a fallback for certificates without any subjectAltName, and never
    # holds an IP address.
    if hostname_checks_common_name and host_ip is None and not presented:
        for common_name in _common_names(cert):
            if _dnsname_match(common_name, hostname):
                return
            presented.append(common_name)

    raise _mismatch(hostname, presented)


def _parse_ip(hostname: str) -> IPv4Address | IPv6Address | None:
    try:
        return ipaddress.ip_address(hostname)
    except ValueError:
        return None  # a DNS name, the usual case


def _match_dns_entry(
    value: str, hostname: str, host_ip: IPv4Address | IPv6Address | None
) -> bool:
    # A DNS entry never vouches for an IP address.
    return host_ip is None and bool(_dnsname_match(value, hostname))


def _match_ip_entry(
    value: str, hostname: str, host_ip: IPv4Address | IPv6Address | None
) -> bool:
    return host_ip is not None and _ipaddress_match(value, host_ip)


# subjectAltName entry types that can identify a server, and how each is matched.
_SAN_MATCHERS: dict[
    str, typing.Callable[[str, str, IPv4Address | IPv6Address | None], bool]
] = {
    "DNS": _match_dns_entry,
    "IP Address": _match_ip_entry,
}


def _common_names(cert: _TYPE_PEER_CERT_RET_DICT) -> typing.Iterator[str]:
    for rdn in cert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                yield value


def _mismatch(hostname: str, presented: list[str]) -> CertificateError:
    if not presented:
        return CertificateError("no appropriate subjectAltName fields were found")
    if len(presented) == 1:
        return CertificateError(f"hostname {hostname!r} doesn't match {presented[0]!r}")
    return CertificateError(
        "hostname %r doesn't match either of %s"
        % (hostname, ", ".join(map(repr, presented)))
    )
