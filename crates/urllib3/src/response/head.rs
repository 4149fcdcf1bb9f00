//! Parsing a response head (status line and headers) from buffered bytes.
//!
//! Sans-IO: [`parse`] looks at the bytes that arrived so far and either returns the head and
//! its length or asks for more. The limits are http.client's, since urllib3 users have lived
//! with them for years: a line of at most 64 KiB and at most 100 headers.

use crate::error::{Error, Result};
use crate::headers::{latin1, HeaderMap};

/// The longest header or status line accepted (http.client's `_MAXLINE`).
pub(crate) const MAX_LINE: usize = 65_536;
/// The most header lines accepted (http.client's `_MAXHEADERS`).
pub(crate) const MAX_HEADERS: usize = 100;

/// The HTTP version a response declared.
///
/// ```
/// # let server = testserver::TestServer::start();
/// use urllib3::{PoolManager, RequestMethods, Version};
///
/// let response = PoolManager::new().request("GET", &server.url("/get"))?;
/// assert_eq!(response.version(), Version::Http11);
/// assert_eq!(response.version().as_int(), 11);
/// assert_eq!(response.version().as_str(), "HTTP/1.1");
/// # Ok::<(), urllib3::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Version {
    /// HTTP/1.0
    Http10,
    /// HTTP/1.1
    Http11,
    /// HTTP/2, negotiated through ALPN.
    Http2,
}

impl Version {
    /// urllib3's `response.version`: 10, 11 or 20.
    pub fn as_int(self) -> u8 {
        match self {
            Version::Http10 => 10,
            Version::Http11 => 11,
            Version::Http2 => 20,
        }
    }

    /// urllib3 2.x's `response.version_string`: `"HTTP/1.0"`, `"HTTP/1.1"` or `"HTTP/2"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
            Version::Http2 => "HTTP/2",
        }
    }
}

/// A parsed status line and header list.
#[derive(Clone, Debug)]
pub(crate) struct ResponseHead {
    pub(crate) status: u16,
    pub(crate) reason: String,
    pub(crate) version: Version,
    pub(crate) headers: HeaderMap,
    /// Header lines that are not `name: value` (skipped, as http.client does), for urllib3's
    /// "Failed to parse headers" warning.
    pub(crate) unparsed: Option<String>,
}

/// Parses a head from `buf`: `Ok(Some((head, length)))` when complete, `Ok(None)` when more
/// bytes are needed.
pub(crate) fn parse(buf: &[u8]) -> Result<Option<(ResponseHead, usize)>> {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut slots);
    let parsed = lenient_config().parse_response(&mut response, buf);
    let len = match parsed {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => {
            check_line_length(buf)?;
            return Ok(None);
        }
        Err(httparse::Error::TooManyHeaders) => {
            return Err(aborted(format!("got more than {MAX_HEADERS} headers")));
        }
        Err(e) => return Err(bad_status_line(buf, e)),
    };
    check_line_length(&buf[..len])?;
    let version = match response.version {
        Some(0) => Version::Http10,
        _ => Version::Http11,
    };
    let mut headers = HeaderMap::with_capacity(response.headers.len());
    for h in response.headers.iter() {
        headers.append(h.name, unfold(h.value));
    }
    // Each line a header (besides the status line and the blank one) is the common case, and
    // counting newlines tells it; only otherwise are the lines looked at one by one.
    let newlines = buf[..len].iter().filter(|&&b| b == b'\n').count();
    let unparsed = if headers.len() + 2 == newlines {
        None
    } else {
        unparsed_lines(&buf[..len])
    };
    let head = ResponseHead {
        status: response.code.unwrap_or_default(),
        reason: response.reason.unwrap_or_default().to_owned(),
        version,
        headers,
        unparsed,
    };
    Ok(Some((head, len)))
}

/// The header lines of a complete head, without the status line, the blank line after them
/// and obsolete continuation lines.
fn header_lines(head: &[u8]) -> impl Iterator<Item = &[u8]> {
    head.split(|&b| b == b'\n')
        .skip(1)
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .take_while(|line| !line.is_empty())
        .filter(|line| !matches!(line.first(), Some(b' ' | b'\t')))
}

/// The lines httparse skipped as no `name: value`, joined as they came.
fn unparsed_lines(head: &[u8]) -> Option<String> {
    let bad: Vec<String> = header_lines(head)
        .filter(|line| {
            let name = line.split(|&b| b == b':').next().unwrap_or_default();
            name.len() == line.len() || name.trim_ascii_end().is_empty()
        })
        .map(latin1)
        .collect();
    (!bad.is_empty()).then(|| bad.join("\r\n"))
}

/// http.client accepts what servers really send: obsolete line folding, stray spaces, and
/// malformed header lines (which it skips).
fn lenient_config() -> httparse::ParserConfig {
    let mut config = httparse::ParserConfig::default();
    config
        .allow_obsolete_multiline_headers_in_responses(true)
        .allow_spaces_after_header_name_in_responses(true)
        .allow_multiple_spaces_in_response_status_delimiters(true)
        .ignore_invalid_headers_in_responses(true);
    config
}

/// Joins an obsolete folded value (`a\r\n b`) into one line (`a b`), as http.client's email
/// parser does when it reads the value.
fn unfold(value: &[u8]) -> String {
    if !value.contains(&b'\n') {
        return latin1(value);
    }
    let text = latin1(value);
    text.split(['\r', '\n'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn check_line_length(buf: &[u8]) -> Result<()> {
    let too_long = buf.split(|&b| b == b'\n').any(|line| line.len() > MAX_LINE);
    if too_long {
        return Err(aborted(format!(
            "got more than {MAX_LINE} bytes when reading header line"
        )));
    }
    Ok(())
}

fn bad_status_line(buf: &[u8], e: httparse::Error) -> Error {
    let line_end = buf
        .iter()
        .position(|&b| b == b'\n')
        .map_or(buf.len(), |i| i + 1);
    let line = latin1(&buf[..line_end.min(200)]);
    aborted(format!("BadStatusLine({line:?}): {e}"))
}

/// The head in `buf` when the connection closed before its blank line: the header lines that
/// did arrive, as http.client reads them. None while not even the status line is complete.
pub(crate) fn parse_cut_short(buf: &[u8]) -> Result<Option<ResponseHead>> {
    if !buf.contains(&b'\n') {
        return Ok(None);
    }
    let mut ended = buf.to_vec();
    if !ended.ends_with(b"\n") {
        ended.extend_from_slice(b"\r\n");
    }
    ended.extend_from_slice(b"\r\n");
    Ok(parse(&ended)?.map(|(head, _)| head))
}

/// urllib3 wraps failures before a response arrives as `ProtocolError('Connection aborted.', …)`.
pub(crate) fn aborted(detail: String) -> Error {
    Error::connection_aborted(detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn a_head_cut_short_ends_where_the_stream_did() {
        let cases: [(&[u8], Option<(u16, usize)>); 4] = [
            (b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n", Some((200, 2))),
            (b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2", Some((200, 2))),
            (b"HTTP/1.1 204 No Content\r\n", Some((204, 0))),
            (b"HTTP/1.1 200 O", None),
        ];
        for (raw, expected) in cases {
            let head = parse_cut_short(raw).unwrap();
            let got = head.map(|h| (h.status, h.headers.len()));
            assert_eq!(got, expected, "{:?}", String::from_utf8_lossy(raw));
        }
    }

    fn parse_all(raw: &[u8]) -> ResponseHead {
        let (head, len) = parse(raw).unwrap().expect("complete head");
        assert_eq!(len, raw.len());
        head
    }

    #[test]
    fn lines_that_are_no_header_are_skipped_and_reported() {
        let cases: &[(&[u8], Option<&str>, &[&str])] = &[
            (b"HTTP/1.1 200 OK\r\nA: 1\r\n\r\n", None, &["A"]),
            (b"HTTP/1.1 200 OK\r\nA: 1\r\n folded\r\n\r\n", None, &["A"]),
            (
                b"HTTP/1.1 200 OK\r\nBroken Header\r\nB: 2\r\n\r\n",
                Some("Broken Header"),
                &["B"],
            ),
            (
                b"HTTP/1.1 200 OK\r\n: Value\r\nB: 2\r\n\r\n",
                Some(": Value"),
                &["B"],
            ),
            (b"HTTP/1.1 200 OK\r\n:\r\nB: 2\r\n\r\n", Some(":"), &["B"]),
        ];
        for &(raw, unparsed, names) in cases {
            let head = parse_all(raw);
            assert_eq!(head.unparsed.as_deref(), unparsed, "{raw:?}");
            let got: Vec<&str> = head.headers.iter().map(|(n, _)| n).collect();
            assert_eq!(got, names, "{raw:?}");
        }
    }

    #[test]
    fn wire_heads_parse_to_status_reason_and_ordered_headers() {
        let cases: &[(&[u8], u16, &str, Version, &[(&str, &str)])] = &[
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n",
                200,
                "OK",
                Version::Http11,
                &[("Content-Length", "2")],
            ),
            (
                b"HTTP/1.0 404 Not Found\r\n\r\n",
                404,
                "Not Found",
                Version::Http10,
                &[],
            ),
            (b"HTTP/1.1 200 \r\n\r\n", 200, "", Version::Http11, &[]),
            (
                b"HTTP/1.1 500 Internal  Server Error\r\n\r\n",
                500,
                "Internal  Server Error",
                Version::Http11,
                &[],
            ),
            (
                b"HTTP/1.1 200 OK\r\nset-cookie: a=1\r\nX: y\r\nSet-Cookie: b=2\r\n\r\n",
                200,
                "OK",
                Version::Http11,
                &[("set-cookie", "a=1"), ("X", "y"), ("Set-Cookie", "b=2")],
            ),
            (
                b"HTTP/1.1 200 OK\r\nX-Folded: first\r\n  second\r\n\r\n",
                200,
                "OK",
                Version::Http11,
                &[("X-Folded", "first second")],
            ),
            (
                b"HTTP/1.1 200 OK\nX: lf-only\n\n",
                200,
                "OK",
                Version::Http11,
                &[("X", "lf-only")],
            ),
            (
                b"HTTP/1.1 200 OK\r\nX-Latin: caf\xe9\r\n\r\n",
                200,
                "OK",
                Version::Http11,
                &[("X-Latin", "caf\u{e9}")],
            ),
        ];
        for &(raw, status, reason, version, headers) in cases {
            let head = parse_all(raw);
            assert_eq!(
                (head.status, head.reason.as_str(), head.version),
                (status, reason, version)
            );
            assert_eq!(
                head.headers.iter().collect::<Vec<_>>(),
                headers,
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn partial_heads_ask_for_more() {
        for raw in [
            &b"HTTP/1.1 200 OK\r\nContent-Len"[..],
            b"HTTP/1.1 2",
            b"",
            b"HTTP/1.1 200 OK\r\n",
        ] {
            assert!(parse(raw).unwrap().is_none(), "{raw:?}");
        }
    }

    #[test]
    fn malformed_heads_are_protocol_errors() {
        let long_value = vec![b'a'; MAX_LINE + 1];
        let mut oversize = b"HTTP/1.1 200 OK\r\nX: ".to_vec();
        oversize.extend_from_slice(&long_value);
        let mut oversize_partial = oversize.clone();
        oversize.extend_from_slice(b"\r\n\r\n");
        oversize_partial.truncate(MAX_LINE + 30);
        let mut many = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..=MAX_HEADERS {
            many.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
        }
        many.extend_from_slice(b"\r\n");
        let cases: Vec<(&[u8], &str)> = vec![
            (b"HTTP/1.1 abc Oops\r\n\r\n", "BadStatusLine"),
            (b"SSH-2.0-OpenSSH\r\n", "BadStatusLine"),
            (b"HTTP/2 200\r\n\r\n", "BadStatusLine"),
            (&oversize, "got more than 65536 bytes"),
            (&oversize_partial, "got more than 65536 bytes"),
            (&many, "got more than 100 headers"),
        ];
        for (raw, needle) in cases {
            let err = parse(raw).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Protocol);
            assert_eq!(err.message(), "Connection aborted.");
            // What went wrong is the cause, as urllib3's ProtocolError('Connection aborted.', …).
            let cause = std::error::Error::source(&err).map(ToString::to_string);
            assert!(cause.as_deref().unwrap_or("").contains(needle), "{cause:?}");
        }
    }
}
