//! Connection pools: idle connections to one host kept for reuse, and `urlopen` on top.
//!
//! The pool mirrors urllib3's: a LIFO of at most `maxsize` entries, each an idle connection or
//! an empty slot. Taking an empty slot means opening a new connection. When no entry is left, a
//! blocking pool waits (up to the pool timeout) for one to come back; a non-blocking pool opens
//! an extra connection anyway and discards it when it comes back to a full pool. LIFO keeps the
//! most recently used connection hot and lets idle ones at the bottom time out at the server.
//!
//! That LIFO is [`Store`], generic over what it keeps so that a language binding can keep its
//! own connection objects in the same structure (Python's `pool.pool`). What one `urlopen` call
//! decides between its tries (retry, redirect, return) lives in `attempt`, the settings in
//! `options`.

mod attempt;
mod options;
mod shared;
mod store;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::connection::{self, Connection, Proxy, ProxyConfig};
use crate::error::{Error, ErrorKind, Result};
use crate::headers::HeaderMap;
use crate::response::Response;
use crate::timeout::Timeout;
use crate::url::parse_url;

pub(crate) use attempt::{redirect_location, Attempt, FollowUp};
pub use options::{PoolConfig, RequestOptions, Scheme};
pub use shared::Http2Connections;
pub use store::{Rejected, Store, StoreError};

use attempt::is_retryable;

/// A thread-safe pool of connections to one scheme, host and port.
///
/// Cloning is cheap and gives another handle to the same pool.
///
/// ```
/// # let server = testserver::TestServer::start();
/// # let (host, port) = (server.host(), server.port());
/// use urllib3::{ConnectionPool, PoolConfig, RequestOptions};
///
/// let pool = ConnectionPool::new(host, port, PoolConfig::default());
/// let response = pool.urlopen("GET", "/get", RequestOptions::new())?;
/// assert_eq!(response.status(), 200);
/// let response = pool.urlopen("GET", "/headers", RequestOptions::new())?;
/// assert_eq!(response.status(), 200);
/// assert_eq!(pool.num_connections(), 1); // the second request reused the connection
/// # Ok::<(), urllib3::Error>(())
/// ```
#[derive(Clone)]
pub struct ConnectionPool {
    inner: Arc<Inner>,
}

struct Inner {
    scheme: Scheme,
    host: String,
    port: u16,
    config: Arc<PoolConfig>,
    store: Store<Connection>,
    /// Concurrent requests share an HTTP/2 connection, as streams, while it has room.
    http2: Http2Connections,
    num_connections: AtomicU64,
    num_requests: AtomicU64,
}

impl ConnectionPool {
    /// A pool for `http://host:port` with `config`.
    pub fn new(host: &str, port: u16, config: PoolConfig) -> Self {
        Self::with_shared_config(Scheme::Http, host, port, Arc::new(config))
    }

    /// A pool for `scheme://host:port` with `config`: urllib3's `HTTPSConnectionPool` for
    /// [`Scheme::Https`], with the TLS settings of `config.tls`.
    ///
    /// ```
    /// # let server = testserver::TestServer::start_tls();
    /// # let port = server.port();
    /// use urllib3::{ConnectionPool, PoolConfig, RequestOptions, Scheme, TlsConfig};
    ///
    /// let config = PoolConfig {
    ///     tls: TlsConfig::new().with_ca_certs(server.ca_file().unwrap()),
    ///     ..PoolConfig::default()
    /// };
    /// let pool = ConnectionPool::with_scheme(Scheme::Https, "localhost", port, config);
    /// assert_eq!(pool.to_string(), format!("HTTPSConnectionPool(host='localhost', port={port})"));
    /// let response = pool.urlopen("GET", "/get", RequestOptions::new())?;
    /// assert_eq!(response.status(), 200);
    /// # Ok::<(), urllib3::Error>(())
    /// ```
    pub fn with_scheme(scheme: Scheme, host: &str, port: u16, config: PoolConfig) -> Self {
        Self::with_shared_config(scheme, host, port, Arc::new(config))
    }

    /// A pool for the scheme, host and port of `url` (urllib3's `connection_from_url`).
    pub fn from_url(url: &str, config: PoolConfig) -> Result<Self> {
        let parsed = parse_url(url)?;
        let scheme = Scheme::parse(parsed.scheme.as_deref())?;
        let host = parsed
            .host
            .filter(|h| !h.is_empty())
            .ok_or_else(|| Error::new(ErrorKind::LocationValue, "No host specified."))?;
        let port = parsed.port.unwrap_or(scheme.default_port());
        Ok(Self::with_shared_config(
            scheme,
            &host,
            port,
            Arc::new(config),
        ))
    }

    pub(crate) fn with_shared_config(
        scheme: Scheme,
        host: &str,
        port: u16,
        config: Arc<PoolConfig>,
    ) -> Self {
        // A pool holds at least one connection: maxsize 0 would be an unbounded store.
        let store = Store::with_empty_slots(config.maxsize.max(1));
        ConnectionPool {
            inner: Arc::new(Inner {
                scheme,
                host: normalize_host(host),
                port,
                config,
                store,
                http2: Http2Connections::default(),
                num_connections: AtomicU64::new(0),
                num_requests: AtomicU64::new(0),
            }),
        }
    }

    /// The scheme this pool serves.
    pub fn scheme(&self) -> Scheme {
        self.inner.scheme
    }

    /// The host this pool connects to (lower-case, IPv6 without brackets).
    pub fn host(&self) -> &str {
        &self.inner.host
    }

    /// The port this pool connects to.
    pub fn port(&self) -> u16 {
        self.inner.port
    }

    /// The pool's settings.
    pub fn config(&self) -> &PoolConfig {
        &self.inner.config
    }

    /// Connections opened so far (urllib3's `num_connections`).
    pub fn num_connections(&self) -> u64 {
        self.inner.num_connections.load(Ordering::Relaxed)
    }

    /// Requests sent so far (urllib3's `num_requests`).
    pub fn num_requests(&self) -> u64 {
        self.inner.num_requests.load(Ordering::Relaxed)
    }

    /// Idle connections and empty slots waiting in the pool (urllib3's `pool.qsize()`).
    pub fn qsize(&self) -> usize {
        self.inner.store.len()
    }

    /// Idle connections waiting in the pool.
    pub fn idle_connections(&self) -> usize {
        self.inner.store.idle()
    }

    /// Whether `close` was called.
    pub fn is_closed(&self) -> bool {
        self.inner.store.is_closed()
    }

    /// Closes every idle connection; later requests fail with `ClosedPoolError`, and
    /// connections still lent out are closed when they come back.
    pub fn close(&self) {
        drop(self.inner.store.close());
        self.inner.http2.clear();
    }

    /// Whether `url` (absolute, or a path) is served by this pool: same scheme, host and port.
    pub fn is_same_host(&self, url: &str) -> bool {
        if url.starts_with('/') {
            return true;
        }
        let Ok(parsed) = parse_url(url) else {
            return false;
        };
        let Ok(scheme) = Scheme::parse(parsed.scheme.as_deref()) else {
            return false;
        };
        let host = parsed.host.as_deref().map(normalize_host);
        let port = parsed.port.unwrap_or(scheme.default_port());
        scheme == self.inner.scheme
            && host.as_deref() == Some(self.host())
            && port == self.inner.port
    }

    /// Takes a connection: an idle one if any is alive, else a new one.
    ///
    /// Every connection taken must go back through [`ConnectionPool::put_conn`] (with `None`
    /// if it was closed), so that the pool knows its slot is free again.
    ///
    /// Where a new connection would be opened (an empty slot, or none left), a handle on an
    /// HTTP/2 connection of this pool with room for another stream is returned instead; a
    /// blocking pool waits only when there is none.
    pub fn get_conn(&self, pool_timeout: Option<Duration>) -> Result<Option<Connection>> {
        let block = self.inner.config.block;
        let entry = match self.inner.store.get(false, None) {
            Err(StoreError::Empty) if block => match self.inner.http2.share() {
                Some(handle) => return Ok(Some(handle)),
                None => self.inner.store.get(true, pool_timeout),
            },
            entry => entry,
        };
        match entry {
            Ok(Some(conn)) if conn.is_dropped() => {
                log::debug!(target: "urllib3.connectionpool", "Resetting dropped connection: {}", self.host());
                Ok(self.inner.http2.share())
            }
            // An idle handle on an HTTP/2 connection whose streams are all taken: another
            // connection serves this request rather than a queue inside this one.
            Ok(Some(conn)) if !conn.has_room() => Ok(self.inner.http2.share()),
            Ok(Some(conn)) => Ok(Some(conn)),
            Ok(None) => Ok(self.inner.http2.share()),
            Err(StoreError::Closed) => {
                Err(self.pool_error(ErrorKind::ClosedPool, "Pool is closed."))
            }
            // Without blocking, an empty pool opens one connection more than it keeps.
            Err(StoreError::Empty) if !block => Ok(self.inner.http2.share()),
            Err(StoreError::Empty) => Err(self.pool_error(
                ErrorKind::EmptyPool,
                "Pool is empty and a new connection can't be opened due to blocking mode.",
            )),
        }
    }

    /// Gives a connection (or, with `None`, its slot) back to the pool. A connection coming
    /// back to a full or closed pool is closed.
    pub fn put_conn(&self, conn: Option<Connection>) {
        if let Err(Rejected::Full(Some(conn))) = self.inner.store.put(conn) {
            if conn.version() == crate::Version::Http2 {
                // One of many handles on a connection that stays open for the others: nothing
                // is closed, so there is nothing to warn about.
                return;
            }
            log::warn!(
                target: "urllib3.connectionpool",
                "Connection pool is full, discarding connection: {}. Connection pool size: {}",
                self.host(),
                self.inner.store.len()
            );
            drop(conn); // closes it
        }
    }

    /// Opens a new connection to the pool's host (with a TLS handshake for HTTPS), through the
    /// pool's proxy if it has one. An HTTP/2 connection is kept for sharing too.
    pub fn new_conn(&self, timeout: &Timeout) -> Result<Connection> {
        let conn = self.open_conn(timeout)?;
        self.inner.http2.keep(&conn);
        Ok(conn)
    }

    fn open_conn(&self, timeout: &Timeout) -> Result<Connection> {
        let n = self.inner.num_connections.fetch_add(1, Ordering::Relaxed) + 1;
        let config = &self.inner.config;
        let (host, port) = (self.host(), self.port());
        let tls = (self.inner.scheme == Scheme::Https).then_some(&config.tls);
        log::debug!(
            target: "urllib3.connectionpool",
            "Starting new {} connection ({n}): {host}:{port}",
            if tls.is_some() { "HTTPS" } else { "HTTP" },
        );
        match &config.proxy {
            None => match tls {
                Some(tls) => Connection::open_tls(host, port, timeout, &config.socket, tls),
                None => Connection::open(host, port, timeout, &config.socket),
            },
            Some(Proxy::Socks(socks)) => {
                Connection::open_socks(socks, host, port, timeout, &config.socket, tls)
            }
            Some(Proxy::Http(proxy)) if proxy.requires_tunnel(self.inner.scheme) => {
                Connection::open_tunnel(proxy, host, port, timeout, &config.socket, tls)
            }
            Some(Proxy::Http(proxy)) => Connection::open_proxy(proxy, timeout, &config.socket),
        }
    }

    /// The HTTP proxy this pool forwards its requests to, if it does: its requests then name
    /// absolute URLs and carry the proxy headers.
    ///
    /// ```
    /// use urllib3::{ConnectionPool, PoolConfig, Proxy, ProxyConfig, Scheme};
    ///
    /// let proxy = ProxyConfig::new("http://127.0.0.1:3128")?;
    /// let config = PoolConfig { proxy: Some(Proxy::Http(proxy)), ..PoolConfig::default() };
    /// let forwarding = ConnectionPool::with_scheme(Scheme::Http, "example.com", 80, config.clone());
    /// assert_eq!(forwarding.forwarding_proxy().map(|p| p.port()), Some(3128));
    /// let tunnel = ConnectionPool::with_scheme(Scheme::Https, "example.com", 443, config);
    /// assert!(tunnel.forwarding_proxy().is_none());
    /// # Ok::<(), urllib3::Error>(())
    /// ```
    pub fn forwarding_proxy(&self) -> Option<&ProxyConfig> {
        match &self.inner.config.proxy {
            Some(Proxy::Http(proxy)) if !proxy.requires_tunnel(self.inner.scheme) => Some(proxy),
            _ => None,
        }
    }

    /// Sends a request, with retries and (on the same host) redirects, as urllib3's
    /// `HTTPConnectionPool.urlopen`. `url` is a path or an absolute URL on this pool's host.
    pub fn urlopen(&self, method: &str, url: &str, options: RequestOptions) -> Result<Response> {
        let mut attempt = Attempt::new(method, url, options, &self.inner.config);
        self.run(&mut attempt)
    }

    /// The retry loop of `urlopen`, on an attempt that a manager may carry on to other pools.
    pub(crate) fn run(&self, attempt: &mut Attempt) -> Result<Response> {
        loop {
            if attempt.options.assert_same_host && !self.is_same_host(&attempt.url) {
                let message = format!("Tried to open a foreign host with url: {}", attempt.url);
                return Err(
                    self.own(Error::new(ErrorKind::HostChanged, message).with_url(&attempt.url))
                );
            }
            let response = match self.send_once(attempt) {
                Ok(response) => response,
                Err(e) if is_retryable(&e) => {
                    let e = self.own(e);
                    attempt.retry_after_error(&e).map_err(|e| self.own(e))?;
                    continue;
                }
                Err(e) => return Err(self.own(e)),
            };
            match attempt
                .follow_up(response, |loc| self.is_same_host(loc))
                .map_err(|e| self.own(e))?
            {
                FollowUp::Done(response) => return Ok(response),
                FollowUp::Again => continue,
            }
        }
    }

    /// One try: take a connection, send, read the head (and the body when preloading).
    fn send_once(&self, request: &mut Attempt) -> Result<Response> {
        // Worked out before a connection is taken, so a bad URL costs no connection.
        let route = self
            .wire_route(request)
            .map_err(|e| e.with_url(&request.url))?;
        let pooled = self.get_conn(request.options.pool_timeout)?;
        self.inner.num_requests.fetch_add(1, Ordering::Relaxed);
        let mut clock = request.timeout.start();
        let conn = match pooled {
            Some(conn) => conn,
            None => match self.new_conn(&request.timeout) {
                Ok(conn) => conn,
                Err(e) => {
                    self.put_conn(None);
                    return Err(e.with_url(&request.url));
                }
            },
        };
        clock.connected();
        // As urllib3's `_validate_conn`: a verified HTTPS proxy silences the warning too.
        if self.inner.scheme == Scheme::Https
            && !conn.is_verified()
            && conn.proxy_is_verified() != Some(true)
        {
            // urllib3 warns on every request over an unverified connection, not once per
            // connection; the Python layer turns this into an InsecureRequestWarning.
            log::warn!(
                target: "urllib3.connectionpool",
                "Unverified HTTPS request is being made to host '{}'. Adding certificate \
                 verification is strongly advised. See: \
                 https://urllib3.readthedocs.io/en/latest/advanced-usage.html#tls-warnings",
                self.host()
            );
        }
        let result = self.exchange(conn, request, &route, &clock);
        match result {
            Ok(response) => Ok(response),
            Err(e) => Err(e.with_url(&request.url)),
        }
    }

    /// The request target, `Host` and headers as they go on the wire: as given for a direct
    /// connection or a tunnel; for a forwarding proxy, the absolute URL, the target's `Host`,
    /// and the proxy headers merged over the request's (urllib3's `headers.update`).
    fn wire_route(&self, request: &Attempt) -> Result<WireRoute> {
        let Some(proxy) = self.forwarding_proxy() else {
            return Ok(WireRoute {
                target: None,
                host: host_header(self.host(), self.port(), self.inner.scheme),
                headers: None,
            });
        };
        let target = if request.url.starts_with('/') {
            let host = host_header(self.host(), self.port(), self.inner.scheme);
            format!("{}://{host}{}", self.inner.scheme.as_str(), request.url)
        } else {
            request.url.clone()
        };
        let host = parse_url(&target)?.netloc().unwrap_or_default();
        let mut headers = request.headers.clone();
        let mut replaced: Vec<&str> = Vec::new();
        let proxy_headers = proxy.proxy_headers();
        for (name, value) in proxy_headers.iter() {
            // The first line of a name replaces the request's in place; repeats follow it.
            if replaced.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                headers.append(name, value);
            } else {
                headers.insert(name, value);
                replaced.push(name);
            }
        }
        Ok(WireRoute {
            target: Some(target),
            host,
            headers: Some(headers),
        })
    }

    fn exchange(
        &self,
        conn: Connection,
        request: &mut Attempt,
        route: &WireRoute,
        clock: &crate::timeout::TimeoutClock,
    ) -> Result<Response> {
        let target = route.target.as_deref().unwrap_or(&request.url);
        let wire = connection::Request {
            method: &request.method,
            target,
            host: &route.host,
            headers: route.headers.as_ref().unwrap_or(&request.headers),
            chunked: request.options.chunked,
            user_agent: &self.inner.config.user_agent,
        };
        let read_timeout = clock.read_timeout();
        if read_timeout == Some(Duration::ZERO) {
            self.put_conn(None);
            return Err(Error::read_timeout(read_timeout));
        }
        let response_options = request.options.response_options();
        let sent = conn.send(
            &wire,
            &mut request.options.body,
            clock.connect_timeout(),
            read_timeout,
            response_options,
        );
        let mut response = match sent {
            Ok(response) => response,
            Err(e) => {
                self.put_conn(None);
                return Err(e);
            }
        };
        log::debug!(
            target: "urllib3.connectionpool",
            "{}://{}:{} \"{} {} {}\" {} {}",
            self.inner.scheme.as_str(),
            self.host(),
            self.port(),
            request.method,
            target,
            response.version().as_str(),
            response.status(),
            response.length_remaining().map_or_else(|| "None".to_owned(), |n| n.to_string())
        );
        response.set_release(self.release_hook());
        if request.options.preload_content {
            response.preload()?;
        }
        Ok(response)
    }

    /// The hook a response calls when it is done with its connection. It holds the pool
    /// weakly: a response may outlive its pool (evicted from a manager, say), and then its
    /// connection is simply closed.
    fn release_hook(&self) -> crate::response::ReleaseHook {
        let pool: Weak<Inner> = Arc::downgrade(&self.inner);
        Box::new(move |conn| {
            if let Some(inner) = pool.upgrade() {
                ConnectionPool { inner }.put_conn(conn);
            }
        })
    }

    /// Prefixes errors that urllib3 raises as `PoolError`s with the pool's name, as their
    /// messages are in urllib3 (`HTTPConnectionPool(host=…, port=…): Read timed out.`).
    pub(crate) fn own(&self, e: Error) -> Error {
        let pool_error = matches!(
            e.kind(),
            ErrorKind::MaxRetry | ErrorKind::ReadTimeout | ErrorKind::HostChanged
        );
        if pool_error && !e.message().starts_with("HTTP") {
            e.prefixed(&self.to_string())
        } else {
            e
        }
    }

    fn pool_error(&self, kind: ErrorKind, message: &str) -> Error {
        Error::new(kind, format!("{self}: {message}"))
    }
}

impl fmt::Display for ConnectionPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let class = match self.inner.scheme {
            Scheme::Http => "HTTPConnectionPool",
            Scheme::Https => "HTTPSConnectionPool",
        };
        write!(f, "{class}(host='{}', port={})", self.host(), self.port())
    }
}

impl fmt::Debug for ConnectionPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionPool")
            .field("scheme", &self.inner.scheme)
            .field("host", &self.inner.host)
            .field("port", &self.inner.port)
            .field("num_connections", &self.num_connections())
            .field("num_requests", &self.num_requests())
            .finish()
    }
}

/// How one request goes on the wire; `None` fields mean "as the request has it".
struct WireRoute {
    target: Option<String>,
    host: String,
    headers: Option<HeaderMap>,
}

/// The `Host` header: the port only when it is not the scheme's default, IPv6 in brackets.
pub(crate) fn host_header(host: &str, port: u16, scheme: Scheme) -> String {
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    if port == scheme.default_port() {
        host
    } else {
        format!("{host}:{port}")
    }
}

/// Host names compare in lower case, and IPv6 literals without their URL brackets.
pub(crate) fn normalize_host(host: &str) -> String {
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_headers_omit_default_ports_and_bracket_ipv6() {
        assert_eq!(host_header("example.com", 80, Scheme::Http), "example.com");
        assert_eq!(
            host_header("example.com", 8080, Scheme::Http),
            "example.com:8080"
        );
        assert_eq!(host_header("::1", 8080, Scheme::Http), "[::1]:8080");
        assert_eq!(
            host_header("example.com", 443, Scheme::Https),
            "example.com"
        );
        assert_eq!(
            host_header("example.com", 80, Scheme::Https),
            "example.com:80"
        );
    }

    #[test]
    fn same_host_compares_scheme_host_and_port() {
        let pool = ConnectionPool::new("Example.com", 80, PoolConfig::default());
        assert!(pool.is_same_host("/path"));
        assert!(pool.is_same_host("http://example.com/x"));
        assert!(pool.is_same_host("http://EXAMPLE.com:80/x"));
        assert!(!pool.is_same_host("http://example.com:81/x"));
        assert!(!pool.is_same_host("http://other.com/x"));
        assert!(!pool.is_same_host("ftp://example.com/x"));
        assert!(!pool.is_same_host("https://example.com/x"));
        let https =
            ConnectionPool::from_url("https://Example.com/", PoolConfig::default()).unwrap();
        assert_eq!(https.scheme(), Scheme::Https);
        assert_eq!(https.port(), 443);
        assert!(https.is_same_host("https://example.com:443/x"));
        assert!(!https.is_same_host("http://example.com:443/x"));
        assert_eq!(
            https.to_string(),
            "HTTPSConnectionPool(host='example.com', port=443)"
        );
    }

    #[test]
    fn slots_come_back_and_a_full_pool_discards() {
        let pool = ConnectionPool::new(
            "localhost",
            1,
            PoolConfig {
                maxsize: 2,
                ..PoolConfig::default()
            },
        );
        assert_eq!(pool.qsize(), 2);
        assert!(pool.get_conn(None).unwrap().is_none());
        assert!(pool.get_conn(None).unwrap().is_none());
        assert_eq!(pool.qsize(), 0);
        // A non-blocking pool hands out a third (unslotted) connection.
        assert!(pool.get_conn(None).unwrap().is_none());
        pool.put_conn(None);
        pool.put_conn(None);
        pool.put_conn(None);
        assert_eq!(pool.qsize(), 2);
    }

    #[test]
    fn a_blocking_pool_times_out_with_empty_pool_error() {
        let pool = ConnectionPool::new(
            "localhost",
            1,
            PoolConfig {
                maxsize: 1,
                block: true,
                ..PoolConfig::default()
            },
        );
        assert!(pool.get_conn(None).unwrap().is_none());
        let err = pool.get_conn(Some(Duration::from_millis(1))).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::EmptyPool);
        assert!(err
            .message()
            .ends_with("Pool is empty and a new connection can't be opened due to blocking mode."));
    }

    #[test]
    fn a_closed_pool_refuses() {
        let pool = ConnectionPool::new("localhost", 1, PoolConfig::default());
        pool.close();
        let err = pool.get_conn(None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ClosedPool);
        assert_eq!(
            err.message(),
            "HTTPConnectionPool(host='localhost', port=1): Pool is closed."
        );
    }
}
