//! Shared helpers for the integration tests: one request on a fresh connection.
#![allow(dead_code)]

use std::time::Duration;

use serde_json::Value;
use testserver::TestServer;
use urllib3::connection::Request;
use urllib3::{
    Body, Connection, HeaderMap, PoolConfig, Response, ResponseOptions, Result, Retry, Timeout,
    TlsConfig, DEFAULT_USER_AGENT,
};

/// A read timeout long enough never to fire on a healthy loopback server, short enough that a
/// hang fails the test instead of the run.
pub const SAFETY: Duration = Duration::from_secs(10);

pub fn headers(lines: &[(&str, &str)]) -> HeaderMap {
    lines.iter().copied().collect()
}

/// Sends one request to 127.0.0.1:`port` and returns the response with its head read.
pub fn send(
    port: u16,
    method: &str,
    target: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response> {
    send_with(
        port,
        method,
        target,
        headers,
        body,
        Some(SAFETY),
        ResponseOptions::default(),
    )
}

pub fn send_with(
    port: u16,
    method: &str,
    target: &str,
    headers: &HeaderMap,
    mut body: Body,
    read_timeout: Option<Duration>,
    options: ResponseOptions,
) -> Result<Response> {
    let conn = Connection::open(
        "127.0.0.1",
        port,
        &Timeout::new().with_connect(SAFETY),
        &Default::default(),
    )?;
    let host = format!("127.0.0.1:{port}");
    let request = Request {
        method,
        target,
        host: &host,
        headers,
        chunked: false,
        user_agent: DEFAULT_USER_AGENT,
    };
    conn.send(&request, &mut body, Some(SAFETY), read_timeout, options)
}

pub fn get(port: u16, target: &str) -> Result<Response> {
    send(port, "GET", target, &HeaderMap::new(), Body::Empty)
}

/// The body of a response parsed as JSON (the test server's answers).
pub fn json(r: &mut Response) -> Value {
    serde_json::from_slice(r.data().unwrap()).unwrap()
}

/// Two targets for proxied requests: a plain and a TLS test server.
pub struct Targets {
    pub http: TestServer,
    pub https: TestServer,
}

impl Targets {
    pub fn start() -> Targets {
        Targets {
            http: TestServer::start(),
            https: TestServer::start_tls(),
        }
    }

    /// Pool settings that trust the TLS target and fail fast instead of retrying.
    pub fn config(&self) -> PoolConfig {
        PoolConfig {
            tls: TlsConfig::new().with_ca_certs(self.https.ca_file().unwrap()),
            timeout: Timeout::new().with_connect(SAFETY).with_read(SAFETY),
            retries: Retry::disabled(),
            ..PoolConfig::default()
        }
    }
}

/// An error and its causes, as a log line shows them: the message says what failed, the
/// causes why (urllib3's `ProtocolError('Connection aborted.', cause)`).
pub fn chain_text(err: &urllib3::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The value of `var` (a URL or a path) when interop tests are on (`URLLIB3_INTEROP` set, as
/// `tests/interop/run-interop.sh` does); `None` when they are off: a dev machine's plain
/// `cargo test`.
///
/// # Panics
/// When `URLLIB3_INTEROP` is set and `var` is not: the daemons were meant to be there, and
/// their absence fails instead of skipping.
pub fn interop_url(var: &str) -> Option<String> {
    let enabled = std::env::var("URLLIB3_INTEROP").is_ok_and(|v| !v.is_empty() && v != "0");
    if !enabled {
        eprintln!("URLLIB3_INTEROP is not set: interop test not run");
        return None;
    }
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => panic!(
            "URLLIB3_INTEROP is set but {var} is not: start the daemons with \
             tests/interop/run-interop.sh (or setup-proxies.sh and setup-nginx.sh)"
        ),
    }
}
