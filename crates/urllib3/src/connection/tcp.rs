//! Opening TCP connections: resolve once, then race the addresses ([`eyeballs`]) within one
//! connect timeout.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use socket2::Socket;

use super::eyeballs;
use crate::error::{Error, ErrorKind, Result};

/// How to open a socket: what urllib3 takes as `source_address` and `socket_options`, the
/// address families it may use (`allowed_gai_family`) and how addresses are raced.
///
/// ```
/// # let server = testserver::TestServer::start();
/// use std::time::Duration;
/// use urllib3::connection::SocketHook;
/// use urllib3::{Connection, SocketConfig, Timeout};
///
/// let socket = SocketConfig {
///     source_address: Some("127.0.0.1:0".parse().unwrap()),
///     keepalive: true,
///     // Any other option, set on each socket before it connects.
///     configure: Some(SocketHook::new(|socket| {
///         let probes = urllib3::socket2::TcpKeepalive::new().with_time(Duration::from_secs(30));
///         socket.set_tcp_keepalive(&probes)
///     })),
///     ..SocketConfig::default()
/// };
/// let conn = Connection::open(server.host(), server.port(), &Timeout::new(), &socket)?;
/// assert_eq!(conn.local_addr().unwrap().ip().to_string(), "127.0.0.1");
/// # Ok::<(), urllib3::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SocketConfig {
    /// Local address to bind before connecting (`source_address`); port 0 picks any. An
    /// unspecified address (`0.0.0.0` or `::`) binds the port only, in whichever family the
    /// server's address is; a specified one restricts the attempts to its own family.
    pub source_address: Option<SocketAddr>,
    /// Disable Nagle's algorithm. On by default, as urllib3's default socket options do, so a
    /// request written in two pieces is not held back for 40 ms. Off leaves the system's
    /// default (Nagle on).
    pub nodelay: bool,
    /// Enable TCP keep-alive probes on the socket.
    pub keepalive: bool,
    /// The address families a name may resolve to (urllib3's `allowed_gai_family()`).
    pub family: AddressFamily,
    /// RFC 8305's "Connection Attempt Delay": how long an attempt runs alone before the next
    /// address is tried beside it (250 ms by default; the families alternate, starting with
    /// the resolver's first). Zero tries one address at a time in the resolver's order, as
    /// urllib3 does. Either way the connect timeout bounds all the attempts together, and the
    /// first to connect wins.
    pub happy_eyeballs_delay: Duration,
    /// Run on every socket after the options above and before it binds and connects: for any
    /// other socket option (urllib3's `socket_options` beyond these two).
    pub configure: Option<SocketHook>,
}

impl Default for SocketConfig {
    fn default() -> Self {
        SocketConfig {
            source_address: None,
            nodelay: true,
            keepalive: false,
            family: AddressFamily::Any,
            happy_eyeballs_delay: DEFAULT_HAPPY_EYEBALLS_DELAY,
            configure: None,
        }
    }
}

/// RFC 8305's recommended Connection Attempt Delay, which curl and browsers use too.
const DEFAULT_HAPPY_EYEBALLS_DELAY: Duration = Duration::from_millis(250);

/// The address families a connection may use.
///
/// ```
/// use urllib3::connection::AddressFamily;
///
/// assert!(AddressFamily::Ipv4.allows(&"127.0.0.1:80".parse().unwrap()));
/// assert!(!AddressFamily::Ipv4.allows(&"[::1]:80".parse().unwrap()));
/// assert!(AddressFamily::Any.allows(&"[::1]:80".parse().unwrap()));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddressFamily {
    /// IPv4 and IPv6 (`AF_UNSPEC`).
    #[default]
    Any,
    /// IPv4 only (`AF_INET`): what urllib3 asks for when the machine has no IPv6.
    Ipv4,
    /// IPv6 only (`AF_INET6`).
    Ipv6,
}

impl AddressFamily {
    /// Whether `addr` is of an allowed family.
    pub fn allows(self, addr: &SocketAddr) -> bool {
        match self {
            AddressFamily::Any => true,
            AddressFamily::Ipv4 => addr.is_ipv4(),
            AddressFamily::Ipv6 => addr.is_ipv6(),
        }
    }
}

/// A function that configures each new socket before it connects.
///
/// An error fails that attempt: the next address is tried, and if none connects the last
/// error is the connect error, as a failing `setsockopt` is in urllib3. An error of kind
/// [`io::ErrorKind::Interrupted`] ends the whole connect at once.
///
/// Two hooks are equal when they are the same function object (clones of one hook).
#[derive(Clone)]
pub struct SocketHook(Arc<dyn Fn(&Socket) -> io::Result<()> + Send + Sync>);

impl SocketHook {
    /// A hook that runs `configure` on each socket.
    pub fn new(configure: impl Fn(&Socket) -> io::Result<()> + Send + Sync + 'static) -> Self {
        SocketHook(Arc::new(configure))
    }

    pub(crate) fn run(&self, socket: &Socket) -> io::Result<()> {
        (self.0)(socket)
    }

    fn address(&self) -> *const () {
        Arc::as_ptr(&self.0).cast()
    }
}

impl fmt::Debug for SocketHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SocketHook").field(&self.address()).finish()
    }
}

impl PartialEq for SocketHook {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SocketHook {}

impl Hash for SocketHook {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.address().hash(state);
    }
}

/// Connects to `host:port`: resolves it once, then races its addresses as
/// [`SocketConfig::happy_eyeballs_delay`] says.
///
/// The connect timeout is one budget for all attempts, so a host with many dead addresses still
/// fails within the time the caller gave: as `ConnectTimeoutError` when the time ran out, else
/// as `NewConnectionError` with the last attempt's error.
pub(crate) fn connect(
    host: &str,
    port: u16,
    timeout: Option<Duration>,
    config: &SocketConfig,
) -> Result<TcpStream> {
    let resolved = resolve(host, port, config.family)?;
    let deadline = timeout.map(|t| Instant::now() + t);
    let addrs = candidates(resolved, config);
    eyeballs::race(&addrs, deadline, config)
        .map_err(|err| connect_error(host, timeout, err).with_endpoint(host, Some(port)))
}

/// Resolves `host` to the addresses of the allowed families, in the resolver's order.
fn resolve(host: &str, port: u16, family: AddressFamily) -> Result<Vec<SocketAddr>> {
    // URLs carry IPv6 literals in brackets; the resolver wants them bare.
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let resolution_error = |reason: String| {
        Error::new(
            ErrorKind::NameResolution,
            format!("Failed to resolve '{bare}' ({reason})"),
        )
        .with_endpoint(bare, Some(port))
    };
    if let Ok(ip) = bare.parse::<IpAddr>() {
        let addr = SocketAddr::new(ip, port);
        if !family.allows(&addr) {
            // getaddrinfo's EAI_ADDRFAMILY, which urllib3 gets for the same request.
            let reason = "Address family for hostname not supported";
            return Err(resolution_error(reason.to_owned()).with_source(reason));
        }
        return Ok(vec![addr]);
    }
    let resolved = (bare, port)
        .to_socket_addrs()
        .map_err(|e| resolution_error(os_error_text(&e)).with_source(e))?;
    let addrs: Vec<SocketAddr> = resolved.filter(|a| family.allows(a)).collect();
    if addrs.is_empty() {
        // getaddrinfo's EAI_NODATA: the name exists, but not in an allowed family.
        let reason = "No address associated with hostname";
        return Err(resolution_error(reason.to_owned()).with_source(reason));
    }
    Ok(addrs)
}

/// The addresses worth trying, in racing order: with a specified source address, only those
/// it can be bound for (unless there are none, so that the bind error is what the caller
/// sees).
fn candidates(mut addrs: Vec<SocketAddr>, config: &SocketConfig) -> Vec<SocketAddr> {
    if let Some(source) = config.source_address.filter(|s| !s.ip().is_unspecified()) {
        if addrs.iter().any(|a| a.is_ipv4() == source.is_ipv4()) {
            addrs.retain(|a| a.is_ipv4() == source.is_ipv4());
        }
    }
    if config.happy_eyeballs_delay.is_zero() {
        addrs
    } else {
        eyeballs::interleave(addrs)
    }
}

/// The address to bind before connecting to `target`: the configured source address, with an
/// unspecified one taken in the target's family.
pub(super) fn bind_address(config: &SocketConfig, target: &SocketAddr) -> Option<SocketAddr> {
    let source = config.source_address?;
    if !source.ip().is_unspecified() || source.is_ipv4() == target.is_ipv4() {
        return Some(source);
    }
    let any = match target {
        SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        SocketAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    Some(SocketAddr::new(any, source.port()))
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

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

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

    #[test]
    fn a_literal_of_a_disallowed_family_does_not_resolve() {
        let err = resolve("[::1]", 80, AddressFamily::Ipv4).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NameResolution);
        assert_eq!(
            err.message(),
            "Failed to resolve '::1' (Address family for hostname not supported)"
        );
        assert_eq!(
            resolve("::1", 80, AddressFamily::Ipv6).unwrap(),
            [addr("[::1]:80")]
        );
    }

    #[test]
    fn a_specified_source_address_keeps_its_own_family() {
        let resolved = vec![addr("[2001:db8::1]:80"), addr("192.0.2.1:80")];
        let mut config = SocketConfig {
            source_address: Some(addr("127.0.0.1:0")),
            ..SocketConfig::default()
        };
        assert_eq!(
            candidates(resolved.clone(), &config),
            [addr("192.0.2.1:80")]
        );
        // Nothing of its family: all are kept, and binding says what is wrong.
        let v6_only = vec![addr("[2001:db8::1]:80")];
        assert_eq!(candidates(v6_only.clone(), &config), v6_only);
        // An unspecified one binds in either family.
        config.source_address = Some(addr("0.0.0.0:4000"));
        assert_eq!(candidates(resolved.clone(), &config), resolved);
        assert_eq!(bind_address(&config, &resolved[0]), Some(addr("[::]:4000")));
        assert_eq!(
            bind_address(&config, &resolved[1]),
            Some(addr("0.0.0.0:4000"))
        );
    }

    #[test]
    fn a_zero_delay_keeps_the_resolver_order() {
        let resolved = vec![
            addr("[2001:db8::1]:80"),
            addr("[2001:db8::2]:80"),
            addr("192.0.2.1:80"),
        ];
        let sequential = SocketConfig {
            happy_eyeballs_delay: Duration::ZERO,
            ..SocketConfig::default()
        };
        assert_eq!(candidates(resolved.clone(), &sequential), resolved);
        let raced = candidates(resolved.clone(), &SocketConfig::default());
        assert_eq!(raced, [resolved[0], resolved[2], resolved[1]]);
    }

    #[test]
    fn hooks_are_equal_when_cloned_from_one() {
        let hook = SocketHook::new(|_| Ok(()));
        let same = hook.clone();
        let other = SocketHook::new(|_| Ok(()));
        assert_eq!(hook, same);
        assert_ne!(hook, other);
    }
}
