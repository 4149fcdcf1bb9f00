"""The user guide's requests through the Python package, against the project's test server."""

from __future__ import annotations

import io
import json
import logging

import pytest

import urllib3
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError, ReadTimeoutError


def test_get_json(server) -> None:
    http = urllib3.PoolManager()
    r = http.request("GET", server.url("/get"), fields={"arg": "value"})
    assert r.status == 200
    assert r.json()["args"] == {"arg": "value"}
    assert r.headers["Content-Type"] == "application/json"


def test_post_fields_json_and_binary(server) -> None:
    http = urllib3.PoolManager()
    r = http.request("POST", server.url("/post"), fields={"field": "value"})
    assert r.json()["form"] == {"field": "value"}
    r = http.request("POST", server.url("/post"), json={"attribute": "value"})
    assert r.json()["json"] == {"attribute": "value"}
    r = http.request("POST", server.url("/post"), body=b"\x00\x01", headers={"Content-Type": "application/octet-stream"})
    assert r.json()["headers"]["Content-Length"] == "2"


def test_file_upload_and_streamed_body(server) -> None:
    http = urllib3.PoolManager()
    r = http.request("POST", server.url("/post"), fields={"filefield": ("example.txt", b"file contents", "text/plain")})
    assert r.json()["files"] == {"filefield": "file contents"}
    r = http.request("POST", server.url("/post"), body=(chunk for chunk in [b"one ", b"two"]))
    assert r.json()["data"] == "one two"
    r = http.request("POST", server.url("/post"), body=io.BytesIO(b"from a file"))
    assert r.json()["data"] == "from a file"


def test_headers_go_out_in_order_and_case(server) -> None:
    http = urllib3.PoolManager()
    r = http.request("GET", server.url("/echo"), headers={"X-First": "1", "x-second": "2"})
    raw = r.data.decode()
    assert raw.startswith("GET /echo HTTP/1.1\r\n")
    assert "X-First: 1\r\nx-second: 2\r\n" in raw
    assert f"User-Agent: python-urllib3/{urllib3.__version__}\r\n" in raw


def test_streaming_and_decoding(server) -> None:
    http = urllib3.PoolManager()
    r = http.request("GET", server.url("/stream-bytes/100000?chunk_size=4096"), preload_content=False)
    pieces = list(r.stream(10_000))
    assert sum(map(len, pieces)) == 100_000
    assert all(pieces)
    for path, key in (("/gzip", "gzipped"), ("/deflate", "deflated"), ("/brotli", "brotli"), ("/zstd", "zstd")):
        assert http.request("GET", server.url(path)).json()[key] is True


def test_redirects_and_retries(server) -> None:
    http = urllib3.PoolManager()
    r = http.request("GET", server.url("/redirect/2"))
    assert r.status == 200
    assert r.geturl() == "/get"
    assert len(r.retries.history) == 2
    r = http.request("GET", server.url("/redirect/1"), redirect=False)
    assert r.status == 302
    retry = urllib3.Retry(total=3, status_forcelist=[500], backoff_factor=0)
    r = http.request("GET", server.url("/fail-then-succeed?times=2"), headers={"X-Retry-Key": "py"}, retries=retry)
    assert r.status == 200


def test_errors_are_urllib3s(server) -> None:
    http = urllib3.PoolManager()
    with pytest.raises(ReadTimeoutError):
        http.request("GET", server.url("/delay/2"), timeout=0.2, retries=False)
    with pytest.raises(ProtocolError):
        http.request("GET", server.url("/fault/truncated-body"), retries=False)
    with pytest.raises(MaxRetryError) as info:
        http.request("GET", "http://127.0.0.1:1/", retries=1)
    assert isinstance(info.value.reason, NewConnectionError)


def test_connections_are_reused_and_logged(server, caplog) -> None:
    pool = urllib3.HTTPConnectionPool("127.0.0.1", int(server.http.rsplit(":", 1)[1]))
    with caplog.at_level(logging.DEBUG, logger="urllib3"):
        for _ in range(3):
            assert pool.request("GET", "/small").data == b"Hello, world!"
    assert pool.num_connections == 1
    assert pool.num_requests == 3
    assert "Starting new HTTP connection (1): 127.0.0.1:" in caplog.text
    # Preloaded, the body is read before the line is logged, as in urllib3.
    assert '"GET /small HTTP/1.1" 200 0' in caplog.text
    with caplog.at_level(logging.DEBUG, logger="urllib3"):
        pool.request("GET", "/small", preload_content=False).release_conn()
    assert '"GET /small HTTP/1.1" 200 13' in caplog.text


def test_debug_logging_set_after_a_first_request_shows_the_handshake(server, caplog) -> None:
    # Logging is often configured after the first request: the TLS handshake's records (from
    # rustls, forwarded to Python's logging) must follow the level set later.
    port = urllib3.util.parse_url(server.https).port
    quiet = urllib3.HTTPSConnectionPool("localhost", port, ca_certs=server.ca_file)
    with caplog.at_level(logging.WARNING):
        assert quiet.request("GET", "/get").status == 200
    assert not caplog.records
    verbose = urllib3.HTTPSConnectionPool("localhost", port, ca_certs=server.ca_file)
    with caplog.at_level(logging.DEBUG):
        assert verbose.request("GET", "/get").status == 200
    assert any(record.name.startswith("rustls") for record in caplog.records)


def test_cookies_are_readable_where_requests_reads_them(server) -> None:
    http = urllib3.PoolManager()
    r = http.request("GET", server.url("/response-headers?Set-Cookie=a%3D1&Set-Cookie=b%3D2"))
    assert r._original_response.msg.get_all("Set-Cookie", []) == ["a=1", "b=2"]
    assert json.loads(r.data)


def test_http_proxy_forwards_and_tunnels(server) -> None:
    proxy = urllib3.ProxyManager(server.proxy, ca_certs=server.ca_file)
    r = proxy.request("GET", server.url("/get"))
    assert r.status == 200
    r = proxy.request("GET", server.https + "/get")
    assert r.status == 200
    assert r.json()["url"].startswith("https://")


def test_socks5h_proxy(server) -> None:
    from urllib3.contrib.socks import SOCKSProxyManager

    socks = SOCKSProxyManager(server.socks.replace("socks5://", "socks5h://"), ca_certs=server.ca_file)
    assert socks.request("GET", server.url("/get")).status == 200
    assert socks.request("GET", server.https + "/get").status == 200


def test_conn_sock_answers_socket_questions(server) -> None:
    import socket

    pool = urllib3.HTTPConnectionPool("127.0.0.1", int(server.http.rsplit(":", 1)[1]))
    conn = pool._get_conn()
    conn.connect()
    assert conn.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    assert conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) != 0
    conn.sock.settimeout(2.5)
    assert conn.sock.gettimeout() == 2.5
    assert conn.sock.fileno() > 0
    conn.request("GET", "/small")
    assert conn.getresponse().data == b"Hello, world!"
    conn.close()
    assert conn.sock is None
