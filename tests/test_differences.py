"""Each difference from urllib3 2.8 listed in docs/differences.md, shown to be real.

The page and this file name the same identifiers: a difference that is fixed makes its check
fail (then the page's entry goes), and an entry without a check fails the first test.
"""

from __future__ import annotations

import importlib.metadata
import logging
import pathlib
import re
import socket
import ssl
import subprocess
import sys
import typing

import pytest

import urllib3
import urllib3.contrib.socks
import urllib3.http2
import urllib3.http2.connection
import urllib3.http2.probe
from urllib3.exceptions import MaxRetryError, SSLError
from urllib3.util import parse_url

PAGE = pathlib.Path(__file__).resolve().parent.parent / "docs" / "differences.md"


def _https_pool(server: typing.Any, **kw: typing.Any) -> urllib3.HTTPSConnectionPool:
    port = parse_url(server.https).port
    return urllib3.HTTPSConnectionPool("localhost", port, retries=False, **kw)


def http2(server: typing.Any) -> None:
    conn = urllib3.http2.connection.HTTP2Connection("localhost", parse_url(server.https).port, ca_certs=server.ca_file)
    assert not hasattr(conn, "_h2_conn")
    conn.putrequest("POST", "/upload")
    conn.endheaders()
    conn.send(b"sent at getresponse()")
    assert conn.sock is None  # nothing went out yet
    response = conn.getresponse()
    assert response.version == 20
    assert response.json() == {"received": len(b"sent at getresponse()")}
    conn.close()


def http2_shared(server: typing.Any) -> None:
    urllib3.http2.inject_into_urllib3()
    try:
        with urllib3.PoolManager(ca_certs=server.ca_file, maxsize=2) as http:
            url = f"https://localhost:{parse_url(server.https).port}/get"
            first = http.request("GET", url, preload_content=False)
            # The first response holds its connection object, so the pool makes another.
            second = http.request("GET", url, preload_content=False)
            assert first.connection is not None and second.connection is not None
            assert first.connection is not second.connection
            sockets = [r.connection.sock for r in (first, second)]  # type: ignore[union-attr]
            assert sockets[0].local_address == sockets[1].local_address  # type: ignore[union-attr]
            assert first.json()["url"] == second.json()["url"] == url
    finally:
        urllib3.http2.extract_from_urllib3()
        urllib3.http2.probe._reset()


def tls_versions(server: typing.Any) -> None:
    pool = _https_pool(server, ca_certs=server.ca_file, ssl_minimum_version=ssl.TLSVersion.TLSv1)
    with pytest.raises((SSLError, MaxRetryError), match="TLS 1.2 and TLS 1.3 only"):
        pool.request("GET", "/get")


def ssl_context(server: typing.Any) -> None:
    context = ssl.create_default_context(cafile=server.ca_file)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("ECDHE+CHACHA20")
    conn = _https_pool(server, ssl_context=context)._get_conn()
    conn.connect()
    # The stdlib would have negotiated a ChaCha20 suite; the cipher list did not reach rustls.
    name, version, _ = conn.sock.cipher()
    assert version == "TLSv1.2" and "CHACHA20" not in name
    conn.close()


def socket_object(server: typing.Any) -> None:
    conn = _https_pool(server, ca_certs=server.ca_file)._get_conn()
    conn.connect()
    assert not isinstance(conn.sock, (socket.socket, ssl.SSLSocket))
    assert not hasattr(conn.sock, "context")
    assert conn.sock.version() in ("TLSv1.2", "TLSv1.3")
    conn.close()


def debuglevel(server: typing.Any, capsys: pytest.CaptureFixture[str]) -> None:
    conn = urllib3.connection.HTTPConnection("127.0.0.1", parse_url(server.http).port)
    conn.set_debuglevel(1)
    conn.request("GET", "/get")
    conn.getresponse().read()
    conn.close()
    assert capsys.readouterr().out == ""


def read1(server: typing.Any) -> None:
    http = urllib3.PoolManager()
    r = http.request("GET", server.url("/bytes/200000"), preload_content=False)
    assert 0 < len(r.read1()) <= 64 * 1024
    r.drain_conn()


def socks(server: typing.Any) -> None:
    assert not hasattr(urllib3.contrib.socks, "socks")


def happy_eyeballs(server: typing.Any) -> None:
    assert urllib3.util.connection.HAPPY_EYEBALLS_DELAY == 0.25


def rustls_logs(server: typing.Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        _https_pool(server, ca_certs=server.ca_file).request("GET", "/get")
    assert any(record.name.startswith("rustls") for record in caplog.records)


def version(server: typing.Any) -> None:
    assert importlib.metadata.version("urllib3").startswith("2.8.0+rs.")
    assert urllib3.__version__ == "2.8.0"


def lazy_imports(server: typing.Any) -> None:
    code = "import sys, urllib3; print(sorted(m for m in ('http.client', 'ssl', 'email.parser') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert done.stdout.strip() == "[]"


CHECKS: dict[str, typing.Callable[..., None]] = {
    "http2": http2,
    "http2-shared": http2_shared,
    "tls-versions": tls_versions,
    "ssl-context": ssl_context,
    "socket-object": socket_object,
    "debuglevel": debuglevel,
    "read1": read1,
    "socks": socks,
    "happy-eyeballs": happy_eyeballs,
    "rustls-logs": rustls_logs,
    "version": version,
    "lazy-imports": lazy_imports,
}


def test_the_page_and_the_checks_name_the_same_differences() -> None:
    listed = re.findall(r"^## `([a-z0-9-]+)`", PAGE.read_text(), flags=re.MULTILINE)
    assert len(listed) == len(set(listed)), "an identifier is listed twice"
    assert set(listed) == set(CHECKS)


@pytest.mark.parametrize("identifier", sorted(CHECKS))
def test_the_difference_is_real(identifier: str, request: pytest.FixtureRequest) -> None:
    check = CHECKS[identifier]
    wanted = check.__code__.co_varnames[: check.__code__.co_argcount]
    check(*(request.getfixturevalue(name) for name in wanted))
