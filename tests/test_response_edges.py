"""Response edges users hit: a Content-Encoding that lies, bodies cut short, a body file that
is already closed (the `responses` mock), and urllib3's decoder classes and internals."""

from __future__ import annotations

import gzip
import io
import pickle
import socket
import ssl
import typing
import zlib
from unittest import mock

import pytest
import requests
import responses
from loopback import LoopbackServer

import urllib3
import urllib3.response as ur
from urllib3.exceptions import DecodeError, InvalidChunkLength, ProtocolError, SSLError
from urllib3._collections import HTTPHeaderDict
from urllib3.response import HTTPResponse

TEXT = b"".join(b"line %d of a body that compresses\n" % i for i in range(5000))

# The first 300 lines of TEXT compressed with brotli and zstd (the test environment has no
# compressor for either).
SHORT = TEXT[: TEXT.index(b"line 300 ")]
SHORT_BR = bytes.fromhex(
    "1b9528001c09368e764d7a16964a67a403bcbc6d0dd70a20656f12c46c8e22760148838b99241a59f4f278e0"
    "215b7f264912477dbceffc7d847e07d76f63221049640a9586966e883867c068325bac36b6748dcf6034992d"
    "561b5bbaa667309acc16ab8d2d5df333184d668bd5c696aee5198c26b3c56a634bd7fa0c4693d962b5b1a56b"
    "f30c4693d962b5b1a56bfb0c4693d962b5b1a56bf70c4693d962b5b1fddbfb870f041285c6607170ed221e02"
    "894263b038b876910f8144a131581c5cbba88740a2d0182c0eae5df4432051680c1607d72ee621902834068b"
    "836b17fb1048141a83c5c1b58bf31048141a83c5c1b58bfb1048141a83c5c1b58bf71048141a83c5c1a5dbe4"
    "7b08240a8dc1e2e0da453c041285c6607170ed221f02894263b038b876510f8144a131581c5cbbe88740a2d0"
    "182c0eae5dcc432051680c1607d72ef621902834068b836b17e721902834068b836b17f721902834068b836b"
    "17ef21902834068b83bb7a"
)
SHORT_ZSTD = bytes.fromhex(
    "28b52ffd609627650a005615321980296903640fe50d718fd1ff0833b88bec9d52264faf3ca6303300280028"
    "00ff7fdbb66dbb6ddbb62549922467666666e6ace82e0720512412c58202024260301c0a1846c30022601c06"
    "0162c828120c0e026edbb66d499224c999999999111111111199bbbbbbbb3b33333333b3aaaaaaaa2a222222"
    "22a2ff7f33333323140a8542a1502814dedddddddd999999999955555555551111111111fdffffffb66ddb0e"
    "7777777777666666666655555555554444444444ffffffbf6ddbb6ddb66ddb922449923313812ca821f4ebff"
    "19c16754ab01124810f8ff11042cacfc03218eb40c396213a50a4f5cc5f7ffbebfeffb3f618223c810992043"
    "38b629ec7b5b5515400540e57faaff54ff54fe29fb53fa53f3a76efcbd57aa81c1b752060cfc943460e057a8"
    "8101bf7745b3a2ab2854b429aa14358a86a24c4f9493fbffffffff2f7df610405a05"
)


def lying_gzip_response(body: bytes) -> HTTPResponse:
    return HTTPResponse(io.BytesIO(body), headers={"content-encoding": "gzip"}, preload_content=False)


# --- A Content-Encoding that lies --------------------------------------------------------------


def test_after_a_failed_first_decode_the_raw_rest_can_still_be_read() -> None:
    body = b"this is not gzip at all; " * 4000
    r = lying_gzip_response(body)
    with pytest.raises(DecodeError):
        r.read(10)
    rest = r.read(decode_content=False)
    assert rest and body.endswith(rest)


def test_switching_decoding_off_after_decoded_content_is_a_runtime_error() -> None:
    r = HTTPResponse(
        io.BytesIO(gzip.compress(TEXT)), headers={"content-encoding": "gzip"}, preload_content=False
    )
    assert r.read(5) == TEXT[:5]
    for call in (lambda: r.read(decode_content=False), lambda: r.read(3, decode_content=False)):
        with pytest.raises(RuntimeError, match=r"read\(decode_content=False\) is not supported after"):
            call()


class RedirectWithLyingGzip(LoopbackServer):
    """``/start`` redirects with a body that claims gzip and is not, ``/end`` answers 200
    ``done``; connections are kept alive."""

    def handle(self, conn: socket.socket) -> None:
        while head := self.read_request(conn):
            if head.startswith(b"GET /start"):
                body = b"not gzip " * 2000
                conn.sendall(
                    b"HTTP/1.1 302 Found\r\nLocation: /end\r\nContent-Encoding: gzip\r\n"
                    b"Content-Length: %d\r\n\r\n" % len(body) + body
                )
            else:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone")


def test_requests_follows_a_redirect_whose_body_lies_about_gzip() -> None:
    server = RedirectWithLyingGzip()
    try:
        r = requests.get(f"http://127.0.0.1:{server.port}/start", timeout=10)
    finally:
        server.close()
    assert r.status_code == 200
    assert r.content == b"done"
    assert [h.status_code for h in r.history] == [302]


# --- Bodies cut short --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "coding, whole",
    [("gzip", gzip.compress(TEXT)), ("deflate", zlib.compress(TEXT)), ("br", SHORT_BR)],
    ids=["gzip", "deflate", "br"],
)
def test_a_truncated_body_gives_what_could_be_inflated(coding: str, whole: bytes) -> None:
    wire = whole[: len(whole) // 2]
    r = HTTPResponse(io.BytesIO(wire), headers={"content-encoding": coding}, preload_content=False)
    got = r.read()
    assert got and TEXT.startswith(got)
    # Read in pieces, the same.
    r = HTTPResponse(io.BytesIO(wire), headers={"content-encoding": coding}, preload_content=False)
    assert b"".join(r.stream(1000)) == got


def test_a_truncated_zstd_body_is_a_decode_error() -> None:
    wire = SHORT_ZSTD[: len(SHORT_ZSTD) // 2]
    r = HTTPResponse(io.BytesIO(wire), headers={"content-encoding": "zstd"}, preload_content=False)
    with pytest.raises(DecodeError, match="Zstandard data is incomplete"):
        r.read()


# --- A body file that is already closed --------------------------------------------------------


def test_a_closed_body_file_reads_as_the_end() -> None:
    fp = io.BytesIO(b"abc")
    r = HTTPResponse(fp, preload_content=False)
    fp.close()
    assert r.read() == b""
    assert r.read(5) == b""
    assert list(r.stream(2)) == []


@responses.activate
def test_requests_over_the_responses_mock() -> None:
    # `responses` hands urllib3 a BytesIO whose isclosed() closes it once exhausted.
    responses.add(responses.GET, "http://mocked.invalid/empty", body=b"")
    responses.add(responses.GET, "http://mocked.invalid/json", json={"answer": [4, 2]})
    responses.add(responses.GET, "http://mocked.invalid/big", body=TEXT)
    assert requests.get("http://mocked.invalid/empty").content == b""
    assert requests.get("http://mocked.invalid/json").json() == {"answer": [4, 2]}
    assert requests.get("http://mocked.invalid/big").content == TEXT
    streamed = requests.get("http://mocked.invalid/big", stream=True)
    assert b"".join(streamed.iter_content(777)) == TEXT


def test_a_callers_file_is_read_no_further_than_asked() -> None:
    fp = io.BytesIO(b"fooandahalf")
    reader = io.BufferedReader(HTTPResponse(fp, preload_content=False), 5)
    assert reader.read(1) == b"f"
    assert fp.read() == b"dahalf"


def test_a_body_where_none_may_come_is_refused_as_urllib3_does() -> None:
    for headers in ({"content-length": "0"}, {}):
        r = HTTPResponse(io.BytesIO(b"12345"), status=204, headers=headers)
        with pytest.raises(ProtocolError, match="Response may not contain content"):
            r.read(16)


def test_what_the_callers_file_raises_is_mapped_as_urllib3_maps_it() -> None:
    bad_mac = ssl.SSLError("SSL routines", "ssl3_get_record", "bad record mac")
    fp = io.BytesIO(b"")
    with mock.patch.object(fp, "read", side_effect=bad_mac):
        with pytest.raises(SSLError) as caught:
            HTTPResponse(fp)
    assert caught.value.args[0] is bad_mac
    with mock.patch.object(fp, "read", side_effect=ConnectionResetError(104, "reset")):
        with pytest.raises(ProtocolError, match="Connection broken: ConnectionResetError"):
            HTTPResponse(fp)


# --- urllib3's decoder classes and the internals tests reach ----------------------------------

ENCODED = {
    "gzip": (TEXT, gzip.compress(TEXT)),
    "deflate": (TEXT, zlib.compress(TEXT)),
    "br": (SHORT, SHORT_BR),
    "zstd": (SHORT, SHORT_ZSTD),
}


@pytest.mark.parametrize("coding", sorted(ENCODED))
def test_decoders_give_at_most_max_length_and_keep_the_rest(coding: str) -> None:
    decoder = ur._get_decoder(coding)
    assert isinstance(decoder, ur.ContentDecoder)
    text, wire = ENCODED[coding]
    assert decoder.decompress(wire, max_length=0) == b""
    assert decoder.has_unconsumed_tail
    out = decoder.decompress(b"", max_length=1000)
    assert out == text[:1000]
    while decoder.has_unconsumed_tail:
        piece = decoder.decompress(b"", max_length=1000)
        assert len(piece) <= 1000
        out += piece
    out += decoder.decompress(b"") + decoder.flush()
    assert out == text


def test_decoder_classes_and_chains() -> None:
    assert type(ur._get_decoder("x-gzip")) is ur.GzipDecoder
    assert type(ur._get_decoder("deflate")) is ur.DeflateDecoder
    assert type(ur._get_decoder("br")) is ur.BrotliDecoder
    assert type(ur._get_decoder("zstd")) is ur.ZstdDecoder
    chain = ur._get_decoder("deflate, gzip")
    assert type(chain) is ur.MultiDecoder
    assert chain.decompress(gzip.compress(zlib.compress(b"twice"))) == b"twice"
    with pytest.raises(DecodeError, match="Too many content encodings in the chain: 6 > 5"):
        ur.MultiDecoder("gzip, gzip, gzip, gzip, gzip, gzip")
    with pytest.raises(DecodeError):
        ur.GzipDecoder().decompress(b"plainly not gzip")
    # Raw deflate, as some servers send it, is deflate too.
    raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    assert ur.DeflateDecoder().decompress(raw.compress(b"raw") + raw.flush()) == b"raw"


def test_reads_serve_the_decoded_buffer_and_the_decoder_first() -> None:
    wire = zlib.compress(TEXT)
    r = HTTPResponse(mock.Mock(read=mock.Mock(return_value=b"")), headers={"content-encoding": "deflate"}, preload_content=False)
    r._init_decoder()
    assert r._decoder is not None
    assert r._decoder.decompress(wire, max_length=0) == b""
    r._decoded_buffer.put(b">>")
    assert r.read(2) == b">>"
    assert r.read(100) == TEXT[:100]
    assert r.read() == TEXT[100:]
    assert len(r._decoded_buffer) == 0


def test_a_patched_decompress_is_what_reads_call() -> None:
    r = HTTPResponse(io.BytesIO(b"anything"), headers={"content-encoding": "gzip"}, preload_content=False)

    def fake(data: bytes, max_length: int = -1) -> bytes:
        return b"patched" if data else b""

    with mock.patch.object(ur.GzipDecoder, "decompress", side_effect=fake) as patched:
        assert r.read() == b"patched"
    assert patched.called


def test_a_decoder_of_the_callers_is_driven_from_python() -> None:
    class Upper(ur.ContentDecoder):
        def decompress(self, data: bytes, max_length: int = -1) -> bytes:
            return data.upper()

        @property
        def has_unconsumed_tail(self) -> bool:
            return False

        def flush(self) -> bytes:
            return b"!"

    r = HTTPResponse(io.BytesIO(b"quiet"), preload_content=False)
    r._decoder = Upper()
    assert r.read() == b"QUIET!"


def test_drain_drops_the_decoder_once_decoding_started() -> None:
    r = HTTPResponse(io.BytesIO(gzip.compress(TEXT)), headers={"content-encoding": "gzip"}, preload_content=False)
    assert r.read(10) == TEXT[:10]
    r.drain_conn()
    assert r._decoder is None
    assert len(r._decoded_buffer) == 0


def test_bytes_queue_buffer_hands_out_exact_sizes() -> None:
    q = ur.BytesQueueBuffer()
    for piece in (b"ab", b"cde", b"f"):
        q.put(piece)
    assert q.get(4) == b"abcd"
    assert len(q) == 2
    assert q.get_all() == b"ef"


@pytest.mark.parametrize(
    ("headers", "preload", "decode"),
    [
        ([("Content-Length", "5")], True, True),
        ([("Content-Length", "5")], False, True),
        ([("Transfer-Encoding", "gzip, chunked")], True, False),
        ([("Content-Encoding", "gzip")], False, True),
        ([("X-A", "1"), ("x-a", "2")], True, True),
    ],
)
def test_a_response_made_in_one_step_is_the_one_the_constructor_makes(
    headers: list[tuple[str, str]], preload: bool, decode: bool
) -> None:
    """The fast lane makes its responses with HTTPResponse._from_core: the same state as the
    constructor's, attribute by attribute."""
    from urllib3._base_connection import _ResponseOptions
    from urllib3._collections import HTTPHeaderDict
    from urllib3._rs import Response as CoreResponse

    chunked = "chunked" in str(headers)
    body = b"5\r\nhello\r\n0\r\n\r\n" if chunked else b"hello"
    if "gzip" in str(headers) and not chunked:
        body = gzip.compress(body)

    def core() -> CoreResponse:
        return CoreResponse.from_reader(io.BytesIO(body), 200, "OK", 11, headers, decode, True, chunked)

    made = HTTPResponse(
        body=core(),
        headers=HTTPHeaderDict(headers),
        status=200,
        version=11,
        version_string="HTTP/1.1",
        reason="OK",
        preload_content=preload,
        decode_content=decode,
        enforce_content_length=True,
        request_method="GET",
        request_url="/x",
    )
    in_one_step = HTTPResponse._from_core(core(), _ResponseOptions("GET", "/x", preload, decode, True))

    def state(response: HTTPResponse) -> dict[str, object]:
        response.headers  # noqa: B018 (a response the core made makes its headers when touched)
        seen = dict(vars(response))
        for name in ("_core", "_fp", "_decoded_buffer", "headers"):
            seen[name] = type(seen[name])
        seen["_decoder"] = type(seen["_decoder"])
        return seen

    assert state(in_one_step) == state(made)
    assert list(in_one_step.headers.items()) == list(made.headers.items())
    assert in_one_step.data == made.data


def test_headers_of_a_response_made_in_one_step_are_made_once_when_first_touched(server: typing.Any) -> None:
    with urllib3.PoolManager() as http:
        http.request("GET", server.url("/get"))  # opens the connection, for the lane's next
        r = http.request("GET", server.url("/response-headers?X-Thing=1&X-Thing=2"))
        assert "headers" not in vars(r)  # not made yet
        headers = r.headers
        assert r.headers is headers and vars(r)["headers"] is headers
        assert headers.getlist("x-thing") == ["1", "2"]
        copied = pickle.loads(pickle.dumps(r))
        assert copied.headers == headers
        # Replaced, they are the caller's, as on any response.
        r.headers = HTTPHeaderDict({"A": "b"})
        assert dict(r.headers) == {"A": "b"}
        untouched = http.request("GET", server.url("/response-headers?X-Thing=3"))
        assert pickle.loads(pickle.dumps(untouched)).headers["x-thing"] == "3"


class BadChunkSize(LoopbackServer):
    """A chunked body whose second size line is not a number."""

    def handle(self, conn: socket.socket) -> None:
        if self.read_request(conn):
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZZ\r\n")


@pytest.mark.parametrize("preload", [True, False])
def test_a_bad_chunk_size_line_is_urllib3s_invalid_chunk_length(preload: bool) -> None:
    server = BadChunkSize()
    try:
        with urllib3.PoolManager() as manager:
            with pytest.raises(ProtocolError) as caught:
                response = manager.request(
                    "GET", f"http://127.0.0.1:{server.port}/", retries=False, preload_content=preload
                )
                response.read()
    finally:
        server.close()
    cause = caught.value.args[1]
    assert isinstance(cause, InvalidChunkLength)
    assert cause.length == b"ZZZ\r\n"
    assert cause.partial == 5  # "hello" came before it
    assert str(caught.value) == (
        "(\"Connection broken: InvalidChunkLength(got length b'ZZZ\\\\r\\\\n', 5 bytes read)\", "
        "InvalidChunkLength(got length b'ZZZ\\r\\n', 5 bytes read))"
    )
    # It crosses a pickle (to another process, say): the response goes without its live parts.
    copy = pickle.loads(pickle.dumps(cause))
    assert (copy.length, copy.partial, copy.expected, repr(copy)) == (
        cause.length,
        cause.partial,
        cause.expected,
        repr(cause),
    )
    assert copy.response.status == 200


class OneSmallResponse(LoopbackServer):
    def handle(self, conn: socket.socket) -> None:
        if self.read_request(conn):
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
            self.read_request(conn)  # keep the connection open until the client ends it


def test_shutdown_refuses_a_connection_already_back_in_the_pool() -> None:
    """It may carry another request by then (urllib3's RuntimeError)."""
    server = OneSmallResponse()
    try:
        with urllib3.HTTPConnectionPool("127.0.0.1", server.port) as pool:
            response = pool.urlopen("GET", "/", preload_content=False)
            response.drain_conn()
            response.release_conn()
            with pytest.raises(RuntimeError, match="already been released to the pool"):
                response.shutdown()
    finally:
        server.close()


# --- Large bodies, read into the bytes that hold them ------------------------------------------


def test_a_large_body_is_the_same_whole_in_large_reads_and_in_small_ones(server: typing.Any) -> None:
    url = server.url("/bytes/300000?seed=7")
    with urllib3.PoolManager() as http:
        small = b"".join(http.request("GET", url, preload_content=False).stream(1000))
        whole = http.request("GET", url).data
        r = http.request("GET", url, preload_content=False)
        large = [r.read(200_000), r.read(200_000), r.read(200_000)]
        # Each body was read to its end, so one connection carried all three.
        assert http.connection_from_url(url).num_connections == 1
    assert len(small) == 300_000
    assert whole == small
    assert [len(piece) for piece in large] == [200_000, 100_000, 0]
    assert b"".join(large) == small


@pytest.mark.parametrize("piece", [16_383, 16_384, 65_536, 100_001])
def test_a_body_streamed_in_pieces_that_read_straight_from_the_socket_is_whole(server: typing.Any, piece: int) -> None:
    """Pieces of 16 KiB and more are read from the socket into the bytes that hold them,
    around the connection's buffer; what the buffer already held comes first, and the next
    response on the connection is left alone."""
    url = server.url("/bytes/1000000?seed=11")
    with urllib3.PoolManager(maxsize=1) as http:
        whole = http.request("GET", url).data
        r = http.request("GET", url, preload_content=False)
        pieces = list(r.stream(piece))
        r.release_conn()
        after = http.request("GET", server.url("/bytes/10?seed=1")).data
        assert http.connection_from_url(url).num_connections == 1
    assert [len(p) for p in pieces[:-1]] == [piece] * (len(pieces) - 1)
    assert b"".join(pieces) == whole and len(whole) == 1_000_000
    assert len(after) == 10


def test_reading_pieces_keeps_the_count_of_what_is_left_and_frees_the_connection_at_the_end(server: typing.Any) -> None:
    url = server.url("/bytes/100000?seed=5")
    with urllib3.PoolManager(maxsize=1) as http:
        r = http.request("GET", url, preload_content=False)
        left = []
        while piece := r.read(30_000):
            left.append((len(piece), r.length_remaining, r.tell()))
        assert left == [(30_000, 70_000, 30_000), (30_000, 40_000, 60_000), (30_000, 10_000, 90_000), (10_000, 0, 100_000)]
        # The body's end gave the connection back: the next request reuses it.
        assert r.connection is None
        assert http.request("GET", url).data == b"".join(
            http.request("GET", url, preload_content=False).stream(7_000)
        )
        assert http.connection_from_url(url).num_connections == 1


class _CutShort(LoopbackServer):
    """Announces ``announced`` bytes, sends two thirds of them and closes."""

    def __init__(self, announced: int) -> None:
        self.announced = announced
        self.sent = announced * 2 // 3
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        self.read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % self.announced + b"a" * self.sent)


# A small body is read through the core's buffer, a large one straight into its bytes.
@pytest.mark.parametrize("announced", [3_000, 300_000])
@pytest.mark.parametrize("enforce", [True, False])
def test_a_body_cut_short_fails_a_whole_read_as_urllib3s_does(announced: int, enforce: bool) -> None:
    """urllib3 reads a whole body through http.client, which holds it to its length whatever
    ``enforce_content_length`` says, and counts what that read got."""
    server = _CutShort(announced)
    short = announced - server.sent
    try:
        with urllib3.PoolManager() as http:
            url = f"http://127.0.0.1:{server.port}/"
            with pytest.raises(ProtocolError, match=rf"IncompleteRead\({server.sent} bytes read, {short} more"):
                http.request("GET", url, retries=False, enforce_content_length=enforce)
            r = http.request("GET", url, retries=False, preload_content=False, enforce_content_length=enforce)
            assert len(r.read(100)) == 100
            with pytest.raises(ProtocolError, match=rf"IncompleteRead\({server.sent - 100} bytes read, {short} more"):
                r.read()
            if not enforce:  # reads of a size stop at the end, as http.client's do
                r = http.request("GET", url, preload_content=False, enforce_content_length=False)
                assert sum(len(piece) for piece in r.stream(1000)) == server.sent
    finally:
        server.close()
