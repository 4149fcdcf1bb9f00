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
    for profile in ("release", "debug"):
        candidate = target / profile / "testserver"
        if candidate.exists():
            return candidate
    raise RuntimeError("testserver binary not built: run `cargo build -p testserver`")


class Server(typing.NamedTuple):
    http: str
    https: str
    ca_file: str

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
        yield Server(info["http"], info["https"], info["ca_file"])
    finally:
        assert proc.stdin is not None
        proc.stdin.close()  # the server exits when its stdin closes
        proc.wait(timeout=10)
