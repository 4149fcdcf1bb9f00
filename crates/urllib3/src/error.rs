//! The one error type of the crate, shaped after urllib3's exception hierarchy.
//!
//! urllib3 users catch exceptions by class (`except MaxRetryError as e: e.reason`), so every
//! failure here carries an [`ErrorKind`] that names the urllib3 class it stands for. The Python
//! layer maps kinds to classes one to one; Rust users match on [`Error::kind`] and walk
//! [`std::error::Error::source`] for the cause, as `__cause__` and `.reason` do in Python.
//!
//! ```
//! use urllib3::{parse_url, ErrorKind};
//!
//! let err = parse_url("http://[::1").unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::LocationParse);
//! assert!(err.kind().is_a(ErrorKind::LocationValue));
//! ```

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::time::Duration;

/// What went wrong, named after the urllib3 exception class it corresponds to.
///
/// Variants are alphabetical. Abstract urllib3 bases (`HTTPError`, `PoolError`,
/// `RequestError`, `TimeoutError`) have no variant of their own: ask [`ErrorKind::is_a`] or
/// [`ErrorKind::is_timeout`] instead.
///
/// ```
/// # let server = testserver::TestServer::start();
/// use std::time::Duration;
/// use urllib3::{ErrorKind, PoolManager, RequestOptions, Retry, Timeout};
///
/// let timeout = Timeout::new().with_read(Duration::from_millis(100));
/// let options = RequestOptions::new().retries(Retry::disabled()).timeout(timeout);
/// let err = PoolManager::new().urlopen("GET", &server.url("/delay/1"), options).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::ReadTimeout);
/// assert!(err.kind().is_timeout());
/// assert_eq!(err.kind().class_name(), "ReadTimeoutError");
/// assert!(ErrorKind::NameResolution.is_a(ErrorKind::NewConnection));
/// # Ok::<(), urllib3::Error>(())
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// `BodyNotHttplibCompatible`: the body cannot be read the way that was asked.
    BodyNotHttplibCompatible,
    /// `ClosedPoolError`: the pool was closed before or while the request used it.
    ClosedPool,
    /// `ConnectTimeoutError`: connecting took longer than the connect timeout.
    ConnectTimeout,
    /// `DecodeError`: the body did not decode with its Content-Encoding.
    Decode,
    /// `EmptyPoolError`: a blocking pool had no connection free within the pool timeout.
    EmptyPool,
    /// `FullPoolError`: a connection came back to a full blocking pool.
    FullPool,
    /// `HeaderParsingError`: response headers had defects (logged, not raised, by urllib3).
    HeaderParsing,
    /// `HostChangedError`: a pool was asked for a URL on another host.
    HostChanged,
    /// `IncompleteRead`: the body ended before its Content-Length.
    IncompleteRead,
    /// Python's `ValueError`: an argument the caller gave is out of range (a zero timeout, say).
    /// urllib3 raises the builtin class there, not one of its own.
    InvalidArgument,
    /// `InvalidChunkLength`: a chunk-size line of a chunked body was not a hex number.
    InvalidChunkLength,
    /// `InvalidHeader`: a header the caller supplied, or a framing header, was invalid.
    InvalidHeader,
    /// `LocationParseError`: the URL could not be parsed.
    LocationParse,
    /// `LocationValueError`: the URL parsed but cannot be used (no host, say).
    LocationValue,
    /// `MaxRetryError`: retries ran out; the last failure is the [`std::error::Error::source`].
    MaxRetry,
    /// `NameResolutionError`: the host name did not resolve.
    NameResolution,
    /// `NewConnectionError`: the connection could not be made (refused, unreachable).
    NewConnection,
    /// `ProtocolError`: the connection broke, or the peer spoke something other than HTTP/1.x.
    Protocol,
    /// `ProxyError`: the proxy could not be reached or refused the tunnel.
    Proxy,
    /// `ProxySchemeUnknown`: the proxy URL's scheme is not http, https or socks.
    ProxySchemeUnknown,
    /// `ProxySchemeUnsupported`: the proxy scheme cannot carry this request.
    ProxySchemeUnsupported,
    /// `ReadTimeoutError`: a socket read waited longer than the read timeout.
    ReadTimeout,
    /// `ResponseError`: too many redirects or error responses (carried by `MaxRetry`).
    Response,
    /// `ResponseNotChunked`: chunk-wise reading was asked of a body that is not chunked.
    ResponseNotChunked,
    /// `SSLError`: TLS failed: handshake, certificate, name or fingerprint.
    Ssl,
    /// `TimeoutStateError`: a timeout value or state is invalid.
    TimeoutState,
    /// `UnrewindableBodyError`: a retry or redirect needs the body again and it cannot be rewound.
    UnrewindableBody,
    /// `URLSchemeUnknown`: the URL's scheme has no pool class.
    UrlSchemeUnknown,
}

impl ErrorKind {
    /// Every kind, in the order of the enum (for tables that must cover them all).
    pub const ALL: [ErrorKind; 28] = [
        Self::BodyNotHttplibCompatible,
        Self::ClosedPool,
        Self::ConnectTimeout,
        Self::Decode,
        Self::EmptyPool,
        Self::FullPool,
        Self::HeaderParsing,
        Self::HostChanged,
        Self::IncompleteRead,
        Self::InvalidArgument,
        Self::InvalidChunkLength,
        Self::InvalidHeader,
        Self::LocationParse,
        Self::LocationValue,
        Self::MaxRetry,
        Self::NameResolution,
        Self::NewConnection,
        Self::Protocol,
        Self::Proxy,
        Self::ProxySchemeUnknown,
        Self::ProxySchemeUnsupported,
        Self::ReadTimeout,
        Self::Response,
        Self::ResponseNotChunked,
        Self::Ssl,
        Self::TimeoutState,
        Self::UnrewindableBody,
        Self::UrlSchemeUnknown,
    ];

    /// The kind whose [`ErrorKind::class_name`] is `name`.
    pub fn from_class_name(name: &str) -> Option<ErrorKind> {
        Self::ALL.into_iter().find(|kind| kind.class_name() == name)
    }

    /// The urllib3 exception class this kind stands for.
    pub fn class_name(self) -> &'static str {
        match self {
            Self::BodyNotHttplibCompatible => "BodyNotHttplibCompatible",
            Self::ClosedPool => "ClosedPoolError",
            Self::ConnectTimeout => "ConnectTimeoutError",
            Self::Decode => "DecodeError",
            Self::EmptyPool => "EmptyPoolError",
            Self::FullPool => "FullPoolError",
            Self::HeaderParsing => "HeaderParsingError",
            Self::HostChanged => "HostChangedError",
            Self::IncompleteRead => "IncompleteRead",
            Self::InvalidArgument => "ValueError",
            Self::InvalidChunkLength => "InvalidChunkLength",
            Self::InvalidHeader => "InvalidHeader",
            Self::LocationParse => "LocationParseError",
            Self::LocationValue => "LocationValueError",
            Self::MaxRetry => "MaxRetryError",
            Self::NameResolution => "NameResolutionError",
            Self::NewConnection => "NewConnectionError",
            Self::Protocol => "ProtocolError",
            Self::Proxy => "ProxyError",
            Self::ProxySchemeUnknown => "ProxySchemeUnknown",
            Self::ProxySchemeUnsupported => "ProxySchemeUnsupported",
            Self::ReadTimeout => "ReadTimeoutError",
            Self::Response => "ResponseError",
            Self::ResponseNotChunked => "ResponseNotChunked",
            Self::Ssl => "SSLError",
            Self::TimeoutState => "TimeoutStateError",
            Self::UnrewindableBody => "UnrewindableBodyError",
            Self::UrlSchemeUnknown => "URLSchemeUnknown",
        }
    }

    /// The concrete urllib3 base class of this kind, if it has one.
    ///
    /// Follows urllib3 2.x: `NameResolutionError` → `NewConnectionError` →
    /// `ConnectTimeoutError`; `LocationParseError` and `URLSchemeUnknown` →
    /// `LocationValueError`; `ResponseNotChunked` → `ProtocolError`.
    pub fn parent(self) -> Option<ErrorKind> {
        match self {
            Self::NameResolution => Some(Self::NewConnection),
            Self::NewConnection => Some(Self::ConnectTimeout),
            Self::LocationParse | Self::UrlSchemeUnknown => Some(Self::LocationValue),
            Self::ProxySchemeUnknown => Some(Self::UrlSchemeUnknown),
            Self::ResponseNotChunked => Some(Self::Protocol),
            _ => None,
        }
    }

    /// Whether an error of this kind is also an `other` (`isinstance` in urllib3's terms).
    pub fn is_a(self, other: ErrorKind) -> bool {
        let mut kind = Some(self);
        while let Some(k) = kind {
            if k == other {
                return true;
            }
            kind = k.parent();
        }
        false
    }

    /// Whether urllib3 would class this as a `TimeoutError` (connect or read).
    pub fn is_timeout(self) -> bool {
        self.is_a(Self::ConnectTimeout) || self == Self::ReadTimeout
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.class_name())
    }
}

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// An error from urllib3: a [`ErrorKind`], a message, and an optional cause.
///
/// The message follows urllib3's wording where users and tests read it
/// (`"Failed to parse: …"`, `"Read timed out."`, `"Max retries exceeded with url: …"`).
///
/// ```
/// # let server = testserver::TestServer::start();
/// use urllib3::{ErrorKind, PoolManager, RequestOptions, Retry};
///
/// let retries = Retry::from_total(1).with_status_forcelist([503]);
/// let options = RequestOptions::new().retries(retries);
/// let err = PoolManager::new().urlopen("GET", &server.url("/status/503"), options).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::MaxRetry);
/// assert!(err.message().contains("Max retries exceeded with url: /status/503"));
/// assert_eq!(err.reason().map(|cause| cause.kind()), Some(ErrorKind::Response));
/// # Ok::<(), urllib3::Error>(())
/// ```
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    message: String,
    url: Option<String>,
    counts: Option<(u64, u64)>,
    /// For `InvalidChunkLength`: the chunk-size line as it came, line end included.
    received: Option<Vec<u8>>,
    status: Option<u16>,
    /// The host and port a connection was being made to.
    endpoint: Option<(String, Option<u16>)>,
    /// The timeout that ran out, for the timeout kinds (None: no limit was set).
    timeout: Option<Option<Duration>>,
    /// For `SSLError`: the server's certificate was refused (Python's
    /// `ssl.SSLCertVerificationError`), not the handshake itself.
    certificate_failure: bool,
    source: Option<BoxError>,
}

impl Error {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            kind,
            message: message.into(),
            url: None,
            counts: None,
            received: None,
            status: None,
            endpoint: None,
            timeout: None,
            certificate_failure: false,
            source: None,
        }))
    }

    /// Records the host (and port) a failed connection was being made to.
    pub fn with_endpoint(mut self, host: impl Into<String>, port: Option<u16>) -> Self {
        self.0.endpoint = Some((host.into(), port));
        self
    }

    /// Records the timeout that ran out (None: there was no limit).
    pub fn with_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.0.timeout = Some(timeout);
        self
    }

    /// Attaches the underlying cause, reachable through [`std::error::Error::source`].
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.0.source = Some(source.into());
        self
    }

    /// Attaches the URL the failing request was for (urllib3's `RequestError.url`).
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.0.url = Some(url.into());
        self
    }

    /// `IncompleteRead`: `partial` body bytes arrived and `expected` more were due.
    pub fn incomplete_read(partial: u64, expected: u64) -> Self {
        let mut err = Error::new(
            ErrorKind::IncompleteRead,
            format!("IncompleteRead({partial} bytes read, {expected} more expected)"),
        );
        err.0.counts = Some((partial, expected));
        err
    }

    /// `ProtocolError("Connection broken: …")` wrapping `cause`, as urllib3 raises mid-body.
    pub fn connection_broken(cause: Error) -> Self {
        // The cause's message alone, as urllib3 embeds its repr: "Connection broken:
        // IncompleteRead(5 bytes read, 5 more expected)".
        let message = format!("Connection broken: {}", cause.message());
        Error::new(ErrorKind::Protocol, message).with_source(cause)
    }

    /// `ProtocolError("Connection aborted.")` wrapping an I/O failure while sending or
    /// before the response head arrived.
    pub fn connection_aborted(cause: impl Into<BoxError>) -> Self {
        // The cause is the source, not part of the message: Python builds urllib3's
        // ProtocolError('Connection aborted.', cause) from the two.
        Error::new(ErrorKind::Protocol, "Connection aborted.").with_source(cause)
    }

    /// `ReadTimeoutError` with urllib3's message.
    pub fn read_timeout(timeout: Option<Duration>) -> Self {
        let message = match timeout {
            Some(t) => format!("Read timed out. (read timeout={})", t.as_secs_f64()),
            None => "Read timed out.".to_owned(),
        };
        Error::new(ErrorKind::ReadTimeout, message).with_timeout(timeout)
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The message without the kind, as urllib3 puts it in the exception's arguments.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The URL of the failing request, where one is known.
    pub fn url(&self) -> Option<&str> {
        self.0.url.as_deref()
    }

    /// For `IncompleteRead` and `InvalidChunkLength`: (bytes read, bytes still expected).
    pub fn counts(&self) -> Option<(u64, u64)> {
        self.0.counts
    }

    /// For `InvalidChunkLength`: the chunk-size line as the server sent it, line end included
    /// (urllib3's `InvalidChunkLength.length`).
    pub fn received(&self) -> Option<&[u8]> {
        self.0.received.as_deref()
    }

    /// For a `ProxyError` from a refused CONNECT: the status the proxy answered with (407,
    /// 403, 502, …), also on the "Unable to connect to proxy" error that wraps it.
    ///
    /// ```
    /// # let server = testserver::TestServer::start_tls();
    /// # let http_proxy = testserver::HttpProxy::start_with(testserver::ProxyOptions {
    /// #     auth: Some(("user".into(), "pass".into())), ..Default::default() }).unwrap();
    /// use urllib3::{ErrorKind, ProxyManager, ProxyConfig, RequestOptions, Retry};
    ///
    /// // No credentials for a proxy that wants them: the CONNECT is answered 407.
    /// let http = ProxyManager::new(ProxyConfig::new(&http_proxy.url())?);
    /// let options = RequestOptions::new().retries(Retry::disabled());
    /// let err = http.urlopen("GET", &server.url("/get"), options).unwrap_err();
    /// assert_eq!((err.kind(), err.status()), (ErrorKind::Proxy, Some(407)));
    /// assert_eq!(err.message(), "Unable to connect to proxy");
    /// let cause = err.reason().unwrap();
    /// assert_eq!(cause.message(), "Tunnel connection failed: 407 Proxy Authentication Required");
    /// # Ok::<(), urllib3::Error>(())
    /// ```
    pub fn status(&self) -> Option<u16> {
        self.0.status
    }

    /// The host a failed connection was being made to (connect, DNS and timeout errors).
    pub fn host(&self) -> Option<&str> {
        self.0.endpoint.as_ref().map(|(host, _)| host.as_str())
    }

    /// The port a failed connection was being made to.
    pub fn port(&self) -> Option<u16> {
        self.0.endpoint.as_ref().and_then(|(_, port)| *port)
    }

    /// For the timeout kinds: the limit that ran out (`Some(None)`: no limit was set).
    pub fn timeout(&self) -> Option<Option<Duration>> {
        self.0.timeout
    }

    /// The operating-system error at the root of this error's chain, if there is one.
    pub fn os_error(&self) -> Option<&io::Error> {
        let mut source = StdError::source(self);
        while let Some(s) = source {
            if let Some(io) = s.downcast_ref::<io::Error>() {
                return Some(io);
            }
            source = s.source();
        }
        None
    }

    /// The cause when it is one of ours: `MaxRetryError.reason` in urllib3.
    pub fn reason(&self) -> Option<&Error> {
        self.0.source.as_deref()?.downcast_ref::<Error>()
    }

    /// Whether this is a TLS failure because the server's certificate was not accepted
    /// (untrusted, expired, for another name, not the pinned one): what Python raises as
    /// `ssl.SSLCertVerificationError` rather than a plain `ssl.SSLError`.
    pub fn is_certificate_failure(&self) -> bool {
        self.0.certificate_failure
    }

    /// Marks an `SSLError` as a refused certificate (see [`Error::is_certificate_failure`]).
    pub(crate) fn with_certificate_failure(mut self) -> Self {
        self.0.certificate_failure = true;
        self
    }

    /// Puts `prefix: ` before the message (a pool naming itself, as urllib3's `PoolError` does).
    pub(crate) fn prefixed(mut self, prefix: &str) -> Self {
        self.0.message = format!("{prefix}: {}", self.0.message);
        self
    }

    pub(crate) fn with_status(mut self, status: Option<u16>) -> Self {
        self.0.status = status;
        self
    }

    pub(crate) fn with_counts(mut self, partial: u64, expected: u64) -> Self {
        self.0.counts = Some((partial, expected));
        self
    }

    pub(crate) fn with_received(mut self, received: Vec<u8>) -> Self {
        self.0.received = Some(received);
        self
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.0.kind)
            .field("message", &self.0.message);
        if let Some(url) = &self.0.url {
            d.field("url", url);
        }
        if let Some(status) = self.0.status {
            d.field("status", &status);
        }
        if let Some(source) = &self.0.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.kind, self.0.message)
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|s| s as &(dyn StdError + 'static))
    }
}

/// Results whose error is this crate's [`Error`].
///
/// ```
/// use urllib3::{parse_url, Result};
///
/// fn host_of(url: &str) -> Result<String> {
///     Ok(parse_url(url)?.host.unwrap_or_default())
/// }
/// assert_eq!(host_of("http://Example.COM/a")?, "example.com");
/// assert!(host_of("http://[::1").is_err());
/// # Ok::<(), urllib3::Error>(())
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Python's `repr()` of a string, which urllib3 puts in its messages. Exact for ASCII;
/// Python's notion of a printable non-ASCII character is approximated.
pub(crate) fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if py_printable(c) => out.push(c),
            c if u32::from(c) < 0x100 => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c if u32::from(c) < 0x10000 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push_str(&format!("\\U{:08x}", u32::from(c))),
        }
    }
    out.push(quote);
    out
}

/// Python's `repr()` of the bytes `text` encodes to in Latin-1 (`b'X\r\nY'`), as http.client
/// quotes a refused header. Characters beyond Latin-1 (which http.client refuses earlier, while
/// encoding) show as `?`.
pub(crate) fn py_bytes_repr(text: &str) -> String {
    let latin1: String = text
        .chars()
        .map(|c| if u32::from(c) <= 0xff { c } else { '?' })
        .collect();
    // Bytes above 0x7f print as escapes in a bytes repr, unlike in a str repr.
    let mut out = String::from("b");
    for piece in py_repr(&latin1).chars() {
        match u32::from(piece) {
            0x80..=0xff => out.push_str(&format!("\\x{:02x}", u32::from(piece))),
            _ => out.push(piece),
        }
    }
    out
}

fn py_printable(c: char) -> bool {
    if c.is_ascii() {
        return c == ' ' || c.is_ascii_graphic();
    }
    // Controls, separators other than ' ', and the common format characters.
    !(c.is_control()
        || c.is_whitespace()
        || matches!(u32::from(c), 0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x180e
            | 0x200b..=0x200f | 0x202a..=0x202e | 0x2060..=0x206f | 0xfeff | 0xfff9..=0xfffb
            | 0xe000..=0xf8ff | 0xf0000..))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hierarchy_follows_urllib3() {
        assert!(ErrorKind::NameResolution.is_a(ErrorKind::NewConnection));
        assert!(ErrorKind::NameResolution.is_timeout());
        assert!(ErrorKind::ReadTimeout.is_timeout());
        assert!(!ErrorKind::Protocol.is_timeout());
        assert!(ErrorKind::ProxySchemeUnknown.is_a(ErrorKind::LocationValue));
        assert!(!ErrorKind::LocationValue.is_a(ErrorKind::LocationParse));
    }

    #[test]
    fn reason_is_the_wrapped_error() {
        let cause = Error::incomplete_read(5, 5);
        let err = Error::new(ErrorKind::MaxRetry, "Max retries exceeded").with_source(cause);
        let reason = err.reason().map(Error::kind);
        assert_eq!(reason, Some(ErrorKind::IncompleteRead));
        assert_eq!(
            err.reason().map(|r| r.message().to_owned()).as_deref(),
            Some("IncompleteRead(5 bytes read, 5 more expected)")
        );
    }
}
