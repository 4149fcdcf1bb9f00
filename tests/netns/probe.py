"""One timed request through whichever urllib3 this interpreter imports, inside the private
network of ``enter.sh``: for tests/test_connecting.py, and to compare with upstream urllib3 on
the same setup::

    unshare -rnm sh tests/netns/enter.sh PYTHON tests/netns/probe.py dual.test 5

usage: probe.py HOST CONNECT_TIMEOUT [SETTING=VALUE ...]

    delay=SECONDS   urllib3.util.connection.HAPPY_EYEBALLS_DELAY (skipped where it does not exist)
    family=4        urllib3.util.connection.allowed_gai_family replaced to return AF_INET
    has_ipv6=0      urllib3.util.connection.HAS_IPV6 set to False
    port=refused    a port where nothing listens, instead of the probe's server

Starts an HTTP server on 127.0.0.1, sends ``GET /`` to HOST on its port without retries, and
prints one JSON line: ``status`` (or null), ``error`` (the exception's class), ``message`` and
``seconds`` (how long the request took).
"""

from __future__ import annotations

import http.server
import json
import socket
import sys
import threading
import time

import urllib3
from urllib3.util import connection


class _Quiet(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(host: str, connect_timeout: float, settings: dict[str, str]) -> dict[str, object]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = _unused_port() if settings.get("port") == "refused" else server.server_address[1]
    if "delay" in settings and hasattr(connection, "HAPPY_EYEBALLS_DELAY"):
        connection.HAPPY_EYEBALLS_DELAY = float(settings["delay"])  # type: ignore[attr-defined]
    if settings.get("family") == "4":
        connection.allowed_gai_family = lambda: socket.AF_INET
    if settings.get("has_ipv6") == "0":
        connection.HAS_IPV6 = False
    pool = urllib3.PoolManager(timeout=urllib3.Timeout(connect=connect_timeout, read=10), retries=False)
    result: dict[str, object] = {"status": None, "error": None, "message": None}
    started = time.monotonic()
    try:
        result["status"] = pool.request("GET", f"http://{host}:{port}/").status
    except Exception as e:
        result["error"], result["message"] = type(e).__name__, str(e)
    result["seconds"] = time.monotonic() - started
    server.shutdown()
    return result


if __name__ == "__main__":
    pairs = dict(arg.split("=", 1) for arg in sys.argv[3:])
    print(json.dumps(main(sys.argv[1], float(sys.argv[2]), pairs)))
