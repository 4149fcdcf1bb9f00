//! Connection settings from Python arguments: timeouts, the socket settings, and the TLS, proxy
//! and SOCKS dicts that the Python layer builds from urllib3's keyword arguments.
//!
//! Each is read once, when a connection is opened, into the core's own configuration types.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use pyo3::conversion::FromPyObjectOwned;
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use urllib3::connection::{AddressFamily, SocketHook};
use urllib3::socket2::Socket;
use urllib3::{
    AssertHostname, CaCertData, CertReqs, Error, ProxyConfig, SocketConfig, SocksConfig, TlsConfig,
    TlsVersion,
};

/// A timeout in seconds, as Python passes it.
pub(crate) fn seconds(value: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value)
        .map_err(|e| PyValueError::new_err(format!("invalid timeout {value}: {e}")))
}

/// urllib3's `source_address`: an empty host binds to any address.
pub(crate) fn source_addr(ip: &str, port: u16) -> PyResult<SocketAddr> {
    let ip = if ip.is_empty() { "0.0.0.0" } else { ip };
    ip.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, port))
        .map_err(|e| PyValueError::new_err(format!("invalid source_address {ip:?}: {e}")))
}

/// The socket settings of `Connection.open`: urllib3's `source_address`, the two socket options
/// the core sets itself, the family `allowed_gai_family()` allows (4, 6, or 0 for both), the
/// Happy Eyeballs delay in seconds (None: the core's 250 ms), and `configure_socket`, a
/// callable that applies the other socket options to a descriptor.
pub(crate) fn socket_config(
    source_address: Option<(String, u16)>,
    nodelay: bool,
    keepalive: bool,
    family: u8,
    happy_eyeballs_delay: Option<f64>,
    configure_socket: Option<Py<PyAny>>,
) -> PyResult<(SocketConfig, HookFailure)> {
    let family = match family {
        0 => AddressFamily::Any,
        4 => AddressFamily::Ipv4,
        6 => AddressFamily::Ipv6,
        other => {
            return Err(PyValueError::new_err(format!(
                "invalid address family {other} (4, 6 or 0 for both)"
            )))
        }
    };
    let failure = HookFailure::default();
    let mut config = SocketConfig {
        source_address: source_address
            .map(|(ip, port)| source_addr(&ip, port))
            .transpose()?,
        nodelay,
        keepalive,
        family,
        configure: configure_socket.map(|call| socket_hook(call, failure.clone())),
        ..SocketConfig::default()
    };
    if let Some(delay) = happy_eyeballs_delay {
        config.happy_eyeballs_delay = seconds(delay)?;
    }
    Ok((config, failure))
}

/// An exception other than `OSError` raised by `configure_socket` (a `TypeError` for a value
/// of the wrong type, a `KeyboardInterrupt`): urllib3 lets those out of `connect` as they are,
/// so the connect stops and this one is raised instead of the core's error.
#[derive(Clone, Default)]
pub(crate) struct HookFailure(Arc<Mutex<Option<PyErr>>>);

impl HookFailure {
    pub(crate) fn take(&self) -> Option<PyErr> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    fn keep(&self, err: PyErr) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(err);
    }
}

/// Calls `configure(fd)` on each socket the core opens, before it connects; the GIL is taken
/// only for that call. Setting options needs `setsockopt` with whatever level, name and value
/// the caller gave, which safe Rust cannot do in general but Python's socket module can, on a
/// duplicate of the descriptor (same socket, its own descriptor to close).
fn socket_hook(configure: Py<PyAny>, failure: HookFailure) -> SocketHook {
    SocketHook::new(move |socket| {
        Python::attach(|py| match configure.call1(py, (raw_socket(socket),)) {
            Ok(_) => Ok(()),
            Err(err) => Err(hook_error(py, err, &failure)),
        })
    })
}

/// An `OSError` fails this attempt with its errno, as a failing `setsockopt` makes urllib3 try
/// the next address; anything else stops the connect (see [`HookFailure`]).
fn hook_error(py: Python<'_>, err: PyErr, failure: &HookFailure) -> io::Error {
    if err.is_instance_of::<PyOSError>(py) {
        let errno = err
            .value(py)
            .getattr("errno")
            .and_then(|e| e.extract::<Option<i32>>())
            .ok()
            .flatten();
        return match errno {
            Some(code) => io::Error::from_raw_os_error(code),
            None => io::Error::other(err.value(py).to_string()),
        };
    }
    let text = err.to_string();
    failure.keep(err);
    io::Error::new(io::ErrorKind::Interrupted, text)
}

#[cfg(unix)]
fn raw_socket(socket: &Socket) -> i64 {
    use std::os::fd::AsRawFd;
    i64::from(socket.as_raw_fd())
}

#[cfg(windows)]
fn raw_socket(socket: &Socket) -> u64 {
    use std::os::windows::io::AsRawSocket;
    socket.as_raw_socket()
}

/// urllib3's TLS arguments, as the Python layer passes them (`cert_reqs` and versions as the
/// ssl module's integers).
pub(crate) fn tls_config(args: &Bound<'_, PyDict>) -> PyResult<TlsConfig> {
    let text = |key: &str| optional::<String>(args, key);
    let int = |key: &str| optional::<i64>(args, key);
    let check_hostname = match args.get_item("check_hostname")? {
        Some(v) => v.is_truthy()?,
        None => true,
    };
    let der = optional::<Vec<u8>>(args, "ca_cert_der")?;
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
        keylog_file: text("keylog_filename")?.map(Into::into),
        hostname_checks_common_name: match args.get_item("hostname_checks_common_name")? {
            Some(v) => v.is_truthy()?,
            None => false,
        },
        alpn_protocols: optional::<Vec<String>>(args, "alpn_protocols")?,
    })
}

/// An HTTP(S) proxy: its URL, headers, TLS settings, and whether requests are forwarded to it
/// (else tunnelled through it).
pub(crate) fn proxy_config(args: &Bound<'_, PyDict>) -> PyResult<(ProxyConfig, bool)> {
    let url: String = args
        .get_item("url")?
        .map_or(Ok(String::new()), |v| v.extract())?;
    let mut proxy = ProxyConfig::new(&url).map_err(crate::errors::to_py)?;
    if let Some(lines) = optional::<Vec<(String, String)>>(args, "headers")? {
        proxy = proxy.with_headers(lines.into_iter().collect());
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
pub(crate) fn socks_config(args: &Bound<'_, PyDict>) -> PyResult<SocksConfig> {
    let url: String = args
        .get_item("url")?
        .map_or(Ok(String::new()), |v| v.extract())?;
    let socks = SocksConfig::from_url(&url).map_err(crate::errors::to_py)?;
    let username = optional::<String>(args, "username")?;
    let password = optional::<String>(args, "password")?;
    if username.is_none() && password.is_none() {
        return Ok(socks);
    }
    Ok(socks.with_credentials(username.unwrap_or_default(), password.unwrap_or_default()))
}

/// The value under `key`; a missing key and None both mean "not given".
fn optional<'py, T: FromPyObjectOwned<'py>>(
    args: &Bound<'py, PyDict>,
    key: &str,
) -> PyResult<Option<T>> {
    match args.get_item(key)? {
        Some(v) if !v.is_none() => v.extract().map(Some).map_err(Into::into),
        _ => Ok(None),
    }
}
