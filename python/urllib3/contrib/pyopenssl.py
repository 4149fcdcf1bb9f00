"""pyOpenSSL as urllib3's ``SSLContext``, for code that calls
:func:`~urllib3.contrib.pyopenssl.inject_into_urllib3` (urllib3's manual shows it; older
releases of requests call it). Every supported Python has SNI, so it is no longer needed.

It needs `pyOpenSSL`_, `cryptography`_ and `idna`_::

    $ python -m pip install pyopenssl cryptography idna

.. code-block:: python

    try:
        import urllib3.contrib.pyopenssl
        urllib3.contrib.pyopenssl.inject_into_urllib3()
    except ImportError:
        pass

After injection, :func:`~urllib3.util.ssl_.create_urllib3_context` (and
``urllib3.util.ssl_.SSLContext``) make a :class:`PyOpenSSLContext`. HTTPS connections still
speak TLS in urllib3-rs's core (rustls): the context records what is set and loaded into it
and the connection hands that to the core, client certificate, key password and ciphers
included, which a stdlib ``ssl.SSLContext`` cannot give back. Sockets wrapped with
:meth:`PyOpenSSLContext.wrap_socket` (or :func:`~urllib3.util.ssl_.ssl_wrap_socket`) use
pyOpenSSL itself.

.. _pyopenssl: https://www.pyopenssl.org
.. _cryptography: https://cryptography.io
.. _idna: https://github.com/kjd/idna
"""

from __future__ import annotations

import OpenSSL.SSL
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, load_pem_private_key
from cryptography.x509.oid import NameOID

try:
    from cryptography.x509 import UnsupportedExtension  # type: ignore[attr-defined]
except ImportError:  # cryptography >= 2.1 no longer has it

    class UnsupportedExtension(Exception):  # type: ignore[no-redef]
        pass


import errno
import logging
import os
import re
import ssl
import typing
from socket import socket as socket_cls

from .. import util
from .._core_socket import makefile as _makefile_over

if typing.TYPE_CHECKING:
    from OpenSSL.crypto import X509

__all__ = ["inject_into_urllib3", "extract_from_urllib3"]

#: Every Python urllib3 supports sends SNI; kept for code written for urllib3 1.x.
HAS_SNI = True

#: ssl.PROTOCOL_* -> the pyOpenSSL method a context is made with. The generic ones
#: negotiate; the old fixed versions are there while both libraries still have them.
_openssl_versions: dict[int, int] = {
    util.ssl_.PROTOCOL_TLS: OpenSSL.SSL.SSLv23_METHOD,
    util.ssl_.PROTOCOL_TLS_CLIENT: OpenSSL.SSL.SSLv23_METHOD,
}
for _suffix in ("TLSv1", "TLSv1_1", "TLSv1_2"):
    if hasattr(ssl, f"PROTOCOL_{_suffix}") and hasattr(OpenSSL.SSL, f"{_suffix}_METHOD"):
        _openssl_versions[getattr(ssl, f"PROTOCOL_{_suffix}")] = getattr(OpenSSL.SSL, f"{_suffix}_METHOD")

_stdlib_to_openssl_verify: dict[int, int] = {
    ssl.CERT_NONE: OpenSSL.SSL.VERIFY_NONE,
    ssl.CERT_OPTIONAL: OpenSSL.SSL.VERIFY_PEER,
    ssl.CERT_REQUIRED: OpenSSL.SSL.VERIFY_PEER | OpenSSL.SSL.VERIFY_FAIL_IF_NO_PEER_CERT,
}
_openssl_to_stdlib_verify = {flags: mode for mode, flags in _stdlib_to_openssl_verify.items()}

# OpenSSL option bits that switch protocol versions off (0 where a build lacks one).
_OP_NO_SSLv2_OR_SSLv3: int = getattr(OpenSSL.SSL, "OP_NO_SSLv2", 0) | getattr(OpenSSL.SSL, "OP_NO_SSLv3", 0)
_OP_NO_TLSv1: int = getattr(OpenSSL.SSL, "OP_NO_TLSv1", 0)
_OP_NO_TLSv1_1: int = getattr(OpenSSL.SSL, "OP_NO_TLSv1_1", 0)
_OP_NO_TLSv1_2: int = getattr(OpenSSL.SSL, "OP_NO_TLSv1_2", 0)
_OP_NO_TLSv1_3: int = getattr(OpenSSL.SSL, "OP_NO_TLSv1_3", 0)


def _version_ranges() -> tuple[dict[int, int], dict[int, int]]:
    """For each ssl.TLSVersion, the option bits that disable the versions below it (as a
    minimum) and above it (as a maximum). SSLv2/SSLv3 stay off either way."""
    ladder = [
        (ssl.TLSVersion.TLSv1, _OP_NO_TLSv1),
        (ssl.TLSVersion.TLSv1_1, _OP_NO_TLSv1_1),
        (ssl.TLSVersion.TLSv1_2, _OP_NO_TLSv1_2),
        (ssl.TLSVersion.TLSv1_3, _OP_NO_TLSv1_3),
    ]
    below: dict[int, int] = {}
    above: dict[int, int] = {}
    for index, (version, _) in enumerate(ladder):
        below[version] = _OP_NO_SSLv2_OR_SSLv3
        above[version] = _OP_NO_SSLv2_OR_SSLv3
        for _, bit in ladder[:index]:
            below[version] |= bit
        for _, bit in ladder[index + 1 :]:
            above[version] |= bit
    everything = above[ssl.TLSVersion.TLSv1] | _OP_NO_TLSv1
    below[ssl.TLSVersion.MINIMUM_SUPPORTED] = _OP_NO_SSLv2_OR_SSLv3
    below[ssl.TLSVersion.MAXIMUM_SUPPORTED] = below[ssl.TLSVersion.TLSv1_3]
    above[ssl.TLSVersion.MINIMUM_SUPPORTED] = everything
    above[ssl.TLSVersion.MAXIMUM_SUPPORTED] = _OP_NO_SSLv2_OR_SSLv3
    return below, above


_openssl_to_ssl_minimum_version, _openssl_to_ssl_maximum_version = _version_ranges()

#: The largest record OpenSSL writes in one call.
SSL_WRITE_BLOCKSIZE = 16384

#: What inject_into_urllib3() replaces and extract_from_urllib3() puts back.
orig_util_SSLContext = util.ssl_.SSLContext

log = logging.getLogger(__name__)

_PEM_CERTIFICATE = re.compile(
    r"-----BEGIN (?:TRUSTED |X509 )?CERTIFICATE-----\s.*?-----END (?:TRUSTED |X509 )?CERTIFICATE-----",
    re.DOTALL,
)


def inject_into_urllib3() -> None:
    "Monkey-patch urllib3 with PyOpenSSL-backed SSL-support."
    _validate_dependencies_met()
    _set_context_class(PyOpenSSLContext, pyopenssl=True)


def extract_from_urllib3() -> None:
    "Undo monkey-patching by :func:`inject_into_urllib3`."
    _set_context_class(orig_util_SSLContext, pyopenssl=False)


def _set_context_class(context_class: typing.Any, pyopenssl: bool) -> None:
    # urllib3.util re-exports both names, and older code reads them from there.
    for module in (util, util.ssl_):
        module.SSLContext = context_class  # type: ignore[attr-defined]
        module.IS_PYOPENSSL = pyopenssl  # type: ignore[attr-defined]


def _validate_dependencies_met() -> None:
    """Raises ImportError when cryptography or pyOpenSSL is too old for this module."""
    # Imported here, not at the top: what counts is the library as it is now (tests
    # replace parts of it).
    import cryptography.x509.extensions as extensions
    import OpenSSL.crypto as crypto

    # get_subj_alt_name() asks for the extension by class (cryptography 1.1 and later).
    if not hasattr(extensions.Extensions, "get_extension_for_class"):
        raise _too_old("cryptography", "1.3.4")
    # From 0.14 pyOpenSSL runs on cryptography's bindings: its X509 objects carry them.
    if not hasattr(crypto.X509(), "_x509"):
        raise _too_old("pyOpenSSL", "0.14")


def _too_old(package: str, version: str) -> ImportError:
    return ImportError(
        f"'{package}' module missing required functionality. Try upgrading to v{version} or newer."
    )


def _dnsname_to_stdlib(name: str) -> str | None:
    """A dNSName as the ssl module reports it: cryptography decodes IDNA (``xn--``) labels,
    the ssl module keeps them encoded. A leading ``*.`` or ``.`` is kept as it is; an IPv6
    address is no name and passes unchanged; None for a name IDNA cannot encode (it is
    then left out)."""
    if ":" in name:
        return name
    import idna

    prefix = "*." if name.startswith("*.") else "." if name.startswith(".") else ""
    try:
        # The wildcard or dot would make idna refuse the whole name.
        ascii_labels = idna.encode(name[len(prefix) :])
    except idna.IDNAError:
        return None
    return prefix + ascii_labels.decode("ascii")


def _as_cryptography(cert: typing.Any) -> x509.Certificate:
    to_cryptography = getattr(cert, "to_cryptography", None)
    converted: x509.Certificate = to_cryptography() if to_cryptography is not None else cert
    return converted


def get_subj_alt_name(peer_cert: X509 | x509.Certificate) -> list[tuple[str, str]]:
    """The DNS names and IP addresses in a certificate's subjectAltName, as
    ``("DNS", name)`` and ``("IP Address", address)`` pairs like the ssl module's
    ``getpeercert()["subjectAltName"]``. A pyOpenSSL or a cryptography certificate."""
    cert = _as_cryptography(peer_cert)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    except (
        x509.DuplicateExtension,
        UnsupportedExtension,
        x509.UnsupportedGeneralNameType,
        UnicodeError,
    ) as e:
        # A malformed certificate: treated as having no names, which fails hostname checks.
        log.warning(
            "A problem was encountered with the certificate that prevented "
            "urllib3 from finding the SubjectAlternativeName field. This can "
            "affect certificate validation. The error was %s",
            e,
        )
        return []
    entries: list[tuple[str, str]] = []
    for dns_name in san.get_values_for_type(x509.DNSName):
        as_stdlib = _dnsname_to_stdlib(dns_name)
        if as_stdlib is not None:
            entries.append(("DNS", as_stdlib))
    # match_hostname compares addresses as text.
    entries += [("IP Address", str(ip)) for ip in san.get_values_for_type(x509.IPAddress)]
    return entries


def _get_common_name(peer_cert: X509 | x509.Certificate) -> str | None:
    """The first commonName of the certificate's subject, if it has one."""
    found = _as_cryptography(peer_cert).subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return typing.cast(str, found[0].value) if found else None


class WrappedSocket:
    """A pyOpenSSL TLS connection with the socket methods that http.client and urllib3 call
    on an ``ssl.SSLSocket``. A timeout on the socket is honoured: pyOpenSSL then sees a
    non-blocking socket, and the waits happen here."""

    def __init__(
        self,
        connection: OpenSSL.SSL.Connection,
        socket: socket_cls,
        suppress_ragged_eofs: bool = True,
    ) -> None:
        self.connection = connection
        self.socket = socket
        self.suppress_ragged_eofs = suppress_ragged_eofs
        # File objects from makefile() keep the socket open past close() until they close,
        # as with a plain socket.
        self._open_files = 0
        self._close_requested = False

    # -- the plain socket underneath

    def fileno(self) -> int:
        return self.socket.fileno()

    def gettimeout(self) -> float | None:
        return self.socket.gettimeout()

    def settimeout(self, timeout: float | None) -> None:
        return self.socket.settimeout(timeout)

    def setblocking(self, flag: bool) -> None:
        return self.socket.setblocking(flag)

    def _check_open(self) -> None:
        # The TLS object still holds the old descriptor number, which a newer file may
        # have been given by now: never let it read or write there.
        if self.socket.fileno() == -1:
            raise OSError(errno.EBADF, "Bad file descriptor")

    def _wait_through(self, call: typing.Callable[..., typing.Any], *args: typing.Any) -> typing.Any:
        """Runs a pyOpenSSL call, waiting (within the socket's timeout) whenever OpenSSL
        needs the socket readable or writable first."""
        while True:
            try:
                return call(*args)
            except OpenSSL.SSL.WantReadError:
                if not util.wait_for_read(self.socket, self.socket.gettimeout()):
                    raise TimeoutError("The read operation timed out") from None
            except OpenSSL.SSL.WantWriteError:
                if not util.wait_for_write(self.socket, self.socket.gettimeout()):
                    raise TimeoutError("The write operation timed out") from None

    def do_handshake(self) -> None:
        try:
            self._wait_through(self.connection.do_handshake)
        except OpenSSL.SSL.Error as e:
            raise ssl.SSLError(f"bad handshake: {e!r}") from e

    # -- reading

    def _receive(self, call: typing.Callable[..., typing.Any], *args: typing.Any) -> typing.Any:
        """A read, with the peer's end of the stream (close_notify, or a plain close when
        ragged EOFs are suppressed) as None."""
        self._check_open()
        try:
            return self._wait_through(call, *args)
        except OpenSSL.SSL.ZeroReturnError:
            return None
        except OpenSSL.SSL.SysCallError as e:
            if self.suppress_ragged_eofs and e.args == (-1, "Unexpected EOF"):
                return None
            raise OSError(e.args[0], str(e)) from e
        except OpenSSL.SSL.Error as e:
            # Also a TLS 1.3 server asking for a client certificate after the handshake.
            raise ssl.SSLError(f"read error: {e!r}") from e

    def recv(self, buflen: int = 1024, flags: int = 0) -> bytes:
        data = self._receive(self.connection.recv, buflen, flags or None)
        return b"" if data is None else typing.cast(bytes, data)

    def recv_into(self, buffer: typing.Any, nbytes: int = 0, flags: int = 0) -> int:
        count = self._receive(self.connection.recv_into, buffer, nbytes or None, flags or None)
        return 0 if count is None else typing.cast(int, count)

    def pending(self) -> int:
        return self.connection.pending()

    # -- writing

    def send(self, data: typing.Any, flags: int = 0) -> int:
        self._check_open()
        try:
            return typing.cast(int, self._wait_through(self.connection.send, data))
        except OpenSSL.SSL.SysCallError as e:
            raise OSError(e.args[0], str(e)) from e
        except OpenSSL.SSL.Error as e:
            raise ssl.SSLError(f"write error: {e!r}") from e

    def sendall(self, data: typing.Any, flags: int = 0) -> None:
        view = memoryview(data).cast("B")
        while view:
            sent = self.send(view[:SSL_WRITE_BLOCKSIZE])
            view = view[sent:]

    # -- closing

    def shutdown(self, how: int) -> None:
        """Sends TLS close_notify, then shuts the socket down as ``how`` says."""
        try:
            self._wait_through(self.connection.shutdown)
        except OpenSSL.SSL.Error as e:
            raise ssl.SSLError(f"shutdown error: {e!r}") from e
        self.socket.shutdown(how)

    def close(self) -> None:
        self._close_requested = True
        if self._open_files <= 0:
            self.socket.close()

    def _incref_socketios(self) -> None:
        self._open_files += 1

    def _decref_socketios(self) -> None:
        self._open_files = max(0, self._open_files - 1)
        if self._close_requested:
            self.close()

    def makefile(
        self,
        mode: str = "r",
        buffering: int | None = None,
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> typing.Any:
        return _makefile_over(self, mode, buffering, encoding, errors, newline)

    def __enter__(self) -> WrappedSocket:
        return self

    def __exit__(self, *exc_info: typing.Any) -> None:
        self.close()

    # -- what the handshake settled

    @typing.overload
    def getpeercert(self, binary_form: typing.Literal[False] = False) -> dict[str, typing.Any] | None: ...

    @typing.overload
    def getpeercert(self, binary_form: typing.Literal[True]) -> bytes | None: ...

    def getpeercert(self, binary_form: bool = False) -> dict[str, typing.Any] | bytes | None:
        """The server's certificate: DER bytes, or the subject's commonName and the
        subjectAltName entries in the ssl module's layout (what hostname matching reads)."""
        cert = self.connection.get_peer_certificate(as_cryptography=True)
        if cert is None:
            return None
        if binary_form:
            return cert.public_bytes(Encoding.DER)
        return {
            "subject": ((("commonName", _get_common_name(cert)),),),
            "subjectAltName": get_subj_alt_name(cert),
        }

    def version(self) -> str:
        return self.connection.get_protocol_version_name()

    def cipher(self) -> tuple[str, str, int] | None:
        name = self.connection.get_cipher_name()
        if name is None:
            return None
        # pyOpenSSL gives no version or bits only when there is no cipher (checked above).
        version = typing.cast(str, self.connection.get_cipher_version())
        return name, version, typing.cast(int, self.connection.get_cipher_bits())

    def selected_alpn_protocol(self) -> str | None:
        chosen = self.connection.get_alpn_proto_negotiated()
        return chosen.decode() if chosen else None


class _Loaded:
    """What was loaded into a PyOpenSSLContext, kept for urllib3-rs's core."""

    def __init__(self) -> None:
        # Trusted CAs, as DER (CA files are read when loaded, as OpenSSL does), and CA
        # directories, which are looked into during verification.
        self.ca_der: list[bytes] = []
        self.ca_dirs: list[str] = []
        # (certfile, keyfile, password for the core: None unless the key is encrypted)
        self.client: tuple[str, str | None, str | None] | None = None
        self.ciphers: str | None = None


class PyOpenSSLContext:
    """``ssl.SSLContext``'s interface over pyOpenSSL, which is what
    ``urllib3.util.ssl_.SSLContext`` is after :func:`inject_into_urllib3`.

    Settings go into a pyOpenSSL ``Context`` (``_ctx``), which checks them as OpenSSL does
    and serves :meth:`wrap_socket`, and into a record that an HTTPS connection given this
    context (``ssl_context=``) hands to the core."""

    def __init__(self, protocol: int = util.ssl_.PROTOCOL_TLS_CLIENT) -> None:
        if protocol not in _openssl_versions:
            raise ValueError(f"invalid or unsupported protocol version {protocol!r}")
        self.protocol = _openssl_versions[protocol]
        self._ctx = OpenSSL.SSL.Context(self.protocol)
        self._loaded = _Loaded()
        # As with pyOpenSSL's own contexts: nothing verified until asked, and no hostname
        # check here (urllib3's connection checks the name).
        self.check_hostname = False
        self._verify_mode = ssl.CERT_NONE
        self._options = 0
        self._minimum_version: int = ssl.TLSVersion.MINIMUM_SUPPORTED
        self._maximum_version: int = ssl.TLSVersion.MAXIMUM_SUPPORTED
        self._verify_flags: int = ssl.VERIFY_X509_TRUSTED_FIRST

    # -- verification

    @property
    def verify_mode(self) -> ssl.VerifyMode:
        return self._verify_mode

    @verify_mode.setter
    def verify_mode(self, value: int) -> None:
        if value not in _stdlib_to_openssl_verify:
            raise ValueError("invalid value for verify_mode")
        self._ctx.set_verify(_stdlib_to_openssl_verify[value], _verify_callback)
        self._verify_mode = ssl.VerifyMode(value)

    @property
    def verify_flags(self) -> int:
        return self._verify_flags

    @verify_flags.setter
    def verify_flags(self, value: int) -> None:
        # ssl.VERIFY_* are OpenSSL's X509_V_FLAG_* values.
        self._ctx.get_cert_store().set_flags(value)  # type: ignore[union-attr]
        self._verify_flags = value

    @property
    def options(self) -> int:
        return self._options

    @options.setter
    def options(self, value: int) -> None:
        # OpenSSL only ever adds option bits.
        self._ctx.set_options(value)
        self._options = value

    # -- protocol versions

    @property
    def minimum_version(self) -> int:
        return self._minimum_version

    @minimum_version.setter
    def minimum_version(self, version: int) -> None:
        self._ctx.set_min_proto_version(_openssl_proto_version(version))
        self._minimum_version = version

    @property
    def maximum_version(self) -> int:
        return self._maximum_version

    @maximum_version.setter
    def maximum_version(self, version: int) -> None:
        self._ctx.set_max_proto_version(_openssl_proto_version(version))
        self._maximum_version = version

    # -- what is trusted

    def load_verify_locations(
        self,
        cafile: str | None = None,
        capath: str | None = None,
        cadata: str | bytes | None = None,
    ) -> None:
        """Trusts the CA certificates of a PEM file, of a directory in OpenSSL's hashed
        layout, and/or given as data (PEM text, or DER bytes)."""
        if cafile is None and capath is None and cadata is None:
            raise TypeError("cafile, capath and cadata cannot be all omitted")
        cafile = None if cafile is None else os.fspath(cafile)
        capath = None if capath is None else os.fspath(capath)
        try:
            ders: list[bytes] = []
            if cafile is not None or capath is not None:
                self._ctx.load_verify_locations(cafile, capath)
            if cafile is not None:
                with open(cafile, "rb") as f:
                    ders += _pem_certificates(f.read())
            if cadata is not None:
                from_data = _certificates_in_data(cadata)
                store = self._ctx.get_cert_store()
                for der in from_data:
                    store.add_cert(OpenSSL.crypto.X509.from_cryptography(x509.load_der_x509_certificate(der)))  # type: ignore[union-attr]
                ders += from_data
        except (OpenSSL.SSL.Error, OpenSSL.crypto.Error, ValueError) as e:
            raise ssl.SSLError(f"unable to load trusted certificates: {e!r}") from e
        self._loaded.ca_der += ders
        if capath is not None:
            self._loaded.ca_dirs.append(capath)

    def load_default_certs(self, purpose: ssl.Purpose = ssl.Purpose.SERVER_AUTH) -> None:
        self.set_default_verify_paths()

    def set_default_verify_paths(self) -> None:
        # Without CAs of its own the core trusts the system's store anyway.
        self._ctx.set_default_verify_paths()

    # -- who we are

    def load_cert_chain(
        self,
        certfile: str,
        keyfile: str | None = None,
        password: str | bytes | typing.Callable[[], str | bytes] | None = None,
    ) -> None:
        """Presents the certificate chain of ``certfile`` with the key in ``keyfile`` (or
        in ``certfile``), decrypted with ``password`` when it is encrypted; a password
        given for a key that is not encrypted is ignored, as ``ssl.SSLContext`` does."""
        if password is not None and not callable(password) and not isinstance(password, (str, bytes, bytearray)):
            raise TypeError("password should be a string or callable")
        certfile = os.fspath(certfile)
        keyfile = None if keyfile is None else os.fspath(keyfile)
        with open(keyfile or certfile, "rb") as f:
            key_pem = f.read()
        try:
            self._ctx.use_certificate_chain_file(certfile)
            key, used_password = _private_key(key_pem, password)
            self._ctx.use_privatekey(key)
            self._ctx.check_privatekey()
        except (OpenSSL.SSL.Error, TypeError, ValueError) as e:
            raise ssl.SSLError(f"Unable to load certificate chain: {e!r}") from e
        # The core reads the files again when it connects, and takes the password as text.
        core_password = None if used_password is None else used_password.decode("utf-8", "replace")
        self._loaded.client = (certfile, keyfile, core_password)

    # -- what is spoken

    def set_ciphers(self, ciphers: bytes | str) -> None:
        text = ciphers.decode("ascii") if isinstance(ciphers, bytes) else ciphers
        try:
            self._ctx.set_cipher_list(text.encode("ascii"))
        except OpenSSL.SSL.Error as e:
            raise ssl.SSLError(f"No cipher can be selected. ({e!r})") from e
        self._loaded.ciphers = text

    def set_alpn_protocols(self, protocols: list[bytes | str]) -> None:
        # Only for wrap_socket(): the core offers http/1.1, the one protocol it speaks.
        self._ctx.set_alpn_protos([util.util.to_bytes(p, "ascii") for p in protocols])

    # -- use

    def wrap_socket(
        self,
        sock: socket_cls,
        server_side: bool = False,
        do_handshake_on_connect: bool = True,
        suppress_ragged_eofs: bool = True,
        server_hostname: bytes | str | None = None,
    ) -> WrappedSocket:
        """TLS over ``sock`` with pyOpenSSL, as a client (SNI from ``server_hostname``
        unless it is an IP address, RFC 6066 section 3) or as a server."""
        connection = OpenSSL.SSL.Connection(self._ctx, sock)
        if server_side:
            connection.set_accept_state()
        else:
            if server_hostname and not util.ssl_.is_ipaddress(server_hostname):
                name = server_hostname.encode("idna") if isinstance(server_hostname, str) else server_hostname
                connection.set_tlsext_host_name(name)
            connection.set_connect_state()
        wrapped = WrappedSocket(connection, sock, suppress_ragged_eofs)
        if do_handshake_on_connect:
            wrapped.do_handshake()
            if self.check_hostname and server_hostname and not server_side:
                self._match_hostname(wrapped, server_hostname)
        return wrapped

    def _match_hostname(self, wrapped: WrappedSocket, hostname: bytes | str) -> None:
        from ..util.ssl_match_hostname import CertificateError, match_hostname

        name = hostname.decode("ascii") if isinstance(hostname, bytes) else hostname
        try:
            match_hostname(
                wrapped.getpeercert(),  # type: ignore[arg-type]
                name,
                bool(getattr(self, "hostname_checks_common_name", False)),
            )
        except (CertificateError, ValueError) as e:
            wrapped.close()
            raise ssl.SSLCertVerificationError(f"certificate verify failed: {e}") from e

    def _hand_over_to_core(self, args: dict[str, typing.Any]) -> None:
        """Adds what this context holds to ``args``, the TLS arguments an HTTPS connection
        passes to the core. The connection's own urllib3 arguments win where both give
        one thing (a client certificate, a CA directory); CAs given both ways are all
        trusted, as when urllib3 loads ``ca_certs`` into a caller's context."""
        loaded = self._loaded
        if loaded.client is not None and not args.get("cert_file"):
            args["cert_file"], args["key_file"], args["key_password"] = loaded.client
        if loaded.ciphers is not None and not args.get("ciphers"):
            args["ciphers"] = loaded.ciphers
        extra_dirs = loaded.ca_dirs
        if extra_dirs and not args.get("ca_cert_dir"):
            args["ca_cert_dir"], extra_dirs = extra_dirs[0], extra_dirs[1:]
        ders = loaded.ca_der + [der for path in extra_dirs for der in _certificates_in_directory(path)]
        if not ders:
            return
        if "ca_cert_pem" in args:
            args["ca_cert_pem"] += "".join(ssl.DER_cert_to_PEM_cert(der) for der in ders)
        else:
            args["ca_cert_der"] = args.get("ca_cert_der", b"") + b"".join(ders)


def _openssl_proto_version(version: int) -> int:
    # ssl.TLSVersion's numbers are OpenSSL's; its two open ends are OpenSSL's 0 ("no limit").
    if version in (ssl.TLSVersion.MINIMUM_SUPPORTED, ssl.TLSVersion.MAXIMUM_SUPPORTED):
        return 0
    return int(version)


def _private_key(key_pem: bytes, password: typing.Any) -> tuple[typing.Any, bytes | None]:
    """The private key in ``key_pem``, and the password if it took one. As with
    ``ssl.SSLContext``, ``password`` (text, bytes, or a callable giving either) is asked for
    only when the key is encrypted, and ignored otherwise."""
    try:
        return load_pem_private_key(key_pem, None), None
    except TypeError:
        # cryptography's way of saying the key is encrypted.
        pass
    secret = password() if callable(password) else password
    if secret is None:
        raise TypeError("Client private key is encrypted, password is required")
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    elif not isinstance(secret, (bytes, bytearray)):
        raise TypeError("password callback must return a string")
    return load_pem_private_key(key_pem, bytes(secret)), bytes(secret)


def _pem_certificates(data: bytes | str) -> list[bytes]:
    text = data.decode("latin-1") if isinstance(data, bytes) else data
    return [ssl.PEM_cert_to_DER_cert(_plain_pem(block)) for block in _PEM_CERTIFICATE.findall(text)]


def _plain_pem(block: str) -> str:
    # PEM_cert_to_DER_cert knows only the plain CERTIFICATE label.
    return re.sub(r"-----(BEGIN|END) (?:TRUSTED |X509 )CERTIFICATE-----", r"-----\1 CERTIFICATE-----", block)


def _certificates_in_data(cadata: str | bytes) -> list[bytes]:
    """The DER certificates in ``load_verify_locations(cadata=…)``: PEM text, or
    concatenated DER (PEM given as bytes is accepted too). Each must parse."""
    if isinstance(cadata, str) or bytes(cadata[:11]) == b"-----BEGIN ":
        ders = _pem_certificates(cadata)
    else:
        ders = _split_der(bytes(cadata))
    if not ders:
        raise ValueError("no certificate found in cadata")
    for der in ders:
        x509.load_der_x509_certificate(der)
    return ders


def _split_der(blob: bytes) -> list[bytes]:
    """Cuts concatenated DER certificates apart by their outer SEQUENCE lengths."""
    parts: list[bytes] = []
    at = 0
    while at < len(blob):
        if blob[at] != 0x30 or at + 2 > len(blob):
            raise ValueError("cadata is neither PEM nor DER certificates")
        first = blob[at + 1]
        if first < 0x80:
            header, length = 2, first
        else:
            size = first & 0x7F
            header, length = 2 + size, int.from_bytes(blob[at + 2 : at + 2 + size], "big")
        end = at + header + length
        if end > len(blob):
            raise ValueError("cadata ends inside a certificate")
        parts.append(blob[at:end])
        at = end
    return parts


def _certificates_in_directory(path: str) -> list[bytes]:
    """The PEM certificates of the files in a CA directory (only the first directory
    reaches the core as one; the others are read here)."""
    ders: list[bytes] = []
    for entry in sorted(os.scandir(path), key=lambda e: e.name):
        if entry.is_file():
            with open(entry.path, "rb") as f:
                ders += _pem_certificates(f.read())
    return ders


def _verify_callback(
    cnx: OpenSSL.SSL.Connection,
    x509: X509,
    err_no: int,
    err_depth: int,
    return_code: int,
) -> bool:
    # Only a certificate OpenSSL found no fault with passes.
    return err_no == 0
