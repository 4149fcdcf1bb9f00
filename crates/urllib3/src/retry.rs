//! Retry configuration and bookkeeping, after urllib3's `urllib3.util.retry.Retry`.
//!
//! A [`Retry`] is a value: [`Retry::increment`] never changes it but returns the next one, so a
//! pool's default can be shared by every request. The pool asks [`Retry::is_retry`] whether a
//! response deserves another try, calls [`Retry::increment`] for each failure or redirect, and
//! [`Retry::sleep`]s between attempts.
//!
//! Submodules: `clock` injects time (see [`ManualClock`]), `date` parses HTTP dates the
//! lenient way urllib3 (through Python's `email.utils`) does.

use std::collections::hash_map::RandomState;
use std::collections::BTreeSet;
use std::error::Error as StdError;
use std::fmt;
use std::hash::BuildHasher;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{py_repr, Error, ErrorKind, Result};

mod clock;
mod date;

pub use clock::{Clock, ManualClock, SystemClock};

/// One retry counter: urllib3 lets each be `None`, an `int`, or (for some) `False`.
///
/// ```
/// use urllib3::{Limit, Retry};
///
/// let retry = Retry::new().with_total(Limit::Unlimited).with_connect(2).with_read(Limit::Disabled);
/// assert_eq!(retry.total(), Limit::Unlimited);
/// assert_eq!(retry.connect(), Limit::Count(2));
/// assert_eq!(retry.read().to_string(), "False"); // as Python prints it
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// Python `None`: this counter imposes no limit.
    Unlimited,
    /// Python `int`: retries left. Goes negative once exhausted.
    Count(i64),
    /// Python `False`: retries of this kind are disabled and the error is raised as itself.
    ///
    /// For `total` this also disables redirects (see [`Retry::disabled`]). For `connect` and
    /// `read` the error is re-raised. For `status` and `other` urllib3 has no special case and
    /// `False - 1` is `-1`, so the first increment exhausts them; that is kept.
    Disabled,
}

impl Limit {
    /// urllib3's `x -= 1` guarded by `if x is not None` (`False - 1 == -1` in Python).
    fn decremented(self) -> Limit {
        match self {
            Limit::Unlimited => Limit::Unlimited,
            Limit::Count(n) => Limit::Count(n.saturating_sub(1)),
            Limit::Disabled => Limit::Count(-1),
        }
    }

    /// Python truthiness: `None`, `False` and `0` are false.
    fn is_truthy(self) -> bool {
        matches!(self, Limit::Count(n) if n != 0)
    }
}

impl From<i64> for Limit {
    fn from(n: i64) -> Self {
        Limit::Count(n)
    }
}

impl From<i32> for Limit {
    fn from(n: i32) -> Self {
        Limit::Count(n.into())
    }
}

impl From<Option<i64>> for Limit {
    fn from(n: Option<i64>) -> Self {
        n.map_or(Limit::Unlimited, Limit::Count)
    }
}

/// Formats as Python would print the counter: `None`, `False` or the number.
impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Unlimited => f.write_str("None"),
            Limit::Count(n) => write!(f, "{n}"),
            Limit::Disabled => f.write_str("False"),
        }
    }
}

/// What happened to one attempt, as handed to [`Retry::increment`].
///
/// ```
/// use urllib3::{Error, ErrorKind, Limit, Outcome, Retry};
///
/// let reset = Error::new(ErrorKind::Protocol, "Connection aborted.");
/// let retry = Retry::new().increment(Some("GET"), Some("/a"), Outcome::Error(&reset))?;
/// assert_eq!(retry.read(), Limit::Unlimited); // read is unset: only `total` counts down
/// let moved = Outcome::Response { status: 301, redirect_location: Some("/b"), retry_after: None };
/// let retry = retry.increment(Some("GET"), Some("/a"), moved)?;
/// assert_eq!(retry.total(), Limit::Count(8));
/// # Ok::<(), urllib3::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub enum Outcome<'a> {
    /// The attempt failed with this error.
    Error(&'a Error),
    /// A response arrived.
    Response {
        /// The status code; `0` counts as "no status" as in urllib3 (falsy).
        status: u16,
        /// What `get_redirect_location()` gives: the Location of a redirect status, else
        /// `None`. An empty location is not a redirect, as in urllib3.
        redirect_location: Option<&'a str>,
        /// The Retry-After header, if present. [`Retry::increment`] ignores it (as urllib3
        /// does); it travels here so the caller can pass it on to [`Retry::sleep`].
        retry_after: Option<&'a str>,
    },
    /// Neither a response nor an error (urllib3's `increment(method, url)`): counted as a
    /// generic error response, decrementing only `total`.
    Unspecified,
}

/// One entry of [`Retry::history`], urllib3's `RequestHistory`.
///
/// ```
/// use urllib3::{Error, ErrorKind, Outcome, Retry};
///
/// let refused = Error::new(ErrorKind::NewConnection, "Connection refused");
/// let retry = Retry::new().increment(Some("GET"), Some("/a"), Outcome::Error(&refused))?;
/// let entry = &retry.history()[0];
/// assert_eq!((entry.method.as_deref(), entry.url.as_deref()), (Some("GET"), Some("/a")));
/// assert_eq!(entry.error.as_ref().map(|e| e.kind()), Some(ErrorKind::NewConnection));
/// assert_eq!(entry.status, None);
/// # Ok::<(), urllib3::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct RequestHistory {
    /// The request method passed to [`Retry::increment`].
    pub method: Option<String>,
    /// The URL passed to [`Retry::increment`].
    pub url: Option<String>,
    /// A copy of the error, for an [`Outcome::Error`].
    pub error: Option<Arc<Error>>,
    /// The response status (for redirects, and for responses with a non-zero status).
    pub status: Option<u16>,
    /// The redirect target, for redirects.
    pub redirect_location: Option<String>,
}

/// Getters for `Copy` fields, each optionally with a `with_…` setter taking `impl Into<T>`.
macro_rules! plain_accessors {
    ($($(#[$doc:meta])* $field:ident: $ty:ty $(, $setter:ident)?;)*) => {$(
        $(#[$doc])*
        pub fn $field(&self) -> $ty {
            self.$field
        }
        $(
            #[doc = concat!("Sets [`Retry::", stringify!($field), "`].")]
            pub fn $setter(mut self, value: impl Into<$ty>) -> Self {
                self.$field = value.into();
                self
            }
        )?
    )*};
}

/// Retry configuration, urllib3's `Retry`.
///
/// Counters are [`Limit`]s: `total` caps every kind of retry, `connect`, `read`, `redirect`,
/// `status` and `other` cap one kind each. Whichever runs out first ends the retrying with a
/// `MaxRetry` error whose [`Error::reason`] is the last failure.
///
/// Disabling, as urllib3's `retries=False`: [`Retry::disabled`] (total [`Limit::Disabled`])
/// makes [`Retry::increment`] hand errors back as themselves rather than wrapped in
/// `MaxRetry`, and sets `redirect` to 0 with `raise_on_redirect` off so a redirect is returned
/// to the caller instead of followed. [`Retry::with_redirect_disabled`] does the latter alone.
///
/// [`Retry::new`] is urllib3's `Retry()` (total 10); [`Retry::default`] is `Retry.DEFAULT`,
/// the pool default (total 3).
///
/// ```
/// use urllib3::{Error, ErrorKind, Outcome, Retry};
///
/// let refused = Error::new(ErrorKind::NewConnection, "Connection refused");
/// let retry = Retry::new().with_connect(1);
/// let retry = retry.increment(Some("GET"), Some("/"), Outcome::Error(&refused)).unwrap();
/// let err = retry.increment(Some("GET"), Some("/"), Outcome::Error(&refused)).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::MaxRetry);
/// assert_eq!(err.reason().map(Error::kind), Some(ErrorKind::NewConnection));
/// ```
#[derive(Clone, Debug)]
pub struct Retry {
    total: Limit,
    connect: Limit,
    read: Limit,
    redirect: Limit,
    status: Limit,
    other: Limit,
    allowed_methods: Option<Vec<String>>,
    status_forcelist: BTreeSet<u16>,
    backoff_factor: f64,
    backoff_max: Duration,
    backoff_jitter: Duration,
    retry_after_max: Duration,
    raise_on_redirect: bool,
    raise_on_status: bool,
    respect_retry_after_header: bool,
    remove_headers_on_redirect: BTreeSet<String>,
    history: Vec<RequestHistory>,
    clock: Arc<dyn Clock>,
}

/// The one system clock every default policy shares, so that default policies compare equal.
fn system_clock() -> Arc<dyn Clock> {
    static CLOCK: std::sync::OnceLock<Arc<dyn Clock>> = std::sync::OnceLock::new();
    Arc::clone(CLOCK.get_or_init(|| Arc::new(SystemClock)))
}

/// Two policies are equal when they would act the same: every setting and the same clock. The
/// history is left out, so a pool keyed by its Retry keeps its identity across requests.
impl PartialEq for Retry {
    fn eq(&self, other: &Self) -> bool {
        self.total == other.total
            && self.connect == other.connect
            && self.read == other.read
            && self.redirect == other.redirect
            && self.status == other.status
            && self.other == other.other
            && self.allowed_methods == other.allowed_methods
            && self.status_forcelist == other.status_forcelist
            && self.backoff_factor.to_bits() == other.backoff_factor.to_bits()
            && self.backoff_max == other.backoff_max
            && self.backoff_jitter == other.backoff_jitter
            && self.retry_after_max == other.retry_after_max
            && self.raise_on_redirect == other.raise_on_redirect
            && self.raise_on_status == other.raise_on_status
            && self.respect_retry_after_header == other.respect_retry_after_header
            && self.remove_headers_on_redirect == other.remove_headers_on_redirect
            && Arc::ptr_eq(&self.clock, &other.clock)
    }
}

/// `ResponseError.GENERIC_ERROR`.
const GENERIC_ERROR: &str = "too many error responses";

impl Retry {
    /// Methods retried by default: the idempotent ones.
    pub const DEFAULT_ALLOWED_METHODS: [&'static str; 6] =
        ["HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE"];
    /// Statuses whose Retry-After header makes [`Retry::is_retry`] say yes.
    pub const RETRY_AFTER_STATUS_CODES: [u16; 3] = [413, 429, 503];
    /// Headers dropped when a redirect leaves the host.
    pub const DEFAULT_REMOVE_HEADERS_ON_REDIRECT: [&'static str; 3] =
        ["Cookie", "Authorization", "Proxy-Authorization"];
    /// Default cap on the backoff between attempts.
    pub const DEFAULT_BACKOFF_MAX: Duration = Duration::from_secs(120);
    /// Default cap on a Retry-After wait: 6 hours, as other popular libraries use.
    pub const DEFAULT_RETRY_AFTER_MAX: Duration = Duration::from_secs(21_600);

    /// urllib3's `Retry()`: total 10, every other counter unlimited.
    pub fn new() -> Self {
        Retry {
            total: Limit::Count(10),
            connect: Limit::Unlimited,
            read: Limit::Unlimited,
            redirect: Limit::Unlimited,
            status: Limit::Unlimited,
            other: Limit::Unlimited,
            allowed_methods: Some(Self::DEFAULT_ALLOWED_METHODS.map(str::to_owned).to_vec()),
            status_forcelist: BTreeSet::new(),
            backoff_factor: 0.0,
            backoff_max: Self::DEFAULT_BACKOFF_MAX,
            backoff_jitter: Duration::ZERO,
            retry_after_max: Self::DEFAULT_RETRY_AFTER_MAX,
            raise_on_redirect: true,
            raise_on_status: true,
            respect_retry_after_header: true,
            remove_headers_on_redirect: lowercased(Self::DEFAULT_REMOVE_HEADERS_ON_REDIRECT),
            history: Vec::new(),
            clock: system_clock(),
        }
    }

    /// urllib3's `Retry(total)`.
    pub fn from_total(total: i64) -> Self {
        Retry::new().with_total(total)
    }

    /// urllib3's `Retry(False)` (`retries=False`): errors come back as themselves and
    /// redirects are returned, not followed.
    pub fn disabled() -> Self {
        Retry::new().with_total(Limit::Disabled)
    }

    /// Sets `total`; [`Limit::Disabled`] is [`Retry::disabled`].
    pub fn with_total(mut self, total: impl Into<Limit>) -> Self {
        self.total = total.into();
        self.normalized()
    }

    /// Sets `redirect`; [`Limit::Disabled`] is [`Retry::with_redirect_disabled`].
    pub fn with_redirect(mut self, redirect: impl Into<Limit>) -> Self {
        self.redirect = redirect.into();
        if self.redirect == Limit::Disabled {
            // As urllib3's constructor: `redirect=False` is stored as 0 plus no raising.
            self.redirect = Limit::Count(0);
            self.raise_on_redirect = false;
        }
        self.normalized()
    }

    /// urllib3's `redirect=False`: redirects are returned to the caller, not followed.
    pub fn with_redirect_disabled(self) -> Self {
        self.with_redirect(Limit::Disabled)
    }

    /// Whether exhausting redirects raises `MaxRetry` (else the 3xx response is returned).
    pub fn with_raise_on_redirect(mut self, raise: bool) -> Self {
        self.raise_on_redirect = raise;
        self.normalized()
    }

    /// urllib3 re-runs its constructor on every change, and `total=False` always forces
    /// `redirect=0, raise_on_redirect=False`; builders keep that true whatever their order.
    fn normalized(mut self) -> Self {
        if self.total == Limit::Disabled {
            self.redirect = Limit::Count(0);
            self.raise_on_redirect = false;
        }
        self
    }

    /// Sets the methods retried on (compared to the upper-cased request method); `None`
    /// retries every method. An empty list also means every method, deprecated as in urllib3.
    pub fn with_allowed_methods(mut self, methods: Option<Vec<String>>) -> Self {
        if methods.as_ref().is_some_and(Vec::is_empty) {
            log::warn!(
                "Using an empty collection for 'allowed_methods' option to retry on any verb \
                 is deprecated and will skip retries for all verbs in urllib3 v3.0. Instead \
                 use Retry(..., allowed_methods=None)."
            );
        }
        self.allowed_methods = methods;
        self
    }

    /// Sets the statuses that force a retry (for allowed methods).
    pub fn with_status_forcelist(mut self, statuses: impl IntoIterator<Item = u16>) -> Self {
        self.status_forcelist = statuses.into_iter().collect();
        self
    }

    /// Sets the headers dropped on a cross-host redirect (stored lower-cased).
    pub fn with_remove_headers_on_redirect<I>(mut self, headers: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.remove_headers_on_redirect = lowercased(headers);
        self
    }

    /// Replaces the history (urllib3's `history=` argument).
    pub fn with_history(mut self, history: Vec<RequestHistory>) -> Self {
        self.history = history;
        self
    }

    /// Sleeps and reads the time through `clock` (see [`ManualClock`] for tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    plain_accessors! {
        /// Total retries left.
        total: Limit;
        /// Connect-error retries left.
        connect: Limit, with_connect;
        /// Read-error retries left.
        read: Limit, with_read;
        /// Redirects left (never [`Limit::Disabled`]: disabling stores 0).
        redirect: Limit;
        /// Status retries left.
        status: Limit, with_status;
        /// Other-error retries left.
        other: Limit, with_other;
        /// The backoff factor, in seconds.
        backoff_factor: f64, with_backoff_factor;
        /// The cap on the computed backoff.
        backoff_max: Duration, with_backoff_max;
        /// The most random jitter added to the backoff.
        backoff_jitter: Duration, with_backoff_jitter;
        /// The cap on a Retry-After wait.
        retry_after_max: Duration, with_retry_after_max;
        /// Whether exhausted redirects raise `MaxRetry` rather than return the response.
        raise_on_redirect: bool;
        /// Whether exhausted status retries raise `MaxRetry` rather than return the response.
        raise_on_status: bool, with_raise_on_status;
        /// Whether Retry-After is honoured on [`Retry::RETRY_AFTER_STATUS_CODES`].
        respect_retry_after_header: bool, with_respect_retry_after_header;
    }

    /// The methods retried on; `None` for all.
    pub fn allowed_methods(&self) -> Option<&[String]> {
        self.allowed_methods.as_deref()
    }

    /// The statuses that force a retry.
    pub fn status_forcelist(&self) -> &BTreeSet<u16> {
        &self.status_forcelist
    }

    /// The lower-cased headers dropped on a cross-host redirect.
    pub fn remove_headers_on_redirect(&self) -> &BTreeSet<String> {
        &self.remove_headers_on_redirect
    }

    /// Whether header `name` is dropped on a cross-host redirect (case-insensitive).
    pub fn removes_header_on_redirect(&self, name: &str) -> bool {
        self.remove_headers_on_redirect
            .contains(&name.to_lowercase())
    }

    /// Every increment so far, oldest first.
    pub fn history(&self) -> &[RequestHistory] {
        &self.history
    }

    /// The clock sleeps go through.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The backoff before the next attempt: `factor * 2^(n-1)` for the `n` consecutive
    /// failures since the last redirect, plus jitter, capped by `backoff_max`; zero for n ≤ 1.
    pub fn get_backoff_time(&self) -> Duration {
        let consecutive = self
            .history
            .iter()
            .rev()
            .take_while(|h| h.redirect_location.is_none())
            .count();
        if consecutive <= 1 {
            return Duration::ZERO;
        }
        // 2^1023 is the largest finite power; beyond it `0 * inf` would be NaN, not 0.
        let exponent = i32::try_from(consecutive - 1).map_or(1023, |e| e.min(1023));
        let mut backoff = self.backoff_factor * 2f64.powi(exponent);
        if !self.backoff_jitter.is_zero() {
            backoff += random_unit() * self.backoff_jitter.as_secs_f64();
        }
        secs_to_duration(backoff.min(self.backoff_max.as_secs_f64()))
    }

    /// Parses a Retry-After value: whole seconds, or an HTTP date (relative to the clock's
    /// now; past dates give zero). Capped at `retry_after_max`.
    ///
    /// Unparsable values are `InvalidHeader` errors ("Invalid Retry-After header: …"); a date
    /// whose year is outside 1–9999 is `InvalidArgument`, Python's `ValueError`.
    pub fn parse_retry_after(&self, retry_after: &str) -> Result<Duration> {
        let trimmed = retry_after.trim();
        let wait = if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            // All digits: only overflow can fail, and Python's big int would be capped anyway.
            Duration::from_secs(trimmed.parse().unwrap_or(u64::MAX))
        } else {
            let date = date::parse(retry_after)?.ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidHeader,
                    format!("Invalid Retry-After header: {retry_after}"),
                )
            })?;
            nanos_to_duration(date * 1_000_000_000 - unix_nanos(self.clock.now()))
        };
        Ok(wait.min(self.retry_after_max))
    }

    /// The Retry-After wait for a response with this header value, if it has one.
    pub fn get_retry_after(&self, retry_after_header: Option<&str>) -> Result<Option<Duration>> {
        retry_after_header
            .map(|value| self.parse_retry_after(value))
            .transpose()
    }

    /// Sleeps for the Retry-After wait if there is a non-zero one; says whether it slept.
    pub fn sleep_for_retry(&self, retry_after_header: Option<&str>) -> Result<bool> {
        match self.get_retry_after(retry_after_header)? {
            Some(wait) if !wait.is_zero() => {
                self.clock.sleep(wait);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Sleeps between attempts: the server's Retry-After if respected and present, else the
    /// backoff (which is zero by default, so this returns at once).
    pub fn sleep(&self, retry_after_header: Option<&str>) -> Result<()> {
        if self.respect_retry_after_header && self.sleep_for_retry(retry_after_header)? {
            return Ok(());
        }
        let backoff = self.get_backoff_time();
        if !backoff.is_zero() {
            self.clock.sleep(backoff);
        }
        Ok(())
    }

    /// Whether `method` may be retried. The stored methods are compared as given.
    pub fn is_method_retryable(&self, method: &str) -> bool {
        match &self.allowed_methods {
            Some(allowed) if !allowed.is_empty() => {
                let upper = method.to_uppercase();
                allowed.contains(&upper)
            }
            _ => true,
        }
    }

    /// Whether a response with `status` to `method` should be retried: the method must be
    /// allowed, and the status either forced, or a Retry-After status carrying the header
    /// while `total` is non-zero (urllib3 tests `total`'s truthiness, so `None` says no).
    pub fn is_retry(&self, method: &str, status: u16, has_retry_after: bool) -> bool {
        if !self.is_method_retryable(method) {
            return false;
        }
        if self.status_forcelist.contains(&status) {
            return true;
        }
        self.total.is_truthy()
            && self.respect_retry_after_header
            && has_retry_after
            && Self::RETRY_AFTER_STATUS_CODES.contains(&status)
    }

    /// Whether some counter has gone below zero.
    pub fn is_exhausted(&self) -> bool {
        [
            self.total,
            self.connect,
            self.read,
            self.redirect,
            self.status,
            self.other,
        ]
        .iter()
        .any(|limit| matches!(limit, Limit::Count(n) if *n < 0))
    }

    /// The next `Retry` after `outcome`, with its counters decremented and history appended.
    ///
    /// Connect errors (`ConnectTimeout` and its kinds, or a `Proxy` error caused by one)
    /// count against `connect`; read errors (`ReadTimeout`, `Protocol`) against `read`, but
    /// are returned as themselves when `read` is disabled or `method` is missing or not
    /// retryable; other errors against `other`; redirects against `redirect`; other
    /// responses against `status`. Every increment counts against `total`.
    ///
    /// # Errors
    ///
    /// `MaxRetry` once a counter is exhausted, its [`Error::reason`] the failure (a
    /// `Response` error for responses). With `total` disabled, errors come back as themselves.
    ///
    /// ```
    /// use urllib3::{ErrorKind, Outcome, Retry};
    ///
    /// let redirect = Outcome::Response { status: 302, redirect_location: Some("/b"), retry_after: None };
    /// let retry = Retry::new().with_redirect(0);
    /// let err = retry.increment(Some("GET"), Some("/a"), redirect).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::MaxRetry);
    /// assert_eq!(err.message(), "Max retries exceeded with url: /a (Caused by ResponseError('too many redirects'))");
    /// assert_eq!(err.reason().map(|r| r.message()), Some("too many redirects"));
    /// ```
    pub fn increment(
        &self,
        method: Option<&str>,
        url: Option<&str>,
        outcome: Outcome<'_>,
    ) -> Result<Retry> {
        if let (Limit::Disabled, Outcome::Error(err)) = (self.total, outcome) {
            return Err(duplicate(err));
        }
        let mut next = self.clone();
        next.total = self.total.decremented();
        let mut entry = RequestHistory {
            method: method.map(str::to_owned),
            url: url.map(str::to_owned),
            error: None,
            status: None,
            redirect_location: None,
        };
        let reason = match outcome {
            Outcome::Error(err) => {
                self.count_error(&mut next, method, err)?;
                entry.error = Some(Arc::new(duplicate(err)));
                duplicate(err)
            }
            Outcome::Response {
                status,
                redirect_location: Some(location),
                ..
            } if !location.is_empty() => {
                next.redirect = self.redirect.decremented();
                entry.status = Some(status);
                entry.redirect_location = Some(location.to_owned());
                response_error("too many redirects".to_owned())
            }
            Outcome::Response { status, .. } if status != 0 => {
                next.status = self.status.decremented();
                entry.status = Some(status);
                response_error(format!("too many {status} error responses"))
            }
            Outcome::Response { .. } | Outcome::Unspecified => {
                response_error(GENERIC_ERROR.to_owned())
            }
        };
        next.history.push(entry);
        if next.is_exhausted() {
            return Err(max_retry_error(url, reason));
        }
        log::debug!(
            "Incremented Retry for (url='{}'): {next}",
            url.unwrap_or("None")
        );
        Ok(next)
    }

    /// Decrements the counter `err` falls under, or hands `err` back if it is not retried.
    fn count_error(&self, next: &mut Retry, method: Option<&str>, err: &Error) -> Result<()> {
        if is_connection_error(err) {
            if self.connect == Limit::Disabled {
                return Err(duplicate(err));
            }
            next.connect = self.connect.decremented();
        } else if is_read_error(err) {
            // The request reached the server: only idempotent methods may go again.
            let retryable = method.is_some_and(|m| self.is_method_retryable(m));
            if self.read == Limit::Disabled || !retryable {
                return Err(duplicate(err));
            }
            next.read = self.read.decremented();
        } else {
            next.other = self.other.decremented();
        }
        Ok(())
    }
}

impl Default for Retry {
    /// urllib3's `Retry.DEFAULT`, i.e. `Retry(3)`: what pools use when given no retries.
    fn default() -> Self {
        Retry::from_total(3)
    }
}

/// urllib3's `repr(retry)`: `Retry(total=10, connect=None, read=None, redirect=None, status=None)`.
impl fmt::Display for Retry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Retry(total={}, connect={}, read={}, redirect={}, status={})",
            self.total, self.connect, self.read, self.redirect, self.status
        )
    }
}

/// Errors raised before the request went out, so retrying is safe.
fn is_connection_error(err: &Error) -> bool {
    // A ProxyError stands for its original error here.
    let err = match err.kind() {
        ErrorKind::Proxy => err.reason().unwrap_or(err),
        _ => err,
    };
    err.kind().is_a(ErrorKind::ConnectTimeout)
}

/// Errors raised after the request was (at least partly) sent.
fn is_read_error(err: &Error) -> bool {
    err.kind().is_a(ErrorKind::ReadTimeout) || err.kind().is_a(ErrorKind::Protocol)
}

fn response_error(cause: String) -> Error {
    Error::new(ErrorKind::Response, cause)
}

/// urllib3's `MaxRetryError(pool, url, reason)`, without the pool prefix the pool adds.
fn max_retry_error(url: Option<&str>, reason: Error) -> Error {
    let message = format!(
        "Max retries exceeded with url: {} (Caused by {}({}))",
        url.unwrap_or("None"),
        reason.kind().class_name(),
        py_repr(reason.message())
    );
    let err = Error::new(ErrorKind::MaxRetry, message);
    let err = match url {
        Some(url) => err.with_url(url),
        None => err,
    };
    err.with_source(reason)
}

/// A copy of `err` (which is not `Clone`): kind, message, url, counts and the cause chain.
/// Causes that are not ours keep their text (and an I/O error its kind) only.
fn duplicate(err: &Error) -> Error {
    let mut copy = Error::new(err.kind(), err.message());
    if let Some(url) = err.url() {
        copy = copy.with_url(url);
    }
    if let Some((partial, expected)) = err.counts() {
        copy = copy.with_counts(partial, expected);
    }
    copy = copy.with_status(err.status());
    if err.is_certificate_failure() {
        copy = copy.with_certificate_failure();
    }
    if let Some(cause) = err.reason() {
        copy = copy.with_source(duplicate(cause));
    } else if let Some(cause) = StdError::source(err) {
        let kind = cause
            .downcast_ref::<io::Error>()
            .map_or(io::ErrorKind::Other, io::Error::kind);
        copy = copy.with_source(io::Error::new(kind, cause.to_string()));
    }
    copy
}

fn lowercased<I>(items: I) -> BTreeSet<String>
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    items
        .into_iter()
        .map(|s| s.as_ref().to_lowercase())
        .collect()
}

/// Seconds to a duration: NaN and negatives are zero, overflow saturates.
fn secs_to_duration(secs: f64) -> Duration {
    if secs.is_nan() || secs <= 0.0 {
        return Duration::ZERO;
    }
    Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX)
}

/// Signed nanoseconds to a duration: negatives are zero, overflow saturates.
fn nanos_to_duration(nanos: i128) -> Duration {
    if nanos <= 0 {
        return Duration::ZERO;
    }
    let secs = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
    // In range: the remainder of a positive number by 10^9.
    let sub = u32::try_from(nanos % 1_000_000_000).unwrap_or(0);
    Duration::new(secs, sub)
}

/// Nanoseconds since the epoch, negative before it.
fn unix_nanos(t: SystemTime) -> i128 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i128::try_from(d.as_nanos()).unwrap_or(i128::MAX),
        Err(e) => -i128::try_from(e.duration().as_nanos()).unwrap_or(i128::MAX),
    }
}

/// A uniform sample of [0, 1) for jitter, from std's randomly keyed hasher (no rand crate).
fn random_unit() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let bits = RandomState::new().hash_one((n, unix_nanos(SystemTime::now())));
    // The top 53 bits fill an f64 mantissa exactly.
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    //! Ports of urllib3 2.8's `test/test_retry.py` (named after the Python tests), then
    //! cases of this implementation's own.
    use super::*;

    fn err(kind: ErrorKind, message: &str) -> Error {
        Error::new(kind, message)
    }

    fn read_timeout() -> Error {
        err(ErrorKind::ReadTimeout, "read timed out")
    }

    fn response(status: u16) -> Outcome<'static> {
        Outcome::Response {
            status,
            redirect_location: None,
            retry_after: None,
        }
    }

    fn redirect(location: &str) -> Outcome<'_> {
        Outcome::Response {
            status: 302,
            redirect_location: Some(location),
            retry_after: None,
        }
    }

    /// `retry.increment(method="GET")`.
    fn bump(retry: &Retry) -> Retry {
        retry
            .increment(Some("GET"), None, Outcome::Unspecified)
            .unwrap()
    }

    fn bump_n(mut retry: Retry, n: usize) -> Retry {
        for _ in 0..n {
            retry = bump(&retry);
        }
        retry
    }

    /// `retry.increment(error=e)`: no method, no url.
    fn with_error(retry: &Retry, e: &Error) -> Result<Retry> {
        retry.increment(None, None, Outcome::Error(e))
    }

    fn get_error(retry: &Retry, e: &Error) -> Result<Retry> {
        retry.increment(Some("GET"), None, Outcome::Error(e))
    }

    fn assert_max_retry(result: Result<Retry>, reason_kind: ErrorKind, reason_message: &str) {
        let e = result.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::MaxRetry, "{e}");
        let reason = e.reason().unwrap();
        assert_eq!(
            (reason.kind(), reason.message()),
            (reason_kind, reason_message)
        );
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// 2019-06-03 11:00:00 UTC, the `time.time()` urllib3's Retry-After tests mock.
    fn june_3_2019_11h() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_559_559_600)
    }

    fn manual_clock(now: SystemTime) -> Arc<ManualClock> {
        Arc::new(ManualClock::new(now))
    }

    #[test]
    fn test_string() {
        let retry = Retry::new();
        let expected = "Retry(total=10, connect=None, read=None, redirect=None, status=None)";
        assert_eq!(retry.to_string(), expected);
        let retry = bump_n(retry, 3);
        let expected = "Retry(total=7, connect=None, read=None, redirect=None, status=None)";
        assert_eq!(retry.to_string(), expected);
    }

    #[test]
    fn test_retry_both_specified() {
        let e = err(ErrorKind::ConnectTimeout, "");
        let retry = Retry::new().with_connect(3).with_total(2);
        let retry = with_error(&with_error(&retry, &e).unwrap(), &e).unwrap();
        assert_max_retry(with_error(&retry, &e), ErrorKind::ConnectTimeout, "");
    }

    #[test]
    fn test_retry_higher_total_loses() {
        let e = err(ErrorKind::ConnectTimeout, "");
        let retry = Retry::new().with_connect(2).with_total(3);
        let retry = with_error(&with_error(&retry, &e).unwrap(), &e).unwrap();
        assert_max_retry(with_error(&retry, &e), ErrorKind::ConnectTimeout, "");
    }

    #[test]
    fn test_retry_higher_total_loses_vs_read() {
        let e = read_timeout();
        let retry = Retry::new().with_read(2).with_total(3);
        let retry = get_error(&get_error(&retry, &e).unwrap(), &e).unwrap();
        assert_max_retry(
            get_error(&retry, &e),
            ErrorKind::ReadTimeout,
            "read timed out",
        );
    }

    #[test]
    fn test_retry_total_none() {
        let e = err(ErrorKind::ConnectTimeout, "");
        let retry = Retry::new().with_connect(2).with_total(None);
        let retry = with_error(&with_error(&retry, &e).unwrap(), &e).unwrap();
        assert_max_retry(with_error(&retry, &e), ErrorKind::ConnectTimeout, "");

        let e = read_timeout();
        let mut retry = Retry::new().with_connect(2).with_total(None);
        for _ in 0..3 {
            retry = get_error(&retry, &e).unwrap();
        }
        assert!(!retry.is_exhausted());
    }

    #[test]
    fn test_retry_default() {
        let retry = Retry::new();
        assert_eq!(retry.total(), Limit::Count(10));
        for limit in [
            retry.connect(),
            retry.read(),
            retry.redirect(),
            retry.other(),
        ] {
            assert_eq!(limit, Limit::Unlimited);
        }

        let e = err(ErrorKind::ConnectTimeout, "");
        let retry = with_error(&Retry::new().with_connect(1), &e).unwrap();
        assert!(!retry.is_exhausted());
        assert_max_retry(with_error(&retry, &e), ErrorKind::ConnectTimeout, "");

        assert!(Retry::from_total(0).raise_on_redirect());
        assert!(!Retry::disabled().raise_on_redirect());
    }

    #[test]
    fn test_retry_other() {
        let e = err(ErrorKind::Ssl, "");
        let retry = Retry::new().with_connect(1);
        let retry = with_error(&with_error(&retry, &e).unwrap(), &e).unwrap();
        assert!(!retry.is_exhausted());

        let retry = with_error(&Retry::new().with_other(1), &e).unwrap();
        assert_max_retry(with_error(&retry, &e), ErrorKind::Ssl, "");
    }

    #[test]
    fn test_retry_read_zero() {
        let retry = Retry::new().with_read(0);
        let result = get_error(&retry, &read_timeout());
        assert_max_retry(result, ErrorKind::ReadTimeout, "read timed out");
    }

    #[test]
    fn test_status_counter() {
        let retry = Retry::new().with_status(2);
        let retry = retry.increment(None, None, response(400)).unwrap();
        let retry = retry.increment(None, None, response(400)).unwrap();
        let result = retry.increment(None, None, response(400));
        assert_max_retry(result, ErrorKind::Response, "too many 400 error responses");
    }

    #[test]
    fn test_backoff() {
        let retry = Retry::new().with_total(100).with_backoff_factor(0.2);
        assert_eq!(retry.get_backoff_time(), Duration::ZERO); // First request.
        let retry = bump(&retry);
        assert_eq!(retry.get_backoff_time(), Duration::ZERO); // First retry.
        let retry = bump(&retry);
        assert_eq!(retry.backoff_factor(), 0.2);
        assert_eq!(retry.total(), Limit::Count(98));
        assert_eq!(retry.get_backoff_time(), ms(400)); // Backoff starts.
        let retry = bump(&retry);
        assert_eq!(retry.get_backoff_time(), ms(800));
        let retry = bump(&retry);
        assert_eq!(retry.get_backoff_time(), ms(1600));
        let retry = bump_n(retry, 10);
        assert_eq!(retry.get_backoff_time(), Retry::DEFAULT_BACKOFF_MAX);
    }

    #[test]
    fn test_configurable_backoff_max() {
        let retry = Retry::new()
            .with_total(100)
            .with_backoff_factor(0.2)
            .with_backoff_max(Duration::from_secs(1));
        let expected = [0, 0, 400, 800, 1000, 1000];
        let mut retry = retry;
        for (i, want) in expected.into_iter().enumerate() {
            assert_eq!(retry.get_backoff_time(), ms(want), "after {i} increments");
            retry = bump(&retry);
        }
    }

    #[test]
    fn test_configurable_retry_after_max() {
        let max = Retry::DEFAULT_RETRY_AFTER_MAX;
        let retry = Retry::new();
        assert_eq!(retry.parse_retry_after("21600").unwrap(), max);
        assert_eq!(retry.parse_retry_after("21601").unwrap(), max);

        let retry = Retry::new().with_retry_after_max(Duration::from_secs(1));
        assert_eq!(
            retry.parse_retry_after("1").unwrap(),
            Duration::from_secs(1)
        );
        assert_eq!(
            retry.parse_retry_after("2").unwrap(),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn test_backoff_jitter() {
        // Jitter is random: check the bounds on many draws.
        for _ in 0..200 {
            let retry = Retry::new()
                .with_total(100)
                .with_backoff_factor(0.2)
                .with_backoff_max(Duration::from_secs(1))
                .with_backoff_jitter(ms(400));
            assert_eq!(retry.get_backoff_time(), Duration::ZERO);
            let retry = bump(&retry);
            assert_eq!(retry.get_backoff_time(), Duration::ZERO);
            let retry = bump(&retry);
            assert_eq!(retry.total(), Limit::Count(98));
            assert!((ms(400)..=ms(800)).contains(&retry.get_backoff_time()));
            let retry = bump(&retry);
            assert!((ms(800)..=ms(1000)).contains(&retry.get_backoff_time()));
            let retry = bump(&retry);
            assert_eq!(retry.get_backoff_time(), ms(1000));
            assert_eq!(bump(&retry).get_backoff_time(), ms(1000));
        }
    }

    #[test]
    fn test_zero_backoff() {
        let retry = Retry::new();
        assert_eq!(retry.get_backoff_time(), Duration::ZERO);
        assert_eq!(bump_n(retry, 2).get_backoff_time(), Duration::ZERO);
    }

    #[test]
    fn test_backoff_reset_after_redirect() {
        let retry = Retry::new()
            .with_total(100)
            .with_redirect(5)
            .with_backoff_factor(0.2);
        let retry = bump_n(retry, 2);
        assert_eq!(retry.get_backoff_time(), ms(400));
        let retry = retry
            .increment(Some("GET"), None, redirect("test"))
            .unwrap();
        assert_eq!(retry.get_backoff_time(), Duration::ZERO);
        assert_eq!(bump_n(retry, 2).get_backoff_time(), ms(400));
    }

    #[test]
    fn test_sleep() {
        let clock = manual_clock(UNIX_EPOCH);
        let retry = Retry::new()
            .with_backoff_factor(0.0001)
            .with_clock(clock.clone());
        bump_n(retry, 2).sleep(None).unwrap();
        assert_eq!(clock.sleeps(), [Duration::from_micros(200)]);
    }

    #[test]
    fn test_status_forcelist() {
        let retry = Retry::new().with_status_forcelist(500..600);
        assert!(!retry.is_retry("GET", 200, false));
        assert!(!retry.is_retry("GET", 400, false));
        assert!(retry.is_retry("GET", 500, false));

        let retry = Retry::from_total(1).with_status_forcelist([418]);
        assert!(!retry.is_retry("GET", 400, false));
        assert!(retry.is_retry("GET", 418, false));
    }

    #[test]
    fn test_allowed_methods_with_status_forcelist() {
        let retry = Retry::new()
            .with_status_forcelist([500])
            .with_allowed_methods(None);
        assert!(retry.is_retry("GET", 500, false));
        assert!(retry.is_retry("POST", 500, false));

        let retry = Retry::new()
            .with_status_forcelist([500])
            .with_allowed_methods(Some(vec!["POST".into()]));
        assert!(!retry.is_retry("GET", 500, false));
        assert!(retry.is_retry("POST", 500, false));
    }

    #[test]
    fn test_empty_allowed_methods() {
        let retry = Retry::new()
            .with_status_forcelist([500])
            .with_allowed_methods(Some(Vec::new()));
        assert!(retry.is_retry("GET", 500, false));
    }

    #[test]
    fn test_exhausted() {
        assert!(!Retry::from_total(0).is_exhausted());
        assert!(Retry::from_total(-1).is_exhausted());
        assert_eq!(bump(&Retry::from_total(1)).total(), Limit::Count(0));
    }

    #[test]
    fn test_disabled() {
        for total in [-1, 0] {
            let result =
                Retry::from_total(total).increment(Some("GET"), None, Outcome::Unspecified);
            assert_max_retry(result, ErrorKind::Response, GENERIC_ERROR);
        }
    }

    #[test]
    fn test_error_message() {
        let e = get_error(&Retry::from_total(0), &read_timeout()).unwrap_err();
        assert!(e.message().contains("read timed out"), "{e}");
        assert!(!e.message().contains("Caused by redirect"));

        let retry = Retry::from_total(1);
        let retry = retry
            .increment(Some("POST"), Some("/"), Outcome::Unspecified)
            .unwrap();
        let result = retry.increment(Some("POST"), Some("/"), Outcome::Unspecified);
        assert_max_retry(result, ErrorKind::Response, GENERIC_ERROR);

        let retry = Retry::from_total(1);
        let retry = retry
            .increment(Some("POST"), Some("/"), response(500))
            .unwrap();
        let e = retry
            .increment(Some("POST"), Some("/"), response(500))
            .unwrap_err();
        assert!(e.message().contains("too many 500 error responses"), "{e}");

        let conn = err(ErrorKind::ConnectTimeout, "conntimeout");
        let retry = with_error(&Retry::new().with_connect(1), &conn).unwrap();
        let e = with_error(&retry, &conn).unwrap_err();
        assert!(e.message().contains("conntimeout"), "{e}");
        assert!(!e.message().contains("Caused by redirect"));
    }

    #[test]
    fn test_history() {
        let methods = Some(vec!["GET".to_owned(), "POST".to_owned()]);
        let retry = Retry::from_total(10).with_allowed_methods(methods);
        assert!(retry.history().is_empty());
        let conn = err(ErrorKind::ConnectTimeout, "conntimeout");
        let retry = retry
            .increment(Some("GET"), Some("/test1"), Outcome::Error(&conn))
            .unwrap();
        let read = read_timeout().with_url("/test2");
        let retry = retry
            .increment(Some("POST"), Some("/test2"), Outcome::Error(&read))
            .unwrap();
        let retry = retry
            .increment(Some("GET"), Some("/test3"), response(500))
            .unwrap();

        let seen: Vec<_> = retry
            .history()
            .iter()
            .map(|h| {
                let error = h.error.as_ref().map(|e| (e.kind(), e.message().to_owned()));
                (
                    h.method.as_deref(),
                    h.url.as_deref(),
                    error,
                    h.status,
                    h.redirect_location.clone(),
                )
            })
            .collect();
        let conn_err = Some((ErrorKind::ConnectTimeout, "conntimeout".to_owned()));
        let read_err = Some((ErrorKind::ReadTimeout, "read timed out".to_owned()));
        let expected = vec![
            (Some("GET"), Some("/test1"), conn_err, None, None),
            (Some("POST"), Some("/test2"), read_err, None, None),
            (Some("GET"), Some("/test3"), None, Some(500), None),
        ];
        assert_eq!(seen, expected);
        assert_eq!(
            retry.history()[1].error.as_ref().unwrap().url(),
            Some("/test2")
        );
    }

    #[test]
    fn test_retry_method_not_allowed() {
        let e = Retry::new()
            .increment(Some("POST"), None, Outcome::Error(&read_timeout()))
            .unwrap_err();
        assert_eq!(
            (e.kind(), e.message()),
            (ErrorKind::ReadTimeout, "read timed out")
        );
    }

    #[test]
    fn test_retry_default_remove_headers_on_redirect() {
        let expected = ["authorization", "cookie", "proxy-authorization"];
        assert!(Retry::new()
            .remove_headers_on_redirect()
            .iter()
            .eq(expected));
    }

    #[test]
    fn test_retry_set_remove_headers_on_redirect() {
        let retry = Retry::new().with_remove_headers_on_redirect(["X-API-Secret"]);
        assert!(retry
            .remove_headers_on_redirect()
            .iter()
            .eq(["x-api-secret"]));
    }

    #[test]
    fn test_parse_retry_after_invalid() {
        for value in ["-1", "+1", "1.0", "\u{b2}"] {
            let e = Retry::new().parse_retry_after(value).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidHeader);
            assert_eq!(e.message(), format!("Invalid Retry-After header: {value}"));
        }
    }

    #[test]
    fn test_parse_retry_after() {
        for (value, secs) in [("0", 0), ("1000", 1000), ("\t42 ", 42)] {
            let parsed = Retry::new().parse_retry_after(value).unwrap();
            assert_eq!(parsed, Duration::from_secs(secs), "{value:?}");
        }
    }

    #[test]
    fn test_respect_retry_after_header_propagated() {
        for respect in [true, false] {
            let retry = Retry::new().with_respect_retry_after_header(respect);
            assert_eq!(retry.clone().respect_retry_after_header(), respect);
            assert_eq!(bump(&retry).respect_retry_after_header(), respect);
        }
    }

    #[test]
    fn test_respect_retry_after_header_sleep() {
        // urllib3 also runs this under three local time zones; no local time is used here.
        let table: [(&str, bool, Option<u64>); 9] = [
            ("3600", true, Some(3600)),
            ("3600", false, None),
            ("Mon, 3 Jun 2019 12:00:00 UTC", true, Some(3600)),
            ("Mon, 3 Jun 2019 12:00:00 UTC", false, None),
            ("Mon, 3 Jun 2019 11:00:00 UTC", true, None),
            ("Mon, 3 Jun 2019 11:00:00 UTC", false, None),
            ("Mon, 03 Jun 2019 11:30:12 GMT", true, Some(1812)),
            ("Monday, 03-Jun-19 11:30:12 GMT", true, Some(1812)),
            ("Mon Jun  3 11:30:12 2019", true, Some(1812)),
        ];
        for (header, respect, slept) in table {
            let clock = manual_clock(june_3_2019_11h());
            let retry = Retry::new()
                .with_respect_retry_after_header(respect)
                .with_clock(clock.clone());
            retry.sleep(Some(header)).unwrap();
            let expected: Vec<_> = slept.map(Duration::from_secs).into_iter().collect();
            assert_eq!(clock.sleeps(), expected, "{header:?} respect={respect}");
        }
    }

    // ---- Beyond test_retry.py ----

    #[test]
    fn defaults_and_display_of_disabled() {
        assert_eq!(Retry::default().total(), Limit::Count(3));
        let expected = "Retry(total=False, connect=None, read=None, redirect=0, status=None)";
        assert_eq!(Retry::disabled().to_string(), expected);
        let retry = Retry::new()
            .with_connect(1)
            .with_read(Some(2))
            .with_status(None);
        let expected = "Retry(total=10, connect=1, read=2, redirect=None, status=None)";
        assert_eq!(retry.to_string(), expected);
    }

    #[test]
    fn disabled_total_returns_errors_as_themselves() {
        let cause = err(ErrorKind::NameResolution, "no such host");
        let e = err(ErrorKind::NewConnection, "refused")
            .with_url("/x")
            .with_source(cause);
        let back = Retry::disabled().increment(Some("GET"), Some("/y"), Outcome::Error(&e));
        let back = back.unwrap_err();
        assert_eq!(
            (back.kind(), back.message(), back.url()),
            (ErrorKind::NewConnection, "refused", Some("/x"))
        );
        assert_eq!(
            back.reason().map(Error::kind),
            Some(ErrorKind::NameResolution)
        );
    }

    #[test]
    fn disabled_total_exhausts_on_responses_without_raising_on_redirect() {
        // Python: `False - 1 == -1`, so the first redirect or status retry is exhausted.
        let retry = Retry::disabled().with_status_forcelist([500]);
        assert!(!retry.raise_on_redirect());
        assert!(retry.raise_on_status());
        assert!(retry.is_retry("GET", 500, false));
        let result = retry.increment(Some("GET"), Some("/"), redirect("/next"));
        assert_max_retry(result, ErrorKind::Response, "too many redirects");
        let result = retry.increment(Some("GET"), Some("/"), response(500));
        assert_max_retry(result, ErrorKind::Response, "too many 500 error responses");
    }

    #[test]
    fn disabling_survives_builder_order() {
        let retry = Retry::disabled()
            .with_raise_on_redirect(true)
            .with_redirect(5);
        assert_eq!(
            (retry.redirect(), retry.raise_on_redirect()),
            (Limit::Count(0), false)
        );
        let retry = Retry::new().with_total(Limit::Disabled);
        assert_eq!(retry.total(), Limit::Disabled);
        // `redirect=False` alone is only applied once, as in urllib3's constructor.
        let retry = Retry::new().with_redirect_disabled();
        assert_eq!(
            (retry.redirect(), retry.raise_on_redirect()),
            (Limit::Count(0), false)
        );
        assert!(retry.with_raise_on_redirect(true).raise_on_redirect());
    }

    #[test]
    fn redirect_limit() {
        let retry = Retry::new().with_redirect(2);
        let retry = retry
            .increment(Some("GET"), Some("/a"), redirect("/b"))
            .unwrap();
        let retry = retry
            .increment(Some("GET"), Some("/b"), redirect("/c"))
            .unwrap();
        assert_eq!(retry.redirect(), Limit::Count(0));
        let last = &retry.history()[1];
        assert_eq!(
            (last.status, last.redirect_location.as_deref()),
            (Some(302), Some("/c"))
        );
        let result = retry.increment(Some("GET"), Some("/c"), redirect("/d"));
        assert_max_retry(result, ErrorKind::Response, "too many redirects");
        let no_redirect = retry
            .increment(Some("GET"), Some("/c"), redirect(""))
            .unwrap();
        assert_eq!(no_redirect.redirect(), Limit::Count(0));
    }

    #[test]
    fn error_classification_table() {
        let proxied_connect = err(ErrorKind::Proxy, "Unable to connect to proxy")
            .with_source(err(ErrorKind::NewConnection, "refused"));
        let proxied_read = err(ErrorKind::Proxy, "proxy").with_source(read_timeout());
        let cases: [(Error, &str); 8] = [
            (err(ErrorKind::ConnectTimeout, ""), "connect"),
            (err(ErrorKind::NewConnection, ""), "connect"),
            (err(ErrorKind::NameResolution, ""), "connect"),
            (proxied_connect, "connect"),
            (read_timeout(), "read"),
            (err(ErrorKind::Protocol, ""), "read"),
            (err(ErrorKind::ResponseNotChunked, ""), "read"),
            (proxied_read, "other"),
        ];
        let base = Retry::new().with_connect(5).with_read(5).with_other(5);
        for (e, counter) in cases {
            let next = get_error(&base, &e).unwrap();
            let counts = [next.connect(), next.read(), next.other()];
            let expected = match counter {
                "connect" => [4, 5, 5],
                "read" => [5, 4, 5],
                _ => [5, 5, 4],
            }
            .map(Limit::Count);
            assert_eq!(counts, expected, "{e}");
        }
    }

    #[test]
    fn errors_returned_as_themselves() {
        let protocol = err(ErrorKind::Protocol, "Connection aborted.");
        // A read error without a method cannot be judged idempotent.
        let e = with_error(&Retry::new(), &protocol).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
        let e = get_error(&Retry::new().with_read(Limit::Disabled), &protocol).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
        let conn = err(ErrorKind::ConnectTimeout, "slow");
        let e = get_error(&Retry::new().with_connect(Limit::Disabled), &conn).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ConnectTimeout);
    }

    #[test]
    fn zero_status_and_unspecified_are_generic() {
        let retry = Retry::new().with_status(0);
        for outcome in [response(0), Outcome::Unspecified] {
            let next = retry.increment(Some("GET"), None, outcome).unwrap();
            assert_eq!(
                (next.status(), next.history()[0].status),
                (Limit::Count(0), None)
            );
        }
    }

    #[test]
    fn max_retry_error_shape() {
        let e = Retry::from_total(0)
            .increment(Some("GET"), Some("/p"), response(503))
            .unwrap_err();
        let expected = "Max retries exceeded with url: /p (Caused by ResponseError('too many 503 error responses'))";
        assert_eq!((e.message(), e.url()), (expected, Some("/p")));

        let quoted = err(ErrorKind::Protocol, "it's\tbroken\u{1}");
        let e = get_error(&Retry::from_total(0), &quoted).unwrap_err();
        let expected =
            "Max retries exceeded with url: None (Caused by ProtocolError(\"it's\\tbroken\\x01\"))";
        assert_eq!((e.message(), e.url()), (expected, None));
    }

    #[test]
    fn reason_keeps_cause_chain_and_counts() {
        let io = io::Error::new(io::ErrorKind::ConnectionReset, "reset");
        let e = Error::incomplete_read(3, 4).with_source(io);
        let max = with_error(&Retry::from_total(0), &e).unwrap_err();
        let reason = max.reason().unwrap();
        assert_eq!(reason.counts(), Some((3, 4)));
        let io = StdError::source(reason)
            .unwrap()
            .downcast_ref::<io::Error>()
            .unwrap();
        assert_eq!(
            (io.kind(), io.to_string()),
            (io::ErrorKind::ConnectionReset, "reset".to_owned())
        );
    }

    #[test]
    fn is_retry_on_retry_after() {
        let cases: [(Retry, u16, bool, bool); 6] = [
            (Retry::new(), 503, true, true),
            (Retry::new(), 429, true, true),
            (Retry::new(), 500, true, false),
            (Retry::new(), 503, false, false),
            (
                Retry::new().with_respect_retry_after_header(false),
                503,
                true,
                false,
            ),
            // urllib3 tests `self.total` for truthiness: None and 0 both say no.
            (Retry::new().with_total(None), 413, true, false),
        ];
        for (retry, status, has_header, expected) in cases {
            assert_eq!(
                retry.is_retry("get", status, has_header),
                expected,
                "{retry} {status}"
            );
        }
        assert!(!Retry::from_total(0).is_retry("GET", 503, true));
        assert!(!Retry::new().is_retry("POST", 503, true));
        // Stored methods are not upper-cased, as in urllib3.
        let lower = Retry::new().with_allowed_methods(Some(vec!["get".into()]));
        assert!(!lower.is_method_retryable("get"));
    }

    #[test]
    fn parse_retry_after_dates() {
        let clock = manual_clock(june_3_2019_11h());
        let retry = Retry::new().with_clock(clock);
        let cases: [(&str, u64); 8] = [
            ("Mon, 03 Jun 2019 12:00:00 +0100", 0),
            ("Mon, 03 Jun 2019 12:00:00 -0100", 7200),
            ("Mon, 03 Jun 2019 08:00:00 EST", 7200),
            ("3 Jun 2019 11:00:30 XYZ", 30),
            ("Mon,3 Jun 2019 11:00:30", 30),
            ("Mon, 03 Jun 2019 11.01", 60),
            ("Sun, 02 Jun 2019 11:00:00 GMT", 0),
            ("Mon, 03 Jun 2099 11:00:00 GMT", 21_600),
        ];
        for (value, secs) in cases {
            let parsed = retry.parse_retry_after(value).unwrap();
            assert_eq!(parsed, Duration::from_secs(secs), "{value}");
        }
        let e = retry
            .parse_retry_after("Mon, 03 Jun 10000 11:00 GMT")
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        for bad in [
            "",
            "   ",
            "Mon, 03 Foo 2019 11:00 GMT",
            "Mon, 03 Jun 2019 11 GMT",
        ] {
            assert_eq!(
                retry.parse_retry_after(bad).unwrap_err().kind(),
                ErrorKind::InvalidHeader
            );
        }
        let huge = retry.parse_retry_after("99999999999999999999999").unwrap();
        assert_eq!(huge, Retry::DEFAULT_RETRY_AFTER_MAX);
    }

    #[test]
    fn retry_after_helpers() {
        let clock = manual_clock(june_3_2019_11h());
        let retry = bump_n(
            Retry::new()
                .with_backoff_factor(1.0)
                .with_clock(clock.clone()),
            2,
        );
        assert_eq!(retry.get_retry_after(None).unwrap(), None);
        assert_eq!(
            retry.get_retry_after(Some("5")).unwrap(),
            Some(Duration::from_secs(5))
        );
        assert!(!retry.sleep_for_retry(Some("0")).unwrap());
        // A zero Retry-After falls back to the backoff; a bad one is an error.
        retry.sleep(Some("0")).unwrap();
        assert_eq!(
            retry.sleep(Some("soon")).unwrap_err().kind(),
            ErrorKind::InvalidHeader
        );
        assert_eq!(clock.sleeps(), [Duration::from_secs(2)]);
        assert_eq!(clock.now(), june_3_2019_11h() + Duration::from_secs(2));
    }

    #[test]
    fn backoff_never_panics() {
        for factor in [-1.0, f64::NAN, f64::INFINITY, 0.0, 1e300] {
            let retry = Retry::new()
                .with_total(None)
                .with_backoff_factor(factor)
                .with_backoff_max(Duration::MAX)
                .with_backoff_jitter(ms(1));
            let retry = bump_n(retry, 1100);
            let _ = retry.get_backoff_time();
        }
        let retry = bump_n(Retry::new().with_total(None), 1100);
        assert_eq!(retry.get_backoff_time(), Duration::ZERO);
    }

    #[test]
    fn retry_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Retry>();
    }

    #[test]
    fn remove_header_lookup_ignores_case() {
        let retry = Retry::new();
        assert!(retry.removes_header_on_redirect("COOKIE"));
        assert!(!retry.removes_header_on_redirect("Accept"));
    }
}
