//! Running the h2 crate without an async runtime.
//!
//! h2 is written against `AsyncRead + AsyncWrite`. Here its I/O object is a [`Pipe`]: two
//! in-memory queues that never block. The caller's thread moves bytes between the pipe and the
//! real transport (with the connection's timeouts, TLS and interrupt checks), and polls h2's
//! futures in between, so HTTP/2 runs on the thread that asked for it, with the GIL released
//! and no thread or runtime of its own. A request blocks only in a socket read or write, as an
//! HTTP/1.1 request does.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::connection::BufStream;

/// Largest read buffered for h2 at once: a few frames of the default 16 KiB size.
const READ_AHEAD: usize = 256 * 1024;

/// h2's side of the transport: what arrived from the server, what is to be sent to it.
#[derive(Clone, Debug, Default)]
pub(super) struct Pipe(Arc<Mutex<Queues>>);

#[derive(Debug, Default)]
struct Queues {
    inbox: Vec<u8>,
    /// How much of `inbox` h2 has read.
    taken: usize,
    /// The server closed its side.
    eof: bool,
    outbox: Vec<u8>,
}

impl Pipe {
    fn queues(&self) -> MutexGuard<'_, Queues> {
        // A panic while the lock was held cannot leave the queues half-updated: every update
        // is a single copy.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl AsyncRead for Pipe {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let mut q = self.queues();
        let available = &q.inbox[q.taken..];
        if available.is_empty() {
            // Pending until the driver reads the socket again; it polls h2 after every read,
            // so no waker is needed here. At the end of the stream, an empty read says EOF.
            return if q.eof {
                Poll::Ready(Ok(()))
            } else {
                Poll::Pending
            };
        }
        let n = available.len().min(buf.remaining());
        buf.put_slice(&available[..n]);
        q.taken += n;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Pipe {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.queues().outbox.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Records that some future asked to be polled again.
#[derive(Debug, Default)]
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::Release);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::Release);
    }
}

/// Why driving stopped short of the step's answer.
#[derive(Debug)]
pub(super) enum Stop {
    /// The transport failed (a timeout included).
    Io(io::Error),
    /// h2 reported an error: the server reset the stream, sent GOAWAY, or broke the protocol.
    H2(h2::Error),
    /// The connection ended while the step still waited.
    Ended,
}

/// The h2 connection state machine with its pipe: the part of a session that moves bytes.
pub(super) struct Driver {
    connection: h2::client::Connection<Pipe, Bytes>,
    pipe: Pipe,
    flag: Arc<Flag>,
    /// The h2 connection finished (GOAWAY handled, error, or the server closed).
    ended: bool,
}

impl Driver {
    pub(super) fn new(connection: h2::client::Connection<Pipe, Bytes>, pipe: Pipe) -> Self {
        Driver {
            connection,
            pipe,
            flag: Arc::default(),
            ended: false,
        }
    }

    /// Whether the connection can no longer carry requests.
    pub(super) fn has_ended(&self) -> bool {
        self.ended
    }

    /// Polls `step` until it is ready, running the connection and the transport meanwhile.
    /// Reads and writes use the stream's timeouts as they are set.
    pub(super) fn drive<T>(
        &mut self,
        stream: &mut BufStream,
        mut step: impl FnMut(&mut Context<'_>) -> Poll<Result<T, h2::Error>>,
    ) -> Result<T, Stop> {
        let waker = Waker::from(self.flag.clone());
        let mut cx = Context::from_waker(&waker);
        loop {
            self.flag.0.store(false, Ordering::Release);
            let polled = step(&mut cx);
            // Whatever the step queued (headers, data, a window update) is framed now.
            self.poll_connection(&mut cx);
            self.flush(stream).map_err(Stop::Io)?;
            match polled {
                Poll::Ready(result) => return result.map_err(Stop::H2),
                // Something changed that the step may be waiting on: poll again before
                // waiting for the server.
                Poll::Pending if self.flag.0.load(Ordering::Acquire) => continue,
                Poll::Pending if self.ended => return Err(Stop::Ended),
                Poll::Pending => self.fill(stream).map_err(Stop::Io)?,
            }
        }
    }

    /// Runs the connection without waiting: takes in what already arrived (a settings
    /// acknowledgement, a window update, a GOAWAY) and sends what h2 has to say.
    pub(super) fn poll_idle(&mut self, stream: &mut BufStream) -> io::Result<()> {
        let waker = Waker::from(self.flag.clone());
        self.poll_connection(&mut Context::from_waker(&waker));
        self.flush(stream)
    }

    fn poll_connection(&mut self, cx: &mut Context<'_>) {
        if self.ended {
            return;
        }
        if let Poll::Ready(result) = Pin::new(&mut self.connection).poll(cx) {
            if let Err(e) = result {
                log::debug!("HTTP/2 connection ended: {e}");
            }
            self.ended = true;
        }
    }

    /// Writes what h2 queued.
    fn flush(&mut self, stream: &mut BufStream) -> io::Result<()> {
        let out = std::mem::take(&mut self.pipe.queues().outbox);
        if out.is_empty() {
            return Ok(());
        }
        stream.write_all(&out)?;
        stream.flush()
    }

    /// Waits for bytes from the server and hands them to h2.
    fn fill(&mut self, stream: &mut BufStream) -> io::Result<()> {
        let n = stream.fill_more(READ_AHEAD)?;
        let mut q = self.pipe.queues();
        if n == 0 {
            q.eof = true;
        }
        if q.taken == q.inbox.len() {
            q.inbox.clear();
            q.taken = 0;
        }
        q.inbox.extend_from_slice(stream.buffered());
        let buffered = stream.buffered().len();
        stream.consume(buffered);
        Ok(())
    }
}
