"""The user guide's examples as a typed program, checked by `mypy --strict` in `make lint`.

It must type-check against urllib3 2.8.0 and against this package alike: a user whose code
passed mypy on urllib3 keeps it passing here. `make lint` checks it against both; it is
type-checked, not run.
"""

from __future__ import annotations

import io
import json
import logging

import urllib3
from urllib3.exceptions import HTTPError, MaxRetryError, NewConnectionError, ReadTimeoutError
from urllib3.util import Retry, Timeout, make_headers, parse_url


def making_requests(base: str) -> dict[str, object]:
    http = urllib3.PoolManager()
    r = http.request("GET", base + "/robots.txt")
    status: int = r.status
    body: bytes = r.data
    assert status == 200 and body
    r = http.request("POST", base + "/post", fields={"hello": "world"})
    # urllib3 2.x: the top-level function uses a module-wide PoolManager.
    r = urllib3.request("GET", base + "/get", headers={"X-Something": "value"})
    content_type: str | None = r.headers.get("Content-Type")
    assert content_type is not None
    data: dict[str, object] = r.json()
    return data


def request_data(base: str) -> None:
    http = urllib3.PoolManager()
    http.request("GET", base + "/get", fields={"arg": "value"})
    http.request("POST", base + "/post?arg=value")
    http.request(
        "POST",
        base + "/post",
        body=json.dumps({"attribute": "value"}).encode("utf-8"),
        headers={"Content-Type": "application/json"},
    )
    http.request("POST", base + "/post", json={"attribute": "value"})
    with open(__file__, "rb") as fp:
        file_data = fp.read()
    http.request("POST", base + "/post", fields={"filefield": ("example.txt", file_data, "text/plain")})
    http.request("POST", base + "/post", body=file_data, headers={"Content-Type": "image/jpeg"})


def headers_and_auth(base: str) -> None:
    headers = make_headers(basic_auth="user:passwd", keep_alive=True, user_agent="guide/1.0")
    http = urllib3.PoolManager(headers=headers)
    r = http.request("GET", base + "/headers")
    for name, value in r.headers.items():
        print(name, value)
    print(r.headers.getlist("Set-Cookie"))


def streaming(base: str) -> int:
    http = urllib3.PoolManager()
    r = http.request("GET", base + "/bytes/1024", preload_content=False)
    total = 0
    for chunk in r.stream(32):
        total += len(chunk)
    r.release_conn()
    r = http.request("GET", base + "/bytes/1024", preload_content=False)
    reader = io.BufferedReader(r, 2048)  # type-checks: HTTPResponse is an io.IOBase
    total += len(reader.read(64))
    reader.close()
    return total


def timeouts_and_retries(base: str) -> None:
    http = urllib3.PoolManager(timeout=Timeout(connect=2.0, read=7.0), retries=Retry(3, redirect=2))
    http.request("GET", base + "/delay/1", timeout=4.0)
    http.request("GET", base + "/redirect/3", retries=Retry(redirect=False))
    http.request("GET", base + "/status/503", retries=Retry(total=5, backoff_factor=0.2, status_forcelist=[503]))
    try:
        http.request("GET", "http://nx.invalid/", retries=False)
    except NewConnectionError as e:
        print("refused:", e)
    except MaxRetryError as e:
        reason: Exception | None = e.reason
        print(e.url, reason)
    except ReadTimeoutError:
        pass
    except HTTPError:
        raise


def pools_and_tls(host: str, port: int, ca_certs: str) -> None:
    pool = urllib3.HTTPSConnectionPool(host, port=port, maxsize=4, block=True, ca_certs=ca_certs)
    r = pool.request("GET", "/get")
    r.release_conn()
    secure = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=ca_certs)
    secure.request("GET", f"https://{host}:{port}/get")
    url = parse_url(f"https://{host}:{port}/path?q=1")
    assert url.host is not None and url.request_uri == "/path?q=1"


def proxies(proxy_url: str, base: str) -> None:
    proxy = urllib3.ProxyManager(proxy_url, proxy_headers=make_headers(proxy_basic_auth="u:p"))
    proxy.request("GET", base + "/get")
    from urllib3.contrib.socks import SOCKSProxyManager

    socks = SOCKSProxyManager("socks5h://localhost:1080/")
    socks.request("GET", base + "/get")


def logging_and_warnings() -> None:
    handler: logging.Handler = urllib3.add_stderr_logger(logging.DEBUG)
    logging.getLogger("urllib3").removeHandler(handler)
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
