//! Connect, read and total timeouts, as urllib3's `Timeout` defines them.
//!
//! The connect timeout bounds the TCP (and later TLS) set-up; the read timeout bounds each
//! socket read on its own, so a slow but steady body never times out; `total` caps the connect
//! time plus the read budget that remains after connecting.

use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};

/// Timeouts for one request. The default waits forever, as urllib3's does.
///
/// ```
/// use std::time::Duration;
/// use urllib3::Timeout;
///
/// let t = Timeout::from_secs_f64(2.5).unwrap();
/// assert_eq!(t.connect(), Some(Duration::from_millis(2500)));
/// assert_eq!(t.read(), Some(Duration::from_millis(2500)));
///
/// let t = Timeout::new().with_connect(Duration::from_secs(1)).with_total(Duration::from_millis(500));
/// assert_eq!(t.connect_timeout(), Some(Duration::from_millis(500)));
///
/// assert!(Timeout::from_secs_f64(0.0).is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timeout {
    connect: Option<Duration>,
    read: Option<Duration>,
    total: Option<Duration>,
}

impl Timeout {
    /// No timeouts at all.
    pub const NONE: Timeout = Timeout {
        connect: None,
        read: None,
        total: None,
    };

    /// No timeouts at all.
    pub fn new() -> Self {
        Self::NONE
    }

    /// The same number of seconds for connect and read, as `Timeout(5.0)` or `timeout=5.0`.
    pub fn from_secs_f64(seconds: f64) -> Result<Self> {
        let d = validate("connect", seconds)?;
        Ok(Timeout {
            connect: Some(d),
            read: Some(d),
            total: None,
        })
    }

    /// Sets the connect timeout.
    pub fn with_connect(mut self, connect: Duration) -> Self {
        self.connect = Some(connect);
        self
    }

    /// Sets the read timeout (per socket operation).
    pub fn with_read(mut self, read: Duration) -> Self {
        self.read = Some(read);
        self
    }

    /// Sets the total timeout.
    pub fn with_total(mut self, total: Duration) -> Self {
        self.total = Some(total);
        self
    }

    /// The connect timeout as given.
    pub fn connect(&self) -> Option<Duration> {
        self.connect
    }

    /// The read timeout as given.
    pub fn read(&self) -> Option<Duration> {
        self.read
    }

    /// The total timeout as given.
    pub fn total(&self) -> Option<Duration> {
        self.total
    }

    /// The timeout to connect with: the connect timeout, capped by `total`.
    pub fn connect_timeout(&self) -> Option<Duration> {
        min_some(self.connect, self.total)
    }

    /// The timeout for each read once connecting took `connect_took`: the read timeout, capped
    /// by what remains of `total`.
    pub fn read_timeout(&self, connect_took: Duration) -> Option<Duration> {
        let remaining = self.total.map(|t| t.saturating_sub(connect_took));
        min_some(self.read, remaining)
    }

    /// Starts the clock for one request: connect now, then read with what is left.
    pub fn start(&self) -> TimeoutClock {
        TimeoutClock {
            timeout: *self,
            started: Instant::now(),
            connect_took: None,
        }
    }
}

/// A [`Timeout`] with its clock running (urllib3's `start_connect`).
///
/// ```
/// use std::time::Duration;
/// use urllib3::Timeout;
///
/// let timeout = Timeout::new().with_read(Duration::from_secs(5)).with_total(Duration::from_secs(3));
/// let mut clock = timeout.start();
/// assert_eq!(clock.connect_timeout(), Some(Duration::from_secs(3)));
/// clock.connected();
/// // Each read may take 5 s, but `total` leaves less than 3 s after connecting.
/// assert!(clock.read_timeout().unwrap() <= Duration::from_secs(3));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct TimeoutClock {
    timeout: Timeout,
    started: Instant,
    connect_took: Option<Duration>,
}

impl TimeoutClock {
    /// The timeout to connect with.
    pub fn connect_timeout(&self) -> Option<Duration> {
        self.timeout.connect_timeout()
    }

    /// Marks the connection as made; the read budget is what `total` leaves after this.
    pub fn connected(&mut self) {
        self.connect_took = Some(self.started.elapsed());
    }

    /// The timeout for each read.
    pub fn read_timeout(&self) -> Option<Duration> {
        let took = self.connect_took.unwrap_or_else(|| self.started.elapsed());
        self.timeout.read_timeout(took)
    }
}

fn min_some(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Checks a timeout given in seconds, with urllib3's messages.
///
/// `name` is the attribute ("connect", "read" or "total") the value is for.
pub fn validate(name: &str, seconds: f64) -> Result<Duration> {
    if seconds.is_nan() || seconds <= 0.0 {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "Attempted to set {name} timeout to {seconds}, but the timeout cannot be set \
                 to a value less than or equal to 0."
            ),
        ));
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("Timeout value {name} was {seconds}, but it must be an int, float or None."),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn total_caps_connect_and_what_remains_for_read() {
        let t = Timeout::new()
            .with_connect(S(3))
            .with_read(S(7))
            .with_total(S(5));
        assert_eq!(t.connect_timeout(), Some(S(3)));
        assert_eq!(t.read_timeout(S(1)), Some(S(4)));
        assert_eq!(t.read_timeout(S(9)), Some(S(0)));
        let t = Timeout::new().with_total(S(5));
        assert_eq!(t.connect_timeout(), Some(S(5)));
        assert_eq!(t.read_timeout(S(2)), Some(S(3)));
    }

    #[test]
    fn the_default_never_times_out() {
        assert_eq!(Timeout::default().connect_timeout(), None);
        assert_eq!(Timeout::default().read_timeout(S(100)), None);
    }

    #[test]
    fn zero_negative_and_nan_are_refused() {
        for v in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let err = validate("read", v).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{v}");
        }
        assert_eq!(validate("read", 0.25).unwrap(), Duration::from_millis(250));
    }
}
