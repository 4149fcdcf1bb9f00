//! Interop with real proxies: squid (forwarding and CONNECT, open and behind Basic auth) and
//! dante (SOCKS5, without and with username/password), started by
//! `tests/interop/setup-proxies.sh`, which prints the variables read here:
//!
//! - `URLLIB3_INTEROP=1`: run these tests; without it they do nothing (a dev machine's plain
//!   `cargo test`). With it, a missing URL is a failure, never a skip.
//! - `URLLIB3_INTEROP_SQUID`, `URLLIB3_INTEROP_SQUID_AUTH` (with `user:password@`),
//!   `URLLIB3_INTEROP_DANTE`, `URLLIB3_INTEROP_DANTE_AUTH` (with `user:password@`).
//!
//! `tests/interop/run-interop.sh` does all of it. The targets are our test server on loopback.

mod common;

use common::{interop_url, json, Targets};

use urllib3::{
    ErrorKind, ProxyConfig, ProxyManager, RequestMethods, RequestOptions, SocksConfig,
    SocksProxyManager,
};

impl common::Targets {
    /// The https target by name, so the certificate's `localhost` is checked.
    fn https_url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.https.port())
    }
}

fn squid(url: &str, targets: &Targets) -> ProxyManager {
    ProxyManager::with_config(ProxyConfig::new(url).unwrap(), 10, targets.config())
}

/// GET and POST through `http`, to the http and the https target.
fn round_trips(http: &impl RequestMethods, targets: &Targets) {
    for base in [targets.http.url(""), targets.https_url("")] {
        let mut r = http.request("GET", &format!("{base}/get?q=1")).unwrap();
        assert_eq!(r.status(), 200, "{base}");
        assert_eq!(json(&mut r)["args"]["q"], "1");
        let mut r = http
            .urlopen(
                "POST",
                &format!("{base}/post"),
                RequestOptions::new().body("interop payload"),
            )
            .unwrap();
        assert_eq!(json(&mut r)["data"], "interop payload", "{base}");
    }
}

#[test]
fn squid_forwards_http_and_tunnels_https() {
    let Some(url) = interop_url("URLLIB3_INTEROP_SQUID") else {
        return;
    };
    let targets = Targets::start();
    let http = squid(&url, &targets);
    round_trips(&http, &targets);

    // Forwarded: squid's Via reaches the target. Tunnelled: squid sees nothing to mark.
    let mut r = http.request("GET", &targets.http.url("/headers")).unwrap();
    let via = json(&mut r)["headers"]["Via"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(via.contains("squid"), "Via: {via:?}");
    let mut r = http.request("GET", &targets.https_url("/headers")).unwrap();
    assert!(json(&mut r)["headers"].get("Via").is_none());
    assert_eq!(http.len(), 2, "one pool for squid, one tunnel pool");
    assert_eq!(
        targets.https.stats().connections_accepted,
        1,
        "the tunnel was reused"
    );
}

#[test]
fn squid_with_basic_auth() {
    let Some(url) = interop_url("URLLIB3_INTEROP_SQUID_AUTH") else {
        return;
    };
    let targets = Targets::start();
    round_trips(&squid(&url, &targets), &targets);

    let mut anonymous = ProxyConfig::new(&url).unwrap();
    anonymous.url.auth = None;
    let http = ProxyManager::with_config(anonymous, 10, targets.config());
    let err = http.request("GET", &targets.https_url("/get")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Proxy, "{err}");
    assert_eq!(err.status(), Some(407));
    assert_eq!(
        err.reason().map(|e| e.message().to_owned()).as_deref(),
        Some("Tunnel connection failed: 407 Proxy Authentication Required")
    );
    let r = http.request("GET", &targets.http.url("/get")).unwrap();
    assert_eq!(r.status(), 407);
}

fn dante(url: &str, targets: &Targets) -> SocksProxyManager {
    SocksProxyManager::with_config(SocksConfig::from_url(url).unwrap(), 10, targets.config())
}

#[test]
fn dante_socks5_and_socks5h() {
    let Some(url) = interop_url("URLLIB3_INTEROP_DANTE") else {
        return;
    };
    let targets = Targets::start();
    let mut socks = SocksConfig::from_url(&url).unwrap();
    for version in [
        urllib3::SocksVersion::Socks5h,
        urllib3::SocksVersion::Socks5,
    ] {
        socks.version = version;
        let http = SocksProxyManager::with_config(socks.clone(), 10, targets.config());
        round_trips(&http, &targets);
    }
}

#[test]
fn dante_with_username_and_password() {
    let Some(url) = interop_url("URLLIB3_INTEROP_DANTE_AUTH") else {
        return;
    };
    let targets = Targets::start();
    round_trips(&dante(&url, &targets), &targets);

    let socks = SocksConfig::from_url(&url).unwrap();
    let user = socks.username.clone().unwrap_or_default();
    let wrong = dante(&url, &targets);
    let wrong = SocksProxyManager::with_config(
        wrong.socks().clone().with_credentials(user, "wrong"),
        10,
        targets.config(),
    );
    let err = wrong.request("GET", &targets.http.url("/get")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NewConnection, "{err}");
    assert_eq!(
        err.message(),
        "Failed to establish a new connection: SOCKS5 authentication failed"
    );

    let anonymous = SocksConfig {
        username: None,
        password: None,
        ..socks
    };
    let err = SocksProxyManager::with_config(anonymous, 10, targets.config())
        .request("GET", &targets.http.url("/get"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NewConnection, "{err}");
}
