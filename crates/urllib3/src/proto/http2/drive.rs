//! Running the h2 crate without an async runtime, for any number of threads at once.
//!
//! h2 is written against `AsyncRead + AsyncWrite`. Here its I/O object is a [`Pipe`]: two
//! in-memory queues that never block. The threads using the connection move bytes between the
//! pipe and the real transport (with the connection's timeouts, TLS and interrupt checks), and
//! poll h2's futures in between, so HTTP/2 runs on the threads that asked for it, with the GIL
//! released and no thread or runtime of its own.
//!
//! Many threads share one connection: h2 and the transport sit behind one lock, which a thread
//! holds only to poll h2 and to move bytes that are there to move. When every thread's step is
//! waiting for the server, one of them (the reader) waits for the socket to become readable
//! *without* the lock, so the others can still send; it then reads what arrived for everyone,
//! and h2 wakes the threads whose streams moved.

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::net::TcpStream;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, TryLockError};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use h2::client::SendRequest;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::connection::wait::check_interrupt;
use crate::connection::BufStream;

/// The read buffer's limit for `fill_more`. Every read is handed to h2 and the buffer emptied,
/// so a read takes at most the buffer's 64 KiB and this is never reached.
const READ_AHEAD: usize = 256 * 1024;
/// The longest a waiting thread (the reader in its socket wait, the others on their condition
/// variables) goes without looking at its flag again. h2 wakes some futures from outside the
/// lock (a stream dropped elsewhere frees window or a stream slot): such a wake-up is seen
/// within this time even when its notification is missed.
const RECHECK: Duration = Duration::from_millis(100);
/// How long taking in bytes that already arrived may wait for the rest of a TLS record.
const CATCH_UP_WAIT: Duration = Duration::from_millis(50);

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

/// Wakes the thread whose future h2 said can move on, and only that one: each waiting
/// thread waits on its own condition variable (with the connection's lock).
#[derive(Debug, Default)]
struct Wakeup {
    woken: AtomicBool,
    ring: Condvar,
}

impl Wake for Wakeup {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        let held = HELD_RINGS.with(|held| match held.borrow_mut().as_mut() {
            Some(rings) => {
                rings.push(Arc::clone(self));
                true
            }
            None => false,
        });
        if !held {
            self.ring.notify_one();
        }
    }
}

thread_local! {
    /// While this thread drives a connection, the wake-ups h2 makes on it (with the lock held,
    /// as it takes in frames for other streams) are held here and rung once the lock is let
    /// go: a thread rung earlier would only wake to wait for the lock, and sleep again.
    static HELD_RINGS: RefCell<Option<Vec<Arc<Wakeup>>>> = const { RefCell::new(None) };
}

/// Rings the wake-ups held so far (see `HELD_RINGS`).
fn ring_held() {
    let rings = HELD_RINGS.with(|held| held.borrow_mut().as_mut().map(std::mem::take));
    for wakeup in rings.into_iter().flatten() {
        wakeup.ring.notify_one();
    }
}

/// Holds this thread's wake-ups until dropped (or `ring_held`), then rings them.
struct HoldRings;

impl HoldRings {
    fn start() -> Self {
        HELD_RINGS.with(|held| *held.borrow_mut() = Some(Vec::new()));
        HoldRings
    }
}

impl Drop for HoldRings {
    fn drop(&mut self) {
        ring_held();
        HELD_RINGS.with(|held| *held.borrow_mut() = None);
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

/// One HTTP/2 connection, shared by every [`super::Session`] on it.
pub(crate) struct Shared {
    state: Mutex<State>,
    /// The socket under every layer, to wait on without holding the lock. `None` for a
    /// transport without one (then the reader waits in the read itself).
    socket: Option<TcpStream>,
    /// Streams sent and not finished, against the server's concurrency limit.
    open_streams: AtomicUsize,
    /// The server's limit on concurrent streams, as of the last poll.
    max_streams: AtomicUsize,
    /// The server sent GOAWAY (or the connection failed): it takes no new streams, though
    /// those it still serves go on until they end.
    going_away: AtomicBool,
    /// `State::ended`, readable without the lock.
    ended: AtomicBool,
}

/// What the lock guards: h2's connection state, its pipe, and the transport.
struct State {
    connection: h2::client::Connection<Pipe, Bytes>,
    pipe: Pipe,
    stream: BufStream,
    /// A handle to read the server's settings with.
    requests: SendRequest<Bytes>,
    /// The h2 connection finished (GOAWAY handled, error, or the server closed).
    ended: bool,
    /// A thread is waiting for the socket on everyone's behalf.
    reading: bool,
    /// The threads waiting for the reader's news, oldest first.
    waiting: Vec<Arc<Wakeup>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("open_streams", &self.open_streams.load(Ordering::Relaxed))
            .field("ended", &self.has_ended())
            .finish_non_exhaustive()
    }
}

impl Shared {
    pub(super) fn new(
        connection: h2::client::Connection<Pipe, Bytes>,
        pipe: Pipe,
        stream: BufStream,
        requests: SendRequest<Bytes>,
    ) -> io::Result<Self> {
        let socket = stream
            .transport()
            .tcp()
            .map(TcpStream::try_clone)
            .transpose()?;
        let max_streams = requests.current_max_send_streams();
        Ok(Shared {
            state: Mutex::new(State {
                connection,
                pipe,
                stream,
                requests,
                ended: false,
                reading: false,
                waiting: Vec::new(),
            }),
            socket,
            open_streams: AtomicUsize::new(0),
            max_streams: AtomicUsize::new(max_streams),
            going_away: AtomicBool::new(false),
            ended: AtomicBool::new(false),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update under the lock is a poll of h2 or a whole read or write: a panic in
        // one leaves nothing half-done that the next holder could trip on.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Holds the lock as a thread using the connection does, until the result is dropped.
    #[cfg(test)]
    pub(super) fn hold(&self) -> impl Sized + '_ {
        self.lock()
    }

    /// Whether the connection can no longer carry requests. Never waits for the lock: a
    /// thread that holds it may be blocked in a socket write, waiting in turn for Python's
    /// GIL to run its signal check, which the caller here may hold.
    pub(super) fn has_ended(&self) -> bool {
        self.going_away.load(Ordering::Acquire) || self.ended.load(Ordering::Acquire)
    }

    /// Whether the server would take one more stream now.
    pub(super) fn has_room(&self) -> bool {
        self.open_streams.load(Ordering::Acquire) < self.max_streams.load(Ordering::Acquire)
    }

    /// Counts a stream as open until the returned guard is dropped.
    pub(super) fn open_stream(self: &Arc<Self>) -> StreamSlot {
        self.open_streams.fetch_add(1, Ordering::AcqRel);
        StreamSlot(Arc::clone(self))
    }

    /// The socket under the connection, for its address and descriptor.
    pub(super) fn socket(&self) -> Option<&TcpStream> {
        self.socket.as_ref()
    }

    /// Whether the server closed the socket or it failed (bytes waiting do not count).
    pub(super) fn peer_closed(&self) -> bool {
        let Some(socket) = &self.socket else {
            return true;
        };
        match crate::connection::peek_now(socket) {
            Ok(n) => n == 0,
            Err(e) => e.kind() != io::ErrorKind::WouldBlock,
        }
    }

    /// Polls `step` until it is ready, running the connection and the transport meanwhile.
    /// `timeout` bounds each write, and the whole wait for the server.
    pub(super) fn drive<T>(
        &self,
        timeout: Option<Duration>,
        mut step: impl FnMut(&mut Context<'_>) -> Poll<Result<T, h2::Error>>,
    ) -> Result<T, Stop> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let wakeup = Arc::new(Wakeup::default());
        let waker = Waker::from(Arc::clone(&wakeup));
        let mut cx = Context::from_waker(&waker);
        // Declared before the lock's guard, so dropped after it.
        let _rings = HoldRings::start();
        let mut turn = PassTurn::new(self);
        let mut state = self.lock();
        loop {
            wakeup.woken.store(false, Ordering::Release);
            let polled = step(&mut cx);
            // Whatever the step queued (headers, data, a window update) is framed and sent now.
            self.poll_connection(&mut state, &mut cx);
            if let Err(e) = self.flush(&mut state, timeout) {
                turn.pick(&state);
                // An answer that did arrive is still this step's; the write failed for all.
                return match polled {
                    Poll::Ready(result) => result.map_err(|e| self.failed(e)),
                    Poll::Pending => Err(Stop::Io(e)),
                };
            }
            match polled {
                Poll::Ready(result) => {
                    turn.pick(&state);
                    return result.map_err(|e| self.failed(e));
                }
                // Something changed that the step may be waiting on: poll again before
                // waiting for the server.
                Poll::Pending if wakeup.woken.load(Ordering::Acquire) => continue,
                Poll::Pending if state.ended => {
                    turn.pick(&state);
                    return Err(Stop::Ended);
                }
                Poll::Pending if state.reading => {
                    state = self
                        .wait_for_news(state, &wakeup, deadline)
                        .map_err(|e| self.retire(e))?;
                }
                Poll::Pending => {
                    state = self
                        .read_for_all(state, &wakeup, deadline)
                        .map_err(|e| self.retire(e))?;
                }
            }
        }
    }

    /// An error h2 gave a step. h2 has no getter for a GOAWAY received: the first stream it
    /// fails because of one tells, and the connection is then not offered for new ones.
    pub(super) fn failed(&self, e: h2::Error) -> Stop {
        if e.is_go_away() {
            self.going_away.store(true, Ordering::Release);
        }
        Stop::H2(e)
    }

    /// A wait that timed out or a socket that failed: as urllib3 does with a connection after
    /// such an error, no new request is given this one (the streams on it go on). A server
    /// gone silent would otherwise take every retry.
    fn retire(&self, e: Stop) -> Stop {
        self.going_away.store(true, Ordering::Release);
        e
    }

    /// Runs the connection without waiting: takes in what already arrived (a settings
    /// acknowledgement, a window update, a GOAWAY) and sends what h2 has to say.
    pub(super) fn poll_idle(&self, timeout: Option<Duration>) -> io::Result<()> {
        let waker = Waker::from(Arc::new(Wakeup::default()));
        let mut state = self.lock();
        self.poll_connection(&mut state, &mut Context::from_waker(&waker));
        self.flush(&mut state, timeout)
    }

    /// Writes what h2 queued. A write that fails leaves the server with part of a frame (h2
    /// counts it all as sent), so the connection is over for every stream.
    fn flush(&self, state: &mut State, timeout: Option<Duration>) -> io::Result<()> {
        let written = state.flush(timeout);
        if written.is_err() {
            self.give_up(state);
        }
        written
    }

    /// Ends the connection: no stream goes on, and no new one is started on it.
    fn give_up(&self, state: &mut State) {
        state.ended = true;
        self.ended.store(true, Ordering::Release);
        self.going_away.store(true, Ordering::Release);
        for waiter in &state.waiting {
            waiter.ring.notify_one();
        }
    }

    fn poll_connection(&self, state: &mut State, cx: &mut Context<'_>) {
        if state.ended {
            return;
        }
        if let Poll::Ready(result) = Pin::new(&mut state.connection).poll(cx) {
            if let Err(e) = result {
                log::debug!("HTTP/2 connection ended: {e}");
            }
            // Nobody will read for a connection that is over: every waiter is woken to see it.
            self.give_up(state);
            return;
        }
        self.max_streams
            .store(state.requests.current_max_send_streams(), Ordering::Release);
        // h2 has no getter for a GOAWAY received, but refuses to open streams after one (or
        // after a failure, or once stream ids run out): no new request is given this one.
        if let Poll::Ready(Err(_)) = state.requests.poll_ready(cx) {
            self.going_away.store(true, Ordering::Release);
        }
    }

    /// Takes in what arrived while nobody was reading (a GOAWAY, a PING), without waiting
    /// for more: an idle connection learns that the server is closing it before a request
    /// is sent on it.
    pub(super) fn catch_up(&self) {
        let Some(socket) = &self.socket else {
            return;
        };
        // With streams in flight, what arrived is theirs, and their threads read it; reading
        // it here would do their work on the caller's thread (in Python, with the GIL held).
        if self.open_streams.load(Ordering::Acquire) > 0 {
            return;
        }
        if !matches!(crate::connection::peek_now(socket), Ok(n) if n > 0) {
            return;
        }
        // Never waits for the lock (see `has_ended`): whoever holds it is using the
        // connection, and takes these bytes in.
        let mut state = match self.state.try_lock() {
            Ok(state) => state,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => return,
        };
        if state.reading || state.ended {
            return; // the reader takes these bytes in, or nobody needs them
        }
        // Bytes are waiting, so the read returns at once; only a TLS record cut short waits,
        // and not for long.
        if state.stream.set_read_timeout(Some(CATCH_UP_WAIT)).is_err() || state.fill().is_err() {
            return;
        }
        let waker = Waker::from(Arc::new(Wakeup::default()));
        self.poll_connection(&mut state, &mut Context::from_waker(&waker));
        // What h2 has to say back (a PING's acknowledgement) goes with the next request:
        // a write here could block, or fail on a deadline that is nobody's.
    }

    /// Waits while another thread reads, until h2 wakes this thread's future, the reader's
    /// turn is free, or the deadline passes.
    fn wait_for_news<'a>(
        &'a self,
        mut state: MutexGuard<'a, State>,
        wakeup: &Arc<Wakeup>,
        deadline: Option<Instant>,
    ) -> Result<MutexGuard<'a, State>, Stop> {
        state.waiting.push(Arc::clone(wakeup));
        // The wait lets the lock go at once: those rung now find it free.
        ring_held();
        let mut timed_out = false;
        while state.reading && !state.ended && !wakeup.woken.load(Ordering::Acquire) {
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if left == Some(Duration::ZERO) {
                timed_out = true;
                break;
            }
            let wait = recheck_within(left);
            (state, _) = wakeup
                .ring
                .wait_timeout(state, wait)
                .unwrap_or_else(|p| p.into_inner());
        }
        state.waiting.retain(|waiter| !Arc::ptr_eq(waiter, wakeup));
        if timed_out {
            return Err(Stop::Io(io::ErrorKind::TimedOut.into()));
        }
        Ok(state)
    }

    /// Takes the reader's turn: waits for the socket to be readable with the lock released,
    /// then reads what arrived and hands it to h2.
    fn read_for_all<'a>(
        &'a self,
        mut state: MutexGuard<'a, State>,
        wakeup: &Wakeup,
        deadline: Option<Instant>,
    ) -> Result<MutexGuard<'a, State>, Stop> {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left == Some(Duration::ZERO) {
            return Err(Stop::Io(io::ErrorKind::TimedOut.into()));
        }
        if let (Some(socket), false) = (&self.socket, state.stream.has_unread()) {
            let slice = recheck_within(left);
            state
                .stream
                .set_read_timeout(Some(slice))
                .map_err(Stop::Io)?;
            state.reading = true;
            drop(state);
            ring_held();
            let readable = wait_readable(socket, &wakeup.woken, deadline);
            state = self.lock();
            state.reading = false;
            if !readable.map_err(Stop::Io)? {
                return Ok(state); // woken: the step is polled again
            }
        }
        state.stream.set_read_timeout(left).map_err(Stop::Io)?;
        state.fill().map_err(Stop::Io)?;
        Ok(state)
    }
}

/// Leaving `drive`, whichever way: if nobody is reading, the longest waiter is woken to take
/// the turn, since the thread leaving may have been the reader, or the one a freed turn was
/// meant for. A thread that leaves with the lock held picks the waiter then; one that leaves
/// without it (an error while waiting) takes the lock again to do so. The waiter is woken
/// once the lock is released (this is dropped after the guard), so that it does not wake
/// only to wait for the lock.
struct PassTurn<'a> {
    shared: &'a Shared,
    picked: bool,
    next: Option<Arc<Wakeup>>,
}

impl<'a> PassTurn<'a> {
    fn new(shared: &'a Shared) -> Self {
        PassTurn {
            shared,
            picked: false,
            next: None,
        }
    }

    fn pick(&mut self, state: &State) {
        self.next = if state.reading {
            None
        } else {
            state.waiting.first().cloned()
        };
        self.picked = true;
    }
}

impl Drop for PassTurn<'_> {
    fn drop(&mut self) {
        if !self.picked {
            let state = self.shared.lock();
            self.pick(&state);
        }
        if let Some(next) = self.next.take() {
            next.ring.notify_one();
        }
    }
}

/// A stream counted as open on its connection until dropped.
#[derive(Debug)]
pub(super) struct StreamSlot(Arc<Shared>);

impl Drop for StreamSlot {
    fn drop(&mut self) {
        self.0.open_streams.fetch_sub(1, Ordering::AcqRel);
    }
}

impl State {
    /// Writes what h2 queued.
    fn flush(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        let out = std::mem::take(&mut self.pipe.queues().outbox);
        if out.is_empty() {
            return Ok(());
        }
        self.stream.set_write_timeout(timeout)?;
        self.stream.write_all(&out)?;
        self.stream.flush()
    }

    /// Reads bytes from the server (waiting, when none arrived yet) and hands them to h2. A
    /// transport that failed ends the connection for every stream, not only the reader's.
    fn fill(&mut self) -> io::Result<()> {
        let read = self.stream.fill_more(READ_AHEAD);
        let mut q = self.pipe.queues();
        match &read {
            Ok(0) => q.eof = true,
            Err(e) if !is_timeout(e) => q.eof = true,
            _ => {}
        }
        if q.taken == q.inbox.len() {
            q.inbox.clear();
            q.taken = 0;
        }
        q.inbox.extend_from_slice(self.stream.buffered());
        let buffered = self.stream.buffered().len();
        self.stream.consume(buffered);
        read.map(drop)
    }
}

/// Waits until `socket` has bytes (or its end) to read, without taking them: true then, false
/// when `woken` was set first. The socket's read timeout is the slice after which `woken`
/// (and the embedding program's interrupt check) is looked at again.
fn wait_readable(
    socket: &TcpStream,
    woken: &AtomicBool,
    deadline: Option<Instant>,
) -> io::Result<bool> {
    let mut probe = [0u8; 1];
    loop {
        match socket.peek(&mut probe) {
            Ok(_) => return Ok(true),
            Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {
                check_interrupt()?;
                if woken.load(Ordering::Acquire) {
                    return Ok(false);
                }
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// How long a wait lasts before its flags are looked at again: `RECHECK`, less when the
/// deadline (`left` away) is nearer.
fn recheck_within(left: Option<Duration>) -> Duration {
    left.map_or(RECHECK, |left| left.min(RECHECK))
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
