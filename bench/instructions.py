"""`make instructions`: how many instructions one request costs through our Python package.

Wall and CPU time on a small shared machine move by a third from one run to the next; the
instructions a request executes in user space move by a fraction of a percent. So a change
to the per-request path is measured here first (an A/B of two builds, run in the same
minutes), and timed by `make bench`.

Each case runs its client twice under `valgrind --tool=callgrind`, for FEW and for MANY
requests against bench's server, and prints (instructions(MANY) - instructions(FEW)) /
(MANY - FEW): startup and imports cancel out. Cases: a stock `PoolManager.request` GET over
HTTP/1.1 and over HTTP/2 (with `urllib3.http2.inject_into_urllib3()`), and the exchange alone
(one core call per request, the floor the Python layer adds to).

Environment: PYTHON (default: .venv/bin/python), CASES (comma-separated subset).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SERVER = BENCH / "rust" / "target" / "release" / "benchserver"
FEW, MANY = 200, 1200

# Each client: argv[1] the server's addresses (JSON), argv[2] how many requests.
CLIENT = """
import json, sys
server, n = json.loads(sys.argv[1]), int(sys.argv[2])
import urllib3
case = {case!r}
if case == "http2":
    import urllib3.http2
    urllib3.http2.inject_into_urllib3()
http = urllib3.PoolManager(maxsize=8, ca_certs=server["ca_file"])
url = server["h2" if case == "http2" else "http"] + "/small"
if case == "exchange":
    from urllib3 import _rs
    pool = http.connection_from_url(url)
    pool.urlopen("GET", "/small")
    store, headers = pool.pool, pool.headers
    for _ in range(n):
        conn = store.take_connection()
        core = _rs.exchange(conn.sock, "GET", "/small", "localhost", headers, None, "bench", None, None, True, True, True)
        assert core is not None and core.take_read_ahead() == b"Hello, world!"
        store.put(conn)
else:
    for _ in range(n):
        assert http.request("GET", url).data == b"Hello, world!"
"""
CASES = ("http1", "http2", "exchange")


def instructions(python, case, server, n):
    """The instructions callgrind counted for `n` requests of `case`, startup included."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    run = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         python, "-c", CLIENT.format(case=case), json.dumps(server), str(n)],
        capture_output=True, text=True, env=env, check=False)
    for line in run.stderr.splitlines():
        if "Collected :" in line:
            if run.returncode:
                sys.exit(f"{case}: the client failed:\n{run.stderr[-2000:]}")
            return int(line.rsplit(":", 1)[1])
    sys.exit(f"{case}: no count from callgrind:\n{run.stderr[-2000:]}")


def main():
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is needed (Debian: apt-get install valgrind)")
    python = os.environ.get("PYTHON", str(ROOT / ".venv" / "bin" / "python"))
    cases = os.environ.get("CASES", ",".join(CASES)).split(",")
    tmp = tempfile.mkdtemp(prefix="instructions-")
    server_proc = subprocess.Popen(
        [str(SERVER), os.path.join(tmp, "ca.pem")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        server = json.loads(server_proc.stdout.readline())
        for case in cases:
            few = instructions(python, case, server, FEW)
            many = instructions(python, case, server, MANY)
            print(f"{case:9} {(many - few) / (MANY - FEW):9,.0f} instructions per request", flush=True)
    finally:
        server_proc.stdin.close()
        server_proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
