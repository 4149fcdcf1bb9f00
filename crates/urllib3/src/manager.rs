//! The pool manager: one pool per scheme, host, port and settings, kept in an LRU.
//!
//! `PoolManager::urlopen` takes absolute URLs, picks (or makes) the pool for each, and follows
//! redirects across hosts itself: pools only ever see their own host. The Retry state travels
//! with the request from pool to pool, so one budget covers every hop.
//!
//! With a proxy in its settings the manager is urllib3's `ProxyManager` or
//! `SOCKSProxyManager` (see [`ProxyManager`] and [`SocksProxyManager`]): through an HTTP
//! proxy, every `http://` URL goes to one pool for the proxy itself, and each `https://` host
//! gets a pool of tunnels.

mod proxy;

pub use proxy::{proxy_from_url, ProxyManager, SocksProxyManager};

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::connection::{Proxy, ProxyConfig};
use crate::error::{Error, ErrorKind, Result};
use crate::headers::HeaderMap;
use crate::pool::{Attempt, ConnectionPool, FollowUp, PoolConfig, RequestOptions, Scheme};
use crate::response::Response;
use crate::url::{parse_url, Url};

/// What identifies a pool: urllib3's `PoolKey` (scheme, host, port and the pool settings, the
/// proxy included).
///
/// Equal keys share one pool, whichever way the pool was asked for:
///
/// ```
/// use std::sync::Arc;
/// use urllib3::{PoolConfig, PoolKey, PoolManager, Scheme};
///
/// let http = PoolManager::new();
/// let key = PoolKey {
///     scheme: Scheme::Http, host: "localhost".into(), port: 8080, config: Arc::new(PoolConfig::default()),
/// };
/// let pool = http.connection_from_pool_key(key);
/// assert_eq!((pool.host(), pool.port()), ("localhost", 8080));
/// http.connection_from_url("http://LOCALHOST:8080/path", None)?;
/// assert_eq!(http.len(), 1);
/// # Ok::<(), urllib3::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct PoolKey {
    /// The scheme.
    pub scheme: Scheme,
    /// The host, lower-case, IPv6 without brackets.
    pub host: String,
    /// The port.
    pub port: u16,
    /// The pool settings.
    pub config: Arc<PoolConfig>,
}

impl PartialEq for PoolKey {
    fn eq(&self, other: &Self) -> bool {
        self.scheme == other.scheme
            && self.port == other.port
            && self.host == other.host
            // Pools made from the manager's own settings share one Arc: compare the pointer
            // first so the common lookup never compares whole configurations.
            && (Arc::ptr_eq(&self.config, &other.config) || self.config == other.config)
    }
}

/// Keeps at most `num_pools` pools, dropping the least recently used; thread-safe and cheap to
/// clone (clones share the pools).
///
/// ```
/// # let server = testserver::TestServer::start();
/// use urllib3::{PoolManager, RequestMethods};
///
/// let http = PoolManager::new();
/// let mut response = http.request("GET", &server.url("/get"))?;
/// assert_eq!(response.status(), 200);
/// println!("{}", response.text()?);
/// assert_eq!(http.len(), 1); // one pool, for this scheme, host and port
/// # Ok::<(), urllib3::Error>(())
/// ```
#[derive(Clone)]
pub struct PoolManager {
    inner: Arc<Inner>,
}

struct Inner {
    num_pools: usize,
    config: Arc<PoolConfig>,
    /// Least recently used first. A short vector beats a map here: `num_pools` is 10 by default
    /// and a lookup is a few pointer comparisons.
    pools: Mutex<Vec<(PoolKey, ConnectionPool)>>,
}

impl Default for PoolManager {
    fn default() -> Self {
        Self::new()
    }
}

impl PoolManager {
    /// A manager of up to 10 pools with the default settings.
    pub fn new() -> Self {
        Self::with_config(10, PoolConfig::default())
    }

    /// A manager of up to `num_pools` pools, each made with `config`.
    pub fn with_config(num_pools: usize, config: PoolConfig) -> Self {
        PoolManager {
            inner: Arc::new(Inner {
                num_pools: num_pools.max(1),
                config: Arc::new(config),
                pools: Mutex::new(Vec::new()),
            }),
        }
    }

    /// The settings new pools get.
    pub fn config(&self) -> &PoolConfig {
        &self.inner.config
    }

    /// How many pools are kept now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no pool is kept.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Closes and forgets every pool. Responses still streaming finish normally.
    pub fn clear(&self) {
        let pools = std::mem::take(&mut *self.lock());
        for (_, pool) in pools {
            pool.close();
        }
    }

    /// The pool for `host`, `port` and `scheme` (http when `None`), made with `config` or
    /// the manager's settings.
    ///
    /// Through an HTTP proxy, an `http` URL (or an `https` one the proxy forwards) gets the
    /// pool for the proxy itself, shared by all hosts, as urllib3's `ProxyManager` does. A
    /// proxy manager's proxy replaces the one of a `config` given here.
    pub fn connection_from_host(
        &self,
        host: &str,
        port: Option<u16>,
        scheme: Option<&str>,
        config: Option<PoolConfig>,
    ) -> Result<ConnectionPool> {
        if host.is_empty() {
            return Err(Error::new(ErrorKind::LocationValue, "No host specified."));
        }
        let scheme = Scheme::parse(scheme)?;
        let config = match config {
            None => Arc::clone(&self.inner.config),
            Some(mut config) => {
                if self.inner.config.proxy.is_some() {
                    config.proxy = self.inner.config.proxy.clone();
                }
                Arc::new(config)
            }
        };
        let key = match self.forwarding_proxy(scheme) {
            // One pool for every plain http host: the connections are to the proxy.
            Some(proxy) if scheme == Scheme::Http => PoolKey {
                scheme,
                host: crate::pool::normalize_host(proxy.host()),
                port: proxy.port(),
                config,
            },
            _ => PoolKey {
                scheme,
                host: crate::pool::normalize_host(host),
                port: port.unwrap_or(scheme.default_port()),
                config,
            },
        };
        Ok(self.connection_from_pool_key(key))
    }

    /// The HTTP proxy that requests to `scheme` URLs are forwarded to, if any.
    fn forwarding_proxy(&self, scheme: Scheme) -> Option<&ProxyConfig> {
        match &self.inner.config.proxy {
            Some(Proxy::Http(proxy)) if !proxy.requires_tunnel(scheme) => Some(proxy),
            _ => None,
        }
    }

    /// The pool for the scheme, host and port of `url`.
    pub fn connection_from_url(
        &self,
        url: &str,
        config: Option<PoolConfig>,
    ) -> Result<ConnectionPool> {
        let parsed = parse_url(url)?;
        self.connection_from_parsed(&parsed, config)
    }

    fn connection_from_parsed(
        &self,
        url: &Url,
        config: Option<PoolConfig>,
    ) -> Result<ConnectionPool> {
        let host = url.host.as_deref().unwrap_or_default();
        self.connection_from_host(host, url.port, url.scheme.as_deref(), config)
    }

    /// The pool for `key`, made if there is none; it becomes the most recently used.
    pub fn connection_from_pool_key(&self, key: PoolKey) -> ConnectionPool {
        let mut pools = self.lock();
        if let Some(i) = pools.iter().position(|(k, _)| *k == key) {
            let entry = pools.remove(i);
            let pool = entry.1.clone();
            pools.push(entry);
            return pool;
        }
        let pool = ConnectionPool::with_shared_config(
            key.scheme,
            &key.host,
            key.port,
            Arc::clone(&key.config),
        );
        pools.push((key, pool.clone()));
        let evicted = if pools.len() > self.inner.num_pools {
            Some(pools.remove(0))
        } else {
            None
        };
        drop(pools);
        if let Some((_, old)) = evicted {
            // Idle connections close now; ones lent to responses close when those finish.
            old.close();
        }
        pool
    }

    /// Sends a request to an absolute URL, following redirects across hosts.
    ///
    /// Through a forwarding proxy the pool is given the absolute URL, and `Accept: */*` is
    /// added unless the headers have an `Accept` (urllib3's `_set_proxy_headers`; the `Host`
    /// header comes from the URL).
    pub fn urlopen(&self, method: &str, url: &str, options: RequestOptions) -> Result<Response> {
        let follow = options.redirect;
        let mut attempt = Attempt::new(method, url, options, &self.inner.config);
        attempt.options.assert_same_host = false;
        attempt.options.redirect = false;
        let mut full_url = attempt.url.clone();
        loop {
            let parsed = parse_url(&full_url)?;
            let pool = self.connection_from_parsed(&parsed, None)?;
            let forwarded = pool.forwarding_proxy().is_some();
            if forwarded {
                attempt.url = full_url.clone();
                accept_anything(&mut attempt.headers);
            } else {
                attempt.url = parsed.request_uri();
            }
            let response = pool.run(&mut attempt)?;
            let location = follow
                .then(|| crate::pool::redirect_location(&response))
                .flatten();
            let Some(location) = location else {
                return Ok(response);
            };
            let target = join(&full_url, &location)?;
            // A forwarding pool's own host is the proxy's: compare with the URL instead.
            let same_host = |l: &str| match forwarded {
                true => same_origin(&full_url, l),
                false => pool.is_same_host(l),
            };
            match attempt
                .redirect(response, &target, same_host)
                .map_err(|e| pool.own(e))?
            {
                FollowUp::Done(response) => return Ok(response),
                FollowUp::Again => {
                    log::info!(target: "urllib3.poolmanager", "Redirecting {full_url} -> {target}");
                    full_url = target;
                }
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<(PoolKey, ConnectionPool)>> {
        // The LRU is a plain vector updated in single steps; a poisoned lock leaves it whole.
        self.inner.pools.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl fmt::Debug for PoolManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolManager")
            .field("num_pools", &self.inner.num_pools)
            .field("pools", &self.len())
            .finish()
    }
}

/// Puts `Accept: */*` first unless the headers have an `Accept`.
fn accept_anything(headers: &mut HeaderMap) {
    if !headers.contains("accept") {
        let mut with_accept = HeaderMap::with_capacity(headers.len() + 1);
        with_accept.append("Accept", "*/*");
        with_accept.extend(headers);
        *headers = with_accept;
    }
}

/// Whether two absolute URLs have the same scheme, host and port.
fn same_origin(a: &str, b: &str) -> bool {
    let origin = |url: &str| {
        let parsed = parse_url(url).ok()?;
        let scheme = Scheme::parse(parsed.scheme.as_deref()).ok()?;
        let host = crate::pool::normalize_host(parsed.host.as_deref()?);
        Some((scheme, host, parsed.port.unwrap_or(scheme.default_port())))
    };
    matches!((origin(a), origin(b)), (Some(x), Some(y)) if x == y)
}

/// Resolves a `Location` against the URL it answered (RFC 3986 §5.2, as Python's `urljoin`).
pub(crate) fn join(base: &str, reference: &str) -> Result<String> {
    if has_scheme(reference) {
        return Ok(parse_url(reference)?.url());
    }
    let b = parse_url(base)?;
    let scheme = b.scheme.as_deref().unwrap_or("http");
    if reference.starts_with("//") {
        return Ok(parse_url(&format!("{scheme}:{reference}"))?.url());
    }
    // A relative reference is split by hand: parse_url would read "x" as a host name.
    let without_fragment = reference.split_once('#').map_or(reference, |(r, _)| r);
    let (path, query) = match without_fragment.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (without_fragment, None),
    };
    let base_path = b.path.as_deref().unwrap_or("/");
    let joined_path = if path.starts_with('/') {
        path.to_owned()
    } else if path.is_empty() {
        base_path.to_owned()
    } else {
        let dir = &base_path[..base_path.rfind('/').map_or(0, |i| i + 1)];
        let dir = if dir.is_empty() { "/" } else { dir };
        format!("{dir}{path}")
    };
    let query = match (query, path.is_empty()) {
        (Some(q), _) => format!("?{q}"),
        (None, true) => b
            .query
            .as_deref()
            .map(|q| format!("?{q}"))
            .unwrap_or_default(),
        (None, false) => String::new(),
    };
    let authority = b.authority().unwrap_or_default();
    // Parsing the joined URL removes dot segments, as urljoin does.
    Ok(parse_url(&format!("{scheme}://{authority}{joined_path}{query}"))?.url())
}

/// RFC 3986 `scheme ":"` at the start of a reference.
fn has_scheme(reference: &str) -> bool {
    let Some((scheme, _)) = reference.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_resolve_against_the_request_url() {
        let base = "http://a.example/b/c/d?q=1";
        let cases = [
            ("http://other.example/x", "http://other.example/x"),
            ("//other.example/x", "http://other.example/x"),
            ("/x/y", "http://a.example/x/y"),
            ("x", "http://a.example/b/c/x"),
            ("../x", "http://a.example/b/x"),
            ("./x?z=2", "http://a.example/b/c/x?z=2"),
            ("?z=2", "http://a.example/b/c/d?z=2"),
            ("HTTPS://Secure.example", "https://secure.example"),
        ];
        for (reference, expected) in cases {
            assert_eq!(join(base, reference).unwrap(), expected, "{reference}");
        }
    }

    #[test]
    fn the_lru_keeps_num_pools_and_closes_the_evicted() {
        let manager = PoolManager::with_config(2, PoolConfig::default());
        let a = manager
            .connection_from_host("a", Some(1), None, None)
            .unwrap();
        let _b = manager
            .connection_from_host("b", Some(1), None, None)
            .unwrap();
        // Using `a` again makes `b` the least recently used.
        let a_again = manager.connection_from_url("http://A:1/x", None).unwrap();
        assert_eq!(a_again.host(), a.host());
        let _c = manager
            .connection_from_host("c", Some(1), None, None)
            .unwrap();
        assert_eq!(manager.len(), 2);
        assert!(!a.is_closed());
        let b_again = manager
            .connection_from_host("b", Some(1), None, None)
            .unwrap();
        assert!(!b_again.is_closed());
        assert!(a.is_closed(), "a was least recently used when b came back");
    }

    #[test]
    fn pools_are_keyed_by_settings_too() {
        let manager = PoolManager::new();
        let plain = manager
            .connection_from_host("h", Some(1), None, None)
            .unwrap();
        let same = manager
            .connection_from_host("h", Some(1), None, Some(PoolConfig::default()))
            .unwrap();
        let other = manager
            .connection_from_host(
                "h",
                Some(1),
                None,
                Some(PoolConfig {
                    maxsize: 5,
                    ..PoolConfig::default()
                }),
            )
            .unwrap();
        assert_eq!(manager.len(), 2);
        assert_eq!(plain.config(), same.config());
        assert_eq!(other.config().maxsize, 5);
    }

    #[test]
    fn hosts_are_required_and_schemes_known() {
        let manager = PoolManager::new();
        assert_eq!(
            manager
                .connection_from_host("", None, None, None)
                .unwrap_err()
                .kind(),
            ErrorKind::LocationValue
        );
        assert_eq!(
            manager
                .connection_from_url("ftp://h/", None)
                .unwrap_err()
                .kind(),
            ErrorKind::UrlSchemeUnknown
        );
    }
}
