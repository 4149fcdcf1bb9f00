//! The server certificate decoded as Python's `getpeercert()` has it. The expected values are
//! what CPython 3.11's `ssl` (OpenSSL 3.0) gives for the same certificates; the Python test
//! `tests/test_peercert.py` compares the two live.

use std::path::PathBuf;

use base64::Engine as _;
use testserver::TestServer;
use urllib3::connection::{AltName, PeerCertificate};
use urllib3::{CertReqs, Connection, Timeout, TlsConfig};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/peercert")
        .join(name)
}

/// The DER inside a one-certificate PEM file.
fn der(name: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

fn rdn(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn text(kind: &'static str, value: &str) -> AltName {
    AltName::Text(kind, value.to_owned())
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn every_field_decodes_as_cpython_decodes_it() {
    let cert = PeerCertificate::from_der(&der("leaf.pem")).unwrap();
    let issuer = vec![
        rdn(&[("countryName", "US")]),
        // A T61String holding UTF-8 bytes reads as Latin-1, as OpenSSL converts it.
        rdn(&[("organizationName", "Ã\u{96}rg T61")]),
        // A BMPString.
        rdn(&[("commonName", "peercert test root ✓")]),
    ];
    let subject = vec![
        rdn(&[("countryName", "CH")]),
        rdn(&[("stateOrProvinceName", "Zürich")]),
        rdn(&[("organizationName", "Ünïcode Örg")]),
        // A multi-valued RDN, in DER (sorted) order.
        rdn(&[
            ("organizationalUnitName", "Ops"),
            ("organizationalUnitName", "Web"),
        ]),
        // A UniversalString.
        rdn(&[("title", "über")]),
        rdn(&[("commonName", "localhost")]),
        rdn(&[("emailAddress", "ops@example.test")]),
        rdn(&[("domainComponent", "example")]),
        rdn(&[("serialNumber", "42")]),
        // No name for this attribute: the dotted form.
        rdn(&[("1.2.3.4.5", "private")]),
    ];
    let expected = PeerCertificate {
        subject,
        issuer: issuer.clone(),
        version: 3,
        serial_number: "FEDCBA9876543210".to_owned(),
        not_before: "Jan  1 00:00:00 2000 GMT".to_owned(),
        not_after: "Jan  1 12:30:05 2100 GMT".to_owned(),
        subject_alt_name: vec![
            text("DNS", "localhost"),
            text("DNS", "*.example.test"),
            text("IP Address", "127.0.0.1"),
            text("IP Address", "0:0:0:0:0:0:0:1"),
            text("IP Address", "2001:DB8:0:0:0:0:A:B"),
            text("email", "ops@example.test"),
            text("URI", "https://example.test/id"),
            AltName::DirName(vec![
                rdn(&[("countryName", "DE")]),
                rdn(&[("commonName", "dir name")]),
            ]),
            text("Registered ID", "1.2.3.4"),
            text("othername", "<unsupported>"),
        ],
        // The DNS-name access location is not a URI and is left out.
        ocsp: strings(&["http://ocsp.example.test/", "http://ocsp2.example.test/"]),
        ca_issuers: strings(&["http://ca.example.test/ca.der"]),
        // So is the directory name among the first point's names.
        crl_distribution_points: strings(&[
            "http://crl.example.test/ca.crl",
            "ldap://crl.example.test/cn=ca",
        ]),
    };
    assert_eq!(cert, expected);

    let ca = PeerCertificate::from_der(&der("ca.pem")).unwrap();
    assert_eq!((ca.subject, ca.issuer), (issuer.clone(), issuer));
    assert_eq!(ca.serial_number, "0BADC0DE");
    assert!(ca.subject_alt_name.is_empty() && ca.ocsp.is_empty());
}

#[test]
fn what_is_not_a_certificate_is_an_ssl_error() {
    let mut der = der("leaf.pem");
    der.truncate(der.len() / 2);
    let err = PeerCertificate::from_der(&der).unwrap_err();
    assert_eq!(err.kind(), urllib3::ErrorKind::Ssl);
}

#[test]
fn a_connection_decodes_its_peer_and_says_whether_it_was_checked() {
    let server = TestServer::start_tls();
    let verified = TlsConfig::new().with_ca_certs(server.ca_file().unwrap());
    let open = |tls: &TlsConfig| {
        Connection::open_tls(
            "localhost",
            server.port(),
            &Timeout::new(),
            &Default::default(),
            tls,
        )
        .unwrap()
    };
    let conn = open(&verified);
    assert!(conn.peer_certificate_checked());
    let cert = conn.peer_certificate_decoded().unwrap().unwrap();
    assert_eq!(cert.subject, vec![rdn(&[("commonName", "localhost")])]);
    assert_eq!(
        cert.subject_alt_name,
        [
            text("DNS", "localhost"),
            text("IP Address", "127.0.0.1"),
            text("IP Address", "0:0:0:0:0:0:0:1"),
        ]
    );
    assert_eq!(cert.version, 3);

    // Unchecked, the certificate still decodes, but Python shows an empty dict for it.
    let unverified = TlsConfig::new().with_cert_reqs(CertReqs::None);
    let conn = open(&unverified);
    assert!(!conn.peer_certificate_checked());
    assert!(conn.peer_certificate_decoded().unwrap().is_ok());

    let plain = TestServer::start();
    let conn = Connection::open(
        "127.0.0.1",
        plain.port(),
        &Timeout::new(),
        &Default::default(),
    )
    .unwrap();
    assert!(conn.peer_certificate_decoded().is_none() && !conn.peer_certificate_checked());
}
