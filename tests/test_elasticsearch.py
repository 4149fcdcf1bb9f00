"""The official Elasticsearch client on this package, against the test server's stand-in
(`/es`): over HTTP, over HTTPS with ``ca_certs``, and with ``ssl_assert_fingerprint``, which
elastic-transport checks itself in ``HTTPSConnectionPool._validate_conn`` against the chain
``sock._sslobj.get_verified_chain()`` returns (``sock.get_verified_chain()`` on 3.13)."""

from __future__ import annotations

import hashlib
import ssl

import elastic_transport
import pytest
from elasticsearch import Elasticsearch

import urllib3


def _https_localhost(server) -> str:
    # The test certificate names localhost.
    return server.https.replace("127.0.0.1", "localhost")


def _exercise(es: Elasticsearch, index: str) -> None:
    assert es.info()["tagline"] == "You Know, for Search"
    assert es.index(index=index, id="1", document={"title": "Rust core for urllib3"})["result"] == "created"
    es.index(index=index, id="2", document={"title": "Python package"})
    es.indices.refresh(index=index)
    hits = es.search(index=index, query={"match": {"title": "rust"}})["hits"]
    assert hits["total"]["value"] == 1
    assert hits["hits"][0]["_source"] == {"title": "Rust core for urllib3"}
    assert es.get(index=index, id="2")["_source"]["title"] == "Python package"


def test_over_http(server) -> None:
    with Elasticsearch(server.http + "/es") as es:
        _exercise(es, "plain")


def test_over_https_with_ca_certs(server) -> None:
    with Elasticsearch(_https_localhost(server) + "/es", ca_certs=server.ca_file) as es:
        _exercise(es, "tls")


def test_an_unknown_ca_is_a_tls_error(server) -> None:
    with Elasticsearch(_https_localhost(server) + "/es", max_retries=0) as es:
        with pytest.raises(elastic_transport.TlsError):
            es.info()


def _leaf_der(server) -> bytes:
    host, port = urllib3.util.parse_url(server.https).host, urllib3.util.parse_url(server.https).port
    conn = urllib3.connection.HTTPSConnection(host, port, cert_reqs="CERT_NONE")
    conn.connect()
    try:
        return conn.sock.getpeercert(True)  # type: ignore[no-any-return]
    finally:
        conn.close()


def test_with_ssl_assert_fingerprint(server) -> None:
    pin = hashlib.sha256(_leaf_der(server)).hexdigest()
    with Elasticsearch(server.https + "/es", ssl_assert_fingerprint=pin) as es:
        _exercise(es, "pinned")


def test_a_wrong_fingerprint_is_refused(server) -> None:
    with Elasticsearch(server.https + "/es", ssl_assert_fingerprint="00" * 32, max_retries=0) as es:
        with pytest.raises(elastic_transport.TlsError) as caught:
            es.info()
    assert "Fingerprints did not match" in caught.value.message


def test_validate_conn_sees_the_verified_chain(server) -> None:
    """What elastic-transport's _validate_conn reads: the chain from the server's certificate
    to the root it was verified against, through both spellings of the private API."""
    seen: list[list[bytes]] = []

    class Pool(urllib3.HTTPSConnectionPool):
        def _validate_conn(self, conn) -> None:  # type: ignore[no-untyped-def]
            super()._validate_conn(conn)
            seen.append([c.public_bytes(ssl._ssl.ENCODING_DER) for c in conn.sock._sslobj.get_verified_chain()])  # type: ignore[attr-defined]
            seen.append(conn.sock.get_verified_chain())

    url = urllib3.util.parse_url(_https_localhost(server))
    with Pool(url.host, url.port, ca_certs=server.ca_file) as pool:
        assert pool.request("GET", "/get").status == 200
    with open(server.ca_file) as f:
        ca_der = ssl.PEM_cert_to_DER_cert(f.read())
    assert len(seen) == 2 and seen[0] == seen[1]
    assert seen[0] == [_leaf_der(server), ca_der]
