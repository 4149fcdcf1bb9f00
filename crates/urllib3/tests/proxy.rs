//! Proxies against the test server's own: every proxy mode (HTTP forwarding, CONNECT tunnel,
//! HTTPS proxy with and without forwarding, SOCKS4, SOCKS4a, SOCKS5, SOCKS5h) × http and https
//! targets × with and without authentication, then the ways it fails.

mod common;

use common::{json, Targets};

use std::net::TcpListener;
use std::time::Duration;

use testserver::{HttpProxy, ProxyOptions, SocksOptions, SocksProxy, TestServer};
use urllib3::{
    proxy_from_url, ErrorKind, HeaderMap, PoolConfig, PoolManager, Proxy, ProxyConfig,
    ProxyManager, RequestMethods, RequestOptions, Retry, SocksConfig, SocksProxyManager, Timeout,
    TlsConfig,
};

const USER: &str = "alice";
const PASSWORD: &str = "s3cret";

impl common::Targets {
    /// `scheme://host:port/path` on the target of `scheme`, by `host` (a name or an address).
    fn url(&self, scheme: Target, host: &str, path: &str) -> String {
        match scheme {
            Target::Http => format!("http://{host}:{}{path}", self.http.port()),
            Target::Https => format!("https://{host}:{}{path}", self.https.port()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Target {
    Http,
    Https,
}

fn credentials(auth: bool) -> Option<(String, String)> {
    auth.then(|| (USER.to_owned(), PASSWORD.to_owned()))
}

// ---------------------------------------------------------------------------------------------
// HTTP and HTTPS proxies

#[derive(Clone, Copy, Debug, PartialEq)]
enum HttpMode {
    /// `http://` proxy: http targets forwarded, https targets tunnelled.
    Plain,
    /// `https://` proxy: TLS to the proxy, then as `Plain` (TLS inside TLS for https targets).
    Tls,
    /// `https://` proxy with `use_forwarding_for_https`: every target forwarded.
    TlsForwarding,
}

fn start_http_proxy(mode: HttpMode, auth: bool) -> HttpProxy {
    HttpProxy::start_with(ProxyOptions {
        tls: mode != HttpMode::Plain,
        auth: credentials(auth),
        ..ProxyOptions::default()
    })
    .unwrap()
}

fn proxy_manager(proxy: &HttpProxy, mode: HttpMode, targets: &Targets) -> ProxyManager {
    let mut config = ProxyConfig::new(&proxy.url_with_auth())
        .unwrap()
        .with_headers([("X-Proxy-Header", "for-the-proxy")].into_iter().collect())
        .with_forwarding_for_https(mode == HttpMode::TlsForwarding);
    if let Some(ca) = proxy.ca_file() {
        config = config.with_tls(TlsConfig::new().with_ca_certs(ca));
    }
    ProxyManager::with_config(config, 10, targets.config())
}

/// One GET and one POST through an HTTP(S) proxy, then what the proxy and the target saw.
fn http_proxy_case(mode: HttpMode, target: Target, auth: bool) {
    let targets = Targets::start();
    let proxy = start_http_proxy(mode, auth);
    let http = proxy_manager(&proxy, mode, &targets);
    let url = targets.url(target, "localhost", "/headers");
    let options = RequestOptions::new().header("X-Request", "for-the-target");
    let mut r = http.urlopen("GET", &url, options).unwrap();
    assert_eq!(r.status(), 200, "{mode:?} {target:?} auth={auth}");
    let seen_by_target = json(&mut r)["headers"].clone();
    assert_eq!(seen_by_target["X-Request"], "for-the-target");
    assert!(seen_by_target.get("Proxy-Authorization").is_none());

    let post_url = targets.url(target, "localhost", "/post");
    let mut r = http
        .urlopen("POST", &post_url, RequestOptions::new().body("payload"))
        .unwrap();
    assert_eq!(json(&mut r)["data"], "payload");

    let forwarded = target == Target::Http || mode == HttpMode::TlsForwarding;
    let log = proxy.requests();
    if forwarded {
        // Each request names its absolute URL and carries the proxy headers.
        assert_eq!(log.len(), 2, "{log:?}");
        assert_eq!(log[0].method, "GET");
        assert_eq!(log[0].target, url);
        assert_eq!(log[1].target, post_url);
        for entry in &log {
            assert_eq!(entry.header("X-Proxy-Header"), Some("for-the-proxy"));
            assert_eq!(entry.header("Proxy-Authorization").is_some(), auth);
        }
        assert_eq!(log[0].header("Accept"), Some("*/*"));
        assert_eq!(seen_by_target["X-Proxy-Header"], "for-the-proxy");
    } else {
        // One tunnel, reused; the proxy headers went on the CONNECT only.
        assert_eq!(log.len(), 1, "{log:?}");
        assert_eq!(log[0].method, "CONNECT");
        assert_eq!(log[0].target, format!("localhost:{}", targets.https.port()));
        assert_eq!(log[0].status, 200);
        assert_eq!(log[0].header("X-Proxy-Header"), Some("for-the-proxy"));
        assert_eq!(log[0].header("Proxy-Authorization").is_some(), auth);
        assert!(seen_by_target.get("X-Proxy-Header").is_none());
        assert_eq!(targets.https.stats().connections_accepted, 1);
    }
}

macro_rules! matrix {
    ($($name:ident: $case:expr;)*) => {
        $(
            #[test]
            fn $name() {
                $case
            }
        )*
    };
}

matrix! {
    forwarding_http_target: http_proxy_case(HttpMode::Plain, Target::Http, false);
    forwarding_http_target_with_auth: http_proxy_case(HttpMode::Plain, Target::Http, true);
    connect_tunnel_https_target: http_proxy_case(HttpMode::Plain, Target::Https, false);
    connect_tunnel_https_target_with_auth: http_proxy_case(HttpMode::Plain, Target::Https, true);
    https_proxy_http_target: http_proxy_case(HttpMode::Tls, Target::Http, false);
    https_proxy_http_target_with_auth: http_proxy_case(HttpMode::Tls, Target::Http, true);
    https_proxy_tls_in_tls_https_target: http_proxy_case(HttpMode::Tls, Target::Https, false);
    https_proxy_tls_in_tls_https_target_with_auth: http_proxy_case(HttpMode::Tls, Target::Https, true);
    https_proxy_forwarding_http_target: http_proxy_case(HttpMode::TlsForwarding, Target::Http, false);
    https_proxy_forwarding_http_target_with_auth: http_proxy_case(HttpMode::TlsForwarding, Target::Http, true);
    https_proxy_forwarding_https_target: http_proxy_case(HttpMode::TlsForwarding, Target::Https, false);
    https_proxy_forwarding_https_target_with_auth: http_proxy_case(HttpMode::TlsForwarding, Target::Https, true);
}

// ---------------------------------------------------------------------------------------------
// SOCKS proxies

/// Names for the proxy to resolve, addresses otherwise (a local `localhost` may be `::1`,
/// which the test servers do not listen on).
fn socks_target_host(scheme: &str) -> &'static str {
    if scheme.ends_with('h') || scheme.ends_with('a') {
        "localhost"
    } else {
        "127.0.0.1"
    }
}

/// One GET and one POST through a SOCKS proxy, then what the proxy saw.
fn socks_case(scheme: &str, target: Target, auth: bool) {
    let targets = Targets::start();
    let proxy = SocksProxy::start_with(SocksOptions {
        auth: credentials(auth),
        ..SocksOptions::default()
    })
    .unwrap();
    let socks = SocksConfig::from_url(&proxy.url_with_auth(scheme)).unwrap();
    let http = SocksProxyManager::with_config(socks, 10, targets.config());
    let host = socks_target_host(scheme);
    let mut r = http
        .request("GET", &targets.url(target, host, "/get"))
        .unwrap();
    assert_eq!(r.status(), 200, "{scheme} {target:?} auth={auth}");
    assert_eq!(
        json(&mut r)["url"].as_str().map(|u| u.contains("/get")),
        Some(true)
    );
    let mut r = http
        .urlopen(
            "POST",
            &targets.url(target, host, "/post"),
            RequestOptions::new().body("payload"),
        )
        .unwrap();
    assert_eq!(json(&mut r)["data"], "payload");

    // One connection through the proxy, reused for the second request.
    let log = proxy.requests();
    assert_eq!(log.len(), 1, "{log:?}");
    let port = match target {
        Target::Http => targets.http.port(),
        Target::Https => targets.https.port(),
    };
    assert_eq!((log[0].host.as_str(), log[0].port), (host, port));
    assert_eq!(
        log[0].version,
        if scheme.starts_with("socks5") { 5 } else { 4 }
    );
    assert_eq!(log[0].by_name, host == "localhost");
    assert_eq!(log[0].user.as_deref(), auth.then_some(USER));
}

matrix! {
    socks4_http_target: socks_case("socks4", Target::Http, false);
    socks4_http_target_with_user: socks_case("socks4", Target::Http, true);
    socks4_https_target: socks_case("socks4", Target::Https, false);
    socks4_https_target_with_user: socks_case("socks4", Target::Https, true);
    socks4a_http_target: socks_case("socks4a", Target::Http, false);
    socks4a_http_target_with_user: socks_case("socks4a", Target::Http, true);
    socks4a_https_target: socks_case("socks4a", Target::Https, false);
    socks4a_https_target_with_user: socks_case("socks4a", Target::Https, true);
    socks5_http_target: socks_case("socks5", Target::Http, false);
    socks5_http_target_with_auth: socks_case("socks5", Target::Http, true);
    socks5_https_target: socks_case("socks5", Target::Https, false);
    socks5_https_target_with_auth: socks_case("socks5", Target::Https, true);
    socks5h_http_target: socks_case("socks5h", Target::Http, false);
    socks5h_http_target_with_auth: socks_case("socks5h", Target::Http, true);
    socks5h_https_target: socks_case("socks5h", Target::Https, false);
    socks5h_https_target_with_auth: socks_case("socks5h", Target::Https, true);
}

#[test]
fn socks_credentials_given_apart_win_over_the_url() {
    let targets = Targets::start();
    let proxy = SocksProxy::start_with(SocksOptions {
        auth: credentials(true),
        ..SocksOptions::default()
    })
    .unwrap();
    let url = format!("socks5h://wrong:wrong@127.0.0.1:{}", proxy.port());
    let socks = SocksConfig::from_url(&url)
        .unwrap()
        .with_credentials(USER, PASSWORD);
    let http = SocksProxyManager::with_config(socks, 10, targets.config());
    let r = http
        .request("GET", &targets.url(Target::Http, "localhost", "/get"))
        .unwrap();
    assert_eq!(r.status(), 200);
}

// ---------------------------------------------------------------------------------------------
// Pools, redirects and bodies through proxies

#[test]
fn http_targets_share_one_pool_and_https_targets_get_one_per_host() {
    let targets = Targets::start();
    let other = TestServer::start_tls();
    let proxy = HttpProxy::start();
    let mut config = targets.config();
    config.tls = TlsConfig::new().with_cert_reqs(urllib3::CertReqs::None);
    let http = ProxyManager::with_config(ProxyConfig::new(&proxy.url()).unwrap(), 10, config);
    let second_http = TestServer::start();
    for url in [
        targets.http.url("/get"),
        second_http.url("/get"),
        targets.https.url("/get"),
        other.url("/get"),
        other.url("/headers"),
    ] {
        assert_eq!(http.request("GET", &url).unwrap().status(), 200, "{url}");
    }
    assert_eq!(http.len(), 3, "one pool for the proxy, one per https host");
    let pool = http
        .connection_from_url(&targets.http.url("/"), None)
        .unwrap();
    assert_eq!((pool.host(), pool.port()), ("127.0.0.1", proxy.port()));
    assert_eq!(pool.num_requests(), 2);
    let connects = proxy
        .requests()
        .iter()
        .filter(|r| r.method == "CONNECT")
        .count();
    assert_eq!(connects, 2, "one tunnel per https host, reused");
}

#[test]
fn redirects_across_hosts_follow_through_the_proxy() {
    let targets = Targets::start();
    let proxy = HttpProxy::start();
    let http = ProxyManager::with_config(
        ProxyConfig::new(&proxy.url()).unwrap(),
        10,
        PoolConfig {
            retries: Retry::default(),
            ..targets.config()
        },
    );
    let destination = targets.https.url("/get");
    let url = targets.http.url(&format!(
        "/redirect-to?url={}",
        urllib3::request::quote(&destination)
    ));
    let mut r = http.request("GET", &url).unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(json(&mut r)["url"], destination);
    let methods: Vec<String> = proxy.requests().iter().map(|r| r.method.clone()).collect();
    assert_eq!(methods, ["GET", "CONNECT"]);
}

#[test]
fn large_bodies_stream_through_tls_inside_tls() {
    let targets = Targets::start();
    let proxy = HttpProxy::start_tls();
    let http = proxy_manager(&proxy, HttpMode::Tls, &targets);
    let url = targets.https.url("/bytes/3000000?seed=7");
    let mut r = http
        .urlopen("GET", &url, RequestOptions::new().preload_content(false))
        .unwrap();
    assert_eq!(r.read_all().unwrap().len(), 3_000_000);
    let body = vec![b'x'; 2_000_000];
    let mut r = http
        .urlopen(
            "POST",
            &targets.https.url("/upload"),
            RequestOptions::new().body(body),
        )
        .unwrap();
    assert_eq!(json(&mut r)["received"], 2_000_000);
    assert_eq!(proxy.requests().len(), 1, "the tunnel was reused");
}

#[test]
fn a_tunnel_the_target_closed_is_replaced() {
    let targets = Targets::start();
    let proxy = HttpProxy::start_tls();
    let http = proxy_manager(&proxy, HttpMode::Tls, &targets);
    let r = http
        .request("GET", &targets.https.url("/small?close=1"))
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http.request("GET", &targets.https.url("/small")).unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        proxy.requests().len(),
        2,
        "a second tunnel for the second request"
    );
}

#[test]
fn connections_know_what_was_verified() {
    let targets = Targets::start();
    let proxy = HttpProxy::start_tls();
    let proxy_config = ProxyConfig::new(&proxy.url())
        .unwrap()
        .with_tls(TlsConfig::new().with_ca_certs(proxy.ca_file().unwrap()));
    let tls = targets.config().tls;
    let timeout = Timeout::new();
    let socket = Default::default();
    let tunnel = urllib3::Connection::open_tunnel(
        &proxy_config,
        "localhost",
        targets.https.port(),
        &timeout,
        &socket,
        Some(&tls),
    )
    .unwrap();
    assert!(tunnel.is_verified());
    assert_eq!(tunnel.proxy_is_verified(), Some(true));
    assert_eq!(tunnel.tls_version(), Some("TLSv1.3"));
    let forward = urllib3::Connection::open_proxy(&proxy_config, &timeout, &socket).unwrap();
    assert!(
        !forward.is_verified(),
        "a forwarding proxy checks the target, not us"
    );
    assert_eq!(forward.proxy_is_verified(), Some(true));
    assert!(forward.is_tls());
}

#[test]
fn pool_keys_include_the_proxy() {
    let plain = PoolManager::new();
    let proxied = PoolManager::with_config(
        10,
        PoolConfig {
            proxy: Some(Proxy::Http(
                ProxyConfig::new("http://127.0.0.1:3128").unwrap(),
            )),
            ..PoolConfig::default()
        },
    );
    let a = plain
        .connection_from_url("https://example.com/", None)
        .unwrap();
    let b = proxied
        .connection_from_url("https://example.com/", None)
        .unwrap();
    assert_ne!(a.config(), b.config());
    let socks = PoolConfig {
        proxy: Some(Proxy::Socks(
            SocksConfig::from_url("socks5://127.0.0.1:1").unwrap(),
        )),
        ..PoolConfig::default()
    };
    let c = plain
        .connection_from_url("https://example.com/", Some(socks))
        .unwrap();
    assert_eq!(plain.len(), 2, "same host, another proxy: another pool");
    assert!(c.forwarding_proxy().is_none());
}

// ---------------------------------------------------------------------------------------------
// Failures

/// A port with nothing listening.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

#[test]
fn a_connect_answered_407_is_a_proxy_error_with_the_status() {
    let targets = Targets::start();
    let proxy = start_http_proxy(HttpMode::Plain, true);
    let http = ProxyManager::with_config(
        ProxyConfig::new(&proxy.url()).unwrap(),
        10,
        targets.config(),
    );
    let err = http.request("GET", &targets.https.url("/get")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Proxy);
    assert_eq!(err.message(), "Unable to connect to proxy");
    assert_eq!(err.status(), Some(407));
    let cause = err.reason().unwrap();
    assert_eq!(
        cause.message(),
        "Tunnel connection failed: 407 Proxy Authentication Required"
    );
    assert_eq!(cause.status(), Some(407));
}

#[test]
fn a_407_is_retried_and_ends_in_max_retry_error() {
    let targets = Targets::start();
    let proxy = start_http_proxy(HttpMode::Plain, true);
    let config = PoolConfig {
        retries: Retry::from_total(2),
        ..targets.config()
    };
    let http = ProxyManager::with_config(ProxyConfig::new(&proxy.url()).unwrap(), 10, config);
    let err = http.request("GET", &targets.https.url("/get")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MaxRetry);
    let reason = err.reason().unwrap();
    assert_eq!(reason.kind(), ErrorKind::Proxy);
    assert_eq!(reason.status(), Some(407));
    assert_eq!(proxy.requests().len(), 3);
}

#[test]
fn a_forwarded_request_answered_407_is_a_response() {
    let targets = Targets::start();
    let proxy = start_http_proxy(HttpMode::Plain, true);
    let http = proxy_from_url(&proxy.url()).unwrap();
    let r = http.request("GET", &targets.http.url("/get")).unwrap();
    assert_eq!(r.status(), 407);
    assert!(r.headers().get("proxy-authenticate").is_some());
}

#[test]
fn wrong_proxy_credentials_are_refused() {
    let targets = Targets::start();
    let proxy = start_http_proxy(HttpMode::Plain, true);
    let url = format!("http://{USER}:wrong@127.0.0.1:{}", proxy.port());
    let http = ProxyManager::with_config(ProxyConfig::new(&url).unwrap(), 10, targets.config());
    let err = http.request("GET", &targets.https.url("/get")).unwrap_err();
    assert_eq!(err.status(), Some(407));
}

#[test]
fn a_connect_answered_403_or_502_carries_that_status() {
    let targets = Targets::start();
    let proxy = HttpProxy::start_with(ProxyOptions {
        forbidden_hosts: vec!["forbidden.invalid".into()],
        ..ProxyOptions::default()
    })
    .unwrap();
    let http = ProxyManager::with_config(
        ProxyConfig::new(&proxy.url()).unwrap(),
        10,
        targets.config(),
    );
    let err = http
        .request("GET", "https://forbidden.invalid/")
        .unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Proxy, Some(403)));
    assert_eq!(
        err.reason().unwrap().message(),
        "Tunnel connection failed: 403 Forbidden"
    );
    let unreachable = format!("https://127.0.0.1:{}/", closed_port());
    let err = http.request("GET", &unreachable).unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Proxy, Some(502)));
}

#[test]
fn an_unreachable_proxy_is_a_proxy_error_around_the_connect_error() {
    let targets = Targets::start();
    let url = format!("http://127.0.0.1:{}", closed_port());
    let http = ProxyManager::with_config(ProxyConfig::new(&url).unwrap(), 10, targets.config());
    for target in [targets.http.url("/get"), targets.https.url("/get")] {
        let err = http.request("GET", &target).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Proxy, "{target}");
        assert_eq!(err.message(), "Unable to connect to proxy");
        assert_eq!(err.reason().unwrap().kind(), ErrorKind::NewConnection);
        assert_eq!(err.status(), None);
    }
}

#[test]
fn an_unreachable_proxy_counts_as_a_connect_error_for_retries() {
    let targets = Targets::start();
    let url = format!("http://127.0.0.1:{}", closed_port());
    let config = PoolConfig {
        retries: Retry::from_total(5).with_connect(1),
        ..targets.config()
    };
    let http = ProxyManager::with_config(ProxyConfig::new(&url).unwrap(), 10, config);
    let err = http.request("GET", &targets.http.url("/get")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MaxRetry);
    assert_eq!(err.reason().unwrap().kind(), ErrorKind::Proxy);
}

#[test]
fn tls_to_a_plain_http_proxy_fails_with_urllib3s_hint() {
    let targets = Targets::start();
    let proxy = HttpProxy::start();
    let url = format!("https://127.0.0.1:{}", proxy.port());
    let http = ProxyManager::with_config(ProxyConfig::new(&url).unwrap(), 10, targets.config());
    let err = http.request("GET", &targets.http.url("/get")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Proxy);
    assert!(
        err.message()
            .contains("Your proxy appears to only use HTTP and not HTTPS"),
        "{err}"
    );
    assert_eq!(err.reason().unwrap().kind(), ErrorKind::Ssl);
}

#[test]
fn an_https_proxy_that_fails_verification_is_a_proxy_error() {
    let targets = Targets::start();
    let proxy = HttpProxy::start_tls();
    // The proxy's CA is not trusted: verification against the system store fails.
    let http = ProxyManager::with_config(
        ProxyConfig::new(&proxy.url()).unwrap(),
        10,
        targets.config(),
    );
    let err = http.request("GET", &targets.https.url("/get")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Proxy);
    let cause = err.reason().unwrap();
    assert_eq!(cause.kind(), ErrorKind::Ssl);
    assert!(
        cause.message().contains("CERTIFICATE_VERIFY_FAILED"),
        "{cause}"
    );
}

#[test]
fn the_target_certificate_is_checked_inside_the_tunnel() {
    let targets = Targets::start();
    let proxy = HttpProxy::start();
    let config = PoolConfig {
        tls: TlsConfig::default(),
        ..targets.config()
    };
    let http = ProxyManager::with_config(ProxyConfig::new(&proxy.url()).unwrap(), 10, config);
    let err = http.request("GET", &targets.https.url("/get")).unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Ssl,
        "a target failure is not a proxy failure"
    );
}

#[test]
fn a_proxy_that_never_answers_the_connect_is_a_read_timeout() {
    let targets = Targets::start();
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let config = PoolConfig {
        timeout: Timeout::new().with_connect(Duration::from_millis(300)),
        ..targets.config()
    };
    let http = ProxyManager::with_config(ProxyConfig::new(&url).unwrap(), 10, config);
    let err = http.request("GET", &targets.https.url("/get")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ReadTimeout, "{err}");
}

#[test]
fn unknown_and_unsupported_proxy_schemes() {
    let err = proxy_from_url("ftp://127.0.0.1:21").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ProxySchemeUnknown);
    assert!(err.kind().is_a(ErrorKind::UrlSchemeUnknown));
    assert_eq!(
        err.message(),
        "Proxy URL had unsupported scheme ftp, should use http:// or https://"
    );
    let err = proxy_from_url("socks5://127.0.0.1:1080").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ProxySchemeUnknown);
    let err = SocksProxyManager::from_url("http://127.0.0.1:3128").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ProxySchemeUnsupported);
    assert_eq!(
        err.message(),
        "Unable to determine SOCKS version from http://127.0.0.1:3128"
    );
}

fn socks_error(proxy_url: &str, target: &str) -> urllib3::Error {
    let socks = SocksConfig::from_url(proxy_url).unwrap();
    let config = PoolConfig {
        retries: Retry::disabled(),
        timeout: Timeout::new().with_connect(Duration::from_millis(500)),
        ..PoolConfig::default()
    };
    SocksProxyManager::with_config(socks, 10, config)
        .request("GET", target)
        .unwrap_err()
}

#[test]
fn a_wrong_socks5_password_is_a_new_connection_error() {
    let targets = Targets::start();
    let proxy = SocksProxy::start_with(SocksOptions {
        auth: credentials(true),
        ..SocksOptions::default()
    })
    .unwrap();
    let url = format!("socks5h://{USER}:wrong@127.0.0.1:{}", proxy.port());
    let err = socks_error(&url, &targets.http.url("/get"));
    assert_eq!(err.kind(), ErrorKind::NewConnection);
    assert_eq!(
        err.message(),
        "Failed to establish a new connection: SOCKS5 authentication failed"
    );
    let err = socks_error(&proxy.url("socks5"), &targets.http.url("/get"));
    assert_eq!(
        err.message(),
        "Failed to establish a new connection: All offered authentication methods were rejected"
    );
    let err = socks_error(&proxy.url("socks4"), &targets.http.url("/get"));
    assert_eq!(
        err.message(),
        "Failed to establish a new connection: 0x5b: Request rejected or failed"
    );
}

#[test]
fn socks_failures_are_new_connection_or_connect_timeout_errors() {
    let proxy = SocksProxy::start();
    let unreachable = format!("http://127.0.0.1:{}/", closed_port());
    let err = socks_error(&proxy.url("socks5"), &unreachable);
    assert_eq!(err.kind(), ErrorKind::NewConnection);
    assert_eq!(
        err.message(),
        "Failed to establish a new connection: 0x05: Connection refused"
    );
    let refused = format!("socks5h://127.0.0.1:{}", closed_port());
    let err = socks_error(&refused, "http://localhost/");
    assert_eq!(err.kind(), ErrorKind::NewConnection);
    assert!(err.message().contains("[Errno 111]"), "{err}");
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let err = socks_error(
        &format!("socks5://{}", silent.local_addr().unwrap()),
        "http://127.0.0.1:1/",
    );
    assert_eq!(err.kind(), ErrorKind::ConnectTimeout);
    assert_eq!(
        err.message(),
        "Connection to 127.0.0.1 timed out. (connect timeout=0.5)"
    );
}

#[test]
fn proxy_headers_do_not_leak_into_tunnelled_requests() {
    let targets = Targets::start();
    let proxy = HttpProxy::start();
    let headers: HeaderMap = [("Proxy-Authorization", "Basic Zm9vOmJhcg==")]
        .into_iter()
        .collect();
    let config = ProxyConfig::new(&proxy.url())
        .unwrap()
        .with_headers(headers);
    let http = ProxyManager::with_config(config, 10, targets.config());
    let mut r = http.request("GET", &targets.https.url("/echo")).unwrap();
    let echoed = String::from_utf8(r.data().unwrap().to_vec()).unwrap();
    assert!(echoed.starts_with("GET /echo HTTP/1.1\r\n"), "{echoed}");
    // The Host header names the target at the end of the tunnel, never the proxy.
    let target_host = format!(
        "\r\nHost: {}\r\n",
        targets
            .https
            .url("")
            .trim_start_matches("https://")
            .trim_end_matches('/')
    );
    assert!(echoed.contains(&target_host), "{echoed}");
    assert!(!echoed.to_ascii_lowercase().contains("proxy-authorization"));
    assert_eq!(
        proxy.requests()[0].header("proxy-authorization"),
        Some("Basic Zm9vOmJhcg==")
    );
}
