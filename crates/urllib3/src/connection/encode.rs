//! Request heads on the wire, in the order and case urllib3 sends them.
//!
//! urllib3 (through http.client) writes: the request line, `Host`, `Accept-Encoding: identity`,
//! the framing header, `User-Agent`, then the caller's headers as given. A caller's own `Host`,
//! `Accept-Encoding` or `User-Agent` replaces the default, and the value [`SKIP_HEADER`] drops
//! it altogether.

use crate::body::Body;
use crate::error::{py_repr, Error, ErrorKind, Result};
use crate::headers::{self, HeaderMap};

/// A header value that suppresses one of the headers sent by default (`Host`,
/// `Accept-Encoding`, `User-Agent`): urllib3's `SKIP_HEADER`.
pub const SKIP_HEADER: &str = "@@@SKIP_HEADER@@@";

/// The headers [`SKIP_HEADER`] may be used with.
const SKIPPABLE: [&str; 3] = ["accept-encoding", "host", "user-agent"];

/// How the request body is delimited on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyFraming {
    /// Nothing follows the head.
    None,
    /// Exactly this many bytes follow.
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
}

/// What goes into a request head besides the caller's headers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RequestHead<'a> {
    pub(crate) method: &'a str,
    pub(crate) target: &'a str,
    /// The `Host` value, already with a non-default port.
    pub(crate) host: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) user_agent: &'a str,
    /// Send the body chunked even if its length is known (urllib3's `chunked=True`).
    pub(crate) chunked: bool,
}

/// Methods that get `Content-Length: 0` when sent without a body.
pub(crate) fn expects_body(method: &str) -> bool {
    !["GET", "HEAD", "DELETE", "TRACE", "OPTIONS", "CONNECT"]
        .iter()
        .any(|m| m.eq_ignore_ascii_case(method))
}

/// Writes the head into `out` and says how the body must follow.
pub(crate) fn encode_head(
    head: &RequestHead<'_>,
    body: &Body,
    out: &mut Vec<u8>,
) -> Result<BodyFraming> {
    validate_method(head.method)?;
    validate_target(head.target)?;
    let given = |name: &str| head.headers.contains(name);

    out.extend_from_slice(head.method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(head.target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    if !given("host") {
        validate_target(head.host)?;
        headers::write_line(out, "Host", head.host)?;
    }
    if !given("accept-encoding") {
        out.extend_from_slice(b"Accept-Encoding: identity\r\n");
    }
    let framing = framing(head, body);
    match framing {
        BodyFraming::Chunked if !given("transfer-encoding") => {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
        }
        BodyFraming::Length(n) if !given("content-length") => {
            out.extend_from_slice(format!("Content-Length: {n}\r\n").as_bytes());
        }
        _ => {}
    }
    if !given("user-agent") {
        headers::write_line(out, "User-Agent", head.user_agent)?;
    }
    for (name, value) in head.headers.iter() {
        if value == SKIP_HEADER {
            check_skippable(name)?;
            continue;
        }
        if contradicts(framing, name) {
            continue;
        }
        headers::write_line(out, name, value)?;
    }
    out.extend_from_slice(b"\r\n");
    Ok(framing)
}

/// urllib3's choice: the caller's framing headers win, then a known length, then chunked for a
/// body of unknown length.
fn framing(head: &RequestHead<'_>, body: &Body) -> BodyFraming {
    if head.chunked {
        return BodyFraming::Chunked;
    }
    if head.headers.contains("content-length") {
        return match body.content_length() {
            Some(n) if !body.is_empty() => BodyFraming::Length(n),
            _ if body.is_empty() => BodyFraming::None,
            // The caller vouches for the length of a body we cannot measure.
            _ => head
                .headers
                .get("content-length")
                .and_then(|v| v.trim().parse().ok())
                .map_or(BodyFraming::Chunked, BodyFraming::Length),
        };
    }
    if head.headers.contains("transfer-encoding") {
        return BodyFraming::Chunked;
    }
    match body {
        Body::Empty if expects_body(head.method) => BodyFraming::Length(0),
        Body::Empty => BodyFraming::None,
        _ => body
            .content_length()
            .map_or(BodyFraming::Chunked, BodyFraming::Length),
    }
}

/// A caller's framing header that disagrees with how the body goes out: urllib3 picks one
/// framing and would send the other header beside it, and a server or proxy that believed the
/// other one would read the body differently (request smuggling). RFC 9112 forbids sending
/// both, so the one not used is left out.
fn contradicts(framing: BodyFraming, name: &str) -> bool {
    match framing {
        BodyFraming::Chunked => name.eq_ignore_ascii_case("content-length"),
        BodyFraming::Length(_) => name.eq_ignore_ascii_case("transfer-encoding"),
        BodyFraming::None => false,
    }
}

fn check_skippable(name: &str) -> Result<()> {
    if SKIPPABLE.iter().any(|s| s.eq_ignore_ascii_case(name)) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::InvalidArgument,
            "urllib3.util.SKIP_HEADER only supports 'Accept-Encoding', 'Host', 'User-Agent'",
        ))
    }
}

/// http.client's rule: a method with a control character could end the request line early.
fn validate_method(method: &str) -> Result<()> {
    if method.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "method must not be empty",
        ));
    }
    match method.chars().find(|c| c.is_ascii_control() || *c == ' ') {
        Some(c) => Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "method can't contain control characters. {} (found at least {})",
                py_repr(method),
                py_repr(&c.to_string())
            ),
        )),
        None => Ok(()),
    }
}

/// http.client's rule: a target (or Host) with a space or control character could smuggle a
/// second request line or header.
fn validate_target(target: &str) -> Result<()> {
    match target.chars().find(|&c| c <= ' ' || c == '\x7f') {
        Some(c) => Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "URL can't contain control characters. {} (found at least {})",
                py_repr(target),
                py_repr(&c.to_string())
            ),
        )),
        None => Ok(()),
    }
}

/// Writes one chunk of a chunked body: size line, data, CRLF.
pub(crate) fn encode_chunk(data: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// The last chunk and an empty trailer section.
pub(crate) const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(
        method: &str,
        headers: &[(&str, &str)],
        body: Body,
        chunked: bool,
    ) -> Result<(String, BodyFraming)> {
        let headers: HeaderMap = headers.iter().copied().collect();
        let head = RequestHead {
            method,
            target: "/path?q=1",
            host: "example.com:8080",
            headers: &headers,
            user_agent: "ua/1",
            chunked,
        };
        let mut out = Vec::new();
        let framing = encode_head(&head, &body, &mut out)?;
        Ok((String::from_utf8(out).unwrap(), framing))
    }

    const DEFAULTS: &str = "Host: example.com:8080\r\nAccept-Encoding: identity\r\n";

    /// (method, caller headers, body, chunked flag, expected head after the request line, framing)
    #[test]
    fn heads_match_urllib3_byte_for_byte() {
        type Case = (
            &'static str,
            &'static [(&'static str, &'static str)],
            fn() -> Body,
            bool,
            String,
            BodyFraming,
        );
        let cases: Vec<Case> = vec![
            ("GET", &[], || Body::Empty, false,
             format!("{DEFAULTS}User-Agent: ua/1\r\n\r\n"), BodyFraming::None),
            ("POST", &[], || Body::Empty, false,
             format!("{DEFAULTS}Content-Length: 0\r\nUser-Agent: ua/1\r\n\r\n"), BodyFraming::Length(0)),
            ("POST", &[("X-Custom", "v"), ("accept", "*/*")], || Body::from("abc"), false,
             format!("{DEFAULTS}Content-Length: 3\r\nUser-Agent: ua/1\r\nX-Custom: v\r\naccept: */*\r\n\r\n"),
             BodyFraming::Length(3)),
            ("PUT", &[], || Body::reader(std::io::empty()), false,
             format!("{DEFAULTS}Transfer-Encoding: chunked\r\nUser-Agent: ua/1\r\n\r\n"), BodyFraming::Chunked),
            ("POST", &[], || Body::from("abc"), true,
             format!("{DEFAULTS}Transfer-Encoding: chunked\r\nUser-Agent: ua/1\r\n\r\n"), BodyFraming::Chunked),
            ("GET", &[("host", "other"), ("User-Agent", "mine"), ("Accept-Encoding", "gzip")], || Body::Empty, false,
             "host: other\r\nUser-Agent: mine\r\nAccept-Encoding: gzip\r\n\r\n".to_owned(), BodyFraming::None),
            ("GET", &[("Host", SKIP_HEADER), ("user-agent", SKIP_HEADER), ("Accept-Encoding", SKIP_HEADER)], || Body::Empty, false,
             "\r\n".to_owned(), BodyFraming::None),
            ("POST", &[("Content-Length", "3")], || Body::reader(std::io::Cursor::new(b"abc".to_vec())), false,
             format!("{DEFAULTS}User-Agent: ua/1\r\nContent-Length: 3\r\n\r\n"), BodyFraming::Length(3)),
            ("POST", &[("Transfer-Encoding", "chunked")], || Body::from("abc"), false,
             format!("{DEFAULTS}User-Agent: ua/1\r\nTransfer-Encoding: chunked\r\n\r\n"), BodyFraming::Chunked),
            // Two framings asked for: one goes out (urllib3's pick), never both headers.
            ("POST", &[("Content-Length", "3")], || Body::from("abc"), true,
             format!("{DEFAULTS}Transfer-Encoding: chunked\r\nUser-Agent: ua/1\r\n\r\n"), BodyFraming::Chunked),
            ("POST", &[("Transfer-Encoding", "chunked"), ("Content-Length", "3")], || Body::from("abc"), false,
             format!("{DEFAULTS}User-Agent: ua/1\r\nContent-Length: 3\r\n\r\n"), BodyFraming::Length(3)),
        ];
        for (method, headers, body, chunked, expected, framing) in cases {
            let (head, got) = encode(method, headers, body(), chunked).unwrap();
            let line = format!("{method} /path?q=1 HTTP/1.1\r\n");
            assert_eq!(head, format!("{line}{expected}"), "{method} {headers:?}");
            assert_eq!(got, framing, "{method} {headers:?}");
        }
    }

    #[test]
    fn control_characters_are_refused_before_anything_is_written() {
        for method in ["GET\r\nX: y", "GE T", "G\0T", ""] {
            let err = encode(method, &[], Body::Empty, false).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{method:?}");
        }
        let headers = HeaderMap::new();
        for target in ["/a b", "/a\r\nHost: evil", "/\x7f", "/\0"] {
            let head = RequestHead {
                method: "GET",
                target,
                host: "h",
                headers: &headers,
                user_agent: "u",
                chunked: false,
            };
            let err = encode_head(&head, &Body::Empty, &mut Vec::new()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{target:?}");
        }
        let err = encode("GET", &[("X-Other", SKIP_HEADER)], Body::Empty, false).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn chunks_are_framed_in_hex() {
        let mut out = Vec::new();
        encode_chunk(&[b'x'; 26], &mut out);
        assert_eq!(&out[..4], b"1a\r\n");
        assert!(out.ends_with(b"x\r\n"));
    }
}
