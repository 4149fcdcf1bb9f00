//! `urllib3._rs.Response`: a response head and a body read on demand.

use std::sync::{Arc, Mutex, MutexGuard};

use pyo3::exceptions::PyRuntimeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyType};

use crate::errors::guard;
use urllib3::response::ContentDecoder;
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
    will_close: bool,
    /// What the caller's file raised, for a body read from one: a read that fails because of
    /// it raises it rather than the core's error (urllib3 maps the file's own exceptions).
    reader_error: ReaderError,
    /// What the fast lane read of the body with the head, served before anything else is read.
    prefetched: Mutex<Option<Prefetched>>,
}

/// A raw body read ahead: all of it, or the error reading it met (raised by the first read,
/// as reading it then would have).
pub(crate) enum Prefetched {
    Body(Py<PyBytes>),
    Failed(PyErr),
}

type ReaderError = Arc<Mutex<Option<PyErr>>>;

/// What `urllib3.response` makes a response of: `(BytesQueueBuffer, the state every new one
/// starts from, HTTPResponse.read as shipped)`.
pub(crate) type MadeOf<'py> = (Bound<'py, PyType>, Bound<'py, PyDict>, Bound<'py, PyAny>);

/// How urllib3's response reads the body: its `preload_content`, `decode_content` and
/// `enforce_content_length`.
#[derive(Clone, Copy)]
pub(crate) struct ReadAs {
    pub(crate) preload_content: bool,
    pub(crate) decode_content: bool,
    pub(crate) enforce_content_length: bool,
}

/// Reads at least this long go straight into the Python `bytes` that holds them. Through a
/// `Vec` first, a 1 MiB body over HTTP/2 touched twice the memory, and the copy, the `Vec`'s
/// growth and their page faults took half the time of the whole request. A shorter body
/// keeps the `Vec`: the fast lane reads it with the head in its one release of the GIL,
/// where reading in place would take a second one.
const READ_IN_PLACE_MIN: u64 = 128 * 1024;

/// A piece of a body (`read(amt)`, `stream`) at least this long goes straight into the `bytes`
/// that holds it. Unlike a whole body, which the lane may read with the head, a piece takes a
/// release of the GIL either way, and through a `Vec` it was copied once more.
const PIECE_IN_PLACE_MIN: usize = 16 * 1024;

/// Whether a read of a whole body of `len` bytes goes straight into the `bytes` that holds it.
pub(crate) fn reads_in_place(len: u64) -> bool {
    len >= READ_IN_PLACE_MIN
}

impl PyResponse {
    pub(crate) fn new(response: Response) -> Self {
        Self::with_reader_error(response, ReaderError::default())
    }

    /// A response whose raw body the lane already read (or failed to).
    pub(crate) fn with_body(response: Response, body: Option<Prefetched>) -> Self {
        let made = Self::new(response);
        *made.prefetched.lock().unwrap_or_else(|e| e.into_inner()) = body;
        made
    }

    /// urllib3's `HTTPResponse` (`cls`) around this response: see `to_urllib3`.
    pub(crate) fn made_urllib3<'py>(
        slf: &Bound<'py, Self>,
        cls: &Bound<'py, PyType>,
        made_of: &MadeOf<'py>,
        request_url: &Bound<'py, PyAny>,
        read_as: ReadAs,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let this = slf.get();
        let (buffer_cls, initial, stock_read) = made_of;
        let ReadAs {
            preload_content,
            decode_content,
            enforce_content_length,
        } = read_as;
        let chunked = this.names_chunked();
        let length_remaining = if chunked {
            None
        } else {
            this.length_remaining()
        };
        let response = cls.call_method1(intern!(py, "__new__"), (cls,))?;
        let state = response
            .getattr(intern!(py, "__dict__"))?
            .cast_into::<PyDict>()?;
        state.update(initial.as_mapping())?;
        state.set_item(intern!(py, "status"), this.status)?;
        state.set_item(intern!(py, "version"), this.version)?;
        state.set_item(intern!(py, "version_string"), this.version_string())?;
        state.set_item(intern!(py, "reason"), &this.reason)?;
        state.set_item(intern!(py, "decode_content"), decode_content)?;
        state.set_item(intern!(py, "_request_url"), request_url)?;
        state.set_item(intern!(py, "chunked"), chunked)?;
        state.set_item(
            intern!(py, "enforce_content_length"),
            enforce_content_length,
        )?;
        state.set_item(intern!(py, "_fp"), slf)?;
        state.set_item(intern!(py, "_core"), slf)?;
        state.set_item(intern!(py, "length_remaining"), length_remaining)?;
        state.set_item(intern!(py, "_decoded_buffer"), buffer_cls.call0()?)?;
        if !preload_content {
            return Ok(response);
        }
        let read_ahead = if cls.getattr(intern!(py, "read"))?.is(stock_read)
            && this.header_values("content-encoding").next().is_none()
        {
            this.take_read_ahead()
        } else {
            None
        };
        match read_ahead {
            // Nothing to decode, all of it read with the head: what read() would leave.
            Some(body) => {
                state.set_item(intern!(py, "_body"), body)?;
                state.set_item(intern!(py, "_decoder_initialized"), true)?;
                state.set_item(intern!(py, "_uncached_read_occurred"), true)?;
            }
            None => {
                let kwargs = PyDict::new(py);
                kwargs.set_item(intern!(py, "decode_content"), decode_content)?;
                let body = response.call_method(intern!(py, "read"), (), Some(&kwargs))?;
                response.setattr(intern!(py, "_body"), body)?;
            }
        }
        Ok(response)
    }

    fn with_reader_error(response: Response, reader_error: ReaderError) -> Self {
        PyResponse {
            reader_error,
            prefetched: Mutex::new(None),
            status: response.status(),
            reason: response.reason().to_owned(),
            version: response.version().as_int(),
            headers: response
                .headers()
                .iter()
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect(),
            unparsed_headers: response.unparsed_headers().map(str::to_owned),
            will_close: response.will_close(),
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
        match result {
            Ok(value) => Ok(Some(value)),
            Err(e) => Err(self.take_reader_error().unwrap_or(e)),
        }
    }

    /// Up to `amt` bytes (all with None) of what the lane read ahead, None when it holds none.
    fn take_prefetched<'py>(
        &self,
        py: Python<'py>,
        amt: Option<usize>,
    ) -> Option<PyResult<Bound<'py, PyBytes>>> {
        let mut held = self.prefetched.lock().unwrap_or_else(|e| e.into_inner());
        let body = match held.take()? {
            Prefetched::Failed(e) => return Some(Err(e)),
            Prefetched::Body(body) => body.into_bound(py),
        };
        let bytes = body.as_bytes();
        match amt {
            Some(n) if n < bytes.len() => {
                *held = Some(Prefetched::Body(PyBytes::new(py, &bytes[n..]).unbind()));
                Some(Ok(PyBytes::new(py, &bytes[..n])))
            }
            _ => Some(Ok(body)),
        }
    }

    /// Up to `amt` body bytes as received (the rest with None). A large read goes straight
    /// into the `bytes` returned.
    fn read_raw<'py>(&self, py: Python<'py>, amt: Option<usize>) -> PyResult<Bound<'py, PyBytes>> {
        let left = self
            .length_remaining()
            .and_then(|n| usize::try_from(n).ok());
        // No more than is left is set aside for a piece.
        let size = match (amt, left) {
            (Some(amt), Some(left)) => Some(amt.min(left)),
            (amt, left) => amt.or(left),
        };
        let in_place = match amt {
            None => size.is_some_and(|size| reads_in_place(size as u64)),
            Some(_) => size.is_some_and(|size| size >= PIECE_IN_PLACE_MIN),
        };
        match size {
            Some(size) if in_place => self.read_raw_in_place(py, size, amt.is_none()),
            _ => {
                let data = self.with_response(py, move |r| r.read_raw(amt))?;
                Ok(PyBytes::new(py, &data.unwrap_or_default()))
            }
        }
    }

    /// Reads `size` bytes into a new `bytes`; with `to_end`, as a read of the whole body, then
    /// whatever follows them (a length announced short of the body). Only a read that ends
    /// elsewhere copies.
    fn read_raw_in_place<'py>(
        &self,
        py: Python<'py>,
        size: usize,
        to_end: bool,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let mut read = Ok(None);
        let bytes = PyBytes::new_with(py, size, |buf| {
            read = self.with_response(py, |r| {
                if to_end {
                    r.read_raw_to_end_into(buf)
                } else {
                    Ok((r.read_raw_into(buf)?, Vec::new()))
                }
            });
            Ok(())
        })?;
        match read? {
            Some((filled, rest)) if filled == size && rest.is_empty() => Ok(bytes),
            Some((filled, rest)) => Ok(PyBytes::new(
                py,
                &[&bytes.as_bytes()[..filled], &rest[..]].concat(),
            )),
            None => Ok(PyBytes::new(py, b"")),
        }
    }

    fn forget_prefetched(&self) {
        drop(
            self.prefetched
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take(),
        );
    }

    /// The values of header `name`, whatever its case on the wire. (ASCII case is all there
    /// is to ignore: no other character lower-cases to a letter of the names asked for.)
    fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether Transfer-Encoding lists `chunked` (in any of its lines), as urllib3 decides
    /// `HTTPResponse.chunked`.
    fn names_chunked(&self) -> bool {
        self.header_values("transfer-encoding")
            .flat_map(|v| v.split(','))
            .any(|coding| coding.trim().to_lowercase() == "chunked")
    }

    fn take_reader_error(&self) -> Option<PyErr> {
        self.reader_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
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
        let reader_error = ReaderError::default();
        let reader = Box::new(PyReader {
            fp,
            error: reader_error.clone(),
        });
        let response = guard(|| {
            if wire {
                raw::response_from_wire(status, reason, version, headers, reader, method, options)
            } else {
                raw::response_from_reader(status, reason, version, headers, reader, options)
            }
        })?;
        Ok(PyResponse::with_reader_error(response, reader_error))
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
    pub(crate) fn unparsed_headers(&self) -> Option<&str> {
        self.unparsed_headers.as_deref()
    }

    /// Whether the server ends the connection with this response (http.client's
    /// `will_close`).
    #[getter]
    pub(crate) fn will_close(&self) -> bool {
        self.will_close
    }

    #[getter]
    fn headers(&self) -> Vec<(String, String)> {
        self.headers.clone()
    }

    /// urllib3's `version_string` for `version`.
    #[getter]
    fn version_string(&self) -> &'static str {
        match self.version {
            10 => "HTTP/1.0",
            20 => "HTTP/2",
            _ => "HTTP/1.1",
        }
    }

    /// urllib3's `HTTPResponse` (`cls`) around this response, with the state its constructor
    /// would give it, set in one step: the fast lane makes one per request, and doing it here
    /// keeps that work off the Python side, which threads take turns at.
    ///
    /// `made_of` is what `urllib3.response` makes one of: `(BytesQueueBuffer, the state every
    /// new one starts from, HTTPResponse.read as shipped)`; its headers are made when first
    /// asked for (`headers_for`). `options` is the connection's `_ResponseOptions`. With
    /// `preload_content`, the body is what the lane read ahead when it needs no decoding and
    /// `read` is urllib3's; otherwise `read()` reads it.
    fn to_urllib3<'py>(
        slf: &Bound<'py, Self>,
        cls: &Bound<'py, PyType>,
        made_of: MadeOf<'py>,
        options: (Bound<'py, PyAny>, Bound<'py, PyAny>, bool, bool, bool),
    ) -> PyResult<Bound<'py, PyAny>> {
        let (_method, request_url, preload_content, decode_content, enforce_content_length) =
            options;
        let read_as = ReadAs {
            preload_content,
            decode_content,
            enforce_content_length,
        };
        Self::made_urllib3(slf, cls, &made_of, &request_url, read_as)
    }

    /// The `HTTPHeaderDict` (`headers_cls`) of `response`, urllib3's response around this one:
    /// made on the first call and kept as the response's `headers` attribute. Kept with
    /// `setdefault`, so threads that ask at once all get the one kept first.
    fn headers_for<'py>(
        &self,
        response: &Bound<'py, PyAny>,
        headers_cls: &Bound<'py, PyType>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = response.py();
        let state = response
            .getattr(intern!(py, "__dict__"))?
            .cast_into::<PyDict>()?;
        let headers = headers_cls.call_method1(intern!(py, "__new__"), (headers_cls,))?;
        headers.setattr(intern!(py, "_container"), self.header_lists(py)?)?;
        state.call_method1(intern!(py, "setdefault"), (intern!(py, "headers"), headers))
    }

    /// The headers as `HTTPHeaderDict` keeps them: lower-cased name to `[name as first
    /// sent, value, value, …]`, in the order received.
    fn header_lists<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let lists = PyDict::new(py);
        for (name, value) in &self.headers {
            let key = PyString::new(py, &name.to_lowercase());
            match lists.get_item(&key)? {
                Some(list) => list.cast::<PyList>()?.append(value)?,
                None => lists.set_item(key, PyList::new(py, [name, value])?)?,
            }
        }
        Ok(lists)
    }

    /// Reads up to `amt` bytes (all with None): through `decoder` when given (what it already
    /// holds first), as received otherwise. Returns exactly `amt` bytes unless the body ends.
    /// Whether a raw read may follow decoded ones is the caller's rule (urllib3's is in Python).
    #[pyo3(signature = (amt=None, decoder=None))]
    fn read<'py>(
        &self,
        py: Python<'py>,
        amt: Option<usize>,
        decoder: Option<&Bound<'py, PyDecoder>>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        if let Some(data) = self.take_prefetched(py, amt) {
            return data;
        }
        let data = match decoder {
            None => return self.read_raw(py, amt),
            Some(d) => d.get().lend(py, |decoder| {
                self.with_response(py, move |r| r.read_decoded_by(amt, decoder))
            })?,
        };
        Ok(PyBytes::new(py, &data.unwrap_or_default()))
    }

    /// What one read of the body gives, as received: at most `amt` bytes (64 KiB with None).
    #[pyo3(signature = (amt=None))]
    fn read1<'py>(&self, py: Python<'py>, amt: Option<usize>) -> PyResult<Bound<'py, PyBytes>> {
        if let Some(data) = self.take_prefetched(py, amt) {
            return data;
        }
        let data = self.with_response(py, move |r| r.read_raw_once(amt.unwrap_or(64 * 1024)))?;
        Ok(PyBytes::new(py, &data.unwrap_or_default()))
    }

    /// The next piece of a chunked body: at most `amt` decoded bytes through `decoder`, or
    /// without one at most `amt` bytes of one wire chunk; empty at the end.
    #[pyo3(signature = (amt=None, decoder=None))]
    fn read_chunk<'py>(
        &self,
        py: Python<'py>,
        amt: Option<usize>,
        decoder: Option<&Bound<'py, PyDecoder>>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let data = match decoder {
            None => self.with_response(py, move |r| r.next_chunk_decoded_by(amt, None))?,
            Some(d) => d.get().lend(py, |decoder| {
                self.with_response(py, move |r| r.next_chunk_decoded_by(amt, Some(decoder)))
            })?,
        };
        Ok(PyBytes::new(py, &data.unwrap_or_default()))
    }

    /// The whole raw body, when the fast lane read it with the head; None otherwise (and
    /// when reading it failed: the next read raises that).
    fn take_read_ahead(&self) -> Option<Py<PyBytes>> {
        let mut held = self.prefetched.lock().unwrap_or_else(|e| e.into_inner());
        match held.take() {
            Some(Prefetched::Body(body)) => Some(body),
            other => {
                *held = other;
                None
            }
        }
    }

    /// Reads and discards the rest of the body so the connection can be reused.
    fn drain(&self, py: Python<'_>) -> PyResult<()> {
        self.forget_prefetched();
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
        self.forget_prefetched();
        drop(self.lock().take());
    }

    #[getter]
    fn closed(&self) -> bool {
        self.lock().is_none()
    }

    /// `closed`, asked as of http.client's response (`is_fp_closed` asks this first: without
    /// it, each piece of a streamed body raised and caught an AttributeError).
    fn isclosed(&self) -> bool {
        self.closed()
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

/// `urllib3._rs.Decoder`: the core's content decoder for one `Content-Encoding` value, behind
/// urllib3's decoder classes (`GzipDecoder`, `MultiDecoder`, …) in `urllib3.response`.
#[pyclass(module = "urllib3._rs", name = "Decoder", frozen)]
pub(crate) struct PyDecoder {
    /// `None` while a call runs without the GIL.
    inner: Mutex<Option<ContentDecoder>>,
}

impl PyDecoder {
    /// Runs `f` with the decoder taken out of its lock, so that the GIL can be released.
    fn lend<T>(
        &self,
        _py: Python<'_>,
        f: impl FnOnce(&mut ContentDecoder) -> PyResult<T>,
    ) -> PyResult<T> {
        let taken = self.inner.lock().unwrap_or_else(|e| e.into_inner()).take();
        let Some(mut decoder) = taken else {
            return Err(PyRuntimeError::new_err(
                "the decoder is in use by another thread",
            ));
        };
        let result = f(&mut decoder);
        *self.inner.lock().unwrap_or_else(|e| e.into_inner()) = Some(decoder);
        result
    }

    fn peek<T>(&self, f: impl FnOnce(&ContentDecoder) -> T) -> Option<T> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(f)
    }
}

#[pymethods]
impl PyDecoder {
    #[new]
    fn new(content_encoding: &str) -> PyResult<Self> {
        let decoder = guard(|| ContentDecoder::new(content_encoding))?;
        Ok(PyDecoder {
            inner: Mutex::new(Some(decoder)),
        })
    }

    /// urllib3's `decompress(data, max_length=-1)`: at most `max_length` decoded bytes (all
    /// with a negative value), keeping what is left for the next call; 0 only stores `data`.
    #[pyo3(signature = (data, max_length=-1))]
    fn decompress<'py>(
        &self,
        py: Python<'py>,
        data: PyBackedBytes,
        max_length: i64,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let max_length = usize::try_from(max_length).ok();
        let out = self.lend(py, |decoder| {
            py.detach(|| guard(|| decoder.decompress(&data, max_length)))
        })?;
        Ok(PyBytes::new(py, &out))
    }

    /// The rest of the output at the end of the input; an error for a zstd frame cut short.
    fn flush<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let out = self.lend(py, |decoder| py.detach(|| guard(|| decoder.flush())))?;
        Ok(PyBytes::new(py, &out))
    }

    #[getter]
    fn has_unconsumed_tail(&self) -> bool {
        self.peek(ContentDecoder::has_unconsumed_tail)
            .unwrap_or(false)
    }

    /// Encoded bytes given to the decoder so far.
    #[getter]
    fn total_in(&self) -> u64 {
        self.peek(ContentDecoder::total_in).unwrap_or(0)
    }
}

/// A Python file-like object as a byte source. The GIL is taken for each `read(n)` call only.
struct PyReader {
    fp: Py<PyAny>,
    /// Where an exception of `fp.read` is kept for the response to raise.
    error: ReaderError,
}

impl std::io::Read for PyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        Python::attach(|py| {
            let data = self
                .fp
                .bind(py)
                .call_method1("read", (buf.len(),))
                .and_then(|d| crate::body::chunk_bytes(&d))
                .map_err(|e| {
                    let text = e.to_string();
                    *self.error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                    std::io::Error::other(text)
                })?;
            // A reader that returns more than asked breaks the contract; keep what fits.
            let n = data.len().min(buf.len());
            buf[..n].copy_from_slice(&data[..n]);
            Ok(n)
        })
    }
}
