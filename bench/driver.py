"""One Python client, one workload, one fresh process: `driver.py CLIENT WORKLOAD HTTP_BASE
HTTPS_BASE H2_BASE CA_FILE N MIN_SECONDS`. Prints one JSON line (see run.py). The twin of
bench/rust/src/bin/driver.rs; the adapters below are the only client-specific code.

Every adapter has four calls, each returning a body length (or the body for the POST's answer):
get(url) reads the whole, decoded body; stream(url) reads it in 64 KiB pieces; post(url, body)
sends bytes; get_close(url) asks for `Connection: close`, so the next request needs a new
connection. The client's module is imported inside make(), which is what "import" times.

The HTTP/2 workloads (h2threads8, h2_1m) build the adapter with h2=True, talk to H2_BASE (a TLS
port that offers only "h2" in ALPN), and first call version(url): the HTTP version the response
came in (11, 20), which must be 20, so that a row never measures HTTP/1.1 unnoticed. A client
without HTTP/2 is not run on them (run.py's H2_CLIENTS).
"""

import json
import resource
import sys
import threading
import time

MIB = 1 << 20
CHUNK = 64 * 1024
CLOSE = {"Connection": "close"}


class Urllib3:  # ours and the real one: the same code, run by different venvs
    def __init__(self, ca, h2=False):
        import urllib3

        if h2:  # HTTPS pools offer "h2" in ALPN from here on
            import urllib3.http2

            urllib3.http2.inject_into_urllib3()
        self.http = urllib3.PoolManager(maxsize=8, ca_certs=ca)

    def version(self, url):
        r = self.http.request("GET", url)
        return r.version, len(r.data)

    def get(self, url):
        return len(self.http.request("GET", url).data)

    def stream(self, url):
        r = self.http.request("GET", url, preload_content=False)
        n = sum(len(piece) for piece in r.stream(CHUNK))
        r.release_conn()
        return n

    def post(self, url, body):
        return self.http.request("POST", url, body=body).data

    def get_close(self, url):
        return len(self.http.request("GET", url, headers=CLOSE).data)


class Requests:
    def __init__(self, ca, h2=False):
        import requests

        self.s, self.ca = requests.Session(), ca
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=8)
        self.s.mount("http://", adapter)
        self.s.mount("https://", adapter)

    # verify per request: a Session's verify loses to REQUESTS_CA_BUNDLE from the environment.
    def get(self, url):
        return len(self.s.get(url, verify=self.ca).content)

    def stream(self, url):
        with self.s.get(url, stream=True, verify=self.ca) as r:
            return sum(len(piece) for piece in r.iter_content(CHUNK))

    def post(self, url, body):
        return self.s.post(url, data=body, verify=self.ca).content

    def get_close(self, url):
        return len(self.s.get(url, headers=CLOSE, verify=self.ca).content)


class Httpx:
    def __init__(self, ca, h2=False):
        import ssl

        import httpx

        self.c = httpx.Client(verify=ssl.create_default_context(cafile=ca), http2=h2)

    def version(self, url):
        r = self.c.get(url)
        return {"HTTP/1.1": 11, "HTTP/2": 20}.get(r.http_version, r.http_version), len(r.content)

    def get(self, url):
        return len(self.c.get(url).content)

    def stream(self, url):
        with self.c.stream("GET", url) as r:
            return sum(len(piece) for piece in r.iter_bytes(CHUNK))

    def post(self, url, body):
        return self.c.post(url, content=body).content

    def get_close(self, url):
        return len(self.c.get(url, headers=CLOSE).content)


class Pycurl:
    """A Curl handle per thread (handles are not thread-safe), each with its own connection,
    sharing DNS through one CurlShare. Sharing the connection cache too (LOCK_DATA_CONNECT)
    segfaults pycurl 7.49.0 now and then with 8 threads. So with HTTP/2 too, each thread has
    its own connection (8 threads: 8 HTTP/2 connections, one stream at a time on each)."""

    def __init__(self, ca, h2=False):
        import pycurl

        self.pycurl, self.ca, self.local, self.h2 = pycurl, ca, threading.local(), h2
        if h2 and not pycurl.version_info()[4] & pycurl.VERSION_HTTP2:
            raise SystemExit(f"pycurl: this libcurl has no HTTP/2 ({pycurl.version})")
        self.share = pycurl.CurlShare()
        self.share.setopt(pycurl.SH_SHARE, pycurl.LOCK_DATA_DNS)

    def handle(self):
        c = getattr(self.local, "c", None)
        if c is None:
            p = self.pycurl
            c = self.local.c = p.Curl()
            c.setopt(p.SHARE, self.share)
            c.setopt(p.CAINFO, self.ca)
            c.setopt(p.ACCEPT_ENCODING, "")  # decode gzip
            c.setopt(p.BUFFERSIZE, CHUNK)
            # libcurl's own default for https:// is already 2TLS (h2 if ALPN picks it); the
            # HTTP/1.1 rows stay HTTP/1.1 because that port offers only "http/1.1".
            if self.h2:
                c.setopt(p.HTTP_VERSION, p.CURL_HTTP_VERSION_2TLS)
        return c

    def version(self, url):
        pieces = []
        self.perform(url, pieces.append)
        got = self.handle().getinfo(self.pycurl.INFO_HTTP_VERSION)
        by_curl = {self.pycurl.CURL_HTTP_VERSION_1_1: 11, self.pycurl.CURL_HTTP_VERSION_2_0: 20}
        return by_curl.get(got, got), len(b"".join(pieces))

    def perform(self, url, write, headers=()):
        c = self.handle()
        c.setopt(self.pycurl.URL, url)
        c.setopt(self.pycurl.WRITEFUNCTION, write)
        if headers:
            c.setopt(self.pycurl.HTTPHEADER, list(headers))
        c.perform()

    def get(self, url):
        pieces = []
        self.perform(url, pieces.append)
        return len(b"".join(pieces))

    def stream(self, url):
        n = [0]

        def count(piece):
            n[0] += len(piece)

        self.perform(url, count)
        return n[0]

    def post(self, url, body):
        c, pieces = self.handle(), []
        c.setopt(self.pycurl.POSTFIELDS, body)
        # No `Expect: 100-continue` round trip before the body.
        self.perform(url, pieces.append, ["Expect:"])
        return b"".join(pieces)

    def get_close(self, url):
        pieces = []
        self.perform(url, pieces.append, ["Connection: close"])
        return len(b"".join(pieces))


class Pyreqwest:
    def __init__(self, ca, h2=False):
        from pyreqwest.client import SyncClientBuilder

        with open(ca, "rb") as f:
            builder = SyncClientBuilder().add_root_certificate_pem(f.read())
        # HTTP/2 is off by default; http2(True) offers "h2" in ALPN (windows left at defaults).
        self.c = builder.http2(h2).build()

    def version(self, url):
        r = self.c.get(url).build().send()
        return {"HTTP/1.1": 11, "HTTP/2.0": 20}.get(r.version, r.version), len(r.bytes())

    def get(self, url):
        return len(self.c.get(url).build().send().bytes())

    def stream(self, url):
        n = 0
        with self.c.get(url).build_streamed() as r:
            reader = r.body_reader
            while piece := reader.read(CHUNK):
                n += len(piece)
        return n

    def post(self, url, body):
        return bytes(self.c.post(url).body_bytes(body).build().send().bytes())

    def get_close(self, url):
        return len(self.c.get(url).header("Connection", "close").build().send().bytes())


ADAPTERS = {
    "ours": Urllib3,
    "urllib3": Urllib3,
    "requests": Requests,
    "requests+ours": Requests,
    "httpx": Httpx,
    "pycurl": Pycurl,
    "pyreqwest": Pyreqwest,
}


def check(got, want):
    if got != want:
        raise AssertionError(f"body length {got}, expected {want}")


def cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)  # all threads of this process
    return ru.ru_utime + ru.ru_stime


def status_kb(field):
    """VmRSS (now) or VmHWM (peak) of this process. Not ru_maxrss: Linux carries the peak of
    the process that exec'd us (the runner, forked) into it."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))


def lane_counts():
    """(sent, declined) by our fast lane so far; None for a client without it."""
    core = sys.modules.get("urllib3._rs")
    return core._lane_counts() if core is not None else None


def main():
    name, workload, http, https, h2, ca, n, min_seconds = sys.argv[1:]
    n, min_seconds = int(n), float(min_seconds)
    over_h2 = workload.startswith("h2")
    t0 = time.perf_counter()
    c = ADAPTERS[name](ca, h2=over_h2)
    import_s = time.perf_counter() - t0
    if "urllib3" in sys.modules:  # the right urllib3 for the column: ours has a Rust core
        if ("urllib3._rs" in sys.modules) != name.endswith("ours"):
            raise SystemExit(f"{name}: wrong urllib3 {sys.modules['urllib3'].__file__}")
    small = http + "/small"

    if workload == "startup":
        check(c.get(small), 13)
        first_ns = time.monotonic_ns()  # CLOCK_MONOTONIC, the runner's clock too
        for _ in range(n - 1):
            check(c.get(small), 13)
        out = {"first_ns": first_ns, "import_s": import_s, "rss_kb": status_kb("VmRSS")}
        print(json.dumps(out))
        return

    body = b"p" * MIB
    want_post = str(MIB).encode()
    tls_small = https + "/small"
    one = {
        "small": lambda: check(c.get(small), 13),
        "threads8": lambda: check(c.get(small), 13),
        "1m": lambda: check(c.get(http + "/1m"), MIB),
        "64m": lambda: check(c.stream(http + "/64m"), 64 * MIB),
        "gzip": lambda: check(c.get(http + "/gzip1m"), MIB),
        "post": lambda: check(c.post(http + "/sink", body), want_post),
        "tls": lambda: check(c.get(tls_small), 13),
        "tlsnew": lambda: check(c.get_close(tls_small), 13),
        "h2threads8": lambda: check(c.get(h2 + "/small"), 13),
        "h2_1m": lambda: check(c.get(h2 + "/1m"), MIB),
    }[workload]
    if over_h2:
        version, length = c.version(h2 + "/small")
        check(length, 13)
        if version != 20:
            raise SystemExit(f"{name} {workload}: the response came in {version}, not HTTP/2")
    one()  # warm: the connection is open and the code paths have run once

    threads = 8 if workload in ("threads8", "h2threads8") else 1
    done = [0] * threads
    failed = []

    def loop(t):
        # At least n operations in all and at least min_seconds.
        end, ops = time.perf_counter() + min_seconds, 0
        try:
            while ops < n // threads or time.perf_counter() < end:
                one()
                ops += 1
        except BaseException as e:  # a thread's exception would not fail the process
            failed.append(e)
            raise
        done[t] = ops

    lane0 = lane_counts()
    cpu0 = cpu()
    start = time.perf_counter()
    if threads == 1:
        loop(0)
    else:
        pool = [threading.Thread(target=loop, args=(t,)) for t in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
    wall = time.perf_counter() - start
    if failed:
        raise SystemExit(f"{name} {workload}: {len(failed)} thread(s) failed: {failed[0]!r}")
    out = {"ops": sum(done), "wall": wall, "cpu": cpu() - cpu0, "maxrss_kb": status_kb("VmHWM")}
    if lane0 is not None:
        out["lane"] = [after - before for after, before in zip(lane_counts(), lane0)]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
