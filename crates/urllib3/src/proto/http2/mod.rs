//! HTTP/2 on the h2 crate: one connection, many streams, shared by many threads.
//!
//! A connection whose TLS handshake picked `h2` through ALPN carries a [`Session`]. The
//! connection's methods send and receive through it instead of writing HTTP/1.1, so pools,
//! retries, redirects and the Python layer above work unchanged. h2 does the framing, HPACK,
//! flow control and stream state; [`drive`] runs it on the callers' threads.
//!
//! A session is a handle: [`Session::share`] makes another one on the same connection, and a
//! pool hands those out so that concurrent requests to one origin are streams of one
//! connection, up to the server's `MAX_CONCURRENT_STREAMS`.
//!
//! Errors map to urllib3's classes as HTTP/1.1's do: a stream the server reset (after sending
//! a request with no body or a small one again, if the server refused it unprocessed) or a
//! connection that went away before the response head is `ProtocolError("Connection
//! aborted.")` (which Retry retries for idempotent methods, as it does a dropped keep-alive
//! connection); a body cut short is `ProtocolError("Connection broken: …")`; socket timeouts
//! are `ReadTimeoutError`.

mod drive;
#[cfg(fuzzing)]
pub mod fuzzing;
pub(crate) mod request;

use std::future::Future;
use std::io::{self, Read};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use h2::client::{ResponseFuture, SendRequest};
use h2::{RecvStream, SendStream};

use crate::body::Body;
use crate::connection::{BufStream, Request};
use crate::error::{Error, ErrorKind, Result};
use crate::headers::{latin1, HeaderMap};
use crate::response::head::{ResponseHead, Version};
use drive::{Pipe, Shared, Stop, StreamSlot};

/// Receive windows: large enough that a fast download is not throttled by window updates,
/// small enough to bound what one connection buffers.
const STREAM_WINDOW: u32 = 4 << 20;
const CONNECTION_WINDOW: u32 = 8 << 20;
/// The largest frame the server may send: above h2's 16 KiB default, so a large download
/// takes fewer frames, each one a trip through h2 and the driver.
const MAX_FRAME: u32 = 256 * 1024;
/// Body bytes handed to h2 per DATA-sending step.
const SEND_CHUNK: usize = 64 * 1024;
/// How many times a request the server refused unprocessed is sent again (`Session::resend`).
const RESENDS_WHEN_REFUSED: usize = 2;

/// One user's handle on an HTTP/2 connection: h2's request handle, and the exchange in flight.
pub(crate) struct Session {
    shared: Arc<Shared>,
    requests: SendRequest<Bytes>,
    /// The response of the request sent last, until its head is read, and its stream's place
    /// against the server's limit.
    awaiting: Option<(ResponseFuture, StreamSlot)>,
    /// That request's head and body (empty for none), when the body was small and in
    /// memory: sent again if the server refuses the stream unprocessed (REFUSED_STREAM, RFC
    /// 9113 §8.7), as servers do to a stream over their limit, which a client can open
    /// before their SETTINGS come in, or as nginx counts a stream it just finished.
    resend: Option<(http::Request<()>, Vec<u8>)>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("shared", &self.shared)
            .finish_non_exhaustive()
    }
}

/// The body of one HTTP/2 response, as DATA frames arrive.
pub(crate) struct RecvBody {
    stream: RecvStream,
    /// Bytes of the last DATA frame not read yet.
    leftover: Bytes,
    /// Counts the stream as open until the body is done with.
    _slot: StreamSlot,
}

impl Session {
    /// Starts HTTP/2 on a stream that just negotiated it: sends the preface and settings. The
    /// session owns the stream from then on.
    pub(crate) fn start(stream: BufStream, timeout: Option<Duration>) -> Result<Session> {
        let pipe = Pipe::default();
        let mut handshake = Box::pin(
            h2::client::Builder::new()
                .initial_window_size(STREAM_WINDOW)
                .initial_connection_window_size(CONNECTION_WINDOW)
                .max_frame_size(MAX_FRAME)
                .enable_push(false)
                .handshake::<_, Bytes>(pipe.clone()),
        );
        let mut waker_cx = std::task::Context::from_waker(std::task::Waker::noop());
        // The handshake only queues the preface: it is ready at once with the in-memory pipe.
        let (requests, connection) = match handshake.as_mut().poll(&mut waker_cx) {
            Poll::Ready(Ok(started)) => started,
            Poll::Ready(Err(e)) => return Err(aborted(Stop::H2(e), timeout)),
            Poll::Pending => {
                return Err(Error::new(
                    ErrorKind::Protocol,
                    "the HTTP/2 handshake did not start",
                ))
            }
        };
        let shared = Shared::new(connection, pipe, stream, requests.clone())
            .map_err(Error::connection_aborted)?;
        shared
            .poll_idle(timeout)
            .map_err(|e| aborted(Stop::Io(e), timeout))?;
        Ok(Session {
            shared: Arc::new(shared),
            requests,
            awaiting: None,
            resend: None,
        })
    }

    /// Another handle on the same connection, for another request at the same time.
    pub(crate) fn share(&self) -> Session {
        Session {
            shared: Arc::clone(&self.shared),
            requests: self.requests.clone(),
            awaiting: None,
            resend: None,
        }
    }

    /// Whether the connection can carry no more requests: the server sent GOAWAY, closed it,
    /// or broke the protocol.
    pub(crate) fn has_ended(&self) -> bool {
        self.shared.has_ended()
    }

    /// Whether the connection is gone: ended, going away, or its socket closed. What arrived
    /// while it was idle is taken in first, since that may be the server's GOAWAY.
    pub(crate) fn is_dropped(&self) -> bool {
        self.shared.catch_up();
        self.has_ended() || self.shared.peer_closed()
    }

    /// The socket under the connection (shared by every handle).
    pub(crate) fn socket(&self) -> Option<&std::net::TcpStream> {
        self.shared.socket()
    }

    /// Sends a request and its body. `write_timeout` bounds each socket write, and also each
    /// wait for the server (to open a stream slot or its flow-control window).
    pub(crate) fn send(
        &mut self,
        request: &Request<'_>,
        body: &mut Body,
        write_timeout: Option<Duration>,
    ) -> Result<()> {
        let head = request::build(request, body)?;
        let fail = |stop| aborted(stop, write_timeout);
        let end_now = body.content_length() == Some(0) && !request.chunked;
        let slot = self.shared.open_stream();
        self.resend = kept_to_resend(body, end_now).map(|kept| (copy_head(&head), kept));
        let (response, mut sending) = self.open(head, end_now, write_timeout).map_err(fail)?;
        self.awaiting = Some((response, slot));
        if end_now {
            return Ok(());
        }
        self.send_body(&mut sending, body, write_timeout)
            .map_err(fail)?;
        // h2 only queued the body's last frames: they go out now.
        self.shared
            .poll_idle(write_timeout)
            .map_err(|e| fail(Stop::Io(e)))
    }

    /// Opens a stream with `head` once h2 has room for it, in the same turn: the headers go
    /// out before `drive` returns, so a request without a body is on the wire when this
    /// returns, as an HTTP/1.1 request is.
    fn open(
        &mut self,
        head: http::Request<()>,
        end_now: bool,
        timeout: Option<Duration>,
    ) -> std::result::Result<(ResponseFuture, SendStream<Bytes>), Stop> {
        let mut head = Some(head);
        let requests = &mut self.requests;
        self.shared.drive(timeout, |cx| {
            std::task::ready!(requests.poll_ready(cx))?;
            Poll::Ready(match head.take() {
                Some(head) => requests.send_request(head, end_now),
                // Polled again after sending (drive stops at the first Ready): never.
                None => Err(h2::Reason::INTERNAL_ERROR.into()),
            })
        })
    }

    /// Sends a refused request again (see `resend`).
    fn send_again(
        &mut self,
        head: http::Request<()>,
        body: &[u8],
        timeout: Option<Duration>,
    ) -> std::result::Result<ResponseFuture, Stop> {
        let (response, mut sending) = self.open(head, body.is_empty(), timeout)?;
        if !body.is_empty() {
            self.send_piece(&mut sending, body, true, timeout)?;
            self.shared.poll_idle(timeout).map_err(Stop::Io)?;
        }
        Ok(response)
    }

    /// Sends the body as the server's flow-control windows allow. A server that answers early
    /// and closes the stream (a 413 to a large upload) ends the sending, not the request: its
    /// response is read next, as over HTTP/1.1.
    fn send_body(
        &self,
        sending: &mut SendStream<Bytes>,
        body: &mut Body,
        timeout: Option<Duration>,
    ) -> std::result::Result<(), Stop> {
        match body {
            Body::Empty => sending.send_data(Bytes::new(), true).map_err(Stop::H2),
            Body::Bytes(bytes) if bytes.is_empty() => {
                sending.send_data(Bytes::new(), true).map_err(Stop::H2)
            }
            Body::Bytes(bytes) => self.send_piece(sending, bytes, true, timeout).map(drop),
            Body::Reader { reader, .. } => {
                let mut block = vec![0u8; SEND_CHUNK];
                loop {
                    let read = match reader.read(&mut block) {
                        Ok(n) => n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(Stop::Io(e)),
                    };
                    if read == 0 {
                        return sending.send_data(Bytes::new(), true).map_err(Stop::H2);
                    }
                    if !self.send_piece(sending, &block[..read], false, timeout)? {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Sends `piece` (ending the stream after it when `last`); false when the server closed
    /// the stream first.
    fn send_piece(
        &self,
        sending: &mut SendStream<Bytes>,
        mut piece: &[u8],
        last: bool,
        timeout: Option<Duration>,
    ) -> std::result::Result<bool, Stop> {
        while !piece.is_empty() {
            sending.reserve_capacity(piece.len().min(SEND_CHUNK));
            let granted = self
                .shared
                .drive(timeout, |cx| match sending.poll_capacity(cx) {
                    Poll::Ready(Some(Ok(0))) | Poll::Pending => Poll::Pending,
                    Poll::Ready(Some(result)) => Poll::Ready(result.map(Some)),
                    Poll::Ready(None) => Poll::Ready(Ok(None)),
                })?;
            let Some(n) = granted else {
                return Ok(false);
            };
            let n = n.min(piece.len());
            let end = last && n == piece.len();
            sending
                .send_data(Bytes::copy_from_slice(&piece[..n]), end)
                .map_err(Stop::H2)?;
            piece = &piece[n..];
        }
        Ok(true)
    }

    /// Reads the head of the response to the request sent last.
    pub(crate) fn receive(
        &mut self,
        read_timeout: Option<Duration>,
    ) -> Result<(ResponseHead, RecvBody)> {
        let (mut awaiting, slot) = self.awaiting.take().ok_or_else(|| {
            Error::new(
                ErrorKind::Protocol,
                "no HTTP/2 request is waiting for a response",
            )
        })?;
        let mut resends = 0;
        let response = loop {
            let answer = self.shared.drive(read_timeout, |cx| {
                std::pin::Pin::new(&mut awaiting).poll(cx)
            });
            let resend = match &answer {
                Err(Stop::H2(e)) if refused_unprocessed(e) && resends < RESENDS_WHEN_REFUSED => {
                    self.resend
                        .as_ref()
                        .map(|(head, body)| (copy_head(head), body.clone()))
                }
                _ => None,
            };
            let Some((head, body)) = resend else {
                break answer.map_err(|stop| aborted(stop, read_timeout))?;
            };
            resends += 1;
            log::debug!("HTTP/2 stream refused unprocessed; sending the request again");
            awaiting = self
                .send_again(head, &body, read_timeout)
                .map_err(|stop| aborted(stop, read_timeout))?;
        };
        self.resend = None;
        let (parts, body) = response.into_parts();
        let mut headers = HeaderMap::with_capacity(parts.headers.len());
        for (name, value) in &parts.headers {
            headers.append(name.as_str(), latin1(value.as_bytes()));
        }
        let head = ResponseHead {
            status: parts.status.as_u16(),
            reason: parts.status.canonical_reason().unwrap_or("").to_owned(),
            version: Version::Http2,
            headers,
            unparsed: None,
        };
        Ok((
            head,
            RecvBody {
                stream: body,
                leftover: Bytes::new(),
                _slot: slot,
            },
        ))
    }

    /// Reads body bytes into `out`, waiting at most `read_timeout` for the server; 0 at the
    /// end of the body. The bytes read are given back to the server's send window at once, so
    /// it keeps sending while the caller consumes.
    pub(crate) fn read_body(
        &self,
        body: &mut RecvBody,
        out: &mut [u8],
        read_timeout: Option<Duration>,
    ) -> io::Result<usize> {
        if body.leftover.is_empty() {
            // The frame that ended the stream is in (with the last data, most often): the end
            // is known without running the connection, whose lock every stream's thread wants.
            if body.stream.is_end_stream() {
                return Ok(0);
            }
            let frame = self.shared.drive(read_timeout, |cx| {
                body.stream.poll_data(cx).map(Option::transpose)
            });
            match frame {
                Ok(Some(data)) => {
                    let _ = body.stream.flow_control().release_capacity(data.len());
                    body.leftover = data;
                }
                Ok(None) => return Ok(0),
                Err(Stop::Io(e)) => return Err(e),
                Err(Stop::H2(e)) => return Err(io::Error::other(e)),
                Err(Stop::Ended) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the HTTP/2 connection closed before the end of the body",
                    ))
                }
            }
        }
        let n = out.len().min(body.leftover.len());
        out[..n].copy_from_slice(&body.leftover[..n]);
        body.leftover = body.leftover.slice(n..);
        Ok(n)
    }

    /// Whether a new stream would fit under the server's limit now.
    pub(crate) fn has_room(&self) -> bool {
        self.shared.has_room()
    }
}

/// Whether the server reset a stream without processing its request (not a GOAWAY's doing,
/// which ends the connection for new streams).
fn refused_unprocessed(e: &h2::Error) -> bool {
    e.reason() == Some(h2::Reason::REFUSED_STREAM) && e.is_remote() && !e.is_go_away()
}

/// What of a request's body is kept to send it again if the server refuses its stream:
/// nothing for a request without one, a copy of a small one in memory; None (no resending)
/// for a body read from a stream or a large one.
fn kept_to_resend(body: &Body, end_now: bool) -> Option<Vec<u8>> {
    match body {
        _ if end_now => Some(Vec::new()),
        Body::Bytes(bytes) if bytes.len() <= SEND_CHUNK => Some(bytes.to_vec()),
        _ => None,
    }
}

/// A copy of a request head (`http::Request` is not `Clone`).
fn copy_head(head: &http::Request<()>) -> http::Request<()> {
    let mut copy = http::Request::new(());
    *copy.method_mut() = head.method().clone();
    *copy.uri_mut() = head.uri().clone();
    *copy.version_mut() = head.version();
    *copy.headers_mut() = head.headers().clone();
    copy
}

/// A failure before the response head: urllib3's classes for the same failure on HTTP/1.1.
fn aborted(stop: Stop, timeout: Option<Duration>) -> Error {
    match stop {
        Stop::Io(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            Error::read_timeout(timeout).with_source(e)
        }
        Stop::Io(e) => Error::connection_aborted(e),
        Stop::H2(e) => Error::connection_aborted(e),
        Stop::Ended => Error::connection_aborted(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "the HTTP/2 connection ended",
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};
    use std::sync::mpsc;

    use super::*;
    use crate::connection::Transport;

    /// An HTTP/2 frame: 24-bit length, type, flags, stream id, payload.
    fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let len = u32::try_from(payload.len()).unwrap().to_be_bytes();
        let mut out = vec![len[1], len[2], len[3], kind, flags];
        out.extend_from_slice(&stream.to_be_bytes());
        out.extend_from_slice(payload);
        out
    }

    const SETTINGS: u8 = 4;
    const HEADERS: u8 = 1;
    const DATA: u8 = 0;
    const GOAWAY: u8 = 7;
    const END_STREAM: u8 = 1;
    const END_HEADERS: u8 = 4;
    const ACK: u8 = 1;
    /// HPACK for `:status: 200`: index 8 of the static table.
    const STATUS_200: &[u8] = &[0x88];

    /// A session over loopback TCP with a scripted server: the frames sent on the returned
    /// channel are written to the client, in order.
    fn scripted() -> (Session, mpsc::Sender<Vec<u8>>, std::thread::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        let (next, step) = mpsc::channel::<Vec<u8>>();
        let serving = std::thread::spawn(move || {
            for bytes in step {
                server.write_all(&bytes).unwrap();
            }
        });
        let timeout = Some(Duration::from_secs(5));
        let session = Session::start(BufStream::new(Transport::Tcp(client)), timeout).unwrap();
        (session, next, serving)
    }

    /// Blocks until the client's socket has bytes to read: what the script sent has arrived.
    fn arrived(session: &Session) {
        let mut probe = [0u8; 1];
        assert_eq!(session.socket().unwrap().peek(&mut probe).unwrap(), 1);
    }

    #[test]
    fn an_idle_connection_sees_a_goaway_that_came_while_nobody_read() {
        let (mut session, next, serving) = scripted();
        let headers = HeaderMap::new();
        let request = Request {
            method: "GET",
            target: "/",
            host: "localhost",
            headers: &headers,
            chunked: false,
            user_agent: "test",
        };
        session.send(&request, &mut Body::Empty, None).unwrap();
        let mut reply = frame(SETTINGS, 0, 0, &[]);
        reply.extend(frame(SETTINGS, ACK, 0, &[]));
        reply.extend(frame(HEADERS, END_HEADERS, 1, STATUS_200));
        reply.extend(frame(DATA, END_STREAM, 1, b"ok"));
        next.send(reply).unwrap();
        let (head, mut body) = session.receive(None).unwrap();
        assert_eq!(head.status, 200);
        let mut out = [0u8; 8];
        assert_eq!(session.read_body(&mut body, &mut out, None).unwrap(), 2);
        assert_eq!(session.read_body(&mut body, &mut out, None).unwrap(), 0);
        drop(body);
        assert!(!session.is_dropped());

        // GOAWAY, last stream 1, no error: the server closes the connection gracefully.
        next.send(frame(GOAWAY, 0, 0, &[0, 0, 0, 1, 0, 0, 0, 0]))
            .unwrap();
        arrived(&session);
        assert!(session.is_dropped());
        drop(next);
        serving.join().unwrap();
    }

    #[test]
    fn a_connection_in_use_is_asked_about_without_waiting_for_it() {
        let (session, next, serving) = scripted();
        next.send(frame(SETTINGS, 0, 0, &[])).unwrap();
        arrived(&session);
        // A thread in the middle of a long socket write holds the lock; from Python, its
        // signal check then waits for the GIL, which whoever asks is_dropped() may hold.
        let busy = session.shared.hold();
        let asking = session.share();
        let (answer, answered) = mpsc::channel();
        std::thread::spawn(move || answer.send(asking.is_dropped()));
        let answered = answered.recv_timeout(Duration::from_secs(10));
        drop(busy);
        assert_eq!(answered, Ok(false));
        drop(next);
        serving.join().unwrap();
    }
}
