//! HTTPS on rustls: urllib3's TLS options, the shared client configurations built from them,
//! and the handshake.
//!
//! [`TlsConfig`] holds the options as urllib3 takes them (`cert_reqs`, `ca_certs`,
//! `assert_fingerprint`, …) in a plain comparable struct, so that pools compare and share it
//! by value. Turning it into a `rustls::ClientConfig` reads files, parses certificates and, by
//! default, loads the system's trust store: far too slow for every connection. So configurations
//! are built once per distinct setting and kept in a process-wide cache; the modification times
//! of the files the setting names are part of the key, so a CA bundle replaced on disk is read
//! again on the next connection.
//!
//! How urllib3 verifies, and so how this module does:
//! - `cert_reqs` other than `CERT_NONE` verifies the chain against the roots (`ca_certs`,
//!   `ca_cert_dir`, `ca_cert_data`, or else the system store).
//! - `assert_fingerprint` replaces the host name check with a comparison of the leaf
//!   certificate's digest. The chain is still verified unless `cert_reqs` is `CERT_NONE`, as in
//!   urllib3; pin a self-signed certificate with `CERT_NONE` and the fingerprint.
//! - Otherwise the name checked is `assert_hostname`, or `server_hostname`, or the host; and
//!   `assert_hostname=False` checks no name.

mod ciphers;
mod config;
mod keys;
mod peercert;
mod verify;

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use rustls::client::ClientConnection;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore, StreamOwned, SupportedProtocolVersion};

use super::stream::Transport;
use crate::error::{Error, ErrorKind, Result};

pub(crate) use ciphers::openssl_name;
use config::normalize_name;
pub use config::{AssertHostname, CaCertData, CertReqs, TlsConfig, TlsVersion};
pub use peercert::{AltName, DistinguishedName, PeerCertificate};
pub(crate) use verify::verified_chain;

/// A TLS stream as the transport holds it: over a TCP socket, or over the TLS stream to an
/// HTTPS proxy (TLS inside TLS).
pub(crate) type TlsStream = StreamOwned<ClientConnection, Transport>;

/// A client configuration as connections use it: rustls's, and the roots its verifier trusts.
#[derive(Clone, Debug)]
pub(crate) struct Built {
    pub(crate) config: Arc<ClientConfig>,
    /// `None` with `CERT_NONE`.
    pub(crate) roots: Option<Arc<Roots>>,
}

/// Trust anchors with the certificates they came from: webpki keeps only each anchor's name
/// and key, and a verified chain (Python's `get_verified_chain()`) ends with the whole root.
#[derive(Debug)]
pub(crate) struct Roots {
    pub(crate) store: RootCertStore,
    certs: Vec<CertificateDer<'static>>,
}

impl Roots {
    fn new() -> Roots {
        Roots {
            store: RootCertStore::empty(),
            certs: Vec::new(),
        }
    }

    fn add(&mut self, cert: CertificateDer<'static>) -> std::result::Result<(), rustls::Error> {
        self.store.add(cert.clone())?;
        self.certs.push(cert);
        Ok(())
    }

    /// The certificate a trust anchor was made from, if it is known (the webpki-roots fallback
    /// has anchors only).
    pub(crate) fn certificate_of(
        &self,
        anchor: &rustls::pki_types::TrustAnchor<'_>,
    ) -> Option<&CertificateDer<'static>> {
        self.certs.iter().find(|cert| {
            webpki::anchor_from_trusted_cert(cert).is_ok_and(|a| {
                a.subject == anchor.subject
                    && a.subject_public_key_info == anchor.subject_public_key_info
            })
        })
    }
}

/// Builds the rustls configuration for `tls` (the cache calls this on a miss).
fn build(tls: &TlsConfig) -> Result<Built> {
    let versions = versions(tls.ssl_minimum_version, tls.ssl_maximum_version)?;
    let provider = ciphers::provider(tls.ciphers.as_deref(), &versions)?;
    let roots = match tls.cert_reqs {
        CertReqs::None => None,
        CertReqs::Optional | CertReqs::Required => Some(roots(tls)?),
    };
    let fingerprint = tls
        .assert_fingerprint
        .as_deref()
        .map(verify::Fingerprint::parse)
        .transpose()?;
    let name_check = match &tls.assert_hostname {
        AssertHostname::Host => verify::NameCheck::ServerName,
        AssertHostname::Name(name) => verify::NameCheck::Asserted(normalize_name(name)),
        AssertHostname::Skip => verify::NameCheck::Skip,
    };
    let verifier = verify::Verifier::new(roots.clone(), name_check, fingerprint, &provider)
        .with_common_name_fallback(tls.hostname_checks_common_name);
    let builder = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&versions)
        .map_err(|e| ssl_error(format!("[SSL] {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    let mut config = match &tls.cert_file {
        Some(cert_file) => {
            let (chain, key) = keys::client_identity(
                cert_file,
                tls.key_file.as_deref(),
                tls.key_password.as_deref(),
            )?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| ssl_error(verify::describe(&e)).with_source(e))?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = match &tls.alpn_protocols {
        Some(offered) => offered.iter().map(|p| p.as_bytes().to_vec()).collect(),
        None => vec![b"http/1.1".to_vec()],
    };
    if let Some(path) = &tls.keylog_file {
        config.key_log = Arc::new(keylog::KeyLogTo::new(expand_user(path)));
    } else if keylog_path().is_some() {
        // rustls reads SSLKEYLOGFILE itself and appends NSS key log lines, as OpenSSL does.
        config.key_log = Arc::new(rustls::KeyLogFile::new());
    }
    Ok(Built {
        config: Arc::new(config),
        roots,
    })
}

/// The protocol versions between `min` and `max`, newest first. Versions older than TLS 1.2
/// are refused outright: rustls cannot speak them, and quietly negotiating a newer version
/// than asked for would hide that from the caller.
fn versions(
    min: Option<TlsVersion>,
    max: Option<TlsVersion>,
) -> Result<Vec<&'static SupportedProtocolVersion>> {
    for (which, version) in [("ssl_minimum_version", min), ("ssl_maximum_version", max)] {
        if let Some(v) = version {
            if v.supported().is_none() {
                return Err(ssl_error(format!(
                    "{which}={v} is not supported: rustls speaks TLS 1.2 and TLS 1.3 only"
                )));
            }
        }
    }
    let min = min.unwrap_or(TlsVersion::TLSv1_2);
    let max = max.unwrap_or(TlsVersion::TLSv1_3);
    let all = [
        (TlsVersion::TLSv1_3, &rustls::version::TLS13),
        (TlsVersion::TLSv1_2, &rustls::version::TLS12),
    ];
    let effective = |v: TlsVersion| match v {
        TlsVersion::MinimumSupported => TlsVersion::TLSv1_2,
        TlsVersion::MaximumSupported => TlsVersion::TLSv1_3,
        other => other,
    };
    let picked: Vec<_> = all
        .into_iter()
        .filter(|(v, _)| (effective(min)..=effective(max)).contains(v))
        .map(|(_, p)| p)
        .collect();
    if picked.is_empty() {
        return Err(ssl_error(format!(
            "no TLS version between ssl_minimum_version={min} and ssl_maximum_version={max}"
        )));
    }
    Ok(picked)
}

/// The roots to verify against: the caller's CAs, or the system store.
fn roots(tls: &TlsConfig) -> Result<Arc<Roots>> {
    if tls.ca_certs.is_none() && tls.ca_cert_dir.is_none() && tls.ca_cert_data.is_none() {
        return Ok(system_roots());
    }
    let mut store = Roots::new();
    if let Some(path) = &tls.ca_certs {
        let path = expand_user(path);
        let bytes = read_file(&path, "ca_certs")?;
        let certs = keys::certificates(&bytes)
            .map_err(|e| ssl_error(format!("ca_certs {}: {e}", path.display())))?;
        if certs.is_empty() {
            return Err(ssl_error(format!(
                "[X509: NO_CERTIFICATE_OR_CRL_FOUND] no certificate or crl found in ca_certs {}",
                path.display()
            )));
        }
        add_roots(&mut store, certs, "ca_certs")?;
    }
    if let Some(dir) = &tls.ca_cert_dir {
        let dir = expand_user(dir);
        for cert in keys::directory_certificates(&dir)? {
            // Like OpenSSL's lookup by hashed name, a file that is not a certificate is passed
            // over rather than failing every connection.
            let _ = store.add(cert);
        }
    }
    if let Some(data) = &tls.ca_cert_data {
        let certs = match data {
            CaCertData::Pem(text) => keys::certificates(text.as_bytes()),
            CaCertData::Der(bytes) => keys::der_certificates(bytes),
        }
        .map_err(|e| ssl_error(format!("ca_cert_data: {e}")))?;
        add_roots(&mut store, certs, "ca_cert_data")?;
    }
    if store.store.is_empty() {
        return Err(ssl_error(
            "[X509: NO_CERTIFICATE_OR_CRL_FOUND] no certificate or crl found in \
             ca_certs, ca_cert_dir or ca_cert_data",
        ));
    }
    Ok(Arc::new(store))
}

fn add_roots(store: &mut Roots, certs: Vec<CertificateDer<'static>>, source: &str) -> Result<()> {
    for cert in certs {
        store.add(cert).map_err(|e| {
            ssl_error(format!("{source}: invalid CA certificate: {e}")).with_source(e)
        })?;
    }
    Ok(())
}

/// The system's trust store, loaded once per process (it is hundreds of certificates read from
/// disk). When the system has none (a minimal container), the Mozilla roots of `webpki-roots`
/// stand in, so HTTPS to public hosts still works.
fn system_roots() -> Arc<Roots> {
    static ROOTS: OnceLock<Arc<Roots>> = OnceLock::new();
    Arc::clone(ROOTS.get_or_init(|| {
        let loaded = rustls_native_certs::load_native_certs();
        for e in &loaded.errors {
            log::debug!(target: "urllib3.util.ssl_", "Loading the system trust store: {e}");
        }
        Arc::new(roots_or_fallback(loaded.certs))
    }))
}

fn roots_or_fallback(system: Vec<CertificateDer<'static>>) -> Roots {
    let mut store = Roots::new();
    for cert in system {
        // One unparsable certificate in the system store should not cost the others.
        let _ = store.add(cert);
    }
    if store.store.is_empty() {
        log::debug!(
            target: "urllib3.util.ssl_",
            "The system trust store is empty; using the webpki-roots (Mozilla) roots"
        );
        store
            .store
            .extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    store
}

/// `~/` at the start of a path means the home directory, as `os.path.expanduser` has it in
/// urllib3 for `ca_certs` and `ca_cert_dir`.
fn expand_user(path: &Path) -> PathBuf {
    match (path.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => path.to_path_buf(),
    }
}

/// Reads a file named by a TLS option; failure is an `SSLError` in Python's words.
fn read_file(path: &Path, option: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        ssl_error(format!(
            "{option}: {}: '{}'",
            crate::connection::os_error_text(&e),
            path.display()
        ))
        .with_source(e)
    })
}

/// Where rustls will write TLS secrets, if anywhere (Python honours an empty value as unset).
fn keylog_path() -> Option<OsString> {
    std::env::var_os("SSLKEYLOGFILE").filter(|p| !p.is_empty())
}

pub(crate) fn ssl_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Ssl, message)
}

/// TLS secrets appended to a file the caller named (Python's `keylog_filename`).
mod keylog {
    use std::fs::OpenOptions;
    use std::io::Write;
    use std::path::PathBuf;
    use std::sync::Mutex;

    /// What OpenSSL (hence Python's ssl module) writes first into a key log file it creates;
    /// tools and tests look for it.
    const HEADER: &[u8] = b"# TLS secrets log file, generated by OpenSSL / Python\n";

    pub(super) struct KeyLogTo {
        path: PathBuf,
        // One handshake's lines at a time, so concurrent connections do not interleave.
        lock: Mutex<()>,
    }

    impl KeyLogTo {
        pub(super) fn new(path: PathBuf) -> Self {
            KeyLogTo {
                path,
                lock: Mutex::new(()),
            }
        }

        fn append(&self, line: &[u8]) -> std::io::Result<()> {
            let _one_at_a_time = self.lock.lock().unwrap_or_else(|e| e.into_inner());
            let mut file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
            if file.metadata()?.len() == 0 {
                file.write_all(HEADER)?;
            }
            file.write_all(line)
        }
    }

    impl std::fmt::Debug for KeyLogTo {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("KeyLogTo")
                .field("path", &self.path)
                .finish()
        }
    }

    impl rustls::KeyLog for KeyLogTo {
        fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
            let mut line = format!("{label} ");
            for byte in client_random {
                line.push_str(&format!("{byte:02x}"));
            }
            line.push(' ');
            for byte in secret {
                line.push_str(&format!("{byte:02x}"));
            }
            line.push('\n');
            // A key log is a debugging aid: failing to write it must not fail the connection.
            let _ = self.append(line.as_bytes());
        }
    }
}

/// The process-wide cache of rustls configurations.
mod cache {
    use super::*;

    /// Enough for every distinct setting a program plausibly uses; past it the least recently
    /// used goes, so settings that churn (a CA file rewritten in a loop) cannot grow it.
    const CAPACITY: usize = 64;

    /// What makes two configurations the same: the settings, the modification times of the
    /// files they name, and the key log destination (read from the environment).
    #[derive(PartialEq)]
    struct Key {
        settings: TlsConfig,
        stamps: [Option<SystemTime>; 4],
        keylog: Option<OsString>,
    }

    impl Key {
        fn of(tls: &TlsConfig) -> Key {
            let stamp = |path: &Option<PathBuf>| {
                path.as_deref()
                    .and_then(|p| std::fs::metadata(expand_user(p)).ok())
                    .and_then(|m| m.modified().ok())
            };
            Key {
                settings: tls.clone(),
                stamps: [
                    stamp(&tls.ca_certs),
                    stamp(&tls.ca_cert_dir),
                    stamp(&tls.cert_file),
                    stamp(&tls.key_file),
                ],
                keylog: keylog_path(),
            }
        }
    }

    /// Least recently used first.
    static CACHE: Mutex<Vec<(Key, Built)>> = Mutex::new(Vec::new());

    fn lookup(entries: &mut Vec<(Key, Built)>, key: &Key) -> Option<Built> {
        let i = entries.iter().position(|(k, _)| k == key)?;
        let entry = entries.remove(i);
        let built = entry.1.clone();
        entries.push(entry);
        Some(built)
    }

    pub(crate) fn get_or_build(tls: &TlsConfig) -> Result<Built> {
        let key = Key::of(tls);
        // The cache is a plain list updated in single steps: a poisoned lock leaves it whole.
        let lock = || CACHE.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(config) = lookup(&mut lock(), &key) {
            return Ok(config);
        }
        // Built outside the lock: loading roots and keys takes milliseconds, and other
        // settings' connections should not wait for it. Errors are not cached, so a fixed file
        // is picked up on the next try.
        let built = build(tls)?;
        log::debug!(target: "urllib3.util.ssl_", "Built a TLS client configuration: {tls:?}");
        let mut entries = lock();
        // Another thread may have built the same configuration meanwhile; keep one.
        if let Some(config) = lookup(&mut entries, &key) {
            return Ok(config);
        }
        entries.push((key, built.clone()));
        if entries.len() > CAPACITY {
            entries.remove(0);
        }
        Ok(built)
    }
}

/// Wraps a connected transport (a socket, or a tunnel through a proxy) in TLS and completes
/// the handshake within `timeout` (urllib3 gives the handshake the connect timeout).
pub(crate) fn handshake(
    mut transport: Transport,
    host: &str,
    tls: &TlsConfig,
    timeout: Option<Duration>,
) -> Result<(Box<TlsStream>, Built)> {
    let built = cache::get_or_build(tls)?;
    let name = tls.sni_name(host);
    let server_name = ServerName::try_from(name.clone())
        .map_err(|e| ssl_error(format!("invalid server hostname {name:?}: {e}")))?;
    let mut conn = ClientConnection::new(Arc::clone(&built.config), server_name)
        .map_err(|e| ssl_error(verify::describe(&e)).with_source(e))?;
    set_timeouts(&transport, super::wait::os_timeout(timeout))?;
    // One budget for the whole handshake, however many reads and writes it takes.
    let deadline = timeout.map(|t| std::time::Instant::now() + t);
    while conn.is_handshaking() {
        let step = super::wait::blocking_until(deadline, || conn.complete_io(&mut transport));
        if let Err(e) = step {
            return Err(handshake_error(e, timeout));
        }
    }
    // Reads and writes set their own timeouts from here; start from none, which is what the
    // connection's read buffer assumes.
    set_timeouts(&transport, None)?;
    Ok((Box::new(StreamOwned::new(conn, transport)), built))
}

/// Sets the read and write timeouts of the socket under `transport`.
pub(crate) fn set_timeouts(transport: &Transport, timeout: Option<Duration>) -> Result<()> {
    match transport.tcp() {
        Some(tcp) => tcp
            .set_read_timeout(timeout)
            .and_then(|()| tcp.set_write_timeout(timeout))
            .map_err(Error::connection_aborted),
        None => Ok(()),
    }
}

/// Sorts a failed handshake into urllib3's classes: TLS failures are `SSLError`s saying why, a
/// timeout is a `ReadTimeoutError` (urllib3's `_raise_timeout` on the handshake), and a reset
/// is a `ProtocolError`.
fn handshake_error(e: io::Error, timeout: Option<Duration>) -> Error {
    if let Some(err) = io_error(&e) {
        return err.with_source(e);
    }
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            Error::read_timeout(timeout).with_source(e)
        }
        io::ErrorKind::UnexpectedEof => ssl_error(
            "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol \
             (the server closed the connection during the TLS handshake)",
        )
        .with_source(e),
        _ => Error::connection_aborted(e),
    }
}

/// The `SSLError` for an I/O error that carries a TLS failure (an alert from the server, a
/// corrupt record), if it is one.
pub(crate) fn io_error(e: &io::Error) -> Option<Error> {
    let tls = e.get_ref()?.downcast_ref::<rustls::Error>()?;
    let err = ssl_error(verify::describe(tls));
    Some(match tls {
        rustls::Error::InvalidCertificate(_) => err.with_certificate_failure(),
        _ => err,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cert_reqs_accepts_urllib3_spellings() {
        for (text, want) in [
            ("CERT_REQUIRED", CertReqs::Required),
            ("REQUIRED", CertReqs::Required),
            ("cert_none", CertReqs::None),
            ("NONE", CertReqs::None),
            ("CERT_OPTIONAL", CertReqs::Optional),
        ] {
            assert_eq!(text.parse::<CertReqs>().unwrap(), want, "{text}");
        }
        assert!("CERT_MAYBE".parse::<CertReqs>().is_err());
        assert_eq!(CertReqs::from_int(0).unwrap(), CertReqs::None);
        assert!(CertReqs::from_int(3).is_err());
    }

    #[test]
    fn versions_map_to_rustls_and_refuse_old_ones() {
        let names =
            |min, max| versions(min, max).map(|v| v.iter().map(|p| p.version).collect::<Vec<_>>());
        use rustls::ProtocolVersion::{TLSv1_2, TLSv1_3};
        assert_eq!(names(None, None).unwrap(), [TLSv1_3, TLSv1_2]);
        assert_eq!(names(Some(TlsVersion::TLSv1_3), None).unwrap(), [TLSv1_3]);
        assert_eq!(names(None, Some(TlsVersion::TLSv1_2)).unwrap(), [TLSv1_2]);
        assert_eq!(
            names(
                Some(TlsVersion::MinimumSupported),
                Some(TlsVersion::MaximumSupported)
            )
            .unwrap(),
            [TLSv1_3, TLSv1_2]
        );
        let err = names(Some(TlsVersion::TLSv1), None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Ssl);
        assert!(err
            .message()
            .contains("ssl_minimum_version=TLSv1 is not supported"));
        let err = names(Some(TlsVersion::TLSv1_3), Some(TlsVersion::TLSv1_2)).unwrap_err();
        assert!(err.message().starts_with("no TLS version between"), "{err}");
        assert_eq!(
            "tlsv1.3".parse::<TlsVersion>().unwrap(),
            TlsVersion::TLSv1_3
        );
        assert_eq!(
            "TLSVersion.TLSv1_1".parse::<TlsVersion>().unwrap(),
            TlsVersion::TLSv1_1
        );
        assert_eq!(
            TlsVersion::from_int(-2).unwrap(),
            TlsVersion::MinimumSupported
        );
    }

    #[test]
    fn names_lose_brackets_zones_and_trailing_dots() {
        assert_eq!(normalize_name("example.com."), "example.com");
        assert_eq!(normalize_name("[::1]"), "::1");
        assert_eq!(normalize_name("fe80::1%eth0"), "fe80::1");
        assert_eq!(normalize_name("[fe80::1%25eth0]"), "fe80::1");
        assert_eq!(normalize_name("127.0.0.1"), "127.0.0.1");
    }

    #[test]
    fn an_empty_system_store_falls_back_to_webpki_roots() {
        let store = roots_or_fallback(Vec::new());
        assert_eq!(store.store.len(), webpki_roots::TLS_SERVER_ROOTS.len());
    }

    #[test]
    fn debug_hides_the_key_password() {
        let tls = TlsConfig {
            key_password: Some("hunter2".to_owned()),
            ..TlsConfig::default()
        };
        let shown = format!("{tls:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<hidden>"));
    }
}
