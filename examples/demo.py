"""`make demo`, Python half: the user guide's requests through the `urllib3` package.

Starts the project's test server (plain and TLS) and prints what each request returns.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import urllib3

ROOT = pathlib.Path(__file__).resolve().parent.parent


def start_server() -> tuple[subprocess.Popen[str], dict[str, str]]:
    binary = ROOT / "target" / "release" / "testserver"
    proc = subprocess.Popen([str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, json.loads(proc.stdout.readline())


def main() -> int:
    proc, urls = start_server()
    base, tls, ca = urls["http"], urls["https"], urls["ca_file"]
    proxy, socks = urls["proxy"], urls["socks"].replace("socks5://", "socks5h://")
    http = urllib3.PoolManager()
    examples = [
        ("GET /get", lambda: http.request("GET", f"{base}/get").json()["url"]),
        ("GET with query fields", lambda: http.request("GET", f"{base}/get", fields={"arg": "value"}).json()["args"]),
        ("POST form fields", lambda: http.request("POST", f"{base}/post", fields={"field": "value"}).json()["form"]),
        ("custom headers", lambda: http.request("GET", f"{base}/headers", headers={"X-Something": "value"}).json()["headers"]["X-Something"]),
        ("JSON body", lambda: http.request("POST", f"{base}/post", json={"attribute": "value"}).json()["json"]),
        ("binary body", lambda: http.request("POST", f"{base}/post", body=b"\x00\x01", headers={"Content-Type": "application/octet-stream"}).json()["headers"]["Content-Length"]),
        ("file upload", lambda: http.request("POST", f"{base}/post", fields={"filefield": ("example.txt", b"file data", "text/plain")}).json()["files"]),
        ("streaming in 16 KiB pieces", lambda: [len(p) for p in http.request("GET", f"{base}/bytes/40000", preload_content=False).stream(16384)]),
        ("gzip, decoded", lambda: http.request("GET", f"{base}/gzip").json()["gzipped"]),
        ("redirects followed", lambda: http.request("GET", f"{base}/redirect/2").json()["url"]),
        ("retries on 500", lambda: http.request("GET", f"{base}/fail-then-succeed?times=2", headers={"X-Retry-Key": "demo-py"}, retries=urllib3.Retry(3, status_forcelist=[500])).status),
        ("read timeout", lambda: _error(lambda: http.request("GET", f"{base}/delay/3", timeout=0.5, retries=False))),
        ("HTTPS verified with ca_certs", lambda: urllib3.PoolManager(ca_certs=ca).request("GET", f"{tls}/get").status),
        ("HTTPS through a CONNECT tunnel", lambda: urllib3.ProxyManager(proxy, ca_certs=ca).request("GET", f"{tls}/get").status),
        ("through SOCKS5h", lambda: _socks(socks, ca).request("GET", f"{base}/get").status),
    ]
    failures = 0
    try:
        for title, run in examples:
            try:
                print(f"{title:<32} {run()}")
            except Exception as e:  # a demo shows every failure and goes on
                failures += 1
                print(f"{title:<32} FAILED: {e!r}")
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)
    return 1 if failures else 0


def _socks(url: str, ca: str) -> urllib3.PoolManager:
    from urllib3.contrib.socks import SOCKSProxyManager

    return SOCKSProxyManager(url, ca_certs=ca)


def _error(call) -> str:  # type: ignore[no-untyped-def]
    try:
        call()
    except urllib3.exceptions.HTTPError as e:
        return f"{type(e).__name__}: {e}"
    return "no error"


if __name__ == "__main__":
    sys.exit(main())
