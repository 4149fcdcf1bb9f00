"""boto3 (botocore) on this package against moto's S3 server on loopback.

botocore does not stop at urllib3's public API: its connection classes override
``_send_output`` and ``send`` to wait for ``100 Continue``, read the interim answer through
``sock.makefile("rb", 0)`` and swap ``response_class``; its ``StreamingBody`` changes the read
timeout through ``response._fp.fp.raw._sock.settimeout``. These tests run those paths for real.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import socket
import subprocess
import sys
import threading
import time
import typing

import boto3
import botocore.config
import botocore.exceptions
import pytest
from botocore.awsrequest import AWSHTTPConnectionPool

import urllib3

MiB = 1024 * 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # type: ignore[no-any-return]


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto_server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("moto_server did not start listening")


@pytest.fixture(scope="module")
def moto_endpoint() -> typing.Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, proc, time.monotonic() + 60)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _client(endpoint: str, **config: typing.Any) -> typing.Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=botocore.config.Config(**config),
    )


@pytest.fixture(scope="module")
def s3(moto_endpoint: str) -> typing.Any:
    client = _client(moto_endpoint)
    client.create_bucket(Bucket="bucket")
    return client


def test_botocore_runs_on_this_package() -> None:
    import botocore.awsrequest

    # The urllib3 botocore's connection pools come from is this repository's.
    module = sys.modules[botocore.awsrequest.HTTPConnectionPool.__module__]
    ours = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python", "")
    assert os.path.realpath(module.__file__).startswith(ours)


def test_put_and_get_small_objects(s3: typing.Any) -> None:
    for i in range(5):
        s3.put_object(Bucket="bucket", Key=f"small/{i}", Body=f"object {i}".encode())
    for i in range(5):
        body = s3.get_object(Bucket="bucket", Key=f"small/{i}")["Body"].read()
        assert body == f"object {i}".encode()
    listed = s3.list_objects_v2(Bucket="bucket", Prefix="small/")
    assert [o["Key"] for o in listed["Contents"]] == [f"small/{i}" for i in range(5)]


def test_a_large_object_streams_with_a_socket_timeout(s3: typing.Any) -> None:
    data = os.urandom(20 * MiB)
    s3.put_object(Bucket="bucket", Key="large", Body=data)
    body = s3.get_object(Bucket="bucket", Key="large")["Body"]
    # botocore reaches response._fp.fp.raw._sock; a missing link raises AttributeError.
    body.set_socket_timeout(30)
    digest = hashlib.sha256()
    size = 0
    for chunk in body.iter_chunks(256 * 1024):
        digest.update(chunk)
        size += len(chunk)
    assert size == len(data)
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()


def test_multipart_upload(s3: typing.Any) -> None:
    parts = [os.urandom(5 * MiB), os.urandom(5 * MiB), b"tail"]
    upload = s3.create_multipart_upload(Bucket="bucket", Key="multi")
    etags = []
    for number, part in enumerate(parts, start=1):
        answer = s3.upload_part(
            Bucket="bucket", Key="multi", UploadId=upload["UploadId"], PartNumber=number, Body=part
        )
        etags.append({"ETag": answer["ETag"], "PartNumber": number})
    s3.complete_multipart_upload(
        Bucket="bucket", Key="multi", UploadId=upload["UploadId"], MultipartUpload={"Parts": etags}
    )
    assert s3.get_object(Bucket="bucket", Key="multi")["Body"].read() == b"".join(parts)


def test_put_object_waits_for_100_continue(s3: typing.Any, monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[bool] = []
    original = urllib3.util.wait_for_read

    def recording_wait(sock: typing.Any, timeout: float | None = None) -> bool:
        waits.append(original(sock, timeout))
        return waits[-1]

    # botocore calls urllib3.util.wait_for_read(conn.sock, 1) after the headers of an upload
    # that expects 100 Continue: True means the interim answer was seen on our socket.
    monkeypatch.setattr(urllib3.util, "wait_for_read", recording_wait)
    s3.put_object(Bucket="bucket", Key="expect", Body=b"e" * (2 * MiB))
    assert waits == [True]
    assert s3.get_object(Bucket="bucket", Key="expect")["Body"].read() == b"e" * (2 * MiB)


def test_a_presigned_url_is_fetched_with_a_pool_manager(s3: typing.Any) -> None:
    s3.put_object(Bucket="bucket", Key="presigned", Body=b"signed body")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "bucket", "Key": "presigned"})
    with urllib3.PoolManager() as http:
        r = http.request("GET", url)
    assert r.status == 200
    assert r.data == b"signed body"


def test_a_server_that_never_answers_is_a_read_timeout() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        client = _client(
            f"http://127.0.0.1:{port}", read_timeout=0.3, connect_timeout=5, retries={"max_attempts": 1}
        )
        with pytest.raises(botocore.exceptions.ReadTimeoutError):
            client.list_buckets()


class _FlakyS3(http.server.BaseHTTPRequestHandler):
    """Answers ListBuckets with a 500 first, then properly."""

    protocol_version = "HTTP/1.1"
    calls = 0

    def do_GET(self) -> None:
        type(self).calls += 1
        if type(self).calls == 1:
            status, body = 500, b"<Error><Code>InternalError</Code><Message>try again</Message></Error>"
        else:
            status, body = 200, (
                b'<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult>'
                b"<Owner><ID>1</ID></Owner><Buckets><Bucket><Name>flaky</Name>"
                b"<CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket></Buckets>"
                b"</ListAllMyBucketsResult>"
            )
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: typing.Any) -> None:
        pass


def test_botocore_retries_a_500() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FlakyS3)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = _client(f"http://127.0.0.1:{server.server_port}", retries={"max_attempts": 3, "mode": "standard"})
        answer = client.list_buckets()
    finally:
        server.shutdown()
        server.server_close()
    assert [b["Name"] for b in answer["Buckets"]] == ["flaky"]
    assert answer["ResponseMetadata"]["RetryAttempts"] == 1
    assert _FlakyS3.calls == 2


def test_aws_connection_sends_the_body_after_100_continue(server) -> None:
    """botocore's own pool class: its connection overrides _send_output and send."""
    url = urllib3.util.parse_url(server.http)
    pool = AWSHTTPConnectionPool(url.host, url.port)
    body = b"x" * 100_000
    r = pool.urlopen("PUT", "/put", body=body, headers={"Expect": "100-continue"})
    assert r.status == 200
    echoed = r.json()
    assert echoed["headers"]["Expect"] == "100-continue"
    assert echoed["data"] == body.decode()


def test_aws_connection_keeps_a_refusal_and_sends_no_body(server) -> None:
    """The server answers 403 instead of 100 Continue: botocore reads the status line through
    sock.makefile("rb", 0), hands it to its own response class, and skips the body."""
    url = urllib3.util.parse_url(server.http)
    pool = AWSHTTPConnectionPool(url.host, url.port, retries=False)
    r = pool.urlopen("PUT", "/refuse-continue", body=b"y" * 100_000, headers={"Expect": "100-continue"})
    assert (r.status, r.data) == (403, b"refused")
    # The connection the server closed is not reused by mistake.
    assert pool.urlopen("GET", "/get").status == 200
