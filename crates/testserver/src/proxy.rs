//! An HTTP proxy for tests: it forwards absolute-form requests (`GET http://host/path`) and
//! opens CONNECT tunnels, optionally behind Basic authentication (407 otherwise) and
//! optionally over TLS (an `https://` proxy). It records every request it was asked, so tests
//! can check what went to the proxy and what went through it unseen.
//!
//! Forwarding is deliberately simple: each forwarded request gets a fresh upstream connection
//! with `Connection: close`, the whole upstream response is read, and it is sent back with
//! framing that keeps the client's connection usable. That is enough for test bodies and keeps
//! the proxy free of a second HTTP client.

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector};

use crate::request::{BodyMode, Reader, Request};
use crate::server::{self, ServerThread};
use crate::{tls, CertProfile, ServerTlsVersions, TlsFiles};

/// How long the proxy waits for an upstream connection or response.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(30);

/// Request headers that concern the hop to the proxy only, never forwarded.
const HOP_BY_HOP: &[&str] = &[
    "proxy-authorization",
    "proxy-connection",
    "connection",
    "keep-alive",
    "expect",
    "content-length",
    "transfer-encoding",
];

/// How to start an [`HttpProxy`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxyOptions {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Speak TLS to clients (an `https://` proxy), with a certificate for `localhost`,
    /// `127.0.0.1` and `::1` from a CA of the proxy's own ([`HttpProxy::ca_file`]).
    pub tls: bool,
    /// Require `Proxy-Authorization: Basic` with this user and password; others get a 407.
    pub auth: Option<(String, String)>,
    /// Hosts the proxy refuses with 403 Forbidden (CONNECT and forwarding alike).
    pub forbidden_hosts: Vec<String>,
}

/// One request the proxy was asked, and the status it answered with (200 for an established
/// tunnel, the upstream status for a forwarded request, 407, 403 or 502 for refusals).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxiedRequest {
    /// `GET`, `CONNECT`, …
    pub method: String,
    /// The request target as sent: an absolute URL, or `host:port` for CONNECT.
    pub target: String,
    /// The header lines as sent, names in their case.
    pub headers: Vec<(String, String)>,
    /// What the proxy answered.
    pub status: u16,
}

impl ProxiedRequest {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What every connection of one proxy shares.
struct State {
    /// The `Proxy-Authorization` value to insist on.
    expected_auth: Option<String>,
    forbidden_hosts: Vec<String>,
    log: Mutex<Vec<ProxiedRequest>>,
    upstream_tls: TlsConnector,
}

impl State {
    fn record(&self, req: &Request<'_>, status: u16) {
        let headers = req
            .headers()
            .map(|(n, v)| (n.to_owned(), String::from_utf8_lossy(v).into_owned()))
            .collect();
        let entry = ProxiedRequest {
            method: req.method().to_owned(),
            target: req.target().to_owned(),
            headers,
            status,
        };
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(entry);
    }
}

/// A running HTTP (or HTTPS) proxy on 127.0.0.1 with its own thread; dropping it stops it.
///
/// ```
/// use testserver::{HttpProxy, ProxyOptions};
///
/// let proxy = HttpProxy::start_with(ProxyOptions {
///     auth: Some(("user".into(), "pass".into())),
///     ..ProxyOptions::default()
/// }).unwrap();
/// assert!(proxy.url_with_auth().starts_with("http://user:pass@127.0.0.1:"));
/// assert!(proxy.requests().is_empty());
/// ```
pub struct HttpProxy {
    // Declared first so that the proxy stops before its CA file goes away.
    _thread: ServerThread,
    addr: SocketAddr,
    auth: Option<(String, String)>,
    state: Arc<State>,
    tls: Option<TlsFiles>,
}

impl HttpProxy {
    /// Starts a plain HTTP proxy without authentication on a random free port.
    pub fn start() -> HttpProxy {
        HttpProxy::start_with(ProxyOptions::default()).expect("start HTTP proxy")
    }

    /// Starts an HTTPS proxy (TLS to the proxy) without authentication.
    pub fn start_tls() -> HttpProxy {
        let options = ProxyOptions {
            tls: true,
            ..ProxyOptions::default()
        };
        HttpProxy::start_with(options).expect("start HTTPS proxy")
    }

    /// Starts a proxy as `options` say; fails if the port cannot be bound.
    pub fn start_with(options: ProxyOptions) -> io::Result<HttpProxy> {
        let setup = options.tls.then(|| {
            tls::setup(
                CertProfile::Default,
                ServerTlsVersions::Both,
                tls::ALPN_HTTP1,
            )
        });
        let files = setup.as_ref().map(TlsFiles::write).transpose()?;
        let acceptor = setup.map(|s| s.acceptor);
        let expected_auth = options.auth.as_ref().map(|(user, pass)| {
            let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
            format!("Basic {token}")
        });
        let state = Arc::new(State {
            expected_auth,
            forbidden_hosts: options.forbidden_hosts.clone(),
            log: Mutex::new(Vec::new()),
            upstream_tls: TlsConnector::from(Arc::new(tls::accept_any_client_config())),
        });
        let served = Arc::clone(&state);
        let (thread, addr) = ServerThread::spawn("http-proxy", options.port, move |listener| {
            accept_loop(listener, served, acceptor)
        })?;
        Ok(HttpProxy {
            _thread: thread,
            addr,
            auth: options.auth,
            state,
            tls: files,
        })
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The listening port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:PORT`, or `https://…` for a TLS proxy.
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme(), self.addr)
    }

    /// [`HttpProxy::url`] with the user and password in it (the plain URL without auth).
    pub fn url_with_auth(&self) -> String {
        match &self.auth {
            Some((user, pass)) => format!("{}://{user}:{pass}@{}", self.scheme(), self.addr),
            None => self.url(),
        }
    }

    /// The PEM file of the CA that signed the proxy's certificate (TLS proxies only).
    pub fn ca_file(&self) -> Option<&Path> {
        self.tls.as_ref().map(|t| t.ca_file.as_path())
    }

    /// Every request the proxy was asked so far, in order.
    pub fn requests(&self) -> Vec<ProxiedRequest> {
        self.state
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn scheme(&self) -> &'static str {
        if self.tls.is_some() {
            "https"
        } else {
            "http"
        }
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, tls: Option<TlsAcceptor>) {
    loop {
        let (stream, _) = server::accept(&listener).await;
        let state = Arc::clone(&state);
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => serve(stream, state).await,
                Some(acceptor) => {
                    if let Ok(stream) = acceptor.accept(stream).await {
                        serve(stream, state).await;
                    }
                }
            }
        });
    }
}

/// What to do with the client connection after answering one request.
enum Next {
    KeepAlive,
    Close,
}

/// Serves proxy requests on one client connection until it closes or turns into a tunnel.
async fn serve<S>(mut io: S, state: Arc<State>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let mut reader = Reader::new();
    let peer: SocketAddr = ([127, 0, 0, 1], 0).into();
    loop {
        match reader.read_head(&mut io).await {
            Ok(true) => {}
            Ok(false) => return,
            // As real proxies do, answer what is not HTTP (a TLS hello, say) with a 400.
            Err(e) => {
                if let Some(code) = e.status() {
                    let _ = send(&mut io, &status_reply(code, e.message(), false)).await;
                }
                return;
            }
        }
        let is_connect = reader
            .request(peer)
            .method()
            .eq_ignore_ascii_case("CONNECT");
        if is_connect {
            return connect(io, reader, &state).await;
        }
        if reader.expects_continue()
            && send(&mut io, b"HTTP/1.1 100 Continue\r\n\r\n")
                .await
                .is_err()
        {
            return;
        }
        if reader.read_body(&mut io, BodyMode::Keep).await.is_err() {
            return;
        }
        let req = reader.request(peer);
        let (reply, next) = forward(&req, &state).await;
        if send(&mut io, &reply).await.is_err() {
            return;
        }
        if let Next::Close = next {
            let _ = io.shutdown().await;
            return;
        }
    }
}

async fn send<S: AsyncWrite + Unpin>(io: &mut S, bytes: &[u8]) -> io::Result<()> {
    io.write_all(bytes).await?;
    io.flush().await
}

/// The refusal to send instead of serving `req`, if it is refused.
fn refusal(req: &Request<'_>, host: &str, state: &State) -> Option<(u16, Vec<u8>)> {
    if let Some(expected) = &state.expected_auth {
        if req.header_str("proxy-authorization") != Some(expected.as_str()) {
            return Some((
                407,
                status_reply(407, "Proxy Authentication Required", true),
            ));
        }
    }
    let forbidden = state
        .forbidden_hosts
        .iter()
        .any(|h| h.eq_ignore_ascii_case(host));
    forbidden.then(|| (403, status_reply(403, "Forbidden", false)))
}

/// A small complete response; a 407 says how to authenticate.
fn status_reply(code: u16, reason: &str, challenge: bool) -> Vec<u8> {
    let body = format!("{code} {reason}\n");
    let authenticate = if challenge {
        "Proxy-Authenticate: Basic realm=\"testserver\"\r\n"
    } else {
        ""
    };
    format!(
        "HTTP/1.1 {code} {reason}\r\n{authenticate}Content-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Splits `host:port` (IPv6 in brackets) as CONNECT and URLs carry it.
fn split_authority(authority: &str, default_port: u16) -> Option<(String, u16)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(p) => p.parse().ok()?,
        None => default_port,
    };
    (!host.is_empty()).then(|| (host.to_owned(), port))
}

/// Opens a tunnel for a CONNECT request and relays bytes until either side closes.
async fn connect<S>(mut io: S, mut reader: Reader, state: &State)
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let peer: SocketAddr = ([127, 0, 0, 1], 0).into();
    let target = split_authority(reader.request(peer).target(), 443);
    let Some((host, port)) = target else {
        state.record(&reader.request(peer), 400);
        let _ = send(&mut io, &status_reply(400, "Bad Request", false)).await;
        return;
    };
    if let Some((code, reply)) = refusal(&reader.request(peer), &host, state) {
        state.record(&reader.request(peer), code);
        let _ = send(&mut io, &reply).await;
        return;
    }
    let upstream =
        tokio::time::timeout(UPSTREAM_TIMEOUT, TcpStream::connect((host.as_str(), port))).await;
    let Ok(Ok(mut upstream)) = upstream else {
        state.record(&reader.request(peer), 502);
        let _ = send(&mut io, &status_reply(502, "Bad Gateway", false)).await;
        return;
    };
    state.record(&reader.request(peer), 200);
    let early = reader.take_rest();
    if send(&mut io, b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await
        .is_err()
    {
        return;
    }
    if !early.is_empty() && upstream.write_all(&early).await.is_err() {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut io, &mut upstream).await;
}

/// Forwards one absolute-form request and returns the reply for the client.
async fn forward(req: &Request<'_>, state: &State) -> (Vec<u8>, Next) {
    let next = if wants_close(req) {
        Next::Close
    } else {
        Next::KeepAlive
    };
    let Some(url) = AbsoluteUrl::parse(req.target()) else {
        state.record(req, 400);
        return (status_reply(400, "Bad Request", false), Next::Close);
    };
    if let Some((code, reply)) = refusal(req, &url.host, state) {
        state.record(req, code);
        return (reply, next);
    }
    let upstream = tokio::time::timeout(UPSTREAM_TIMEOUT, exchange(req, &url, state)).await;
    match upstream {
        Ok(Ok(response)) => {
            let (status, reply) = reframe(&response, req.method() == "HEAD", &next);
            state.record(req, status);
            (reply, next)
        }
        _ => {
            state.record(req, 502);
            (status_reply(502, "Bad Gateway", false), next)
        }
    }
}

fn wants_close(req: &Request<'_>) -> bool {
    req.header_has_token("connection", "close")
        || req.header_has_token("proxy-connection", "close")
        || (req.minor_version() == 0 && !req.header_has_token("connection", "keep-alive"))
}

/// An absolute-form request target, split.
struct AbsoluteUrl {
    https: bool,
    host: String,
    port: u16,
    /// Path and query (`/` when the URL has none).
    origin_form: String,
}

impl AbsoluteUrl {
    fn parse(target: &str) -> Option<AbsoluteUrl> {
        let (scheme, rest) = target.split_once("://")?;
        let https = match scheme.to_ascii_lowercase().as_str() {
            "http" => false,
            "https" => true,
            _ => return None,
        };
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let authority = rest[..end].rsplit('@').next().unwrap_or_default();
        let (host, port) = split_authority(authority, if https { 443 } else { 80 })?;
        let origin_form = match &rest[end..] {
            "" => "/".to_owned(),
            path if path.starts_with('?') => format!("/{path}"),
            path => path.to_owned(),
        };
        Some(AbsoluteUrl {
            https,
            host,
            port,
            origin_form,
        })
    }
}

/// Sends the request upstream (with `Connection: close`) and reads the whole response.
async fn exchange(req: &Request<'_>, url: &AbsoluteUrl, state: &State) -> io::Result<Vec<u8>> {
    let tcp = TcpStream::connect((url.host.as_str(), url.port)).await?;
    let request = upstream_request(req, url);
    if !url.https {
        return round_trip(tcp, &request).await;
    }
    let name = ServerName::try_from(url.host.clone())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let tls = state.upstream_tls.connect(name, tcp).await?;
    round_trip(tls, &request).await
}

async fn round_trip<S: AsyncRead + AsyncWrite + Unpin>(
    mut io: S,
    request: &[u8],
) -> io::Result<Vec<u8>> {
    send(&mut io, request).await?;
    let mut response = Vec::new();
    match io.read_to_end(&mut response).await {
        Ok(_) => Ok(response),
        // A TLS server that closes without close_notify has still sent its whole response.
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && !response.is_empty() => Ok(response),
        Err(e) => Err(e),
    }
}

/// The request as the origin server gets it: origin-form target, hop-by-hop headers dropped,
/// the body (already de-chunked) with its length.
fn upstream_request(req: &Request<'_>, url: &AbsoluteUrl) -> Vec<u8> {
    let mut out = format!("{} {} HTTP/1.1\r\n", req.method(), url.origin_form).into_bytes();
    for (name, value) in req.headers() {
        if HOP_BY_HOP.iter().any(|h| h.eq_ignore_ascii_case(name)) {
            continue;
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    let body = req.body();
    let framed =
        req.header("content-length").is_some() || req.header("transfer-encoding").is_some();
    if framed || !body.is_empty() {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"Connection: close\r\n\r\n");
    out.extend_from_slice(body);
    out
}

/// Rewrites a complete close-delimited upstream response for a persistent client connection:
/// the upstream's `Connection` header goes, and a body without framing gets a Content-Length.
/// Returns the status and the bytes.
fn reframe(response: &[u8], head_request: bool, next: &Next) -> (u16, Vec<u8>) {
    let mut lines = [httparse::EMPTY_HEADER; 256];
    let mut parsed = httparse::Response::new(&mut lines);
    let head_len = match parsed.parse(response) {
        Ok(httparse::Status::Complete(n)) => n,
        _ => return (502, status_reply(502, "Bad Gateway", false)),
    };
    let status = parsed.code.unwrap_or(502);
    let reason = parsed.reason.unwrap_or_default();
    let body = &response[head_len..];
    let mut out = format!("HTTP/1.1 {status} {reason}\r\n").into_bytes();
    let mut framed = false;
    for header in parsed.headers.iter() {
        let name = header.name;
        if name.eq_ignore_ascii_case("connection") || name.eq_ignore_ascii_case("keep-alive") {
            continue;
        }
        framed |= name.eq_ignore_ascii_case("content-length")
            || name.eq_ignore_ascii_case("transfer-encoding");
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(header.value);
        out.extend_from_slice(b"\r\n");
    }
    let bodiless = head_request || status == 204 || status == 304 || status < 200;
    if !framed && !bodiless {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    if let Next::Close = next {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if !head_request {
        out.extend_from_slice(body);
    }
    (status, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorities_and_urls_split() {
        assert_eq!(split_authority("h:1", 443), Some(("h".into(), 1)));
        assert_eq!(split_authority("[::1]:8", 443), Some(("::1".into(), 8)));
        assert_eq!(split_authority("h", 80), Some(("h".into(), 80)));
        assert_eq!(split_authority(":1", 80), None);
        let url = AbsoluteUrl::parse("http://u:p@Host:81?q=1").unwrap();
        assert_eq!((url.host.as_str(), url.port), ("Host", 81));
        assert_eq!(url.origin_form, "/?q=1");
        assert!(AbsoluteUrl::parse("/path").is_none());
        assert!(AbsoluteUrl::parse("https://h/x").unwrap().https);
    }

    #[test]
    fn close_delimited_responses_get_a_length() {
        let (status, out) = reframe(
            b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello",
            false,
            &Next::KeepAlive,
        );
        assert_eq!(status, 200);
        assert_eq!(out, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
        let (_, out) = reframe(b"HTTP/1.1 204 No Content\r\n\r\n", false, &Next::Close);
        assert_eq!(out, b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
    }
}
