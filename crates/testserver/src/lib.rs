//! An httpbin-like HTTP/1.1 test server (plain and TLS) for urllib3-rs, which
//! also speaks HTTP/2 over TLS.
//!
//! HTTP/1.1 is written directly on tokio and httparse rather than on an HTTP
//! library because tests need to see the raw request bytes (`/echo`,
//! [`RawServer`]) and need a server that misbehaves on purpose
//! (`/fault/<mode>`: wrong framing, resets, stalls).
//!
//! HTTPS servers offer ALPN `h2` and `http/1.1`, as hypercorn does; a client
//! that picks `h2` is served by hyper's HTTP/2 server, through the same
//! endpoints. Over HTTP/2 the JSON documents show header names as received
//! (lower case), with the `:authority` as `Host` when the request has no
//! `host` field; `/echo` shows the request rendered as an HTTP/1.1-style head
//! (`GET /path HTTP/2`) and its body; the fault modes, which are HTTP/1.1 wire
//! scripts, and `/status/1xx` reset the stream (RST_STREAM INTERNAL_ERROR);
//! `Expect: 100-continue` gets no interim response. HTTP/2 only:
//! `/http2/goaway` answers 200 `goaway` and then shuts the connection down
//! gracefully (GOAWAY; streams in flight finish); `/http2/reset` resets its
//! stream without any response; `/http2/refuse-first/PATH` refuses the first
//! stream of a connection (REFUSED_STREAM) and answers the next ones as PATH. Over
//! HTTP/1.1 these are 404.
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
//! `reset-mid-body`, `reset-after-headers`, `reset-before-headers`, `stall-before-headers`,
//! `stall-mid-body`, `invalid-status-line`, `not-http`, `oversize-header`,
//! `too-many-headers`, `conflicting-content-length`, `chunked-and-length`,
//! `close-delimited`, `chunked-with-extensions-and-trailers`, `empty-reply`.
//!
//! TLS: `/alpn_protocol` answers with the protocol ALPN picked as plain text
//! (`h2`, `http/1.1`, or empty), `/certificate` answers with the subject of the client's certificate
//! (`{}` without one), `/sni` with the server name the client sent
//! (`{"sni": null}` without one). [`CertProfile`] picks the server certificate (valid,
//! expired, wrong host, self-signed, IP-only, no SAN, behind an intermediate,
//! or requiring a client certificate); [`TestServer::client_cert`] gives
//! client certificates with their keys in every format clients read.
//!
//! Proxies: [`HttpProxy`] forwards absolute-form requests and opens CONNECT
//! tunnels, optionally over TLS and behind Basic authentication; [`SocksProxy`]
//! speaks SOCKS4, SOCKS4a and SOCKS5, optionally with username/password. Both
//! record what they were asked.
//!
//! Any request with `close=1` in its query or `Connection: close` is
//! answered with `Connection: close` and the connection is closed; HTTP/1.0
//! requests close unless they ask for keep-alive. `Expect: 100-continue`
//! gets `100 Continue` before the body is read, except on `/refuse-continue`, which answers
//! `403` at once and closes without reading the body.

mod elastic;
mod encoding;
mod faults;
mod http2;
mod httpbin;
mod params;
mod proxy;
mod raw;
mod request;
mod response;
mod routes;
mod server;
mod socks;
mod tls;

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub use proxy::{HttpProxy, ProxiedRequest, ProxyOptions};
pub use raw::{RawServer, Reply, Then};
pub use socks::{SocksOptions, SocksProxy, SocksRequest};
pub use tls::{CertProfile, ClientKeyFormat, ServerTlsVersions, CLIENT_KEY_PASSWORD};

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
    /// The TLS versions an HTTPS server speaks (1.2 and 1.3 by default).
    pub tls_versions: ServerTlsVersions,
    /// SETTINGS_MAX_CONCURRENT_STREAMS an HTTPS server announces on HTTP/2
    /// connections; `None` keeps hyper's default (200).
    pub http2_max_concurrent_streams: Option<u32>,
}

/// A hash for certificate fingerprints, as `assert_fingerprint` takes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FingerprintHash {
    /// MD5 (32 hex digits).
    Md5,
    /// SHA-1 (40 hex digits).
    Sha1,
    /// SHA-256 (64 hex digits).
    Sha256,
}

/// A client certificate and its key, as files (see [`TestServer::client_cert`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientCert {
    /// The certificate (PEM); for [`ClientKeyFormat::InCertFile`] the key follows it.
    pub cert_file: PathBuf,
    /// The private key (PEM); `None` when it is in `cert_file`.
    pub key_file: Option<PathBuf>,
    /// The key's password when it is encrypted ([`CLIENT_KEY_PASSWORD`]).
    pub password: Option<&'static str>,
    /// The certificate's subject common name, which `/certificate` reports.
    pub common_name: &'static str,
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
    /// Request heads read (HTTP/1.1) and streams opened (HTTP/2) since start.
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
    tls: Option<TlsFiles>,
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
            tls: Some(profile),
            ..Options::default()
        };
        TestServer::start_with(options).expect("start TLS test server")
    }

    /// Starts a server as `options` say; fails if the port cannot be bound.
    pub fn start_with(options: Options) -> io::Result<TestServer> {
        let (scheme, tls) = match options.tls {
            None => (Scheme::Http, None),
            Some(profile) => (
                Scheme::Https,
                Some(tls::setup(
                    profile,
                    options.tls_versions,
                    tls::ALPN_H2_HTTP1,
                )),
            ),
        };
        let files = match &tls {
            Some(setup) => Some(TlsFiles::write(setup)?),
            None => None,
        };
        let client_names = tls
            .as_ref()
            .map(|setup| {
                [&setup.client_ec, &setup.client_rsa]
                    .map(|c| (c.der.clone(), c.name))
                    .to_vec()
            })
            .unwrap_or_default();
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
        let ctx = Arc::new(Ctx::new(
            scheme,
            addr,
            client_names,
            options.http2_max_concurrent_streams,
        ));
        // The receiver only disappears if the server thread died already.
        let _ = ctx_tx.send(Arc::clone(&ctx));
        Ok(TestServer {
            _thread: thread,
            addr,
            scheme,
            ctx,
            tls: files,
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
        self.tls.as_ref().map(|t| t.ca_file.as_path())
    }

    /// The PEM text of the CA certificate (TLS only).
    pub fn ca_pem(&self) -> Option<&str> {
        self.tls.as_ref().map(|t| t.ca_pem.as_str())
    }

    /// The DER bytes of the CA certificate (TLS only).
    pub fn ca_der(&self) -> Option<&[u8]> {
        self.tls.as_ref().map(|t| t.ca_der.as_slice())
    }

    /// The DER bytes of the certificate the server presents (TLS only).
    pub fn cert_der(&self) -> Option<&[u8]> {
        self.tls.as_ref().map(|t| t.leaf_der.as_slice())
    }

    /// The fingerprint of the certificate the server presents, in the form
    /// `openssl x509 -fingerprint` prints (upper-case hex pairs joined by
    /// colons), as `assert_fingerprint` takes it (TLS only).
    ///
    /// ```no_run
    /// use testserver::{FingerprintHash, TestServer};
    ///
    /// let server = TestServer::start_tls();
    /// let pin = server.cert_fingerprint(FingerprintHash::Sha256).unwrap();
    /// assert_eq!(pin.len(), 32 * 3 - 1);
    /// ```
    pub fn cert_fingerprint(&self, hash: FingerprintHash) -> Option<String> {
        let der = self.cert_der()?;
        let digest: Vec<u8> = match hash {
            FingerprintHash::Md5 => {
                use md5::Digest as _;
                md5::Md5::digest(der).to_vec()
            }
            FingerprintHash::Sha1 => {
                ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der)
                    .as_ref()
                    .to_vec()
            }
            FingerprintHash::Sha256 => ring::digest::digest(&ring::digest::SHA256, der)
                .as_ref()
                .to_vec(),
        };
        let hex: Vec<String> = digest.iter().map(|b| format!("{b:02X}")).collect();
        Some(hex.join(":"))
    }

    /// A client certificate signed by this server's CA, with its key in
    /// `format` (TLS only). [`CertProfile::ClientCertRequired`] servers accept
    /// it; `GET /certificate` answers with its subject.
    ///
    /// ```no_run
    /// use testserver::{CertProfile, ClientKeyFormat, TestServer};
    ///
    /// let server = TestServer::start_tls_with(CertProfile::ClientCertRequired);
    /// let client = server.client_cert(ClientKeyFormat::LegacyAes256).unwrap();
    /// assert_eq!(client.password, Some(testserver::CLIENT_KEY_PASSWORD));
    /// ```
    pub fn client_cert(&self, format: ClientKeyFormat) -> Option<ClientCert> {
        let tls = self.tls.as_ref()?;
        let (cert_file, common_name) = if format == ClientKeyFormat::InCertFile {
            (tls.dir.join("client-ec-with-key.pem"), tls::CLIENT_EC_NAME)
        } else if format.is_rsa() {
            (tls.dir.join("client-rsa.pem"), tls::CLIENT_RSA_NAME)
        } else {
            (tls.dir.join("client-ec.pem"), tls::CLIENT_EC_NAME)
        };
        let key_file =
            (format != ClientKeyFormat::InCertFile).then(|| tls.dir.join(format.key_file().0));
        Some(ClientCert {
            cert_file,
            key_file,
            password: format.is_encrypted().then_some(CLIENT_KEY_PASSWORD),
            common_name,
        })
    }

    /// What the server has seen so far.
    pub fn stats(&self) -> Stats {
        self.ctx.counters.snapshot()
    }
}

/// The CA certificate and the client certificates and keys, written to a
/// private temporary directory.
pub(crate) struct TlsFiles {
    dir: PathBuf,
    pub(crate) ca_file: PathBuf,
    ca_pem: String,
    ca_der: Vec<u8>,
    leaf_der: Vec<u8>,
}

impl TlsFiles {
    pub(crate) fn write(setup: &tls::TlsSetup) -> io::Result<TlsFiles> {
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
        let files = TlsFiles {
            ca_file: dir.join("ca.pem"),
            dir,
            ca_pem: setup.ca_pem.clone(),
            ca_der: setup.ca_der.clone(),
            leaf_der: setup.leaf_der.clone(),
        };
        // Removes the directory if a later write fails.
        let write = |name: &str, text: &str| std::fs::write(files.dir.join(name), text);
        write("ca.pem", &setup.ca_pem)?;
        write("client-ec.pem", &setup.client_ec.pem)?;
        write("client-rsa.pem", &setup.client_rsa.pem)?;
        let (_, ec_key) = ClientKeyFormat::InCertFile.key_file();
        write(
            "client-ec-with-key.pem",
            &format!("{}{ec_key}", setup.client_ec.pem),
        )?;
        for format in ClientKeyFormat::ALL {
            let (name, text) = format.key_file();
            write(name, text)?;
        }
        Ok(files)
    }
}

impl Drop for TlsFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
