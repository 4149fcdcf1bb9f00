//! Opening TCP connections: resolve, then try each address in turn within the connect timeout.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::error::{Error, ErrorKind, Result};

/// How to open a socket: what urllib3 takes as `source_address` and `socket_options`.
///
/// ```
/// # let server = testserver::TestServer::start();
/// use urllib3::{Connection, SocketConfig, Timeout};
///
/// let socket = SocketConfig {
///     source_address: Some("127.0.0.1:0".parse().unwrap()),
///     keepalive: true,
///     ..SocketConfig::default()
/// };
/// let conn = Connection::open(server.host(), server.port(), &Timeout::new(), &socket)?;
/// assert_eq!(conn.local_addr().unwrap().ip().to_string(), "127.0.0.1");
/// # Ok::<(), urllib3::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SocketConfig {
    /// Local address to bind before connecting (`source_address`); port 0 picks any.
    pub source_address: Option<SocketAddr>,
    /// Disable Nagle's algorithm. On by default, as urllib3's default socket options do, so a
    /// request written in two pieces is not held back for 40 ms.
    pub nodelay: bool,
    /// Enable TCP keep-alive probes on the socket.
    pub keepalive: bool,
}

impl Default for SocketConfig {
    fn default() -> Self {
        SocketConfig {
            source_address: None,
            nodelay: true,
            keepalive: false,
        }
    }
}

/// Connects to `host:port`, trying every address it resolves to until one answers.
///
/// The connect timeout is one budget for all attempts, so a host with many dead addresses still
/// fails within the time the caller gave.
pub(crate) fn connect(
    host: &str,
    port: u16,
    timeout: Option<Duration>,
    config: &SocketConfig,
) -> Result<TcpStream> {
    let addrs = resolve(host, port)?;
    let deadline = timeout.map(|t| Instant::now() + t);
    let mut last_err = None;
    for addr in addrs {
        let remaining = match deadline {
            Some(d) => match d.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Some(left),
                _ => break,
            },
            None => None,
        };
        match connect_one(addr, remaining, config) {
            Ok(stream) => return Ok(stream),
            Err(e) => last_err = Some(e),
        }
    }
    let err = last_err.unwrap_or_else(|| io::Error::from(io::ErrorKind::TimedOut));
    Err(connect_error(host, timeout, err).with_endpoint(host, Some(port)))
}

fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>> {
    // URLs carry IPv6 literals in brackets; the resolver wants them bare.
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let resolved = (bare, port).to_socket_addrs().map_err(|e| {
        Error::new(
            ErrorKind::NameResolution,
            format!("Failed to resolve '{bare}' ({})", os_error_text(&e)),
        )
        .with_endpoint(bare, Some(port))
        .with_source(e)
    })?;
    let addrs: Vec<SocketAddr> = resolved.collect();
    if addrs.is_empty() {
        return Err(Error::new(
            ErrorKind::NameResolution,
            format!("Failed to resolve '{bare}' (no address found)"),
        )
        .with_endpoint(bare, Some(port))
        .with_source("no address found"));
    }
    Ok(addrs)
}

fn connect_one(
    addr: SocketAddr,
    timeout: Option<Duration>,
    config: &SocketConfig,
) -> io::Result<TcpStream> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if let Some(source) = config.source_address {
        socket.bind(&SockAddr::from(source))?;
    }
    let target = SockAddr::from(addr);
    match timeout {
        Some(t) => socket.connect_timeout(&target, t)?,
        None => socket.connect(&target)?,
    }
    socket.set_tcp_nodelay(config.nodelay)?;
    if config.keepalive {
        socket.set_keepalive(true)?;
    }
    Ok(socket.into())
}

/// Sorts a failed connect into urllib3's classes: a timeout is `ConnectTimeoutError`, anything
/// else (refused, unreachable, bind failure) is `NewConnectionError`.
fn connect_error(host: &str, timeout: Option<Duration>, err: io::Error) -> Error {
    if matches!(
        err.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    ) {
        let limit = timeout.map_or_else(|| "None".to_owned(), |t| t.as_secs_f64().to_string());
        return Error::new(
            ErrorKind::ConnectTimeout,
            format!("Connection to {host} timed out. (connect timeout={limit})"),
        )
        .with_timeout(timeout)
        .with_source(err);
    }
    Error::new(
        ErrorKind::NewConnection,
        format!(
            "Failed to establish a new connection: {}",
            os_error_text(&err)
        ),
    )
    .with_source(err)
}

/// An OS error in Python's words (`[Errno 111] Connection refused`), which is what urllib3's
/// messages embed and what users grep logs for.
pub(crate) fn os_error_text(err: &io::Error) -> String {
    match err.raw_os_error() {
        Some(code) => {
            let text = err.to_string();
            let detail = text
                .strip_suffix(&format!(" (os error {code})"))
                .unwrap_or(&text);
            format!("[Errno {code}] {detail}")
        }
        None => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn refused_is_new_connection_error() {
        // Bind then drop to find a port that nothing listens on.
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let err = connect("127.0.0.1", port, None, &SocketConfig::default()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NewConnection);
        assert!(
            err.message()
                .starts_with("Failed to establish a new connection: [Errno 111]"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn unresolvable_host_is_name_resolution_error() {
        let err = connect("nonexistent.invalid", 80, None, &SocketConfig::default()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NameResolution);
        assert!(err.kind().is_a(ErrorKind::NewConnection));
        assert!(err
            .message()
            .starts_with("Failed to resolve 'nonexistent.invalid'"));
    }

    #[test]
    fn bracketed_ipv6_literals_connect() {
        let listener = TcpListener::bind("[::1]:0").expect("an IPv6 loopback");
        let port = listener.local_addr().unwrap().port();
        let stream = connect("[::1]", port, None, &SocketConfig::default()).unwrap();
        assert!(stream.nodelay().unwrap());
    }
}
