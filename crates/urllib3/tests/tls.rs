//! HTTPS against the test server's certificate profiles: every TLS option urllib3 has, each bad
//! certificate rejected by default and accepted only with the override made for it, error
//! messages, retries, and the sharing of rustls configurations.
//!
//! A few tests need their own process (environment variables, a global logger); they re-run
//! this test binary on themselves with a marker variable set (see `in_child`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use testserver::{
    CertProfile, ClientKeyFormat, FingerprintHash, Options, ServerTlsVersions, TestServer,
};
use urllib3::{
    AssertHostname, CaCertData, CertReqs, Connection, ConnectionPool, Error, ErrorKind, PoolConfig,
    PoolManager, RequestMethods, RequestOptions, Response, Retry, Scheme, Timeout, TlsConfig,
    TlsVersion,
};

const SAFETY: Duration = Duration::from_secs(10);

/// An HTTPS pool for `host` on the server's port, failing fast (no retries).
fn pool(server: &TestServer, host: &str, tls: TlsConfig) -> ConnectionPool {
    let config = PoolConfig {
        tls,
        retries: Retry::from_total(0),
        timeout: Timeout::new().with_connect(SAFETY).with_read(SAFETY),
        ..PoolConfig::default()
    };
    ConnectionPool::with_scheme(Scheme::Https, host, server.port(), config)
}

fn get(server: &TestServer, host: &str, tls: TlsConfig) -> urllib3::Result<Response> {
    get_path(server, host, tls, "/get")
}

fn get_path(
    server: &TestServer,
    host: &str,
    tls: TlsConfig,
    path: &str,
) -> urllib3::Result<Response> {
    pool(server, host, tls).urlopen("GET", path, RequestOptions::new())
}

fn ok(server: &TestServer, host: &str, tls: TlsConfig) {
    match get(server, host, tls) {
        Ok(r) => assert_eq!(r.status(), 200),
        Err(e) => panic!("expected success, got {e}: {:?}", e.reason()),
    }
}

/// The `SSLError` inside the `MaxRetryError` a failed request gives; returns its message.
fn ssl_failure(result: urllib3::Result<Response>) -> String {
    let err = match result {
        Ok(r) => panic!("expected an SSLError, got {}", r.status()),
        Err(e) => e,
    };
    assert_eq!(err.kind(), ErrorKind::MaxRetry, "{err}");
    let reason = err.reason().expect("MaxRetryError has a reason");
    assert_eq!(reason.kind(), ErrorKind::Ssl, "{reason}");
    reason.message().to_owned()
}

fn rejected(server: &TestServer, host: &str, tls: TlsConfig, why: &str) -> String {
    let message = ssl_failure(get(server, host, tls));
    assert!(
        message.contains(why),
        "expected {why:?} in the SSLError, got {message:?}"
    );
    message
}

fn trusting(server: &TestServer) -> TlsConfig {
    TlsConfig::new().with_ca_certs(server.ca_file().expect("a TLS server"))
}

fn json(mut r: Response) -> Value {
    serde_json::from_slice(r.data().expect("a body")).expect("JSON")
}

fn start(profile: CertProfile, versions: ServerTlsVersions) -> TestServer {
    TestServer::start_with(Options {
        tls: Some(profile),
        tls_versions: versions,
        ..Options::default()
    })
    .expect("start the TLS test server")
}

const VERIFY_FAILED: &str = "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed";

// --- Pools, the manager, the defaults ---------------------------------------------------------

#[test]
fn an_https_pool_verifies_against_ca_certs() {
    let server = TestServer::start_tls();
    let pool = pool(&server, "localhost", trusting(&server));
    assert_eq!(
        pool.to_string(),
        format!(
            "HTTPSConnectionPool(host='localhost', port={})",
            server.port()
        )
    );
    let body = json(pool.urlopen("GET", "/get", RequestOptions::new()).unwrap());
    assert_eq!(
        body["url"],
        format!("https://localhost:{}/get", server.port())
    );
    let conn = pool.get_conn(None).unwrap().expect("the idle connection");
    assert!(conn.is_tls() && conn.is_verified());
    assert_eq!(conn.alpn_protocol(), Some("http/1.1"));
    assert_eq!(conn.tls_version(), Some("TLSv1.3"));
    assert_eq!(conn.peer_certificate(), server.cert_der());
}

#[test]
fn the_pool_manager_makes_https_pools_from_urls() {
    let server = TestServer::start_tls();
    let http = PoolManager::with_config(
        10,
        PoolConfig {
            tls: trusting(&server),
            ..PoolConfig::default()
        },
    );
    let url = format!("https://localhost:{}/get?a=1", server.port());
    let body = json(http.request("GET", &url).unwrap());
    assert_eq!(body["args"]["a"], "1");
    let pool = http.connection_from_url(&url, None).unwrap();
    assert_eq!(pool.scheme(), Scheme::Https);
    assert!(pool.to_string().starts_with("HTTPSConnectionPool("));
    // Default port and scheme parsing.
    let default = http
        .connection_from_host("example.com", None, Some("HTTPS"), None)
        .unwrap();
    assert_eq!(default.port(), 443);
}

#[test]
fn keep_alive_reuses_a_tls_connection() {
    let server = TestServer::start_tls();
    let pool = pool(&server, "localhost", trusting(&server));
    for _ in 0..5 {
        let mut r = pool
            .urlopen("GET", "/small", RequestOptions::new())
            .unwrap();
        assert_eq!(r.data().unwrap(), b"Hello, world!");
    }
    assert_eq!(pool.num_connections(), 1);
    assert_eq!(server.stats().connections_accepted, 1);
    // `Connection: close` from the server: the connection is not reused.
    pool.urlopen("GET", "/small?close=1", RequestOptions::new())
        .unwrap();
    pool.urlopen("GET", "/small", RequestOptions::new())
        .unwrap();
    assert_eq!(pool.num_connections(), 2);
}

#[test]
fn an_idle_tls_connection_is_alive_until_the_server_closes_it() {
    let server = TestServer::start_tls();
    let conn = connect(&server, &trusting(&server)).unwrap();
    let host = format!("localhost:{}", server.port());
    let headers = urllib3::HeaderMap::new();
    let timeout = Timeout::new().with_read(SAFETY);
    let r = conn
        .request(
            "GET",
            "/small",
            &host,
            &headers,
            urllib3::Body::Empty,
            &timeout,
        )
        .unwrap();
    let conn = r.into_connection().unwrap().expect("keep-alive");
    // TLS 1.3 session tickets came before the response and were read with it: nothing is
    // left that would make the idle connection look dropped.
    assert!(!conn.is_dropped());
    let r = conn
        .request(
            "GET",
            "/small",
            &host,
            &headers,
            urllib3::Body::Empty,
            &timeout,
        )
        .unwrap();
    let conn = r.into_connection().unwrap().expect("keep-alive");
    drop(server);
    let mut dropped = conn.is_dropped();
    for _ in 0..1000 {
        // The close may still be in flight; the probe is cheap, so ask until it lands.
        if dropped {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
        dropped = conn.is_dropped();
    }
    assert!(dropped);
}

#[test]
fn large_bodies_stream_both_ways_over_tls() {
    let server = TestServer::start_tls();
    let pool = pool(&server, "localhost", trusting(&server));
    let mut r = pool
        .urlopen("GET", "/bytes/3000000", RequestOptions::new())
        .unwrap();
    assert_eq!(r.data().unwrap().len(), 3_000_000);
    let upload = vec![7u8; 2_500_000];
    let body = json(
        pool.urlopen("POST", "/upload", RequestOptions::new().body(upload))
            .unwrap(),
    );
    assert_eq!(body["received"], 2_500_000);
    // A body that ends when the server closes the connection.
    let mut r = pool
        .urlopen("GET", "/fault/close-delimited", RequestOptions::new())
        .unwrap();
    assert_eq!(r.data().unwrap(), b"close delimited body");
}

#[test]
fn certificate_failures_are_told_apart_from_other_tls_failures() {
    let server = TestServer::start_tls();
    let reason_of = |tls: TlsConfig| {
        let err = get(&server, "localhost", tls).unwrap_err();
        err.reason().map(urllib3::Error::is_certificate_failure)
    };
    // Python raises the first as ssl.SSLCertVerificationError, the second as a plain SSLError.
    assert_eq!(reason_of(TlsConfig::new()), Some(true));
    assert_eq!(
        reason_of(TlsConfig::new().with_ca_certs("/nonexistent/ca.pem")),
        Some(false)
    );
}

#[test]
fn the_system_store_is_the_default_and_does_not_know_the_test_ca() {
    let server = TestServer::start_tls();
    // The server sends its (self-signed) root along, which OpenSSL words this way.
    let message = rejected(&server, "localhost", TlsConfig::new(), VERIFY_FAILED);
    assert!(
        message.contains("self-signed certificate in certificate chain"),
        "{message}"
    );
}

#[test]
fn cert_reqs_none_accepts_every_bad_certificate_unverified() {
    for profile in [
        CertProfile::Expired,
        CertProfile::WrongHost,
        CertProfile::SelfSigned,
        CertProfile::NoSan,
        CertProfile::IpOnly,
        CertProfile::Default,
    ] {
        let server = TestServer::start_tls_with(profile);
        for spelling in ["CERT_NONE", "NONE"] {
            let tls = TlsConfig::new().with_cert_reqs(spelling.parse().unwrap());
            ok(&server, "localhost", tls);
        }
        let tls = TlsConfig::new().with_cert_reqs(CertReqs::from_int(0).unwrap());
        let pool = pool(&server, "localhost", tls.clone());
        pool.urlopen("GET", "/get", RequestOptions::new()).unwrap();
        let conn = pool.get_conn(None).unwrap().unwrap();
        assert!(!conn.is_verified(), "{profile:?}");
        assert!(!tls.is_verified());
    }
    assert!(TlsConfig::new().is_verified());
    // CERT_REQUIRED by every spelling is the default behaviour.
    let server = TestServer::start_tls_with(CertProfile::Expired);
    for spelling in ["CERT_REQUIRED", "REQUIRED"] {
        let tls = trusting(&server).with_cert_reqs(spelling.parse().unwrap());
        rejected(&server, "localhost", tls, "certificate has expired");
    }
    let tls = trusting(&server).with_cert_reqs(CertReqs::from_int(2).unwrap());
    rejected(&server, "localhost", tls, "certificate has expired");
}

// --- Each bad certificate: rejected by default, accepted with its override ---------------------

#[test]
fn an_expired_certificate_is_rejected_until_verification_is_off() {
    let server = TestServer::start_tls_with(CertProfile::Expired);
    let message = rejected(&server, "localhost", trusting(&server), VERIFY_FAILED);
    assert!(
        message.contains("certificate has expired (valid until 2000-12-31"),
        "{message}"
    );
    ok(
        &server,
        "localhost",
        trusting(&server).with_cert_reqs(CertReqs::None),
    );
}

#[test]
fn a_wrong_host_is_rejected_until_the_name_is_asserted_or_skipped() {
    let server = TestServer::start_tls_with(CertProfile::WrongHost);
    let message = rejected(
        &server,
        "localhost",
        trusting(&server),
        "Hostname mismatch, certificate is not valid for 'localhost'.",
    );
    assert!(message.contains("'wrong.host.invalid'"), "{message}");
    // assert_hostname: the name to check instead (urllib3's own wording when it fails).
    ok(
        &server,
        "localhost",
        trusting(&server)
            .with_assert_hostname(AssertHostname::Name("wrong.host.invalid".to_owned())),
    );
    rejected(
        &server,
        "localhost",
        trusting(&server).with_assert_hostname(AssertHostname::Name("other.invalid".to_owned())),
        "hostname 'other.invalid' doesn't match 'wrong.host.invalid'",
    );
    // assert_hostname=False: no name check, the chain still counts.
    ok(
        &server,
        "localhost",
        trusting(&server).with_assert_hostname(AssertHostname::Skip),
    );
    let other_ca = TestServer::start_tls();
    rejected(
        &server,
        "localhost",
        trusting(&other_ca).with_assert_hostname(AssertHostname::Skip),
        VERIFY_FAILED,
    );
    // server_hostname: the SNI name and the name checked.
    ok(
        &server,
        "127.0.0.1",
        trusting(&server).with_server_hostname("wrong.host.invalid"),
    );
}

#[test]
fn server_hostname_is_sent_as_sni_and_ips_send_none() {
    let server = TestServer::start_tls();
    let sni = |host: &str, tls: TlsConfig| {
        json(get_path(&server, host, tls, "/sni").unwrap())["sni"].clone()
    };
    assert_eq!(sni("localhost", trusting(&server)), "localhost");
    assert_eq!(sni("127.0.0.1", trusting(&server)), Value::Null);
    assert_eq!(
        sni(
            "127.0.0.1",
            trusting(&server).with_server_hostname("localhost")
        ),
        "localhost"
    );
    // A fully qualified name loses its trailing dot, as urllib3 strips it.
    assert_eq!(
        sni(
            "127.0.0.1",
            trusting(&server).with_server_hostname("localhost.")
        ),
        "localhost"
    );
}

#[test]
fn a_self_signed_certificate_is_rejected_until_trusted_or_pinned() {
    let server = TestServer::start_tls_with(CertProfile::SelfSigned);
    let message = rejected(&server, "localhost", trusting(&server), VERIFY_FAILED);
    assert!(message.contains("self-signed certificate"), "{message}");
    // Trusting the certificate itself.
    let own = CaCertData::Der(server.cert_der().unwrap().to_vec());
    ok(
        &server,
        "localhost",
        TlsConfig::new().with_ca_cert_data(own),
    );
    // Pinning it: the fingerprint replaces the name check, and with CERT_NONE the chain check.
    let pin = server.cert_fingerprint(FingerprintHash::Sha256).unwrap();
    let pinned = TlsConfig::new()
        .with_cert_reqs(CertReqs::None)
        .with_assert_fingerprint(&pin);
    assert!(
        pinned.is_verified(),
        "a pinned connection counts as verified"
    );
    ok(&server, "localhost", pinned);
    // As in urllib3, a pin does not switch the chain check off by itself.
    let pinned_only = TlsConfig::new().with_assert_fingerprint(&pin);
    rejected(&server, "localhost", pinned_only, "self-signed certificate");
}

#[test]
fn ip_addresses_in_subject_alt_name_are_matched() {
    let server = TestServer::start_tls_with(CertProfile::IpOnly);
    ok(&server, "127.0.0.1", trusting(&server));
    rejected(
        &server,
        "localhost",
        trusting(&server),
        "Hostname mismatch, certificate is not valid for 'localhost'. (it is for '127.0.0.1', '::1')",
    );
    ok(
        &server,
        "localhost",
        trusting(&server).with_assert_hostname(AssertHostname::Name("127.0.0.1".to_owned())),
    );
    // The default certificate names 127.0.0.1 too; another address is an IP mismatch.
    let default = TestServer::start_tls();
    rejected(
        &default,
        "127.0.0.1",
        trusting(&default).with_server_hostname("127.0.0.2"),
        "IP address mismatch, certificate is not valid for '127.0.0.2'.",
    );
}

#[test]
fn a_common_name_without_subject_alt_name_is_not_enough() {
    let server = TestServer::start_tls_with(CertProfile::NoSan);
    rejected(
        &server,
        "localhost",
        trusting(&server),
        "Hostname mismatch, certificate is not valid for 'localhost'. (it has no subjectAltName)",
    );
    rejected(
        &server,
        "localhost",
        trusting(&server).with_assert_hostname(AssertHostname::Name("localhost".to_owned())),
        "no appropriate subjectAltName fields were found",
    );
    ok(
        &server,
        "localhost",
        trusting(&server).with_assert_hostname(AssertHostname::Skip),
    );
}

#[test]
fn hostname_checks_common_name_lets_a_dns_name_match_the_common_name() {
    let server = TestServer::start_tls_with(CertProfile::NoSan);
    let by_common_name = |tls: TlsConfig| TlsConfig {
        hostname_checks_common_name: true,
        ..tls
    };
    ok(&server, "localhost", by_common_name(trusting(&server)));
    ok(
        &server,
        "localhost",
        by_common_name(
            trusting(&server).with_assert_hostname(AssertHostname::Name("localhost".to_owned())),
        ),
    );
    // An IP address never matches a commonName, as in OpenSSL.
    rejected(
        &server,
        "127.0.0.1",
        by_common_name(trusting(&server).with_server_hostname("127.0.0.1")),
        "certificate is not valid for '127.0.0.1'",
    );
}

#[test]
fn an_intermediate_chain_verifies_against_the_root() {
    let server = TestServer::start_tls_with(CertProfile::Intermediate);
    ok(&server, "localhost", trusting(&server));
    rejected(
        &server,
        "localhost",
        TlsConfig::new(),
        "unable to get local issuer certificate",
    );
}

// --- Roots: ca_certs, ca_cert_dir, ca_cert_data ------------------------------------------------

/// A fresh temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "urllib3-tls-test-{tag}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn ca_cert_dir_reads_plain_and_hashed_names() {
    let server = TestServer::start_tls();
    let pem = server.ca_pem().unwrap();
    // c_rehash's layout: `<subject hash>.0` names, here as a symlink to the real file.
    let hashed = TempDir::new("hashed");
    std::fs::write(hashed.path().join("ca-bundle.crt"), pem).unwrap();
    std::os::unix::fs::symlink(
        hashed.path().join("ca-bundle.crt"),
        hashed.path().join("81deb5f7.0"),
    )
    .unwrap();
    std::fs::write(hashed.path().join("README"), "not a certificate").unwrap();
    ok(
        &server,
        "localhost",
        TlsConfig::new().with_ca_cert_dir(hashed.path()),
    );

    let only_hashed = TempDir::new("only-hashed");
    std::fs::write(only_hashed.path().join("5ad8a5d6.0"), pem).unwrap();
    ok(
        &server,
        "localhost",
        TlsConfig::new().with_ca_cert_dir(only_hashed.path()),
    );

    let empty = TempDir::new("empty");
    rejected(
        &server,
        "localhost",
        TlsConfig::new().with_ca_cert_dir(empty.path()),
        "no certificate or crl found",
    );
    rejected(
        &server,
        "localhost",
        TlsConfig::new().with_ca_cert_dir(empty.path().join("missing")),
        "[Errno 2]",
    );
}

#[test]
fn ca_cert_data_takes_pem_text_and_der_bytes() {
    let server = TestServer::start_tls();
    let other = TestServer::start_tls();
    let pem = server.ca_pem().unwrap().to_owned();
    ok(
        &server,
        "localhost",
        TlsConfig::new().with_ca_cert_data(CaCertData::Pem(pem.clone())),
    );
    // Several certificates in one value, in both encodings.
    let both_pem = format!("{}{pem}", other.ca_pem().unwrap());
    ok(
        &server,
        "localhost",
        TlsConfig::new().with_ca_cert_data(CaCertData::Pem(both_pem)),
    );
    let der = server.ca_der().unwrap().to_vec();
    ok(
        &server,
        "localhost",
        TlsConfig::new().with_ca_cert_data(CaCertData::Der(der.clone())),
    );
    let both_der = [other.ca_der().unwrap(), &der[..]].concat();
    ok(
        &server,
        "localhost",
        TlsConfig::new().with_ca_cert_data(CaCertData::Der(both_der)),
    );
    // Another CA alone is not trusted.
    let wrong = CaCertData::Der(other.ca_der().unwrap().to_vec());
    rejected(
        &server,
        "localhost",
        TlsConfig::new().with_ca_cert_data(wrong),
        VERIFY_FAILED,
    );
    rejected(
        &server,
        "localhost",
        TlsConfig::new().with_ca_cert_data(CaCertData::Pem("no PEM here".to_owned())),
        "no certificate or crl found",
    );
}

#[test]
fn a_missing_or_empty_ca_certs_file_is_a_clear_ssl_error() {
    let server = TestServer::start_tls();
    let dir = TempDir::new("ca-certs");
    let missing = dir.path().join("missing.pem");
    let message = rejected(
        &server,
        "localhost",
        TlsConfig::new().with_ca_certs(&missing),
        "No such file or directory",
    );
    assert!(message.contains("[Errno 2]"), "{message}");
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    rejected(
        &server,
        "localhost",
        TlsConfig::new().with_ca_certs(&empty),
        "[X509: NO_CERTIFICATE_OR_CRL_FOUND]",
    );
}

// --- Client certificates ---------------------------------------------------------------------

fn with_client(server: &TestServer, format: ClientKeyFormat) -> TlsConfig {
    let client = server.client_cert(format).unwrap();
    trusting(server).with_client_cert(
        client.cert_file,
        client.key_file,
        client.password.map(str::to_owned),
    )
}

#[test]
fn client_certificates_load_in_every_key_format() {
    let server = TestServer::start_tls_with(CertProfile::ClientCertRequired);
    for format in ClientKeyFormat::ALL {
        let client = server.client_cert(format).unwrap();
        let tls = with_client(&server, format);
        let subject = json(
            get_path(&server, "localhost", tls, "/certificate")
                .unwrap_or_else(|e| panic!("{format:?}: {e}: {:?}", e.reason())),
        );
        assert_eq!(subject["commonName"], client.common_name, "{format:?}");
        assert_eq!(subject["organizationalUnitName"], "Testing cert");
    }
}

#[test]
fn an_encrypted_key_needs_its_password() {
    let server = TestServer::start_tls_with(CertProfile::ClientCertRequired);
    for format in [
        ClientKeyFormat::EncryptedPkcs8,
        ClientKeyFormat::LegacyAes128,
        ClientKeyFormat::LegacyAes256,
        ClientKeyFormat::LegacyDes3,
    ] {
        let client = server.client_cert(format).unwrap();
        let without =
            trusting(&server).with_client_cert(&client.cert_file, client.key_file.clone(), None);
        let message = ssl_failure(get(&server, "localhost", without));
        assert!(
            message.ends_with("Client private key is encrypted, password is required"),
            "{format:?}: {message}"
        );
        let wrong = trusting(&server).with_client_cert(
            &client.cert_file,
            client.key_file.clone(),
            Some("not the password".to_owned()),
        );
        let message = ssl_failure(get(&server, "localhost", wrong));
        assert!(
            message.contains("[SSL: BAD_DECRYPT] bad decrypt"),
            "{format:?}: {message}"
        );
    }
}

#[test]
fn a_key_that_does_not_match_the_certificate_is_refused() {
    let server = TestServer::start_tls_with(CertProfile::ClientCertRequired);
    let ec = server.client_cert(ClientKeyFormat::Pkcs8).unwrap();
    let rsa = server.client_cert(ClientKeyFormat::Pkcs1).unwrap();
    let mismatched = trusting(&server).with_client_cert(&ec.cert_file, rsa.key_file, None);
    rejected(
        &server,
        "localhost",
        mismatched,
        "[X509: KEY_VALUES_MISMATCH]",
    );
}

#[test]
fn a_server_that_requires_a_client_certificate_refuses_none() {
    // TLS 1.2: the server decides during the handshake, so the failure is certain to be an
    // SSLError from the handshake.
    let server = start(
        CertProfile::ClientCertRequired,
        ServerTlsVersions::Tls12Only,
    );
    rejected(&server, "localhost", trusting(&server), "alert");
    ok(
        &server,
        "localhost",
        with_client(&server, ClientKeyFormat::Pkcs8),
    );
    // TLS 1.3: the client's handshake is over before the server reads its (missing)
    // certificate; the server's alert arrives with, or instead of, the response.
    let server = TestServer::start_tls_with(CertProfile::ClientCertRequired);
    let err = get(&server, "localhost", trusting(&server)).unwrap_err();
    let reason = err.reason().map(Error::kind);
    assert!(
        matches!(reason, Some(ErrorKind::Ssl | ErrorKind::Protocol)),
        "{err}"
    );
    if reason == Some(ErrorKind::Ssl) {
        let message = err.reason().unwrap().message().to_owned();
        assert!(
            message.contains("tlsv13 alert certificate required"),
            "{message}"
        );
    }
}

// --- Fingerprints ----------------------------------------------------------------------------

#[test]
fn fingerprints_pin_in_every_hash_and_spelling() {
    // A certificate for another name: the pin replaces the name check, as in urllib3.
    let server = TestServer::start_tls_with(CertProfile::WrongHost);
    for hash in [
        FingerprintHash::Md5,
        FingerprintHash::Sha1,
        FingerprintHash::Sha256,
    ] {
        let colons = server.cert_fingerprint(hash).unwrap();
        let bare = colons.replace(':', "");
        for spelling in [
            colons.clone(),
            colons.to_lowercase(),
            bare.clone(),
            bare.to_lowercase(),
        ] {
            ok(
                &server,
                "localhost",
                trusting(&server).with_assert_fingerprint(spelling),
            );
        }
    }
}

#[test]
fn a_wrong_fingerprint_says_what_it_expected_and_got() {
    let server = TestServer::start_tls();
    let sha1 = server
        .cert_fingerprint(FingerprintHash::Sha1)
        .unwrap()
        .replace(':', "")
        .to_lowercase();
    let wrong = "AA:".repeat(19) + "AA";
    let message = ssl_failure(get(
        &server,
        "localhost",
        trusting(&server).with_assert_fingerprint(wrong),
    ));
    assert_eq!(
        message,
        format!(
            "Fingerprints did not match. Expected \"{}\", got \"{sha1}\"",
            "aa".repeat(20)
        )
    );
    for bad in ["AA:A", "AA"] {
        let message = ssl_failure(get(
            &server,
            "localhost",
            trusting(&server).with_assert_fingerprint(bad),
        ));
        assert!(
            message.starts_with("Fingerprint of invalid length:"),
            "{message}"
        );
    }
    // With CERT_NONE a wrong pin still fails.
    let tls = TlsConfig::new()
        .with_cert_reqs(CertReqs::None)
        .with_assert_fingerprint("AA".repeat(32));
    rejected(&server, "127.0.0.1", tls, "Fingerprints did not match.");
}

// --- Versions, ciphers, ALPN -----------------------------------------------------------------

fn connect(server: &TestServer, tls: &TlsConfig) -> urllib3::Result<Connection> {
    Connection::open_tls(
        "localhost",
        server.port(),
        &Timeout::new().with_connect(SAFETY),
        &Default::default(),
        tls,
    )
}

#[test]
fn minimum_and_maximum_versions_pick_the_protocol() {
    let server = TestServer::start_tls();
    let version = |min, max| {
        let conn = connect(&server, &trusting(&server).with_versions(min, max)).unwrap();
        conn.tls_version().unwrap()
    };
    assert_eq!(version(None, None), "TLSv1.3");
    assert_eq!(version(None, Some(TlsVersion::TLSv1_2)), "TLSv1.2");
    assert_eq!(
        version(Some(TlsVersion::TLSv1_2), Some(TlsVersion::TLSv1_2)),
        "TLSv1.2"
    );
    assert_eq!(version(Some(TlsVersion::TLSv1_3), None), "TLSv1.3");
    assert_eq!(
        version(
            Some(TlsVersion::MinimumSupported),
            Some(TlsVersion::MaximumSupported)
        ),
        "TLSv1.3"
    );

    let tls12 = start(CertProfile::Default, ServerTlsVersions::Tls12Only);
    let message = rejected(
        &tls12,
        "localhost",
        trusting(&tls12).with_versions(Some(TlsVersion::TLSv1_3), None),
        "tlsv1 alert protocol version",
    );
    assert!(
        message.starts_with("[SSL: TLSV1_ALERT_PROTOCOL_VERSION]"),
        "{message}"
    );
    let tls13 = start(CertProfile::Default, ServerTlsVersions::Tls13Only);
    rejected(
        &tls13,
        "localhost",
        trusting(&tls13).with_versions(None, Some(TlsVersion::TLSv1_2)),
        "tlsv1 alert protocol version",
    );
}

#[test]
fn tls_1_0_and_1_1_are_refused_clearly() {
    let server = TestServer::start_tls();
    for old in [TlsVersion::TLSv1, TlsVersion::TLSv1_1, TlsVersion::SSLv3] {
        rejected(
            &server,
            "localhost",
            trusting(&server).with_versions(Some(old), None),
            "rustls speaks TLS 1.2 and TLS 1.3 only",
        );
        rejected(
            &server,
            "localhost",
            trusting(&server).with_versions(None, Some(old)),
            &format!("ssl_maximum_version={old} is not supported"),
        );
    }
    assert_eq!(TlsVersion::from_int(0x0301).unwrap(), TlsVersion::TLSv1);
}

#[test]
fn openssl_cipher_names_select_rustls_suites() {
    // The test server's key is ECDSA P-256.
    let server = TestServer::start_tls();
    let tls12 = |ciphers: &str| {
        trusting(&server)
            .with_versions(None, Some(TlsVersion::TLSv1_2))
            .with_ciphers(ciphers)
    };
    for name in [
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
    ] {
        let conn = connect(&server, &tls12(name)).unwrap();
        assert_eq!(conn.cipher(), Some(name));
    }
    let conn = connect(&server, &tls12("ECDHE+CHACHA20:!aRSA")).unwrap();
    assert_eq!(conn.cipher(), Some("ECDHE-ECDSA-CHACHA20-POLY1305"));
    // TLS 1.3 suites are chosen by their own names.
    let conn = connect(
        &server,
        &trusting(&server).with_ciphers("TLS_CHACHA20_POLY1305_SHA256"),
    )
    .unwrap();
    assert_eq!(conn.cipher(), Some("TLS_CHACHA20_POLY1305_SHA256"));
    // Only RSA suites against an ECDSA certificate: no suite in common.
    rejected(
        &server,
        "localhost",
        tls12("ECDHE-RSA-AES128-GCM-SHA256"),
        "handshake failure",
    );
    // Names rustls does not have are errors, not silently other ciphers.
    let message = rejected(
        &server,
        "localhost",
        trusting(&server).with_ciphers("ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-GCM-SHA256"),
        "\"ECDHE-RSA-AES128-SHA\" is not a cipher suite or alias that rustls supports",
    );
    assert!(
        message.contains("ECDHE-ECDSA-AES128-GCM-SHA256"),
        "{message}"
    );
    rejected(
        &server,
        "localhost",
        tls12("aNULL:DHE"),
        "No cipher can be selected.",
    );
}

// --- Errors and retries ----------------------------------------------------------------------

#[test]
fn ssl_errors_are_retried_then_wrapped_in_max_retry_error() {
    let server = TestServer::start_tls_with(CertProfile::Expired);
    let pool = pool(&server, "localhost", trusting(&server));
    let err = pool
        .urlopen(
            "GET",
            "/get",
            RequestOptions::new().retries(Retry::from_total(2)),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MaxRetry);
    let expected = format!(
        "HTTPSConnectionPool(host='localhost', port={}): Max retries exceeded with url: /get \
         (Caused by SSLError(",
        server.port()
    );
    assert!(err.message().starts_with(&expected), "{}", err.message());
    assert!(err.message().contains("certificate has expired"), "{err}");
    assert_eq!(err.reason().map(Error::kind), Some(ErrorKind::Ssl));
    assert_eq!(server.stats().connections_accepted, 3);
    // With retries disabled the SSLError itself comes out.
    let err = pool
        .urlopen(
            "GET",
            "/get",
            RequestOptions::new().retries(Retry::disabled()),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Ssl);
}

#[test]
fn a_server_that_does_not_speak_tls_is_an_ssl_error() {
    let plain = TestServer::start();
    let config = PoolConfig {
        retries: Retry::from_total(0),
        ..PoolConfig::default()
    };
    let pool = ConnectionPool::with_scheme(Scheme::Https, "127.0.0.1", plain.port(), config);
    let message = ssl_failure(pool.urlopen("GET", "/get", RequestOptions::new()));
    assert!(
        message.contains("WRONG_VERSION_NUMBER") || message.contains("UNEXPECTED_EOF"),
        "{message}"
    );
}

#[test]
fn a_silent_server_times_the_handshake_out() {
    // The kernel accepts into the backlog; nobody ever answers the ClientHello.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let timeout = Timeout::new().with_connect(Duration::from_millis(200));
    let err = Connection::open_tls(
        "127.0.0.1",
        port,
        &timeout,
        &Default::default(),
        &TlsConfig::new().with_cert_reqs(CertReqs::None),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ReadTimeout, "{err}");
    assert_eq!(err.message(), "Read timed out. (read timeout=0.2)");
    drop(listener);
}

// --- Sharing the rustls configuration ----------------------------------------------------------

#[test]
fn one_rustls_config_serves_every_connection_with_equal_settings() {
    let server = TestServer::start_tls();
    let dir = TempDir::new("reuse");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, server.ca_pem().unwrap()).unwrap();
    let tls = TlsConfig::new().with_ca_certs(&ca);

    let first = connect(&server, &tls).unwrap();
    let second = connect(&server, &tls.clone()).unwrap();
    let shared = Arc::clone(first.tls_config().unwrap());
    assert!(Arc::ptr_eq(&shared, second.tls_config().unwrap()));

    // Two pools, two connections each (held at once), one configuration.
    for host in ["localhost", "127.0.0.1"] {
        let config = PoolConfig {
            tls: tls.clone(),
            maxsize: 2,
            ..PoolConfig::default()
        };
        let pool = ConnectionPool::with_scheme(Scheme::Https, host, server.port(), config);
        let held: Vec<Response> = (0..2)
            .map(|_| {
                pool.urlopen("GET", "/get", RequestOptions::new().preload_content(false))
                    .unwrap()
            })
            .collect();
        for r in &held {
            let conn = r
                .connection()
                .expect("a streaming response holds its connection");
            assert!(Arc::ptr_eq(&shared, conn.tls_config().unwrap()));
        }
        assert_eq!(pool.num_connections(), 2);
    }
    assert!(Arc::ptr_eq(&shared, &tls.client_config().unwrap()));

    // Different settings, a different configuration.
    let other = tls.clone().with_versions(None, Some(TlsVersion::TLSv1_2));
    assert!(!Arc::ptr_eq(&shared, &other.client_config().unwrap()));

    // A CA file changed on disk is read again.
    let later = std::time::SystemTime::now() + Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&ca)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let rebuilt = connect(&server, &tls).unwrap();
    assert!(!Arc::ptr_eq(&shared, rebuilt.tls_config().unwrap()));
    let again = connect(&server, &tls).unwrap();
    assert!(Arc::ptr_eq(
        rebuilt.tls_config().unwrap(),
        again.tls_config().unwrap()
    ));
}

// --- Tests that need a process of their own ---------------------------------------------------

const CHILD_MARKER: &str = "URLLIB3_TLS_TEST_CHILD";

/// Whether this process is a child that `run_child` started.
fn is_child() -> bool {
    std::env::var_os(CHILD_MARKER).is_some()
}

/// Runs the test `name` again in a child process of this test binary, with `env` set, and
/// fails unless it passes there.
fn run_child(name: &str, env: &[(&str, &std::ffi::OsStr)]) {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", name, "--test-threads=1", "--nocapture"])
        .env(CHILD_MARKER, "1");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child test {name} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn sslkeylogfile_receives_the_session_secrets() {
    if is_child() {
        let server = TestServer::start_tls();
        ok(&server, "localhost", trusting(&server));
        return;
    }
    let dir = TempDir::new("keylog");
    let keylog = dir.path().join("keys.log");
    run_child(
        "sslkeylogfile_receives_the_session_secrets",
        &[("SSLKEYLOGFILE", keylog.as_os_str())],
    );
    let lines = std::fs::read_to_string(&keylog).expect("the key log was written");
    assert!(
        lines.contains("CLIENT_HANDSHAKE_TRAFFIC_SECRET ")
            && lines.contains("CLIENT_TRAFFIC_SECRET_0 "),
        "{lines}"
    );
}

#[test]
fn the_system_trust_store_is_used_by_default() {
    const PORT: &str = "URLLIB3_TLS_TEST_PORT";
    if is_child() {
        // SSL_CERT_FILE names the parent's test CA as the system store (rustls-native-certs
        // honours it as OpenSSL does): the parent's server verifies with default settings,
        // a server with another CA does not.
        let port: u16 = std::env::var(PORT).unwrap().parse().unwrap();
        let config = PoolConfig {
            retries: Retry::from_total(0),
            ..PoolConfig::default()
        };
        let pool = ConnectionPool::with_scheme(Scheme::Https, "localhost", port, config);
        let r = pool.urlopen("GET", "/get", RequestOptions::new()).unwrap();
        assert_eq!(r.status(), 200);
        let other = TestServer::start_tls();
        rejected(&other, "localhost", TlsConfig::new(), VERIFY_FAILED);
        return;
    }
    let server = TestServer::start_tls();
    let port = server.port().to_string();
    run_child(
        "the_system_trust_store_is_used_by_default",
        &[
            ("SSL_CERT_FILE", server.ca_file().unwrap().as_os_str()),
            (PORT, port.as_ref()),
        ],
    );
}

/// A logger that keeps the warnings, for the InsecureRequestWarning test.
struct Warnings(std::sync::Mutex<Vec<String>>);

impl log::Log for Warnings {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Warn
    }

    fn log(&self, record: &log::Record<'_>) {
        if record.level() <= log::Level::Warn {
            let mut kept = self.0.lock().unwrap();
            kept.push(format!("{}: {}", record.target(), record.args()));
        }
    }

    fn flush(&self) {}
}

#[test]
fn unverified_requests_log_an_insecure_request_warning_each() {
    // The logger is process-wide: set it in a child, away from the other tests.
    if !is_child() {
        run_child(
            "unverified_requests_log_an_insecure_request_warning_each",
            &[],
        );
        return;
    }
    static WARNINGS: Warnings = Warnings(std::sync::Mutex::new(Vec::new()));
    log::set_logger(&WARNINGS).unwrap();
    log::set_max_level(log::LevelFilter::Warn);
    let server = TestServer::start_tls();
    let insecure = pool(
        &server,
        "localhost",
        TlsConfig::new().with_cert_reqs(CertReqs::None),
    );
    for _ in 0..3 {
        insecure
            .urlopen("GET", "/get", RequestOptions::new())
            .unwrap();
    }
    let secure = pool(&server, "localhost", trusting(&server));
    secure
        .urlopen("GET", "/get", RequestOptions::new())
        .unwrap();
    let kept = WARNINGS.0.lock().unwrap().clone();
    let unverified: Vec<&String> = kept
        .iter()
        .filter(|w| w.contains("Unverified HTTPS request is being made to host 'localhost'"))
        .collect();
    assert_eq!(unverified.len(), 3, "{kept:#?}");
    assert!(unverified[0].starts_with("urllib3.connectionpool: "));
}

// --- The verified chain (get_verified_chain) ---------------------------------------------------

#[test]
fn the_verified_chain_runs_from_the_server_certificate_to_the_root() {
    let server = TestServer::start_tls_with(CertProfile::Intermediate);
    let conn = Connection::open_tls(
        "localhost",
        server.port(),
        &Timeout::new(),
        &Default::default(),
        &trusting(&server),
    )
    .expect("handshake");
    let chain = conn.verified_chain().expect("a TLS connection");
    assert_eq!(chain.len(), 3, "leaf, intermediate, root");
    assert_eq!(chain[0], server.cert_der().unwrap());
    assert_eq!(chain[2], server.ca_der().unwrap());
}

#[test]
fn without_verification_the_chain_is_what_the_server_sent() {
    let server = TestServer::start_tls_with(CertProfile::Intermediate);
    let tls = TlsConfig::new().with_cert_reqs(CertReqs::None);
    let conn = Connection::open_tls(
        "localhost",
        server.port(),
        &Timeout::new(),
        &Default::default(),
        &tls,
    )
    .expect("handshake");
    let chain = conn.verified_chain().expect("a TLS connection");
    assert_eq!(chain.len(), 2, "leaf and intermediate, no root");
    assert_eq!(chain[0], server.cert_der().unwrap());
    assert!(Connection::open(
        "localhost",
        server.port(),
        &Timeout::new(),
        &Default::default()
    )
    .expect("tcp")
    .verified_chain()
    .is_none());
}
