//! Shared helpers for the integration tests: one request on a fresh connection.
#![allow(dead_code)]

use std::time::Duration;

use urllib3::connection::Request;
use urllib3::{
    Body, Connection, HeaderMap, Response, ResponseOptions, Result, Timeout, DEFAULT_USER_AGENT,
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
