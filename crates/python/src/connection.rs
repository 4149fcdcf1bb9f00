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
use pyo3::types::{PyByteArray, PyBytes, PyString};

use crate::body::PyIterBody;
use crate::errors::guard;
use crate::response::PyResponse;
use urllib3::connection::Request;
use urllib3::{
    AssertHostname, Body, CaCertData, CertReqs, Connection, Error, ErrorKind, HeaderMap,
    ResponseOptions, SocketConfig, Timeout, TlsConfig, TlsVersion,
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
    /// Opens a TCP connection (the GIL is released while connecting).
    #[staticmethod]
    #[pyo3(signature = (host, port, timeout=None, source_address=None, nodelay=true, keepalive=false))]
    fn open(
        py: Python<'_>,
        host: String,
        port: u16,
        timeout: Option<f64>,
        source_address: Option<(String, u16)>,
        nodelay: bool,
        keepalive: bool,
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
        let conn = py.detach(move || {
            guard(move || {
                let timeout = timeout.map_or_else(Timeout::new, |t| Timeout::new().with_connect(t));
                Connection::open(&host, port, &timeout, &socket)
            })
        })?;
        Ok(PyConnection::idle(conn))
    }

    /// Opens a TCP connection and completes a TLS handshake, both within the connect timeout.
    /// The Python layer passes urllib3's TLS arguments already normalised: `cert_reqs` as the
    /// ssl module's integer, versions as `ssl.TLSVersion` integers.
    #[staticmethod]
    #[pyo3(signature = (
        host, port, timeout=None, source_address=None, nodelay=true, keepalive=false, *,
        cert_reqs=2, ca_certs=None, ca_cert_dir=None, ca_cert_pem=None, ca_cert_der=None,
        cert_file=None, key_file=None, key_password=None, assert_hostname=None,
        check_hostname=true, server_hostname=None, assert_fingerprint=None,
        minimum_version=None, maximum_version=None, ciphers=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn open_tls(
        py: Python<'_>,
        host: String,
        port: u16,
        timeout: Option<f64>,
        source_address: Option<(String, u16)>,
        nodelay: bool,
        keepalive: bool,
        cert_reqs: i64,
        ca_certs: Option<String>,
        ca_cert_dir: Option<String>,
        ca_cert_pem: Option<String>,
        ca_cert_der: Option<Vec<u8>>,
        cert_file: Option<String>,
        key_file: Option<String>,
        key_password: Option<String>,
        assert_hostname: Option<String>,
        check_hostname: bool,
        server_hostname: Option<String>,
        assert_fingerprint: Option<String>,
        minimum_version: Option<i64>,
        maximum_version: Option<i64>,
        ciphers: Option<String>,
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
        let tls = guard(|| {
            let version = |v: Option<i64>| v.map(TlsVersion::from_int).transpose();
            Ok(TlsConfig {
                cert_reqs: CertReqs::from_int(cert_reqs)?,
                ca_certs: ca_certs.map(Into::into),
                ca_cert_dir: ca_cert_dir.map(Into::into),
                ca_cert_data: ca_cert_pem
                    .map(CaCertData::Pem)
                    .or(ca_cert_der.map(CaCertData::Der)),
                cert_file: cert_file.map(Into::into),
                key_file: key_file.map(Into::into),
                key_password,
                assert_hostname: match (check_hostname, assert_hostname) {
                    (false, _) => AssertHostname::Skip,
                    (true, Some(name)) => AssertHostname::Name(name),
                    (true, None) => AssertHostname::Host,
                },
                server_hostname,
                assert_fingerprint,
                ssl_minimum_version: version(minimum_version)?,
                ssl_maximum_version: version(maximum_version)?,
                ciphers,
            })
        })?;
        let conn = py.detach(move || {
            guard(move || {
                let timeout = timeout.map_or_else(Timeout::new, |t| Timeout::new().with_connect(t));
                Connection::open_tls(&host, port, &timeout, &socket, &tls)
            })
        })?;
        Ok(PyConnection::idle(conn))
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
        self.finish_write(result, conn)
    }

    /// Writes raw bytes (http.client's `send`, for callers that build the request themselves).
    #[pyo3(signature = (data, timeout=None))]
    fn send(&self, py: Python<'_>, data: Vec<u8>, timeout: Option<f64>) -> PyResult<()> {
        let timeout = timeout.map(seconds).transpose()?;
        let mut conn = self.take()?;
        let (result, conn) = py.detach(move || {
            let result = conn.write_raw(&data, timeout);
            (result, conn)
        });
        self.finish_write(result, conn)
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

    /// Closes the connection; a response still reading keeps its own handle until it ends.
    fn close(&self) {
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
            tls,
            slot: Arc::new(Mutex::new(Slot::Idle(Box::new(conn)))),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Slot> {
        // The slot is replaced in single assignments: a poisoned lock still holds a valid state.
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes the idle connection out for a request.
    fn take(&self) -> PyResult<Box<Connection>> {
        let mut slot = self.lock();
        match std::mem::replace(&mut *slot, Slot::Lent) {
            Slot::Idle(conn) => Ok(conn),
            other => {
                let closed = matches!(other, Slot::Closed);
                *slot = other;
                let why = if closed {
                    "the connection is closed"
                } else {
                    "the connection is busy with another request"
                };
                Err(crate::errors::to_py(Error::new(
                    ErrorKind::Protocol,
                    format!("Connection aborted. ({why})"),
                )))
            }
        }
    }

    fn finish_write(&self, result: urllib3::Result<()>, conn: Box<Connection>) -> PyResult<()> {
        match result {
            Ok(()) => {
                *self.lock() = Slot::Idle(conn);
                Ok(())
            }
            Err(e) => {
                *self.lock() = Slot::Closed;
                Err(crate::errors::to_py(e))
            }
        }
    }
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

fn seconds(value: f64) -> PyResult<Duration> {
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
