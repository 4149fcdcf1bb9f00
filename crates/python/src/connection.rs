//! `urllib3._rs.Connection`: one HTTP/1.1 connection, kept between requests.
//!
//! urllib3 keeps connection objects in its pools and hands them to responses; the core's
//! `Connection` is owned by a response while the body is read. The slot bridges the two: a
//! response takes the connection out and its release hook puts it back (or marks it closed),
//! so the Python object stays valid across requests like `http.client.HTTPConnection` does.
//!
//! The object is also its own `sock` (what http.client and downstream clients call on a
//! socket): those methods are listed here and written in [`crate::socket`].

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyString};
use urllib3::connection::Request;
use urllib3::pool::Http2Connections;
use urllib3::{Body, Bytes, Connection, Error, ErrorKind, HeaderMap, ResponseOptions, Timeout};

use crate::body::PyIterBody;
use crate::config::{proxy_config, seconds, socket_config, socks_config, tls_config};
use crate::errors::guard;
use crate::response::PyResponse;
use crate::socket::{self, SocketState};

/// `urllib3._rs.Http2Connections`: a pool's HTTP/2 connections, shared by its connection
/// objects so that concurrent requests are streams of one connection.
#[pyclass(module = "urllib3._rs", name = "Http2Connections", frozen)]
pub(crate) struct PyHttp2Connections(Arc<Http2Connections>);

#[pymethods]
impl PyHttp2Connections {
    #[new]
    fn new() -> Self {
        PyHttp2Connections(Arc::default())
    }

    /// Forgets every connection: each closes when its last user is done with it.
    fn clear(&self) {
        self.0.clear();
    }
}

/// Where the core connection is between requests.
pub(crate) enum Slot {
    Idle(Box<Connection>),
    /// A request is being written or a response read on it.
    Lent,
    Closed,
}

pub(crate) type SharedSlot = Arc<Mutex<Slot>>;

/// An open connection to one host and port.
#[pyclass(module = "urllib3._rs", name = "Connection", frozen)]
pub(crate) struct PyConnection {
    slot: SharedSlot,
    pub(crate) peer: Option<SocketAddr>,
    local: Option<SocketAddr>,
    pub(crate) tls: Option<TlsFacts>,
    proxy_verified: Option<bool>,
    pub(crate) sock: SocketState,
}

/// What the TLS handshake settled, read once so Python can ask without locking.
pub(crate) struct TlsFacts {
    verified: bool,
    pub(crate) version: Option<&'static str>,
    pub(crate) cipher: Option<&'static str>,
    alpn: Option<String>,
    pub(crate) peer_certificate: Option<Vec<u8>>,
    /// Whether the chain was checked (not `CERT_NONE`): `getpeercert()` decodes only then.
    pub(crate) peer_checked: bool,
}

#[pymethods]
impl PyConnection {
    /// Opens a connection (the GIL is released while connecting and handshaking).
    ///
    /// The socket settings are those of [`crate::config::socket_config`]: `family` (4, 6 or 0
    /// for both), `happy_eyeballs_delay` (seconds; 0 tries addresses one at a time) and
    /// `configure_socket` (called with each socket's descriptor before it connects).
    ///
    /// `tls` (a dict of urllib3's TLS arguments, already normalised by the Python layer)
    /// makes it HTTPS; `proxy` (`url`, `headers`, `tls`, `forwarding`) goes through an HTTP(S)
    /// proxy, by a CONNECT tunnel or, with `forwarding`, to the proxy itself; `socks` (`url`,
    /// `username`, `password`) goes through a SOCKS proxy.
    ///
    /// With `http2` (the pool's [`PyHttp2Connections`]), an HTTP/2 connection kept there with
    /// room for another stream is shared instead of opening one, and a new connection that
    /// speaks HTTP/2 is kept there.
    #[staticmethod]
    #[pyo3(signature = (host, port, timeout=None, source_address=None, nodelay=true, keepalive=false, family=0, happy_eyeballs_delay=None, configure_socket=None, tls=None, proxy=None, socks=None, http2=None))]
    #[allow(clippy::too_many_arguments)]
    fn open(
        py: Python<'_>,
        host: String,
        port: u16,
        timeout: Option<f64>,
        source_address: Option<(String, u16)>,
        nodelay: bool,
        keepalive: bool,
        family: u8,
        happy_eyeballs_delay: Option<f64>,
        configure_socket: Option<Py<PyAny>>,
        tls: Option<Bound<'_, PyDict>>,
        proxy: Option<Bound<'_, PyDict>>,
        socks: Option<Bound<'_, PyDict>>,
        http2: Option<Bound<'_, PyHttp2Connections>>,
    ) -> PyResult<Self> {
        crate::reread_log_levels();
        let http2 = http2.map(|kept| Arc::clone(&kept.get().0));
        // Without the GIL: looking at a kept connection may take in bytes that arrived on it.
        if let Some(shared) = py.detach(|| http2.as_ref().and_then(|kept| kept.share())) {
            return Ok(PyConnection::idle(shared));
        }
        let timeout = timeout.map(seconds).transpose()?;
        let (socket, hook_failure) = socket_config(
            source_address,
            nodelay,
            keepalive,
            family,
            happy_eyeballs_delay,
            configure_socket,
        )?;
        let tls = tls.as_ref().map(tls_config).transpose()?;
        let proxy = proxy.as_ref().map(proxy_config).transpose()?;
        let socks = socks.as_ref().map(socks_config).transpose()?;
        let opened = py.detach(move || {
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
        });
        // A Python exception from configure_socket wins over the core error it caused.
        let conn = opened.map_err(|err| hook_failure.take().unwrap_or(err))?;
        let conn = match http2 {
            Some(kept) => py.detach(move || {
                kept.keep(&conn);
                conn
            }),
            None => conn,
        };
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
    pub(crate) fn is_verified(&self) -> bool {
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
    pub(crate) fn is_dropped(&self) -> bool {
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
    pub(crate) fn close(&self) {
        if self.sock.defer_close() {
            return;
        }
        let mut slot = self.lock();
        if let Slot::Idle(_) = &*slot {
            *slot = Slot::Closed;
        }
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

    // The socket surface (`conn.sock`), written in `crate::socket`.

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
        socket::send(self, py, data, flags, timeout)
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
        socket::send(self, py, data, flags, timeout).map(drop)
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
        socket::recv(self, py, bufsize, flags)
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
        socket::recv_into(self, py, buffer, nbytes, flags)
    }

    /// Whether bytes have arrived that a read would return at once: a readiness poll on the
    /// descriptor cannot see those already buffered (here or inside TLS).
    fn has_pending(&self) -> bool {
        socket::has_pending(self)
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
        socket::makefile(slf, mode, buffering, encoding, errors, newline)
    }

    /// A file from `makefile` was opened (what `socket.makefile` counts in `_io_refs`).
    fn _incref_socketios(&self) {
        socket::incref_socketios(self);
    }

    /// A file from `makefile` was closed: the last one carries out a `close` made meanwhile.
    fn _decref_socketios(&self) {
        socket::decref_socketios(self);
    }

    /// The socket's file descriptor, as `socket.fileno()` gives it (-1 once closed).
    fn fileno(&self) -> i64 {
        socket::fileno(self)
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
        socket::getsockopt(self, py, level, option, buflen)
    }

    /// `socket.setsockopt` on the connection's socket.
    fn setsockopt(
        &self,
        py: Python<'_>,
        level: i32,
        option: i32,
        value: Bound<'_, PyAny>,
    ) -> PyResult<()> {
        socket::setsockopt(self, py, level, option, value)
    }

    /// `socket.settimeout`: remembered for `gettimeout`. Each request passes its own timeout to
    /// the core, so this does not change the waits themselves.
    fn settimeout(&self, timeout: Option<f64>) {
        socket::settimeout(self, timeout);
    }

    /// `socket.gettimeout`.
    fn gettimeout(&self) -> Option<f64> {
        socket::gettimeout(self)
    }

    /// `socket.type`: a stream socket.
    #[getter(r#type)]
    fn socket_type<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        socket::socket_type(py)
    }

    /// `socket.family`.
    #[getter]
    fn family<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        socket::family(self, py)
    }

    /// `socket.getsockname()`: (host, port), or (host, port, flowinfo, scope_id) for IPv6.
    fn getsockname<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        socket::address(py, self.local)
    }

    /// `socket.getpeername()`, in the same form as `getsockname`.
    fn getpeername<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        socket::address(py, self.peer)
    }

    /// `SSLSocket.version()`: the TLS version, or None for plain TCP.
    fn version(&self) -> Option<&'static str> {
        self.tls_version()
    }

    /// `SSLSocket.cipher()`: (name, protocol, secret bits), or None for plain TCP.
    #[pyo3(name = "cipher")]
    fn cipher_tuple(&self) -> Option<(&'static str, &'static str, u32)> {
        socket::cipher(self)
    }

    /// `SSLSocket.selected_alpn_protocol()`.
    fn selected_alpn_protocol(&self) -> Option<String> {
        self.alpn_protocol()
    }

    /// `SSLSocket.getpeercert(binary_form)`: the DER certificate with `binary_form`, else
    /// the decoded dict (empty under `CERT_NONE`, as in Python).
    #[pyo3(signature = (binary_form=false))]
    fn getpeercert<'py>(
        &self,
        py: Python<'py>,
        binary_form: bool,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        socket::getpeercert(self, py, binary_form)
    }

    /// `SSLSocket.get_verified_chain()` (Python 3.13): the DER certificates from the server's
    /// to the root it was verified against; as the server sent them under `CERT_NONE`.
    fn get_verified_chain<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyBytes>>> {
        socket::get_verified_chain(self, py)
    }

    /// `SSLSocket._sslobj`: what Python 3.10 to 3.12 offer `get_verified_chain()` on (the
    /// Elasticsearch client pins fingerprints through it). Plain TCP has none.
    #[getter]
    fn _sslobj<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        socket::sslobj(slf)
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
            peer_checked: conn.peer_certificate_checked(),
        });
        PyConnection {
            peer: conn.peer_addr().ok(),
            local: conn.local_addr().ok(),
            proxy_verified: conn.proxy_is_verified(),
            sock: SocketState::new(conn.raw_fd().map_or(-1, i64::from)),
            tls,
            slot: Arc::new(Mutex::new(Slot::Idle(Box::new(conn)))),
        }
    }

    /// Where the core connection is kept, for a response to put it back.
    pub(crate) fn slot(&self) -> &SharedSlot {
        &self.slot
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Slot> {
        // The slot is replaced in single assignments: a poisoned lock still holds a valid state.
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes the idle connection out for a request or a raw read or write.
    pub(crate) fn take(&self) -> PyResult<Box<Connection>> {
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
    pub(crate) fn finish<T>(
        &self,
        result: urllib3::Result<T>,
        conn: Box<Connection>,
    ) -> urllib3::Result<T> {
        *self.lock() = if result.is_ok() {
            Slot::Idle(conn)
        } else {
            Slot::Closed
        };
        result
    }
}

pub(crate) fn busy() -> PyErr {
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

pub(crate) fn put_back(slot: &SharedSlot, conn: Option<Connection>) {
    let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
    *slot = match conn {
        Some(conn) => Slot::Idle(Box::new(conn)),
        None => Slot::Closed,
    };
}

/// A Python body as a core body: None, bytes-like, str (UTF-8), or an iterable of chunks.
pub(crate) fn to_body(body: Option<Bound<'_, PyAny>>) -> PyResult<Body> {
    let Some(body) = body.filter(|b| !b.is_none()) else {
        return Ok(Body::Empty);
    };
    if let Ok(b) = body.cast::<PyBytes>() {
        // Sent from the bytes object itself, which the body keeps alive: no copy.
        let backed: PyBackedBytes = b.clone().into();
        return Ok(Body::Bytes(Bytes::from_owner(backed)));
    }
    if let Ok(s) = body.cast::<PyString>() {
        return Ok(Body::from(s.to_str()?));
    }
    if let Ok(b) = body.cast::<PyByteArray>() {
        return Ok(Body::from(b.to_vec()));
    }
    let iter = body.try_iter()?.unbind().into_any();
    Ok(Body::from_body_read(Box::new(PyIterBody::new(iter)), None))
}
