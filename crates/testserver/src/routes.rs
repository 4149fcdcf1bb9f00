//! Endpoint dispatch: which response each path gets.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde_json::{json, Value};

use crate::elastic;
use crate::encoding::{self, Coding};
use crate::faults;
use crate::httpbin;
use crate::params::{self, param, param_parse};
use crate::raw::Reply;
use crate::request::Request;
use crate::response::{Body, ChunkSource, Response, Rng};
use crate::server::Ctx;

/// Largest body `/bytes`, `/stream-bytes`, `/large` and friends produce.
const MAX_GENERATED: u64 = 100 << 20;
/// Longest `/delay`.
const MAX_DELAY_SECS: f64 = 10.0;
/// Most members/frames for the multi-member endpoints.
const MAX_PARTS: usize = 10_000;

/// What the connection does with a request.
pub(crate) enum Action {
    /// Send an HTTP response.
    Respond(Response),
    /// Send scripted bytes and end as scripted (the fault modes).
    Script(Reply),
}

/// State kept across requests by some endpoints.
#[derive(Default)]
pub(crate) struct RouteState {
    /// `/fail-then-succeed` attempts per `X-Retry-Key`.
    attempts: Mutex<HashMap<String, u64>>,
    /// The longest `/large` body made so far; shorter ones are slices of it.
    large: Mutex<Bytes>,
    /// `/gzip-large` bodies per decoded size.
    gzip_large: Mutex<HashMap<usize, Bytes>>,
    /// The Elasticsearch stand-in's documents.
    elastic: elastic::Indices,
}

/// Answers one request.
pub(crate) async fn handle(req: &Request<'_>, ctx: &Ctx) -> Action {
    let path = req.path();
    if let Some(mode) = path.strip_prefix("/fault/") {
        return match faults::fault(mode) {
            Some(reply) => Action::Script(reply),
            None => Action::Respond(not_found_fault(mode)),
        };
    }
    if let Some(rest) = path.strip_prefix("/es") {
        if rest.is_empty() || rest.starts_with('/') {
            return Action::Respond(elastic::handle(req, &ctx.routes.elastic, rest));
        }
    }
    let resp = match exact(req, ctx, path) {
        Some(resp) => resp,
        None => prefixed(req, ctx, path).await,
    };
    Action::Respond(resp)
}

/// Endpoints whose path is fixed. The benchmark ones come first.
fn exact(req: &Request<'_>, ctx: &Ctx, path: &str) -> Option<Response> {
    Some(match path {
        "/small" => Response::new(200, "text/plain", Bytes::from_static(b"Hello, world!")),
        "/large" => large(req, ctx),
        "/upload" => only(req, &["POST", "PUT"], || {
            Response::json(200, &json!({ "received": req.body_len() }))
        }),
        "/gzip-large" => gzip_large(req, ctx),
        "/echo" => Response::new(
            200,
            "application/octet-stream",
            Bytes::copy_from_slice(req.raw()),
        ),
        "/get" => only(req, &["GET", "HEAD"], || {
            Response::json(200, &httpbin::get(req, ctx))
        }),
        "/post" | "/put" | "/patch" | "/delete" => {
            let method = path[1..].to_ascii_uppercase();
            only(req, &[method.as_str()], || {
                Response::json(200, &httpbin::with_body(req, ctx, false))
            })
        }
        "/anything" => Response::json(200, &httpbin::with_body(req, ctx, true)),
        "/headers" => Response::json(200, &json!({ "headers": httpbin::headers(req) })),
        "/ip" => Response::json(200, &json!({ "origin": httpbin::origin(req) })),
        "/user-agent" => {
            Response::json(200, &json!({ "user-agent": req.header_str("user-agent") }))
        }
        "/robots.txt" => Response::new(200, "text/plain", "User-agent: *\nDisallow: /deny\n"),
        "/gzip" => coded(req, Coding::Gzip, "gzipped"),
        "/deflate" => deflate(req),
        "/brotli" => coded(req, Coding::Br, "brotli"),
        "/zstd" => coded(req, Coding::Zstd, "zstd"),
        "/encoding/chain" => encoding_chain(req),
        "/gzip/multi-member" => multi_part(req, "parts", Coding::Gzip, encoding::gzip_members),
        "/zstd/multi-frame" => multi_part(req, "frames", Coding::Zstd, encoding::zstd_frames),
        "/bomb/gzip" => gzip_bomb(req),
        "/response-headers" => response_headers(req),
        "/retry-after" => retry_after(req),
        "/fail-then-succeed" => fail_then_succeed(req, ctx),
        "/redirect-to" => redirect_to(req),
        "/certificate" => certificate(req, ctx),
        "/sni" => Response::json(200, &json!({ "sni": req.sni })),
        "/alpn_protocol" => Response::new(200, "text/plain", req.alpn.unwrap_or("").to_owned()),
        _ => return None,
    })
}

/// The subject of the client's TLS certificate, as urllib3's test server
/// reports it: `{}` without one, `commonName` and `organizationalUnitName`
/// for the certificates this server's CA issued.
fn certificate(req: &Request<'_>, ctx: &Ctx) -> Response {
    let Some(der) = req.client_cert else {
        return Response::json(200, &json!({}));
    };
    let name = ctx
        .client_names
        .iter()
        .find(|(issued, _)| issued.as_slice() == der)
        .map(|(_, name)| *name);
    let subject = match name {
        Some(name) => json!({ "commonName": name, "organizationalUnitName": "Testing cert" }),
        None => json!({ "commonName": "(a certificate this server did not issue)" }),
    };
    Response::json(200, &subject)
}

/// Endpoints with a parameter in the path.
async fn prefixed(req: &Request<'_>, ctx: &Ctx, path: &str) -> Response {
    let (prefix, arg) = match path[1..].split_once('/') {
        Some((prefix, arg)) => (prefix, arg),
        None => return not_found(),
    };
    match prefix {
        "anything" => Response::json(200, &httpbin::with_body(req, ctx, true)),
        "bytes" => number(arg).map_or_else(bad_request, |n| random_bytes(req, n)),
        "stream-bytes" => number(arg).map_or_else(bad_request, |n| stream_bytes(req, n)),
        "delay" => delay(req, ctx, arg).await,
        "status" => number(arg).map_or_else(bad_request, status),
        "redirect" => redirect(req, ctx, arg, Redirect::Plain),
        "relative-redirect" => redirect(req, ctx, arg, Redirect::Relative),
        "absolute-redirect" => redirect(req, ctx, arg, Redirect::Absolute),
        "basic-auth" => basic_auth(req, arg),
        _ => not_found(),
    }
}

fn number(s: &str) -> Option<u64> {
    s.parse().ok()
}

fn not_found() -> Response {
    Response::new(404, "text/plain", "Not Found\n")
}

fn bad_request() -> Response {
    Response::new(400, "text/plain", "Bad Request\n")
}

fn not_found_fault(mode: &str) -> Response {
    let body = format!(
        "unknown fault mode {mode:?}; known modes: {}\n",
        faults::MODES.join(", ")
    );
    Response::new(404, "text/plain", body)
}

/// `make()` if the request method is one of `methods`, else 405.
fn only(req: &Request<'_>, methods: &[&str], make: impl FnOnce() -> Response) -> Response {
    if methods.contains(&req.method()) {
        make()
    } else {
        Response::empty(405).header("Allow", methods.join(", "))
    }
}

/// `/large?size=N`: N bytes of 'x' (default 1 MiB), sliced from a cached buffer.
fn large(req: &Request<'_>, ctx: &Ctx) -> Response {
    let size = param_parse(req.query(), "size")
        .unwrap_or(1 << 20)
        .min(MAX_GENERATED) as usize;
    let mut cached = ctx.routes.large.lock().unwrap_or_else(|e| e.into_inner());
    if cached.len() < size {
        *cached = Bytes::from(vec![b'x'; size]);
    }
    Response::new(200, "application/octet-stream", cached.slice(..size))
}

/// `/gzip-large?size=N`: N bytes of text (default 1 MiB), gzipped once per size.
fn gzip_large(req: &Request<'_>, ctx: &Ctx) -> Response {
    let size = param_parse(req.query(), "size")
        .unwrap_or(1 << 20)
        .min(MAX_GENERATED) as usize;
    let mut cache = ctx
        .routes
        .gzip_large
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let body = cache
        .entry(size)
        .or_insert_with(|| Coding::Gzip.encode(&encoding::text(size)).into())
        .clone();
    Response::new(200, "text/plain", body).header("Content-Encoding", "gzip")
}

/// `/bytes/N?seed=S`: N deterministic pseudo-random bytes.
fn random_bytes(req: &Request<'_>, n: u64) -> Response {
    let mut body = vec![0; n.min(MAX_GENERATED) as usize];
    Rng::new(param_parse(req.query(), "seed").unwrap_or(0)).fill(&mut body);
    Response::new(200, "application/octet-stream", body)
}

/// `/stream-bytes/N?chunk_size=C&seed=S`: the same bytes as `/bytes/N`,
/// chunked.
fn stream_bytes(req: &Request<'_>, n: u64) -> Response {
    let chunk = param_parse(req.query(), "chunk_size")
        .unwrap_or(10_240usize)
        .max(1);
    let source = ChunkSource::Random {
        rng: Rng::new(param_parse(req.query(), "seed").unwrap_or(0)),
        remaining: n.min(MAX_GENERATED),
        chunk,
    };
    Response {
        body: Body::Chunked(source),
        ..Response::new(200, "application/octet-stream", Bytes::new())
    }
}

/// `/delay/S`: waits S seconds (at most 10), then answers like `/anything`
/// without `method`.
async fn delay(req: &Request<'_>, ctx: &Ctx, arg: &str) -> Response {
    let Ok(secs) = arg.parse::<f64>() else {
        return bad_request();
    };
    let secs = if secs.is_finite() { secs } else { 0.0 };
    tokio::time::sleep(Duration::from_secs_f64(secs.clamp(0.0, MAX_DELAY_SECS))).await;
    Response::json(200, &httpbin::with_body(req, ctx, false))
}

/// `/status/CODE`: an empty response with that status.
fn status(code: u64) -> Response {
    let Ok(code @ 100..=999) = u16::try_from(code) else {
        return bad_request();
    };
    let resp = Response::empty(code);
    match code {
        401 => resp.header("WWW-Authenticate", "Basic realm=\"Fake Realm\""),
        407 => resp.header("Proxy-Authenticate", "Basic realm=\"Fake Realm\""),
        300..=399 if code != 304 => resp.header("Location", "/redirect/1"),
        _ => resp,
    }
}

/// The flavours of the redirect chains.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Redirect {
    /// `/redirect/N`: relative unless `?absolute=true`.
    Plain,
    Relative,
    Absolute,
}

/// A chain of N 302 redirects ending at `/get`.
fn redirect(req: &Request<'_>, ctx: &Ctx, arg: &str, kind: Redirect) -> Response {
    let n = match number(arg) {
        Some(n) if n > 0 => n,
        _ => return bad_request(),
    };
    let absolute_param = param(req.query(), "absolute").is_some_and(|v| v == "true");
    let absolute = kind == Redirect::Absolute || (kind == Redirect::Plain && absolute_param);
    let next = match kind {
        _ if n == 1 => "/get".to_string(),
        Redirect::Plain if absolute_param => format!("/redirect/{}?absolute=true", n - 1),
        Redirect::Plain => format!("/redirect/{}", n - 1),
        Redirect::Relative => format!("/relative-redirect/{}", n - 1),
        Redirect::Absolute => format!("/absolute-redirect/{}", n - 1),
    };
    let location = if absolute {
        httpbin::base_url(req, ctx) + &next
    } else {
        next
    };
    Response::empty(302).header("Location", location)
}

/// `/redirect-to?url=URL&status_code=CODE`, any method.
fn redirect_to(req: &Request<'_>) -> Response {
    let Some(url) = param(req.query(), "url") else {
        return bad_request();
    };
    let code = param_parse::<u16>(req.query(), "status_code")
        .filter(|c| (300..=399).contains(c))
        .unwrap_or(302);
    if url.contains(['\r', '\n']) {
        return bad_request();
    }
    Response::empty(code).header("Location", url)
}

/// `/gzip`, `/brotli`, `/zstd`: an httpbin document in that coding.
fn coded(req: &Request<'_>, coding: Coding, flag: &str) -> Response {
    let body = serde_json::to_vec(&httpbin::coded(req, flag)).unwrap_or_default();
    Response::new(200, "application/json", coding.encode(&body))
        .header("Content-Encoding", coding.name())
}

/// `/deflate`, zlib-wrapped; `?raw=1` sends bare deflate instead.
fn deflate(req: &Request<'_>) -> Response {
    let raw = params::raw_param(req.query(), "raw") == Some("1");
    let coding = if raw {
        Coding::RawDeflate
    } else {
        Coding::Deflate
    };
    coded(req, coding, "deflated")
}

/// `/encoding/chain?codings=a,b&size=N`: N bytes of text with each coding
/// applied in the listed order.
fn encoding_chain(req: &Request<'_>) -> Response {
    let names = param(req.query(), "codings").unwrap_or_default();
    let codings: Option<Vec<Coding>> = names
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(Coding::parse)
        .collect();
    let Some(codings) = codings else {
        return bad_request();
    };
    let size = param_parse(req.query(), "size")
        .unwrap_or(1024)
        .min(MAX_GENERATED) as usize;
    let body = encoding::encode_chain(&encoding::text(size), &codings);
    let header: Vec<&str> = codings.iter().map(|c| c.name()).collect();
    let resp = Response::new(200, "text/plain", body);
    if header.is_empty() {
        resp
    } else {
        resp.header("Content-Encoding", header.join(", "))
    }
}

/// `/gzip/multi-member?parts=K` and `/zstd/multi-frame?frames=K`.
fn multi_part(
    req: &Request<'_>,
    key: &str,
    coding: Coding,
    make: fn(usize) -> Vec<u8>,
) -> Response {
    let parts = param_parse(req.query(), key)
        .unwrap_or(2usize)
        .min(MAX_PARTS);
    Response::new(200, "text/plain", make(parts)).header("Content-Encoding", coding.name())
}

/// `/bomb/gzip?mib=N`: N MiB of zeros (default 1024), gzipped, streamed.
fn gzip_bomb(req: &Request<'_>) -> Response {
    let source = ChunkSource::Repeat {
        piece: encoding::zeros_member(),
        times: param_parse(req.query(), "mib").unwrap_or(1024),
    };
    Response {
        body: Body::Chunked(source),
        ..Response::new(200, "application/octet-stream", Bytes::new())
    }
    .header("Content-Encoding", "gzip")
}

/// `/response-headers?K=V...`: each pair becomes a response header line.
fn response_headers(req: &Request<'_>) -> Response {
    let args = params::args(req.query());
    let mut resp = Response::json(200, &Value::Object(args));
    for (name, value) in params::pairs(req.query()) {
        // A CR or LF would let the header end early and corrupt the framing.
        if name.is_empty() || format!("{name}{value}").contains(['\r', '\n']) {
            continue;
        }
        if name.eq_ignore_ascii_case("content-type") {
            resp.content_type = None;
        }
        resp = resp.header(name, value);
    }
    resp
}

/// `/retry-after?status=503&seconds=S[&date=1]`.
fn retry_after(req: &Request<'_>) -> Response {
    let q = req.query();
    let status = param_parse(q, "status").unwrap_or(503);
    let seconds: u64 = param_parse(q, "seconds").unwrap_or(1);
    let value = if params::raw_param(q, "date") == Some("1") {
        http_date(SystemTime::now() + Duration::from_secs(seconds))
    } else {
        seconds.to_string()
    };
    Response::empty(status).header("Retry-After", value)
}

/// `/fail-then-succeed?times=N&status=500`: per `X-Retry-Key`, the first N
/// requests fail with `status`, later ones succeed like `/get`.
fn fail_then_succeed(req: &Request<'_>, ctx: &Ctx) -> Response {
    let key = req.header_str("x-retry-key").unwrap_or("").to_string();
    let attempt = {
        let mut attempts = ctx
            .routes
            .attempts
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let count = attempts.entry(key).or_insert(0);
        *count += 1;
        *count
    };
    let times = param_parse(req.query(), "times").unwrap_or(1);
    let resp = if attempt <= times {
        Response::empty(param_parse(req.query(), "status").unwrap_or(500))
    } else {
        Response::json(200, &httpbin::get(req, ctx))
    };
    resp.header("X-Attempt", attempt.to_string())
}

/// `/basic-auth/USER/PASS`: 200 if the request carries those credentials.
fn basic_auth(req: &Request<'_>, arg: &str) -> Response {
    let Some((user, pass)) = arg.split_once('/') else {
        return not_found();
    };
    let expected = format!("Basic {}", base64(format!("{user}:{pass}").as_bytes()));
    if req.header_str("authorization") == Some(expected.as_str()) {
        Response::json(200, &json!({ "authenticated": true, "user": user }))
    } else {
        Response::empty(401).header("WWW-Authenticate", "Basic realm=\"Fake Realm\"")
    }
}

/// Standard base64 with padding (only needed to check Basic credentials).
fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for group in input.chunks(3) {
        let b = [
            group[0],
            *group.get(1).unwrap_or(&0),
            *group.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= group.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Formats a time as an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
fn http_date(t: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = secs / 86_400;
    let (year, month, day) = civil_from_days(days as i64);
    let rem = secs % 86_400;
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), after Howard Hinnant's
/// `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(http_date(t), "Tue, 29 Feb 2000 00:00:00 GMT");
    }

    #[test]
    fn base64_padding() {
        assert_eq!(base64(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"a"), "YQ==");
    }
}
