//! Connection settings from Python arguments: timeouts, the source address, and the TLS, proxy
//! and SOCKS dicts that the Python layer builds from urllib3's keyword arguments.
//!
//! Each is read once, when a connection is opened, into the core's own configuration types.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use pyo3::conversion::FromPyObjectOwned;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use urllib3::{
    AssertHostname, CaCertData, CertReqs, Error, ProxyConfig, SocksConfig, TlsConfig, TlsVersion,
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
