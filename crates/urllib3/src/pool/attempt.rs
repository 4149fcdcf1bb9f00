//! One `urlopen` call's decisions across its tries: what a failure or a response leads to
//! (retry, follow a redirect, or return), shared by [`ConnectionPool`](super::ConnectionPool)
//! and the pool manager, which carries an attempt on to other hosts.
//!
//! The retry arithmetic itself is [`Retry`]'s; this module applies it to a request: it counts,
//! sleeps the backoff, rewinds the body and rewrites the request for a redirect.

use crate::body::Body;
use crate::error::{Error, ErrorKind, Result};
use crate::headers::HeaderMap;
use crate::response::Response;
use crate::retry::{Outcome, Retry};
use crate::timeout::Timeout;

use super::options::{PoolConfig, RequestOptions};

/// Status codes that carry a redirect (urllib3's `REDIRECT_STATUSES`).
const REDIRECT_STATUSES: [u16; 5] = [301, 302, 303, 307, 308];

/// Headers that describe a request body, dropped when a 303 turns the request into a GET
/// (RFC 9110 §15.4); `Transfer-Encoding` goes too since no body follows.
const CONTENT_HEADERS: [&str; 8] = [
    "Content-Encoding",
    "Content-Language",
    "Content-Location",
    "Content-Type",
    "Content-Length",
    "Digest",
    "Last-Modified",
    "Transfer-Encoding",
];

/// What `urlopen` does after a response arrived.
// Lives for one match right after it is made; boxing the response would cost an allocation per
// request for nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum FollowUp {
    Done(Response),
    Again,
}

/// The state of one `urlopen` call across its retries and redirects.
pub(crate) struct Attempt {
    pub(crate) method: String,
    pub(crate) url: String,
    pub(crate) headers: HeaderMap,
    pub(crate) options: RequestOptions,
    pub(crate) retries: Retry,
    pub(crate) timeout: Timeout,
}

impl Attempt {
    pub(crate) fn new(
        method: &str,
        url: &str,
        mut options: RequestOptions,
        config: &PoolConfig,
    ) -> Self {
        let headers = options
            .headers
            .take()
            .unwrap_or_else(|| config.headers.clone());
        let retries = options
            .retries
            .take()
            .unwrap_or_else(|| config.retries.clone());
        let retries = if options.redirect {
            retries
        } else {
            retries.with_redirect_disabled()
        };
        Attempt {
            method: method.to_owned(),
            url: strip_fragment(url),
            headers,
            timeout: options.timeout.unwrap_or(config.timeout),
            options,
            retries,
        }
    }

    /// Counts a failed try against the retries, sleeps the backoff, and rewinds the body.
    pub(crate) fn retry_after_error(&mut self, e: &Error) -> Result<()> {
        self.retries =
            self.retries
                .increment(Some(&self.method), Some(&self.url), Outcome::Error(e))?;
        self.retries.sleep(None)?;
        log::warn!(
            target: "urllib3.connectionpool",
            "Retrying ({}) after connection broken by '{}': {}",
            self.retries,
            e,
            self.url
        );
        self.rewind()
    }

    fn rewind(&mut self) -> Result<()> {
        self.options.body.rewind()
    }

    /// Decides between returning the response, following its redirect, or retrying on its
    /// status. `same_host` tells whether a location stays on the host the headers were for.
    pub(crate) fn follow_up(
        &mut self,
        mut response: Response,
        same_host: impl Fn(&str) -> bool,
    ) -> Result<FollowUp> {
        let status = response.status();
        let location = self
            .options
            .redirect
            .then(|| redirect_location(&response))
            .flatten();
        if let Some(location) = location {
            let followed = self.redirect(response, &location, same_host)?;
            if let FollowUp::Again = followed {
                log::debug!(target: "urllib3.connectionpool", "Redirecting {} -> {}", self.url, location);
                self.url = strip_fragment(&location);
            }
            return Ok(followed);
        }
        let retry_after = retry_after(&response);
        let has_retry_after = retry_after.as_deref().is_some_and(|v| !v.is_empty());
        if !self.retries.is_retry(&self.method, status, has_retry_after) {
            return Ok(FollowUp::Done(response));
        }
        let outcome = Outcome::Response {
            status,
            redirect_location: None,
            retry_after: retry_after.as_deref(),
        };
        match self
            .retries
            .increment(Some(&self.method), Some(&self.url), outcome)
        {
            Ok(next) => self.retries = next,
            Err(e) if e.kind() == ErrorKind::MaxRetry && !self.retries.raise_on_status() => {
                return Ok(FollowUp::Done(response))
            }
            Err(e) => {
                let _ = response.drain();
                return Err(e);
            }
        }
        let _ = response.drain();
        self.retries.sleep(retry_after.as_deref())?;
        log::debug!(target: "urllib3.connectionpool", "Retry: {}", self.url);
        self.rewind()?;
        Ok(FollowUp::Again)
    }

    /// Counts a redirect to `location` against the retries and prepares the request for it
    /// (a 303 becomes a bodiless GET; credentials stay behind when the host changes). The
    /// caller moves `url` to the new location.
    pub(crate) fn redirect(
        &mut self,
        mut response: Response,
        location: &str,
        same_host: impl Fn(&str) -> bool,
    ) -> Result<FollowUp> {
        let retry_after = retry_after(&response);
        let retry_after = retry_after.as_deref();
        if response.status() == 303 {
            self.method = "GET".to_owned();
            self.options.body = Body::Empty;
            self.options.chunked = false;
            for name in CONTENT_HEADERS {
                self.headers.remove(name);
            }
        }
        if !same_host(location) {
            for name in self.retries.remove_headers_on_redirect() {
                self.headers.remove(name);
            }
        }
        let outcome = Outcome::Response {
            status: response.status(),
            redirect_location: Some(location),
            retry_after,
        };
        match self
            .retries
            .increment(Some(&self.method), Some(&self.url), outcome)
        {
            Ok(next) => self.retries = next,
            Err(e) if e.kind() == ErrorKind::MaxRetry && !self.retries.raise_on_redirect() => {
                return Ok(FollowUp::Done(response))
            }
            Err(e) => {
                let _ = response.drain();
                return Err(e);
            }
        }
        // A failed drain only means the connection is not reused; the redirect goes on.
        let _ = response.drain();
        self.retries.sleep_for_retry(retry_after)?;
        self.rewind()?;
        Ok(FollowUp::Again)
    }
}

/// Where a redirect response points, if it is one (urllib3's `get_redirect_location`).
pub(crate) fn redirect_location(response: &Response) -> Option<String> {
    if !REDIRECT_STATUSES.contains(&response.status()) {
        return None;
    }
    response.headers().get("location").map(|l| l.into_owned())
}

fn retry_after(response: &Response) -> Option<String> {
    response
        .headers()
        .get("retry-after")
        .map(|v| v.into_owned())
}

/// Failures that `urlopen` hands to the retry policy; the others (bad arguments, a closed or
/// empty pool, a malformed header from the caller) go straight to the caller, as in urllib3.
pub(crate) fn is_retryable(e: &Error) -> bool {
    let kind = e.kind();
    kind.is_timeout()
        || matches!(
            kind,
            ErrorKind::Protocol | ErrorKind::Ssl | ErrorKind::Proxy | ErrorKind::IncompleteRead
        )
}

fn strip_fragment(url: &str) -> String {
    url.split_once('#')
        .map_or(url, |(before, _)| before)
        .to_owned()
}
