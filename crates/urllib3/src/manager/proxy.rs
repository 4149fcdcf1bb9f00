//! urllib3's `ProxyManager`, `proxy_from_url` and `SOCKSProxyManager`: pool managers whose
//! every pool goes through one proxy.
//!
//! Both are a [`PoolManager`] with the proxy in its pool settings (and dereference to it, as
//! the Python classes subclass it): the manager and the pools do the proxy work, these types
//! only make it hard to forget the proxy.

use std::fmt;
use std::ops::Deref;

use super::PoolManager;
use crate::connection::{Proxy, ProxyConfig, SocksConfig};
use crate::error::Result;
use crate::headers::HeaderMap;
use crate::pool::{PoolConfig, RequestOptions};
use crate::request::RequestMethods;
use crate::response::Response;

/// A pool manager that sends every request through an HTTP or HTTPS proxy (urllib3's
/// `ProxyManager`): `http://` URLs are forwarded through one pool for the proxy, `https://`
/// URLs go through a CONNECT tunnel per host and port (or are forwarded by an HTTPS proxy
/// with [`ProxyConfig::use_forwarding_for_https`]).
///
/// ```
/// # let server = testserver::TestServer::start();
/// # let tls_server = testserver::TestServer::start_tls();
/// # let http_proxy = testserver::HttpProxy::start();
/// use urllib3::{PoolConfig, ProxyConfig, ProxyManager, RequestMethods, TlsConfig};
///
/// let proxy = ProxyConfig::new(&http_proxy.url())?;
/// let config = PoolConfig {
///     tls: TlsConfig::new().with_ca_certs(tls_server.ca_file().unwrap()),
///     ..PoolConfig::default()
/// };
/// let http = ProxyManager::with_config(proxy, 10, config);
/// assert_eq!(http.request("GET", &server.url("/get"))?.status(), 200);
/// assert_eq!(http.request("GET", &tls_server.url("/get"))?.status(), 200);
/// assert_eq!(http.len(), 2); // one pool for the proxy, one tunnel pool for the https host
/// # Ok::<(), urllib3::Error>(())
/// ```
#[derive(Clone)]
pub struct ProxyManager {
    manager: PoolManager,
    proxy: ProxyConfig,
}

impl ProxyManager {
    /// A manager of up to 10 pools with the default settings, through `proxy`.
    pub fn new(proxy: ProxyConfig) -> Self {
        Self::with_config(proxy, 10, PoolConfig::default())
    }

    /// A manager of up to `num_pools` pools made with `config`, through `proxy` (which
    /// replaces any proxy `config` has).
    pub fn with_config(proxy: ProxyConfig, num_pools: usize, mut config: PoolConfig) -> Self {
        config.proxy = Some(Proxy::Http(proxy.clone()));
        ProxyManager {
            manager: PoolManager::with_config(num_pools, config),
            proxy,
        }
    }

    /// The proxy.
    pub fn proxy(&self) -> &ProxyConfig {
        &self.proxy
    }

    /// Sends a request to an absolute URL through the proxy, following redirects.
    pub fn urlopen(&self, method: &str, url: &str, options: RequestOptions) -> Result<Response> {
        self.manager.urlopen(method, url, options)
    }
}

/// urllib3's `proxy_from_url`: a [`ProxyManager`] with the default settings for the proxy at
/// `url` (user info in it becomes `Proxy-Authorization`).
///
/// ```
/// # let server = testserver::TestServer::start();
/// # let http_proxy = testserver::HttpProxy::start_with(testserver::ProxyOptions {
/// #     auth: Some(("user".into(), "pass".into())), ..Default::default() }).unwrap();
/// use urllib3::{proxy_from_url, RequestMethods};
///
/// let http = proxy_from_url(&http_proxy.url_with_auth())?;
/// assert_eq!(http.request("GET", &server.url("/get"))?.status(), 200);
/// # Ok::<(), urllib3::Error>(())
/// ```
pub fn proxy_from_url(url: &str) -> Result<ProxyManager> {
    Ok(ProxyManager::new(ProxyConfig::new(url)?))
}

/// A pool manager whose connections are all made through a SOCKS proxy (urllib3's
/// `SOCKSProxyManager`): pools are per host as without a proxy, and TLS to `https://` hosts
/// runs over the SOCKS connection.
///
/// ```
/// # let server = testserver::TestServer::start();
/// # let socks_proxy = testserver::SocksProxy::start();
/// use urllib3::{RequestMethods, SocksProxyManager};
///
/// let http = SocksProxyManager::from_url(&socks_proxy.url("socks5h"))?;
/// assert_eq!(http.request("GET", &server.url("/get"))?.status(), 200);
/// assert_eq!(http.socks().version, urllib3::SocksVersion::Socks5h);
/// # Ok::<(), urllib3::Error>(())
/// ```
#[derive(Clone)]
pub struct SocksProxyManager {
    manager: PoolManager,
    socks: SocksConfig,
}

impl SocksProxyManager {
    /// A manager of up to 10 pools with the default settings, through `socks`.
    pub fn new(socks: SocksConfig) -> Self {
        Self::with_config(socks, 10, PoolConfig::default())
    }

    /// A manager for the SOCKS proxy at `url` (`socks4://`, `socks4a://`, `socks5://` or
    /// `socks5h://`, with optional `user:password@`).
    pub fn from_url(url: &str) -> Result<Self> {
        Ok(Self::new(SocksConfig::from_url(url)?))
    }

    /// A manager of up to `num_pools` pools made with `config`, through `socks` (which
    /// replaces any proxy `config` has).
    pub fn with_config(socks: SocksConfig, num_pools: usize, mut config: PoolConfig) -> Self {
        config.proxy = Some(Proxy::Socks(socks.clone()));
        SocksProxyManager {
            manager: PoolManager::with_config(num_pools, config),
            socks,
        }
    }

    /// The SOCKS proxy.
    pub fn socks(&self) -> &SocksConfig {
        &self.socks
    }

    /// Sends a request to an absolute URL through the proxy, following redirects.
    pub fn urlopen(&self, method: &str, url: &str, options: RequestOptions) -> Result<Response> {
        self.manager.urlopen(method, url, options)
    }
}

// The Python classes subclass PoolManager; dereferencing gives the same reach to its methods
// (`len`, `clear`, `connection_from_url`, …) without repeating each one.
impl Deref for ProxyManager {
    type Target = PoolManager;

    fn deref(&self) -> &PoolManager {
        &self.manager
    }
}

impl Deref for SocksProxyManager {
    type Target = PoolManager;

    fn deref(&self) -> &PoolManager {
        &self.manager
    }
}

impl RequestMethods for ProxyManager {
    fn urlopen(&self, method: &str, url: &str, options: RequestOptions) -> Result<Response> {
        ProxyManager::urlopen(self, method, url, options)
    }

    fn default_headers(&self) -> &HeaderMap {
        &self.manager.config().headers
    }
}

impl RequestMethods for SocksProxyManager {
    fn urlopen(&self, method: &str, url: &str, options: RequestOptions) -> Result<Response> {
        SocksProxyManager::urlopen(self, method, url, options)
    }

    fn default_headers(&self) -> &HeaderMap {
        &self.manager.config().headers
    }
}

impl fmt::Debug for ProxyManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyManager")
            .field("proxy", &self.proxy)
            .field("pools", &self.manager.len())
            .finish()
    }
}

impl fmt::Debug for SocksProxyManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocksProxyManager")
            .field("socks", &self.socks)
            .field("pools", &self.manager.len())
            .finish()
    }
}
