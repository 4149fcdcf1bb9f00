//! Test certificates and the rustls server configuration.
//!
//! Every TLS server gets its own freshly made CA, so tests never depend on
//! files that expire. A [`CertProfile`] says what kind of server certificate
//! to present (and whether a client certificate is required).
//!
//! Client certificates are issued by the same CA for two fixed key pairs
//! (EC P-256 and RSA 2048) kept in `certs/` in every format a client must
//! read: those files were written by the `openssl` command line tool, so the
//! tests check interoperability with real OpenSSL output, encrypted ones
//! included. Their password is [`CLIENT_KEY_PASSWORD`].

use std::sync::Arc;

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls::{RootCertStore, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// Which server certificate a TLS test server presents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertProfile {
    /// Valid now, for `localhost`, `127.0.0.1` and `::1`, signed by the test CA.
    #[default]
    Default,
    /// Like `Default` but valid only in the year 2000.
    Expired,
    /// Signed by the test CA, but only for `wrong.host.invalid`.
    WrongHost,
    /// Self-signed for `localhost`/`127.0.0.1`/`::1`; the test CA (what
    /// `ca_file` gives) did not sign it.
    SelfSigned,
    /// Signed by the test CA with only the IP addresses `127.0.0.1` and `::1`
    /// as subject alternative names (no DNS name).
    IpOnly,
    /// Signed by the test CA with no subjectAltName at all: only the subject's
    /// common name says `localhost`, which clients have ignored since RFC 6125.
    NoSan,
    /// Signed by an intermediate CA that the test CA signed; the server sends
    /// the leaf and the intermediate, and clients trust only the test CA.
    Intermediate,
    /// Like `Default`, and the server requires a client certificate signed by
    /// the test CA (see [`crate::TestServer::client_cert`]).
    ClientCertRequired,
}

/// Which TLS versions a test server speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerTlsVersions {
    /// TLS 1.2 and 1.3.
    #[default]
    Both,
    /// TLS 1.2 only.
    Tls12Only,
    /// TLS 1.3 only.
    Tls13Only,
}

/// The password of the encrypted client keys.
pub const CLIENT_KEY_PASSWORD: &str = "letmein";

/// The formats the client keys come in (see [`crate::TestServer::client_cert`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientKeyFormat {
    /// EC key, unencrypted PKCS#8 (`BEGIN PRIVATE KEY`).
    Pkcs8,
    /// RSA key, PKCS#1 (`BEGIN RSA PRIVATE KEY`).
    Pkcs1,
    /// EC key, SEC1 (`BEGIN EC PRIVATE KEY`).
    Sec1,
    /// EC key, encrypted PKCS#8 (`BEGIN ENCRYPTED PRIVATE KEY`, PBES2 with
    /// PBKDF2-HMAC-SHA256 and AES-256-CBC, OpenSSL 3's default).
    EncryptedPkcs8,
    /// EC key, traditional OpenSSL PEM encryption with AES-128-CBC
    /// (`Proc-Type: 4,ENCRYPTED`, `DEK-Info: AES-128-CBC,...`).
    LegacyAes128,
    /// RSA key, traditional OpenSSL PEM encryption with AES-256-CBC, which is
    /// what urllib3's own test server writes.
    LegacyAes256,
    /// RSA key, traditional OpenSSL PEM encryption with DES-EDE3-CBC.
    LegacyDes3,
    /// EC key, unencrypted PKCS#8, appended to the certificate file (no
    /// separate key file), as `load_cert_chain(certfile)` accepts.
    InCertFile,
}

impl ClientKeyFormat {
    /// Every format.
    pub const ALL: [ClientKeyFormat; 8] = [
        ClientKeyFormat::Pkcs8,
        ClientKeyFormat::Pkcs1,
        ClientKeyFormat::Sec1,
        ClientKeyFormat::EncryptedPkcs8,
        ClientKeyFormat::LegacyAes128,
        ClientKeyFormat::LegacyAes256,
        ClientKeyFormat::LegacyDes3,
        ClientKeyFormat::InCertFile,
    ];

    /// Whether the key is encrypted with [`CLIENT_KEY_PASSWORD`].
    pub fn is_encrypted(self) -> bool {
        matches!(
            self,
            Self::EncryptedPkcs8 | Self::LegacyAes128 | Self::LegacyAes256 | Self::LegacyDes3
        )
    }

    /// Whether the key is the RSA one (else the EC one).
    pub fn is_rsa(self) -> bool {
        matches!(self, Self::Pkcs1 | Self::LegacyAes256 | Self::LegacyDes3)
    }

    /// The key file's name and its PEM text.
    pub(crate) fn key_file(self) -> (&'static str, &'static str) {
        match self {
            Self::Pkcs8 | Self::InCertFile => ("ec.pkcs8.pem", EC_PKCS8),
            Self::Pkcs1 => ("rsa.pkcs1.pem", include_str!("../certs/rsa.pkcs1.pem")),
            Self::Sec1 => ("ec.sec1.pem", include_str!("../certs/ec.sec1.pem")),
            Self::EncryptedPkcs8 => (
                "ec.pkcs8-encrypted.pem",
                include_str!("../certs/ec.pkcs8-encrypted.pem"),
            ),
            Self::LegacyAes128 => (
                "ec.sec1-aes128.pem",
                include_str!("../certs/ec.sec1-aes128.pem"),
            ),
            Self::LegacyAes256 => (
                "rsa.pkcs1-aes256.pem",
                include_str!("../certs/rsa.pkcs1-aes256.pem"),
            ),
            Self::LegacyDes3 => (
                "rsa.pkcs1-des3.pem",
                include_str!("../certs/rsa.pkcs1-des3.pem"),
            ),
        }
    }
}

const EC_PKCS8: &str = include_str!("../certs/ec.pkcs8.pem");
const RSA_PKCS8: &str = include_str!("../certs/rsa.pkcs8.pem");

/// The common names of the two client certificates.
pub(crate) const CLIENT_EC_NAME: &str = "urllib3-rs test client (EC)";
pub(crate) const CLIENT_RSA_NAME: &str = "urllib3-rs test client (RSA)";

/// The names the default certificate is valid for.
const LOCAL_NAMES: &[&str] = &["localhost", "127.0.0.1", "::1"];

/// What to put in a server certificate.
struct LeafSpec {
    /// subjectAltName entries.
    names: &'static [&'static str],
    /// The subject's common name.
    common_name: &'static str,
    expired: bool,
    self_signed: bool,
}

fn leaf_spec(profile: CertProfile) -> LeafSpec {
    let spec = LeafSpec {
        names: LOCAL_NAMES,
        common_name: "localhost",
        expired: false,
        self_signed: false,
    };
    match profile {
        CertProfile::Default | CertProfile::Intermediate | CertProfile::ClientCertRequired => spec,
        CertProfile::Expired => LeafSpec {
            expired: true,
            ..spec
        },
        CertProfile::WrongHost => LeafSpec {
            names: &["wrong.host.invalid"],
            common_name: "wrong.host.invalid",
            ..spec
        },
        CertProfile::SelfSigned => LeafSpec {
            self_signed: true,
            ..spec
        },
        CertProfile::IpOnly => LeafSpec {
            names: &["127.0.0.1", "::1"],
            common_name: "127.0.0.1",
            ..spec
        },
        CertProfile::NoSan => LeafSpec { names: &[], ..spec },
    }
}

/// A certificate authority: the test CA or the intermediate under it.
struct TestCa {
    cert: Certificate,
    key: KeyPair,
}

impl TestCa {
    fn new() -> TestCa {
        let key = KeyPair::generate().expect("generate CA key");
        let params = ca_params("urllib3-rs test CA", BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).expect("self-sign CA");
        TestCa { cert, key }
    }

    /// An intermediate CA signed by this one.
    fn intermediate(&self) -> TestCa {
        let key = KeyPair::generate().expect("generate intermediate key");
        let params = ca_params(
            "urllib3-rs test intermediate CA",
            BasicConstraints::Constrained(0),
        );
        let cert = params
            .signed_by(&key, &self.cert, &self.key)
            .expect("sign intermediate");
        TestCa { cert, key }
    }

    /// Makes a server certificate; returns it and its key.
    fn issue(&self, spec: &LeafSpec) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let key = KeyPair::generate().expect("generate leaf key");
        let names: Vec<String> = spec.names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).expect("leaf params");
        params
            .distinguished_name
            .push(DnType::CommonName, spec.common_name);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.use_authority_key_identifier_extension = !spec.self_signed;
        if spec.expired {
            params.not_before = rcgen::date_time_ymd(2000, 1, 1);
            params.not_after = rcgen::date_time_ymd(2000, 12, 31);
        }
        let cert = if spec.self_signed {
            params.self_signed(&key)
        } else {
            params.signed_by(&key, &self.cert, &self.key)
        }
        .expect("sign leaf");
        let key_der = PrivatePkcs8KeyDer::from(key.serialize_der()).into();
        (cert.der().clone(), key_der)
    }

    /// A client certificate for the fixed key in `key_pem` (PKCS#8).
    fn issue_client(&self, key_pem: &str, name: &str) -> Certificate {
        let key = KeyPair::from_pem(key_pem).expect("client key fixture");
        let mut params = CertificateParams::new(Vec::new()).expect("client params");
        params.distinguished_name.push(DnType::CommonName, name);
        params
            .distinguished_name
            .push(DnType::OrganizationalUnitName, "Testing cert");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.use_authority_key_identifier_extension = true;
        params
            .signed_by(&key, &self.cert, &self.key)
            .expect("sign client certificate")
    }
}

fn ca_params(name: &str, constraints: BasicConstraints) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::new()).expect("CA params");
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(constraints);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

/// A client certificate the test CA issued.
pub(crate) struct IssuedClient {
    pub(crate) name: &'static str,
    pub(crate) der: Vec<u8>,
    pub(crate) pem: String,
}

/// Everything a TLS server needs, and what clients get to see of it.
pub(crate) struct TlsSetup {
    pub(crate) acceptor: TlsAcceptor,
    /// PEM and DER of the test CA, for clients to trust.
    pub(crate) ca_pem: String,
    pub(crate) ca_der: Vec<u8>,
    /// The server's own certificate, for fingerprint pinning.
    pub(crate) leaf_der: Vec<u8>,
    /// The EC and the RSA client certificates.
    pub(crate) client_ec: IssuedClient,
    pub(crate) client_rsa: IssuedClient,
}

/// ALPN protocols for servers that speak HTTP/1.1 only (the proxies).
pub(crate) const ALPN_HTTP1: &[&[u8]] = &[b"http/1.1"];
/// ALPN protocols for test servers, as hypercorn offers them: HTTP/2 preferred.
pub(crate) const ALPN_H2_HTTP1: &[&[u8]] = &[b"h2", b"http/1.1"];

/// Makes a CA, a server certificate per `profile`, and client certificates; the server
/// offers the `alpn` protocols.
pub(crate) fn setup(profile: CertProfile, versions: ServerTlsVersions, alpn: &[&[u8]]) -> TlsSetup {
    let ca = TestCa::new();
    let spec = leaf_spec(profile);
    let chain = if profile == CertProfile::Intermediate {
        let intermediate = ca.intermediate();
        let (leaf, key) = intermediate.issue(&spec);
        (vec![leaf, intermediate.cert.der().clone()], key)
    } else {
        let (leaf, key) = ca.issue(&spec);
        let mut chain = vec![leaf];
        if !spec.self_signed {
            chain.push(ca.cert.der().clone());
        }
        (chain, key)
    };
    let leaf_der = chain.0[0].to_vec();
    let client_auth = (profile == CertProfile::ClientCertRequired).then(|| ca.cert.der().clone());
    let mut config = server_config(chain.0, chain.1, versions, client_auth);
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let client = |key_pem: &str, name: &'static str| {
        let cert = ca.issue_client(key_pem, name);
        IssuedClient {
            name,
            der: cert.der().to_vec(),
            pem: cert.pem(),
        }
    };
    TlsSetup {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        ca_pem: ca.cert.pem(),
        ca_der: ca.cert.der().to_vec(),
        leaf_der,
        client_ec: client(EC_PKCS8, CLIENT_EC_NAME),
        client_rsa: client(RSA_PKCS8, CLIENT_RSA_NAME),
    }
}

fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    versions: ServerTlsVersions,
    client_ca: Option<CertificateDer<'static>>,
) -> ServerConfig {
    // An explicit provider: the process-wide default would be ambiguous if
    // another crate in the build enables a second rustls backend.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let versions: &[&rustls::SupportedProtocolVersion] = match versions {
        ServerTlsVersions::Both => &[&rustls::version::TLS13, &rustls::version::TLS12],
        ServerTlsVersions::Tls12Only => &[&rustls::version::TLS12],
        ServerTlsVersions::Tls13Only => &[&rustls::version::TLS13],
    };
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(versions)
        .expect("TLS protocol versions");
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            roots.add(ca).expect("client CA");
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .expect("client verifier");
            builder.with_client_cert_verifier(verifier)
        }
    };
    builder
        .with_single_cert(chain, key)
        .expect("server certificate")
}

/// A client configuration that accepts any server certificate, for the test proxy's upstream
/// connections.
pub(crate) fn accept_any_client_config() -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .expect("TLS protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnyServer(provider)))
        .with_no_client_auth()
}

/// Accepts any server certificate: the proxy's upstream TLS (for forwarded `https://` URLs)
/// talks to test servers whose CAs it cannot know. Signatures are still checked, so the
/// handshake itself is real.
#[derive(Debug)]
struct AcceptAnyServer(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAnyServer {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
