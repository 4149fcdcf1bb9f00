//! Blocking socket waits that the program embedding the crate can interrupt.
//!
//! A thread blocked in `recv` cannot run anything else. Python needs its main thread back to
//! run signal handlers (Ctrl-C's `KeyboardInterrupt`, a test runner's timeout alarm), and its
//! own sockets give it back on every signal. rustls retries interrupted reads by itself, so a
//! signal alone is not enough: once a check is installed, waits are cut into slices and the
//! check runs between them, where it may end the wait with an error. Without a check (plain
//! Rust use) the operating system waits for the whole timeout in one go.

use std::io;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A function run while a socket wait is in progress: `Err` abandons the wait.
pub type InterruptCheck = fn() -> io::Result<()>;

static CHECK: OnceLock<InterruptCheck> = OnceLock::new();

/// The longest a socket wait lasts between two checks.
const SLICE: Duration = Duration::from_millis(100);

/// Installs the check run during socket waits (once per process; later calls are ignored and
/// return false).
///
/// ```
/// fn never_interrupt() -> std::io::Result<()> {
///     Ok(())
/// }
/// urllib3::connection::set_interrupt_check(never_interrupt);
/// ```
pub fn set_interrupt_check(check: InterruptCheck) -> bool {
    CHECK.set(check).is_ok()
}

/// The timeout to give the operating system for a wait of at most `timeout`: all of it, or one
/// slice when a check is installed. Zero means "no timeout" to the OS, so the smallest wait it
/// takes stands in for an exhausted budget.
pub(crate) fn os_timeout(timeout: Option<Duration>) -> Option<Duration> {
    let sliced = match (CHECK.get(), timeout) {
        (Some(_), Some(t)) => Some(t.min(SLICE)),
        (Some(_), None) => Some(SLICE),
        (None, t) => t,
    };
    sliced.map(|t| t.max(Duration::from_micros(1)))
}

/// Runs the installed check, if any: for waits that slice themselves (the connect race).
pub(crate) fn check_interrupt() -> io::Result<()> {
    CHECK.get().map_or(Ok(()), |check| check())
}

/// Runs `op` until it succeeds, fails for real, or the wait exceeds `timeout`.
pub(crate) fn blocking<T>(
    timeout: Option<Duration>,
    op: impl FnMut() -> io::Result<T>,
) -> io::Result<T> {
    blocking_until(timeout.map(|t| Instant::now() + t), op)
}

/// [`blocking`] with an absolute deadline, for waits made of several operations (a TLS
/// handshake) that share one budget.
pub(crate) fn blocking_until<T>(
    deadline: Option<Instant>,
    mut op: impl FnMut() -> io::Result<T>,
) -> io::Result<T> {
    let check = CHECK.get();
    loop {
        let err = match op() {
            Err(e) => e,
            ok => return ok,
        };
        let slice_ended = matches!(
            err.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        );
        let interrupted = err.kind() == io::ErrorKind::Interrupted;
        if !(interrupted || slice_ended && check.is_some()) {
            return Err(err);
        }
        if let Some(check) = check {
            check()?;
        }
        if slice_ended && deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(err);
        }
    }
}

/// Reads exactly `buf.len()` bytes, each wait interruptible and all of them within `deadline`
/// (the proxy handshakes: SOCKS replies, the CONNECT answer). End of stream is an
/// `UnexpectedEof` error.
pub(crate) fn read_exact_until(
    reader: &mut impl io::Read,
    buf: &mut [u8],
    deadline: Option<Instant>,
) -> io::Result<()> {
    let mut filled = 0;
    while filled < buf.len() {
        match blocking_until(deadline, || reader.read(&mut buf[filled..]))? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => filled += n,
        }
    }
    Ok(())
}

/// Writes all of `bytes`, resuming after a wait that ended without writing them all.
pub(crate) fn write_all_until(
    writer: &mut impl io::Write,
    bytes: &[u8],
    deadline: Option<Instant>,
) -> io::Result<()> {
    let mut sent = 0;
    while sent < bytes.len() {
        match blocking_until(deadline, || writer.write(&bytes[sent..]))? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => sent += n,
        }
    }
    blocking_until(deadline, || writer.flush())
}
