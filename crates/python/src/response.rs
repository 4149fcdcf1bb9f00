//! `urllib3._rs.Response`: a response head and a body read on demand.

use std::sync::{Mutex, MutexGuard};

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::guard;
use urllib3::{raw, HeaderMap, Response, ResponseOptions, Version};

/// A response whose body is read (and decoded) in Rust.
#[pyclass(module = "urllib3._rs", name = "Response", frozen)]
pub(crate) struct PyResponse {
    /// `None` while a read runs without the GIL, or once closed.
    inner: Mutex<Option<Response>>,
    status: u16,
    reason: String,
    version: u8,
    headers: Vec<(String, String)>,
    unparsed_headers: Option<String>,
}

impl PyResponse {
    pub(crate) fn new(response: Response) -> Self {
        PyResponse {
            status: response.status(),
            reason: response.reason().to_owned(),
            version: response.version().as_int(),
            headers: response
                .headers()
                .iter()
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect(),
            unparsed_headers: response.unparsed_headers().map(str::to_owned),
            inner: Mutex::new(Some(response)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<Response>> {
        // Only ever replaced whole: a poisoned lock still holds a valid value.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the response without the GIL. The response is taken out of the lock for the
    /// duration, so the GIL-free read never blocks other Python threads on this mutex.
    fn with_response<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut Response) -> urllib3::Result<T> + Send,
    ) -> PyResult<Option<T>> {
        let Some(response) = self.lock().take() else {
            return Ok(None);
        };
        let (result, response) = py.detach(move || {
            let mut response = response;
            let result = guard(|| f(&mut response));
            (result, response)
        });
        *self.lock() = Some(response);
        result.map(Some)
    }
}

#[pymethods]
impl PyResponse {
    /// A response whose body is read from a Python file-like object `fp` (its `read(n)`), framed
    /// by `Content-Length` if the headers give one and decoded like any other.
    #[staticmethod]
    ///
    /// With `wire` true, `fp` gives the raw body as sent (chunk framing included) and the
    /// headers frame it, as for the socket file of an `http.client` response.
    #[pyo3(signature = (fp, status, reason, version, headers, decode_content=true, enforce_content_length=true, wire=false, method="GET"))]
    #[allow(clippy::too_many_arguments)]
    fn from_reader(
        fp: Py<PyAny>,
        status: u16,
        reason: &str,
        version: u8,
        headers: Vec<(String, String)>,
        decode_content: bool,
        enforce_content_length: bool,
        wire: bool,
        method: &str,
    ) -> PyResult<Self> {
        let version = if version == 10 {
            Version::Http10
        } else {
            Version::Http11
        };
        let options = ResponseOptions {
            decode_content,
            enforce_content_length,
        };
        let headers: HeaderMap = headers.into_iter().collect();
        let reader = Box::new(PyReader { fp });
        let response = guard(|| {
            if wire {
                raw::response_from_wire(status, reason, version, headers, reader, method, options)
            } else {
                raw::response_from_reader(status, reason, version, headers, reader, options)
            }
        })?;
        Ok(PyResponse::new(response))
    }

    #[getter]
    fn status(&self) -> u16 {
        self.status
    }

    #[getter]
    fn reason(&self) -> &str {
        &self.reason
    }

    /// 10 or 11, as `http.client` reports it.
    #[getter]
    fn version(&self) -> u8 {
        self.version
    }

    /// The headers as (name, value) pairs in wire order and case.
    /// Header lines that were not `name: value` (skipped), or None.
    #[getter]
    fn unparsed_headers(&self) -> Option<&str> {
        self.unparsed_headers.as_deref()
    }

    #[getter]
    fn headers(&self) -> Vec<(String, String)> {
        self.headers.clone()
    }

    /// Reads up to `amt` bytes (all with None), decoded with `content_encoding` unless
    /// `decode` is false. Returns exactly `amt` bytes unless the body ends.
    #[pyo3(signature = (amt=None, decode=true, content_encoding=None))]
    fn read<'py>(
        &self,
        py: Python<'py>,
        amt: Option<usize>,
        decode: bool,
        content_encoding: Option<String>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let data = self.with_response(py, move |r| {
            sync_encoding(r, content_encoding.as_deref());
            r.read_with(amt, decode)
        })?;
        Ok(PyBytes::new(py, &data.unwrap_or_default()))
    }

    /// The next piece of a chunked body (at most `amt` bytes, never across two wire chunks when
    /// not decoding); empty at the end.
    #[pyo3(signature = (amt=None, decode=true, content_encoding=None))]
    fn read_chunk<'py>(
        &self,
        py: Python<'py>,
        amt: Option<usize>,
        decode: bool,
        content_encoding: Option<String>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let data = self.with_response(py, move |r| {
            sync_encoding(r, content_encoding.as_deref());
            match r.read_chunked(amt, decode)?.next() {
                Some(piece) => piece,
                None => Ok(Vec::new()),
            }
        })?;
        Ok(PyBytes::new(py, &data.unwrap_or_default()))
    }

    /// Reads and discards the rest of the body so the connection can be reused.
    fn drain(&self, py: Python<'_>) -> PyResult<()> {
        self.with_response(py, |r| r.drain()).map(drop)
    }

    /// Body bytes received so far, before decoding.
    fn tell(&self) -> u64 {
        self.lock().as_ref().map_or(0, Response::tell)
    }

    #[getter]
    fn length_remaining(&self) -> Option<u64> {
        self.lock().as_ref().and_then(Response::length_remaining)
    }

    #[getter]
    fn is_complete(&self) -> bool {
        self.lock().as_ref().is_none_or(Response::is_complete)
    }

    #[getter]
    fn is_chunked(&self) -> bool {
        self.lock().as_ref().is_some_and(Response::is_chunked)
    }

    /// Drops the body: the connection closes unless the body was complete.
    fn close(&self) {
        drop(self.lock().take());
    }

    #[getter]
    fn closed(&self) -> bool {
        self.lock().is_none()
    }

    /// botocore reaches for `response._fp.fp.raw._sock` (http.client's response, its socket
    /// file, the raw socket IO, the socket) to change a download's read timeout. Each step
    /// answers with this response, whose `settimeout` applies to the rest of the body.
    #[getter]
    fn fp(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// See `fp`.
    #[getter]
    fn raw(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// See `fp`.
    #[getter]
    fn _sock(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// `socket.settimeout` for the rest of the body: seconds, or None to wait without limit.
    fn settimeout(&self, timeout: Option<f64>) -> PyResult<()> {
        let timeout = timeout.map(crate::config::seconds).transpose()?;
        match self.lock().as_mut() {
            Some(response) => response
                .set_read_timeout(timeout)
                .map_err(crate::errors::to_py),
            None => Ok(()),
        }
    }
}

/// The Python layer reads `Content-Encoding` from its own (mutable) header dict; the decoder is
/// chosen from it when reading starts, as urllib3 does.
fn sync_encoding(response: &mut Response, content_encoding: Option<&str>) {
    let headers = response.headers_mut();
    match content_encoding {
        Some(value) => headers.insert("Content-Encoding", value),
        None => {
            headers.remove("Content-Encoding");
        }
    }
}

/// A Python file-like object as a byte source. The GIL is taken for each `read(n)` call only.
struct PyReader {
    fp: Py<PyAny>,
}

impl std::io::Read for PyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        Python::attach(|py| {
            let data = self
                .fp
                .bind(py)
                .call_method1("read", (buf.len(),))
                .and_then(|d| crate::body::chunk_bytes(&d))
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            // A reader that returns more than asked breaks the contract; keep what fits.
            let n = data.len().min(buf.len());
            buf[..n].copy_from_slice(&data[..n]);
            Ok(n)
        })
    }
}
