//! `make demo`: the requests of urllib3's user guide, made with the Rust API against the
//! embedded test server, each printed with what came back.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use testserver::{FingerprintHash, HttpProxy, SocksProxy, TestServer};
use urllib3::request::Form;
use urllib3::{
    CertReqs, PoolConfig, PoolManager, ProxyConfig, ProxyManager, RequestMethods, RequestOptions,
    Response, Retry, SocksProxyManager, Timeout, TlsConfig,
};

fn main() {
    let server = TestServer::start();
    let tls_server = TestServer::start_tls();
    println!(
        "test server at {} and {}\n",
        server.base_url(),
        tls_server.base_url()
    );
    let http = PoolManager::new();
    let mut failures = 0;
    let mut report = |title: &str, result: urllib3::Result<String>| match result {
        Ok(summary) => println!("{title:<44} {summary}"),
        Err(e) => {
            failures += 1;
            println!("{title:<44} FAILED: {e}");
        }
    };
    for (title, run) in examples() {
        report(title, run(&http, &server));
    }
    for (title, run) in tls_examples() {
        report(title, run(&tls_server));
    }
    let (http_proxy, socks_proxy) = (HttpProxy::start(), SocksProxy::start());
    let lab = Lab {
        http: &server,
        https: &tls_server,
        proxy: &http_proxy,
        socks: &socks_proxy,
    };
    for (title, run) in proxy_examples() {
        report(title, run(&lab));
    }
    if failures > 0 {
        eprintln!("\n{failures} example(s) failed");
        std::process::exit(1);
    }
}

type Example = (
    &'static str,
    fn(&PoolManager, &TestServer) -> urllib3::Result<String>,
);

fn examples() -> Vec<Example> {
    vec![
        ("GET /get", |http, s| {
            let mut r = http.request("GET", &s.url("/get"))?;
            let json = json(&mut r)?;
            Ok(format!("{} url={}", r.status(), json["url"]))
        }),
        ("GET with query fields", |http, s| {
            let form = Form::new().field("arg", "value").field("q", "two words");
            let mut r = http.request_form("GET", &s.url("/get"), form, RequestOptions::new())?;
            Ok(format!("{} args={}", r.status(), json(&mut r)?["args"]))
        }),
        ("POST form fields (multipart)", |http, s| {
            let form = Form::new().field("field", "value");
            let mut r = http.request_form("POST", &s.url("/post"), form, RequestOptions::new())?;
            Ok(format!("{} form={}", r.status(), json(&mut r)?["form"]))
        }),
        ("POST urlencoded fields", |http, s| {
            let form = Form {
                urlencoded_body: true,
                ..Form::new().field("field", "value")
            };
            let mut r = http.request_form("POST", &s.url("/post"), form, RequestOptions::new())?;
            Ok(format!("{} form={}", r.status(), json(&mut r)?["form"]))
        }),
        ("custom headers", |http, s| {
            let options = RequestOptions::new().header("X-Something", "value");
            let mut r = http.urlopen("GET", &s.url("/headers"), options)?;
            Ok(format!(
                "{} X-Something={}",
                r.status(),
                json(&mut r)?["headers"]["X-Something"]
            ))
        }),
        ("JSON body", |http, s| {
            let body =
                serde_json::to_vec(&serde_json::json!({"attribute": "value"})).unwrap_or_default();
            let mut r = http.request_json("POST", &s.url("/post"), body, RequestOptions::new())?;
            Ok(format!("{} json={}", r.status(), json(&mut r)?["json"]))
        }),
        ("binary body", |http, s| {
            let options = RequestOptions::new()
                .body(vec![0u8, 1, 2, 255])
                .header("Content-Type", "application/octet-stream");
            let mut r = http.urlopen("POST", &s.url("/post"), options)?;
            Ok(format!("{} data={}", r.status(), json(&mut r)?["data"]))
        }),
        ("file upload (multipart)", |http, s| {
            let form = Form::new().file(
                "filefield",
                "example.txt",
                b"contents of example.txt".to_vec(),
                None,
            );
            let mut r = http.request_form("POST", &s.url("/post"), form, RequestOptions::new())?;
            Ok(format!("{} files={}", r.status(), json(&mut r)?["files"]))
        }),
        ("streaming 100 KiB in 16 KiB pieces", |http, s| {
            let mut r = http.urlopen(
                "GET",
                &s.url("/stream-bytes/102400?chunk_size=4096"),
                RequestOptions::new().preload_content(false),
            )?;
            let sizes: Vec<usize> = r
                .stream(16 * 1024)
                .map(|p| p.map(|p| p.len()))
                .collect::<urllib3::Result<_>>()?;
            Ok(format!(
                "{} {} pieces, {} bytes",
                r.status(),
                sizes.len(),
                sizes.iter().sum::<usize>()
            ))
        }),
        ("reading as a file (std::io::Read)", |http, s| {
            let mut r = http.urlopen(
                "GET",
                &s.url("/bytes/5000"),
                RequestOptions::new().preload_content(false),
            )?;
            let mut first = [0u8; 100];
            r.read_exact(&mut first)
                .map_err(|e| urllib3::Error::new(urllib3::ErrorKind::Protocol, e.to_string()))?;
            Ok(format!(
                "{} read 100 bytes, tell()={}",
                r.status(),
                r.tell()
            ))
        }),
        ("gzip, decoded", |http, s| {
            let mut r = http.request("GET", &s.url("/gzip"))?;
            Ok(format!(
                "{} gzipped={}",
                r.status(),
                json(&mut r)?["gzipped"]
            ))
        }),
        ("brotli and zstd, decoded", |http, s| {
            let mut br = http.request("GET", &s.url("/brotli"))?;
            let mut zs = http.request("GET", &s.url("/zstd"))?;
            Ok(format!(
                "{} brotli={} / {} zstd={}",
                br.status(),
                json(&mut br)?["brotli"],
                zs.status(),
                json(&mut zs)?["zstd"]
            ))
        }),
        ("redirects followed (/redirect/3)", |http, s| {
            let mut r = http.request("GET", &s.url("/redirect/3"))?;
            Ok(format!("{} ended at {}", r.status(), json(&mut r)?["url"]))
        }),
        ("redirects not followed", |http, s| {
            let r = http.urlopen(
                "GET",
                &s.url("/redirect/1"),
                RequestOptions::new().redirect(false),
            )?;
            Ok(format!(
                "{} Location={}",
                r.status(),
                r.headers().get("location").unwrap_or_default()
            ))
        }),
        ("retries: fails twice, then succeeds", |http, s| {
            let retries = Retry::from_total(3).with_status_forcelist([500]);
            let options = RequestOptions::new()
                .header("X-Retry-Key", "demo")
                .retries(retries);
            let r = http.urlopen(
                "GET",
                &s.url("/fail-then-succeed?times=2&status=500"),
                options,
            )?;
            Ok(format!(
                "{} after {} attempts",
                r.status(),
                r.headers().get("x-attempt").unwrap_or_default()
            ))
        }),
        ("read timeout of 0.5 s on /delay/3", |http, s| {
            let options = RequestOptions::new()
                .timeout(Timeout::new().with_read(Duration::from_millis(500)))
                .retries(Retry::disabled());
            match http.urlopen("GET", &s.url("/delay/3"), options) {
                Ok(r) => Ok(format!("unexpected {}", r.status())),
                Err(e) => Ok(format!("{}: {}", e.kind(), e.message())),
            }
        }),
    ]
}

type TlsExample = (&'static str, fn(&TestServer) -> urllib3::Result<String>);

/// HTTPS against the TLS test server, whose certificate the system store does not know.
fn tls_examples() -> Vec<TlsExample> {
    vec![
        ("HTTPS verified against the test CA", |s| {
            let ca = s
                .ca_file()
                .unwrap_or_else(|| std::path::Path::new("ca.pem"));
            let tls = TlsConfig::new().with_ca_certs(ca);
            https_get(s, tls, "ca_certs=ca.pem")
        }),
        ("HTTPS pinned by its SHA-256 fingerprint", |s| {
            let pin = s
                .cert_fingerprint(FingerprintHash::Sha256)
                .unwrap_or_default();
            let tls = TlsConfig::new()
                .with_cert_reqs(CertReqs::None)
                .with_assert_fingerprint(&pin);
            let shown = pin.get(..11).unwrap_or(&pin);
            https_get(s, tls, &format!("assert_fingerprint={shown}…"))
        }),
    ]
}

/// The test servers and the test proxies in front of them.
struct Lab<'a> {
    http: &'a TestServer,
    https: &'a TestServer,
    proxy: &'a HttpProxy,
    socks: &'a SocksProxy,
}

type ProxyExample = (&'static str, fn(&Lab<'_>) -> urllib3::Result<String>);

/// Requests through the test HTTP proxy (forwarded, then tunnelled) and the SOCKS proxy.
fn proxy_examples() -> Vec<ProxyExample> {
    vec![
        ("through an HTTP proxy (forwarded)", |lab| {
            let http = ProxyManager::new(ProxyConfig::new(&lab.proxy.url())?);
            let r = http.request("GET", &lab.http.url("/get"))?;
            let seen = lab.proxy.requests().last().map(|p| p.target.clone());
            Ok(format!(
                "{} proxy saw GET {}",
                r.status(),
                seen.unwrap_or_default()
            ))
        }),
        ("through a CONNECT tunnel (HTTPS)", |lab| {
            let config = PoolConfig {
                tls: TlsConfig::new().with_ca_certs(lab.https.ca_file().unwrap_or(Path::new(""))),
                ..PoolConfig::default()
            };
            let http = ProxyManager::with_config(ProxyConfig::new(&lab.proxy.url())?, 1, config);
            let url = format!("https://localhost:{}/get", lab.https.port());
            let r = http.request("GET", &url)?;
            let seen = lab.proxy.requests().last().map(|p| p.target.clone());
            Ok(format!(
                "{} proxy saw CONNECT {}",
                r.status(),
                seen.unwrap_or_default()
            ))
        }),
        ("through SOCKS5h (the proxy resolves)", |lab| {
            let http = SocksProxyManager::from_url(&lab.socks.url("socks5h"))?;
            let url = format!("http://localhost:{}/get", lab.http.port());
            let r = http.request("GET", &url)?;
            let seen = lab.socks.requests().last().map(|s| s.host.clone());
            Ok(format!(
                "{} proxy resolved {}",
                r.status(),
                seen.unwrap_or_default()
            ))
        }),
    ]
}

/// GET /get over HTTPS with `tls`, reporting the protocol, cipher and whether it was verified.
fn https_get(server: &TestServer, tls: TlsConfig, how: &str) -> urllib3::Result<String> {
    let http = PoolManager::with_config(
        1,
        PoolConfig {
            tls,
            ..PoolConfig::default()
        },
    );
    let url = format!("https://localhost:{}/get", server.port());
    let r = http.urlopen("GET", &url, RequestOptions::new().preload_content(false))?;
    let conn = r.connection();
    Ok(format!(
        "{} {} {} verified={} ({how})",
        r.status(),
        conn.and_then(|c| c.tls_version()).unwrap_or("?"),
        conn.and_then(|c| c.cipher()).unwrap_or("?"),
        conn.is_some_and(|c| c.is_verified()),
    ))
}

fn json(r: &mut Response) -> urllib3::Result<Value> {
    let body = r.data()?;
    Ok(serde_json::from_slice(body).unwrap_or(Value::Null))
}
