//! The fast lane's crossing: a stock request written, its head read and, when the caller
//! preloads a body it does not decode, the body read too, all in one release of the GIL.
//!
//! The Python side (`urllib3._lane`) decides whether a request may take the lane and does the
//! bookkeeping urllib3's stages do around the exchange; this module is the exchange itself,
//! which replaces `HTTPConnection.request` + `getresponse` + the preloading `read`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use urllib3::connection::{Request, SKIP_HEADER};
use urllib3::{Body, HeaderMap, ResponseOptions};

use crate::config::seconds;
use crate::connection::{put_back, to_body, PyConnection};
use crate::errors::guard;
use crate::response::{reads_in_place, Prefetched, PyResponse};

/// Requests the lane sent (whatever came of them), and requests it declined (counted by the
/// Python side).
static SERVED: AtomicU64 = AtomicU64::new(0);
static DECLINED: AtomicU64 = AtomicU64::new(0);

/// Writes a request on `conn` and reads the response head; with `preload`, also the body,
/// unless it is to be decoded (then the Python side reads it through its decoder).
///
/// Returns None, having done nothing, when the headers are not ones the lane writes as
/// urllib3 would (a `SKIP_HEADER` value, whose rules the Python side enforces, or a name or
/// value that is neither str nor bytes): the caller then sends the request the usual way.
#[pyfunction]
#[pyo3(signature = (conn, method, target, host, headers, body, user_agent, write_timeout, read_timeout, decode_content, enforce_content_length, preload))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn exchange(
    py: Python<'_>,
    conn: &PyConnection,
    method: &str,
    target: &str,
    host: &str,
    headers: &Bound<'_, PyAny>,
    body: Option<Bound<'_, PyAny>>,
    user_agent: &str,
    write_timeout: Option<f64>,
    read_timeout: Option<f64>,
    decode_content: bool,
    enforce_content_length: bool,
    preload: bool,
) -> PyResult<Option<PyResponse>> {
    let Some(headers) = header_map(headers)? else {
        return Ok(None);
    };
    let exchange = Exchange {
        method: method.to_owned(),
        target: target.to_owned(),
        host: host.to_owned(),
        headers,
        body: to_body(body)?,
        user_agent: user_agent.to_owned(),
        write_timeout: write_timeout.map(seconds).transpose()?,
        read_timeout: read_timeout.map(seconds).transpose()?,
        options: ResponseOptions {
            decode_content,
            enforce_content_length,
        },
        preload,
    };
    exchange.run(py, conn).map(Some)
}

/// One request as the lane writes it, and how its response is read.
pub(crate) struct Exchange {
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) host: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Body,
    pub(crate) user_agent: String,
    pub(crate) write_timeout: Option<Duration>,
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) options: ResponseOptions,
    pub(crate) preload: bool,
}

impl Exchange {
    /// Writes the request on `conn` and reads the head (and, with `preload`, a body that
    /// needs no decoding), in one release of the GIL. A failure leaves `conn` closed.
    pub(crate) fn run(self, py: Python<'_>, conn: &PyConnection) -> PyResult<PyResponse> {
        let mut taken = conn.take()?;
        let slot = Arc::clone(conn.slot());
        let Exchange {
            method,
            target,
            host,
            headers,
            mut body,
            user_agent,
            write_timeout,
            read_timeout,
            options,
            preload,
        } = self;
        let outcome = py.detach(move || {
            guard(move || {
                let request = Request {
                    method: &method,
                    target: &target,
                    host: &host,
                    headers: &headers,
                    chunked: false,
                    user_agent: &user_agent,
                };
                if let Err(e) = taken.write_request(&request, &mut body, write_timeout) {
                    put_back(&slot, None);
                    return Err(e);
                }
                let failed_slot = Arc::clone(&slot);
                let mut response = taken
                    .read_response(&method, read_timeout, options)
                    .inspect_err(|_| put_back(&failed_slot, None))?;
                response.set_release(Box::new(move |conn| put_back(&slot, conn)));
                // A body to decode goes through the decoder the Python side holds, and a large
                // one is read by `HTTPResponse.read` straight into its `bytes`.
                let raw_is_final =
                    !options.decode_content || response.headers().get("content-encoding").is_none();
                let in_place = response.length_remaining().is_some_and(reads_in_place);
                let ahead = (preload && raw_is_final && !in_place).then(|| response.read_raw(None));
                Ok((response, ahead))
            })
        });
        // A failed exchange was the lane's too: the stages only decide what follows it.
        SERVED.fetch_add(1, Ordering::Relaxed);
        let (response, ahead) = outcome?;
        let body = ahead.map(|read| match read {
            Ok(body) => Prefetched::Body(PyBytes::new(py, &body).unbind()),
            Err(e) => Prefetched::Failed(crate::errors::to_py(e)),
        });
        Ok(PyResponse::with_body(response, body))
    }
}

/// The caller's headers in the order given, or None when one is not for the lane.
pub(crate) fn header_map(headers: &Bound<'_, PyAny>) -> PyResult<Option<HeaderMap>> {
    let mut map = HeaderMap::new();
    let mut add = |name: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>| -> PyResult<bool> {
        let (Some(name), Some(value)) = (text(name)?, text(value)?) else {
            return Ok(false);
        };
        if value == SKIP_HEADER {
            return Ok(false);
        }
        map.append(name, value);
        Ok(true)
    };
    if let Ok(dict) = headers.cast::<PyDict>() {
        for (name, value) in dict.iter() {
            if !add(&name, &value)? {
                return Ok(None);
            }
        }
    } else {
        for item in headers.call_method0("items")?.try_iter()? {
            let (name, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
            if !add(&name, &value)? {
                return Ok(None);
            }
        }
    }
    Ok(Some(map))
}

/// A header name or value as urllib3 writes it: str as it is, bytes as Latin-1.
fn text(value: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(Some(s.to_str()?.to_owned()));
    }
    if let Ok(b) = value.cast::<PyBytes>() {
        return Ok(Some(b.as_bytes().iter().map(|&c| char::from(c)).collect()));
    }
    Ok(None)
}

/// Counts a request the lane declined (the Python side decides that).
#[pyfunction]
pub(crate) fn _lane_declined() {
    DECLINED.fetch_add(1, Ordering::Relaxed);
}

/// `(served, declined)`: how many requests took the lane and how many it turned away, so a
/// benchmark can show that its requests were served by it.
#[pyfunction]
pub(crate) fn _lane_counts() -> (u64, u64) {
    (
        SERVED.load(Ordering::Relaxed),
        DECLINED.load(Ordering::Relaxed),
    )
}
