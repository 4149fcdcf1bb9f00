//! One HTTP/1.1 connection: open it (over TCP, or TLS with [`TlsConfig`], directly or through
//! a proxy), send a request on it, read the response head.
//!
//! A connection is built in layers, each on the one before: a TCP socket; a SOCKS handshake on
//! it ([`SocksConfig`]); or TLS to an HTTPS proxy and a CONNECT tunnel through it
//! ([`ProxyConfig`]); then TLS to the server.
//!
//! A [`Connection`] is what a pool keeps. It owns the transport and its read buffer; a
//! [`Response`] borrows nothing and takes the connection with it while the body is read, then
//! hands it back through a release hook (see [`crate::response`]).

mod encode;
mod eyeballs;
mod proxy;
mod socks;
mod stream;
mod tcp;
mod tls;
pub(crate) mod wait;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use encode::SKIP_HEADER;
pub use proxy::ProxyConfig;
pub use socks::{SocksConfig, SocksVersion};
pub use tcp::{AddressFamily, SocketConfig, SocketHook};
pub use tls::{AltName, DistinguishedName, PeerCertificate};
pub use tls::{AssertHostname, CaCertData, CertReqs, TlsConfig, TlsVersion};
pub use wait::{set_interrupt_check, InterruptCheck};

pub(crate) use encode::{expects_body, BodyFraming, RequestHead};
pub(crate) use stream::{BufStream, Transport};
pub(crate) use tcp::os_error_text;

use crate::body::Body;
use crate::error::{Error, ErrorKind, Result};
use crate::headers::HeaderMap;
use crate::proto::http2::{RecvBody, Session};
use crate::response::{head, Response, ResponseOptions};
use crate::timeout::Timeout;

/// The `User-Agent` the Rust API sends unless the caller gives one.
pub const DEFAULT_USER_AGENT: &str = concat!("urllib3-rs/", env!("CARGO_PKG_VERSION"));

/// Largest body sent in the same write as the head: one system call for a typical POST.
const COALESCE_LIMIT: usize = 16 * 1024;
/// Block size for reading a streamed request body (urllib3's default `blocksize`).
const BLOCK_SIZE: usize = 16 * 1024;

/// An open HTTP/1.1 connection to one host and port.
///
/// ```
/// # let server = testserver::TestServer::start();
/// # let (host, port) = (server.host(), server.port());
/// use urllib3::{Body, Connection, HeaderMap, Timeout};
///
/// let conn = Connection::open(host, port, &Timeout::new(), &Default::default())?;
/// let host_header = format!("{host}:{port}");
/// let mut response = conn.request("GET", "/get", &host_header, &HeaderMap::new(), Body::Empty, &Timeout::new())?;
/// assert_eq!(response.status(), 200);
/// println!("{}", response.text()?);
/// # Ok::<(), urllib3::Error>(())
/// ```
#[derive(Debug)]
pub struct Connection {
    stream: BufStream,
    host: String,
    port: u16,
    requests: u64,
    /// The shared rustls configuration a TLS connection was made with.
    tls: Option<tls::Built>,
    /// Whether urllib3 would call the connection verified (`is_verified`).
    verified: bool,
    /// Through an HTTP proxy: whether the proxy's certificate was verified
    /// (`proxy_is_verified`); `None` without such a proxy.
    proxy_verified: Option<bool>,
    /// When TLS negotiated `h2`: this handle on the HTTP/2 connection, which then owns the
    /// transport (`stream` is left empty); HTTP/1.1 otherwise.
    http2: Option<Box<Http2>>,
}

/// A connection's HTTP/2 side: its session handle, and what its TLS handshake settled, read
/// once because the transport is behind the session's lock from then on.
#[derive(Debug)]
struct Http2 {
    session: Session,
    tls: Arc<TlsFacts>,
}

#[derive(Debug)]
struct TlsFacts {
    version: Option<&'static str>,
    cipher: Option<&'static str>,
    certificates: Option<Vec<rustls::pki_types::CertificateDer<'static>>>,
}

impl TlsFacts {
    fn of(tls: &rustls::ClientConnection) -> Self {
        TlsFacts {
            version: version_name(tls),
            cipher: cipher_name(tls),
            certificates: tls
                .peer_certificates()
                .map(|certs| certs.iter().map(|c| c.clone().into_owned()).collect()),
        }
    }
}

/// The proxy a connection goes through.
///
/// ```
/// use urllib3::{Proxy, ProxyConfig, SocksConfig};
///
/// let http = Proxy::Http(ProxyConfig::new("http://127.0.0.1:3128")?);
/// let socks = Proxy::Socks(SocksConfig::from_url("socks5h://127.0.0.1:1080")?);
/// assert_ne!(http, socks);
/// # Ok::<(), urllib3::Error>(())
/// ```
// One per pool configuration, which pools share through an Arc: the size difference costs
// nothing, and boxing would make every caller write `Box::new`.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Proxy {
    /// An HTTP or HTTPS proxy: requests are forwarded to it, or tunnelled with CONNECT.
    Http(ProxyConfig),
    /// A SOCKS proxy: every connection is made through it.
    Socks(SocksConfig),
}

/// A request as it goes out on a connection.
///
/// ```
/// # let server = testserver::TestServer::start();
/// # let (host, port) = (server.host(), server.port());
/// use urllib3::connection::Request;
/// use urllib3::{Body, Connection, HeaderMap, ResponseOptions, Timeout};
///
/// let conn = Connection::open(host, port, &Timeout::new(), &Default::default())?;
/// let headers: HeaderMap = [("Accept", "application/json")].into_iter().collect();
/// let request = Request {
///     method: "POST", target: "/post", host, headers: &headers, chunked: true, user_agent: "demo/1.0",
/// };
/// let mut body = Body::from("hello");
/// let mut response = conn.send(&request, &mut body, None, None, ResponseOptions::default())?;
/// assert!(response.text()?.contains("demo/1.0"));
/// # Ok::<(), urllib3::Error>(())
/// ```
#[derive(Debug)]
pub struct Request<'a> {
    /// The method, sent as given (`GET`, `POST`, …).
    pub method: &'a str,
    /// The request target: a path with query, or an absolute URL for a forwarding proxy.
    pub target: &'a str,
    /// The `Host` header value (with the port when it is not the scheme's default).
    pub host: &'a str,
    /// The caller's headers, sent in their case and order after the defaults.
    pub headers: &'a HeaderMap,
    /// Send the body with chunked framing even when its length is known.
    pub chunked: bool,
    /// The `User-Agent` to send when the caller's headers have none.
    pub user_agent: &'a str,
}

impl Connection {
    /// Opens a TCP connection within the connect timeout of `timeout`.
    pub fn open(host: &str, port: u16, timeout: &Timeout, socket: &SocketConfig) -> Result<Self> {
        let tcp = tcp::connect(host, port, timeout.connect_timeout(), socket)?;
        Ok(Connection::over(Transport::Tcp(tcp), host, port))
    }

    /// Opens a TCP connection and completes a TLS handshake on it, both within the connect
    /// timeout of `timeout`, as urllib3's `HTTPSConnection.connect` does.
    ///
    /// The server's certificate is checked as `tls` says; a failed check, an alert from the
    /// server or a handshake that breaks down is an `SSLError` whose message says why.
    ///
    /// ```
    /// # let server = testserver::TestServer::start_tls();
    /// # let port = server.port();
    /// use urllib3::{Body, Connection, HeaderMap, Timeout, TlsConfig};
    ///
    /// let tls = TlsConfig::new().with_ca_certs(server.ca_file().unwrap());
    /// let conn = Connection::open_tls("localhost", port, &Timeout::new(), &Default::default(), &tls)?;
    /// assert_eq!(conn.tls_version(), Some("TLSv1.3"));
    /// assert_eq!(conn.alpn_protocol(), Some("http/1.1"));
    /// let response = conn.request("GET", "/get", "localhost", &HeaderMap::new(), Body::Empty, &Timeout::new())?;
    /// assert_eq!(response.status(), 200);
    /// # Ok::<(), urllib3::Error>(())
    /// ```
    pub fn open_tls(
        host: &str,
        port: u16,
        timeout: &Timeout,
        socket: &SocketConfig,
        tls: &TlsConfig,
    ) -> Result<Self> {
        let connect_timeout = timeout.connect_timeout();
        let tcp = tcp::connect(host, port, connect_timeout, socket)?;
        Connection::finish(Transport::Tcp(tcp), host, port, Some(tls), connect_timeout)
    }

    /// Opens a connection to `host:port` through a SOCKS proxy (urllib3's `SOCKSConnection`),
    /// with TLS to the server inside it when `tls` is given. The proxy handshake and the TLS
    /// handshake each get the connect timeout.
    ///
    /// A proxy that refuses is a `NewConnectionError` with the SOCKS error text; one that does
    /// not answer in time, a `ConnectTimeoutError`.
    ///
    /// ```
    /// # let server = testserver::TestServer::start();
    /// # let socks_proxy = testserver::SocksProxy::start();
    /// use urllib3::{Body, Connection, HeaderMap, SocksConfig, Timeout};
    ///
    /// let socks = SocksConfig::from_url(&socks_proxy.url("socks5h"))?;
    /// let conn = Connection::open_socks(&socks, "localhost", server.port(), &Timeout::new(), &Default::default(), None)?;
    /// let response = conn.request("GET", "/get", "localhost", &HeaderMap::new(), Body::Empty, &Timeout::new())?;
    /// assert_eq!(response.status(), 200);
    /// # Ok::<(), urllib3::Error>(())
    /// ```
    pub fn open_socks(
        socks: &SocksConfig,
        host: &str,
        port: u16,
        timeout: &Timeout,
        socket: &SocketConfig,
        tls: Option<&TlsConfig>,
    ) -> Result<Self> {
        let connect_timeout = timeout.connect_timeout();
        let tcp = socks::connect(socks, host, port, connect_timeout, socket)?;
        Connection::finish(Transport::Tcp(tcp), host, port, tls, connect_timeout)
    }

    /// Opens a connection to `host:port` through a CONNECT tunnel of an HTTP or HTTPS proxy,
    /// with TLS to the server inside the tunnel when `tls` is given (TLS inside TLS through an
    /// HTTPS proxy). The proxy headers (with `Proxy-Authorization` from the proxy URL) go on
    /// the CONNECT only.
    ///
    /// Failing to reach the proxy, or a CONNECT answered with another status than 200, is a
    /// `ProxyError("Unable to connect to proxy")` whose cause says why; for a refused CONNECT,
    /// [`Error::status`] is the proxy's status (407, 403, 502, …).
    ///
    /// ```
    /// # let server = testserver::TestServer::start_tls();
    /// # let http_proxy = testserver::HttpProxy::start();
    /// use urllib3::{Body, Connection, HeaderMap, ProxyConfig, Timeout, TlsConfig};
    ///
    /// let proxy = ProxyConfig::new(&http_proxy.url())?;
    /// let tls = TlsConfig::new().with_ca_certs(server.ca_file().unwrap());
    /// let conn = Connection::open_tunnel(&proxy, "localhost", server.port(), &Timeout::new(), &Default::default(), Some(&tls))?;
    /// assert!(conn.is_verified());
    /// assert_eq!(conn.proxy_is_verified(), Some(false)); // a plain http:// proxy
    /// let response = conn.request("GET", "/get", "localhost", &HeaderMap::new(), Body::Empty, &Timeout::new())?;
    /// assert_eq!(response.status(), 200);
    /// # Ok::<(), urllib3::Error>(())
    /// ```
    pub fn open_tunnel(
        proxy: &ProxyConfig,
        host: &str,
        port: u16,
        timeout: &Timeout,
        socket: &SocketConfig,
        tls: Option<&TlsConfig>,
    ) -> Result<Self> {
        let connect_timeout = timeout.connect_timeout();
        let reached = proxy::reach(proxy, connect_timeout, socket)?;
        let mut transport = reached.transport;
        let headers = proxy.proxy_headers();
        proxy::tunnel(&mut transport, host, port, &headers, connect_timeout).map_err(|e| {
            // A refused tunnel is a failure to connect to the proxy, as in urllib3; a timeout
            // or a broken answer is reported as it is.
            if e.kind() == ErrorKind::Proxy {
                proxy::unable_to_connect(e, proxy.scheme() == crate::Scheme::Https)
            } else {
                e
            }
        })?;
        let mut conn = Connection::finish(transport, host, port, tls, connect_timeout)?;
        conn.proxy_verified = Some(reached.verified);
        Ok(conn)
    }

    /// Opens a connection to an HTTP or HTTPS proxy itself, for requests forwarded to it with
    /// absolute URLs as their targets. The connection is never verified in urllib3's sense
    /// (the proxy, not us, checks the server); [`Connection::proxy_is_verified`] says whether
    /// the proxy's own certificate was.
    ///
    /// ```
    /// # let server = testserver::TestServer::start();
    /// # let http_proxy = testserver::HttpProxy::start();
    /// use urllib3::{Body, Connection, HeaderMap, ProxyConfig, Timeout};
    ///
    /// let proxy = ProxyConfig::new(&http_proxy.url())?;
    /// let conn = Connection::open_proxy(&proxy, &Timeout::new(), &Default::default())?;
    /// let host = format!("127.0.0.1:{}", server.port());
    /// let url = server.url("/get");
    /// let response = conn.request("GET", &url, &host, &proxy.proxy_headers(), Body::Empty, &Timeout::new())?;
    /// assert_eq!(response.status(), 200);
    /// # Ok::<(), urllib3::Error>(())
    /// ```
    pub fn open_proxy(
        proxy: &ProxyConfig,
        timeout: &Timeout,
        socket: &SocketConfig,
    ) -> Result<Self> {
        let reached = proxy::reach(proxy, timeout.connect_timeout(), socket)?;
        let mut conn = Connection::over(reached.transport, proxy.host(), proxy.port());
        conn.tls = reached.tls;
        conn.proxy_verified = Some(reached.verified);
        Ok(conn)
    }

    /// Starts TLS with `host` (port `port`) on this connection, within `timeout`: for callers
    /// that set up a tunnel themselves before the handshake (a subclass overriding
    /// http.client's `_tunnel`). Whether the proxy was verified carries over.
    ///
    /// ```
    /// # let server = testserver::TestServer::start_tls();
    /// # let http_proxy = testserver::HttpProxy::start();
    /// use urllib3::{Connection, TlsConfig, Timeout};
    ///
    /// let mut conn = Connection::open("127.0.0.1", http_proxy.port(), &Timeout::new(), &Default::default())?;
    /// let connect = format!("CONNECT localhost:{0} HTTP/1.1\r\nHost: localhost:{0}\r\n\r\n", server.port());
    /// urllib3::raw::write(&mut conn, connect.as_bytes(), None)?;
    /// let mut reply = [0u8; 1024];
    /// let n = urllib3::raw::read(&mut conn, &mut reply, None)?;
    /// assert!(reply[..n].starts_with(b"HTTP/1.1 200"));
    /// let tls = TlsConfig::new().with_ca_certs(server.ca_file().unwrap());
    /// let conn = conn.start_tls("localhost", server.port(), &tls, None)?;
    /// assert!(conn.is_verified());
    /// # Ok::<(), urllib3::Error>(())
    /// ```
    pub fn start_tls(
        self,
        host: &str,
        port: u16,
        tls: &TlsConfig,
        timeout: Option<Duration>,
    ) -> Result<Self> {
        let proxy_verified = self.proxy_verified;
        let transport = self.stream.into_transport().ok_or_else(|| {
            Error::new(
                ErrorKind::Protocol,
                "bytes arrived before the TLS handshake could start",
            )
        })?;
        let mut conn = Connection::finish(transport, host, port, Some(tls), timeout)?;
        conn.proxy_verified = proxy_verified;
        Ok(conn)
    }

    /// A connection over an established transport, with TLS to `host` on top when `tls` is
    /// given (the last layer of every way of connecting).
    fn finish(
        transport: Transport,
        host: &str,
        port: u16,
        tls: Option<&TlsConfig>,
        connect_timeout: Option<Duration>,
    ) -> Result<Self> {
        let Some(tls) = tls else {
            return Ok(Connection::over(transport, host, port));
        };
        let (stream, built) = tls::handshake(transport, host, tls, connect_timeout)?;
        let mut conn = Connection::over(Transport::Tls(stream), host, port);
        conn.tls = Some(built);
        conn.verified = tls.is_verified();
        if conn.alpn_protocol() == Some("h2") {
            let tls = conn.stream.transport().tls().map(TlsFacts::of);
            let stream = std::mem::replace(&mut conn.stream, BufStream::detached());
            conn.http2 = Some(Box::new(Http2 {
                session: Session::start(stream, connect_timeout)?,
                tls: Arc::new(tls.ok_or_else(|| {
                    Error::new(ErrorKind::Protocol, "HTTP/2 was negotiated without TLS")
                })?),
            }));
        }
        Ok(conn)
    }

    fn over(transport: Transport, host: &str, port: u16) -> Self {
        Connection {
            stream: BufStream::new(transport),
            host: host.to_owned(),
            port,
            requests: 0,
            tls: None,
            verified: false,
            proxy_verified: None,
            http2: None,
        }
    }

    /// Another handle on this connection's HTTP/2 connection, for a request at the same time
    /// as this one's; `None` over HTTP/1.1, or when the HTTP/2 connection is full or gone.
    pub(crate) fn share(&self) -> Option<Connection> {
        let http2 = self.http2.as_ref()?;
        if !self.has_room() || http2.session.is_dropped() {
            return None;
        }
        Some(Connection {
            stream: BufStream::detached(),
            host: self.host.clone(),
            port: self.port,
            requests: 0,
            tls: self.tls.clone(),
            verified: self.verified,
            proxy_verified: self.proxy_verified,
            http2: Some(Box::new(Http2 {
                session: http2.session.share(),
                tls: Arc::clone(&http2.tls),
            })),
        })
    }

    /// Whether a request sent now would start at once: always over HTTP/1.1; over HTTP/2,
    /// while the connection has fewer streams open than the server allows.
    pub(crate) fn has_room(&self) -> bool {
        self.http2
            .as_ref()
            .is_none_or(|http2| http2.session.has_room())
    }

    /// The HTTP version requests on this connection use: HTTP/2 when TLS negotiated it.
    pub fn version(&self) -> crate::Version {
        if self.http2.is_some() {
            crate::Version::Http2
        } else {
            crate::Version::Http11
        }
    }

    /// Whether the connection is over TLS.
    pub fn is_tls(&self) -> bool {
        self.http2.is_some() || self.stream.transport().tls().is_some()
    }

    /// Whether urllib3 would call this connection verified: TLS with `CERT_REQUIRED` or a
    /// pinned fingerprint. Requests on an unverified connection are what urllib3 warns
    /// `InsecureRequestWarning` about.
    pub fn is_verified(&self) -> bool {
        self.verified
    }

    /// Through an HTTP or HTTPS proxy: whether the proxy's certificate was verified (urllib3's
    /// `proxy_is_verified`; always false for an `http://` proxy). `None` without one.
    pub fn proxy_is_verified(&self) -> Option<bool> {
        self.proxy_verified
    }

    /// The negotiated TLS version as Python's `SSLSocket.version()` names it (`"TLSv1.3"`).
    pub fn tls_version(&self) -> Option<&'static str> {
        match &self.http2 {
            Some(http2) => http2.tls.version,
            None => version_name(self.stream.transport().tls()?),
        }
    }

    /// The negotiated cipher suite's OpenSSL name (`"ECDHE-RSA-AES128-GCM-SHA256"`), as the
    /// first item of Python's `SSLSocket.cipher()`.
    pub fn cipher(&self) -> Option<&'static str> {
        match &self.http2 {
            Some(http2) => http2.tls.cipher,
            None => cipher_name(self.stream.transport().tls()?),
        }
    }

    /// The ALPN protocol the server picked (`"http/1.1"`), if any.
    pub fn alpn_protocol(&self) -> Option<&str> {
        if self.http2.is_some() {
            return Some("h2");
        }
        let protocol = self.stream.transport().tls()?.alpn_protocol()?;
        std::str::from_utf8(protocol).ok()
    }

    /// The server's certificate (DER), as Python's `getpeercert(binary_form=True)`.
    pub fn peer_certificate(&self) -> Option<&[u8]> {
        match &self.http2 {
            Some(http2) => http2.tls.certificates.as_deref(),
            None => self.stream.transport().tls()?.peer_certificates(),
        }?
        .first()
        .map(|c| c.as_ref())
    }

    /// The server's certificate decoded as Python's `getpeercert()` presents it (subject,
    /// issuer, validity, names); `None` for plain TCP.
    pub fn peer_certificate_decoded(&self) -> Option<Result<PeerCertificate>> {
        self.peer_certificate().map(PeerCertificate::from_der)
    }

    /// Whether the server's chain was checked against trusted roots (`cert_reqs` other than
    /// `CERT_NONE`). Python's `getpeercert()` decodes the certificate only then: without the
    /// check its contents are unauthenticated, and it returns an empty dict.
    pub fn peer_certificate_checked(&self) -> bool {
        self.tls.as_ref().is_some_and(|built| built.roots.is_some())
    }

    /// The certificate chain (DER) the handshake verified, from the server's certificate to the
    /// root; without verification (`CERT_NONE`), the certificates the server sent. `None` for
    /// plain TCP. Python's `SSLSocket.get_verified_chain()`.
    pub fn verified_chain(&self) -> Option<Vec<Vec<u8>>> {
        let built = self.tls.as_ref()?;
        let presented = match &self.http2 {
            Some(http2) => http2.tls.certificates.as_deref(),
            None => self.stream.transport().tls()?.peer_certificates(),
        }?;
        let chain = tls::verified_chain(built, presented);
        Some(chain.into_iter().map(|c| c.to_vec()).collect())
    }

    /// The rustls configuration this TLS connection was made with: one shared object for all
    /// connections with equal [`TlsConfig`] settings.
    pub fn tls_config(&self) -> Option<&Arc<rustls::ClientConfig>> {
        self.tls.as_ref().map(|built| &built.config)
    }

    /// The host this connection was opened to.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port this connection was opened to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// How many requests were sent on this connection.
    pub fn requests_sent(&self) -> u64 {
        self.requests
    }

    /// The local address of the socket.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket()?.local_addr()
    }

    /// The peer address of the socket.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.socket()?.peer_addr()
    }

    /// The socket's file descriptor (for `select`/`poll` and socket options), if the connection
    /// has a socket.
    #[cfg(unix)]
    pub fn raw_fd(&self) -> Option<std::os::fd::RawFd> {
        use std::os::fd::AsRawFd;
        self.socket().ok().map(AsRawFd::as_raw_fd)
    }

    /// Sends a request and reads the response head; the returned [`Response`] owns the
    /// connection until its body is read.
    ///
    /// `host` is the `Host` header value. The read timeout of `timeout` applies to each read.
    pub fn request(
        self,
        method: &str,
        target: &str,
        host: &str,
        headers: &HeaderMap,
        body: Body,
        timeout: &Timeout,
    ) -> Result<Response> {
        let request = Request {
            method,
            target,
            host,
            headers,
            chunked: false,
            user_agent: DEFAULT_USER_AGENT,
        };
        let mut body = body;
        let options = ResponseOptions::default();
        self.send(
            &request,
            &mut body,
            timeout.connect_timeout(),
            timeout.read_timeout(Duration::ZERO),
            options,
        )
    }

    /// The lower-level form of [`Connection::request`]: write timeout, read timeout and the
    /// response options given separately, and the body borrowed so a retry can send it again.
    pub fn send(
        mut self,
        request: &Request<'_>,
        body: &mut Body,
        write_timeout: Option<Duration>,
        read_timeout: Option<Duration>,
        options: ResponseOptions,
    ) -> Result<Response> {
        self.write_request(request, body, write_timeout)?;
        self.read_response(request.method, read_timeout, options)
    }

    /// Writes the head and the body.
    ///
    /// A server that answers early and closes (a 413 to a large upload, say) makes the write
    /// fail with a broken pipe; as urllib3 does, that is not an error yet: the response it sent
    /// is read next.
    pub fn write_request(
        &mut self,
        request: &Request<'_>,
        body: &mut Body,
        write_timeout: Option<Duration>,
    ) -> Result<()> {
        self.requests += 1;
        self.set_write_timeout(write_timeout)?;
        if let Some(http2) = self.http2.as_mut() {
            return http2.session.send(request, body, write_timeout);
        }
        let head = RequestHead {
            method: request.method,
            target: request.target,
            host: request.host,
            headers: request.headers,
            user_agent: request.user_agent,
            chunked: request.chunked,
        };
        let mut out = Vec::with_capacity(512);
        let framing = encode::encode_head(&head, body, &mut out)?;
        // TLS may hold the last record back until flushed; for TCP the flush is free.
        let sent = self
            .write_body(out, framing, body)
            .and_then(|()| self.stream.flush());
        match sent {
            Err(e) if is_peer_gone(&e) => Ok(()),
            Err(e) if is_timeout(&e) => Err(Error::read_timeout(write_timeout).with_source(e)),
            Err(e) => Err(io_failure(e)),
            Ok(()) => Ok(()),
        }
    }

    fn write_body(
        &mut self,
        mut out: Vec<u8>,
        framing: BodyFraming,
        body: &mut Body,
    ) -> io::Result<()> {
        match (framing, body) {
            (BodyFraming::None, _) | (_, Body::Empty) => {
                if framing == BodyFraming::Chunked {
                    out.extend_from_slice(encode::LAST_CHUNK);
                }
                self.stream.write_all(&out)
            }
            (BodyFraming::Length(_), Body::Bytes(bytes)) => {
                if bytes.len() <= COALESCE_LIMIT {
                    out.extend_from_slice(bytes);
                    self.stream.write_all(&out)
                } else {
                    self.stream.write_all(&out)?;
                    self.stream.write_all(bytes)
                }
            }
            (BodyFraming::Chunked, Body::Bytes(bytes)) => {
                if !bytes.is_empty() {
                    encode::encode_chunk(bytes, &mut out);
                }
                out.extend_from_slice(encode::LAST_CHUNK);
                self.stream.write_all(&out)
            }
            (BodyFraming::Length(length), Body::Reader { reader, .. }) => {
                self.stream.write_all(&out)?;
                // Exactly `length` bytes: more would be read by the server as the next request,
                // fewer would leave it waiting for the rest.
                let mut limited = io::Read::take(&mut **reader, length);
                let sent = io::copy(&mut limited, &mut WriteHalf(&mut self.stream))?;
                if sent < length {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "the body ended after {sent} of its {length} bytes (Content-Length)"
                        ),
                    ));
                }
                Ok(())
            }
            (BodyFraming::Chunked, Body::Reader { reader, .. }) => {
                self.stream.write_all(&out)?;
                self.write_chunked(reader.as_mut())
            }
        }
    }

    fn write_chunked(&mut self, reader: &mut dyn io::Read) -> io::Result<()> {
        let mut block = vec![0u8; BLOCK_SIZE];
        let mut out = Vec::with_capacity(BLOCK_SIZE + 16);
        loop {
            let n = match reader.read(&mut block) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            out.clear();
            if n == 0 {
                return self.stream.write_all(encode::LAST_CHUNK);
            }
            encode::encode_chunk(&block[..n], &mut out);
            self.stream.write_all(&out)?;
        }
    }

    /// Reads a response head, skipping interim 1xx responses (other than 101).
    pub fn read_response(
        mut self,
        method: &str,
        read_timeout: Option<Duration>,
        options: ResponseOptions,
    ) -> Result<Response> {
        self.stream
            .set_read_timeout(read_timeout)
            .map_err(Error::connection_aborted)?;
        if let Some(http2) = self.http2.as_mut() {
            let (head, body) = http2.session.receive(read_timeout)?;
            return Response::over_http2(head, self, body, method, options);
        }
        loop {
            let head = self.read_head(read_timeout)?;
            if (100..200).contains(&head.status) && head.status != 101 {
                continue;
            }
            return Response::new(head, self, method, options);
        }
    }

    fn read_head(&mut self, read_timeout: Option<Duration>) -> Result<head::ResponseHead> {
        // A head of 100 maximal lines is the most http.client would accept.
        const MAX_HEAD: usize = (head::MAX_HEADERS + 1) * (head::MAX_LINE + 2) + 2;
        loop {
            if let Some((parsed, len)) = head::parse(self.stream.buffered())? {
                self.stream.consume(len);
                return Ok(parsed);
            }
            let had = self.stream.buffered().len();
            match self.stream.fill_more(MAX_HEAD) {
                Ok(0) if had == 0 => {
                    return Err(head::aborted(
                        "RemoteDisconnected('Remote end closed connection without response')"
                            .to_owned(),
                    ))
                }
                Ok(0) => {
                    // http.client takes the end of the stream as the end of the head once
                    // the status line is complete; the body then fails or ends as its
                    // framing says. So does urllib3, and so do we.
                    let buffered = self.stream.buffered();
                    let consumed = buffered.len();
                    return match head::parse_cut_short(buffered)? {
                        Some(parsed) => {
                            self.stream.consume(consumed);
                            Ok(parsed)
                        }
                        None => Err(head::aborted(
                            "the connection closed in the middle of the status line".to_owned(),
                        )),
                    };
                }
                Ok(_) => {}
                Err(e) if is_timeout(&e) => {
                    return Err(Error::read_timeout(read_timeout).with_source(e));
                }
                Err(e) => return Err(io_failure(e)),
            }
        }
    }

    /// Whether the connection can no longer carry a request: the server closed it, reset it,
    /// or sent bytes nobody asked for. Checked before reusing an idle connection, because a
    /// request written to a connection the server already closed fails half-way.
    pub fn is_dropped(&self) -> bool {
        if let Some(http2) = &self.http2 {
            // An idle HTTP/2 connection may be sent frames (PING, SETTINGS, a GOAWAY): the
            // session takes in what arrived, and an ended or closing session, or a closed
            // socket, rules it out.
            return http2.session.is_dropped();
        }
        if !self.stream.buffered().is_empty() {
            return true;
        }
        // TLS may have read ahead of us: decrypted bytes nobody asked for, or the server's
        // close_notify, both sitting in rustls rather than in the socket.
        if self.stream.transport().tls_has_unread() {
            return true;
        }
        !matches!(self.peek(), Some(Err(e)) if e.kind() == io::ErrorKind::WouldBlock)
    }

    /// A non-blocking one-byte peek at the socket; `None` without one (a reader-backed
    /// connection carries one response and nothing after it).
    fn peek(&self) -> Option<io::Result<usize>> {
        self.stream.transport().tcp().map(peek_now)
    }

    /// Writes bytes as they are: for callers that build the request themselves (http.client's
    /// `send`). A peer that went away is reported, unlike in [`Connection::write_request`],
    /// since nothing here decides what the bytes mean. Public as [`crate::raw::write`].
    pub(crate) fn write_raw(&mut self, data: &[u8], write_timeout: Option<Duration>) -> Result<()> {
        self.set_write_timeout(write_timeout)?;
        self.stream.write_all(data).map_err(|e| {
            if is_timeout(&e) {
                Error::read_timeout(write_timeout).with_source(e)
            } else {
                Error::connection_aborted(e)
            }
        })
    }

    /// Reads raw bytes into `out`, buffered ones first (Python's `socket.recv_into`, for callers
    /// that read the wire themselves, like botocore reading a `100 Continue`). Returns 0 at the
    /// end of the stream. Public as [`crate::raw::read`].
    pub(crate) fn read_raw(
        &mut self,
        out: &mut [u8],
        read_timeout: Option<Duration>,
    ) -> Result<usize> {
        self.stream
            .set_read_timeout(read_timeout)
            .map_err(Error::connection_aborted)?;
        self.stream.read_into(out).map_err(|e| {
            if is_timeout(&e) {
                Error::read_timeout(read_timeout).with_source(e)
            } else {
                io_failure(e)
            }
        })
    }

    /// Whether bytes were already received and not read yet (in the read buffer or inside
    /// TLS), so that a read returns without waiting: a readiness poll on the socket cannot
    /// see them. Public as [`crate::raw::has_pending`].
    pub(crate) fn has_pending(&self) -> bool {
        self.stream.has_unread()
    }

    /// A connection that reads a response from `reader` instead of a socket: for responses
    /// built by hand (urllib3's `HTTPResponse(body=file)`). It cannot send requests. Public as
    /// [`crate::raw::connection_from_reader`].
    pub(crate) fn from_reader(reader: Box<dyn io::Read + Send>) -> Self {
        Connection::over(Transport::Reader(reader), "", 0)
    }

    fn socket(&self) -> io::Result<&std::net::TcpStream> {
        match &self.http2 {
            Some(http2) => http2.session.socket(),
            None => self.stream.transport().tcp(),
        }
        .ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))
    }

    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> Result<()> {
        self.stream
            .set_write_timeout(timeout)
            .map_err(Error::connection_aborted)
    }

    pub(crate) fn stream(&self) -> &BufStream {
        &self.stream
    }

    pub(crate) fn stream_mut(&mut self) -> &mut BufStream {
        &mut self.stream
    }

    /// Reads HTTP/2 body bytes of `body` (a response received on this connection).
    pub(crate) fn read_http2_body(
        &mut self,
        body: &mut RecvBody,
        out: &mut [u8],
    ) -> io::Result<usize> {
        match &self.http2 {
            Some(http2) => http2
                .session
                .read_body(body, out, self.stream.read_timeout()),
            None => Ok(0),
        }
    }
}

/// A non-blocking one-byte peek at `socket`: 0 at its end, `WouldBlock` when nothing waits.
/// One syscall, without switching the socket's mode back and forth.
pub(crate) fn peek_now(socket: &std::net::TcpStream) -> io::Result<usize> {
    let mut probe = [std::mem::MaybeUninit::<u8>::uninit(); 1];
    socket2::SockRef::from(socket).recv_with_flags(&mut probe, libc::MSG_PEEK | libc::MSG_DONTWAIT)
}

fn version_name(tls: &rustls::ClientConnection) -> Option<&'static str> {
    Some(match tls.protocol_version()? {
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3",
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2",
        _ => "unknown",
    })
}

fn cipher_name(tls: &rustls::ClientConnection) -> Option<&'static str> {
    tls::openssl_name(tls.negotiated_cipher_suite()?.suite())
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// An I/O failure on an open connection: an `SSLError` when TLS says why (an alert from the
/// server, a corrupt record), else `ProtocolError("Connection aborted.")`.
fn io_failure(e: io::Error) -> Error {
    match tls::io_error(&e) {
        Some(ssl) => ssl.with_source(e),
        None => Error::connection_aborted(e),
    }
}

fn is_peer_gone(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
    )
}

/// Lets `io::copy` write to the stream without exposing it as `Write` to the crate.
struct WriteHalf<'a>(&'a mut BufStream);

impl io::Write for WriteHalf<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write_all(buf).map(|()| buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}
