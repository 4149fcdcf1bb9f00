//! Connection pools: idle connections to one host kept for reuse, and `urlopen` on top.
//!
//! The pool mirrors urllib3's: a LIFO of at most `maxsize` entries, each an idle connection or
//! an empty slot. Taking an empty slot means opening a new connection. When no entry is left, a
//! blocking pool waits (up to the pool timeout) for one to come back; a non-blocking pool opens
//! an extra connection anyway and discards it when it comes back to a full pool. LIFO keeps the
//! most recently used connection hot and lets idle ones at the bottom time out at the server.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use crate::body::Body;
use crate::connection::{self, Connection, Proxy, ProxyConfig, SocketConfig, TlsConfig};
use crate::error::{Error, ErrorKind, Result};
use crate::headers::HeaderMap;
use crate::response::{Response, ResponseOptions};
use crate::retry::{Outcome, Retry};
use crate::timeout::Timeout;
use crate::url::parse_url;

/// Status codes that carry a redirect (urllib3's `REDIRECT_STATUSES`).
pub(crate) const REDIRECT_STATUSES: [u16; 5] = [301, 302, 303, 307, 308];

/// Headers that describe a request body, dropped when a 303 turns the request into a GET
/// (RFC 9110 §15.4); `Transfer-Encoding` goes too since no body follows.
const CONTENT_HEADERS: [&str; 8] = [
    "Content-Encoding",
    "Content-Language",
    "Content-Location",
    "Content-Type",
    "Content-Length",
    "Digest",
    "Last-Modified",
    "Transfer-Encoding",
];

/// The URL schemes a pool can serve.
///
/// ```
/// use urllib3::Scheme;
///
/// let scheme = Scheme::parse(Some("HTTPS"))?;
/// assert_eq!(scheme, Scheme::Https);
/// assert_eq!((scheme.as_str(), scheme.default_port()), ("https", 443));
/// assert_eq!(Scheme::parse(None)?, Scheme::Http);
/// assert!(Scheme::parse(Some("ftp")).is_err());
/// # Ok::<(), urllib3::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

impl Scheme {
    /// The scheme for a URL scheme name; `None` (no scheme) means http, as urllib3 assumes.
    pub fn parse(name: Option<&str>) -> Result<Scheme> {
        match name.map(str::to_ascii_lowercase).as_deref() {
            None | Some("http") => Ok(Scheme::Http),
            Some("https") => Ok(Scheme::Https),
            Some(other) => Err(Error::new(
                ErrorKind::UrlSchemeUnknown,
                format!("Not supported URL scheme {other}"),
            )),
        }
    }

    /// The scheme's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// The port used when a URL gives none.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// Settings shared by every request of a pool: urllib3's pool keyword arguments.
///
/// ```
/// use urllib3::{PoolConfig, Retry, Timeout};
/// use std::time::Duration;
///
/// let config = PoolConfig {
///     maxsize: 4,
///     block: true,
///     timeout: Timeout::new().with_read(Duration::from_secs(5)),
///     retries: Retry::from_total(2),
///     ..PoolConfig::default()
/// };
/// assert_eq!(config.maxsize, 4);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PoolConfig {
    /// Idle connections kept at most (default 1).
    pub maxsize: usize,
    /// Wait for a free connection instead of opening more than `maxsize` (default false).
    pub block: bool,
    /// Headers sent with every request that brings none of its own.
    pub headers: HeaderMap,
    /// Timeouts for requests that set none.
    pub timeout: Timeout,
    /// Retry policy for requests that set none (default `Retry::default()`, three tries).
    pub retries: Retry,
    /// How sockets are opened.
    pub socket: SocketConfig,
    /// The `User-Agent` sent when the request headers have none.
    pub user_agent: String,
    /// How HTTPS connections verify the server and present a client certificate (ignored by
    /// plain HTTP pools). The default verifies against the system's trust store.
    pub tls: TlsConfig,
    /// The proxy connections go through (`None`: straight to the host). Through an HTTP proxy,
    /// an `https` pool tunnels with CONNECT, and an `http` pool (or an `https` one that an
    /// HTTPS proxy forwards) sends its requests to the proxy with absolute URLs; through a
    /// SOCKS proxy, every connection is made by the proxy.
    pub proxy: Option<Proxy>,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            maxsize: 1,
            block: false,
            headers: HeaderMap::new(),
            timeout: Timeout::new(),
            retries: Retry::default(),
            socket: SocketConfig::default(),
            user_agent: connection::DEFAULT_USER_AGENT.to_owned(),
            tls: TlsConfig::default(),
            proxy: None,
        }
    }
}

/// Per-request settings of `urlopen` (its keyword arguments in urllib3).
///
/// ```
/// use urllib3::{RequestOptions, Retry};
///
/// let options = RequestOptions::new()
///     .header("Accept", "application/json")
///     .body("payload")
///     .retries(Retry::disabled())
///     .preload_content(false);
/// assert!(!options.preload_content);
/// ```
#[derive(Debug)]
pub struct RequestOptions {
    /// Headers for this request; `None` sends the pool's headers.
    pub headers: Option<HeaderMap>,
    /// The body.
    pub body: Body,
    /// Retry policy; `None` uses the pool's.
    pub retries: Option<Retry>,
    /// Follow redirects (default true).
    pub redirect: bool,
    /// Refuse a URL on another host than the pool's (default true; pools only).
    pub assert_same_host: bool,
    /// Timeouts; `None` uses the pool's.
    pub timeout: Option<Timeout>,
    /// How long a blocking pool waits for a connection; `None` waits forever.
    pub pool_timeout: Option<Duration>,
    /// Send the body chunked even when its length is known.
    pub chunked: bool,
    /// Read the whole body before returning (default true).
    pub preload_content: bool,
    /// Undo `Content-Encoding` when reading (default true).
    pub decode_content: bool,
    /// Fail when a body is shorter than its `Content-Length` (default true).
    pub enforce_content_length: bool,
}

impl Default for RequestOptions {
    fn default() -> Self {
        RequestOptions {
            headers: None,
            body: Body::Empty,
            retries: None,
            redirect: true,
            assert_same_host: true,
            timeout: None,
            pool_timeout: None,
            chunked: false,
            preload_content: true,
            decode_content: true,
            enforce_content_length: true,
        }
    }
}

impl RequestOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a header line (starting from an empty list, not the pool's headers).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers
            .get_or_insert_with(HeaderMap::new)
            .append(name, value);
        self
    }

    /// Sets the whole header list.
    pub fn headers(mut self, headers: HeaderMap) -> Self {
        self.headers = Some(headers);
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Body>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets the retry policy.
    pub fn retries(mut self, retries: Retry) -> Self {
        self.retries = Some(retries);
        self
    }

    /// Sets whether redirects are followed.
    pub fn redirect(mut self, redirect: bool) -> Self {
        self.redirect = redirect;
        self
    }

    /// Sets the timeouts.
    pub fn timeout(mut self, timeout: Timeout) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets how long to wait for a pooled connection.
    pub fn pool_timeout(mut self, wait: Duration) -> Self {
        self.pool_timeout = Some(wait);
        self
    }

    /// Sets whether the body is read before returning.
    pub fn preload_content(mut self, preload: bool) -> Self {
        self.preload_content = preload;
        self
    }

    /// Sets whether the body is decoded.
    pub fn decode_content(mut self, decode: bool) -> Self {
        self.decode_content = decode;
        self
    }

    fn response_options(&self) -> ResponseOptions {
        ResponseOptions {
            decode_content: self.decode_content,
            enforce_content_length: self.enforce_content_length,
        }
    }
}

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
    state: Mutex<State>,
    returned: Condvar,
    num_connections: AtomicU64,
    num_requests: AtomicU64,
}

struct State {
    /// Idle connections, most recently returned last.
    idle: Vec<Connection>,
    /// Entries that hold no connection: taking one opens a new connection.
    empty_slots: usize,
    closed: bool,
}

impl State {
    fn entries(&self) -> usize {
        self.idle.len() + self.empty_slots
    }
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
        let empty_slots = config.maxsize.max(1);
        ConnectionPool {
            inner: Arc::new(Inner {
                scheme,
                host: normalize_host(host),
                port,
                config,
                state: Mutex::new(State {
                    idle: Vec::new(),
                    empty_slots,
                    closed: false,
                }),
                returned: Condvar::new(),
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
        self.lock().entries()
    }

    /// Idle connections waiting in the pool.
    pub fn idle_connections(&self) -> usize {
        self.lock().idle.len()
    }

    /// Whether `close` was called.
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Closes every idle connection; later requests fail with `ClosedPoolError`, and
    /// connections still lent out are closed when they come back.
    pub fn close(&self) {
        let idle = {
            let mut state = self.lock();
            state.closed = true;
            state.empty_slots = 0;
            std::mem::take(&mut state.idle)
        };
        drop(idle);
        self.inner.returned.notify_all();
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
    pub fn get_conn(&self, pool_timeout: Option<Duration>) -> Result<Option<Connection>> {
        let mut state = self.lock();
        let deadline = pool_timeout.map(|t| Instant::now() + t);
        loop {
            if state.closed {
                return Err(self.pool_error(ErrorKind::ClosedPool, "Pool is closed."));
            }
            if let Some(conn) = state.idle.pop() {
                drop(state);
                if conn.is_dropped() {
                    log::debug!(target: "urllib3.connectionpool", "Resetting dropped connection: {}", self.host());
                    return Ok(None);
                }
                return Ok(Some(conn));
            }
            if state.empty_slots > 0 {
                state.empty_slots -= 1;
                return Ok(None);
            }
            if !self.inner.config.block {
                return Ok(None);
            }
            state = self.wait_for_return(state, deadline)?;
        }
    }

    fn wait_for_return<'a>(
        &'a self,
        state: MutexGuard<'a, State>,
        deadline: Option<Instant>,
    ) -> Result<MutexGuard<'a, State>> {
        let empty = || {
            self.pool_error(
                ErrorKind::EmptyPool,
                "Pool is empty and a new connection can't be opened due to blocking mode.",
            )
        };
        match deadline {
            None => Ok(self
                .inner
                .returned
                .wait(state)
                .unwrap_or_else(|e| e.into_inner())),
            Some(deadline) => {
                let left = deadline
                    .checked_duration_since(Instant::now())
                    .ok_or_else(empty)?;
                let (state, waited) = self
                    .inner
                    .returned
                    .wait_timeout(state, left)
                    .unwrap_or_else(|e| e.into_inner());
                if waited.timed_out() && state.entries() == 0 {
                    return Err(empty());
                }
                Ok(state)
            }
        }
    }

    /// Gives a connection (or, with `None`, its slot) back to the pool. A connection coming
    /// back to a full or closed pool is closed.
    pub fn put_conn(&self, conn: Option<Connection>) {
        let mut state = self.lock();
        let full = state.entries() >= self.inner.config.maxsize.max(1);
        if state.closed {
            return;
        }
        if full {
            if conn.is_some() {
                log::warn!(
                    target: "urllib3.connectionpool",
                    "Connection pool is full, discarding connection: {}. Connection pool size: {}",
                    self.host(),
                    state.entries()
                );
            }
            return;
        }
        match conn {
            Some(conn) => state.idle.push(conn),
            None => state.empty_slots += 1,
        }
        drop(state);
        self.inner.returned.notify_one();
    }

    /// Opens a new connection to the pool's host (with a TLS handshake for HTTPS), through the
    /// pool's proxy if it has one.
    pub fn new_conn(&self, timeout: &Timeout) -> Result<Connection> {
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

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state inconsistent (each critical
        // section is a few field updates), so a poisoned lock is still usable.
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
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

/// What `urlopen` does after a response arrived.
// Lives for one match right after it is made; boxing the response would cost an allocation per
// request for nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum FollowUp {
    Done(Response),
    Again,
}

/// The state of one `urlopen` call across its retries and redirects.
pub(crate) struct Attempt {
    pub(crate) method: String,
    pub(crate) url: String,
    pub(crate) headers: HeaderMap,
    pub(crate) options: RequestOptions,
    pub(crate) retries: Retry,
    pub(crate) timeout: Timeout,
}

impl Attempt {
    pub(crate) fn new(
        method: &str,
        url: &str,
        mut options: RequestOptions,
        config: &PoolConfig,
    ) -> Self {
        let headers = options
            .headers
            .take()
            .unwrap_or_else(|| config.headers.clone());
        let retries = options
            .retries
            .take()
            .unwrap_or_else(|| config.retries.clone());
        let retries = if options.redirect {
            retries
        } else {
            retries.with_redirect_disabled()
        };
        Attempt {
            method: method.to_owned(),
            url: strip_fragment(url),
            headers,
            timeout: options.timeout.unwrap_or(config.timeout),
            options,
            retries,
        }
    }

    /// Counts a failed try against the retries, sleeps the backoff, and rewinds the body.
    pub(crate) fn retry_after_error(&mut self, e: &Error) -> Result<()> {
        self.retries =
            self.retries
                .increment(Some(&self.method), Some(&self.url), Outcome::Error(e))?;
        self.retries.sleep(None)?;
        log::warn!(
            target: "urllib3.connectionpool",
            "Retrying ({}) after connection broken by '{}': {}",
            self.retries,
            e,
            self.url
        );
        self.rewind()
    }

    fn rewind(&mut self) -> Result<()> {
        self.options.body.rewind()
    }

    /// Decides between returning the response, following its redirect, or retrying on its
    /// status. `same_host` tells whether a location stays on the host the headers were for.
    pub(crate) fn follow_up(
        &mut self,
        mut response: Response,
        same_host: impl Fn(&str) -> bool,
    ) -> Result<FollowUp> {
        let status = response.status();
        let location = self
            .options
            .redirect
            .then(|| redirect_location(&response))
            .flatten();
        if let Some(location) = location {
            let followed = self.redirect(response, &location, same_host)?;
            if let FollowUp::Again = followed {
                log::debug!(target: "urllib3.connectionpool", "Redirecting {} -> {}", self.url, location);
                self.url = strip_fragment(&location);
            }
            return Ok(followed);
        }
        let retry_after = retry_after(&response);
        let has_retry_after = retry_after.as_deref().is_some_and(|v| !v.is_empty());
        if !self.retries.is_retry(&self.method, status, has_retry_after) {
            return Ok(FollowUp::Done(response));
        }
        let outcome = Outcome::Response {
            status,
            redirect_location: None,
            retry_after: retry_after.as_deref(),
        };
        match self
            .retries
            .increment(Some(&self.method), Some(&self.url), outcome)
        {
            Ok(next) => self.retries = next,
            Err(e) if e.kind() == ErrorKind::MaxRetry && !self.retries.raise_on_status() => {
                return Ok(FollowUp::Done(response))
            }
            Err(e) => {
                let _ = response.drain();
                return Err(e);
            }
        }
        let _ = response.drain();
        self.retries.sleep(retry_after.as_deref())?;
        log::debug!(target: "urllib3.connectionpool", "Retry: {}", self.url);
        self.rewind()?;
        Ok(FollowUp::Again)
    }

    /// Counts a redirect to `location` against the retries and prepares the request for it
    /// (a 303 becomes a bodiless GET; credentials stay behind when the host changes). The
    /// caller moves `url` to the new location.
    pub(crate) fn redirect(
        &mut self,
        mut response: Response,
        location: &str,
        same_host: impl Fn(&str) -> bool,
    ) -> Result<FollowUp> {
        let retry_after = retry_after(&response);
        let retry_after = retry_after.as_deref();
        if response.status() == 303 {
            self.method = "GET".to_owned();
            self.options.body = Body::Empty;
            self.options.chunked = false;
            for name in CONTENT_HEADERS {
                self.headers.remove(name);
            }
        }
        if !same_host(location) {
            for name in self.retries.remove_headers_on_redirect() {
                self.headers.remove(name);
            }
        }
        let outcome = Outcome::Response {
            status: response.status(),
            redirect_location: Some(location),
            retry_after,
        };
        match self
            .retries
            .increment(Some(&self.method), Some(&self.url), outcome)
        {
            Ok(next) => self.retries = next,
            Err(e) if e.kind() == ErrorKind::MaxRetry && !self.retries.raise_on_redirect() => {
                return Ok(FollowUp::Done(response))
            }
            Err(e) => {
                let _ = response.drain();
                return Err(e);
            }
        }
        // A failed drain only means the connection is not reused; the redirect goes on.
        let _ = response.drain();
        self.retries.sleep_for_retry(retry_after)?;
        self.rewind()?;
        Ok(FollowUp::Again)
    }
}

/// Where a redirect response points, if it is one (urllib3's `get_redirect_location`).
pub(crate) fn redirect_location(response: &Response) -> Option<String> {
    if !REDIRECT_STATUSES.contains(&response.status()) {
        return None;
    }
    response.headers().get("location").map(|l| l.into_owned())
}

fn retry_after(response: &Response) -> Option<String> {
    response
        .headers()
        .get("retry-after")
        .map(|v| v.into_owned())
}

/// Failures that `urlopen` hands to the retry policy; the others (bad arguments, a closed or
/// empty pool, a malformed header from the caller) go straight to the caller, as in urllib3.
fn is_retryable(e: &Error) -> bool {
    let kind = e.kind();
    kind.is_timeout()
        || matches!(
            kind,
            ErrorKind::Protocol | ErrorKind::Ssl | ErrorKind::Proxy | ErrorKind::IncompleteRead
        )
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

fn strip_fragment(url: &str) -> String {
    url.split_once('#')
        .map_or(url, |(before, _)| before)
        .to_owned()
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
