"""One Python client, one workload, one fresh process: `driver.py CLIENT WORKLOAD HTTP_BASE
HTTPS_BASE CA_FILE N MIN_SECONDS`. Prints one JSON line (see run.py). The twin of
bench/rust/src/bin/driver.rs; the adapters below are the only client-specific code.

Every adapter has four calls, each returning a body length (or the body for the POST's answer):
get(url) reads the whole, decoded body; stream(url) reads it in 64 KiB pieces; post(url, body)
sends bytes; get_close(url) asks for `Connection: close`, so the next request needs a new
connection. The client's module is imported inside make(), which is what "import" times.
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
    def __init__(self, ca):
        import urllib3

        self.http = urllib3.PoolManager(maxsize=8, ca_certs=ca)

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
    def __init__(self, ca):
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
    def __init__(self, ca):
        import ssl

        import httpx

        self.c = httpx.Client(verify=ssl.create_default_context(cafile=ca))

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
    segfaults pycurl 7.49.0 now and then with 8 threads."""

    def __init__(self, ca):
        import pycurl

        self.pycurl, self.ca, self.local = pycurl, ca, threading.local()
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
        return c

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
    def __init__(self, ca):
        from pyreqwest.client import SyncClientBuilder

        with open(ca, "rb") as f:
            self.c = SyncClientBuilder().add_root_certificate_pem(f.read()).build()

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
    name, workload, http, https, ca, n, min_seconds = sys.argv[1:]
    n, min_seconds = int(n), float(min_seconds)
    t0 = time.perf_counter()
    c = ADAPTERS[name](ca)
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
    }[workload]
    one()  # warm: the connection is open and the code paths have run once

    threads = 8 if workload == "threads8" else 1
    done = [0] * threads

    def loop(t):
        # At least n operations in all and at least min_seconds.
        end, ops = time.perf_counter() + min_seconds, 0
        while ops < n // threads or time.perf_counter() < end:
            one()
            ops += 1
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
    out = {"ops": sum(done), "wall": wall, "cpu": cpu() - cpu0, "maxrss_kb": status_kb("VmHWM")}
    if lane0 is not None:
        out["lane"] = [after - before for after, before in zip(lane_counts(), lane0)]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
