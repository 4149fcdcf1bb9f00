//! Interop with a real nginx speaking HTTP/2 (Debian's package), started by
//! `tests/interop/setup-nginx.sh`, which prints the variables read here:
//!
//! - `URLLIB3_INTEROP=1`: run these tests; without it they do nothing (a dev machine's plain
//!   `cargo test`). With it, a missing variable is a failure, never a skip.
//! - `URLLIB3_INTEROP_NGINX`: `https://localhost:PORT`, HTTP/2 and HTTP/1.1 offered by ALPN.
//! - `URLLIB3_INTEROP_NGINX_LIMITED`: the same with `http2_max_concurrent_streams 2`.
//! - `URLLIB3_INTEROP_NGINX_HTTP1`: HTTP/1.1 only.
//! - `URLLIB3_INTEROP_NGINX_CA`: the CA that signed their certificate.
//!
//! `tests/interop/run-interop.sh` does all of it. The header of setup-nginx.sh lists the files
//! nginx serves (their contents are repeated here) and what each location does.

mod common;

use std::io::Read;
use std::sync::Arc;

use common::{chain_text, interop_url, SAFETY};
use urllib3::{
    Body, PoolConfig, PoolManager, RequestOptions, Response, Retry, Timeout, TlsConfig, Version,
};

const HELLO: &[u8] = b"Hello from nginx\n";
/// /files/big.bin: this many bytes, byte i being i % 251.
const BIG_SIZE: usize = 16 << 20;
/// nginx's client_max_body_size.
const MAX_BODY: usize = 64 << 20;

/// /gzip/text.txt, as setup-nginx.sh writes it.
fn gzip_text() -> String {
    (0..2000)
        .map(|n| format!("line {n}: nginx compresses this text\n"))
        .collect()
}

/// `len` bytes, byte i being i % `period`.
fn pattern(len: usize, period: usize) -> Vec<u8> {
    (0..len).map(|i| (i % period) as u8).collect()
}

/// What /upload answers for a body of `len` bytes.
fn received(len: usize) -> String {
    format!("received {len}\n")
}

/// One of the nginx servers, with a manager that offers it h2 and http/1.1.
struct Nginx {
    base: String,
    http: PoolManager,
}

impl Nginx {
    /// The server whose URL is in `var`; `None` when interop tests are off.
    fn from_env(var: &str) -> Option<Nginx> {
        let base = interop_url(var)?;
        let ca = interop_url("URLLIB3_INTEROP_NGINX_CA")?;
        let config = PoolConfig {
            maxsize: 8,
            tls: TlsConfig::new()
                .with_ca_certs(ca)
                .with_alpn_protocols(["h2", "http/1.1"]),
            // A failure shows as itself instead of being retried away.
            retries: Retry::from_total(0),
            timeout: Timeout::new().with_connect(SAFETY).with_read(SAFETY),
            ..PoolConfig::default()
        };
        Some(Nginx {
            base,
            http: PoolManager::with_config(10, config),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn request(&self, method: &str, path: &str, options: RequestOptions) -> Response {
        self.http
            .urlopen(method, &self.url(path), options)
            .unwrap_or_else(|err| panic!("{method} {path}: {}", chain_text(&err)))
    }

    fn get(&self, path: &str) -> Response {
        self.request("GET", path, RequestOptions::new())
    }

    fn post(&self, path: &str, body: impl Into<Body>) -> Response {
        self.request("POST", path, RequestOptions::new().body(body))
    }

    /// Connections the pool for this server has opened so far.
    fn connections(&self) -> u64 {
        self.http
            .connection_from_url(&self.base, None)
            .unwrap()
            .num_connections()
    }
}

fn header(response: &Response, name: &str) -> Option<String> {
    response.headers().get(name).map(|v| v.into_owned())
}

fn body(response: &mut Response) -> Vec<u8> {
    response.read_all().unwrap()
}

fn text(response: &mut Response) -> String {
    String::from_utf8(body(response)).unwrap()
}

#[test]
fn get_over_http2() {
    let Some(nginx) = Nginx::from_env("URLLIB3_INTEROP_NGINX") else {
        return;
    };
    let mut r = nginx.get("/files/hello.txt");
    assert_eq!(r.version(), Version::Http2);
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "Content-Type").as_deref(), Some("text/plain"));
    assert_eq!(header(&r, "Content-Length").as_deref(), Some("17"));
    assert!(header(&r, "Server").is_some_and(|s| s.starts_with("nginx")));
    assert_eq!(body(&mut r), HELLO);

    // The certificate names 127.0.0.1 too.
    let by_address = nginx.base.replace("localhost", "127.0.0.1");
    let mut r = nginx
        .http
        .urlopen(
            "GET",
            &format!("{by_address}/files/hello.txt"),
            RequestOptions::new(),
        )
        .unwrap();
    assert_eq!(r.version(), Version::Http2);
    assert_eq!(body(&mut r), HELLO);
}

#[test]
fn sixteen_mebibytes_download_byte_for_byte() {
    let Some(nginx) = Nginx::from_env("URLLIB3_INTEROP_NGINX") else {
        return;
    };
    let mut r = nginx.request(
        "GET",
        "/files/big.bin",
        RequestOptions::new().preload_content(false),
    );
    assert_eq!(r.version(), Version::Http2);
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "Content-Length"), Some(BIG_SIZE.to_string()));
    let mut offset = 0;
    for chunk in r.stream(1 << 20) {
        let chunk = chunk.unwrap();
        // Compared in place: a 16 MiB assert_eq! failure would print all of it.
        if let Some(i) = (0..chunk.len()).find(|&i| chunk[i] != ((offset + i) % 251) as u8) {
            panic!("byte {} is {}", offset + i, chunk[i]);
        }
        offset += chunk.len();
    }
    assert_eq!(offset, BIG_SIZE);
}

#[test]
fn sixty_four_mebibyte_upload_is_read_whole() {
    let Some(nginx) = Nginx::from_env("URLLIB3_INTEROP_NGINX") else {
        return;
    };
    let mut r = nginx.post("/upload", pattern(MAX_BODY, 253));
    assert_eq!(r.version(), Version::Http2);
    assert_eq!(r.status(), 200);
    assert_eq!(text(&mut r), received(MAX_BODY));

    // A body of unknown length goes out as DATA frames up to END_STREAM.
    let streamed = Body::reader(std::io::repeat(b'y').take(3 << 20));
    let mut r = nginx.post("/upload", streamed);
    assert_eq!(r.status(), 200);
    assert_eq!(text(&mut r), received(3 << 20));
    assert_eq!(nginx.connections(), 1);
}

#[test]
fn a_body_over_the_limit_gets_413_and_the_connection_goes_on() {
    let Some(nginx) = Nginx::from_env("URLLIB3_INTEROP_NGINX") else {
        return;
    };
    let too_long = MAX_BODY as u64 + 1;
    // Refused on its Content-Length, and a streamed one once past the limit.
    for upload in [
        Body::from(vec![0; MAX_BODY + 1]),
        Body::reader(std::io::repeat(b'z').take(too_long)),
    ] {
        let mut r = nginx.request("POST", "/upload", RequestOptions::new().body(upload));
        assert_eq!(r.status(), 413);
        assert!(text(&mut r).contains("413 Request Entity Too Large"));
        assert_eq!(body(&mut nginx.get("/files/hello.txt")), HELLO);
    }
    assert_eq!(nginx.connections(), 1);
}

#[test]
fn put_body_comes_back_byte_for_byte() {
    let Some(nginx) = Nginx::from_env("URLLIB3_INTEROP_NGINX") else {
        return;
    };
    let sent = pattern(BIG_SIZE, 241);
    let r = nginx.request(
        "PUT",
        "/dav/put.bin",
        RequestOptions::new().body(sent.clone()),
    );
    // 201 the first time, 204 when a run before this one left the file.
    assert!(matches!(r.status(), 201 | 204), "{}", r.status());
    let back = body(&mut nginx.get("/dav/put.bin"));
    assert_eq!(back.len(), sent.len());
    assert!(back == sent, "the stored file differs from what was sent");
}

#[test]
fn gzip_is_decoded() {
    let Some(nginx) = Nginx::from_env("URLLIB3_INTEROP_NGINX") else {
        return;
    };
    let gzip = || RequestOptions::new().header("Accept-Encoding", "gzip");
    let mut r = nginx.request("GET", "/gzip/text.txt", gzip());
    assert_eq!(r.version(), Version::Http2);
    assert_eq!(header(&r, "Content-Encoding").as_deref(), Some("gzip"));
    assert_eq!(text(&mut r), gzip_text());

    let mut raw = nginx.request("GET", "/gzip/text.txt", gzip().decode_content(false));
    let raw = body(&mut raw);
    assert_eq!(raw[..2], [0x1f, 0x8b], "a gzip member");
    assert!(raw.len() < gzip_text().len() / 4, "{} bytes", raw.len());
}

#[test]
fn redirect_is_followed() {
    let Some(nginx) = Nginx::from_env("URLLIB3_INTEROP_NGINX") else {
        return;
    };
    let mut r = nginx.request(
        "GET",
        "/redirect",
        RequestOptions::new().retries(Retry::from_total(1)),
    );
    assert_eq!(r.status(), 200);
    assert_eq!(body(&mut r), HELLO);

    let r = nginx.request("GET", "/redirect", RequestOptions::new().redirect(false));
    assert_eq!(r.status(), 301);
    assert_eq!(header(&r, "Location"), Some(nginx.url("/files/hello.txt")));
}

#[test]
fn missing_file_is_404() {
    let Some(nginx) = Nginx::from_env("URLLIB3_INTEROP_NGINX") else {
        return;
    };
    let mut r = nginx.get("/files/missing.txt");
    assert_eq!(r.version(), Version::Http2);
    assert_eq!(r.status(), 404);
    assert!(text(&mut r).contains("404 Not Found"));
}

#[test]
fn head_has_the_length_and_no_body() {
    let Some(nginx) = Nginx::from_env("URLLIB3_INTEROP_NGINX") else {
        return;
    };
    let mut r = nginx.request("HEAD", "/files/big.bin", RequestOptions::new());
    assert_eq!(r.version(), Version::Http2);
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "Content-Length"), Some(BIG_SIZE.to_string()));
    assert!(body(&mut r).is_empty());
    // The connection is still good for the next request.
    assert_eq!(body(&mut nginx.get("/files/hello.txt")), HELLO);
    assert_eq!(nginx.connections(), 1);
}

#[test]
fn sequential_requests_share_one_connection() {
    let Some(nginx) = Nginx::from_env("URLLIB3_INTEROP_NGINX") else {
        return;
    };
    for i in 0..60 {
        match i % 4 {
            0 => assert_eq!(body(&mut nginx.get("/files/hello.txt")), HELLO),
            1 => assert_eq!(text(&mut nginx.post("/upload", vec![b'p'; i])), received(i)),
            2 => assert_eq!(nginx.get("/nothing-here").status(), 404),
            _ => {
                let r = nginx.request("HEAD", "/files/hello.txt", RequestOptions::new());
                assert_eq!(r.status(), 200);
            }
        }
    }
    assert_eq!(nginx.connections(), 1);
}

/// 8 threads × 25 requests on one manager; every answer must be the request's own: each POST
/// has a body length no other request has, and /upload answers with it.
fn eight_threads(nginx: Nginx) {
    let nginx = Arc::new(nginx);
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let nginx = Arc::clone(&nginx);
            std::thread::spawn(move || {
                for i in 0..25 {
                    if i % 2 == 0 {
                        let len = 1000 * t + i;
                        let mut r = nginx.post("/upload", vec![b'a' + t as u8; len]);
                        assert_eq!(r.status(), 200);
                        assert_eq!(text(&mut r), received(len));
                    } else {
                        let mut r = nginx.get("/files/hello.txt");
                        assert_eq!(r.status(), 200);
                        assert_eq!(body(&mut r), HELLO);
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("no thread failed");
    }
}

#[test]
fn eight_threads_share_the_pool() {
    let Some(nginx) = Nginx::from_env("URLLIB3_INTEROP_NGINX") else {
        return;
    };
    eight_threads(nginx);
}

#[test]
fn a_stream_limit_of_two_serves_eight_threads() {
    let Some(nginx) = Nginx::from_env("URLLIB3_INTEROP_NGINX_LIMITED") else {
        return;
    };
    assert_eq!(nginx.get("/files/hello.txt").version(), Version::Http2);
    // No count of connections: how many streams share one is the pool's choice.
    eight_threads(nginx);
}

#[test]
fn alpn_falls_back_to_http11() {
    let Some(nginx) = Nginx::from_env("URLLIB3_INTEROP_NGINX_HTTP1") else {
        return;
    };
    let mut r = nginx.get("/files/hello.txt");
    assert_eq!(r.version(), Version::Http11);
    assert_eq!(r.status(), 200);
    assert_eq!(body(&mut r), HELLO);
    let mut r = nginx.post("/upload", vec![b'x'; 100_000]);
    assert_eq!(r.version(), Version::Http11);
    assert_eq!(text(&mut r), received(100_000));
    assert_eq!(nginx.connections(), 1);
}
