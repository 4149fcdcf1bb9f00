//! An httpbin-like HTTP/1.1 test server (plain and TLS) for urllib3-rs.
//!
//! It is written directly on tokio and httparse rather than on an HTTP
//! library because tests need to see the raw request bytes (`/echo`,
//! [`RawServer`]) and need a server that misbehaves on purpose
//! (`/fault/<mode>`: wrong framing, resets, stalls).
//!
//! ```no_run
//! let server = testserver::TestServer::start();
//! let url = server.url("/get?a=1");
//! # let _ = url;
//! ```
//!
//! # Endpoints
//! httpbin-style JSON (`args`, `headers` with names as sent, `origin`,
//! `url`; body endpoints add `data`, `form`, `files`, `json`):
//! `/get` (GET/HEAD), `/post`, `/put`, `/patch`, `/delete` (405 otherwise),
//! `/anything[/...]` (any method, adds `method`), `/headers`, `/ip`,
//! `/user-agent`, `/robots.txt`, `/delay/S` (max 10 s),
//! `/basic-auth/USER/PASS`.
//!
//! Bodies: `/bytes/N?seed=S` (deterministic pseudo-random, Content-Length,
//! at most 100 MiB), `/stream-bytes/N?chunk_size=C&seed=S` (the same bytes,
//! chunked), `/echo` (the request exactly as received), `/small`
//! ("Hello, world!"), `/large?size=N`, `/gzip-large?size=N`, `/upload`
//! (POST/PUT, `{"received": N}`; the body is counted, not kept).
//!
//! Status and redirects: `/status/CODE`, `/redirect/N[?absolute=true]`,
//! `/relative-redirect/N`, `/absolute-redirect/N`,
//! `/redirect-to?url=U&status_code=C`, `/response-headers?K=V&...`,
//! `/retry-after?status=503&seconds=S[&date=1]`,
//! `/fail-then-succeed?times=N&status=500` (counted per `X-Retry-Key`).
//!
//! Content codings: `/gzip`, `/deflate[?raw=1]`, `/brotli`, `/zstd`,
//! `/encoding/chain?codings=gzip,br,zstd,deflate&size=N` (applied in the
//! listed order), `/gzip/multi-member?parts=K`, `/zstd/multi-frame?frames=K`
//! (both decode to "This is part i of K.\n" for i = 1..=K),
//! `/bomb/gzip?mib=N` (N MiB of zeros, streamed).
//!
//! Faults, `/fault/<mode>`: `truncated-body`, `bad-chunk-size`,
//! `reset-mid-body`, `reset-before-headers`, `stall-before-headers`,
//! `stall-mid-body`, `invalid-status-line`, `not-http`, `oversize-header`,
//! `too-many-headers`, `conflicting-content-length`, `chunked-and-length`,
//! `close-delimited`, `chunked-with-extensions-and-trailers`, `empty-reply`.
//!
//! Any request with `close=1` in its query or `Connection: close` is
//! answered with `Connection: close` and the connection is closed; HTTP/1.0
//! requests close unless they ask for keep-alive. `Expect: 100-continue`
//! gets `100 Continue` before the body is read.

mod encoding;
mod faults;
mod httpbin;
mod params;
mod raw;
mod request;
mod response;
mod routes;
mod server;
mod tls;

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub use raw::{RawServer, Reply, Then};
pub use tls::CertProfile;

use server::{Ctx, ServerThread};

/// Plain HTTP or HTTPS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

/// How to start a [`TestServer`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Serve HTTPS with this kind of certificate; `None` for plain HTTP.
    pub tls: Option<CertProfile>,
}

/// Counters of what a [`TestServer`] has seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Connections accepted since start.
    pub connections_accepted: u64,
    /// Connections open right now.
    pub open_connections: u64,
    /// The most connections that were open at the same time.
    pub max_open_connections: u64,
    /// Request heads read since start.
    pub requests: u64,
}

/// A running httpbin-like server on 127.0.0.1 with its own thread and tokio
/// runtime. Dropping it shuts the server down and closes all connections.
pub struct TestServer {
    // Declared first so that the server stops before its CA file goes away.
    _thread: ServerThread,
    addr: SocketAddr,
    scheme: Scheme,
    ctx: Arc<Ctx>,
    ca: Option<CaFile>,
}

impl TestServer {
    /// Starts a plain HTTP server on a random free port.
    pub fn start() -> TestServer {
        TestServer::start_with(Options::default()).expect("start test server")
    }

    /// Starts an HTTPS server on a random free port, with a certificate for
    /// `localhost`, `127.0.0.1` and `::1` signed by a fresh test CA.
    pub fn start_tls() -> TestServer {
        TestServer::start_tls_with(CertProfile::Default)
    }

    /// Starts an HTTPS server presenting a certificate of the given profile.
    pub fn start_tls_with(profile: CertProfile) -> TestServer {
        let options = Options {
            port: 0,
            tls: Some(profile),
        };
        TestServer::start_with(options).expect("start TLS test server")
    }

    /// Starts a server as `options` say; fails if the port cannot be bound.
    pub fn start_with(options: Options) -> io::Result<TestServer> {
        let (scheme, tls) = match options.tls {
            None => (Scheme::Http, None),
            Some(profile) => (Scheme::Https, Some(tls::setup(profile))),
        };
        let ca = match &tls {
            Some(setup) => Some(CaFile::write(&setup.ca_pem)?),
            None => None,
        };
        let acceptor = tls.map(|setup| setup.acceptor);
        // The context needs the address, which is known only after binding,
        // so the accept loop receives it through a oneshot channel.
        let (ctx_tx, ctx_rx) = tokio::sync::oneshot::channel::<Arc<Ctx>>();
        let (thread, addr) =
            ServerThread::spawn("testserver", options.port, move |listener| async move {
                if let Ok(ctx) = ctx_rx.await {
                    server::accept_loop(listener, ctx, acceptor).await;
                }
            })?;
        let ctx = Arc::new(Ctx::new(scheme, addr));
        // The receiver only disappears if the server thread died already.
        let _ = ctx_tx.send(Arc::clone(&ctx));
        Ok(TestServer {
            _thread: thread,
            addr,
            scheme,
            ctx,
            ca,
        })
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The host to connect to: `"127.0.0.1"`.
    pub fn host(&self) -> &str {
        "127.0.0.1"
    }

    /// The listening port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Plain HTTP or HTTPS.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        format!("{scheme}://{}:{}", self.host(), self.port())
    }

    /// `base_url()` followed by `path` (which starts with '/').
    pub fn url(&self, path: &str) -> String {
        self.base_url() + path
    }

    /// The PEM file of the CA that signed the server certificate (TLS only).
    /// It lives in a temporary directory removed when the server is dropped.
    pub fn ca_file(&self) -> Option<&Path> {
        self.ca.as_ref().map(|ca| ca.file.as_path())
    }

    /// The PEM text of the CA certificate (TLS only).
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca.as_ref().map(|ca| ca.pem.as_str())
    }

    /// What the server has seen so far.
    pub fn stats(&self) -> Stats {
        self.ctx.counters.snapshot()
    }
}

/// The CA certificate written to a private temporary directory.
struct CaFile {
    dir: PathBuf,
    file: PathBuf,
    pem: String,
}

impl CaFile {
    fn write(pem: &str) -> io::Result<CaFile> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        // pid + counter keep concurrent servers (and test processes) apart.
        let dir = std::env::temp_dir().join(format!(
            "urllib3-testserver-{}-{}-{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
        ));
        std::fs::create_dir_all(&dir)?;
        let file = dir.join("ca.pem");
        std::fs::write(&file, pem)?;
        Ok(CaFile {
            dir,
            file,
            pem: pem.to_string(),
        })
    }
}

impl Drop for CaFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
