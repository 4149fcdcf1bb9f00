//! A request as HTTP/2 carries it: pseudo-headers, lower-case names, and the RFC 9113 §8.2
//! rules checked before anything is sent.

use crate::body::Body;
use crate::connection::{expects_body, Request, SKIP_HEADER};
use crate::error::{Error, ErrorKind, Result};

/// Headers that belong to an HTTP/1.1 connection and that HTTP/2 forbids (RFC 9113 §8.2.2):
/// they are dropped rather than refused, since callers set them for HTTP/1.1's sake.
const CONNECTION_SPECIFIC: [&str; 5] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
];

/// Whether `name` may be sent as an HTTP/2 field name: a token in lower case (RFC 9113
/// §8.2.1). Names are lower-cased before the check, so only what no case fixes is refused.
pub fn is_legal_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name.iter().all(|&b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&b)
        })
}

/// Whether `value` may not be sent as an HTTP/2 field value: it holds NUL, CR or LF, or starts
/// or ends with a space or tab (RFC 9113 §8.2.1).
pub fn is_illegal_value(value: &[u8]) -> bool {
    let edge = |b: Option<&u8>| matches!(b, Some(b' ' | b'\t'));
    value.iter().any(|b| matches!(b, 0 | b'\r' | b'\n'))
        || edge(value.first())
        || edge(value.last())
}

/// Builds the request head: `:authority` from the caller's `Host` (else the connection's),
/// the caller's headers in lower case, `user-agent` and `content-length` as HTTP/1.1 sends
/// them.
pub(super) fn build(request: &Request<'_>, body: &Body) -> Result<http::Request<()>> {
    let mut authority = request.host;
    let mut builder = http::Request::builder().method(method(request.method)?);
    let mut user_agent = true;
    for (name, value) in request.headers.iter() {
        let lower = name.to_ascii_lowercase();
        if value == SKIP_HEADER {
            user_agent &= lower != "user-agent";
            continue;
        }
        match lower.as_str() {
            "host" => authority = value,
            "user-agent" => user_agent = false,
            // The body's length is sent from the body itself, below.
            "content-length" => {}
            "te" if value.eq_ignore_ascii_case("trailers") => {
                builder = builder.header("te", "trailers")
            }
            name if CONNECTION_SPECIFIC.contains(&name) || name == "te" => {}
            _ => builder = builder.header(field_name(&lower)?, field_value(name, value)?),
        }
    }
    if user_agent {
        builder = builder.header("user-agent", field_value("User-Agent", request.user_agent)?);
    }
    if let Some(length) = sent_length(request, body) {
        builder = builder.header("content-length", length);
    }
    builder
        .uri(uri(authority, request.target)?)
        .body(())
        .map_err(|e| invalid(format!("the request cannot be sent over HTTP/2: {e}")))
}

/// The length to announce: a known body's, or the caller's `Content-Length` for a body that
/// cannot measure itself; none for a body-less GET (HTTP/1.1 sends `Content-Length: 0` only
/// for methods that expect a body, and so do we).
fn sent_length(request: &Request<'_>, body: &Body) -> Option<u64> {
    if request.chunked {
        return None;
    }
    match body {
        Body::Empty => expects_body(request.method).then_some(0),
        _ => body.content_length().or_else(|| {
            request
                .headers
                .get("content-length")
                .and_then(|v| v.trim().parse().ok())
        }),
    }
}

fn method(method: &str) -> Result<http::Method> {
    http::Method::from_bytes(method.as_bytes()).map_err(|_| {
        invalid(format!(
            "Method cannot contain non-token characters {method:?}"
        ))
    })
}

/// The request URI h2 takes `:scheme`, `:authority` and `:path` from.
fn uri(authority: &str, target: &str) -> Result<http::Uri> {
    let path = if target.is_empty() { "/" } else { target };
    let uri = if path.starts_with('/') || path == "*" {
        format!("https://{authority}{path}")
    } else {
        path.to_owned()
    };
    uri.parse().map_err(|e| {
        invalid(format!(
            "{uri:?} is not a request target HTTP/2 can send: {e}"
        ))
    })
}

fn field_name(lower: &str) -> Result<http::HeaderName> {
    if !is_legal_name(lower.as_bytes()) {
        return Err(invalid(format!("Illegal header name {lower:?}")));
    }
    http::HeaderName::from_bytes(lower.as_bytes())
        .map_err(|_| invalid(format!("Illegal header name {lower:?}")))
}

fn field_value(name: &str, value: &str) -> Result<http::HeaderValue> {
    let mut bytes = Vec::with_capacity(value.len());
    crate::headers::push_latin1(&mut bytes, value)
        .map_err(|()| invalid(format!("Illegal header value for {name:?}: {value:?}")))?;
    if is_illegal_value(&bytes) {
        return Err(invalid(format!(
            "Illegal header value for {name:?}: {value:?}"
        )));
    }
    http::HeaderValue::from_bytes(&bytes)
        .map_err(|_| invalid(format!("Illegal header value for {name:?}: {value:?}")))
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidArgument, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers::HeaderMap;

    fn request<'a>(method: &'a str, headers: &'a HeaderMap) -> Request<'a> {
        Request {
            method,
            target: "/path?q=1",
            host: "example.com:8443",
            headers,
            chunked: false,
            user_agent: "ua/1",
        }
    }

    fn fields(built: &http::Request<()>) -> Vec<(String, String)> {
        let mut out: Vec<_> = built
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn names_and_values_follow_rfc_9113() {
        for legal in [&b"foo"[..], b"foo-bar", b"x-1", b"a!#$%&'*+-.^_`|~"] {
            assert!(is_legal_name(legal), "{legal:?}");
        }
        for illegal in [
            &b""[..],
            b"Foo",
            b"foo bar",
            b":path",
            b"foo:bar",
            b"f\x00o",
            b"f\x7fo",
        ] {
            assert!(!is_legal_name(illegal), "{illegal:?}");
        }
        for fine in [&b"foo"[..], b"foo bar", b"foo\tbar", b""] {
            assert!(!is_illegal_value(fine), "{fine:?}");
        }
        for bad in [
            &b"a\x00b"[..],
            b"a\rb",
            b"a\nb",
            b" a",
            b"a ",
            b"\ta",
            b"a\t",
        ] {
            assert!(is_illegal_value(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_head_is_lower_case_with_authority_and_defaults() {
        let headers: HeaderMap = [("X-Trace", "1"), ("Connection", "keep-alive")]
            .into_iter()
            .collect();
        let built = build(&request("POST", &headers), &Body::from("hello")).unwrap();
        assert_eq!(built.uri().to_string(), "https://example.com:8443/path?q=1");
        assert_eq!(
            fields(&built),
            [
                ("content-length".into(), "5".into()),
                ("user-agent".into(), "ua/1".into()),
                ("x-trace".into(), "1".into()),
            ]
        );
        // The caller's Host is the authority; SKIP_HEADER drops the user agent; a GET has no
        // Content-Length.
        let headers: HeaderMap = [("Host", "other.test"), ("User-Agent", SKIP_HEADER)]
            .into_iter()
            .collect();
        let built = build(&request("GET", &headers), &Body::Empty).unwrap();
        assert_eq!(built.uri().authority().unwrap().as_str(), "other.test");
        assert!(fields(&built).is_empty());
    }

    #[test]
    fn illegal_fields_are_refused_before_sending() {
        for (name, value) in [
            ("X-Foo\0", "v"),
            ("x foo", "v"),
            ("x-foo", "a\r\nb"),
            ("x-foo", " v"),
        ] {
            let headers: HeaderMap = [(name, value)].into_iter().collect();
            let err = build(&request("GET", &headers), &Body::Empty).unwrap_err();
            assert_eq!(
                err.kind(),
                ErrorKind::InvalidArgument,
                "{name:?}: {value:?}"
            );
        }
    }
}
