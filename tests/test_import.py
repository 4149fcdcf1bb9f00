"""What `import urllib3` loads, and that what it leaves for first use is there when asked for.

Importing urllib3 leaves the pools, connections and responses (and with them http.client,
email and ssl, most of the import's cost) until something uses them; every name urllib3 2.8
offers must still be reachable the way code reaches it.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import typing

import pytest

import urllib3

HEAVY = ("http.client", "email.parser", "ssl", "socket", "json", "urllib3.connection", "urllib3.response")


def _fresh(code: str) -> typing.Any:
    """Runs ``code`` in a fresh interpreter and returns what it prints as JSON."""
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def test_import_and_a_manager_leave_http_client_tls_and_sockets_for_first_use() -> None:
    loaded = _fresh(
        "import json, sys, urllib3\n"
        "urllib3.PoolManager(maxsize=8)\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules and m != 'json']))"
    )
    assert loaded == []


@pytest.mark.parametrize(
    "expression",
    [
        "urllib3.HTTPConnectionPool.__module__",
        "urllib3.HTTPSConnectionPool.__module__",
        "urllib3.connection_from_url.__module__",
        "urllib3.HTTPResponse.__module__",
        "urllib3.BaseHTTPResponse.__module__",
        "urllib3.connectionpool.__name__",
        "urllib3.connection.HTTPConnection.__module__",
        "urllib3.response.__name__",
        "urllib3.util.ssl_.__name__",
        "urllib3.util.SSLContext.__name__",
        "urllib3.util.is_fp_closed.__module__",
        "urllib3.util.is_connection_dropped.__module__",
        "urllib3.util.wait_for_read.__module__",
        "urllib3.util.connection.HAS_IPV6",
        "urllib3.exceptions.IncompleteRead.__module__",
        "urllib3.exceptions.InvalidChunkLength.__module__",
        "urllib3.poolmanager.pool_classes_by_scheme['https'].__name__",
        "urllib3.util.url._IPV6_ADDRZ_RE.pattern[:2]",
    ],
)
def test_names_left_for_first_use_are_reachable_in_a_fresh_process(expression: str) -> None:
    assert _fresh(f"import json, urllib3\nprint(json.dumps({expression}))")


def test_the_read_errors_are_http_clients_and_pickle_under_urllib3s_name() -> None:
    import http.client

    from urllib3.exceptions import IncompleteRead, InvalidChunkLength

    err = IncompleteRead(3, 7)
    assert isinstance(err, http.client.IncompleteRead)
    assert issubclass(InvalidChunkLength, http.client.IncompleteRead)
    assert repr(pickle.loads(pickle.dumps(err))) == "IncompleteRead(3 bytes read, 7 more expected)"
    assert type(err).__module__ == "urllib3.exceptions"


def test_star_imports_still_give_every_name() -> None:
    names: dict[str, object] = {}
    exec("from urllib3.util import *", names)
    assert {"ssl_wrap_socket", "create_urllib3_context", "is_fp_closed", "parse_url"} <= set(names)
    names = {}
    exec("from urllib3 import *", names)
    assert {"HTTPConnectionPool", "HTTPResponse", "PoolManager", "request"} <= set(names)


def test_a_managers_pool_classes_can_be_replaced_before_its_first_pool(server) -> None:
    made = []

    class CountingPool(urllib3.HTTPConnectionPool):
        def __init__(self, *args: object, **kwargs: object) -> None:
            made.append(args[0])
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    http = urllib3.PoolManager()
    http.pool_classes_by_scheme = {**http.pool_classes_by_scheme, "http": CountingPool}
    assert http.request("GET", server.url("/get")).status == 200
    assert made == ["127.0.0.1"]
    assert urllib3.PoolManager().pool_classes_by_scheme["http"] is urllib3.HTTPConnectionPool
