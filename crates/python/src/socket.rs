//! `conn.sock`: what http.client, botocore and elastic-transport call on a socket, answered
//! by a core connection.
//!
//! urllib3 hands its connection's socket to code that writes and reads the wire itself
//! (http.client's `send` and `makefile("rb")`, botocore's `100 Continue` read, the
//! Elasticsearch client's certificate pinning through `_sslobj`). The core owns the socket, so
//! these calls go through the connection's slot: raw reads and writes take the connection out
//! for their duration, without the GIL, like a request does. `PyConnection`'s `#[pymethods]`
//! are thin wrappers over the functions here, so that one block lists every name Python sees.

use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard};

use pyo3::exceptions::{PyAttributeError, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PySlice, PyString, PyTuple};
use urllib3::connection::{AltName, DistinguishedName, PeerCertificate};
use urllib3::raw;

use crate::config::seconds;
use crate::connection::{busy, PyConnection, Slot};

/// The most a single raw read returns (a socket may return less than asked), so a huge
/// `bufsize` does not allocate what will never arrive in one read.
const MAX_READ: usize = 1 << 20;

/// What a socket keeps besides the byte stream: its descriptor, the `settimeout` value, and
/// the files `makefile` opened over it.
pub(crate) struct SocketState {
    /// The descriptor, kept for `fileno()` while a response holds the connection.
    fd: i64,
    /// What `settimeout` was given.
    timeout: Mutex<Option<f64>>,
    /// File objects from `makefile` still open, and whether `close` waits for them: as with
    /// a Python socket, http.client closes the connection while its response still reads
    /// through such a file (a response that ends the connection), and the close takes effect
    /// once the last one is closed.
    files: Mutex<(usize, bool)>,
}

impl SocketState {
    pub(crate) fn new(fd: i64) -> Self {
        SocketState {
            fd,
            timeout: Mutex::new(None),
            files: Mutex::new((0, false)),
        }
    }

    /// Whether a `close` must wait for files from `makefile`; if so, the last one to close
    /// carries it out.
    pub(crate) fn defer_close(&self) -> bool {
        let mut files = self.files();
        if files.0 == 0 {
            return false;
        }
        files.1 = true;
        true
    }

    fn files(&self) -> MutexGuard<'_, (usize, bool)> {
        // Two plain values, each written in one step: a poisoned lock still holds valid ones.
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn timeout(&self) -> MutexGuard<'_, Option<f64>> {
        // One plain value: a poisoned lock still holds a valid one.
        self.timeout.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `socket.send`: writes all of `data` and returns its length; `timeout` defaults to what
/// `settimeout` set.
pub(crate) fn send(
    conn: &PyConnection,
    py: Python<'_>,
    data: Vec<u8>,
    flags: i32,
    timeout: Option<f64>,
) -> PyResult<usize> {
    no_flags(flags)?;
    let timeout = timeout.or(gettimeout(conn)).map(seconds).transpose()?;
    let len = data.len();
    let mut core = conn.take()?;
    let (result, core) = py.detach(move || {
        let result = raw::write(&mut core, &data, timeout);
        (result, core)
    });
    conn.finish(result, core)
        .map(|()| len)
        .map_err(crate::errors::to_socket_error)
}

/// `socket.recv`: up to `bufsize` bytes, buffered ones first; b"" at the end of the stream.
pub(crate) fn recv<'py>(
    conn: &PyConnection,
    py: Python<'py>,
    bufsize: usize,
    flags: i32,
) -> PyResult<Bound<'py, PyBytes>> {
    no_flags(flags)?;
    let data = read(conn, py, bufsize)?;
    Ok(PyBytes::new(py, &data))
}

/// `socket.recv_into`: reads into a writable buffer (up to `nbytes`, or its length).
pub(crate) fn recv_into(
    conn: &PyConnection,
    py: Python<'_>,
    buffer: &Bound<'_, PyAny>,
    nbytes: usize,
    flags: i32,
) -> PyResult<usize> {
    no_flags(flags)?;
    let room = buffer.len()?;
    let want = if nbytes == 0 { room } else { nbytes.min(room) };
    let data = read(conn, py, want)?;
    let n = data.len();
    // A Vec never holds more than isize::MAX bytes.
    let end = isize::try_from(n).unwrap_or(isize::MAX);
    buffer.set_item(PySlice::new(py, 0, end, 1), PyBytes::new(py, &data))?;
    Ok(n)
}

/// Whether bytes have arrived that a read would return at once: a readiness poll on the
/// descriptor cannot see those already buffered (in the connection or inside TLS).
pub(crate) fn has_pending(conn: &PyConnection) -> bool {
    match &*conn.lock() {
        Slot::Idle(core) => raw::has_pending(core),
        Slot::Lent | Slot::Closed => false,
    }
}

/// `socket.makefile`, written in Python (`urllib3._core_socket`) since the file classes are
/// the io module's.
pub(crate) fn makefile<'py>(
    slf: &Bound<'py, PyConnection>,
    mode: &str,
    buffering: Option<isize>,
    encoding: Option<&str>,
    errors: Option<&str>,
    newline: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let helpers = slf.py().import("urllib3._core_socket")?;
    helpers
        .getattr("makefile")?
        .call1((slf, mode, buffering, encoding, errors, newline))
}

/// A file from `makefile` was opened (what `socket.makefile` counts in `_io_refs`).
pub(crate) fn incref_socketios(conn: &PyConnection) {
    conn.sock.files().0 += 1;
}

/// A file from `makefile` was closed: the last one carries out a `close` made meanwhile.
pub(crate) fn decref_socketios(conn: &PyConnection) {
    let close_now = {
        let mut files = conn.sock.files();
        files.0 = files.0.saturating_sub(1);
        files.0 == 0 && std::mem::take(&mut files.1)
    };
    if close_now {
        conn.close();
    }
}

/// `socket.fileno()`: -1 once closed.
pub(crate) fn fileno(conn: &PyConnection) -> i64 {
    match &*conn.lock() {
        Slot::Idle(core) => core.raw_fd().map_or(-1, i64::from),
        Slot::Lent => conn.sock.fd,
        Slot::Closed => -1,
    }
}

/// `socket.getsockopt`, answered by the socket itself through a duplicate descriptor, so
/// nothing here can close the connection's own.
pub(crate) fn getsockopt<'py>(
    conn: &PyConnection,
    py: Python<'py>,
    level: i32,
    option: i32,
    buflen: Option<i32>,
) -> PyResult<Bound<'py, PyAny>> {
    let sock = python_socket(conn, py)?;
    let value = match buflen {
        Some(n) => sock.call_method1("getsockopt", (level, option, n)),
        None => sock.call_method1("getsockopt", (level, option)),
    };
    sock.call_method0("close")?;
    value
}

/// `socket.setsockopt`, through a duplicate descriptor as for `getsockopt`.
pub(crate) fn setsockopt(
    conn: &PyConnection,
    py: Python<'_>,
    level: i32,
    option: i32,
    value: Bound<'_, PyAny>,
) -> PyResult<()> {
    let sock = python_socket(conn, py)?;
    let result = sock.call_method1("setsockopt", (level, option, value));
    sock.call_method0("close")?;
    result.map(drop)
}

/// `socket.settimeout`: remembered for `gettimeout` and the raw reads and writes here. Each
/// request passes its own timeout to the core, so requests do not use it.
pub(crate) fn settimeout(conn: &PyConnection, timeout: Option<f64>) {
    *conn.sock.timeout() = timeout;
}

/// `socket.gettimeout`.
pub(crate) fn gettimeout(conn: &PyConnection) -> Option<f64> {
    *conn.sock.timeout()
}

/// `SSLSocket.cipher()`: (name, protocol, secret bits), or None for plain TCP. The core
/// names the suite; the secret size follows from its name.
pub(crate) fn cipher(conn: &PyConnection) -> Option<(&'static str, &'static str, u32)> {
    let tls = conn.tls.as_ref()?;
    let bits = tls.cipher.map_or(0, |c| {
        if c.contains("256") || c.contains("CHACHA20") {
            256
        } else {
            128
        }
    });
    Some((tls.cipher?, tls.version?, bits))
}

/// `SSLSocket.getpeercert(binary_form)`: the DER certificate with `binary_form`, else the
/// decoded dict CPython's `ssl` builds (what callers log and `match_hostname` reads). As in
/// Python, the dict is empty when the chain was not checked (`CERT_NONE`); None for plain TCP.
pub(crate) fn getpeercert<'py>(
    conn: &PyConnection,
    py: Python<'py>,
    binary_form: bool,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let Some(tls) = conn.tls.as_ref() else {
        return Ok(None);
    };
    let Some(der) = tls.peer_certificate.as_deref() else {
        return Ok(None);
    };
    if binary_form {
        return Ok(Some(PyBytes::new(py, der).into_any()));
    }
    let dict = PyDict::new(py);
    if !tls.peer_checked {
        return Ok(Some(dict.into_any()));
    }
    let cert = match PeerCertificate::from_der(der) {
        Ok(cert) => cert,
        Err(e) => {
            let ssl_error = py.import("ssl")?.getattr("SSLError")?;
            return Err(PyErr::from_value(ssl_error.call1((e.message(),))?));
        }
    };
    dict.set_item("subject", name_tuple(py, &cert.subject)?)?;
    dict.set_item("issuer", name_tuple(py, &cert.issuer)?)?;
    dict.set_item("version", cert.version)?;
    dict.set_item("serialNumber", &cert.serial_number)?;
    dict.set_item("notBefore", &cert.not_before)?;
    dict.set_item("notAfter", &cert.not_after)?;
    // Python leaves out the keys of absent extensions rather than giving empty tuples.
    if !cert.subject_alt_name.is_empty() {
        let names = cert
            .subject_alt_name
            .iter()
            .map(|n| match n {
                AltName::Text(kind, value) => PyTuple::new(py, [*kind, value.as_str()]),
                AltName::DirName(dn) => PyTuple::new(
                    py,
                    [PyString::new(py, "DirName").into_any(), name_tuple(py, dn)?],
                ),
            })
            .collect::<PyResult<Vec<_>>>()?;
        dict.set_item("subjectAltName", PyTuple::new(py, names)?)?;
    }
    for (key, uris) in [
        ("OCSP", &cert.ocsp),
        ("caIssuers", &cert.ca_issuers),
        ("crlDistributionPoints", &cert.crl_distribution_points),
    ] {
        if !uris.is_empty() {
            dict.set_item(key, PyTuple::new(py, uris)?)?;
        }
    }
    Ok(Some(dict.into_any()))
}

/// A name as Python gives it: a tuple of RDNs, each a tuple of (attribute, value) pairs.
fn name_tuple<'py>(py: Python<'py>, name: &DistinguishedName) -> PyResult<Bound<'py, PyAny>> {
    let rdns = name
        .iter()
        .map(|rdn| {
            let pairs = rdn
                .iter()
                .map(|(attr, value)| PyTuple::new(py, [attr.as_str(), value.as_str()]))
                .collect::<PyResult<Vec<_>>>()?;
            PyTuple::new(py, pairs)
        })
        .collect::<PyResult<Vec<_>>>()?;
    Ok(PyTuple::new(py, rdns)?.into_any())
}

/// `SSLSocket.get_verified_chain()` (Python 3.13): the DER certificates from the server's to
/// the root it was verified against; as the server sent them under `CERT_NONE`.
pub(crate) fn get_verified_chain<'py>(
    conn: &PyConnection,
    py: Python<'py>,
) -> PyResult<Vec<Bound<'py, PyBytes>>> {
    let chain = match &*conn.lock() {
        Slot::Idle(core) => core.verified_chain(),
        Slot::Lent => return Err(busy()),
        Slot::Closed => None,
    };
    let Some(chain) = chain else {
        return Err(PyValueError::new_err("the connection has no TLS session"));
    };
    Ok(chain.iter().map(|der| PyBytes::new(py, der)).collect())
}

/// `SSLSocket._sslobj`: what Python 3.10 to 3.12 offer `get_verified_chain()` on (the
/// Elasticsearch client pins fingerprints through it). Plain TCP has none.
pub(crate) fn sslobj<'py>(slf: &Bound<'py, PyConnection>) -> PyResult<Bound<'py, PyAny>> {
    if slf.get().tls.is_none() {
        return Err(PyAttributeError::new_err(
            "a plain TCP connection has no SSL object",
        ));
    }
    let helpers = slf.py().import("urllib3._core_socket")?;
    helpers.getattr("SSLObject")?.call1((slf,))
}

/// `socket.type`: a stream socket.
pub(crate) fn socket_type(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    py.import("socket")?.getattr("SOCK_STREAM")
}

/// `socket.family`.
pub(crate) fn family<'py>(conn: &PyConnection, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
    py.import("socket")?.getattr(family_name(conn.peer))
}

/// An address as `socket.getsockname()` and `getpeername()` give it: (host, port), or (host,
/// port, flowinfo, scope_id) for IPv6.
pub(crate) fn address(py: Python<'_>, address: Option<SocketAddr>) -> PyResult<Bound<'_, PyAny>> {
    match address {
        Some(SocketAddr::V4(a)) => Ok((a.ip().to_string(), a.port()).into_pyobject(py)?.into_any()),
        Some(SocketAddr::V6(a)) => Ok((a.ip().to_string(), a.port(), a.flowinfo(), a.scope_id())
            .into_pyobject(py)?
            .into_any()),
        None => Err(PyOSError::new_err("the connection has no socket address")),
    }
}

/// Reads up to `max` raw bytes without the GIL, within the `settimeout` timeout.
fn read(conn: &PyConnection, py: Python<'_>, max: usize) -> PyResult<Vec<u8>> {
    let max = max.min(MAX_READ);
    let timeout = gettimeout(conn).map(seconds).transpose()?;
    let mut core = conn.take()?;
    let (result, core) = py.detach(move || {
        let mut data = vec![0u8; max];
        let result = raw::read(&mut core, &mut data, timeout).map(|n| {
            data.truncate(n);
            data
        });
        (result, core)
    });
    conn.finish(result, core)
        .map_err(crate::errors::to_socket_error)
}

/// A Python socket object over a duplicate of this connection's descriptor.
fn python_socket<'py>(conn: &PyConnection, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
    let fd = fileno(conn);
    if fd < 0 {
        return Err(PyOSError::new_err("the connection is closed"));
    }
    let socket = py.import("socket")?;
    let family = socket.getattr(family_name(conn.peer))?;
    socket.call_method1("fromfd", (fd, family, socket.getattr("SOCK_STREAM")?))
}

fn family_name(peer: Option<SocketAddr>) -> &'static str {
    match peer {
        Some(SocketAddr::V6(_)) => "AF_INET6",
        _ => "AF_INET",
    }
}

/// Flags such as `MSG_PEEK` would need the socket itself, which the core owns.
fn no_flags(flags: i32) -> PyResult<()> {
    if flags == 0 {
        return Ok(());
    }
    Err(PyValueError::new_err(
        "non-zero flags are not supported on this connection",
    ))
}
