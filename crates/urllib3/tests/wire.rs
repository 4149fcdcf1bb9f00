//! Wire-level tables: the exact bytes a server receives for a request, and what a client makes
//! of the exact bytes a server answers.

mod common;

use common::{headers, send, SAFETY};
use testserver::{RawServer, Reply};
use urllib3::{Body, ErrorKind, HeaderMap, ResponseOptions, SKIP_HEADER};

const OK_EMPTY: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
const UA: &str = urllib3::DEFAULT_USER_AGENT;

#[test]
fn requests_reach_the_server_byte_for_byte() {
    type Case = (
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str)],
        fn() -> Body,
        String,
    );
    let cases: Vec<Case> = vec![
        ("GET", "/", &[], || Body::Empty,
         format!("GET / HTTP/1.1\r\nHost: {{host}}\r\nAccept-Encoding: identity\r\nUser-Agent: {UA}\r\n\r\n")),
        ("GET", "/a?b=c", &[("X-Custom", "One"), ("accept", "*/*"), ("X-Custom", "Two")], || Body::Empty,
         format!("GET /a?b=c HTTP/1.1\r\nHost: {{host}}\r\nAccept-Encoding: identity\r\nUser-Agent: {UA}\r\nX-Custom: One\r\naccept: */*\r\nX-Custom: Two\r\n\r\n")),
        ("POST", "/post", &[("Content-Type", "application/json")], || Body::from("{\"a\":1}"),
         format!("POST /post HTTP/1.1\r\nHost: {{host}}\r\nAccept-Encoding: identity\r\nContent-Length: 7\r\nUser-Agent: {UA}\r\nContent-Type: application/json\r\n\r\n{{\"a\":1}}")),
        ("PUT", "/put", &[], || Body::reader(std::io::Cursor::new(b"streamed".to_vec())),
         format!("PUT /put HTTP/1.1\r\nHost: {{host}}\r\nAccept-Encoding: identity\r\nTransfer-Encoding: chunked\r\nUser-Agent: {UA}\r\n\r\n8\r\nstreamed\r\n0\r\n\r\n")),
        ("PATCH", "/", &[], || Body::Empty,
         format!("PATCH / HTTP/1.1\r\nHost: {{host}}\r\nAccept-Encoding: identity\r\nContent-Length: 0\r\nUser-Agent: {UA}\r\n\r\n")),
        ("GET", "/", &[("Host", "virtual.example"), ("User-Agent", "mine/1.0")], || Body::Empty,
         "GET / HTTP/1.1\r\nAccept-Encoding: identity\r\nHost: virtual.example\r\nUser-Agent: mine/1.0\r\n\r\n".to_owned()),
        ("GET", "/", &[("Accept-Encoding", SKIP_HEADER), ("User-Agent", SKIP_HEADER)], || Body::Empty,
         "GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".to_owned()),
    ];
    for (method, target, lines, body, expected) in cases {
        let server = RawServer::start(vec![Reply::close(OK_EMPTY)]);
        let response = send(server.port(), method, target, &headers(lines), body()).unwrap();
        assert_eq!(response.status(), 200);
        let received = server.wait_received(1);
        let expected = expected.replace("{host}", &format!("127.0.0.1:{}", server.port()));
        assert_eq!(
            String::from_utf8_lossy(&received[0]),
            expected,
            "{method} {target} {lines:?}"
        );
    }
}

#[test]
fn injected_lines_never_reach_the_server() {
    let server = RawServer::start(vec![Reply::close(OK_EMPTY)]);
    let bad: &[(&str, &str, &[(&str, &str)])] = &[
        ("GET\r\nX: y", "/", &[]),
        ("GET", "/a b", &[]),
        ("GET", "/\r\nHost: evil", &[]),
        ("GET", "/", &[("X", "a\r\nInjected: 1")]),
        ("GET", "/", &[("X\nY", "v")]),
        ("GET", "/", &[("X", "nul\0byte")]),
    ];
    for &(method, target, lines) in bad {
        let err = send(server.port(), method, target, &headers(lines), Body::Empty).unwrap_err();
        assert!(
            matches!(
                err.kind(),
                ErrorKind::InvalidArgument | ErrorKind::InvalidHeader
            ),
            "{method:?} {target:?}: {err}"
        );
    }
    // The refused requests opened connections but wrote nothing on them: a well-formed request
    // made afterwards is the first thing the server reads.
    send(server.port(), "GET", "/ok", &HeaderMap::new(), Body::Empty).unwrap();
    let received = server.wait_received(1);
    assert!(received[0].starts_with(b"GET /ok HTTP/1.1\r\n"));
    assert_eq!(received.len(), 1);
}

/// Expected outcome of a scripted reply.
enum Outcome {
    Ok {
        status: u16,
        reason: &'static str,
        headers: &'static [(&'static str, &'static str)],
        body: &'static [u8],
    },
    Err {
        kind: ErrorKind,
        contains: &'static str,
    },
}

fn check_reply(method: &str, reply: &[u8], outcome: &Outcome) {
    let server = RawServer::start(vec![Reply::close(reply.to_vec())]);
    let result =
        send(server.port(), method, "/", &HeaderMap::new(), Body::Empty).and_then(|mut r| {
            let body = r.read_all()?;
            Ok((r, body))
        });
    let shown = String::from_utf8_lossy(reply);
    match (outcome, result) {
        (
            Outcome::Ok {
                status,
                reason,
                headers,
                body,
            },
            Ok((r, got)),
        ) => {
            assert_eq!(r.status(), *status, "{shown}");
            assert_eq!(r.reason(), *reason, "{shown}");
            assert_eq!(r.headers().iter().collect::<Vec<_>>(), *headers, "{shown}");
            assert_eq!(got, *body, "{shown}");
        }
        (Outcome::Err { kind, contains }, Err(e)) => {
            assert_eq!(e.kind(), *kind, "{shown}: {e}");
            let chain = format!("{e} {:?}", e);
            assert!(chain.contains(contains), "{shown}: {chain}");
        }
        (_, Ok((r, body))) => panic!("{shown}: expected an error, got {r:?} {body:?}"),
        (_, Err(e)) => panic!("{shown}: expected success, got {e}"),
    }
}

#[test]
fn replies_are_framed_as_the_rfc_says() {
    use Outcome::*;
    let cases: Vec<(&str, &[u8], Outcome)> = vec![
        ("GET", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", Ok { status: 200, reason: "OK", headers: &[("Content-Length", "5")], body: b"hello" }),
        ("GET", b"HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello", Ok { status: 200, reason: "OK", headers: &[("Content-Length", "5, 5")], body: b"hello" }),
        ("GET", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n",
         Ok { status: 200, reason: "OK", headers: &[("Transfer-Encoding", "chunked")], body: b"hello world" }),
        ("GET", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
         Ok { status: 200, reason: "OK", headers: &[("Transfer-Encoding", "chunked"), ("Content-Length", "3")], body: b"hello" }),
        ("GET", b"HTTP/1.1 200 OK\r\n\r\nuntil the end", Ok { status: 200, reason: "OK", headers: &[], body: b"until the end" }),
        ("GET", b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", Ok { status: 200, reason: "OK", headers: &[("Content-Length", "2")], body: b"ok" }),
        ("GET", b"HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\nclose-delimited", Ok { status: 200, reason: "OK", headers: &[("Content-Length", "nope")], body: b"close-delimited" }),
        ("HEAD", b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", Ok { status: 200, reason: "OK", headers: &[("Content-Length", "100")], body: b"" }),
        ("GET", b"HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\nabc", Ok { status: 204, reason: "No Content", headers: &[("Content-Length", "3")], body: b"" }),
        ("GET", b"HTTP/1.1 304 Not Modified\r\n\r\n", Ok { status: 304, reason: "Not Modified", headers: &[], body: b"" }),
        ("GET", b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx",
         Ok { status: 201, reason: "Created", headers: &[("Content-Length", "1")], body: b"x" }),
        ("GET", b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 0\r\n\r\n", Ok { status: 200, reason: "OK", headers: &[("Content-Encoding", "gzip"), ("Content-Length", "0")], body: b"" }),
        ("GET", b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nContent-Length: 12\r\n\r\n123456789012", Err { kind: ErrorKind::InvalidHeader, contains: "Content-Length contained multiple unmatching values (10, 12)" }),
        ("GET", b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", Err { kind: ErrorKind::Protocol, contains: "IncompleteRead(5 bytes read, 5 more expected)" }),
        ("GET", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n", Err { kind: ErrorKind::Protocol, contains: "InvalidChunkLength(got length b\"zz\", 5 bytes read)" }),
        ("GET", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", Err { kind: ErrorKind::Protocol, contains: "IncompleteRead" }),
        ("GET", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n0\r\n\r\n", Err { kind: ErrorKind::Protocol, contains: "Connection broken" }),
        // A server that closes after the last chunk without the final empty line sent it all.
        (
            "GET",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nfoo\r\n0\r\n",
            Ok {
                status: 200,
                reason: "OK",
                headers: &[("Transfer-Encoding", "chunked")],
                body: b"foo",
            },
        ),
        (
            "GET",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nfoo\r\n",
            Err {
                kind: ErrorKind::Protocol,
                contains: "Response ended prematurely",
            },
        ),
        ("GET", b"HTTP/1.1 abc Oops\r\n\r\n", Err { kind: ErrorKind::Protocol, contains: "BadStatusLine" }),
        ("GET", b"SSH-2.0-OpenSSH_9.2\r\n", Err { kind: ErrorKind::Protocol, contains: "BadStatusLine" }),
        ("GET", b"", Err { kind: ErrorKind::Protocol, contains: "Remote end closed connection without response" }),
        // Cut short in a header line: http.client ends the head there (the line is a defect).
        ("GET", b"HTTP/1.1 200 OK\r\nContent-Le", Ok { status: 200, reason: "OK", headers: &[], body: b"" }),
    ];
    for (method, reply, outcome) in &cases {
        check_reply(method, reply, outcome);
    }
}

/// Reads of a size stop at the end; a read of the whole body fails whatever the option says
/// (decoding.rs), as urllib3's does.
#[test]
fn without_enforcement_a_short_body_is_returned_to_reads_of_a_size() {
    let server = RawServer::start(vec![Reply::close(
        &b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"[..],
    )]);
    let options = ResponseOptions {
        enforce_content_length: false,
        ..Default::default()
    };
    let mut r = common::send_with(
        server.port(),
        "GET",
        "/",
        &HeaderMap::new(),
        Body::Empty,
        Some(SAFETY),
        options,
    )
    .unwrap();
    assert_eq!(r.read_raw(Some(10)).unwrap(), b"short");
    assert_eq!(r.tell(), 5);
    assert_eq!(r.read_raw(Some(10)).unwrap(), b"");
}

#[test]
fn keep_alive_connections_come_back_and_closing_ones_do_not() {
    let cases: &[(&[u8], bool)] = &[
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
            true,
        ),
        (
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
            false,
        ),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", false),
        (
            b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
            true,
        ),
        (b"HTTP/1.1 200 OK\r\n\r\nok", false),
    ];
    for &(reply, reusable) in cases {
        // A server that means to close does close (a close-delimited body ends no other way).
        let first = if reusable {
            Reply::keep_alive(reply.to_vec())
        } else {
            Reply::close(reply.to_vec())
        };
        let server = RawServer::start(vec![first, Reply::close(OK_EMPTY)]);
        let r = send(server.port(), "GET", "/", &HeaderMap::new(), Body::Empty).unwrap();
        let conn = r.into_connection().unwrap();
        assert_eq!(
            conn.is_some(),
            reusable,
            "{}",
            String::from_utf8_lossy(reply)
        );
        if let Some(conn) = conn {
            assert!(!conn.is_dropped());
            let host = format!("127.0.0.1:{}", server.port());
            let second = conn
                .request(
                    "GET",
                    "/again",
                    &host,
                    &HeaderMap::new(),
                    Body::Empty,
                    &urllib3::Timeout::new().with_read(SAFETY),
                )
                .unwrap();
            assert_eq!(second.status(), 200);
            let received = server.wait_received(2);
            assert!(received[1].starts_with(b"GET /again "));
        }
    }
}

#[test]
fn a_connection_the_server_closed_is_seen_as_dropped() {
    let server = RawServer::start(vec![Reply::close(
        &b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"[..],
    )]);
    // The server closes after replying although it did not say so: the probe must notice.
    let r = send(server.port(), "GET", "/", &HeaderMap::new(), Body::Empty).unwrap();
    let conn = r
        .into_connection()
        .unwrap()
        .expect("keep-alive by the headers");
    server.wait_closed(1);
    // The server's close has returned, but its FIN still crosses the loopback on its own time:
    // ask until it lands (the probe is one cheap syscall) or the safety cap passes.
    let deadline = std::time::Instant::now() + SAFETY;
    while !conn.is_dropped() {
        assert!(
            std::time::Instant::now() < deadline,
            "a closed connection still looks alive after {SAFETY:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

#[test]
fn a_reader_body_sends_exactly_its_content_length() {
    let server = RawServer::start(vec![Reply::close(OK_EMPTY)]);
    let longer = Body::reader(std::io::Cursor::new(b"abcdef".to_vec()));
    let response = send(
        server.port(),
        "POST",
        "/",
        &headers(&[("Content-Length", "3")]),
        longer,
    )
    .unwrap();
    assert_eq!(response.status(), 200);
    let received = server.wait_received(1);
    assert!(
        received[0].ends_with(b"\r\n\r\nabc"),
        "{}",
        String::from_utf8_lossy(&received[0])
    );

    let server = RawServer::start(vec![Reply::close(OK_EMPTY)]);
    let shorter = Body::reader(std::io::Cursor::new(b"ab".to_vec()));
    let err = send(
        server.port(),
        "POST",
        "/",
        &headers(&[("Content-Length", "3")]),
        shorter,
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    let text = common::chain_text(&err);
    assert!(
        text.contains("the body ended after 2 of its 3 bytes"),
        "{text}"
    );
}
