//! urllib3's TLS options as plain values: `cert_reqs`, `ssl_minimum_version`, `assert_hostname`,
//! `ca_cert_data` and the [`TlsConfig`] that holds them all.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use rustls::{ClientConfig, SupportedProtocolVersion};

use crate::error::{Error, ErrorKind, Result};

/// Whether and how the server's certificate is required: the `ssl.CERT_*` constants.
///
/// ```
/// use urllib3::CertReqs;
///
/// assert_eq!("REQUIRED".parse::<CertReqs>()?, CertReqs::Required);
/// assert_eq!("CERT_NONE".parse::<CertReqs>()?, CertReqs::None);
/// assert_eq!(CertReqs::from_int(2)?, CertReqs::Required);
/// # Ok::<(), urllib3::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CertReqs {
    /// `CERT_NONE` (0): no verification at all. Each request logs an `InsecureRequestWarning`.
    None,
    /// `CERT_OPTIONAL` (1): for a client, the same checks as `CERT_REQUIRED` (a server always
    /// sends a certificate), though urllib3 still counts the connection as unverified.
    Optional,
    /// `CERT_REQUIRED` (2), the default: the chain and the host name are verified.
    #[default]
    Required,
}

impl CertReqs {
    /// The `ssl` module's integer for this value.
    pub fn as_int(self) -> i64 {
        match self {
            CertReqs::None => 0,
            CertReqs::Optional => 1,
            CertReqs::Required => 2,
        }
    }

    /// The value for one of the `ssl` module's integers (0, 1 or 2).
    pub fn from_int(value: i64) -> Result<CertReqs> {
        match value {
            0 => Ok(CertReqs::None),
            1 => Ok(CertReqs::Optional),
            2 => Ok(CertReqs::Required),
            _ => Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("invalid value for cert_reqs: {value} (expected 0, 1 or 2)"),
            )),
        }
    }
}

impl FromStr for CertReqs {
    type Err = Error;

    /// Parses `CERT_REQUIRED` or its abbreviation `REQUIRED` (and `NONE`, `OPTIONAL`), as
    /// urllib3's `resolve_cert_reqs` does.
    fn from_str(name: &str) -> Result<CertReqs> {
        let upper = name.trim().to_ascii_uppercase();
        match upper.strip_prefix("CERT_").unwrap_or(&upper) {
            "NONE" => Ok(CertReqs::None),
            "OPTIONAL" => Ok(CertReqs::Optional),
            "REQUIRED" => Ok(CertReqs::Required),
            _ => Err(Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "unknown cert_reqs {name:?}: expected CERT_REQUIRED, CERT_OPTIONAL or CERT_NONE"
                ),
            )),
        }
    }
}

/// A TLS protocol version: Python's `ssl.TLSVersion`.
///
/// rustls speaks TLS 1.2 and 1.3 only; asking for an older version is an `SSLError` when the
/// connection is made.
///
/// ```
/// use urllib3::TlsVersion;
///
/// assert_eq!("TLSv1.2".parse::<TlsVersion>()?, TlsVersion::TLSv1_2);
/// assert_eq!(TlsVersion::from_int(0x0304)?, TlsVersion::TLSv1_3);
/// # Ok::<(), urllib3::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TlsVersion {
    /// `MINIMUM_SUPPORTED`: TLS 1.2 here.
    MinimumSupported,
    /// SSL 3.0 (not supported).
    SSLv3,
    /// TLS 1.0 (not supported).
    TLSv1,
    /// TLS 1.1 (not supported).
    TLSv1_1,
    /// TLS 1.2.
    TLSv1_2,
    /// TLS 1.3.
    TLSv1_3,
    /// `MAXIMUM_SUPPORTED`: TLS 1.3 here.
    MaximumSupported,
}

impl TlsVersion {
    /// The `ssl.TLSVersion` integer for this version.
    pub fn as_int(self) -> i64 {
        match self {
            TlsVersion::MinimumSupported => -2,
            TlsVersion::MaximumSupported => -1,
            TlsVersion::SSLv3 => 0x0300,
            TlsVersion::TLSv1 => 0x0301,
            TlsVersion::TLSv1_1 => 0x0302,
            TlsVersion::TLSv1_2 => 0x0303,
            TlsVersion::TLSv1_3 => 0x0304,
        }
    }

    /// The version for an `ssl.TLSVersion` integer.
    pub fn from_int(value: i64) -> Result<TlsVersion> {
        [
            TlsVersion::MinimumSupported,
            TlsVersion::MaximumSupported,
            TlsVersion::SSLv3,
            TlsVersion::TLSv1,
            TlsVersion::TLSv1_1,
            TlsVersion::TLSv1_2,
            TlsVersion::TLSv1_3,
        ]
        .into_iter()
        .find(|v| v.as_int() == value)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("{value} is not a valid TLSVersion"),
            )
        })
    }

    /// The name Python prints (`TLSv1.2`).
    pub fn as_str(self) -> &'static str {
        match self {
            TlsVersion::MinimumSupported => "MINIMUM_SUPPORTED",
            TlsVersion::MaximumSupported => "MAXIMUM_SUPPORTED",
            TlsVersion::SSLv3 => "SSLv3",
            TlsVersion::TLSv1 => "TLSv1",
            TlsVersion::TLSv1_1 => "TLSv1.1",
            TlsVersion::TLSv1_2 => "TLSv1.2",
            TlsVersion::TLSv1_3 => "TLSv1.3",
        }
    }

    /// What rustls can do for this version: 1.2 and 1.3, with the `*_SUPPORTED` bounds mapped
    /// to them; `None` for the versions rustls does not implement.
    pub(super) fn supported(self) -> Option<&'static SupportedProtocolVersion> {
        match self {
            TlsVersion::MinimumSupported | TlsVersion::TLSv1_2 => Some(&rustls::version::TLS12),
            TlsVersion::MaximumSupported | TlsVersion::TLSv1_3 => Some(&rustls::version::TLS13),
            TlsVersion::SSLv3 | TlsVersion::TLSv1 | TlsVersion::TLSv1_1 => None,
        }
    }
}

impl FromStr for TlsVersion {
    type Err = Error;

    /// Parses `TLSv1_2`, `TLSv1.2`, `TLSVersion.TLSv1_2`, `MINIMUM_SUPPORTED`, … (any case).
    fn from_str(name: &str) -> Result<TlsVersion> {
        let trimmed = name.trim();
        let bare = trimmed
            .strip_prefix("TLSVersion.")
            .unwrap_or(trimmed)
            .to_ascii_uppercase()
            .replace('.', "_");
        Ok(match bare.as_str() {
            "MINIMUM_SUPPORTED" => TlsVersion::MinimumSupported,
            "MAXIMUM_SUPPORTED" => TlsVersion::MaximumSupported,
            "SSLV3" => TlsVersion::SSLv3,
            "TLSV1" | "TLSV1_0" => TlsVersion::TLSv1,
            "TLSV1_1" => TlsVersion::TLSv1_1,
            "TLSV1_2" => TlsVersion::TLSv1_2,
            "TLSV1_3" => TlsVersion::TLSv1_3,
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!("unknown TLS version {name:?}"),
                ))
            }
        })
    }
}

impl fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which name the server's certificate must carry: urllib3's `assert_hostname`.
///
/// ```
/// # let server = testserver::TestServer::start_tls();
/// use urllib3::{AssertHostname, PoolConfig, PoolManager, RequestMethods, TlsConfig};
///
/// // The URL says 127.0.0.1; check the certificate for "localhost" instead.
/// let tls = TlsConfig::new()
///     .with_ca_certs(server.ca_file().unwrap())
///     .with_assert_hostname(AssertHostname::Name("localhost".into()));
/// let http = PoolManager::with_config(10, PoolConfig { tls, ..PoolConfig::default() });
/// assert_eq!(http.request("GET", &server.url("/get"))?.status(), 200);
/// # Ok::<(), urllib3::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum AssertHostname {
    /// `None`: the host connected to, or `server_hostname` when it is set.
    #[default]
    Host,
    /// A name to check instead of the host.
    Name(String),
    /// `False`: check no name (the chain is still verified).
    Skip,
}

/// CA certificates given in memory: urllib3's `ca_cert_data`.
///
/// ```
/// # let server = testserver::TestServer::start_tls();
/// # let ca_pem = server.ca_pem().unwrap().to_owned();
/// use urllib3::{CaCertData, PoolConfig, PoolManager, RequestMethods, TlsConfig};
///
/// // `ca_pem` holds "-----BEGIN CERTIFICATE-----…", read from a file or a secret store.
/// let tls = TlsConfig::new().with_ca_cert_data(CaCertData::Pem(ca_pem));
/// let http = PoolManager::with_config(10, PoolConfig { tls, ..PoolConfig::default() });
/// assert_eq!(http.request("GET", &server.url("/get"))?.status(), 200);
/// # Ok::<(), urllib3::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum CaCertData {
    /// One or more PEM certificates (a `str` in Python).
    Pem(String),
    /// One or more DER certificates, concatenated (`bytes` in Python).
    Der(Vec<u8>),
}

impl fmt::Debug for CaCertData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaCertData::Pem(text) => write!(f, "Pem({} bytes)", text.len()),
            CaCertData::Der(bytes) => write!(f, "Der({} bytes)", bytes.len()),
        }
    }
}

/// urllib3's TLS options for HTTPS connections (the `SSL_KEYWORDS` of `PoolManager`, without
/// `ssl_context`), as a plain value: pools with equal settings share one rustls configuration.
///
/// The default verifies the server against the system's trust store (falling back to the
/// Mozilla roots of `webpki-roots` when the system has none) and checks the host name.
///
/// ```
/// # let server = testserver::TestServer::start_tls();
/// use urllib3::{PoolConfig, PoolManager, RequestMethods, TlsConfig};
///
/// // Trust the test server's CA instead of the system store.
/// let tls = TlsConfig::new().with_ca_certs(server.ca_file().unwrap());
/// let http = PoolManager::with_config(10, PoolConfig { tls, ..PoolConfig::default() });
/// let response = http.request("GET", &server.url("/get"))?;
/// assert_eq!(response.status(), 200);
/// # Ok::<(), urllib3::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct TlsConfig {
    /// Whether the server's certificate is verified (default `CERT_REQUIRED`).
    pub cert_reqs: CertReqs,
    /// A PEM file of CA certificates to trust instead of the system store.
    pub ca_certs: Option<PathBuf>,
    /// A directory of CA certificate files (PEM), OpenSSL's hashed `<hash>.0` names included.
    pub ca_cert_dir: Option<PathBuf>,
    /// CA certificates given in memory.
    pub ca_cert_data: Option<CaCertData>,
    /// The client certificate (PEM, optionally followed by its chain and its key).
    pub cert_file: Option<PathBuf>,
    /// The client certificate's private key (PEM: PKCS#1, SEC1, PKCS#8, encrypted PKCS#8, or
    /// OpenSSL's traditional encrypted PEM).
    pub key_file: Option<PathBuf>,
    /// The password of an encrypted `key_file`.
    pub key_password: Option<String>,
    /// The name to check in the server's certificate.
    pub assert_hostname: AssertHostname,
    /// The name sent in SNI and checked in the certificate, instead of the host.
    pub server_hostname: Option<String>,
    /// Hex digest (MD5, SHA-1 or SHA-256; colons optional, any case) that the server's
    /// certificate must have; replaces the host name check.
    pub assert_fingerprint: Option<String>,
    /// The oldest TLS version to accept (default TLS 1.2).
    pub ssl_minimum_version: Option<TlsVersion>,
    /// The newest TLS version to offer (default TLS 1.3).
    pub ssl_maximum_version: Option<TlsVersion>,
    /// OpenSSL cipher list (`ECDHE+AESGCM:!aNULL`, names like `ECDHE-RSA-AES128-GCM-SHA256`);
    /// it picks among the TLS 1.2 suites rustls has, as OpenSSL's `set_ciphers` does, and
    /// TLS 1.3 suite names restrict the TLS 1.3 suites.
    pub ciphers: Option<String>,
    /// Whether a certificate without DNS names in `subjectAltName` may match a DNS name by
    /// its subject's `commonName` (Python's `SSLContext.hostname_checks_common_name`; off by
    /// default, as RFC 6125 and browsers have it).
    pub hostname_checks_common_name: bool,
    /// Where to append the TLS secrets (NSS key log format, for Wireshark), as Python's
    /// `SSLContext.keylog_filename`; a new file starts with OpenSSL's header line. When unset,
    /// the `SSLKEYLOGFILE` environment variable is honoured as OpenSSL does.
    pub keylog_file: Option<PathBuf>,
    /// The protocols offered through ALPN, most wanted first (urllib3's `ALPN_PROTOCOLS`);
    /// `None` offers `http/1.1` alone. Offer `h2` to speak HTTP/2 with servers that pick it:
    /// a server that picks `http/1.1`, or nothing, gets HTTP/1.1.
    pub alpn_protocols: Option<Vec<String>>,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("cert_reqs", &self.cert_reqs)
            .field("ca_certs", &self.ca_certs)
            .field("ca_cert_dir", &self.ca_cert_dir)
            .field("ca_cert_data", &self.ca_cert_data)
            .field("cert_file", &self.cert_file)
            .field("key_file", &self.key_file)
            // A password has no business in logs.
            .field(
                "key_password",
                &self.key_password.as_ref().map(|_| "<hidden>"),
            )
            .field("assert_hostname", &self.assert_hostname)
            .field("server_hostname", &self.server_hostname)
            .field("assert_fingerprint", &self.assert_fingerprint)
            .field("ssl_minimum_version", &self.ssl_minimum_version)
            .field("ssl_maximum_version", &self.ssl_maximum_version)
            .field("ciphers", &self.ciphers)
            .field("keylog_file", &self.keylog_file)
            .field("alpn_protocols", &self.alpn_protocols)
            .field(
                "hostname_checks_common_name",
                &self.hostname_checks_common_name,
            )
            .finish()
    }
}

impl TlsConfig {
    /// The defaults: verify against the system's trust store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `cert_reqs`.
    pub fn with_cert_reqs(mut self, cert_reqs: CertReqs) -> Self {
        self.cert_reqs = cert_reqs;
        self
    }

    /// Sets `ca_certs`, a PEM file of CA certificates.
    pub fn with_ca_certs(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_certs = Some(path.into());
        self
    }

    /// Sets `ca_cert_dir`, a directory of CA certificate files.
    pub fn with_ca_cert_dir(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_cert_dir = Some(path.into());
        self
    }

    /// Sets `ca_cert_data`.
    pub fn with_ca_cert_data(mut self, data: CaCertData) -> Self {
        self.ca_cert_data = Some(data);
        self
    }

    /// Sets the client certificate, its key file (`None` when the key is in `cert_file`) and
    /// the key's password.
    pub fn with_client_cert(
        mut self,
        cert_file: impl Into<PathBuf>,
        key_file: Option<PathBuf>,
        key_password: Option<String>,
    ) -> Self {
        self.cert_file = Some(cert_file.into());
        self.key_file = key_file;
        self.key_password = key_password;
        self
    }

    /// Sets `assert_hostname`.
    pub fn with_assert_hostname(mut self, assert: AssertHostname) -> Self {
        self.assert_hostname = assert;
        self
    }

    /// Sets `server_hostname`.
    pub fn with_server_hostname(mut self, name: impl Into<String>) -> Self {
        self.server_hostname = Some(name.into());
        self
    }

    /// Sets `assert_fingerprint`.
    pub fn with_assert_fingerprint(mut self, fingerprint: impl Into<String>) -> Self {
        self.assert_fingerprint = Some(fingerprint.into());
        self
    }

    /// Sets `ssl_minimum_version` and `ssl_maximum_version`.
    pub fn with_versions(mut self, min: Option<TlsVersion>, max: Option<TlsVersion>) -> Self {
        self.ssl_minimum_version = min;
        self.ssl_maximum_version = max;
        self
    }

    /// Sets `ciphers`.
    pub fn with_ciphers(mut self, ciphers: impl Into<String>) -> Self {
        self.ciphers = Some(ciphers.into());
        self
    }

    /// Sets `alpn_protocols`: `["h2", "http/1.1"]` speaks HTTP/2 where the server can.
    ///
    /// ```
    /// # let server = testserver::TestServer::start_tls();
    /// use urllib3::{Body, Connection, HeaderMap, Timeout, TlsConfig, Version};
    ///
    /// let tls = TlsConfig::new().with_ca_certs(server.ca_file().unwrap()).with_alpn_protocols(["h2", "http/1.1"]);
    /// let conn = Connection::open_tls("localhost", server.port(), &Timeout::new(), &Default::default(), &tls)?;
    /// assert_eq!(conn.alpn_protocol(), Some("h2"));
    /// let response = conn.request("GET", "/get", "localhost", &HeaderMap::new(), Body::Empty, &Timeout::new())?;
    /// assert_eq!(response.version(), Version::Http2);
    /// # Ok::<(), urllib3::Error>(())
    /// ```
    pub fn with_alpn_protocols<S: Into<String>>(
        mut self,
        protocols: impl IntoIterator<Item = S>,
    ) -> Self {
        self.alpn_protocols = Some(protocols.into_iter().map(Into::into).collect());
        self
    }

    /// Sets `keylog_file`.
    pub fn with_keylog_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.keylog_file = Some(path.into());
        self
    }

    /// Whether connections made with these settings count as verified, as urllib3 decides
    /// (`cert_reqs` is `CERT_REQUIRED`, or a fingerprint is pinned). urllib3 warns
    /// `InsecureRequestWarning` on every request over an unverified connection.
    pub fn is_verified(&self) -> bool {
        self.cert_reqs == CertReqs::Required || self.assert_fingerprint.is_some()
    }

    /// The rustls configuration for these settings, shared by every connection made with equal
    /// settings (and unchanged files): built on first use, then taken from a process-wide cache.
    ///
    /// ```
    /// # let server = testserver::TestServer::start_tls();
    /// use std::sync::Arc;
    /// use urllib3::TlsConfig;
    ///
    /// let tls = TlsConfig::new().with_ca_certs(server.ca_file().unwrap());
    /// let first = tls.client_config()?;
    /// let again = tls.clone().client_config()?;
    /// assert!(Arc::ptr_eq(&first, &again));
    /// # Ok::<(), urllib3::Error>(())
    /// ```
    pub fn client_config(&self) -> Result<Arc<ClientConfig>> {
        super::cache::get_or_build(self).map(|built| built.config)
    }

    /// The name sent in SNI and checked by default: `server_hostname`, else `host`; without a
    /// trailing dot, IPv6 brackets or zone, as urllib3 normalizes it.
    pub(super) fn sni_name(&self, host: &str) -> String {
        let name = self.server_hostname.as_deref().unwrap_or(host);
        normalize_name(name)
    }
}

/// Strips what a URL host carries but a certificate name does not: IPv6 brackets and zone id,
/// and the trailing dot of a fully qualified name.
pub(super) fn normalize_name(name: &str) -> String {
    let name = name.trim_end_matches('.');
    let bare = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name);
    match bare.split_once('%') {
        Some((ip, _zone)) if ip.parse::<std::net::Ipv6Addr>().is_ok() => ip.to_owned(),
        _ => bare.to_owned(),
    }
}
