//! Each misbehaving server mode ends in urllib3's error class, never in a hang or a panic.

mod common;

use std::time::Duration;

use common::{get, send_with};
use testserver::TestServer;
use urllib3::{Body, ErrorKind, HeaderMap, ResponseOptions};

/// Reads the whole response and returns the error it ends in.
fn fault(server: &TestServer, mode: &str, read_timeout: Option<Duration>) -> urllib3::Error {
    let target = format!("/fault/{mode}");
    let result = send_with(
        server.port(),
        "GET",
        &target,
        &HeaderMap::new(),
        Body::Empty,
        read_timeout,
        ResponseOptions::default(),
    )
    .and_then(|mut r| r.read_all());
    match result {
        Ok(body) => panic!("{mode}: expected an error, got {} body bytes", body.len()),
        Err(e) => e,
    }
}

#[test]
fn broken_responses_map_to_urllib3_errors() {
    let server = TestServer::start();
    let cases = [
        (
            "truncated-body",
            ErrorKind::Protocol,
            "IncompleteRead(50 bytes read, 50 more expected)",
        ),
        ("bad-chunk-size", ErrorKind::Protocol, "InvalidChunkLength"),
        ("reset-mid-body", ErrorKind::Protocol, "Connection broken"),
        (
            "reset-before-headers",
            ErrorKind::Protocol,
            "Connection aborted.",
        ),
        ("invalid-status-line", ErrorKind::Protocol, "BadStatusLine"),
        ("not-http", ErrorKind::Protocol, "BadStatusLine"),
        (
            "oversize-header",
            ErrorKind::Protocol,
            "got more than 65536 bytes when reading header line",
        ),
        (
            "too-many-headers",
            ErrorKind::Protocol,
            "got more than 100 headers",
        ),
        (
            "conflicting-content-length",
            ErrorKind::InvalidHeader,
            "Content-Length contained multiple unmatching values",
        ),
        (
            "empty-reply",
            ErrorKind::Protocol,
            "Remote end closed connection without response",
        ),
    ];
    for (mode, kind, needle) in cases {
        let err = fault(&server, mode, Some(common::SAFETY));
        assert_eq!(err.kind(), kind, "{mode}: {err}");
        let text = common::chain_text(&err);
        assert!(text.contains(needle), "{mode}: {text}");
    }
}

#[test]
fn stalls_end_in_read_timeouts() {
    let server = TestServer::start();
    let wait = Some(Duration::from_millis(200));
    for mode in ["stall-before-headers", "stall-mid-body"] {
        let err = fault(&server, mode, wait);
        assert_eq!(err.kind(), ErrorKind::ReadTimeout, "{mode}: {err}");
        assert_eq!(
            err.message(),
            "Read timed out. (read timeout=0.2)",
            "{mode}"
        );
    }
}

#[test]
fn a_read_timeout_set_after_the_head_governs_the_body() {
    let server = TestServer::start();
    let mut response = send_with(
        server.port(),
        "GET",
        "/fault/stall-mid-body",
        &HeaderMap::new(),
        Body::Empty,
        None,
        ResponseOptions::default(),
    )
    .expect("the head arrives");
    response
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let err = response.read_all().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ReadTimeout, "{err}");
    assert_eq!(err.message(), "Read timed out. (read timeout=0.1)");
}

#[test]
fn odd_but_valid_framings_read_whole() {
    let server = TestServer::start();
    let cases: [(&str, &[u8]); 3] = [
        ("chunked-and-length", b"hello world"),
        ("close-delimited", b"close delimited body"),
        ("chunked-with-extensions-and-trailers", b"hello world"),
    ];
    for (mode, expected) in cases {
        let mut r = get(server.port(), &format!("/fault/{mode}")).unwrap();
        let body = r.read_all().unwrap();
        assert_eq!(body, expected, "{mode}");
        assert!(r.is_complete(), "{mode}");
    }
}

#[test]
fn refused_connections_are_new_connection_errors() {
    let server = TestServer::start();
    let port = server.port();
    drop(server);
    let err = get(port, "/").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NewConnection, "{err}");
}
