//! `driver CLIENT WORKLOAD HTTP_BASE HTTPS_BASE H2_BASE CA_FILE N MIN_SECONDS`: the Rust clients'
//! side of the benchmark, the twin of `bench/driver.py`. CLIENT is `ours` (crates/urllib3), `ureq`,
//! `reqwest` (blocking, rustls) or `raw` (the floor); WORKLOAD and the JSON line it prints are
//! described in `bench/run.py`. The HTTP/2 workloads (`h2threads8`, `h2_1m`) go to H2_BASE, a TLS
//! port that offers only "h2", and check first that the response came in HTTP/2; only `ours` and
//! `reqwest` speak it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Instant;

const MIB: usize = 1 << 20;
const CHUNK: usize = 64 * 1024;

/// What a client does for the workloads. Every method returns a body length (or the body, for
/// the POST's answer) so the caller can check it.
trait Client: Sync {
    fn get(&self, url: &str) -> usize;
    fn stream(&self, url: &str) -> usize;
    fn post(&self, url: &str, body: &'static [u8]) -> Vec<u8>;
    fn get_close(&self, url: &str) -> usize;
    /// One GET: the HTTP version its response came in (11, 20) and the body's length.
    fn version(&self, _url: &str) -> (u8, usize) {
        panic!("this client does not speak HTTP/2")
    }
}

// ---- ours: crates/urllib3 ----

struct Ours(urllib3::PoolManager);

impl Ours {
    /// `h2`: offer "h2" (and "http/1.1") in ALPN, for the HTTP/2 workloads only, so that the
    /// other workloads run as before.
    fn new(ca: &str, h2: bool) -> Self {
        let mut tls = urllib3::TlsConfig::new().with_ca_certs(ca);
        if h2 {
            tls = tls.with_alpn_protocols(["h2", "http/1.1"]);
        }
        let config = urllib3::PoolConfig {
            maxsize: 8,
            tls,
            ..urllib3::PoolConfig::default()
        };
        Ours(urllib3::PoolManager::with_config(10, config))
    }
    fn open(&self, method: &str, url: &str, options: urllib3::RequestOptions) -> urllib3::Response {
        self.0.urlopen(method, url, options).unwrap()
    }
}

impl Client for Ours {
    fn get(&self, url: &str) -> usize {
        let mut r = self.open("GET", url, urllib3::RequestOptions::new());
        r.data().unwrap().len()
    }
    fn stream(&self, url: &str) -> usize {
        let options = urllib3::RequestOptions::new().preload_content(false);
        read_chunks(self.open("GET", url, options))
    }
    fn post(&self, url: &str, body: &'static [u8]) -> Vec<u8> {
        let options = urllib3::RequestOptions::new().body(body);
        self.open("POST", url, options).data().unwrap().to_vec()
    }
    fn get_close(&self, url: &str) -> usize {
        let options = urllib3::RequestOptions::new().header("Connection", "close");
        self.open("GET", url, options).data().unwrap().len()
    }
    fn version(&self, url: &str) -> (u8, usize) {
        let mut r = self.open("GET", url, urllib3::RequestOptions::new());
        (r.version().as_int(), r.data().unwrap().len())
    }
}

// ---- ureq 3 ----

struct Ureq(ureq::Agent);

impl Ureq {
    fn new(ca: &str) -> Self {
        use ureq::tls::{Certificate, RootCerts, TlsConfig};
        let pem = std::fs::read(ca).unwrap();
        let cert = Certificate::from_pem(&pem).unwrap().to_owned();
        let tls = TlsConfig::builder()
            .root_certs(RootCerts::new_with_certs(&[cert]))
            .build();
        let config = ureq::Agent::config_builder()
            .tls_config(tls)
            .max_idle_connections_per_host(8)
            .build();
        Ureq(config.into())
    }
}

impl Client for Ureq {
    fn get(&self, url: &str) -> usize {
        let mut r = self.0.get(url).call().unwrap();
        r.body_mut().read_to_vec().unwrap().len()
    }
    fn stream(&self, url: &str) -> usize {
        read_chunks(self.0.get(url).call().unwrap().into_body().into_reader())
    }
    fn post(&self, url: &str, body: &'static [u8]) -> Vec<u8> {
        let mut r = self.0.post(url).send(body).unwrap();
        r.body_mut().read_to_vec().unwrap()
    }
    fn get_close(&self, url: &str) -> usize {
        let mut r = self
            .0
            .get(url)
            .header("Connection", "close")
            .call()
            .unwrap();
        r.body_mut().read_to_vec().unwrap().len()
    }
}

// ---- reqwest 0.12 blocking, rustls ----

struct Reqwest(reqwest::blocking::Client);

impl Reqwest {
    fn new(ca: &str) -> Self {
        let pem = std::fs::read(ca).unwrap();
        let client = reqwest::blocking::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
            .build()
            .unwrap();
        Reqwest(client)
    }
}

impl Client for Reqwest {
    fn get(&self, url: &str) -> usize {
        self.0.get(url).send().unwrap().bytes().unwrap().len()
    }
    fn stream(&self, url: &str) -> usize {
        read_chunks(self.0.get(url).send().unwrap())
    }
    fn post(&self, url: &str, body: &'static [u8]) -> Vec<u8> {
        let r = self.0.post(url).body(body).send().unwrap();
        r.bytes().unwrap().to_vec()
    }
    fn get_close(&self, url: &str) -> usize {
        let r = self
            .0
            .get(url)
            .header("Connection", "close")
            .send()
            .unwrap();
        r.bytes().unwrap().len()
    }
    fn version(&self, url: &str) -> (u8, usize) {
        let r = self.0.get(url).send().unwrap();
        let version = match r.version() {
            reqwest::Version::HTTP_11 => 11,
            reqwest::Version::HTTP_2 => 20,
            other => panic!("reqwest: response in {other:?}"),
        };
        (version, r.bytes().unwrap().len())
    }
}

// ---- the raw floor ----

/// One kept-alive socket per thread (plain or rustls), a fixed request written in one call,
/// the head read to its blank line, Content-Length found by a line scan, the body read to it.
struct Raw {
    tls: Option<Arc<rustls::ClientConfig>>,
    idle: Mutex<Vec<Box<dyn Stream>>>,
}

trait Stream: Read + Write + Send {}

thread_local! {
    /// The read buffer, reused by every request of a thread.
    static BUF: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0; MIB]);
}
impl<T: Read + Write + Send> Stream for T {}

impl Raw {
    fn new(ca: &str) -> Self {
        let mut roots = rustls::RootCertStore::empty();
        let pem = std::fs::read(ca).unwrap();
        for cert in rustls_pemfile::certs(&mut &pem[..]) {
            roots.add(cert.unwrap()).unwrap();
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Raw {
            tls: Some(Arc::new(config)),
            idle: Mutex::new(Vec::new()),
        }
    }

    fn connect(&self, url: &str) -> Box<dyn Stream> {
        let (https, host, _) = split(url);
        let tcp = TcpStream::connect(host).unwrap();
        tcp.set_nodelay(true).unwrap();
        if !https {
            return Box::new(tcp);
        }
        let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
        let conn = rustls::ClientConnection::new(self.tls.clone().unwrap(), name).unwrap();
        Box::new(rustls::StreamOwned::new(conn, tcp))
    }

    /// One request on a kept-alive socket (a new one with `close`); `body` receives the
    /// response body in reads of at most `chunk` bytes.
    fn exchange(
        &self,
        url: &str,
        post: Option<&[u8]>,
        close: bool,
        chunk: usize,
        body: &mut dyn FnMut(&[u8]),
    ) {
        let (_, host, path) = split(url);
        let mut s = match self.idle.lock().unwrap().pop() {
            Some(s) if !close => s,
            _ => self.connect(url),
        };
        let method = if post.is_some() { "POST" } else { "GET" };
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\n");
        if let Some(data) = post {
            head += &format!("Content-Length: {}\r\n", data.len());
        }
        if close {
            head += "Connection: close\r\n";
        }
        head += "\r\n";
        s.write_all(head.as_bytes()).unwrap();
        if let Some(data) = post {
            s.write_all(data).unwrap();
        }
        s.flush().unwrap();
        BUF.with_borrow_mut(|buf| {
            let mut filled = 0;
            let end = loop {
                let n = s.read(&mut buf[filled..CHUNK]).unwrap();
                assert!(n > 0, "connection closed in the head");
                filled += n;
                if let Some(i) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
                    break i + 4;
                }
            };
            let mut left = content_length(&buf[..end]) - (filled - end);
            body(&buf[end..filled]);
            while left > 0 {
                let n = s.read(&mut buf[..chunk.min(left)]).unwrap();
                assert!(n > 0, "connection closed in the body");
                body(&buf[..n]);
                left -= n;
            }
        });
        if !close {
            self.idle.lock().unwrap().push(s);
        }
    }
}

fn split(url: &str) -> (bool, &str, &str) {
    let https = url.starts_with("https://");
    let rest = &url[if https { 8 } else { 7 }..];
    let slash = rest.find('/').unwrap_or(rest.len());
    (https, &rest[..slash], &rest[slash..])
}

fn content_length(head: &[u8]) -> usize {
    for line in head.split(|&b| b == b'\n') {
        if line.len() > 15 && line[..15].eq_ignore_ascii_case(b"content-length:") {
            return std::str::from_utf8(&line[15..])
                .unwrap()
                .trim()
                .parse()
                .unwrap();
        }
    }
    panic!("no Content-Length")
}

impl Client for Raw {
    fn get(&self, url: &str) -> usize {
        let mut n = 0;
        if url.ends_with("gzip1m") {
            let mut gz = Vec::new();
            self.exchange(url, None, false, MIB, &mut |p| gz.extend_from_slice(p));
            let mut out = Vec::with_capacity(MIB);
            flate2::read::GzDecoder::new(&gz[..])
                .read_to_end(&mut out)
                .unwrap();
            return out.len();
        }
        self.exchange(url, None, false, MIB, &mut |p| n += p.len());
        n
    }
    fn stream(&self, url: &str) -> usize {
        let mut n = 0;
        self.exchange(url, None, false, CHUNK, &mut |p| n += p.len());
        n
    }
    fn post(&self, url: &str, body: &'static [u8]) -> Vec<u8> {
        let mut out = Vec::new();
        self.exchange(url, Some(body), false, CHUNK, &mut |p| {
            out.extend_from_slice(p)
        });
        out
    }
    fn get_close(&self, url: &str) -> usize {
        let mut n = 0;
        self.exchange(url, None, true, CHUNK, &mut |p| n += p.len());
        n
    }
}

// ---- measuring ----

fn read_chunks(mut r: impl Read) -> usize {
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0;
    loop {
        match r.read(&mut buf).unwrap() {
            0 => return total,
            n => total += n,
        }
    }
}

/// CPU seconds of this process (all threads).
fn cpu() -> f64 {
    // SAFETY: getrusage writes into the struct we own.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    secs(ru.ru_utime) + secs(ru.ru_stime)
}

fn monotonic_ns() -> u128 {
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u128 * 1_000_000_000 + ts.tv_nsec as u128
}

/// VmRSS (now) or VmHWM (peak) in KiB. Not ru_maxrss: Linux carries the peak of the process
/// that exec'd us (the runner, forked) into it.
fn status_kb(field: &str) -> i64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn check(got: usize, want: usize) {
    assert_eq!(got, want, "body length");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [client, workload, http, https, h2, ca, n, min_seconds] = &args[..] else {
        panic!("usage: driver CLIENT WORKLOAD HTTP_BASE HTTPS_BASE H2_BASE CA_FILE N MIN_SECONDS");
    };
    let over_h2 = workload.starts_with("h2");
    let n: usize = n.parse().unwrap();
    let min_time = std::time::Duration::from_secs_f64(min_seconds.parse().unwrap());
    let c: Box<dyn Client> = match client.as_str() {
        "ours" => Box::new(Ours::new(ca, over_h2)),
        "ureq" => Box::new(Ureq::new(ca)),
        "reqwest" => Box::new(Reqwest::new(ca)),
        "raw" => Box::new(Raw::new(ca)),
        other => panic!("unknown client {other}"),
    };
    let c = &*c;
    let small = format!("{http}/small");
    if workload == "startup" {
        check(c.get(&small), 13);
        let first_ns = monotonic_ns();
        for _ in 1..n {
            check(c.get(&small), 13);
        }
        println!(
            "{{\"first_ns\": {first_ns}, \"import_s\": null, \"rss_kb\": {}}}",
            status_kb("VmRSS:")
        );
        return;
    }
    let post_body: &'static [u8] = Box::leak(vec![b'p'; MIB].into_boxed_slice());
    let tls_small = format!("{https}/small");
    let [one_m, big, gzip, sink] =
        ["/1m", "/64m", "/gzip1m", "/sink"].map(|p| format!("{http}{p}"));
    let [h2_small, h2_one_m] = ["/small", "/1m"].map(|p| format!("{h2}{p}"));
    // One untimed request first, so every workload starts on a warm client.
    let one = |i: usize| match workload.as_str() {
        "small" | "threads8" => check(c.get(&small), 13),
        "1m" => check(c.get(&one_m), MIB),
        "64m" => check(c.stream(&big), 64 * MIB),
        "gzip" => check(c.get(&gzip), MIB),
        "post" => assert_eq!(c.post(&sink, post_body), MIB.to_string().as_bytes()),
        "tls" => check(c.get(&tls_small), 13),
        "tlsnew" => check(c.get_close(&tls_small), 13),
        "h2threads8" => check(c.get(&h2_small), 13),
        "h2_1m" => check(c.get(&h2_one_m), MIB),
        other => panic!("unknown workload {other} ({i})"),
    };
    if over_h2 {
        // A row must never measure HTTP/1.1 unnoticed.
        let (version, len) = c.version(&h2_small);
        check(len, 13);
        assert_eq!(version, 20, "{client} {workload}: response not in HTTP/2");
    }
    one(0);
    let threads = if matches!(workload.as_str(), "threads8" | "h2threads8") {
        8
    } else {
        1
    };
    let cpu0 = cpu();
    let t0 = Instant::now();
    // At least n operations in all and at least min_time.
    let run = |_| {
        let mut ops = 0;
        while ops < n / threads || t0.elapsed() < min_time {
            one(ops);
            ops += 1;
        }
        ops
    };
    let ops: usize = std::thread::scope(|s| {
        let pool: Vec<_> = (0..threads).map(|t| s.spawn(move || run(t))).collect();
        pool.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let wall = t0.elapsed().as_secs_f64();
    println!(
        "{{\"ops\": {ops}, \"wall\": {wall}, \"cpu\": {}, \"maxrss_kb\": {}}}",
        cpu() - cpu0,
        status_kb("VmHWM:")
    );
}
