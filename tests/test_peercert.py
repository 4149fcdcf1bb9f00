"""``conn.sock.getpeercert()`` decodes the server's certificate as CPython's ``ssl`` module does.

Each test makes the same TLS connection twice, once through urllib3 (the Rust core) and once
with the standard library's ``ssl`` module, and compares the two dicts: CPython's is the
reference for every field name, string conversion and date format.
"""

from __future__ import annotations

import pathlib
import socket
import ssl
import threading
import typing

import pytest

from urllib3.connection import HTTPSConnection
from urllib3.util import parse_url
from urllib3.util.ssl_match_hostname import CertificateError, match_hostname

# Certificates made by make_certs.py in that folder: a leaf with every field the dict has.
CERTS = pathlib.Path(__file__).resolve().parent.parent / "crates/urllib3/tests/data/peercert"
CA = str(CERTS / "ca.pem")


def _ours(host: str, port: int, **tls: typing.Any) -> typing.Any:
    conn = HTTPSConnection(host, port, **tls)
    conn.connect()
    try:
        return conn.sock.getpeercert(), conn.sock.getpeercert(binary_form=True)
    finally:
        conn.close()


def _cpython(host: str, port: int, context: ssl.SSLContext) -> typing.Any:
    with socket.create_connection((host, port)) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            return tls.getpeercert(), tls.getpeercert(binary_form=True)


@pytest.fixture
def rich_server() -> typing.Iterator[int]:
    """A stdlib TLS server with the fixture leaf: it completes handshakes, one client at a time,
    and holds each connection until the client closes it."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(CERTS / "leaf.pem"), str(CERTS / "leaf.key"))
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stopping = threading.Event()

    def serve() -> None:
        while True:
            conn, _ = listener.accept()
            if stopping.is_set():
                conn.close()
                return
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except (ssl.SSLError, OSError):
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        stopping.set()
        socket.create_connection(("127.0.0.1", port)).close()
        thread.join()
        listener.close()


def test_the_decoded_certificate_is_cpythons(rich_server: int) -> None:
    ours, ours_der = _ours("localhost", rich_server, ca_certs=CA)
    theirs, theirs_der = _cpython("localhost", rich_server, ssl.create_default_context(cafile=CA))
    assert ours_der == theirs_der
    assert ours == theirs
    # The comparison means something only if the fields are there.
    assert ours["serialNumber"] == "FEDCBA9876543210"
    assert ours["notAfter"] == "Jan  1 12:30:05 2100 GMT"
    assert (("organizationalUnitName", "Ops"), ("organizationalUnitName", "Web")) in ours["subject"]
    assert ("IP Address", "0:0:0:0:0:0:0:1") in ours["subjectAltName"]
    assert ours["OCSP"] == ("http://ocsp.example.test/", "http://ocsp2.example.test/")
    assert ours["crlDistributionPoints"] == ("http://crl.example.test/ca.crl", "ldap://crl.example.test/cn=ca")
    assert list(ours) == list(theirs)


def test_the_test_servers_certificate_decodes_as_in_cpython(server) -> None:  # type: ignore[no-untyped-def]
    port = parse_url(server.https).port
    ours, _ = _ours("localhost", port, ca_certs=server.ca_file)
    theirs, _ = _cpython("localhost", port, ssl.create_default_context(cafile=server.ca_file))
    assert ours == theirs
    assert ours["subjectAltName"]


def test_an_unverified_certificate_is_not_decoded(rich_server: int) -> None:
    """CERT_NONE: Python returns an empty dict, since nothing vouches for the contents; the
    DER form is still given."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    theirs, theirs_der = _cpython("localhost", rich_server, context)
    ours, ours_der = _ours("localhost", rich_server, cert_reqs="CERT_NONE")
    assert ours == theirs == {}
    assert ours_der == theirs_der


def test_match_hostname_reads_the_decoded_certificate(rich_server: int) -> None:
    cert, _ = _ours("localhost", rich_server, ca_certs=CA)
    match_hostname(cert, "localhost")
    match_hostname(cert, "www.example.test")
    match_hostname(cert, "::1")
    with pytest.raises(CertificateError, match="doesn't match"):
        match_hostname(cert, "example.org")
