//! Time for [`Retry`](super::Retry): real, or a [`ManualClock`] so tests never really sleep.

use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Sleeping and telling the time, injectable so tests never really sleep.
///
/// ```
/// use std::sync::Arc;
/// use std::time::{Duration, SystemTime};
/// use urllib3::{Clock, Retry};
///
/// /// A clock that never waits.
/// #[derive(Debug)]
/// struct Impatient;
/// impl Clock for Impatient {
///     fn sleep(&self, _: Duration) {}
///     fn now(&self) -> SystemTime { SystemTime::now() }
/// }
///
/// let retry = Retry::new().with_clock(Arc::new(Impatient));
/// retry.sleep(Some("3600"))?; // an hour's Retry-After, over at once
/// # Ok::<(), urllib3::Error>(())
/// ```
pub trait Clock: Send + Sync + fmt::Debug {
    /// Blocks for `d`.
    fn sleep(&self, d: Duration);
    /// The current wall-clock time (HTTP-date Retry-After values are relative to it).
    fn now(&self) -> SystemTime;
}

/// The real clock: [`std::thread::sleep`] and [`SystemTime::now`].
///
/// Every [`Retry`](super::Retry) uses it unless given another with `with_clock`.
///
/// ```
/// use std::time::{Duration, Instant, UNIX_EPOCH};
/// use urllib3::{Clock, SystemClock};
///
/// let start = Instant::now();
/// SystemClock.sleep(Duration::from_millis(10));
/// assert!(start.elapsed() >= Duration::from_millis(10));
/// assert!(SystemClock.now() > UNIX_EPOCH);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }

    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A test clock: records every sleep instead of blocking, and tells a settable time.
///
/// Sleeping advances [`Clock::now`] by the slept duration, so code that sleeps and then
/// looks at the time sees time pass.
///
/// ```
/// use std::sync::Arc;
/// use std::time::{Duration, UNIX_EPOCH};
/// use urllib3::{Clock, ManualClock, Retry};
///
/// let clock = Arc::new(ManualClock::new(UNIX_EPOCH));
/// let retry = Retry::new().with_clock(clock.clone());
/// retry.sleep(Some("7")).unwrap();
/// assert_eq!(clock.sleeps(), [Duration::from_secs(7)]);
/// assert_eq!(clock.now(), UNIX_EPOCH + Duration::from_secs(7));
/// ```
#[derive(Debug)]
pub struct ManualClock {
    state: Mutex<ManualState>,
}

#[derive(Debug)]
struct ManualState {
    now: SystemTime,
    sleeps: Vec<Duration>,
}

impl ManualClock {
    /// A clock reading `now` that has not slept yet.
    pub fn new(now: SystemTime) -> Self {
        ManualClock {
            state: Mutex::new(ManualState {
                now,
                sleeps: Vec::new(),
            }),
        }
    }

    /// Sets the time [`Clock::now`] reports.
    pub fn set_now(&self, now: SystemTime) {
        self.state().now = now;
    }

    /// Every duration slept so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.state().sleeps.clone()
    }

    fn state(&self) -> MutexGuard<'_, ManualState> {
        // A panicking test thread must not poison the clock for the others.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new(UNIX_EPOCH)
    }
}

impl Clock for ManualClock {
    fn sleep(&self, d: Duration) {
        let mut state = self.state();
        state.sleeps.push(d);
        if let Some(later) = state.now.checked_add(d) {
            state.now = later;
        }
    }

    fn now(&self) -> SystemTime {
        self.state().now
    }
}
