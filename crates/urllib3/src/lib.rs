//! urllib3, the HTTP client, as a blocking Rust library.
//!
//! The crate speaks HTTP/1.1 the way Python's urllib3 does: request headers go out in the
//! caller's case and order, response headers are kept in wire order with repeats, URLs are
//! parsed by urllib3's rules, and every failure is an [`Error`] whose [`ErrorKind`] names the
//! urllib3 exception class it stands for.
//!
//! ```
//! # let server = testserver::TestServer::start();
//! use urllib3::{PoolManager, RequestMethods, RequestOptions, Retry, Timeout};
//! use urllib3::request::Form;
//!
//! let http = PoolManager::new();
//! let mut r = http.request("GET", &server.url("/get"))?;
//! assert_eq!(r.status(), 200);
//! println!("{}", r.text()?);
//!
//! let form = Form::new().field("name", "value");
//! let options = RequestOptions::new()
//!     .timeout(Timeout::from_secs_f64(2.5)?)
//!     .retries(Retry::from_total(5).with_backoff_factor(0.2));
//! let r = http.request_form("POST", &server.url("/post"), form, options)?;
//! assert_eq!(r.status(), 200);
//! # Ok::<(), urllib3::Error>(())
//! ```
//!
//! # Pools
//!
//! A [`ConnectionPool`] keeps idle connections to one scheme, host and port; a [`PoolManager`]
//! keeps one pool per host (an LRU of `num_pools`) and takes absolute URLs. Both are
//! thread-safe and cheap to clone. [`PoolConfig`] holds urllib3's pool arguments: `maxsize`
//! connections are kept for reuse, and with `block` no more than `maxsize` are ever open, so a
//! request waits for a free one (up to its `pool_timeout`).
//!
//! ```
//! # let server = testserver::TestServer::start();
//! use std::time::Duration;
//! use urllib3::{ErrorKind, PoolConfig, PoolManager, RequestMethods, RequestOptions};
//!
//! let config = PoolConfig { maxsize: 1, block: true, ..PoolConfig::default() };
//! let http = PoolManager::with_config(10, config);
//! for _ in 0..3 {
//!     // The body is read before `request` returns, so the connection is free again at once.
//!     assert_eq!(http.request("GET", &server.url("/get"))?.status(), 200);
//! }
//! let pool = http.connection_from_url(&server.url("/"), None)?;
//! assert_eq!(pool.num_connections(), 1); // three requests, one connection
//!
//! // A response still streaming holds the only connection: the next request waits, then fails.
//! let streamed = RequestOptions::new().preload_content(false);
//! let streaming = http.urlopen("GET", &server.url("/bytes/10"), streamed)?;
//! let wait = RequestOptions::new().pool_timeout(Duration::from_millis(50));
//! let err = http.urlopen("GET", &server.url("/get"), wait).unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::EmptyPool);
//! drop(streaming); // gives the slot back
//! assert_eq!(http.request("GET", &server.url("/get"))?.status(), 200);
//! # Ok::<(), urllib3::Error>(())
//! ```
//!
//! # Retries
//!
//! A [`Retry`] caps retries in all (`total`) and by kind (`connect`, `read`, `redirect`,
//! `status`, `other`); connection errors, read errors on idempotent methods, redirects and the
//! statuses in `status_forcelist` use it up, with an exponential backoff between tries
//! (`backoff_factor` × 2ⁿ⁻¹ after n failures in a row, none after the first) and
//! `Retry-After` honoured. When a
//! counter runs out, the request fails with [`ErrorKind::MaxRetry`], and [`Error::reason`] is
//! the last failure. Set it per request ([`RequestOptions::retries`]) or per pool
//! ([`PoolConfig::retries`], three retries by default); [`Retry::disabled`] hands errors back
//! as they are and returns redirects instead of following them.
//!
//! ```
//! # let server = testserver::TestServer::start();
//! use urllib3::{ErrorKind, PoolManager, RequestOptions, Retry};
//!
//! let http = PoolManager::new();
//! let retry = Retry::from_total(3)
//!     .with_redirect(2)
//!     .with_status_forcelist([500, 502, 503])
//!     .with_backoff_factor(0.05); // sleeps 0 s, 0.1 s, 0.2 s between the four tries
//! let options = || RequestOptions::new().retries(retry.clone());
//!
//! // Answers 500 twice, then 200: the caller sees only the success.
//! let r = http.urlopen("GET", &server.url("/fail-then-succeed?times=2&status=500"), options())?;
//! assert_eq!(r.status(), 200);
//! assert_eq!(r.headers().get("X-Attempt").as_deref(), Some("3"));
//!
//! let err = http.urlopen("GET", &server.url("/status/503"), options()).unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::MaxRetry);
//! assert_eq!(err.reason().map(|e| e.message()), Some("too many 503 error responses"));
//!
//! let err = http.urlopen("GET", &server.url("/redirect/3"), options()).unwrap_err();
//! assert_eq!(err.reason().map(|e| e.message()), Some("too many redirects"));
//! # Ok::<(), urllib3::Error>(())
//! ```
//!
//! # Streaming
//!
//! By default the body is read before the response is returned. With
//! [`RequestOptions::preload_content`] off, the [`Response`] comes back after the head and
//! holds its connection until the body is read to the end (the connection then goes back to
//! its pool) or the response is dropped (the connection is closed). Read it in pieces with
//! [`Response::stream`], [`Response::read_chunked`] or [`Response::read_with`], or as a
//! [`std::io::Read`]. `Content-Encoding` (gzip, deflate, br, zstd, and chains of them) is
//! undone on the way unless [`RequestOptions::decode_content`] is off.
//!
//! ```
//! # let server = testserver::TestServer::start();
//! use urllib3::{PoolManager, RequestOptions};
//!
//! let http = PoolManager::new();
//! let streamed = || RequestOptions::new().preload_content(false);
//!
//! let mut r = http.urlopen("GET", &server.url("/bytes/1000000"), streamed())?;
//! let mut received = 0;
//! for piece in r.stream(64 * 1024) {
//!     received += piece?.len(); // at most 64 KiB in memory at a time
//! }
//! assert_eq!(received, 1_000_000);
//!
//! // As a reader, decoded: hand it to anything that takes `std::io::Read`.
//! let r = http.urlopen("GET", &server.url("/gzip"), streamed())?;
//! let json: serde_json::Value = serde_json::from_reader(r)?;
//! assert_eq!(json["gzipped"], true);
//!
//! // Or the bytes as they came, still gzip-encoded.
//! let raw = RequestOptions::new().decode_content(false);
//! let mut r = http.urlopen("GET", &server.url("/gzip"), raw)?;
//! assert!(r.read_all()?.starts_with(b"\x1f\x8b"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # TLS options
//!
//! HTTPS runs on rustls (TLS 1.2 and 1.3). [`TlsConfig`] holds urllib3's TLS arguments: by
//! default the server is verified against the system's trust store and its host name checked.
//! It can trust other CAs (`ca_certs`, `ca_cert_dir`, [`CaCertData`]), present a client
//! certificate (its key in any PEM form, encrypted ones with `key_password`), check another
//! name ([`AssertHostname`], `server_hostname`), bound the [`TlsVersion`], restrict `ciphers`,
//! or pin the server's certificate by fingerprint. It goes in [`PoolConfig::tls`].
//!
//! ```
//! # use testserver::{CertProfile, ClientKeyFormat};
//! # let server = testserver::TestServer::start_tls_with(CertProfile::ClientCertRequired);
//! # let ca_file = server.ca_file().unwrap();
//! # let client = server.client_cert(ClientKeyFormat::Pkcs8).unwrap();
//! # let (cert_file, key_file) = (client.cert_file, client.key_file.unwrap());
//! use urllib3::{AssertHostname, PoolConfig, PoolManager, RequestMethods, TlsConfig, TlsVersion};
//!
//! let tls = TlsConfig::new()
//!     .with_ca_certs(ca_file) // trust this CA instead of the system's
//!     .with_client_cert(cert_file, Some(key_file), None) // no password: the key is not encrypted
//!     .with_assert_hostname(AssertHostname::Name("localhost".into())) // the URL says 127.0.0.1
//!     .with_versions(Some(TlsVersion::TLSv1_3), None);
//! let http = PoolManager::with_config(10, PoolConfig { tls, ..PoolConfig::default() });
//! let mut r = http.request("GET", &server.url("/certificate"))?;
//! assert!(r.text()?.contains(client.common_name)); // the server saw our certificate
//! # Ok::<(), urllib3::Error>(())
//! ```
//!
//! Pinning, for a self-signed certificate say: with [`CertReqs::None`] and the certificate's
//! fingerprint (SHA-256, SHA-1 or MD5, colons optional), the fingerprint is checked instead of
//! the chain and the host name (a fingerprint alone replaces the host name check only).
//!
//! ```
//! # use testserver::{CertProfile, FingerprintHash};
//! # let server = testserver::TestServer::start_tls_with(CertProfile::SelfSigned);
//! # let fingerprint = server.cert_fingerprint(FingerprintHash::Sha256).unwrap();
//! use urllib3::{CertReqs, PoolConfig, PoolManager, RequestMethods, TlsConfig};
//!
//! let tls = TlsConfig::new()
//!     .with_cert_reqs(CertReqs::None)
//!     .with_assert_fingerprint(fingerprint); // "AB:CD:…", 32 bytes for SHA-256
//! let http = PoolManager::with_config(10, PoolConfig { tls, ..PoolConfig::default() });
//! assert_eq!(http.request("GET", &server.url("/get"))?.status(), 200);
//! # Ok::<(), urllib3::Error>(())
//! ```
//!
//! # Proxies
//!
//! A [`ProxyManager`] sends every request through an HTTP or HTTPS proxy, as urllib3's does:
//! `http://` URLs are forwarded (the proxy sees the request), `https://` URLs go through a
//! `CONNECT` tunnel, with TLS from end to end. User info in the proxy URL becomes a
//! `Proxy-Authorization` header; [`ProxyConfig`] also takes other proxy headers and, for an
//! `https://` proxy, its own [`TlsConfig`]. [`proxy_from_url`] is the short form with default
//! settings.
//!
//! ```
//! # let server = testserver::TestServer::start();
//! # let tls_server = testserver::TestServer::start_tls();
//! # let ca_file = tls_server.ca_file().unwrap();
//! # let proxy = testserver::HttpProxy::start_with(testserver::ProxyOptions {
//! #     auth: Some(("user".into(), "pass".into())), ..Default::default() }).unwrap();
//! # let proxy_url = proxy.url_with_auth();
//! use urllib3::{PoolConfig, ProxyConfig, ProxyManager, RequestMethods, TlsConfig};
//!
//! let proxy = ProxyConfig::new(&proxy_url)?; // "http://user:pass@127.0.0.1:PORT"
//! // The TLS settings are for the targets: a tunnel's TLS is with the target, not the proxy.
//! let tls = TlsConfig::new().with_ca_certs(ca_file);
//! let config = PoolConfig { tls, ..PoolConfig::default() };
//! let http = ProxyManager::with_config(proxy, 10, config);
//! assert_eq!(http.request("GET", &server.url("/get"))?.status(), 200); // forwarded
//! assert_eq!(http.request("GET", &tls_server.url("/get"))?.status(), 200); // tunnelled
//! # Ok::<(), urllib3::Error>(())
//! ```
//!
//! # SOCKS
//!
//! A [`SocksProxyManager`] makes every connection through a SOCKS proxy (urllib3's
//! `SOCKSProxyManager`): `socks4`, `socks4a`, `socks5` or `socks5h` (the `a` and `h` forms let
//! the proxy resolve host names). `user:password@` in the URL authenticates to a SOCKS5 proxy
//! (SOCKS4 sends the user as its user id). Pools stay per target host, and HTTPS runs over the
//! SOCKS connection.
//!
//! ```
//! # let server = testserver::TestServer::start();
//! # let socks = testserver::SocksProxy::start_with(testserver::SocksOptions {
//! #     auth: Some(("user".into(), "pass".into())), ..Default::default() }).unwrap();
//! # let socks_url = socks.url_with_auth("socks5h");
//! use urllib3::{RequestMethods, SocksProxyManager, SocksVersion};
//!
//! let http = SocksProxyManager::from_url(&socks_url)?; // "socks5h://user:pass@127.0.0.1:PORT"
//! assert_eq!(http.socks().version, SocksVersion::Socks5h);
//! assert_eq!(http.request("GET", &server.url("/get"))?.status(), 200);
//! # Ok::<(), urllib3::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod body;
pub mod connection;
mod error;
pub mod fields;
mod headers;
mod manager;
pub mod pool;
mod proto;
pub mod raw;
/// Entry points for the fuzz targets (`crates/urllib3/fuzz`), built only by cargo-fuzz.
#[cfg(fuzzing)]
#[doc(hidden)]
pub use proto::http2::fuzzing as http2_fuzzing;
/// RFC 9113's field rules, for a caller that checks a request before it is sent.
pub mod http2_fields {
    pub use crate::proto::http2::request::{is_illegal_value, is_legal_name};
}
pub mod request;
pub mod response;
mod retry;
mod timeout;
mod url;

pub use body::{Body, BodyRead};
/// The bytes a [`Body::Bytes`] holds (the `bytes` crate's).
pub use bytes::Bytes;
pub use connection::{AssertHostname, CaCertData, CertReqs, TlsConfig, TlsVersion};
pub use connection::{Connection, SocketConfig, DEFAULT_USER_AGENT, SKIP_HEADER};
pub use connection::{Proxy, ProxyConfig, SocksConfig, SocksVersion};
pub use error::{Error, ErrorKind, Result};
pub use fields::{encode_multipart_formdata, FieldValue, RequestField};
pub use headers::HeaderMap;
pub use manager::{proxy_from_url, PoolKey, PoolManager, ProxyManager, SocksProxyManager};
pub use pool::{ConnectionPool, PoolConfig, RequestOptions, Scheme};
pub use request::RequestMethods;
pub use response::{Response, ResponseOptions, Version};
pub use retry::{Clock, Limit, ManualClock, Outcome, RequestHistory, Retry, SystemClock};
/// The socket library whose `Socket` a [`connection::SocketHook`] configures, re-exported so
/// that a hook names the same version.
pub use socket2;
pub use timeout::{Timeout, TimeoutClock};
pub use url::{parse_url, Url};
