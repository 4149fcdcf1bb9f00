//! SOCKS proxies: the SOCKS4, SOCKS4a, SOCKS5 and SOCKS5h client handshakes (RFC 1928, with
//! RFC 1929 username/password authentication), run on the TCP socket before anything else.
//!
//! Failures are reported as urllib3's `contrib.socks` reports PySocks' errors: a SOCKS
//! connection that fails is a `NewConnectionError("Failed to establish a new connection: …")`
//! with the SOCKS error text (`0x05: Connection refused`, `SOCKS5 authentication failed`), and
//! a proxy that takes too long a `ConnectTimeoutError`.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::tcp::{self, SocketConfig};
use super::wait;
use crate::error::{Error, ErrorKind, Result};
use crate::url::parse_url;

/// The port a SOCKS URL without one means (PySocks' default).
const DEFAULT_PORT: u16 = 1080;

/// The SOCKS protocol spoken to the proxy, named by the URL scheme.
///
/// ```
/// use urllib3::SocksVersion;
///
/// let version: SocksVersion = "socks5h".parse()?;
/// assert_eq!(version, SocksVersion::Socks5h);
/// assert!(version.remote_dns());
/// assert!(!SocksVersion::Socks4.remote_dns());
/// assert_eq!(SocksVersion::Socks4a.scheme(), "socks4a");
/// # Ok::<(), urllib3::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SocksVersion {
    /// SOCKS4: names are resolved here, IPv4 only.
    Socks4,
    /// SOCKS4a: the proxy resolves names.
    Socks4a,
    /// SOCKS5: names are resolved here.
    Socks5,
    /// SOCKS5 with the proxy resolving names (`socks5h`).
    Socks5h,
}

impl SocksVersion {
    /// The URL scheme for this version.
    pub fn scheme(self) -> &'static str {
        match self {
            SocksVersion::Socks4 => "socks4",
            SocksVersion::Socks4a => "socks4a",
            SocksVersion::Socks5 => "socks5",
            SocksVersion::Socks5h => "socks5h",
        }
    }

    /// Whether the proxy resolves host names (PySocks' `rdns`).
    pub fn remote_dns(self) -> bool {
        matches!(self, SocksVersion::Socks4a | SocksVersion::Socks5h)
    }

    fn is_v5(self) -> bool {
        matches!(self, SocksVersion::Socks5 | SocksVersion::Socks5h)
    }
}

impl std::str::FromStr for SocksVersion {
    type Err = Error;

    /// Parses a URL scheme (`socks4`, `socks4a`, `socks5`, `socks5h`, any case).
    fn from_str(scheme: &str) -> Result<SocksVersion> {
        match scheme.to_ascii_lowercase().as_str() {
            "socks4" => Ok(SocksVersion::Socks4),
            "socks4a" => Ok(SocksVersion::Socks4a),
            "socks5" => Ok(SocksVersion::Socks5),
            "socks5h" => Ok(SocksVersion::Socks5h),
            _ => Err(Error::new(
                ErrorKind::ProxySchemeUnsupported,
                format!("Unable to determine SOCKS version from {scheme}"),
            )),
        }
    }
}

/// A SOCKS proxy, as urllib3's `SOCKSProxyManager` takes it: the URL's scheme picks the
/// version, and the user and password come from the URL or are given apart.
///
/// ```
/// use urllib3::{SocksConfig, SocksVersion};
///
/// let socks = SocksConfig::from_url("socks5h://alice:s%40fe@127.0.0.1:1080")?;
/// assert_eq!(socks.version, SocksVersion::Socks5h);
/// assert_eq!((socks.host.as_str(), socks.port), ("127.0.0.1", 1080));
/// assert_eq!((socks.username.as_deref(), socks.password.as_deref()), (Some("alice"), Some("s@fe")));
/// assert_eq!(socks.url(), "socks5h://127.0.0.1:1080");
///
/// let socks = SocksConfig::from_url("socks4://proxy.example")?.with_credentials("bob", "");
/// assert_eq!((socks.port, socks.username.as_deref()), (1080, Some("bob")));
/// # Ok::<(), urllib3::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SocksConfig {
    /// The protocol version.
    pub version: SocksVersion,
    /// The proxy's host.
    pub host: String,
    /// The proxy's port.
    pub port: u16,
    /// The user name: SOCKS5 username/password authentication, or the SOCKS4 user id.
    pub username: Option<String>,
    /// The password (SOCKS5 only). SOCKS5 authentication is offered only when both the user
    /// name and the password are non-empty, as PySocks does.
    pub password: Option<String>,
}

impl SocksConfig {
    /// Parses a `socks4://`, `socks4a://`, `socks5://` or `socks5h://` URL; user info in it
    /// becomes the credentials. Another scheme is a `ProxySchemeUnsupported` error (a
    /// `ValueError` in urllib3).
    pub fn from_url(url: &str) -> Result<SocksConfig> {
        let parsed = parse_url(url)?;
        let version: SocksVersion = parsed
            .scheme
            .as_deref()
            .unwrap_or_default()
            .parse()
            .map_err(|_: Error| {
                Error::new(
                    ErrorKind::ProxySchemeUnsupported,
                    format!("Unable to determine SOCKS version from {}", redact(url)),
                )
            })?;
        let host = parsed
            .host
            .filter(|h| !h.is_empty())
            .ok_or_else(|| Error::new(ErrorKind::LocationValue, "No host specified."))?;
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let (username, password) = match parsed.auth.as_deref() {
            Some(auth) => match auth.split_once(':') {
                Some((user, pass)) => (Some(decode(user)), Some(decode(pass))),
                None => (Some(decode(auth)), None),
            },
            None => (None, None),
        };
        Ok(SocksConfig {
            version,
            host,
            port: parsed.port.unwrap_or(DEFAULT_PORT),
            username,
            password,
        })
    }

    /// Replaces the credentials (urllib3's `username` and `password` arguments, which win
    /// over the URL's).
    pub fn with_credentials(
        mut self,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.username = Some(username.into());
        self.password = Some(password.into());
        self
    }

    /// The proxy URL without credentials.
    pub fn url(&self) -> String {
        format!("{}://{}:{}", self.version.scheme(), self.host, self.port)
    }
}

impl fmt::Debug for SocksConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocksConfig")
            .field("version", &self.version)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            // A password has no business in logs.
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

/// A URL with its user info cut out, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}{}", &url[..scheme_end + 3], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// Connects to the proxy and asks it for a connection to `host:port`, all within `timeout`
/// (each step gets the whole connect timeout, as the socket timeout works in urllib3).
pub(crate) fn connect(
    socks: &SocksConfig,
    host: &str,
    port: u16,
    timeout: Option<Duration>,
    socket: &SocketConfig,
) -> Result<TcpStream> {
    let tcp = tcp::connect(&socks.host, socks.port, timeout, socket)?;
    set_timeouts(&tcp, wait::os_timeout(timeout))
        .map_err(|e| failed(e.to_string()).with_source(e))?;
    // One budget for the handshake, as for a TLS handshake; every wait can be interrupted.
    let mut io = Deadlined {
        tcp: &tcp,
        deadline: timeout.map(|t| Instant::now() + t),
    };
    // The target's name is resolved (when it is resolved here) only once the proxy is
    // reached, and for SOCKS5 once it has accepted the client, as PySocks does: a proxy sees
    // its client even when the name turns out not to resolve.
    let negotiated = if socks.version.is_v5() {
        socks5(&mut io, socks, host, port)
    } else {
        Target::of(host, socks.version)
            .map_err(Failure::Resolve)
            .and_then(|target| socks4(&mut io, socks, &target, port))
    };
    negotiated.map_err(|e| handshake_error(e, host, timeout))?;
    set_timeouts(&tcp, None).map_err(|e| failed(e.to_string()).with_source(e))?;
    Ok(tcp)
}

fn set_timeouts(tcp: &TcpStream, timeout: Option<Duration>) -> io::Result<()> {
    tcp.set_read_timeout(timeout)?;
    tcp.set_write_timeout(timeout)
}

/// The socket during the handshake: whole reads and writes, within one deadline.
struct Deadlined<'a> {
    tcp: &'a TcpStream,
    deadline: Option<Instant>,
}

impl Deadlined<'_> {
    fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        let mut tcp = self.tcp;
        wait::read_exact_until(&mut tcp, buf, self.deadline)
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut tcp = self.tcp;
        wait::write_all_until(&mut tcp, bytes, self.deadline)
    }
}

/// What the SOCKS request names: an address, or a name the proxy resolves.
enum Target {
    Ip(IpAddr),
    Name(String),
}

impl Target {
    /// Resolves `host` here unless the proxy is to (socks4a, socks5h); address literals are
    /// sent as addresses either way. SOCKS4 carries IPv4 only.
    fn of(host: &str, version: SocksVersion) -> Result<Target> {
        let bare = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return Ok(Target::Ip(ip));
        }
        if version.remote_dns() {
            return Ok(Target::Name(bare.to_owned()));
        }
        let resolved = (bare, 0).to_socket_addrs().map_err(|e| {
            Error::new(
                ErrorKind::NameResolution,
                format!("Failed to resolve '{bare}' ({})", super::os_error_text(&e)),
            )
            .with_source(e)
        })?;
        let mut addrs = resolved.map(|a| a.ip());
        let ip = if version.is_v5() {
            addrs.next()
        } else {
            addrs.find(IpAddr::is_ipv4)
        };
        ip.map(Target::Ip).ok_or_else(|| {
            Error::new(
                ErrorKind::NameResolution,
                format!("Failed to resolve '{bare}' (no address found)"),
            )
        })
    }
}

/// Why a handshake failed: the proxy's answer, the socket, or the target's name.
enum Failure {
    Socks(String),
    Io(io::Error),
    Resolve(Error),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

fn socks_err(text: impl Into<String>) -> Failure {
    Failure::Socks(text.into())
}

fn failed(text: String) -> Error {
    Error::new(
        ErrorKind::NewConnection,
        format!("Failed to establish a new connection: {text}"),
    )
}

fn handshake_error(failure: Failure, host: &str, timeout: Option<Duration>) -> Error {
    match failure {
        Failure::Socks(text) => failed(text),
        Failure::Resolve(err) => err,
        Failure::Io(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            let limit = timeout.map_or_else(|| "None".to_owned(), |t| t.as_secs_f64().to_string());
            Error::new(
                ErrorKind::ConnectTimeout,
                format!("Connection to {host} timed out. (connect timeout={limit})"),
            )
            .with_source(e)
        }
        Failure::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            failed("Connection closed unexpectedly".to_owned()).with_source(e)
        }
        Failure::Io(e) => failed(super::os_error_text(&e)).with_source(e),
    }
}

/// SOCKS4 and SOCKS4a: one request, an eight-byte answer. SOCKS4a sends `0.0.0.1` and the name
/// after the user id.
fn socks4(
    io: &mut Deadlined<'_>,
    socks: &SocksConfig,
    target: &Target,
    port: u16,
) -> Result<(), Failure> {
    let mut request = vec![0x04, 0x01];
    request.extend_from_slice(&port.to_be_bytes());
    let name = match target {
        Target::Ip(IpAddr::V4(ip)) => {
            request.extend_from_slice(&ip.octets());
            None
        }
        Target::Ip(IpAddr::V6(_)) => return Err(socks_err("SOCKS4 cannot carry an IPv6 address")),
        Target::Name(name) => {
            request.extend_from_slice(&Ipv4Addr::new(0, 0, 0, 1).octets());
            Some(name)
        }
    };
    request.extend_from_slice(socks.username.as_deref().unwrap_or_default().as_bytes());
    request.push(0);
    if let Some(name) = name {
        request.extend_from_slice(name.as_bytes());
        request.push(0);
    }
    io.write_all(&request)?;
    let mut reply = [0u8; 8];
    io.read_exact(&mut reply)?;
    if reply[0] != 0x00 {
        return Err(socks_err("SOCKS4 proxy server sent invalid data"));
    }
    match reply[1] {
        0x5A => Ok(()),
        code => Err(socks_err(format!("{code:#04x}: {}", socks4_error(code)))),
    }
}

fn socks4_error(code: u8) -> &'static str {
    match code {
        0x5B => "Request rejected or failed",
        0x5C => "Request rejected because SOCKS server cannot connect to identd on the client",
        0x5D => "Request rejected because the client program and identd report different user-ids",
        _ => "Unknown error",
    }
}

/// SOCKS5: method negotiation, username/password authentication if the proxy picks it, then
/// the CONNECT request for `host` (resolved here first unless the proxy resolves names) and
/// its answer.
fn socks5(
    io: &mut Deadlined<'_>,
    socks: &SocksConfig,
    host: &str,
    port: u16,
) -> Result<(), Failure> {
    // Offer username/password only with both to give, as PySocks does (RFC 1929 has no room
    // for an empty user or password).
    let credentials = match (socks.username.as_deref(), socks.password.as_deref()) {
        (Some(user), Some(password)) if !user.is_empty() && !password.is_empty() => {
            Some((user, password))
        }
        _ => None,
    };
    let greeting: &[u8] = match credentials {
        Some(_) => &[0x05, 0x02, 0x00, 0x02],
        None => &[0x05, 0x01, 0x00],
    };
    io.write_all(greeting)?;
    let mut chosen = [0u8; 2];
    io.read_exact(&mut chosen)?;
    if chosen[0] != 0x05 {
        return Err(socks_err("SOCKS5 proxy server sent invalid data"));
    }
    match (chosen[1], credentials) {
        (0x00, _) => {}
        (0x02, Some((user, password))) => authenticate(io, user, password)?,
        (0x02, None) => {
            return Err(socks_err(
                "No username/password supplied. Server requested username/password \
                 authentication",
            ))
        }
        (0xFF, _) => {
            return Err(socks_err(
                "All offered authentication methods were rejected",
            ))
        }
        _ => return Err(socks_err("SOCKS5 proxy server sent invalid data")),
    }
    let target = Target::of(host, socks.version).map_err(Failure::Resolve)?;
    io.write_all(&socks5_request(&target, port)?)?;
    read_socks5_reply(io)
}

/// RFC 1929: `0x01`, the user and the password, each after its length.
fn authenticate(io: &mut Deadlined<'_>, user: &str, password: &str) -> Result<(), Failure> {
    if user.len() > 255 || password.len() > 255 {
        return Err(socks_err(
            "SOCKS5 user name and password are limited to 255 bytes",
        ));
    }
    let mut request = vec![0x01, user.len() as u8];
    request.extend_from_slice(user.as_bytes());
    request.push(password.len() as u8);
    request.extend_from_slice(password.as_bytes());
    io.write_all(&request)?;
    let mut reply = [0u8; 2];
    io.read_exact(&mut reply)?;
    if reply[0] != 0x01 {
        return Err(socks_err("SOCKS5 proxy server sent invalid data"));
    }
    if reply[1] != 0x00 {
        return Err(socks_err("SOCKS5 authentication failed"));
    }
    Ok(())
}

/// The CONNECT request: version, command, reserved, then the address and the port.
fn socks5_request(target: &Target, port: u16) -> Result<Vec<u8>, Failure> {
    let mut request = vec![0x05, 0x01, 0x00];
    match target {
        Target::Ip(IpAddr::V4(ip)) => {
            request.push(0x01);
            request.extend_from_slice(&ip.octets());
        }
        Target::Ip(IpAddr::V6(ip)) => {
            request.push(0x04);
            request.extend_from_slice(&ip.octets());
        }
        Target::Name(name) => {
            let len = u8::try_from(name.len())
                .map_err(|_| socks_err("host name too long for SOCKS5 (255 bytes at most)"))?;
            request.push(0x03);
            request.push(len);
            request.extend_from_slice(name.as_bytes());
        }
    }
    request.extend_from_slice(&port.to_be_bytes());
    Ok(request)
}

/// Reads the answer to the CONNECT request, including the bound address that follows it (it is
/// of no use here, but the tunnel starts after it). The status is judged on the first three
/// bytes: a proxy that refuses may send no address after them, and keep the connection open.
fn read_socks5_reply(io: &mut Deadlined<'_>) -> Result<(), Failure> {
    let mut head = [0u8; 3];
    io.read_exact(&mut head)?;
    if head[0] != 0x05 {
        return Err(socks_err("SOCKS5 proxy server sent invalid data"));
    }
    if head[1] != 0x00 {
        return Err(socks_err(format!(
            "{:#04x}: {}",
            head[1],
            socks5_error(head[1])
        )));
    }
    let mut address_type = [0u8; 1];
    io.read_exact(&mut address_type)?;
    let address_len = match address_type[0] {
        0x01 => 4,
        0x04 => 16,
        0x03 => {
            let mut len = [0u8; 1];
            io.read_exact(&mut len)?;
            usize::from(len[0])
        }
        _ => return Err(socks_err("SOCKS5 proxy server sent invalid data")),
    };
    let mut bound = vec![0u8; address_len + 2];
    io.read_exact(&mut bound)?;
    Ok(())
}

fn socks5_error(code: u8) -> &'static str {
    match code {
        0x01 => "General SOCKS server failure",
        0x02 => "Connection not allowed by ruleset",
        0x03 => "Network unreachable",
        0x04 => "Host unreachable",
        0x05 => "Connection refused",
        0x06 => "TTL expired",
        0x07 => "Command not supported, or protocol error",
        0x08 => "Address type not supported",
        _ => "Unknown error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_version_port_and_decoded_credentials() {
        let socks = SocksConfig::from_url("SOCKS5H://u%3Ax:p%40ss@Proxy:9050").unwrap();
        assert_eq!(socks.version, SocksVersion::Socks5h);
        assert_eq!(socks.port, 9050);
        assert_eq!(socks.username.as_deref(), Some("u:x"));
        assert_eq!(socks.password.as_deref(), Some("p@ss"));
        assert!(!format!("{socks:?}").contains("p@ss"));
        let socks = SocksConfig::from_url("socks4a://user@proxy").unwrap();
        assert_eq!((socks.port, socks.password), (1080, None));
        let err = SocksConfig::from_url("http://user:pw@proxy:1").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ProxySchemeUnsupported);
        assert_eq!(
            err.message(),
            "Unable to determine SOCKS version from http://proxy:1"
        );
    }

    #[test]
    fn requests_name_addresses_or_hosts() {
        let v4 = Target::Ip("10.0.0.1".parse().unwrap());
        assert_eq!(
            socks5_request(&v4, 80).ok().unwrap(),
            [5, 1, 0, 1, 10, 0, 0, 1, 0, 80]
        );
        let name = Target::Name("example.com".into());
        let wire = socks5_request(&name, 443).ok().unwrap();
        assert_eq!(&wire[..5], [5, 1, 0, 3, 11]);
        assert_eq!(&wire[5..16], b"example.com");
        assert_eq!(&wire[16..], [1, 187]);
        assert!(matches!(
            Target::of("[::1]", SocksVersion::Socks4a).unwrap(),
            Target::Ip(IpAddr::V6(_))
        ));
        assert!(matches!(
            Target::of("localhost", SocksVersion::Socks5h).unwrap(),
            Target::Name(_)
        ));
        assert!(matches!(
            Target::of("localhost", SocksVersion::Socks4).unwrap(),
            Target::Ip(IpAddr::V4(_))
        ));
    }

    #[test]
    fn failures_read_as_urllib3_reports_them() {
        let err = handshake_error(socks_err("0x05: Connection refused"), "h", None);
        assert_eq!(err.kind(), ErrorKind::NewConnection);
        assert_eq!(
            err.message(),
            "Failed to establish a new connection: 0x05: Connection refused"
        );
        let timeout = io::Error::from(io::ErrorKind::WouldBlock);
        let err = handshake_error(Failure::Io(timeout), "h", Some(Duration::from_millis(1500)));
        assert_eq!(err.kind(), ErrorKind::ConnectTimeout);
        assert_eq!(
            err.message(),
            "Connection to h timed out. (connect timeout=1.5)"
        );
    }
}
