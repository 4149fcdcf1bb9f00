"""Fixtures: the project's own test server, started as a subprocess on loopback."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import typing

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _server_binary() -> pathlib.Path:
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    built = [p for p in (target / "release" / "testserver", target / "debug" / "testserver") if p.exists()]
    if not built:
        raise RuntimeError("testserver binary not built: run `cargo build -p testserver`")
    # The most recent build is the one that matches the sources.
    return max(built, key=lambda p: p.stat().st_mtime)


class Server(typing.NamedTuple):
    http: str
    https: str
    ca_file: str
    proxy: str
    socks: str
    #: A SOCKS5 proxy that wants the user "user" with the password "pass".
    socks_auth: str

    def url(self, path: str) -> str:
        return self.http + path


@pytest.fixture(scope="session")
def server() -> typing.Iterator[Server]:
    proc = subprocess.Popen(
        [str(_server_binary())],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    info = json.loads(proc.stdout.readline())
    try:
        yield Server(info["http"], info["https"], info["ca_file"], info["proxy"], info["socks"], info["socks_auth"])
    finally:
        assert proc.stdin is not None
        proc.stdin.close()  # the server exits when its stdin closes
        proc.wait(timeout=10)
