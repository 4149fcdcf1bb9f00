"""`make bench`: every client on every workload against one server; writes bench/results.md.

Method (../shared/spec/perf-anchors.md): the server (bench/rust, benchserver) is pinned to CPU 1;
each client runs each workload in a fresh process pinned to CPU 0 (the 8-thread workloads
unpinned); REPS interleaved repetitions (rep 1 of every client, then rep 2, ...); tables show
medians. Before each client the runner waits (up to QUIET_MAX seconds) until /proc/stat shows
other work under 10% of the CPUs (niced work not counted, but reported). A driver (bench/driver.py for Python clients,
bench/rust driver for Rust ones) warms its client with one request, then runs a workload's
operation at least N times and for at least MIN_SECONDS, checks every body length, and prints
{"ops", "wall", "cpu" (process CPU, all threads, getrusage), "maxrss_kb"}; the startup workload
prints {"first_ns" (CLOCK_MONOTONIC at the first response), "import_s", "rss_kb" (after 1000
requests)}.

HTTP/2 (h2threads8, h2_1m): the server's third port offers only "h2" in ALPN; only the clients
in H2_CLIENTS run them (the others' cells stay empty, "–"), and each driver checks once, before
timing, that its response came in HTTP/2, and fails otherwise.

Environment: REPS (default 3), QUICK=1 (few iterations: a smoke test), QUIET_MAX (default 30),
CLIENTS and WORKLOADS (comma-separated subsets), NO_SETUP=1 (skip the venv installs). A QUICK or
subset run writes bench/results-partial.md instead of bench/results.md.
"""

import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RUST = BENCH / "rust" / "target" / "release"
OURS_VENV = ROOT / ".venv"
REAL_VENV = BENCH / ".venv-urllib3"
CLIENTS_VENV = BENCH / ".venv-clients"

# Column, kind, venv (Python) and the name the driver knows it by.
CLIENTS = [
    ("ours", "py", OURS_VENV, "ours"),
    ("urllib3", "py", REAL_VENV, "urllib3"),
    ("requests", "py", REAL_VENV, "requests"),
    ("requests+ours", "py", OURS_VENV, "requests+ours"),
    ("httpx", "py", CLIENTS_VENV, "httpx"),
    ("pycurl", "py", CLIENTS_VENV, "pycurl"),
    ("pyreqwest", "py", CLIENTS_VENV, "pyreqwest"),
    ("ours (Rust)", "rust", None, "ours"),
    ("ureq", "rust", None, "ureq"),
    ("reqwest", "rust", None, "reqwest"),
    ("raw", "rust", None, "raw"),
]
# What each bench venv gets from PyPI (pinned to the versions perf-anchors.md measured).
PACKAGES = {
    REAL_VENV: ["urllib3==2.8.0", "requests==2.34.2"],
    # httpx's http2 extra brings the h2 package its HTTP/2 needs.
    CLIENTS_VENV: ["httpx[http2]==0.28.1", "pycurl==7.49.0", "pyreqwest==0.15.1"],
}
# What must import for a package to count as installed (the extra's h2 too for httpx).
IMPORT_NAME = {"httpx[http2]": "httpx, h2", "pycurl": "pycurl", "pyreqwest": "pyreqwest"}

# Workload: minimum operations (the timed loop also runs at least MIN_SECONDS).
WORKLOADS = {
    "small": 2000,
    "1m": 200,
    "64m": 5,
    "gzip": 200,
    "post": 200,
    "threads8": 2000,
    "tls": 2000,
    "tlsnew": 200,
    "startup": 1000,  # exactly: RSS is read after 1000 requests
    "h2threads8": 2000,  # 8 threads, one client, GET /small over HTTP/2
    "h2_1m": 200,  # GET 1 MiB over HTTP/2
}
# Workloads run with 8 threads and unpinned (two CPUs for the client's threads).
THREADED = {"threads8", "h2threads8"}
# Columns that speak HTTP/2 (the rest, urllib3 and requests included, are not run on h2_*):
# upstream urllib3's HTTP/2 needs the h2 package, not in its venv, and is not measured here.
H2_CLIENTS = {"ours", "httpx", "pycurl", "pyreqwest", "ours (Rust)", "reqwest"}

MIB = 1 << 20


def per_op(scale):
    return lambda r: r["cpu"] / r["ops"] * scale


# Rows: label, unit, workload, value from one result (and the spawn time), higher is better?
ROWS = [
    ("a. GET /small, keep-alive", "req/s", "small", lambda r: r["ops"] / r["wall"], True),
    ("a. same: wall per request", "µs", "small", lambda r: r["wall"] / r["ops"] * 1e6, False),
    ("a. same: client CPU per request", "µs", "small", per_op(1e6), False),
    ("b. GET 1 MiB ×200", "MiB/s", "1m", lambda r: r["ops"] / r["wall"], True),
    ("c. GET 64 MiB ×5, 64 KiB chunks", "MiB/s", "64m", lambda r: 64 * r["ops"] / r["wall"], True),
    ("c. same: peak RSS", "MiB", "64m", lambda r: r["maxrss_kb"] / 1024, False),
    ("d. GET gzip 1 MiB ×200, decoded", "MiB/s", "gzip", lambda r: r["ops"] / r["wall"], True),
    ("e. POST 1 MiB ×200", "MiB/s", "post", lambda r: r["ops"] / r["wall"], True),
    ("f. 8 threads, GET /small (unpinned)", "req/s", "threads8", lambda r: r["ops"] / r["wall"], True),
    ("g. TLS GET /small, keep-alive", "req/s", "tls", lambda r: r["ops"] / r["wall"], True),
    ("g. TLS new connection per request", "conn/s", "tlsnew", lambda r: r["ops"] / r["wall"], True),
    ("h. import", "ms", "startup", lambda r: r["import_s"] and r["import_s"] * 1e3, False),
    ("h. fresh process to first response", "ms", "startup", lambda r: (r["first_ns"] - r["spawn_ns"]) / 1e6, False),
    ("h. RSS after 1000 requests", "MiB", "startup", lambda r: r["rss_kb"] / 1024, False),
    ("h. HTTP/2 8 threads GET /small (unpinned)", "req/s", "h2threads8", lambda r: r["ops"] / r["wall"], True),
    ("i. HTTP/2 GET 1 MiB ×200", "MiB/s", "h2_1m", lambda r: r["ops"] / r["wall"], True),
]
CPU_ROWS = [
    ("a. GET /small", "µs/req", "small", per_op(1e6)),
    ("b. GET 1 MiB", "ms/MiB", "1m", per_op(1e3)),
    ("c. GET 64 MiB streamed", "ms/MiB", "64m", per_op(1e3 / 64)),
    ("d. gzip 1 MiB decoded", "ms/MiB", "gzip", per_op(1e3)),
    ("e. POST 1 MiB", "ms/MiB", "post", per_op(1e3)),
    ("f. 8 threads GET /small", "µs/req", "threads8", per_op(1e6)),
    ("g. TLS GET /small", "µs/req", "tls", per_op(1e6)),
    ("g. TLS new connection", "µs/conn", "tlsnew", per_op(1e6)),
    ("h. HTTP/2 8 threads GET /small", "µs/req", "h2threads8", per_op(1e6)),
    ("i. HTTP/2 GET 1 MiB", "ms/MiB", "h2_1m", per_op(1e3)),
]


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def py(venv):
    return venv / "bin" / "python"


def setup():
    """Creates the bench venvs; returns {column: why it is unavailable}."""
    missing = {}
    for venv, packages in PACKAGES.items():
        if not py(venv).exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run([py(venv), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=False)
        for package in packages:
            name = package.split("==")[0]
            have = subprocess.run([py(venv), "-c", f"import {IMPORT_NAME.get(name, name)}"], capture_output=True)
            name = name.split("[")[0]  # the column's name, without the extra
            if have.returncode == 0:
                continue
            log(f"installing {package} into {venv.relative_to(ROOT)}")
            done = subprocess.run([py(venv), "-m", "pip", "install", "-q", package], capture_output=True, text=True)
            if done.returncode != 0:
                why = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
                log(f"!! {package} did not install: {why}")
                missing[name] = f"{package} did not install: {why}"
    # requests on top of our package: installed without its urllib3 dependency.
    if subprocess.run([py(OURS_VENV), "-c", "import requests"], capture_output=True).returncode:
        subprocess.run([py(OURS_VENV), "-m", "pip", "install", "-q", "--no-deps", "requests==2.34.2"], check=False)
        subprocess.run([py(OURS_VENV), "-m", "pip", "install", "-q", "charset-normalizer", "idna", "certifi"], check=False)
    return missing


def versions():
    """One line per client saying what was measured."""
    code = (
        "import importlib.metadata as m, sys\n"
        "for n in sys.argv[1:]:\n"
        "    try: print(n, m.version(n))\n"
        "    except Exception: pass\n"
    )
    out = []
    for venv, names in [(OURS_VENV, ["urllib3", "requests"]), (REAL_VENV, ["urllib3", "requests"]),
                        (CLIENTS_VENV, ["httpx", "pycurl", "pyreqwest"])]:
        if py(venv).exists():
            got = subprocess.run([py(venv), "-c", code, *names], capture_output=True, text=True).stdout
            out.append(f"{venv.relative_to(ROOT)}: " + ", ".join(got.split("\n")[:-1]))
    return out


def cpu_busy(interval=0.5):
    """Shares of all CPUs busy over `interval` seconds, from /proc/stat: (normal-priority
    work, niced work). Niced work (nice 19 background jobs) barely competes with ours, so only
    the first counts for the wait; both are reported."""

    def sample():
        with open("/proc/stat") as f:
            user, nice, system, idle, iowait, irq, softirq, steal = map(int, f.readline().split()[1:9])
        return user + system + irq + softirq + steal, nice, user + nice + system + idle + iowait + irq + softirq + steal

    busy0, nice0, total0 = sample()
    time.sleep(interval)
    busy1, nice1, total1 = sample()
    total = max(1, total1 - total0)
    return (busy1 - busy0) / total, (nice1 - nice0) / total


def wait_quiet(limit):
    start = time.monotonic()
    while True:
        busy, nice = cpu_busy()
        if busy < 0.10 or time.monotonic() - start > limit:
            return busy, nice


def snapshot_ours(tmp):
    """A copy of our package (python/urllib3 with its built extension) for the whole run, put
    first on PYTHONPATH for the .venv clients: others may rebuild or edit it meanwhile. Refuses
    a debug build of the extension."""
    src = ROOT / "python" / "urllib3"
    ext = next(src.glob("_rs*.so"), None)
    if ext is None:
        sys.exit("no built extension in python/urllib3: run `.venv/bin/maturin develop --release`")
    if b"precondition_check" in ext.read_bytes():  # only debug builds keep these checks
        sys.exit(f"{ext} is a debug build: run `.venv/bin/maturin develop --release` first")
    dest = Path(tmp) / "ours" / "urllib3"
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__"))
    # As pip leaves an installed package (the real urllib3's venv has them): with
    # PYTHONDONTWRITEBYTECODE set, as it is on some machines, every import would compile anew.
    compileall.compile_dir(dest, quiet=1)
    return str(Path(tmp) / "ours")


def run_one(kind, venv, name, workload, server, n, min_seconds, env=None):
    if kind == "py":
        cmd = [str(py(venv)), str(BENCH / "driver.py")]
    else:
        cmd = [str(RUST / "driver")]
    cmd += [name, workload, server["http"], server["https"], server["h2"], server["ca_file"], str(n), str(min_seconds)]
    if workload not in THREADED:
        cmd = ["taskset", "-c", "0"] + cmd
    spawn_ns = time.monotonic_ns()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=BENCH, env=env)
    if done.returncode != 0:
        why = " | ".join(done.stderr.strip().splitlines()[-3:])
        log(f"!! {name} {workload} failed (exit {done.returncode}): {why}")
        return None
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["spawn_ns"] = spawn_ns
    return result


def fmt(x):
    if x is None:
        return "–"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    return f"{x:.3g}"


def table(title, unit_header, columns, rows):
    lines = [f"| {title} | {unit_header} | " + " | ".join(columns) + " |",
             "|---|---|" + "---:|" * len(columns)]
    lines += [f"| {label} | {unit} | " + " | ".join(cells) + " |" for label, unit, cells in rows]
    return "\n".join(lines)


def report(results, columns, missing, busy, reps, quick, started):
    def values(col, workload, value):
        out = []
        for r in results.get(col, {}).get(workload, []):
            v = value(r)
            if v is not None:
                out.append(v)
        return out

    def median(col, workload, value):
        vs = values(col, workload, value)
        return statistics.median(vs) if vs else None

    main, spreads = [], []
    medians = {}
    for label, unit, workload, value, higher in ROWS:
        medians[label] = {c: median(c, workload, value) for c in columns}
        main.append((label, unit, [fmt(medians[label][c]) for c in columns]))
        for c in columns:
            vs = values(c, workload, value)
            if len(vs) > 1 and statistics.median(vs):
                spreads.append((max(vs) - min(vs)) / statistics.median(vs))

    def ratios(base):
        rows = []
        for label, unit, _, _, higher in ROWS:
            m, b = medians[label], medians[label].get(base)
            cells = []
            for c in columns:
                if m[c] is None or not b:
                    cells.append("–")
                else:
                    cells.append(f"{(m[c] / b) if higher else (b / m[c]):.2f}")
            rows.append((label, unit, cells))
        return rows

    cpu = [(label, unit, [fmt(median(c, w, v)) for c in columns]) for label, unit, w, v in CPU_ROWS]
    quiet = "n/a"
    if busy:
        normal, niced = [b[0] for b in busy], [b[1] for b in busy]
        quiet = f"{min(normal):.0%}–{max(normal):.0%} (and niced background work {min(niced):.0%}–{max(niced):.0%})"
    spread = (f"median {statistics.median(spreads):.0%}, largest {max(spreads):.0%}" if spreads else "n/a")
    with open("/proc/cpuinfo") as f:
        model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    rustc = subprocess.run(["rustc", "-V"], capture_output=True, text=True).stdout.strip()
    out = [
        "# Benchmark results (`make bench`)",
        "",
        f"Run {started}{' (QUICK: smoke test, not numbers to quote)' if quick else ''}. "
        f"Medians of {reps} interleaved repetition(s). Method: ../shared/spec/perf-anchors.md and "
        "bench/run.py (server on CPU 1, each client a fresh process on CPU 0, the 8-thread workloads "
        "unpinned; each timed loop runs at least the stated count and at least "
        f"{'0.05' if quick else '1'} s; every body length is checked).",
        "",
        f"Machine: {os.cpu_count()} CPUs ({model}), Linux {os.uname().release}, "
        f"CPython {sys.version.split()[0]}, {rustc}. Other work's share of the CPUs before each "
        f"client: {quiet}. Spread (max-min)/median of a cell over its reps: {spread}.",
        "",
        "Clients: `ours` = this repository's Python package (`.venv`, release build); "
        "`requests+ours` = requests on top of it; `urllib3`/`requests` = the real ones; "
        "`ours (Rust)` = crates/urllib3 used from Rust; `raw` = the floor (one kept-alive socket, "
        "a fixed request written in one call, the body read to its Content-Length; rustls for TLS).",
        "",
        *[f"- {line}" for line in versions()],
        "- Adapters (bench/driver.py): urllib3 and ours `PoolManager(maxsize=8, ca_certs=…)`; "
        "requests a `Session` with `pool_maxsize=8`; httpx a `Client`; pycurl a `Curl` handle per "
        "thread, DNS shared through a `CurlShare` (sharing connections too segfaults pycurl with 8 "
        "threads), POST without `Expect: 100-continue`; pyreqwest a `SyncClient`. A new TLS "
        "connection per request is asked for with `Connection: close`; the server has TLS "
        "resumption off.",
        "- HTTP/2 rows (h, i): a TLS port offering only \"h2\" in ALPN (the TLS rows' port offers only "
        "\"http/1.1\", so they stay HTTP/1.1 for every client); each driver checks that its first "
        "response came in HTTP/2. ours `urllib3.http2.inject_into_urllib3()` and one `PoolManager` for "
        "the 8 threads; ours (Rust) `TlsConfig::with_alpn_protocols([\"h2\", \"http/1.1\"])`, one "
        "`PoolManager`; httpx `Client(http2=True)`; pycurl `CURL_HTTP_VERSION_2TLS`, still a `Curl` "
        "handle per thread, so 8 HTTP/2 connections with one stream each; pyreqwest "
        "`SyncClientBuilder().http2(True)`; reqwest with its `http2` feature (ALPN). Clients without "
        "HTTP/2 (urllib3 and requests as measured here, ureq, raw) are not run: \"–\". Row f is the "
        "HTTP/1.1 comparison for row h, row b for row i.",
        *[f"- {c}: – ({why})" for c, why in missing.items()],
        "",
        table("workload (median)", "unit", columns, main),
        "",
        "Relative to urllib3 (>1 = better than urllib3):",
        "",
        table("× urllib3", "unit", columns, ratios("urllib3")),
        "",
        "Relative to the raw floor (1 = as good as the floor):",
        "",
        table("÷ raw", "unit", columns, ratios("raw")),
        "",
        "Client CPU time per unit of work (process CPU, all threads; lower = better):",
        "",
        table("client CPU (median)", "unit", columns, cpu),
        "",
        "Our fast lane in the timed loops (all repetitions; `urllib3._rs._lane_counts()`):",
        "",
        *lane_lines(results),
        "",
    ]
    return "\n".join(out)


def lane_lines(results):
    """Per column and workload: operations timed, requests the lane sent, requests it declined."""
    lines = []
    for col, by_workload in results.items():
        for workload, runs in by_workload.items():
            counted = [r for r in runs if "lane" in r]
            if counted:
                ops = sum(r["ops"] for r in counted)
                sent = sum(r["lane"][0] for r in counted)
                declined = sum(r["lane"][1] for r in counted)
                lines.append(f"- {col}, {workload}: {ops:,} operations, {sent:,} sent by the lane, {declined:,} declined")
    return lines or ["- (no client with the lane ran)"]


def main():
    reps = int(os.environ.get("REPS", "3"))
    quick = os.environ.get("QUICK", "") not in ("", "0")
    quiet_max = float(os.environ.get("QUIET_MAX", "30"))
    wanted = os.environ.get("CLIENTS")
    clients = [c for c in CLIENTS if not wanted or c[0] in wanted.split(",")]
    wanted = os.environ.get("WORKLOADS")
    workloads = [w for w in WORKLOADS if not wanted or w in wanted.split(",")]
    min_seconds = 0.05 if quick else 1.0
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())

    missing = {} if os.environ.get("NO_SETUP") else setup()
    for col, kind, venv, _ in clients:
        if kind == "py" and not py(venv).exists():
            missing[col] = f"no {venv.relative_to(ROOT)}"
    clients = [c for c in clients if c[0] not in missing]
    columns = [c[0] for c in clients] + [c for c in missing]

    tmp = tempfile.mkdtemp(prefix="bench-")
    ours_env = dict(os.environ, PYTHONPATH=snapshot_ours(tmp))
    server_proc = subprocess.Popen(
        ["taskset", "-c", "1", str(RUST / "benchserver"), os.path.join(tmp, "ca.pem")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    server = json.loads(server_proc.stdout.readline())
    log(f"server: {server['http']} {server['https']} {server['h2']}")

    results, busy = {}, []
    try:
        for rep in range(1, reps + 1):
            for col, kind, venv, name in clients:
                busy.append(wait_quiet(quiet_max))
                for w in workloads:
                    if w.startswith("h2") and col not in H2_CLIENTS:
                        continue  # no HTTP/2: the cell stays empty
                    n = max(1, WORKLOADS[w] // 20) if quick else WORKLOADS[w]
                    env = ours_env if venv == OURS_VENV else None
                    r = run_one(kind, venv, name, w, server, n, min_seconds, env)
                    if r is not None:
                        results.setdefault(col, {}).setdefault(w, []).append(r)
                log(f"rep {rep}/{reps} {col}: done (other work before: {busy[-1][0]:.0%}, niced {busy[-1][1]:.0%})")
    finally:
        server_proc.stdin.close()
        server_proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)

    # Smoke tests and subsets must not replace the full run's tables.
    full = not quick and not os.environ.get("CLIENTS") and not os.environ.get("WORKLOADS")
    name = "results" if full else "results-partial"
    # The raw results first: a long run is not lost if the report fails.
    (BENCH / f"{name}.json").write_text(json.dumps(results, indent=1))
    text = report(results, columns, missing, busy, reps, quick, started)
    print(text)
    (BENCH / f"{name}.md").write_text(text)
    log(f"wrote bench/{name}.md")


if __name__ == "__main__":
    main()
