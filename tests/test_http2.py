"""HTTP/2 from Python: ``urllib3.http2.inject_into_urllib3()`` against the test server (hyper's
HTTP/2 behind ALPN), the probe cache, ``HTTP2Connection`` driven by hand, and requests on top."""

from __future__ import annotations

import threading
import typing

import pytest
import requests

import urllib3
import urllib3.http2
import urllib3.http2.probe
from urllib3.connection import HTTPSConnection
from urllib3.http2.connection import HTTP2Connection
from urllib3.util import parse_url


@pytest.fixture
def injected() -> typing.Iterator[None]:
    urllib3.http2.inject_into_urllib3()
    try:
        yield
    finally:
        urllib3.http2.extract_from_urllib3()
        urllib3.http2.probe._reset()


def _port(server: typing.Any) -> int:
    return typing.cast(int, parse_url(server.https).port)


def test_injected_pools_speak_http2_and_the_probe_remembers(server: typing.Any, injected: None) -> None:
    with urllib3.PoolManager(ca_certs=server.ca_file) as http:
        for _ in range(3):
            r = http.request("GET", f"https://localhost:{_port(server)}/alpn_protocol")
            assert (r.status, r.data, r.version, r.version_string) == (200, b"h2", 20, "HTTP/2")
        posted = http.request("POST", f"https://localhost:{_port(server)}/post", body=b"abc", headers={"X-Thing": "1"})
        assert posted.json()["data"] == "abc"
        assert posted.json()["headers"]["x-thing"] == "1"
        # One connection carried all four requests.
        assert http.connection_from_host("localhost", _port(server), "https").num_connections == 1
    assert urllib3.http2.probe._values() == {("localhost", _port(server)): True}


def test_extracting_restores_http1(server: typing.Any) -> None:
    urllib3.http2.inject_into_urllib3()
    urllib3.http2.extract_from_urllib3()
    with urllib3.PoolManager(ca_certs=server.ca_file) as http:
        r = http.request("GET", f"https://localhost:{_port(server)}/alpn_protocol")
    assert (r.data, r.version) == (b"http/1.1", 11)
    assert urllib3.connection.HTTPSConnection is not HTTP2Connection


def test_threads_wait_for_one_probe_per_origin(server: typing.Any, injected: None) -> None:
    seen: list[tuple[str, bool | None]] = []
    lock = threading.Lock()

    def record(label: str, thread_id: int, target_supports_http2: bool | None) -> None:
        with lock:
            seen.append((label, target_supports_http2))

    def fetch() -> None:
        pool = urllib3.HTTPSConnectionPool("localhost", _port(server), ca_certs=server.ca_file)
        conn = pool._get_conn()
        conn._connect_callback = record
        conn.connect()
        conn.close()

    threads = [threading.Thread(target=fetch) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Exactly one connection probed (it did not know); the others waited and were told True.
    assert sorted(seen, key=str) == [("before connect", None)] + [("before connect", True)] * 3


def test_http2connection_driven_by_hand(server: typing.Any) -> None:
    conn = HTTP2Connection("localhost", _port(server), ca_certs=server.ca_file)
    conn.putrequest("PUT", "/put")
    conn.putheader("X-Parts", "2")
    conn.endheaders(b"first ")
    conn.send(b"second")
    r = conn.getresponse()
    assert r.version == 20
    assert r.json()["data"] == "first second"
    assert r.json()["headers"]["x-parts"] == "2"
    # The connection carries the next request too.
    conn.request("GET", "/get", headers={"X-Again": "yes"})
    assert conn.getresponse().json()["headers"]["x-again"] == "yes"
    conn.close()


@pytest.mark.parametrize(
    ("name", "value"), [("x foo", "v"), ("x-foo", "a\r\nb"), ("x-foo", " padded"), (":path", "/")]
)
def test_fields_http2_forbids_are_refused(server: typing.Any, name: str, value: str) -> None:
    conn = HTTP2Connection("localhost", _port(server), ca_certs=server.ca_file)
    conn.putrequest("GET", "/get")
    with pytest.raises(ValueError):
        conn.putheader(name, value)
    with pytest.raises(ValueError):
        conn.request("GET", "/get", headers={name: value})
    assert conn.sock is None  # refused before connecting


def test_no_tunnel_and_no_send_before_putrequest() -> None:
    conn = HTTP2Connection("localhost")
    with pytest.raises(NotImplementedError, match="does not support setting up a tunnel"):
        conn.set_tunnel("example.com")
    with pytest.raises(urllib3.exceptions.ProtocolError):
        conn.send(b"x")


def test_requests_over_http2(server: typing.Any, injected: None) -> None:
    with requests.Session() as session:
        r = session.get(f"https://localhost:{_port(server)}/get", verify=server.ca_file, params={"q": "1"})
        assert r.status_code == 200
        assert r.raw.version == 20
        assert r.json()["args"] == {"q": "1"}
        big = session.post(f"https://localhost:{_port(server)}/upload", data=b"z" * (3 << 20), verify=server.ca_file)
        assert big.json() == {"received": 3 << 20}


def test_a_connection_http_client_writes_for_stays_on_http1(server: typing.Any, injected: None) -> None:
    sent: list[str] = []

    class Logged(HTTPSConnection):
        """Overrides a seam, as botocore's connections do: http.client writes its requests."""

        def putheader(self, header: str, *values: str) -> None:  # type: ignore[override]
            sent.append(header)
            super().putheader(header, *values)

    class LoggedHTTP2(HTTP2Connection):
        def putheader(self, header: str | bytes, *values: str | bytes | int) -> None:
            sent.append(str(header))
            super().putheader(header, *values)

    pool = urllib3.HTTPSConnectionPool("localhost", _port(server), ca_certs=server.ca_file)
    pool.ConnectionCls = Logged
    r = pool.request("GET", "/alpn_protocol")
    assert (r.data, r.version) == (b"http/1.1", 11)
    assert "User-Agent" in sent
    # A subclass of HTTP2Connection keeps HTTP/2: its seams collect the request for the core.
    sent.clear()
    pool = urllib3.HTTPSConnectionPool("localhost", _port(server), ca_certs=server.ca_file)
    pool.ConnectionCls = LoggedHTTP2
    r = pool.request("GET", "/alpn_protocol", preload_content=False)
    assert (r.read(), r.version) == (b"h2", 20)
    assert "User-Agent" in sent


def test_a_request_is_on_the_wire_when_request_returns(server: typing.Any) -> None:
    from urllib3.util.wait import wait_for_read

    conn = HTTP2Connection("localhost", _port(server), ca_certs=server.ca_file, timeout=10)
    conn.request("GET", "/get")
    # The answer can only come if the request went out: before, h2 held it until getresponse().
    assert wait_for_read(conn.sock, timeout=10)
    assert conn.getresponse().status == 200
    conn.close()


def test_a_seam_overriding_http2_subclass_sends_the_body_unframed(server: typing.Any, injected: None) -> None:
    class Traced(HTTP2Connection):
        def send(self, data: typing.Any) -> None:
            super().send(data)

    pool = urllib3.HTTPSConnectionPool("localhost", _port(server), ca_certs=server.ca_file)
    pool.ConnectionCls = Traced
    r = pool.request("POST", "/post", body=iter([b"ab", b"cd"]))
    assert (r.version, r.json()["data"]) == (20, "abcd")


def test_a_failing_connect_callback_gives_the_probe_lock_back(server: typing.Any, injected: None) -> None:
    def explode(label: str, **kwargs: typing.Any) -> None:
        raise RuntimeError(label)

    pool = urllib3.HTTPSConnectionPool("localhost", _port(server), ca_certs=server.ca_file)
    conn = pool._get_conn()
    conn._connect_callback = explode
    with pytest.raises(RuntimeError, match="after connect failure"):
        conn.connect()
    # Another thread can still probe the origin (before, it waited forever).
    done: list[bool | None] = []

    def probe_again() -> None:
        done.append(urllib3.http2.probe.acquire_and_get("localhost", _port(server)))
        urllib3.http2.probe.set_and_release("localhost", _port(server), supports_http2=None)

    t = threading.Thread(target=probe_again)
    t.start()
    t.join(10)
    assert done == [None]


def test_threads_share_one_http2_connection_as_streams(server: typing.Any, injected: None) -> None:
    url = f"https://localhost:{_port(server)}/get"
    local_ports: set[int] = set()
    failures: list[BaseException] = []
    lock = threading.Lock()
    with urllib3.PoolManager(ca_certs=server.ca_file, maxsize=8) as http:
        # The first request opens the connection; the threads' requests all find it.
        assert http.request("GET", url).version == 20

        def run(t: int) -> None:
            try:
                for i in range(12):
                    r = http.request("GET", url, fields={"mark": f"{t}-{i}"}, preload_content=False)
                    assert r.connection is not None and r.connection.sock is not None
                    port = r.connection.sock.local_address[1]
                    assert r.json()["args"] == {"mark": f"{t}-{i}"}
                    r.release_conn()
                    with lock:
                        local_ports.add(port)
            except BaseException as e:
                failures.append(e)

        threads = [threading.Thread(target=run, args=(t,)) for t in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        # Every request went out from the same local port: one TCP connection carried them.
        assert len(local_ports) == 1


def test_the_fast_lane_serves_http2_and_keeps_its_field_rules(server: typing.Any, injected: None) -> None:
    url = f"https://localhost:{_port(server)}/get"
    with urllib3.PoolManager(ca_certs=server.ca_file) as http:
        http.request("GET", url)  # the stages open the connection
        sent_before, _ = urllib3._rs._lane_counts()
        for i in range(3):
            r = http.request("GET", url, fields={"i": str(i)})
            assert (r.version, r.json()["args"]) == (20, {"i": str(i)})
        assert urllib3._rs._lane_counts()[0] - sent_before == 3
        # What HTTP2Connection.request refuses, the lane refuses the same way.
        with pytest.raises(ValueError, match=r"Illegal header name b'x foo'"):
            http.request("GET", url, headers={"x foo": "1"})
        with pytest.raises(ValueError, match=r"Illegal header value b' padded'"):
            http.request("GET", url, headers={"x-foo": " padded"})
        assert http.request("GET", url).status == 200


def test_a_large_body_over_http2_is_the_same_whole_and_in_pieces(server: typing.Any, injected: None) -> None:
    url = f"https://localhost:{_port(server)}/bytes/300000?seed=3"
    with urllib3.PoolManager(ca_certs=server.ca_file) as http:
        pieces = b"".join(http.request("GET", url, preload_content=False).stream(1000))
        whole = http.request("GET", url)
        assert (whole.version, len(pieces)) == (20, 300_000)
        assert whole.data == pieces
        r = http.request("GET", url, preload_content=False)
        assert [len(r.read(200_000)), len(r.read(200_000)), r.read()] == [200_000, 100_000, b""]
