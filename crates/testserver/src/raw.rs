//! A scripted server for wire-level tests: it records each request's exact
//! bytes and answers with prepared reply bytes.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;

use crate::faults;
use crate::request::{BodyMode, ReadError, Reader};
use crate::server::{self, ServerThread, Transport};

/// How long `wait_received` waits before giving up.
const WAIT_CAP: Duration = Duration::from_secs(10);

/// What happens to the connection after a scripted reply was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Then {
    /// Close the connection (FIN).
    Close,
    /// Keep the connection and answer its next request with the next reply.
    KeepAlive,
    /// Keep the socket open without writing more, until the client closes it
    /// or the server is dropped.
    Stall,
    /// Close with SO_LINGER 0, so the client sees a connection reset.
    Reset,
}

/// One scripted reply: bytes sent verbatim, then what to do with the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// Exactly what is written to the socket (may be empty).
    pub bytes: Vec<u8>,
    /// What happens after the bytes were written.
    pub then: Then,
}

impl Reply {
    /// Sends `bytes`, then closes the connection.
    pub fn close(bytes: impl Into<Vec<u8>>) -> Reply {
        Reply::new(bytes, Then::Close)
    }

    /// Sends `bytes` and keeps the connection for the next request.
    pub fn keep_alive(bytes: impl Into<Vec<u8>>) -> Reply {
        Reply::new(bytes, Then::KeepAlive)
    }

    /// Sends `bytes`, then holds the connection open silently.
    pub fn stall(bytes: impl Into<Vec<u8>>) -> Reply {
        Reply::new(bytes, Then::Stall)
    }

    /// Sends `bytes`, then resets the connection.
    pub fn reset(bytes: impl Into<Vec<u8>>) -> Reply {
        Reply::new(bytes, Then::Reset)
    }

    /// Sends `bytes`, then does what `then` says.
    pub fn new(bytes: impl Into<Vec<u8>>, then: Then) -> Reply {
        Reply {
            bytes: bytes.into(),
            then,
        }
    }
}

/// State shared between the test thread and the server's connections.
#[derive(Default)]
struct Script {
    state: Mutex<ScriptState>,
    changed: Condvar,
}

#[derive(Default)]
struct ScriptState {
    replies: VecDeque<Reply>,
    received: Vec<Vec<u8>>,
    closed: usize,
}

impl Script {
    /// Records a request and hands out the reply for it (none when the
    /// script has run out).
    fn exchange(&self, request: Vec<u8>) -> Option<Reply> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.received.push(request);
        self.changed.notify_all();
        state.replies.pop_front()
    }

    fn record(&self, request: Vec<u8>) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.received.push(request);
        self.changed.notify_all();
    }

    fn connection_closed(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.closed += 1;
        self.changed.notify_all();
    }

    /// Waits until `done` holds for the state, for at most [`WAIT_CAP`].
    fn wait_for(&self, what: &str, done: impl Fn(&ScriptState) -> bool) -> Vec<Vec<u8>> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (state, _) = self
            .changed
            .wait_timeout_while(state, WAIT_CAP, |s| !done(s))
            .unwrap_or_else(|e| e.into_inner());
        assert!(
            done(&state),
            "RawServer: waited {WAIT_CAP:?} for {what}: {} requests received, {} connections closed",
            state.received.len(),
            state.closed
        );
        state.received.clone()
    }
}

/// A plain-TCP server on 127.0.0.1 that answers requests from a script.
///
/// For each connection it reads one request (head and body, framed by
/// Content-Length or chunked), records the exact bytes, and writes the next
/// scripted [`Reply`]; the reply's [`Then`] decides whether the connection
/// closes or serves the next request. Bytes that do not parse as a request
/// are recorded as they are and still answered; a connection closed in the
/// middle of a request records the partial bytes. When the script runs out,
/// connections are closed after their request is recorded.
pub struct RawServer {
    addr: SocketAddr,
    script: Arc<Script>,
    _thread: ServerThread,
}

impl RawServer {
    /// Starts the server on a random free port.
    pub fn start(replies: Vec<Reply>) -> RawServer {
        let script = Arc::new(Script::default());
        script
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .replies = replies.into();
        let served = Arc::clone(&script);
        let (thread, addr) = ServerThread::spawn("raw-server", 0, move |listener| {
            accept_loop(listener, served)
        })
        .expect("start RawServer");
        RawServer {
            addr,
            script,
            _thread: thread,
        }
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The listening port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The exact bytes of each request received so far, in order.
    pub fn received(&self) -> Vec<Vec<u8>> {
        let state = self.script.state.lock().unwrap_or_else(|e| e.into_inner());
        state.received.clone()
    }

    /// Waits until at least `n` requests were received and returns them all.
    ///
    /// # Panics
    /// After 10 seconds without `n` requests, so a broken test fails instead
    /// of hanging.
    pub fn wait_received(&self, n: usize) -> Vec<Vec<u8>> {
        self.script
            .wait_for(&format!("{n} requests"), |s| s.received.len() >= n)
    }

    /// Waits until the server has closed (or seen closed) `n` connections.
    ///
    /// # Panics
    /// After 10 seconds with fewer, so a broken test fails instead of hanging.
    pub fn wait_closed(&self, n: usize) {
        self.script
            .wait_for(&format!("{n} closed connections"), |s| s.closed >= n);
    }
}

async fn accept_loop(listener: TcpListener, script: Arc<Script>) {
    loop {
        let (stream, _) = server::accept(&listener).await;
        let script = Arc::clone(&script);
        tokio::spawn(async move {
            serve(stream, Arc::clone(&script)).await;
            script.connection_closed();
        });
    }
}

/// Serves one connection from the script.
async fn serve<S: Transport>(mut io: S, script: Arc<Script>) {
    let mut reader = Reader::new();
    loop {
        let request = match read_request(&mut reader, &mut io).await {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return,
            Err(partial) => {
                if !partial.is_empty() {
                    script.record(partial);
                }
                return;
            }
        };
        let Some(reply) = script.exchange(request) else {
            return faults::conclude(io, Then::Close).await;
        };
        if faults::send(&mut io, &reply.bytes).await.is_err() {
            return;
        }
        if reply.then != Then::KeepAlive {
            return faults::conclude(io, reply.then).await;
        }
    }
}

/// Reads one request and returns its bytes; `Ok(None)` on a clean close.
/// Unparseable bytes are returned as a request; a connection closed
/// mid-request gives `Err` with the partial bytes.
async fn read_request<S: Transport>(
    reader: &mut Reader,
    io: &mut S,
) -> Result<Option<Vec<u8>>, Vec<u8>> {
    let result = match reader.read_head(io).await {
        Ok(false) => return Ok(None),
        Ok(true) => reader.read_body(io, BodyMode::Keep).await,
        Err(e) => Err(e),
    };
    let local: SocketAddr = ([127, 0, 0, 1], 0).into();
    match result {
        Ok(()) => Ok(Some(reader.request(local).raw().to_vec())),
        Err(ReadError::Malformed(_) | ReadError::HeadTooLarge | ReadError::BodyTooLarge) => {
            Ok(Some(reader.take_unfinished()))
        }
        Err(ReadError::Eof | ReadError::Io) => Err(reader.take_unfinished()),
    }
}
