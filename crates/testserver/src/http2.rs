//! HTTP/2 over TLS (ALPN `h2`), served by hyper.
//!
//! Each stream is turned into the crate's [`Request`] and answered by the same
//! [`routes::handle`] as HTTP/1.1; its [`Response`] goes back as an HTTP/2
//! response. Four endpoints exist only here: `/http2/goaway` (GOAWAY after its response),
//! `/http2/goaway-first` (GOAWAY before its response), `/http2/reset`, and
//! `/http2/refuse-first/PATH` (the first request of a connection refused with
//! REFUSED_STREAM, as a server does to a stream over its limit; the next ones answered as
//! PATH would be).

use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::BodyExt as _;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::header::{HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, HOST};
use hyper::http::request::Parts;
use hyper::server::conn::http2;
use hyper::service::service_fn;
use hyper::StatusCode;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::sync::Notify;

use crate::request::{OwnedRequest, ReadError};
use crate::response::{Body, ChunkSource, Response};
use crate::routes::{self, Action};
use crate::server::{Ctx, Transport};

/// Flow-control windows. hyper's defaults (64 KiB and 1 MiB) make large
/// uploads wait on WINDOW_UPDATE round trips.
const STREAM_WINDOW: u32 = 1 << 20;
const CONNECTION_WINDOW: u32 = 4 << 20;

/// Connection-specific response fields, which HTTP/2 forbids (RFC 9113
/// 8.2.2); h2 refuses a response with `connection`, and hyper strips the rest
/// noisily.
const HOP_BY_HOP: [&str; 5] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
];

/// What the streams of one connection share.
struct Conn {
    ctx: Arc<Ctx>,
    peer: SocketAddr,
    client_cert: Option<Vec<u8>>,
    sni: Option<String>,
    /// Notified once `/http2/goaway` has handed over its response, or when
    /// `/http2/goaway-first` is asked for.
    goaway: Notify,
    /// Notified once the connection has queued its GOAWAY.
    goaway_queued: Notify,
    /// `/http2/refuse-first` refused a stream on this connection.
    refused: AtomicBool,
}

/// The error that makes hyper reset a stream: with INTERNAL_ERROR (any service
/// error does), or with the reason of the h2 error it carries (hyper looks for one
/// among the error's sources).
#[derive(Debug)]
struct ResetStream(Option<h2::Error>);

impl fmt::Display for ResetStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stream reset by the test server")
    }
}

impl std::error::Error for ResetStream {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.as_ref().map(|e| e as _)
    }
}

type Reply = Result<hyper::Response<H2Body>, ResetStream>;

/// Serves one HTTP/2 connection until it closes.
pub(crate) async fn serve<S: Transport>(io: S, peer: SocketAddr, ctx: Arc<Ctx>) {
    let mut builder = http2::Builder::new(TokioExecutor::new());
    builder
        .initial_stream_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW);
    if let Some(max) = ctx.http2_max_concurrent_streams {
        builder.max_concurrent_streams(max);
    }
    let conn = Arc::new(Conn {
        client_cert: io.peer_certificate(),
        sni: io.sni(),
        ctx,
        peer,
        goaway: Notify::new(),
        goaway_queued: Notify::new(),
        refused: AtomicBool::new(false),
    });
    let shared = Arc::clone(&conn);
    let service = service_fn(move |req| respond(req, Arc::clone(&shared)));
    let connection = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => return,
        () = conn.goaway.notified() => {
            connection.as_mut().graceful_shutdown();
            conn.goaway_queued.notify_one();
        }
    }
    // GOAWAY is out; the streams in flight finish, then the connection ends.
    let _ = connection.await;
}

/// Answers one stream.
async fn respond(req: hyper::Request<Incoming>, conn: Arc<Conn>) -> Reply {
    conn.ctx.counters.count_request();
    let (mut parts, body) = req.into_parts();
    if let Some(rest) = parts.uri.path().strip_prefix("/http2/refuse-first") {
        if !conn.refused.swap(true, Ordering::Relaxed) {
            return Err(ResetStream(Some(h2::Reason::REFUSED_STREAM.into())));
        }
        parts.uri = without_prefix(&parts.uri, rest).ok_or(ResetStream(None))?;
    }
    match parts.uri.path() {
        // Resets before any response: the simplest failure for a client to see.
        "/http2/reset" => return Err(ResetStream(None)),
        "/http2/goaway" => return Ok(goaway(&conn)),
        "/http2/goaway-first" => {
            // The GOAWAY is queued before this response exists, so it goes out first.
            conn.goaway.notify_one();
            conn.goaway_queued.notified().await;
            let resp = Response::new(200, "text/plain", "after goaway\n");
            return into_hyper(resp, false);
        }
        _ => {}
    }
    let mut owned = request_head(&parts);
    // Benchmark uploads are only counted, as over HTTP/1.1.
    let count_only = parts.uri.path() == "/upload";
    match read_body(body, &mut owned, count_only).await {
        Ok(()) => {}
        Err(ReadError::BodyTooLarge) => {
            let resp = Response::new(413, "text/plain", "request body too large\n");
            return into_hyper(resp, false);
        }
        // The client reset the stream or the connection broke.
        Err(_) => return Err(ResetStream(None)),
    }
    let mut request = owned.request(conn.peer);
    request.client_cert = conn.client_cert.as_deref();
    request.sni = conn.sni.as_deref();
    request.alpn = Some("h2");
    match routes::handle(&request, &conn.ctx).await {
        Action::Respond(resp) => into_hyper(resp, parts.method == hyper::Method::HEAD),
        // Fault modes script HTTP/1.1 bytes, which mean nothing here.
        Action::Script(_) => Err(ResetStream(None)),
    }
}

/// `uri` with its path replaced by `path` (what followed a prefix), its query kept.
fn without_prefix(uri: &hyper::Uri, path: &str) -> Option<hyper::Uri> {
    let path = if path.is_empty() { "/" } else { path };
    let path_and_query = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    hyper::http::uri::Builder::from(uri.clone())
        .path_and_query(path_and_query)
        .build()
        .ok()
}

/// The request head as the crate's routes read it. Without a `host` field the
/// `:authority` shows up as `Host`, as hypercorn passes it to httpbin.
fn request_head(parts: &Parts) -> OwnedRequest {
    let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let host = if parts.headers.contains_key(HOST) {
        None
    } else {
        parts
            .uri
            .authority()
            .map(|a| ("Host", a.as_str().as_bytes()))
    };
    let fields = parts
        .headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_bytes()));
    OwnedRequest::new(
        parts.method.as_str(),
        target,
        host.into_iter().chain(fields),
    )
}

/// Reads the whole request body into `req` (or only counts it).
async fn read_body(
    mut body: Incoming,
    req: &mut OwnedRequest,
    count_only: bool,
) -> Result<(), ReadError> {
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(|_| ReadError::Io)?.into_data() else {
            continue; // trailers
        };
        if count_only {
            req.count_body(data.len());
        } else {
            req.push_body(&data)?;
        }
    }
    Ok(())
}

/// `/http2/goaway`: a short 200 whose body, once h2 has taken all of it,
/// tells the connection to shut down gracefully.
fn goaway(conn: &Arc<Conn>) -> hyper::Response<H2Body> {
    let body = H2Body {
        data: Data::Full(Bytes::from_static(b"goaway\n")),
        _goaway: Some(GoawayOnDrop(Arc::clone(conn))),
    };
    let mut resp = hyper::Response::new(body);
    let plain = HeaderValue::from_static("text/plain");
    resp.headers_mut().insert(CONTENT_TYPE, plain);
    resp
}

/// The crate's response as a hyper response (only the head for HEAD).
fn into_hyper(resp: Response, head_only: bool) -> Reply {
    // A 1xx cannot be a final response in HTTP/2.
    let status = StatusCode::from_u16(resp.status)
        .ok()
        .filter(|s| !s.is_informational())
        .ok_or(ResetStream(None))?;
    let data = match resp.body {
        Body::Nothing => Data::Empty,
        Body::Full(bytes) if head_only || bytes.is_empty() => Data::Sized(bytes.len()),
        Body::Full(bytes) => Data::Full(bytes),
        Body::Chunked(_) if head_only => Data::Empty,
        Body::Chunked(source) => Data::Chunks(source),
    };
    let mut out = hyper::Response::new(H2Body {
        data,
        _goaway: None,
    });
    *out.status_mut() = status;
    let headers = out.headers_mut();
    if let Some(content_type) = resp.content_type {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    for (name, value) in &resp.headers {
        // Fields from query parameters (`/response-headers`) may be invalid; skip those.
        let name = HeaderName::from_bytes(name.as_bytes());
        let value = HeaderValue::from_bytes(value.as_bytes());
        if let (Ok(name), Ok(value)) = (name, value) {
            if !HOP_BY_HOP.contains(&name.as_str()) {
                headers.append(name, value);
            }
        }
    }
    if let Data::Sized(len) = out.body().data {
        // hyper adds Content-Length itself only for bodies it will send.
        out.headers_mut()
            .entry(CONTENT_LENGTH)
            .or_insert(len.into());
        out.body_mut().data = Data::Empty;
    }
    Ok(out)
}

/// A response body for hyper.
struct H2Body {
    data: Data,
    /// Dropped with the body, that is once h2 has taken all of it (or the
    /// stream died).
    _goaway: Option<GoawayOnDrop>,
}

enum Data {
    /// Nothing (more) to send.
    Empty,
    /// No body, but a Content-Length of this many bytes (HEAD, empty bodies).
    Sized(usize),
    /// One piece, with Content-Length.
    Full(Bytes),
    /// Generated piece by piece, without Content-Length.
    Chunks(ChunkSource),
}

impl hyper::body::Body for H2Body {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        let chunk = match &mut this.data {
            Data::Empty | Data::Sized(_) => None,
            Data::Full(bytes) => {
                let bytes = std::mem::take(bytes);
                this.data = Data::Empty;
                Some(bytes)
            }
            Data::Chunks(source) => source.next_chunk(),
        };
        Poll::Ready(chunk.map(|c| Ok(Frame::data(c))))
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.data, Data::Empty | Data::Sized(_))
    }

    fn size_hint(&self) -> SizeHint {
        match &self.data {
            Data::Empty | Data::Sized(_) => SizeHint::with_exact(0),
            Data::Full(bytes) => SizeHint::with_exact(bytes.len() as u64),
            Data::Chunks(_) => SizeHint::default(),
        }
    }
}

/// Starts the graceful shutdown of its connection when dropped.
struct GoawayOnDrop(Arc<Conn>);

impl Drop for GoawayOnDrop {
    fn drop(&mut self) {
        // notify_one keeps the wake-up even if the connection is not waiting yet.
        self.0.goaway.notify_one();
    }
}
