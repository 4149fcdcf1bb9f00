"""urllib3.contrib.pyopenssl: injection, a PyOpenSSLContext's settings reaching the core
(CAs, client certificate with its password, versions, ciphers), direct socket wrapping, and
extraction.

The project's test server (tests/conftest.py) has no client-certificate-required endpoint, so
the client certificate tests run against a small stdlib ``ssl`` HTTPS server defined here,
with a CA and certificates made by ``cryptography`` for the test."""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import pathlib
import socket
import ssl
import threading
import typing

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import urllib3
import urllib3.contrib.pyopenssl as pyopenssl
from urllib3.exceptions import MaxRetryError, ProtocolError, SSLError
from urllib3.util import ssl_

CLIENT_NAME = "pyopenssl test client"
KEY_PASSWORD = "correct horse"


@pytest.fixture
def injected() -> typing.Iterator[None]:
    pyopenssl.inject_into_urllib3()
    try:
        yield
    finally:
        pyopenssl.extract_from_urllib3()


# ---------------------------------------------------------------- certificates


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _issue(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[str, ec.EllipticCurvePrivateKey] | None,
    extensions: list[tuple[x509.ExtensionType, bool]],
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    issuer_name, issuer_key = issuer if issuer is not None else (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer_key, hashes.SHA256())


class Pki(typing.NamedTuple):
    ca_file: str
    server_cert: str
    server_key: str
    client_cert: str
    client_key: str
    #: The client key, encrypted with KEY_PASSWORD.
    client_key_encrypted: str
    #: The client certificate followed by its (unencrypted) key.
    client_combined: str


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _issue("pyopenssl test CA", ca_key, None, [(x509.BasicConstraints(ca=True, path_length=None), True)])
    leaf = [(x509.BasicConstraints(ca=False, path_length=None), True)]
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = _issue(
        "localhost",
        server_key,
        ("pyopenssl test CA", ca_key),
        leaf
        + [
            (x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
        ],
    )
    client_key = ec.generate_private_key(ec.SECP256R1())
    client = _issue(
        CLIENT_NAME,
        client_key,
        ("pyopenssl test CA", ca_key),
        leaf + [(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)],
    )

    def pem(cert: x509.Certificate) -> bytes:
        return cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(key: ec.EllipticCurvePrivateKey, password: str | None = None) -> bytes:
        encryption: serialization.KeySerializationEncryption = serialization.NoEncryption()
        if password is not None:
            encryption = serialization.BestAvailableEncryption(password.encode())
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)

    files = {
        "ca_file": pem(ca),
        "server_cert": pem(server),
        "server_key": key_pem(server_key),
        "client_cert": pem(client),
        "client_key": key_pem(client_key),
        "client_key_encrypted": key_pem(client_key, KEY_PASSWORD),
        "client_combined": pem(client) + key_pem(client_key),
    }
    paths = {}
    for field, content in files.items():
        path = folder / f"{field}.pem"
        path.write_bytes(content)
        paths[field] = str(path)
    return Pki(**paths)


# ---------------------------------------------------------- a client-cert server


class _ClientCertServer(http.server.ThreadingHTTPServer):
    """HTTPS that requires a client certificate from the test CA; ``/whoami`` answers with
    the commonName of the certificate the client presented."""

    daemon_threads = True

    def __init__(self, pki: Pki) -> None:
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(pki.server_cert, pki.server_key)
        self.tls.load_verify_locations(pki.ca_file)
        self.tls.verify_mode = ssl.CERT_REQUIRED
        super().__init__(("127.0.0.1", 0), _WhoAmI)

    def get_request(self) -> tuple[socket.socket, typing.Any]:
        sock, address = self.socket.accept()
        # The handshake happens on the handler's thread, at its first read.
        return self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def handle_error(self, request: typing.Any, client_address: typing.Any) -> None:
        # A client without a certificate fails the handshake: what some tests want.
        pass


class _WhoAmI(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        cert = self.connection.getpeercert()  # type: ignore[attr-defined]
        names = [value for rdn in cert["subject"] for key, value in rdn if key == "commonName"]
        body = json.dumps({"client": names[0]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: typing.Any) -> None:
        pass


@pytest.fixture(scope="module")
def client_cert_url(pki: Pki) -> typing.Iterator[str]:
    server = _ClientCertServer(pki)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://localhost:{server.server_address[1]}/whoami"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# ------------------------------------------------------------------------ tests


def test_inject_replaces_the_context_class(injected: None) -> None:
    assert ssl_.SSLContext is pyopenssl.PyOpenSSLContext
    assert urllib3.util.SSLContext is pyopenssl.PyOpenSSLContext
    assert ssl_.IS_PYOPENSSL is True and urllib3.util.IS_PYOPENSSL is True
    context = ssl_.create_urllib3_context()
    assert isinstance(context, pyopenssl.PyOpenSSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2


def test_request_with_ca_certs(injected: None, server) -> None:
    http = urllib3.PoolManager(ca_certs=server.ca_file)
    r = http.request("GET", server.https + "/get")
    assert r.status == 200
    assert r.json()["url"].startswith("https://")


def test_context_hands_over_its_trusted_cas(injected: None, server) -> None:
    context = ssl_.create_urllib3_context()
    context.load_verify_locations(cafile=server.ca_file)
    assert urllib3.PoolManager(ssl_context=context).request("GET", server.https + "/get").status == 200

    # The same CA given as data, PEM text and DER bytes.
    pem = pathlib.Path(server.ca_file).read_text()
    for data in (pem, ssl.PEM_cert_to_DER_cert(pem)):
        context = ssl_.create_urllib3_context()
        context.load_verify_locations(cadata=data)
        assert urllib3.PoolManager(ssl_context=context).request("GET", server.https + "/get").status == 200

    # Without it, the test CA is unknown: the context's CAs are what made the difference.
    http = urllib3.PoolManager(ssl_context=ssl_.create_urllib3_context())
    with pytest.raises(MaxRetryError) as e:
        http.request("GET", server.https + "/get", retries=0)
    assert isinstance(e.value.reason, SSLError)


def test_context_versions_and_ciphers_reach_the_core(injected: None, server) -> None:
    context = ssl_.create_urllib3_context(ssl_maximum_version=ssl.TLSVersion.TLSv1_2)
    context.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256")
    context.load_verify_locations(cafile=server.ca_file)
    pool = urllib3.HTTPSConnectionPool("localhost", int(server.https.rsplit(":", 1)[1]), ssl_context=context)
    conn = pool._get_conn()
    try:
        conn.connect()
        assert conn.sock.version() == "TLSv1.2"
        assert conn.sock.cipher()[0] in ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256")
    finally:
        conn.close()


def test_client_cert_from_arguments(injected: None, pki: Pki, client_cert_url: str) -> None:
    http = urllib3.PoolManager(ca_certs=pki.ca_file, cert_file=pki.client_cert, key_file=pki.client_key)
    assert http.request("GET", client_cert_url).json() == {"client": CLIENT_NAME}


@pytest.mark.parametrize("password", [KEY_PASSWORD, KEY_PASSWORD.encode()])
def test_client_cert_from_context_with_password(
    injected: None, pki: Pki, client_cert_url: str, password: str | bytes
) -> None:
    context = ssl_.SSLContext(ssl_.PROTOCOL_TLS_CLIENT)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(pki.ca_file)
    context.load_cert_chain(pki.client_cert, pki.client_key_encrypted, password=password)
    http = urllib3.PoolManager(ssl_context=context)
    assert http.request("GET", client_cert_url).json() == {"client": CLIENT_NAME}


def test_client_cert_and_key_in_one_file(injected: None, pki: Pki, client_cert_url: str) -> None:
    context = ssl_.create_urllib3_context()
    context.load_verify_locations(pki.ca_file)
    # A password for a key that is not encrypted is ignored, as by ssl.SSLContext.
    context.load_cert_chain(pki.client_combined, password="unused")
    assert urllib3.PoolManager(ssl_context=context).request("GET", client_cert_url).json() == {"client": CLIENT_NAME}


def test_no_client_cert_is_refused(injected: None, pki: Pki, client_cert_url: str) -> None:
    http = urllib3.PoolManager(ca_certs=pki.ca_file)
    with pytest.raises(MaxRetryError) as e:
        http.request("GET", client_cert_url, retries=0)
    assert isinstance(e.value.reason, (SSLError, ProtocolError))


@pytest.mark.parametrize("password", [None, "", "wrong"])
def test_load_cert_chain_checks_the_password(injected: None, pki: Pki, password: str | None) -> None:
    context = ssl_.create_urllib3_context()
    with pytest.raises(ssl.SSLError):
        context.load_cert_chain(pki.client_cert, pki.client_key_encrypted, password=password)


def test_load_errors_are_ssl_errors(injected: None, pki: Pki, tmp_path: pathlib.Path) -> None:
    context = ssl_.create_urllib3_context()
    with pytest.raises(ssl.SSLError):
        context.load_verify_locations(cafile=str(tmp_path / "missing.pem"))
    with pytest.raises(ssl.SSLError):
        context.load_cert_chain(pki.client_key)
    with pytest.raises(ssl.SSLError):
        context.set_ciphers("NO-SUCH-CIPHER")
    with pytest.raises(SSLError):
        ssl_.ssl_wrap_socket(None, ca_certs=str(tmp_path / "missing.pem"))  # type: ignore[call-overload]


def test_wrap_socket_speaks_tls_itself(injected: None, server) -> None:
    host, port = server.https.split("//", 1)[1].rsplit(":", 1)
    with socket.create_connection((host, int(port))) as raw:
        tls = ssl_.ssl_wrap_socket(raw, server_hostname="localhost", ca_certs=server.ca_file)
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
        assert tls.selected_alpn_protocol() == "http/1.1"
        assert ("DNS", "localhost") in tls.getpeercert()["subjectAltName"]
        tls.sendall(b"GET /get HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        with tls.makefile("rb") as f:
            assert f.readline() == b"HTTP/1.1 200 OK\r\n"
        tls.close()
        assert tls.fileno() == -1


def test_wrap_socket_verifies_the_server(injected: None, server, pki: Pki) -> None:
    host, port = server.https.split("//", 1)[1].rsplit(":", 1)
    with socket.create_connection((host, int(port))) as raw:
        # pki's CA did not sign the test server's certificate.
        with pytest.raises(ssl.SSLError):
            ssl_.ssl_wrap_socket(raw, server_hostname="localhost", ca_certs=pki.ca_file)


def test_extract_restores_the_stdlib_context() -> None:
    pyopenssl.inject_into_urllib3()
    pyopenssl.extract_from_urllib3()
    assert ssl_.SSLContext is ssl.SSLContext
    assert urllib3.util.SSLContext is ssl.SSLContext
    assert ssl_.IS_PYOPENSSL is False and urllib3.util.IS_PYOPENSSL is False
    assert type(ssl_.create_urllib3_context()) is ssl.SSLContext


def test_get_subj_alt_name(pki: Pki) -> None:
    cert = x509.load_pem_x509_certificate(pathlib.Path(pki.server_cert).read_bytes())
    assert pyopenssl.get_subj_alt_name(cert) == [("DNS", "localhost"), ("IP Address", "127.0.0.1")]
    ca = x509.load_pem_x509_certificate(pathlib.Path(pki.ca_file).read_bytes())
    assert pyopenssl.get_subj_alt_name(ca) == []
