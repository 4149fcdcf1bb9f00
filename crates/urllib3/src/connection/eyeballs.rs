//! Happy Eyeballs v2 (RFC 8305): connecting to whichever of a host's addresses answers first.
//!
//! A host with a black-holed IPv6 address and a working IPv4 one is common; trying addresses
//! one after another makes every new connection wait out the dead one first (urllib3 issue
//! #797). Instead, the addresses alternate between families, and each attempt runs alone for
//! the Connection Attempt Delay only: if it has not connected by then, the next one starts
//! beside it, and so on. An attempt that fails starts the next at once. The first to connect
//! wins and the others are closed. One deadline, the connect timeout, bounds the whole race.
//!
//! The sockets are non-blocking and waited on together with mio (poll without unsafe code);
//! the wait is sliced like every other socket wait so that an embedding program's interrupt
//! check (Python's signal handlers) runs during it.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use mio::net::TcpStream as PendingStream;
use mio::{Events, Interest, Poll, Token};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use super::tcp::{bind_address, SocketConfig};
use super::wait;

/// At most this many readiness events are taken from one wait; more stay queued for the next.
const EVENTS_PER_WAIT: usize = 16;

/// `addrs` in RFC 8305's order: the families alternate, starting with the family of the
/// resolver's first address (which has already applied the system's RFC 6724 preferences,
/// usually IPv6 first); within a family the resolver's order is kept.
pub(super) fn interleave(addrs: Vec<SocketAddr>) -> Vec<SocketAddr> {
    let Some(first) = addrs.first() else {
        return addrs;
    };
    let first_is_v4 = first.is_ipv4();
    let (preferred, other): (Vec<_>, Vec<_>) =
        addrs.iter().partition(|a| a.is_ipv4() == first_is_v4);
    let mut ordered = Vec::with_capacity(addrs.len());
    let mut other = other.into_iter();
    for addr in preferred {
        ordered.push(addr);
        ordered.extend(other.next());
    }
    ordered.extend(other);
    ordered
}

/// Connects to the first of `addrs` (already in racing order) to answer, starting a new
/// attempt every `config.happy_eyeballs_delay` (zero: only when the previous one failed).
///
/// Fails with the last attempt's error when all failed, or with `TimedOut` at `deadline`.
pub(super) fn race(
    addrs: &[SocketAddr],
    deadline: Option<Instant>,
    config: &SocketConfig,
) -> io::Result<TcpStream> {
    let mut race = Race::new(addrs.len(), config.happy_eyeballs_delay)?;
    let mut queue = addrs.iter();
    let mut last_error = None;
    loop {
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "timed out"));
        }
        if race.may_start(now) {
            if let Some(addr) = queue.next() {
                match start(addr, config) {
                    Ok(Attempt::Connected(stream)) => return Ok(stream),
                    Ok(Attempt::Pending(stream)) => race.add(stream, now)?,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
                    Err(e) => last_error = Some(e),
                }
                continue;
            }
        }
        if race.in_flight == 0 {
            // Nothing left to start or to wait for. The queue cannot be empty with no error
            // recorded (`connect` resolves at least one address), but a timeout is the honest
            // answer if it ever were.
            return Err(
                last_error.unwrap_or_else(|| io::Error::new(io::ErrorKind::TimedOut, "timed out"))
            );
        }
        let more_to_start = queue.len() > 0;
        match race.wait(deadline, more_to_start)? {
            Outcome::Connected(stream) => return Ok(stream),
            Outcome::Failed(e) => last_error = Some(e),
            Outcome::Nothing => {}
        }
    }
}

/// An attempt as it stands once started.
enum Attempt {
    /// Connected at once (some systems do this for loopback).
    Connected(TcpStream),
    /// Connecting in the background.
    Pending(PendingStream),
}

/// Opens a socket for `addr`, configures and binds it as `config` says (options before bind,
/// as urllib3 does, so that `SO_REUSEADDR` and the like take effect), and starts connecting.
fn start(addr: &SocketAddr, config: &SocketConfig) -> io::Result<Attempt> {
    let socket = Socket::new(
        Domain::for_address(*addr),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    if config.nodelay {
        socket.set_tcp_nodelay(true)?;
    }
    if config.keepalive {
        socket.set_keepalive(true)?;
    }
    if let Some(hook) = &config.configure {
        hook.run(&socket)?;
    }
    if let Some(source) = bind_address(config, addr) {
        socket.bind(&SockAddr::from(source))?;
    }
    socket.set_nonblocking(true)?;
    match socket.connect(&SockAddr::from(*addr)) {
        Ok(()) => {
            socket.set_nonblocking(false)?;
            Ok(Attempt::Connected(socket.into()))
        }
        Err(e) if is_in_progress(&e) => {
            Ok(Attempt::Pending(PendingStream::from_std(socket.into())))
        }
        Err(e) => Err(e),
    }
}

/// What one wait of the race produced.
enum Outcome {
    Connected(TcpStream),
    Failed(io::Error),
    /// Time passed, or an attempt made progress that decided nothing.
    Nothing,
}

/// The attempts in flight and the poll that waits on them.
struct Race {
    poll: Poll,
    events: Events,
    /// Indexed by token; `None` once the attempt failed.
    attempts: Vec<Option<PendingStream>>,
    in_flight: usize,
    delay: Duration,
    /// When the next attempt may start although the ones in flight have not failed yet.
    next_start: Option<Instant>,
}

impl Race {
    fn new(addresses: usize, delay: Duration) -> io::Result<Self> {
        Ok(Race {
            poll: Poll::new()?,
            events: Events::with_capacity(addresses.clamp(1, EVENTS_PER_WAIT)),
            attempts: Vec::with_capacity(addresses),
            in_flight: 0,
            delay,
            next_start: None,
        })
    }

    /// Whether another attempt may start now: when none is in flight, or when racing and the
    /// last one has had its delay.
    fn may_start(&self, now: Instant) -> bool {
        self.in_flight == 0 || self.next_start.is_some_and(|at| now >= at)
    }

    fn add(&mut self, mut stream: PendingStream, now: Instant) -> io::Result<()> {
        let token = Token(self.attempts.len());
        self.poll
            .registry()
            .register(&mut stream, token, Interest::WRITABLE)?;
        self.attempts.push(Some(stream));
        self.in_flight += 1;
        // Zero means no racing: the next attempt waits for this one to fail.
        self.next_start = (!self.delay.is_zero()).then(|| now + self.delay);
        Ok(())
    }

    /// Waits until an attempt finishes, the next one is due, or the deadline; a slice of that
    /// when an interrupt check is installed, which then runs if the slice brought nothing.
    fn wait(&mut self, deadline: Option<Instant>, more_to_start: bool) -> io::Result<Outcome> {
        let now = Instant::now();
        let wake = match (deadline, self.next_start.filter(|_| more_to_start)) {
            (Some(d), Some(n)) => Some(d.min(n)),
            (d, n) => d.or(n),
        };
        let timeout = wait::os_timeout(wake.map(|w| w.saturating_duration_since(now)));
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        if self.events.is_empty() {
            wait::check_interrupt()?;
            return Ok(Outcome::Nothing);
        }
        let ready: Vec<usize> = self.events.iter().map(|e| e.token().0).collect();
        let mut outcome = Outcome::Nothing;
        for index in ready {
            let Some(slot) = self.attempts.get_mut(index) else {
                continue;
            };
            let Some(result) = slot.as_ref().and_then(connect_result) else {
                continue;
            };
            let Some(mut stream) = slot.take() else {
                continue;
            };
            match result {
                Ok(()) => {
                    // The poll goes away with the race; deregistering first keeps mio's
                    // bookkeeping tidy on systems where it holds per-socket state. A failure
                    // there does not make the connection any less connected.
                    let _ = self.poll.registry().deregister(&mut stream);
                    let stream = TcpStream::from(stream);
                    stream.set_nonblocking(false)?;
                    return Ok(Outcome::Connected(stream));
                }
                Err(e) => {
                    // Closed here (dropped); the next address starts at once, as RFC 8305
                    // asks when an attempt fails.
                    self.in_flight -= 1;
                    self.next_start = Some(now);
                    outcome = Outcome::Failed(e);
                }
            }
        }
        Ok(outcome)
    }
}

/// How a connecting socket that polled writable stands: `None` while still connecting (a
/// spurious wake-up), else connected or the reason it failed.
fn connect_result(stream: &PendingStream) -> Option<io::Result<()>> {
    match stream.take_error() {
        Ok(Some(e)) | Err(e) => return Some(Err(e)),
        Ok(None) => {}
    }
    match stream.peer_addr() {
        Ok(_) => Some(Ok(())),
        Err(e) if e.kind() == io::ErrorKind::NotConnected || is_in_progress(&e) => None,
        Err(e) => Some(Err(e)),
    }
}

/// A non-blocking connect that has begun: `EINPROGRESS` on Unix, `WSAEWOULDBLOCK` on Windows.
fn is_in_progress(e: &io::Error) -> bool {
    #[cfg(unix)]
    if e.raw_os_error() == Some(libc::EINPROGRESS) {
        return true;
    }
    e.kind() == io::ErrorKind::WouldBlock
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use crate::connection::SocketHook;

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    /// An address on loopback where nothing listens.
    fn refused() -> SocketAddr {
        TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
    }

    #[test]
    fn families_alternate_from_the_first_one() {
        let a6 = addr("[2001:db8::1]:80");
        let b6 = addr("[2001:db8::2]:80");
        let c6 = addr("[2001:db8::3]:80");
        let a4 = addr("192.0.2.1:80");
        let b4 = addr("192.0.2.2:80");
        assert_eq!(interleave(vec![a6, b6, c6, a4, b4]), [a6, a4, b6, b4, c6]);
        assert_eq!(interleave(vec![a4, a6, b6, b4]), [a4, a6, b4, b6]);
        assert_eq!(interleave(vec![a4, b4, a6, b6, c6]), [a4, a6, b4, b6, c6]);
        assert_eq!(interleave(vec![a6, b6]), [a6, b6]);
        assert_eq!(interleave(Vec::new()), []);
    }

    #[test]
    fn a_refused_address_gives_way_to_a_live_one() {
        let live = TcpListener::bind("127.0.0.1:0").unwrap();
        let addrs = [refused(), live.local_addr().unwrap()];
        for delay in [Duration::ZERO, Duration::from_millis(250)] {
            let config = SocketConfig {
                happy_eyeballs_delay: delay,
                ..SocketConfig::default()
            };
            let stream = race(&addrs, None, &config).unwrap();
            assert_eq!(stream.peer_addr().unwrap(), addrs[1]);
            live.accept().unwrap();
        }
    }

    #[test]
    fn all_refused_fails_with_the_last_error() {
        let addrs = [refused(), refused()];
        let err = race(&addrs, None, &SocketConfig::default()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
    }

    #[test]
    fn options_are_set_before_connecting() {
        let live = TcpListener::bind("127.0.0.1:0").unwrap();
        let seen_unconnected = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&seen_unconnected);
        let config = SocketConfig {
            keepalive: true,
            configure: Some(SocketHook::new(move |socket| {
                if socket.peer_addr().is_err() {
                    seen.fetch_add(1, Ordering::SeqCst);
                }
                let keepalive = socket2::TcpKeepalive::new().with_time(Duration::from_secs(77));
                socket.set_tcp_keepalive(&keepalive)
            })),
            ..SocketConfig::default()
        };
        let stream = race(&[live.local_addr().unwrap()], None, &config).unwrap();
        assert_eq!(seen_unconnected.load(Ordering::SeqCst), 1);
        let socket = socket2::SockRef::from(&stream);
        assert!(socket.tcp_nodelay().unwrap());
        assert!(socket.keepalive().unwrap());
        assert_eq!(
            socket.tcp_keepalive_time().unwrap(),
            Duration::from_secs(77)
        );
    }

    #[test]
    fn a_failing_hook_fails_that_attempt_only() {
        let live = TcpListener::bind("127.0.0.1:0").unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&calls);
        let config = SocketConfig {
            happy_eyeballs_delay: Duration::ZERO,
            configure: Some(SocketHook::new(move |_| {
                match counted.fetch_add(1, Ordering::SeqCst) {
                    0 => Err(io::Error::from(io::ErrorKind::InvalidInput)),
                    _ => Ok(()),
                }
            })),
            ..SocketConfig::default()
        };
        let target = live.local_addr().unwrap();
        let stream = race(&[target, target], None, &config).unwrap();
        assert_eq!(stream.peer_addr().unwrap(), target);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn an_interrupted_hook_ends_the_race() {
        let live = TcpListener::bind("127.0.0.1:0").unwrap();
        let config = SocketConfig {
            configure: Some(SocketHook::new(|_| {
                Err(io::Error::new(io::ErrorKind::Interrupted, "stop"))
            })),
            ..SocketConfig::default()
        };
        let target = live.local_addr().unwrap();
        let err = race(&[target, target], None, &config).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Interrupted);
    }

    #[test]
    fn a_deadline_already_past_times_out() {
        let live = TcpListener::bind("127.0.0.1:0").unwrap();
        let err = race(
            &[live.local_addr().unwrap()],
            Some(Instant::now()),
            &SocketConfig::default(),
        )
        .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }
}
