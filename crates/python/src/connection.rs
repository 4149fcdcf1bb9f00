//! `urllib3._rs.Connection`: one HTTP/1.1 connection, kept between requests.
//!
//! urllib3 keeps connection objects in its pools and hands them to responses; the core's
//! `Connection` is owned by a response while the body is read. The slot bridges the two: a
//! response takes the connection out and its release hook puts it back (or marks it closed),
//! so the Python object stays valid across requests like `http.client.HTTPConnection` does.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyString};

use crate::body::PyIterBody;
use crate::errors::guard;
use crate::response::PyResponse;
use urllib3::connection::Request;
use urllib3::{
    AssertHostname, Body, CaCertData, CertReqs, Connection, Error, ErrorKind, HeaderMap,
    ProxyConfig, ResponseOptions, SocketConfig, SocksConfig, Timeout, TlsConfig, TlsVersion,
};

/// Where the core connection is between requests.
enum Slot {
    Idle(Box<Connection>),
    /// A request is being written or a response read on it.
    Lent,
    Closed,
}

type SharedSlot = Arc<Mutex<Slot>>;

/// An open connection to one host and port.
#[pyclass(module = "urllib3._rs", name = "Connection", frozen)]
pub(crate) struct PyConnection {
    slot: SharedSlot,
    peer: Option<SocketAddr>,
    local: Option<SocketAddr>,
    tls: Option<TlsFacts>,
    proxy_verified: Option<bool>,
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

/// What the TLS handshake settled, read once so Python can ask without locking.
struct TlsFacts {
    verified: bool,
    version: Option<&'static str>,
    cipher: Option<&'static str>,
    alpn: Option<String>,
    peer_certificate: Option<Vec<u8>>,
}

#[pymethods]
impl PyConnection {
    /// Opens a connection (the GIL is released while connecting and handshaking).
    ///
    /// `tls` (a dict of urllib3's TLS arguments, already normalised by the Python layer)
    /// makes it HTTPS; `proxy` (`url`, `headers`, `tls`, `forwarding`) goes through an HTTP(S)
    /// proxy, by a CONNECT tunnel or, with `forwarding`, to the proxy itself; `socks` (`url`,
    /// `username`, `password`) goes through a SOCKS proxy.
    #[staticmethod]
    #[pyo3(signature = (host, port, timeout=None, source_address=None, nodelay=true, keepalive=false, tls=None, proxy=None, socks=None))]
    #[allow(clippy::too_many_arguments)]
    fn open(
        py: Python<'_>,
        host: String,
        port: u16,
        timeout: Option<f64>,
        source_address: Option<(String, u16)>,
        nodelay: bool,
        keepalive: bool,
        tls: Option<Bound<'_, PyDict>>,
        proxy: Option<Bound<'_, PyDict>>,
        socks: Option<Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let timeout = timeout.map(seconds).transpose()?;
        let source_address = match source_address {
            Some((ip, port)) => Some(source_addr(&ip, port)?),
            None => None,
        };
        let socket = SocketConfig {
            source_address,
            nodelay,
            keepalive,
        };
        let tls = tls.as_ref().map(tls_config).transpose()?;
        let proxy = proxy.as_ref().map(proxy_config).transpose()?;
        let socks = socks.as_ref().map(socks_config).transpose()?;
        let conn = py.detach(move || {
            guard(move || {
                let timeout = timeout.map_or_else(Timeout::new, |t| Timeout::new().with_connect(t));
                match (proxy, socks) {
                    (Some((proxy, true)), _) => Connection::open_proxy(&proxy, &timeout, &socket),
                    (Some((proxy, false)), _) => Connection::open_tunnel(
                        &proxy,
                        &host,
                        port,
                        &timeout,
                        &socket,
                        tls.as_ref(),
                    ),
                    (None, Some(socks)) => {
                        Connection::open_socks(&socks, &host, port, &timeout, &socket, tls.as_ref())
                    }
                    (None, None) => match &tls {
                        Some(tls) => Connection::open_tls(&host, port, &timeout, &socket, tls),
                        None => Connection::open(&host, port, &timeout, &socket),
                    },
                }
            })
        })?;
        Ok(PyConnection::idle(conn))
    }

    /// Starts TLS with `host` on this connection (after a tunnel a caller's `_tunnel` set up)
    /// and returns the TLS connection; this object is closed. The GIL is released for the
    /// handshake.
    #[pyo3(signature = (host, port, tls, timeout=None))]
    fn start_tls(
        &self,
        py: Python<'_>,
        host: String,
        port: u16,
        tls: Bound<'_, PyDict>,
        timeout: Option<f64>,
    ) -> PyResult<Self> {
        let timeout = timeout.map(seconds).transpose()?;
        let tls = tls_config(&tls)?;
        let conn = self.take()?;
        *self.lock() = Slot::Closed;
        let conn = py.detach(move || guard(move || conn.start_tls(&host, port, &tls, timeout)))?;
        Ok(PyConnection::idle(conn))
    }

    /// Whether the connection to the proxy was verified (urllib3's `proxy_is_verified`).
    #[getter]
    fn proxy_is_verified(&self) -> Option<bool> {
        self.proxy_verified
    }

    /// Whether the TLS connection's certificate was verified (urllib3's `is_verified`).
    #[getter]
    fn is_verified(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.verified)
    }

    /// The negotiated TLS version (`TLSv1.3`), or None for plain TCP.
    #[getter]
    fn tls_version(&self) -> Option<&'static str> {
        self.tls.as_ref().and_then(|t| t.version)
    }

    /// The negotiated cipher suite's name.
    #[getter]
    fn cipher(&self) -> Option<&'static str> {
        self.tls.as_ref().and_then(|t| t.cipher)
    }

    /// The ALPN protocol the server chose.
    #[getter]
    fn alpn_protocol(&self) -> Option<String> {
        self.tls.as_ref().and_then(|t| t.alpn.clone())
    }

    /// The server's certificate in DER.
    #[getter]
    fn peer_certificate<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        self.tls
            .as_ref()
            .and_then(|t| t.peer_certificate.as_deref())
            .map(|der| PyBytes::new(py, der))
    }

    /// Writes a request: head (in urllib3's header order) and body.
    #[pyo3(signature = (method, target, host, headers, body=None, chunked=false, user_agent="", timeout=None))]
    #[allow(clippy::too_many_arguments)]
    fn request(
        &self,
        py: Python<'_>,
        method: &str,
        target: &str,
        host: &str,
        headers: Vec<(String, String)>,
        body: Option<Bound<'_, PyAny>>,
        chunked: bool,
        user_agent: &str,
        timeout: Option<f64>,
    ) -> PyResult<()> {
        let mut body = to_body(body)?;
        let timeout = timeout.map(seconds).transpose()?;
        let headers: HeaderMap = headers.into_iter().collect();
        let mut conn = self.take()?;
        let (method, target, host, user_agent) = (
            method.to_owned(),
            target.to_owned(),
            host.to_owned(),
            user_agent.to_owned(),
        );
        let (result, conn) = py.detach(move || {
            let request = Request {
                method: &method,
                target: &target,
                host: &host,
                headers: &headers,
                chunked,
                user_agent: &user_agent,
            };
            let result = conn.write_request(&request, &mut body, timeout);
            (result, conn)
        });
        self.finish(result, conn).map_err(crate::errors::to_py)
    }

    /// `socket.send`: writes all of `data` (for callers that build the request themselves,
    /// like http.client's `send`) and returns its length. `timeout` (seconds) defaults to
    /// what `settimeout` set.
    #[pyo3(signature = (data, flags=0, *, timeout=None))]
    fn send(
        &self,
        py: Python<'_>,
        data: Vec<u8>,
        flags: i32,
        timeout: Option<f64>,
    ) -> PyResult<usize> {
        no_flags(flags)?;
        let timeout = timeout.or(self.gettimeout()).map(seconds).transpose()?;
        let len = data.len();
        let mut conn = self.take()?;
        let (result, conn) = py.detach(move || {
            let result = conn.write_raw(&data, timeout);
            (result, conn)
        });
        self.finish(result, conn)
            .map(|()| len)
            .map_err(crate::errors::to_socket_error)
    }

    /// Reads the response head; the body is read through the returned response, which holds
    /// the connection until the body is complete.
    #[pyo3(signature = (method, timeout=None, decode_content=true, enforce_content_length=true))]
    fn getresponse(
        &self,
        py: Python<'_>,
        method: &str,
        timeout: Option<f64>,
        decode_content: bool,
        enforce_content_length: bool,
    ) -> PyResult<PyResponse> {
        let timeout = timeout.map(seconds).transpose()?;
        let conn = self.take()?;
        let options = ResponseOptions {
            decode_content,
            enforce_content_length,
        };
        let method = method.to_owned();
        let slot = Arc::clone(&self.slot);
        let response = py.detach(move || {
            guard(move || {
                let mut response = conn.read_response(&method, timeout, options)?;
                response.set_release(Box::new(move |conn| put_back(&slot, conn)));
                Ok(response)
            })
        });
        match response {
            Ok(response) => Ok(PyResponse::new(response)),
            Err(e) => {
                *self.lock() = Slot::Closed;
                Err(e)
            }
        }
    }

    /// Whether the connection cannot carry another request (urllib3's
    /// `is_connection_dropped`): closed, lent out, or closed or written to by the server.
    fn is_dropped(&self) -> bool {
        match &*self.lock() {
            Slot::Idle(conn) => conn.is_dropped(),
            Slot::Lent | Slot::Closed => true,
        }
    }

    /// Whether the connection is idle and usable right now.
    #[getter]
    fn is_idle(&self) -> bool {
        matches!(&*self.lock(), Slot::Idle(_))
    }

    /// Whether the connection was closed (by `close`, an error, or a response that ended it).
    #[getter]
    fn closed(&self) -> bool {
        matches!(&*self.lock(), Slot::Closed)
    }

    /// Closes the connection; a response still reading keeps its own handle until it ends,
    /// and files from `makefile` keep it open until they are closed.
    fn close(&self) {
        {
            let mut files = self.files();
            if files.0 > 0 {
                files.1 = true;
                return;
            }
        }
        let mut slot = self.lock();
        if let Slot::Idle(_) = &*slot {
            *slot = Slot::Closed;
        }
    }

    /// A file from `makefile` was opened (what `socket.makefile` counts in `_io_refs`).
    fn _incref_socketios(&self) {
        self.files().0 += 1;
    }

    /// A file from `makefile` was closed: the last one carries out a `close` made meanwhile.
    fn _decref_socketios(&self) {
        let close_now = {
            let mut files = self.files();
            files.0 = files.0.saturating_sub(1);
            files.0 == 0 && std::mem::take(&mut files.1)
        };
        if close_now {
            self.close();
        }
    }

    /// The socket's file descriptor, as `socket.fileno()` gives it (-1 once closed).
    fn fileno(&self) -> i64 {
        match &*self.lock() {
            Slot::Idle(conn) => conn.raw_fd().map_or(-1, i64::from),
            Slot::Lent => self.fd,
            Slot::Closed => -1,
        }
    }

    /// `socket.getsockopt`, answered by the socket itself (through a duplicate descriptor, so
    /// nothing here can close the connection's own).
    #[pyo3(signature = (level, option, buflen=None))]
    fn getsockopt<'py>(
        &self,
        py: Python<'py>,
        level: i32,
        option: i32,
        buflen: Option<i32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let sock = self.python_socket(py)?;
        let value = match buflen {
            Some(n) => sock.call_method1("getsockopt", (level, option, n)),
            None => sock.call_method1("getsockopt", (level, option)),
        };
        sock.call_method0("close")?;
        value
    }

    /// `socket.setsockopt` on the connection's socket.
    fn setsockopt(
        &self,
        py: Python<'_>,
        level: i32,
        option: i32,
        value: Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let sock = self.python_socket(py)?;
        let result = sock.call_method1("setsockopt", (level, option, value));
        sock.call_method0("close")?;
        result.map(drop)
    }

    /// `socket.settimeout`: remembered for `gettimeout`. Each request passes its own timeout to
    /// the core, so this does not change the waits themselves.
    fn settimeout(&self, timeout: Option<f64>) {
        *self.timeout.lock().unwrap_or_else(|e| e.into_inner()) = timeout;
    }

    /// `socket.gettimeout`.
    fn gettimeout(&self) -> Option<f64> {
        *self.timeout.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `socket.sendall`: writes all of `data`.
    #[pyo3(signature = (data, flags=0, *, timeout=None))]
    fn sendall(
        &self,
        py: Python<'_>,
        data: Vec<u8>,
        flags: i32,
        timeout: Option<f64>,
    ) -> PyResult<()> {
        self.send(py, data, flags, timeout).map(drop)
    }

    /// `SSLSocket.version()`: the TLS version, or None for plain TCP.
    fn version(&self) -> Option<&'static str> {
        self.tls_version()
    }

    /// `SSLSocket.cipher()`: (name, protocol, secret bits), or None for plain TCP.
    #[pyo3(name = "cipher")]
    fn cipher_tuple(&self) -> Option<(&'static str, &'static str, u32)> {
        let tls = self.tls.as_ref()?;
        let bits = tls.cipher.map_or(0, |c| {
            if c.contains("256") || c.contains("CHACHA20") {
                256
            } else {
                128
            }
        });
        Some((tls.cipher?, tls.version?, bits))
    }

    /// `SSLSocket.selected_alpn_protocol()`.
    fn selected_alpn_protocol(&self) -> Option<String> {
        self.alpn_protocol()
    }

    /// `SSLSocket.getpeercert(binary_form)`: the DER certificate with `binary_form`; the
    /// decoded form is not available from the core and is returned empty.
    #[pyo3(signature = (binary_form=false))]
    fn getpeercert<'py>(
        &self,
        py: Python<'py>,
        binary_form: bool,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        if binary_form {
            return Ok(self.peer_certificate(py).map(Bound::into_any));
        }
        Ok(self.tls.as_ref().map(|_| PyDict::new(py).into_any()))
    }

    /// `socket.recv`: up to `bufsize` bytes, buffered ones first, waiting at most what
    /// `settimeout` set. For callers that read the wire themselves (botocore reads a
    /// `100 Continue` this way); b"" at the end of the stream.
    #[pyo3(signature = (bufsize, flags=0))]
    fn recv<'py>(
        &self,
        py: Python<'py>,
        bufsize: usize,
        flags: i32,
    ) -> PyResult<Bound<'py, PyBytes>> {
        no_flags(flags)?;
        let data = self.read_raw(py, bufsize)?;
        Ok(PyBytes::new(py, &data))
    }

    /// `socket.recv_into`: reads into a writable buffer (up to `nbytes`, or its length).
    #[pyo3(signature = (buffer, nbytes=0, flags=0))]
    fn recv_into(
        &self,
        py: Python<'_>,
        buffer: &Bound<'_, PyAny>,
        nbytes: usize,
        flags: i32,
    ) -> PyResult<usize> {
        no_flags(flags)?;
        let room = buffer.len()?;
        let want = if nbytes == 0 { room } else { nbytes.min(room) };
        let data = self.read_raw(py, want)?;
        let n = data.len();
        buffer.set_item(
            pyo3::types::PySlice::new(py, 0, n as isize, 1),
            PyBytes::new(py, &data),
        )?;
        Ok(n)
    }

    /// Whether bytes have arrived that a read would return at once: a readiness poll on the
    /// descriptor cannot see those already buffered (here or inside TLS).
    fn has_pending(&self) -> bool {
        match &*self.lock() {
            Slot::Idle(conn) => conn.has_pending(),
            Slot::Lent | Slot::Closed => false,
        }
    }

    /// `socket.makefile`: a file object over the connection's byte stream, as http.client
    /// reads responses through (`makefile("rb")`).
    #[pyo3(signature = (mode="r", buffering=None, encoding=None, errors=None, newline=None))]
    fn makefile<'py>(
        slf: &Bound<'py, Self>,
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

    /// `socket.type`: a stream socket.
    #[getter(r#type)]
    fn socket_type<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("socket")?.getattr("SOCK_STREAM")
    }

    /// `socket.family`.
    #[getter]
    fn family<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let name = match self.peer {
            Some(SocketAddr::V6(_)) => "AF_INET6",
            _ => "AF_INET",
        };
        py.import("socket")?.getattr(name)
    }

    /// `SSLSocket.get_verified_chain()` (Python 3.13): the DER certificates from the server's
    /// to the root it was verified against; as the server sent them under `CERT_NONE`.
    fn get_verified_chain<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyBytes>>> {
        let chain = match &*self.lock() {
            Slot::Idle(conn) => conn.verified_chain(),
            Slot::Lent => return Err(busy()),
            Slot::Closed => None,
        };
        let Some(chain) = chain else {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "the connection has no TLS session",
            ));
        };
        Ok(chain.iter().map(|der| PyBytes::new(py, der)).collect())
    }

    /// `SSLSocket._sslobj`: what Python 3.10 to 3.12 offer `get_verified_chain()` on (the
    /// Elasticsearch client pins fingerprints through it). Plain TCP has none.
    #[getter]
    fn _sslobj<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        if slf.get().tls.is_none() {
            return Err(pyo3::exceptions::PyAttributeError::new_err(
                "a plain TCP connection has no SSL object",
            ));
        }
        let helpers = slf.py().import("urllib3._core_socket")?;
        helpers.getattr("SSLObject")?.call1((slf,))
    }

    /// `socket.getsockname()`: (host, port), or (host, port, flowinfo, scope_id) for IPv6.
    fn getsockname<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        socket_address(py, self.local)
    }

    /// `socket.getpeername()`, in the same form as `getsockname`.
    fn getpeername<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        socket_address(py, self.peer)
    }

    /// (host, port) of the peer.
    #[getter]
    fn peer_address(&self) -> Option<(String, u16)> {
        self.peer.map(|a| (a.ip().to_string(), a.port()))
    }

    /// (host, port) of the local end.
    #[getter]
    fn local_address(&self) -> Option<(String, u16)> {
        self.local.map(|a| (a.ip().to_string(), a.port()))
    }
}

impl PyConnection {
    fn idle(conn: Connection) -> Self {
        let tls = conn.is_tls().then(|| TlsFacts {
            verified: conn.is_verified(),
            version: conn.tls_version(),
            cipher: conn.cipher(),
            alpn: conn.alpn_protocol().map(str::to_owned),
            peer_certificate: conn.peer_certificate().map(<[u8]>::to_vec),
        });
        PyConnection {
            peer: conn.peer_addr().ok(),
            local: conn.local_addr().ok(),
            proxy_verified: conn.proxy_is_verified(),
            fd: conn.raw_fd().map_or(-1, i64::from),
            timeout: Mutex::new(None),
            files: Mutex::new((0, false)),
            tls,
            slot: Arc::new(Mutex::new(Slot::Idle(Box::new(conn)))),
        }
    }

    /// A Python socket object over a duplicate of this connection's descriptor.
    fn python_socket<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let fd = self.fileno();
        if fd < 0 {
            return Err(pyo3::exceptions::PyOSError::new_err(
                "the connection is closed",
            ));
        }
        let socket = py.import("socket")?;
        let family = match self.peer {
            Some(SocketAddr::V6(_)) => socket.getattr("AF_INET6")?,
            _ => socket.getattr("AF_INET")?,
        };
        socket.call_method1("fromfd", (fd, family, socket.getattr("SOCK_STREAM")?))
    }

    fn files(&self) -> MutexGuard<'_, (usize, bool)> {
        // Two plain values, each written in one step: a poisoned lock still holds valid ones.
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock(&self) -> MutexGuard<'_, Slot> {
        // The slot is replaced in single assignments: a poisoned lock still holds a valid state.
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads up to `max` raw bytes without the GIL, within the `settimeout` timeout. A read
    /// returns at most 1 MiB (a socket may return less than asked), so a huge `bufsize` does
    /// not allocate what will never arrive in one read.
    fn read_raw(&self, py: Python<'_>, max: usize) -> PyResult<Vec<u8>> {
        let max = max.min(1 << 20);
        let timeout = self.gettimeout().map(seconds).transpose()?;
        let mut conn = self.take()?;
        let (result, conn) = py.detach(move || {
            let mut data = vec![0u8; max];
            let result = conn.read_raw(&mut data, timeout).map(|n| {
                data.truncate(n);
                data
            });
            (result, conn)
        });
        self.finish(result, conn)
            .map_err(crate::errors::to_socket_error)
    }

    /// Takes the idle connection out for a request.
    fn take(&self) -> PyResult<Box<Connection>> {
        let mut slot = self.lock();
        match std::mem::replace(&mut *slot, Slot::Lent) {
            Slot::Idle(conn) => Ok(conn),
            other => {
                let closed = matches!(other, Slot::Closed);
                *slot = other;
                Err(if closed { closed_error() } else { busy() })
            }
        }
    }

    /// Puts the connection back after a write or raw read, or marks it closed if that failed.
    fn finish<T>(&self, result: urllib3::Result<T>, conn: Box<Connection>) -> urllib3::Result<T> {
        *self.lock() = if result.is_ok() {
            Slot::Idle(conn)
        } else {
            Slot::Closed
        };
        result
    }
}

/// An address as Python's socket module gives it.
fn socket_address(py: Python<'_>, address: Option<SocketAddr>) -> PyResult<Bound<'_, PyAny>> {
    match address {
        Some(SocketAddr::V4(a)) => Ok((a.ip().to_string(), a.port()).into_pyobject(py)?.into_any()),
        Some(SocketAddr::V6(a)) => Ok((a.ip().to_string(), a.port(), a.flowinfo(), a.scope_id())
            .into_pyobject(py)?
            .into_any()),
        None => Err(pyo3::exceptions::PyOSError::new_err(
            "the connection has no socket address",
        )),
    }
}

fn busy() -> PyErr {
    aborted("the connection is busy with another request")
}

fn closed_error() -> PyErr {
    aborted("the connection is closed")
}

fn aborted(why: &str) -> PyErr {
    crate::errors::to_py(Error::new(
        ErrorKind::Protocol,
        format!("Connection aborted. ({why})"),
    ))
}

/// Flags such as `MSG_PEEK` would need the socket itself, which the core owns.
fn no_flags(flags: i32) -> PyResult<()> {
    if flags == 0 {
        return Ok(());
    }
    Err(pyo3::exceptions::PyValueError::new_err(
        "non-zero flags are not supported on this connection",
    ))
}

fn put_back(slot: &SharedSlot, conn: Option<Connection>) {
    let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
    *slot = match conn {
        Some(conn) => Slot::Idle(Box::new(conn)),
        None => Slot::Closed,
    };
}

/// A Python body as a core body: None, bytes-like, str (UTF-8), or an iterable of chunks.
fn to_body(body: Option<Bound<'_, PyAny>>) -> PyResult<Body> {
    let Some(body) = body.filter(|b| !b.is_none()) else {
        return Ok(Body::Empty);
    };
    if let Ok(b) = body.cast::<PyBytes>() {
        return Ok(Body::Bytes(b.as_bytes().to_vec()));
    }
    if let Ok(s) = body.cast::<PyString>() {
        return Ok(Body::Bytes(s.to_str()?.as_bytes().to_vec()));
    }
    if let Ok(b) = body.cast::<PyByteArray>() {
        return Ok(Body::Bytes(b.to_vec()));
    }
    let iter = body.try_iter()?.unbind().into_any();
    Ok(Body::from_body_read(Box::new(PyIterBody::new(iter)), None))
}

pub(crate) fn seconds(value: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value).map_err(|e| {
        pyo3::exceptions::PyValueError::new_err(format!("invalid timeout {value}: {e}"))
    })
}

fn source_addr(ip: &str, port: u16) -> PyResult<SocketAddr> {
    let ip = if ip.is_empty() { "0.0.0.0" } else { ip };
    ip.parse::<std::net::IpAddr>()
        .map(|ip| SocketAddr::new(ip, port))
        .map_err(|e| {
            pyo3::exceptions::PyValueError::new_err(format!("invalid source_address {ip:?}: {e}"))
        })
}

/// urllib3's TLS arguments, as the Python layer passes them (`cert_reqs` and versions as the
/// ssl module's integers).
fn tls_config(args: &Bound<'_, PyDict>) -> PyResult<TlsConfig> {
    let text = |key: &str| -> PyResult<Option<String>> {
        match args.get_item(key)? {
            Some(v) if !v.is_none() => Ok(Some(v.extract()?)),
            _ => Ok(None),
        }
    };
    let int = |key: &str| -> PyResult<Option<i64>> {
        match args.get_item(key)? {
            Some(v) if !v.is_none() => Ok(Some(v.extract()?)),
            _ => Ok(None),
        }
    };
    let check_hostname = match args.get_item("check_hostname")? {
        Some(v) => v.is_truthy()?,
        None => true,
    };
    let der: Option<Vec<u8>> = match args.get_item("ca_cert_der")? {
        Some(v) if !v.is_none() => Some(v.extract()?),
        _ => None,
    };
    let (assert_hostname, server_hostname) = (text("assert_hostname")?, text("server_hostname")?);
    let (min, max, reqs) = (
        int("minimum_version")?,
        int("maximum_version")?,
        int("cert_reqs")?,
    );
    let core = |e: Error| crate::errors::to_py(e);
    Ok(TlsConfig {
        cert_reqs: CertReqs::from_int(reqs.unwrap_or(2)).map_err(core)?,
        ca_certs: text("ca_certs")?.map(Into::into),
        ca_cert_dir: text("ca_cert_dir")?.map(Into::into),
        ca_cert_data: text("ca_cert_pem")?
            .map(CaCertData::Pem)
            .or(der.map(CaCertData::Der)),
        cert_file: text("cert_file")?.map(Into::into),
        key_file: text("key_file")?.map(Into::into),
        key_password: text("key_password")?,
        assert_hostname: match (check_hostname, assert_hostname) {
            (false, _) => AssertHostname::Skip,
            (true, Some(name)) => AssertHostname::Name(name),
            (true, None) => AssertHostname::Host,
        },
        server_hostname,
        assert_fingerprint: text("assert_fingerprint")?,
        ssl_minimum_version: min.map(TlsVersion::from_int).transpose().map_err(core)?,
        ssl_maximum_version: max.map(TlsVersion::from_int).transpose().map_err(core)?,
        ciphers: text("ciphers")?,
    })
}

/// An HTTP(S) proxy: its URL, headers, TLS settings, and whether requests are forwarded to it
/// (else tunnelled through it).
fn proxy_config(args: &Bound<'_, PyDict>) -> PyResult<(ProxyConfig, bool)> {
    let url: String = args
        .get_item("url")?
        .map_or(Ok(String::new()), |v| v.extract())?;
    let mut proxy = ProxyConfig::new(&url).map_err(crate::errors::to_py)?;
    if let Some(headers) = args.get_item("headers")? {
        if !headers.is_none() {
            let lines: Vec<(String, String)> = headers.extract()?;
            proxy = proxy.with_headers(lines.into_iter().collect());
        }
    }
    if let Some(tls) = args.get_item("tls")? {
        if let Ok(tls) = tls.cast::<PyDict>() {
            proxy = proxy.with_tls(tls_config(tls)?);
        }
    }
    let forwarding = match args.get_item("forwarding")? {
        Some(v) => v.is_truthy()?,
        None => false,
    };
    Ok((proxy, forwarding))
}

/// A SOCKS proxy from its URL, with credentials from the arguments when given.
fn socks_config(args: &Bound<'_, PyDict>) -> PyResult<SocksConfig> {
    let url: String = args
        .get_item("url")?
        .map_or(Ok(String::new()), |v| v.extract())?;
    let socks = SocksConfig::from_url(&url).map_err(crate::errors::to_py)?;
    let field = |key: &str| -> PyResult<Option<String>> {
        match args.get_item(key)? {
            Some(v) if !v.is_none() => Ok(Some(v.extract()?)),
            _ => Ok(None),
        }
    };
    let (username, password) = (field("username")?, field("password")?);
    if username.is_none() && password.is_none() {
        return Ok(socks);
    }
    Ok(socks.with_credentials(username.unwrap_or_default(), password.unwrap_or_default()))
}
