//! HTTP and HTTPS proxies: their settings, the CONNECT tunnel, and the errors on the way to the
//! proxy.
//!
//! A request goes through an HTTP proxy in one of two ways, as in urllib3:
//! - forwarding: the connection is to the proxy itself and the request names the absolute
//!   URL (`GET http://host/path HTTP/1.1`); the proxy headers go with every request. Plain
//!   `http://` targets always go this way, through one connection pool for the proxy.
//! - tunnelling: `CONNECT host:port` asks the proxy for a byte pipe to the target, then TLS to
//!   the target runs inside it, so the proxy sees neither the requests nor the responses. The
//!   proxy headers go on the CONNECT only. `https://` targets go this way unless an HTTPS proxy
//!   is told to forward them ([`ProxyConfig::use_forwarding_for_https`]).
//!
//! An `https://` proxy is spoken to over TLS in both cases, so a tunnelled HTTPS request is TLS
//! inside TLS.

use std::fmt;
use std::io::{self, Read};
use std::time::{Duration, Instant};

use super::stream::Transport;
use super::tls::{self, TlsConfig};
use super::wait;
use crate::error::{Error, ErrorKind, Result};
use crate::headers::{self, HeaderMap};
use crate::pool::Scheme;
use crate::request::MakeHeaders;
use crate::url::{parse_url, Url};

/// Largest CONNECT response head accepted: a proxy that sends more is not answering a CONNECT.
const MAX_TUNNEL_HEAD: usize = 64 * 1024;

/// An HTTP or HTTPS proxy, as urllib3's `ProxyManager` takes it: the proxy URL, the headers
/// for the proxy (`proxy_headers`), the TLS settings for an `https://` proxy
/// (`proxy_ssl_context`, `proxy_assert_hostname`, `proxy_assert_fingerprint`) and
/// `use_forwarding_for_https`.
///
/// User info in the URL (`http://user:password@proxy:3128`) becomes a `Proxy-Authorization:
/// Basic …` header unless the headers already have one.
///
/// ```
/// use urllib3::{HeaderMap, ProxyConfig, Scheme};
///
/// let proxy = ProxyConfig::new("http://user:secret@proxy.example:3128")?
///     .with_headers([("X-Team", "web")].into_iter().collect::<HeaderMap>());
/// assert_eq!((proxy.scheme(), proxy.host(), proxy.port()), (Scheme::Http, "proxy.example", 3128));
/// let headers = proxy.proxy_headers();
/// assert_eq!(headers.get("Proxy-Authorization").as_deref(), Some("Basic dXNlcjpzZWNyZXQ="));
/// assert_eq!(headers.get("X-Team").as_deref(), Some("web"));
/// // https targets go through a CONNECT tunnel, http targets are forwarded.
/// assert!(proxy.requires_tunnel(Scheme::Https));
/// assert!(!proxy.requires_tunnel(Scheme::Http));
///
/// let err = ProxyConfig::new("ftp://proxy.example").unwrap_err();
/// assert_eq!(err.kind(), urllib3::ErrorKind::ProxySchemeUnknown);
/// # Ok::<(), urllib3::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyConfig {
    /// The proxy URL, parsed, with its port filled in (80 for http, 443 for https).
    pub url: Url,
    /// Headers for the proxy: sent on each forwarded request, or on the CONNECT only.
    pub headers: HeaderMap,
    /// How the TLS connection to an `https://` proxy verifies it; unused for `http://`.
    pub tls: TlsConfig,
    /// Send `https://` requests to an HTTPS proxy as forwarded requests instead of through a
    /// CONNECT tunnel. The proxy then sees the requests and responses, and the target's
    /// certificate is checked by the proxy, not by us.
    pub use_forwarding_for_https: bool,
}

impl ProxyConfig {
    /// Parses the proxy URL; its scheme must be `http` or `https` (`ProxySchemeUnknown`
    /// otherwise, with urllib3's message). SOCKS URLs are for
    /// [`SocksConfig`](crate::SocksConfig).
    ///
    /// ```
    /// use urllib3::{ErrorKind, ProxyConfig};
    ///
    /// assert_eq!(ProxyConfig::new("https://proxy.example")?.port(), 443);
    /// let err = ProxyConfig::new("socks5://proxy.example").unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::ProxySchemeUnknown);
    /// assert_eq!(err.message(), "Proxy URL had unsupported scheme socks5, should use http:// or https://");
    /// # Ok::<(), urllib3::Error>(())
    /// ```
    pub fn new(url: &str) -> Result<ProxyConfig> {
        let mut parsed = parse_url(url)?;
        let scheme = match parsed.scheme.as_deref() {
            Some("http") => Scheme::Http,
            Some("https") => Scheme::Https,
            other => return Err(scheme_unknown(other)),
        };
        if parsed.host.as_deref().is_none_or(str::is_empty) {
            return Err(Error::new(
                ErrorKind::LocationValue,
                format!("No host specified in the proxy URL {url:?}"),
            ));
        }
        parsed.port = Some(parsed.port.unwrap_or(scheme.default_port()));
        Ok(ProxyConfig {
            url: parsed,
            headers: HeaderMap::new(),
            tls: TlsConfig::default(),
            use_forwarding_for_https: false,
        })
    }

    /// Sets the proxy headers.
    pub fn with_headers(mut self, headers: HeaderMap) -> Self {
        self.headers = headers;
        self
    }

    /// Sets how the TLS connection to an `https://` proxy is verified.
    pub fn with_tls(mut self, tls: TlsConfig) -> Self {
        self.tls = tls;
        self
    }

    /// Sets [`ProxyConfig::use_forwarding_for_https`].
    pub fn with_forwarding_for_https(mut self, forward: bool) -> Self {
        self.use_forwarding_for_https = forward;
        self
    }

    /// `http` or `https`: how the proxy itself is spoken to.
    pub fn scheme(&self) -> Scheme {
        match self.url.scheme.as_deref() {
            Some("https") => Scheme::Https,
            _ => Scheme::Http,
        }
    }

    /// The proxy's host (an IPv6 literal in brackets, as in the URL).
    pub fn host(&self) -> &str {
        self.url.host.as_deref().unwrap_or_default()
    }

    /// The proxy's port.
    pub fn port(&self) -> u16 {
        self.url.port.unwrap_or(self.scheme().default_port())
    }

    /// Whether requests to a `target` scheme go through a CONNECT tunnel (urllib3's
    /// `connection_requires_http_tunnel`): never for `http`, and for `https` unless an HTTPS
    /// proxy forwards them.
    pub fn requires_tunnel(&self, target: Scheme) -> bool {
        match target {
            Scheme::Http => false,
            Scheme::Https => !(self.scheme() == Scheme::Https && self.use_forwarding_for_https),
        }
    }

    /// The headers sent to the proxy: [`ProxyConfig::headers`], plus `Proxy-Authorization`
    /// from the URL's user info when they have none.
    pub fn proxy_headers(&self) -> HeaderMap {
        let mut headers = self.headers.clone();
        if let Some(credentials) = self.credentials() {
            if !headers.contains("proxy-authorization") {
                let basic = MakeHeaders {
                    proxy_basic_auth: Some(&credentials),
                    ..MakeHeaders::default()
                }
                .build();
                if let Some(value) = basic.get("proxy-authorization") {
                    headers.append("Proxy-Authorization", value.into_owned());
                }
            }
        }
        headers
    }

    /// `user:password` from the URL, percent-decoded.
    fn credentials(&self) -> Option<String> {
        let auth = self.url.auth.as_deref()?;
        Some(
            percent_encoding::percent_decode_str(auth)
                .decode_utf8_lossy()
                .into_owned(),
        )
    }

    /// The URL without user info, for messages and logs.
    pub(crate) fn display_url(&self) -> String {
        Url {
            auth: None,
            ..self.url.clone()
        }
        .url()
    }
}

impl fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Credentials stay out of logs: the URL loses its user info, headers show names only.
        let header_names: Vec<&str> = self.headers.keys().collect();
        f.debug_struct("ProxyConfig")
            .field("url", &self.display_url())
            .field("headers", &header_names)
            .field("tls", &self.tls)
            .field("use_forwarding_for_https", &self.use_forwarding_for_https)
            .finish()
    }
}

/// urllib3's `ProxySchemeUnknown` for a proxy URL that is not http or https.
pub(crate) fn scheme_unknown(scheme: Option<&str>) -> Error {
    let message = match scheme {
        // urllib3's parser reads "localhost:8080" as scheme "localhost"; it calls that none.
        None | Some("localhost") => {
            "Proxy URL had no scheme, should start with http:// or https://".to_owned()
        }
        Some(other) => {
            format!("Proxy URL had unsupported scheme {other}, should use http:// or https://")
        }
    };
    // The scheme is kept as data (the URL field): Python's ProxySchemeUnknown is built from it.
    let err = Error::new(ErrorKind::ProxySchemeUnknown, message);
    match scheme {
        Some(scheme) => err.with_url(scheme),
        None => err,
    }
}

/// A connection to the proxy itself.
pub(crate) struct Reached {
    pub(crate) transport: Transport,
    /// The rustls configuration of the TLS to an `https://` proxy.
    pub(crate) tls: Option<super::tls::Built>,
    /// Whether the proxy's certificate was verified (never, for an `http://` proxy).
    pub(crate) verified: bool,
}

/// Opens the connection to the proxy itself: TCP, then TLS for an `https://` proxy.
///
/// Every failure here is a `ProxyError("Unable to connect to proxy")` wrapping the cause, as
/// urllib3 reports failures before the proxy was reached.
pub(crate) fn reach(
    proxy: &ProxyConfig,
    timeout: Option<Duration>,
    socket: &super::SocketConfig,
) -> Result<Reached> {
    let is_https = proxy.scheme() == Scheme::Https;
    let wrap = |e: Error| unable_to_connect(e, is_https);
    let tcp = super::tcp::connect(proxy.host(), proxy.port(), timeout, socket).map_err(wrap)?;
    if !is_https {
        return Ok(Reached {
            transport: Transport::Tcp(tcp),
            tls: None,
            verified: false,
        });
    }
    let (stream, built) =
        tls::handshake(Transport::Tcp(tcp), proxy.host(), &proxy.tls, timeout).map_err(wrap)?;
    Ok(Reached {
        transport: Transport::Tls(stream),
        tls: Some(built),
        verified: proxy.tls.is_verified(),
    })
}

/// `ProxyError("Unable to connect to proxy", cause)`. A TLS failure that shows the proxy
/// answered in plain HTTP gets urllib3's hint to use an `http://` proxy URL.
pub(crate) fn unable_to_connect(cause: Error, proxy_is_https: bool) -> Error {
    let normalized: String = cause
        .message()
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_lowercase())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let looks_plain_http = [
        "wrong version number",
        "unknown protocol",
        "record layer failure",
    ]
    .iter()
    .any(|phrase| normalized.contains(phrase));
    let hint = if looks_plain_http && proxy_is_https {
        ". Your proxy appears to only use HTTP and not HTTPS, try changing your proxy URL to be \
         HTTP. See: https://urllib3.readthedocs.io/en/latest/advanced-usage.html\
         #https-proxy-error-http-proxy"
    } else {
        ""
    };
    let status = cause.status();
    Error::new(
        ErrorKind::Proxy,
        format!("Unable to connect to proxy{hint}"),
    )
    .with_status(status)
    .with_source(cause)
}

/// Asks the proxy on `transport` for a tunnel to `host:port` and reads its answer, each step
/// within `timeout` (urllib3 gives the CONNECT exchange the connect timeout).
///
/// A status other than 200 is a `ProxyError("Tunnel connection failed: 407 Proxy
/// Authentication Required")` carrying the status; a proxy that does not answer in time is a
/// `ReadTimeoutError`, and one that closes or answers garbage a `ProtocolError`.
pub(crate) fn tunnel(
    transport: &mut Transport,
    host: &str,
    port: u16,
    headers: &HeaderMap,
    timeout: Option<Duration>,
) -> Result<()> {
    let request = connect_request(host, port, headers)?;
    tls::set_timeouts(transport, wait::os_timeout(timeout))?;
    // One budget for the exchange, as for a TLS handshake; every wait can be interrupted.
    let deadline = timeout.map(|t| Instant::now() + t);
    let exchanged = wait::write_all_until(transport, &request, deadline)
        .and_then(|()| read_tunnel_head(transport, deadline));
    let head = exchanged.map_err(|e| tunnel_io_error(e, timeout))?;
    check_tunnel_answer(&head)?;
    tls::set_timeouts(transport, None)
}

/// The CONNECT request: `CONNECT host:port HTTP/1.1`, the proxy headers, and `Host` unless
/// they have one (http.client's `_tunnel`).
fn connect_request(host: &str, port: u16, headers: &HeaderMap) -> Result<Vec<u8>> {
    if let Some(c) = host.chars().find(|&c| c <= ' ' || c == '\x7f') {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("Tunnel host can't contain control characters {host:?} (found {c:?})"),
        ));
    }
    let authority = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut out = format!("CONNECT {authority} HTTP/1.1\r\n").into_bytes();
    headers.write_to(&mut out)?;
    if !headers.contains("host") {
        headers::write_line(&mut out, "Host", &authority)?;
    }
    out.extend_from_slice(b"\r\n");
    Ok(out)
}

/// Reads the proxy's answer up to the end of its head. Nothing may follow a 200 head: the
/// target speaks only after we do.
fn read_tunnel_head(transport: &mut Transport, deadline: Option<Instant>) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(512);
    let mut block = [0u8; 1024];
    loop {
        let n = wait::blocking_until(deadline, || transport.read(&mut block))?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "Remote end closed connection without response",
            ));
        }
        head.extend_from_slice(&block[..n]);
        if head.windows(4).any(|w| w == b"\r\n\r\n") || head.len() > MAX_TUNNEL_HEAD {
            return Ok(head);
        }
    }
}

fn tunnel_io_error(e: io::Error, timeout: Option<Duration>) -> Error {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            Error::read_timeout(timeout).with_source(e)
        }
        _ => match tls::io_error(&e) {
            Some(ssl) => ssl.with_source(e),
            None => Error::connection_aborted(e),
        },
    }
}

/// Parses the CONNECT answer: 200 opens the tunnel, any other status is a `ProxyError`.
fn check_tunnel_answer(head: &[u8]) -> Result<()> {
    let mut lines = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut lines);
    let parsed = response.parse(head);
    let length = match parsed {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) | Err(_) => {
            return Err(Error::connection_aborted(format!(
                "the proxy answered the CONNECT with something other than an HTTP response: {:?}",
                String::from_utf8_lossy(&head[..head.len().min(80)])
            )))
        }
    };
    let code = response.code.unwrap_or_default();
    if code != 200 {
        let reason = response.reason.unwrap_or_default().trim();
        return Err(Error::new(
            ErrorKind::Proxy,
            format!("Tunnel connection failed: {code} {reason}"),
        )
        .with_status(Some(code)));
    }
    if length < head.len() {
        return Err(Error::connection_aborted(
            "the proxy sent data after its CONNECT response",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_requests_carry_the_proxy_headers_and_host() {
        let headers: HeaderMap = [("Proxy-Authorization", "Basic eA==")]
            .into_iter()
            .collect();
        let wire = connect_request("example.com", 443, &headers).unwrap();
        assert_eq!(
            String::from_utf8(wire).unwrap(),
            "CONNECT example.com:443 HTTP/1.1\r\nProxy-Authorization: Basic eA==\r\n\
             Host: example.com:443\r\n\r\n"
        );
        let wire = connect_request("::1", 8443, &HeaderMap::new()).unwrap();
        assert!(wire.starts_with(b"CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n"));
        let err = connect_request("evil\r\nX: y", 443, &HeaderMap::new()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn tunnel_answers_other_than_200_are_proxy_errors_with_their_status() {
        assert!(check_tunnel_answer(b"HTTP/1.1 200 Connection established\r\n\r\n").is_ok());
        assert!(check_tunnel_answer(b"HTTP/1.0 200 OK\r\nX: y\r\n\r\n").is_ok());
        let err = check_tunnel_answer(
            b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n",
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Proxy);
        assert_eq!(
            err.message(),
            "Tunnel connection failed: 407 Proxy Authentication Required"
        );
        assert_eq!(err.status(), Some(407));
        let wrapped = unable_to_connect(err, false);
        assert_eq!(wrapped.message(), "Unable to connect to proxy");
        assert_eq!(wrapped.status(), Some(407));
        let garbage = check_tunnel_answer(b"SSH-2.0-OpenSSH\r\n\r\n").unwrap_err();
        assert_eq!(garbage.kind(), ErrorKind::Protocol);
        let extra = check_tunnel_answer(b"HTTP/1.1 200 OK\r\n\r\nhello").unwrap_err();
        assert_eq!(extra.kind(), ErrorKind::Protocol);
    }

    #[test]
    fn a_plain_http_proxy_spoken_to_in_tls_gets_the_hint() {
        let ssl = Error::new(
            ErrorKind::Ssl,
            "[SSL: WRONG_VERSION_NUMBER] wrong version number",
        );
        let err = unable_to_connect(ssl, true);
        assert!(err
            .message()
            .contains("Your proxy appears to only use HTTP"));
        let ssl = Error::new(
            ErrorKind::Ssl,
            "[SSL: WRONG_VERSION_NUMBER] wrong version number",
        );
        assert_eq!(
            unable_to_connect(ssl, false).message(),
            "Unable to connect to proxy"
        );
    }

    #[test]
    fn credentials_are_percent_decoded_and_given_headers_win() {
        let proxy = ProxyConfig::new("http://us%40er:p%3Ass@proxy:1").unwrap();
        let expected = format!(
            "Basic {}",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "us@er:p:ss")
        );
        assert_eq!(
            proxy.proxy_headers().get("proxy-authorization").as_deref(),
            Some(expected.as_str())
        );
        let own: HeaderMap = [("proxy-authorization", "Bearer t")].into_iter().collect();
        let proxy = proxy.with_headers(own);
        assert_eq!(
            proxy
                .proxy_headers()
                .get_all("Proxy-Authorization")
                .collect::<Vec<_>>(),
            ["Bearer t"]
        );
        assert!(!format!("{proxy:?}").contains("p%3Ass"));
    }

    #[test]
    fn schemes_and_forwarding_decide_the_tunnel() {
        let err = ProxyConfig::new("proxy.example:3128").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ProxySchemeUnknown);
        let https = ProxyConfig::new("HTTPS://Proxy.Example").unwrap();
        assert_eq!((https.host(), https.port()), ("proxy.example", 443));
        assert!(https.requires_tunnel(Scheme::Https));
        let forwarding = https.with_forwarding_for_https(true);
        assert!(!forwarding.requires_tunnel(Scheme::Https));
        let plain = ProxyConfig::new("http://p")
            .unwrap()
            .with_forwarding_for_https(true);
        assert!(
            plain.requires_tunnel(Scheme::Https),
            "only HTTPS proxies forward https"
        );
    }
}
