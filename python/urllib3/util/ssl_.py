"""TLS configuration helpers: building urllib3's default ``ssl.SSLContext``, resolving
version/verification names, certificate fingerprints, and wrapping sockets.

The contexts are the standard library's; the Rust connection layer reads its settings
(verification mode, CA locations, versions, ciphers, ALPN, client certificates) from them.
Everything here must still import without the ssl module: then SSLContext and
SSLTransport are None and the constants get their usual values.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import socket
import sys
import typing
import warnings
from binascii import Error as BinasciiError
from binascii import unhexlify

from ..exceptions import ProxySchemeUnsupported, SSLError
from .url import _IPV4_RE, _ipv6

SSLContext = None
SSLTransport = None
HAS_NEVER_CHECK_COMMON_NAME = False
IS_PYOPENSSL = False
ALPN_PROTOCOLS = ["http/1.1"]

_TYPE_VERSION_INFO = tuple[int, int, int, str, int]

# Fingerprint length in hex digits -> the hash that produces digests of that length.
HASHFUNC_MAP = {
    length: getattr(hashlib, algorithm, None)
    for length, algorithm in ((32, "md5"), (40, "sha1"), (64, "sha256"))
}


def _is_has_never_check_common_name_reliable(openssl_version: str) -> bool:
    # LibreSSL accepts certificates with only a commonName even when told not to
    # (urllib3 PR #3024), so the flag is only trusted with OpenSSL.
    return openssl_version.startswith("OpenSSL ")


if typing.TYPE_CHECKING:
    from ssl import VerifyMode
    from typing import TypedDict

    from .ssltransport import SSLTransport as SSLTransportType

    class _TYPE_PEER_CERT_RET_DICT(TypedDict, total=False):
        subjectAltName: tuple[tuple[str, str], ...]
        subject: tuple[tuple[tuple[str, str], ...], ...]
        serialNumber: str


# ssl.PROTOCOL_TLSvX -> ssl.TLSVersion.TLSvX, for the deprecated ssl_version argument.
_SSL_VERSION_TO_TLS_VERSION: dict[int, int] = {}

try:
    import ssl
    from ssl import (  # type: ignore[assignment]
        CERT_REQUIRED,
        HAS_NEVER_CHECK_COMMON_NAME,
        OP_NO_COMPRESSION,
        OP_NO_TICKET,
        OPENSSL_VERSION,
        PROTOCOL_TLS as PROTOCOL_TLS,
        PROTOCOL_TLS_CLIENT as PROTOCOL_TLS_CLIENT,
        VERIFY_X509_PARTIAL_CHAIN,
        VERIFY_X509_STRICT,
        OP_NO_SSLv2,
        OP_NO_SSLv3,
        SSLContext,
        TLSVersion,
    )

    PROTOCOL_SSLv23 = PROTOCOL_TLS

    if HAS_NEVER_CHECK_COMMON_NAME and not _is_has_never_check_common_name_reliable(
        OPENSSL_VERSION
    ):  # Defensive: LibreSSL
        HAS_NEVER_CHECK_COMMON_NAME = False

    # Old protocol constants may be missing from newer builds: map only those present.
    for _name in ("TLSv1", "TLSv1_1", "TLSv1_2"):
        try:
            _SSL_VERSION_TO_TLS_VERSION[getattr(ssl, f"PROTOCOL_{_name}")] = getattr(
                TLSVersion, _name
            )
        except AttributeError:  # Defensive
            continue
    del _name

    from .ssltransport import SSLTransport  # type: ignore[assignment]
except ImportError:
    # Python without ssl: OpenSSL's values, so that code comparing against them works.
    OP_NO_COMPRESSION = 0x20000  # type: ignore[assignment,misc]
    OP_NO_TICKET = 0x4000  # type: ignore[assignment,misc]
    OP_NO_SSLv2 = 0x1000000  # type: ignore[assignment,misc]
    OP_NO_SSLv3 = 0x2000000  # type: ignore[assignment,misc]
    PROTOCOL_SSLv23 = PROTOCOL_TLS = 2  # type: ignore[assignment,misc]
    PROTOCOL_TLS_CLIENT = 16  # type: ignore[assignment,misc]
    VERIFY_X509_PARTIAL_CHAIN = 0x80000  # type: ignore[assignment,misc]
    VERIFY_X509_STRICT = 0x20  # type: ignore[assignment,misc]


_TYPE_PEER_CERT_RET = typing.Union["_TYPE_PEER_CERT_RET_DICT", bytes, None]


def assert_fingerprint(cert: bytes | None, fingerprint: str) -> None:
    """Raises SSLError unless the DER certificate ``cert`` hashes to ``fingerprint``
    (hex digits, colons allowed; MD5, SHA-1 or SHA-256 chosen by its length)."""
    if cert is None:
        raise SSLError("No certificate for the peer.")

    hexdigits = fingerprint.replace(":", "").lower()
    hashfunc = _hash_for_fingerprint(hexdigits)
    expected = _fingerprint_bytes(hexdigits)
    actual = hashfunc(cert).digest()
    # Constant-time comparison: no timing hints about how much of it matched.
    if hmac.compare_digest(actual, expected):
        return
    raise SSLError(
        f'Fingerprints did not match. Expected "{hexdigits}", got "{actual.hex()}"'
    )


def _hash_for_fingerprint(hexdigits: str) -> typing.Callable[[bytes], typing.Any]:
    """The hash whose hex digests are as long as ``hexdigits``."""
    size = len(hexdigits)
    if size not in HASHFUNC_MAP:
        raise SSLError(f"Fingerprint of invalid length: {hexdigits}")
    hashfunc: typing.Callable[[bytes], typing.Any] | None = HASHFUNC_MAP[size]
    if hashfunc is None:  # Defensive: a hashlib built without that algorithm
        raise SSLError(
            f"Hash function implementation unavailable for fingerprint length: {size}"
        )
    return hashfunc


def _fingerprint_bytes(hexdigits: str) -> bytes:
    # Encoded first so that non-ASCII input fails as a binascii error like other junk.
    try:
        return unhexlify(hexdigits.encode())
    except BinasciiError as e:
        raise SSLError(e) from e


def _ssl_constant(candidate: typing.Any, prefix: str) -> typing.Any:
    """For a str, the ssl module constant of that name, tried as given and then with
    ``prefix`` (AttributeError if neither exists); anything else is the value itself."""
    if not isinstance(candidate, str):
        return candidate
    found = getattr(ssl, candidate, None)
    return found if found is not None else getattr(ssl, prefix + candidate)


def resolve_cert_reqs(candidate: None | int | str) -> VerifyMode:
    """An ssl.CERT_* value from None (CERT_REQUIRED), a constant name (``"CERT_NONE"``
    or just ``"NONE"``) or the value itself."""
    if candidate is None:
        return CERT_REQUIRED
    return _ssl_constant(candidate, "CERT_")  # type: ignore[no-any-return]


def resolve_ssl_version(candidate: None | int | str) -> int:
    """An ssl.PROTOCOL_* value from None (PROTOCOL_TLS), a constant name (with or without
    the ``PROTOCOL_`` prefix) or the value itself."""
    if candidate is None:
        return PROTOCOL_TLS
    return typing.cast(int, _ssl_constant(candidate, "PROTOCOL_"))


def create_urllib3_context(
    ssl_version: int | None = None,
    cert_reqs: int | None = None,
    options: int | None = None,
    ciphers: str | None = None,
    ssl_minimum_version: int | None = None,
    ssl_maximum_version: int | None = None,
    verify_flags: int | None = None,
) -> ssl.SSLContext:
    """An :class:`ssl.SSLContext` with urllib3's defaults.

    :param ssl_version: deprecated; an exact ``ssl.PROTOCOL_*`` version, translated into
        minimum and maximum versions.  Use ``ssl_minimum_version``.
    :param cert_reqs: verification mode, ``ssl.CERT_REQUIRED`` by default (which also
        turns hostname checking on).
    :param options: OpenSSL options; by default no SSLv2, no SSLv3, no compression
        (CRIME) and no session tickets.
    :param ciphers: an OpenSSL cipher string; the system's default otherwise.
    :param ssl_minimum_version: a ``ssl.TLSVersion``; TLS 1.2 by default.
    :param ssl_maximum_version: a ``ssl.TLSVersion``; best left to the default.
    :param verify_flags: X.509 verification flags; by default, on Python 3.13+, those
        ssl.create_default_context() sets (partial chains, strict).
    """
    if SSLContext is None:
        raise TypeError("Can't create an SSLContext object without an ssl module")

    if ssl_version not in (None, PROTOCOL_TLS, PROTOCOL_TLS_CLIENT):
        ssl_minimum_version, ssl_maximum_version = _range_for_ssl_version(
            ssl_version, ssl_minimum_version, ssl_maximum_version
        )

    context = SSLContext(PROTOCOL_TLS_CLIENT)
    # Set even by default: some backends (pyOpenSSL) would otherwise start from the
    # lowest version they support.
    context.minimum_version = (
        TLSVersion.TLSv1_2 if ssl_minimum_version is None else ssl_minimum_version
    )
    if ssl_maximum_version is not None:
        context.maximum_version = ssl_maximum_version
    if ciphers:
        context.set_ciphers(ciphers)

    context.options |= _default_options() if options is None else options
    context.verify_flags |= _default_verify_flags() if verify_flags is None else verify_flags

    # Post-handshake auth lets a TLS 1.3 server ask for a client certificate later
    # (urllib3 #1634).  None / missing means the backend does not support it.
    if getattr(context, "post_handshake_auth", None) is not None:
        context.post_handshake_auth = True

    _set_verify_mode(context, ssl.CERT_REQUIRED if cert_reqs is None else cert_reqs)
    context.hostname_checks_common_name = False

    keylog = _keylog_filename()
    if keylog:
        context.keylog_filename = keylog
    return context


def _range_for_ssl_version(
    ssl_version: int, minimum: int | None, maximum: int | None
) -> tuple[int, int]:
    """The (minimum, maximum) TLS versions that pin the deprecated exact ``ssl_version``;
    an unknown one leaves the whole supported range."""
    if minimum is not None or maximum is not None:
        raise ValueError(
            "Can't specify both 'ssl_version' and either "
            "'ssl_minimum_version' or 'ssl_maximum_version'"
        )
    # Only the minimum is suggested: pinning the maximum is rarely what one wants.
    warnings.warn(
        "'ssl_version' option is deprecated and will be "
        "removed in urllib3 v3.0. Instead use 'ssl_minimum_version'",
        category=FutureWarning,
        stacklevel=3,
    )
    pinned = _SSL_VERSION_TO_TLS_VERSION.get(ssl_version)
    if pinned is None:
        return TLSVersion.MINIMUM_SUPPORTED, TLSVersion.MAXIMUM_SUPPORTED
    return pinned, pinned


def _default_options() -> int:
    # No SSLv2/SSLv3 (broken), no compression (CRIME), and no session tickets unless
    # asked for: they travel in the clear under a key the server may never rotate.
    return OP_NO_SSLv2 | OP_NO_SSLv3 | OP_NO_COMPRESSION | OP_NO_TICKET


def _default_verify_flags() -> int:
    # What ssl.create_default_context() sets since Python 3.13.
    if sys.version_info >= (3, 13):
        return VERIFY_X509_PARTIAL_CHAIN | VERIFY_X509_STRICT
    return 0


def _set_verify_mode(context: ssl.SSLContext, cert_reqs: int) -> None:
    """Sets ``verify_mode`` and ``check_hostname`` (on only with CERT_REQUIRED; never for
    pyOpenSSL, which does its own hostname matching)."""
    check_hostname = cert_reqs == ssl.CERT_REQUIRED and not IS_PYOPENSSL
    settings = [("verify_mode", cert_reqs), ("check_hostname", check_hostname)]
    # SSLContext refuses check_hostname=True before verify_mode is CERT_REQUIRED, and
    # refuses lowering verify_mode while check_hostname is on: so switching hostname
    # checking on comes last, switching it off first.
    if not check_hostname:
        settings.reverse()
    for attribute, value in settings:
        setattr(context, attribute, value)


def _keylog_filename() -> str | None:
    """Where to log TLS secrets (for Wireshark and the like): $SSLKEYLOGFILE, with
    environment variables in it expanded."""
    configured = os.environ.get("SSLKEYLOGFILE")
    return None if configured is None else os.path.expandvars(configured)


@typing.overload
def ssl_wrap_socket(
    sock: socket.socket,
    keyfile: str | None = ...,
    certfile: str | None = ...,
    cert_reqs: int | None = ...,
    ca_certs: str | None = ...,
    server_hostname: str | None = ...,
    ssl_version: int | None = ...,
    ciphers: str | None = ...,
    ssl_context: ssl.SSLContext | None = ...,
    ca_cert_dir: str | None = ...,
    key_password: str | None = ...,
    ca_cert_data: None | str | bytes = ...,
    tls_in_tls: typing.Literal[False] = ...,
) -> ssl.SSLSocket: ...


@typing.overload
def ssl_wrap_socket(
    sock: socket.socket,
    keyfile: str | None = ...,
    certfile: str | None = ...,
    cert_reqs: int | None = ...,
    ca_certs: str | None = ...,
    server_hostname: str | None = ...,
    ssl_version: int | None = ...,
    ciphers: str | None = ...,
    ssl_context: ssl.SSLContext | None = ...,
    ca_cert_dir: str | None = ...,
    key_password: str | None = ...,
    ca_cert_data: None | str | bytes = ...,
    tls_in_tls: bool = ...,
) -> ssl.SSLSocket | SSLTransportType: ...


def ssl_wrap_socket(
    sock: socket.socket,
    keyfile: str | None = None,
    certfile: str | None = None,
    cert_reqs: int | None = None,
    ca_certs: str | None = None,
    server_hostname: str | None = None,
    ssl_version: int | None = None,
    ciphers: str | None = None,
    ssl_context: ssl.SSLContext | None = None,
    ca_cert_dir: str | None = None,
    key_password: str | None = None,
    ca_cert_data: None | str | bytes = None,
    tls_in_tls: bool = False,
) -> ssl.SSLSocket | SSLTransportType:
    """Wraps ``sock`` in TLS with ``ssl_context`` (or a new
    :func:`create_urllib3_context`), after loading the given CAs and client certificate.

    :param server_hostname: for SNI and hostname checking.
    :param ca_certs: a CA bundle file; :param ca_cert_dir: a directory of CA files
        (OpenSSL's -CApath); :param ca_cert_data: PEM/DER CA data.  Without any of them a
        context created here loads the system's default CAs.
    :param keyfile, certfile, key_password: the client certificate and its key.
    :param tls_in_tls: wrap with :class:`SSLTransport` (TLS over an existing TLS
        stream, for HTTPS proxies) instead of ``SSLContext.wrap_socket``.
    """
    context = ssl_context
    if context is None:
        # Only the tests still come here without a context.
        context = create_urllib3_context(ssl_version, cert_reqs, ciphers=ciphers)

    _load_trusted_cas(
        context, (ca_certs, ca_cert_dir, ca_cert_data), system_default=ssl_context is None
    )
    _load_client_certificate(context, certfile, keyfile, key_password)
    context.set_alpn_protocols(ALPN_PROTOCOLS)
    return _ssl_wrap_socket_impl(sock, context, tls_in_tls, server_hostname)


def _load_trusted_cas(
    context: ssl.SSLContext,
    locations: tuple[str | None, str | None, None | str | bytes],
    system_default: bool,
) -> None:
    """Loads the CAs given as (file, directory, data); without any, the system's CAs,
    but only into a context created here (a caller's context is left as it is)."""
    if any(locations):
        try:
            context.load_verify_locations(*locations)
        except OSError as e:
            raise SSLError(e) from e
    elif system_default and hasattr(context, "load_default_certs"):
        context.load_default_certs()


def _load_client_certificate(
    context: ssl.SSLContext,
    certfile: str | None,
    keyfile: str | None,
    key_password: str | None,
) -> None:
    password_args: tuple[str, ...] = ()
    if key_password is not None:
        password_args = (key_password,)
    elif keyfile and _is_key_file_encrypted(keyfile):
        # OpenSSL would prompt for the passphrase on the terminal.
        raise SSLError("Client private key is encrypted, password is required")
    if certfile:
        context.load_cert_chain(certfile, keyfile, *password_args)


def is_ipaddress(hostname: str | bytes) -> bool:
    """Whether ``hostname`` is an IPv4 address (any form inet_aton accepts) or an IPv6
    address, possibly with a zone ID."""
    if isinstance(hostname, bytes):
        # IDNA A-labels are ASCII.
        hostname = hostname.decode("ascii")
    return bool(_IPV4_RE.match(hostname) or _ipv6("_BRACELESS_IPV6_ADDRZ_RE").match(hostname))


def _is_key_file_encrypted(key_file: str) -> bool:
    """Whether a PEM key file is encrypted ("Proc-Type: 4,ENCRYPTED" or
    "BEGIN ENCRYPTED PRIVATE KEY")."""
    with open(key_file) as f:
        return any("ENCRYPTED" in line for line in f)


def _ssl_wrap_socket_impl(
    sock: socket.socket,
    ssl_context: ssl.SSLContext,
    tls_in_tls: bool,
    server_hostname: str | None = None,
) -> ssl.SSLSocket | SSLTransportType:
    if tls_in_tls:
        return _tls_in_tls_transport(sock, ssl_context, server_hostname)
    return ssl_context.wrap_socket(sock, server_hostname=server_hostname)


def _tls_in_tls_transport(
    sock: socket.socket, ssl_context: ssl.SSLContext, server_hostname: str | None
) -> SSLTransportType:
    """TLS over ``sock`` even when it is itself a TLS stream (HTTPS proxies)."""
    transport_class = SSLTransport
    if not transport_class:  # None: the ssl module could not be imported
        raise ProxySchemeUnsupported("TLS in TLS requires support for the 'ssl' module")
    transport_class._validate_ssl_context_for_tls_in_tls(ssl_context)
    return transport_class(sock, ssl_context, server_hostname)
