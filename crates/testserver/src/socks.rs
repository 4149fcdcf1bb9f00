//! A SOCKS proxy for tests: SOCKS4, SOCKS4a and SOCKS5 (RFC 1928) with the CONNECT command,
//! optionally behind RFC 1929 username/password authentication. It records each request,
//! including whether the client sent a name or an address, so tests can tell `socks5h` (the
//! proxy resolves) from `socks5` (the client resolves).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::server::{self, ServerThread};

/// How long a client has for its handshake, and the proxy for its upstream connection.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How to start a [`SocksProxy`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SocksOptions {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Require this user and password: SOCKS5 clients must authenticate with them (RFC 1929),
    /// SOCKS4 clients must send the user as their user id.
    pub auth: Option<(String, String)>,
}

/// One CONNECT request the proxy was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SocksRequest {
    /// 4 or 5.
    pub version: u8,
    /// The destination as sent: an address, or a name when `by_name`.
    pub host: String,
    /// The destination port.
    pub port: u16,
    /// Whether the client sent a host name for the proxy to resolve (SOCKS4a, SOCKS5h).
    pub by_name: bool,
    /// The user name (SOCKS5 authentication, or the SOCKS4 user id), if any.
    pub user: Option<String>,
    /// Whether the proxy connected (false: refused, or the destination was unreachable).
    pub granted: bool,
}

/// A running SOCKS4/4a/5 proxy on 127.0.0.1 with its own thread; dropping it stops it.
///
/// ```
/// use testserver::{SocksOptions, SocksProxy};
///
/// let proxy = SocksProxy::start_with(SocksOptions {
///     auth: Some(("user".into(), "pass".into())),
///     ..SocksOptions::default()
/// }).unwrap();
/// assert!(proxy.url_with_auth("socks5h").starts_with("socks5h://user:pass@127.0.0.1:"));
/// ```
pub struct SocksProxy {
    _thread: ServerThread,
    addr: SocketAddr,
    auth: Option<(String, String)>,
    log: Arc<Mutex<Vec<SocksRequest>>>,
}

impl SocksProxy {
    /// Starts a proxy without authentication on a random free port.
    pub fn start() -> SocksProxy {
        SocksProxy::start_with(SocksOptions::default()).expect("start SOCKS proxy")
    }

    /// Starts a proxy as `options` say; fails if the port cannot be bound.
    pub fn start_with(options: SocksOptions) -> io::Result<SocksProxy> {
        let log = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::new(Shared {
            auth: options.auth.clone(),
            log: Arc::clone(&log),
        });
        let (thread, addr) = ServerThread::spawn("socks-proxy", options.port, move |listener| {
            accept_loop(listener, shared)
        })?;
        Ok(SocksProxy {
            _thread: thread,
            addr,
            auth: options.auth,
            log,
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

    /// `SCHEME://127.0.0.1:PORT` for a scheme such as `socks5h`.
    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://{}", self.addr)
    }

    /// [`SocksProxy::url`] with the user and password in it (the plain URL without auth).
    pub fn url_with_auth(&self, scheme: &str) -> String {
        match &self.auth {
            Some((user, pass)) => format!("{scheme}://{user}:{pass}@{}", self.addr),
            None => self.url(scheme),
        }
    }

    /// Every CONNECT request so far, in order.
    pub fn requests(&self) -> Vec<SocksRequest> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

struct Shared {
    auth: Option<(String, String)>,
    log: Arc<Mutex<Vec<SocksRequest>>>,
}

impl Shared {
    fn record(&self, request: SocksRequest) {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(request);
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let (stream, _) = server::accept(&listener).await;
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake(stream, &shared));
            if let Ok(Ok(Some((mut client, mut upstream)))) = handshake.await {
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            }
        });
    }
}

/// The destination a client asked for.
struct Destination {
    host: String,
    port: u16,
    by_name: bool,
}

impl Destination {
    async fn connect(&self) -> Option<TcpStream> {
        TcpStream::connect((self.host.as_str(), self.port))
            .await
            .ok()
    }
}

/// Runs the handshake; returns the client and upstream streams when the tunnel is open.
async fn handshake(
    mut client: TcpStream,
    shared: &Shared,
) -> io::Result<Option<(TcpStream, TcpStream)>> {
    let version = client.read_u8().await?;
    let upstream = match version {
        4 => socks4(&mut client, shared).await?,
        5 => socks5(&mut client, shared).await?,
        _ => None,
    };
    Ok(upstream.map(|upstream| (client, upstream)))
}

/// Reads bytes up to a NUL (at most 255), as SOCKS4 user ids and SOCKS4a names come.
async fn read_nul_terminated(client: &mut TcpStream) -> io::Result<String> {
    let mut bytes = Vec::new();
    loop {
        match client.read_u8().await? {
            0 => return Ok(String::from_utf8_lossy(&bytes).into_owned()),
            _ if bytes.len() >= 255 => {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "field too long"))
            }
            b => bytes.push(b),
        }
    }
}

/// SOCKS4 and SOCKS4a (an address of 0.0.0.x, x > 0, means a name follows the user id).
async fn socks4(client: &mut TcpStream, shared: &Shared) -> io::Result<Option<TcpStream>> {
    let command = client.read_u8().await?;
    let port = client.read_u16().await?;
    let mut ip = [0u8; 4];
    client.read_exact(&mut ip).await?;
    let user = read_nul_terminated(client).await?;
    let by_name = ip[..3] == [0, 0, 0] && ip[3] != 0;
    let host = if by_name {
        read_nul_terminated(client).await?
    } else {
        Ipv4Addr::from(ip).to_string()
    };
    let destination = Destination {
        host,
        port,
        by_name,
    };
    let allowed = command == 1
        && shared
            .auth
            .as_ref()
            .is_none_or(|(expected, _)| *expected == user);
    let upstream = match allowed {
        true => destination.connect().await,
        false => None,
    };
    let code = if upstream.is_some() { 0x5A } else { 0x5B };
    client.write_all(&[0, code, 0, 0, 0, 0, 0, 0]).await?;
    shared.record(SocksRequest {
        version: 4,
        host: destination.host,
        port,
        by_name,
        user: (!user.is_empty()).then_some(user),
        granted: upstream.is_some(),
    });
    Ok(upstream)
}

/// SOCKS5: method selection, optional username/password, then CONNECT.
async fn socks5(client: &mut TcpStream, shared: &Shared) -> io::Result<Option<TcpStream>> {
    let count = client.read_u8().await?;
    let mut methods = vec![0u8; usize::from(count)];
    client.read_exact(&mut methods).await?;
    let wanted = if shared.auth.is_some() { 0x02 } else { 0x00 };
    if !methods.contains(&wanted) {
        client.write_all(&[5, 0xFF]).await?;
        return Ok(None);
    }
    client.write_all(&[5, wanted]).await?;
    let user = match &shared.auth {
        Some(expected) => match authenticate(client, expected).await? {
            Some(user) => Some(user),
            None => return Ok(None),
        },
        None => None,
    };
    let Some(destination) = read_destination(client).await? else {
        client.write_all(&[5, 0x07, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
        return Ok(None);
    };
    let upstream = destination.connect().await;
    let reply = match &upstream {
        Some(stream) => granted_reply(stream.local_addr().ok()),
        None => vec![5, 0x05, 0, 1, 0, 0, 0, 0, 0, 0],
    };
    client.write_all(&reply).await?;
    shared.record(SocksRequest {
        version: 5,
        host: destination.host,
        port: destination.port,
        by_name: destination.by_name,
        user,
        granted: upstream.is_some(),
    });
    Ok(upstream)
}

/// RFC 1929. Returns the user when the credentials match; answers failure otherwise.
async fn authenticate(
    client: &mut TcpStream,
    (user, pass): &(String, String),
) -> io::Result<Option<String>> {
    let _version = client.read_u8().await?;
    let given_user = read_counted(client).await?;
    let given_pass = read_counted(client).await?;
    let ok = given_user == user.as_bytes() && given_pass == pass.as_bytes();
    client.write_all(&[1, if ok { 0 } else { 1 }]).await?;
    Ok(ok.then(|| user.clone()))
}

async fn read_counted(client: &mut TcpStream) -> io::Result<Vec<u8>> {
    let len = client.read_u8().await?;
    let mut bytes = vec![0u8; usize::from(len)];
    client.read_exact(&mut bytes).await?;
    Ok(bytes)
}

/// Reads a SOCKS5 request; `None` for a command other than CONNECT or an unknown address
/// type.
async fn read_destination(client: &mut TcpStream) -> io::Result<Option<Destination>> {
    let mut head = [0u8; 4];
    client.read_exact(&mut head).await?;
    let (host, by_name) = match head[3] {
        0x01 => {
            let mut ip = [0u8; 4];
            client.read_exact(&mut ip).await?;
            (Ipv4Addr::from(ip).to_string(), false)
        }
        0x04 => {
            let mut ip = [0u8; 16];
            client.read_exact(&mut ip).await?;
            (Ipv6Addr::from(ip).to_string(), false)
        }
        0x03 => {
            let name = read_counted(client).await?;
            (String::from_utf8_lossy(&name).into_owned(), true)
        }
        _ => return Ok(None),
    };
    let port = client.read_u16().await?;
    Ok((head[1] == 0x01).then_some(Destination {
        host,
        port,
        by_name,
    }))
}

/// The success reply, naming the address the proxy connected from.
fn granted_reply(bound: Option<SocketAddr>) -> Vec<u8> {
    let bound = bound.unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)));
    let mut reply = vec![5, 0, 0];
    match bound.ip() {
        IpAddr::V4(ip) => {
            reply.push(0x01);
            reply.extend_from_slice(&ip.octets());
        }
        IpAddr::V6(ip) => {
            reply.push(0x04);
            reply.extend_from_slice(&ip.octets());
        }
    }
    reply.extend_from_slice(&bound.port().to_be_bytes());
    reply
}
