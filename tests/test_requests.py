"""`requests`, installed without its own urllib3, running on this package."""

from __future__ import annotations

import io
import pathlib

import pytest

# `make test` installs requests: its absence is a failure, not a reason to skip.
import requests


def test_requests_uses_this_package() -> None:
    import importlib
    import sys

    # The urllib3 that requests' adapter takes its PoolManager from is this package, whether
    # developed in place (.venv) or installed from the wheel (`make test-wheel`): the upstream
    # urllib3, which boto3's and others' requirements pull in, has no Rust core beside it.
    module = sys.modules[requests.adapters.PoolManager.__module__]
    package = importlib.import_module(module.__name__.partition(".")[0])
    core = importlib.import_module(package.__name__ + "._rs")
    assert core.__file__ is not None and package.__file__ is not None
    assert pathlib.Path(core.__file__).parent == pathlib.Path(package.__file__).parent


def test_get_post_and_upload(server) -> None:
    with requests.Session() as s:
        r = s.get(server.url("/get"), params={"q": "search"})
        assert r.status_code == 200
        assert r.json()["args"] == {"q": "search"}
        r = s.post(server.url("/post"), data={"k": "v"})
        assert r.json()["form"] == {"k": "v"}
        r = s.post(server.url("/post"), json={"a": [1, 2]})
        assert r.json()["json"] == {"a": [1, 2]}
        r = s.post(server.url("/post"), files={"upload": ("notes.txt", io.BytesIO(b"file body"))})
        assert r.json()["files"] == {"upload": "file body"}


def test_streaming(server) -> None:
    r = requests.get(server.url("/stream-bytes/50000?chunk_size=1000"), stream=True)
    received = b"".join(r.iter_content(chunk_size=4096))
    assert len(received) == 50000
    r = requests.get(server.url("/gzip"), stream=True)
    assert r.raw.read(decode_content=True).startswith(b"{")


def test_redirects_and_cookies_across_them(server) -> None:
    with requests.Session() as s:
        r = s.get(server.url("/redirect/2"))
        assert r.status_code == 200
        assert [h.status_code for h in r.history] == [302, 302]
        target = server.url("/get")
        r = s.get(server.url(f"/response-headers?Set-Cookie=session%3Dabc&Location={target}"))
        assert s.cookies.get("session") == "abc"
        r = s.get(server.url("/redirect-to?url=/headers"))
        assert r.json()["headers"]["Cookie"] == "session=abc"


def test_timeouts(server) -> None:
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(server.url("/delay/2"), timeout=0.2)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get("http://127.0.0.1:1/", timeout=1)


def test_https_with_a_custom_ca(server) -> None:
    r = requests.get(server.https + "/get", verify=server.ca_file)
    assert r.status_code == 200
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(server.https + "/get")


def test_through_a_proxy(server) -> None:
    proxies = {"http": server.proxy, "https": server.proxy}
    r = requests.get(server.url("/get"), proxies=proxies)
    assert r.status_code == 200
    r = requests.get(server.https + "/get", proxies=proxies, verify=server.ca_file)
    assert r.status_code == 200
