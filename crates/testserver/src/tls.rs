//! Test certificates and the rustls server configuration.
//!
//! Every TLS server gets its own freshly made CA, so tests never depend on
//! files that expire. A [`CertProfile`] says what kind of server certificate
//! to present; new profiles (client-certificate-required, ...) are added by
//! extending [`CertProfile`] and `leaf_spec` / `server_config`.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;
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
}

/// The names the default certificate is valid for.
const LOCAL_NAMES: &[&str] = &["localhost", "127.0.0.1", "::1"];

/// What to put in a server certificate.
struct LeafSpec {
    names: &'static [&'static str],
    expired: bool,
    self_signed: bool,
}

fn leaf_spec(profile: CertProfile) -> LeafSpec {
    let spec = LeafSpec {
        names: LOCAL_NAMES,
        expired: false,
        self_signed: false,
    };
    match profile {
        CertProfile::Default => spec,
        CertProfile::Expired => LeafSpec {
            expired: true,
            ..spec
        },
        CertProfile::WrongHost => LeafSpec {
            names: &["wrong.host.invalid"],
            ..spec
        },
        CertProfile::SelfSigned => LeafSpec {
            self_signed: true,
            ..spec
        },
        CertProfile::IpOnly => LeafSpec {
            names: &["127.0.0.1", "::1"],
            ..spec
        },
    }
}

/// A certificate authority made for one server.
struct TestCa {
    cert: Certificate,
    key: KeyPair,
}

impl TestCa {
    fn new() -> TestCa {
        let key = KeyPair::generate().expect("generate CA key");
        let mut params = CertificateParams::new(Vec::new()).expect("CA params");
        params
            .distinguished_name
            .push(DnType::CommonName, "urllib3-rs test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key).expect("self-sign CA");
        TestCa { cert, key }
    }

    /// Makes a server certificate; returns its chain (leaf first) and key.
    fn issue(&self, spec: &LeafSpec) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        let key = KeyPair::generate().expect("generate leaf key");
        let names: Vec<String> = spec.names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).expect("leaf params");
        params
            .distinguished_name
            .push(DnType::CommonName, spec.names[0]);
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
        let mut chain = vec![cert.der().clone()];
        if !spec.self_signed {
            chain.push(self.cert.der().clone());
        }
        (chain, key_der)
    }
}

/// Everything a TLS server needs.
pub(crate) struct TlsSetup {
    pub(crate) acceptor: TlsAcceptor,
    /// PEM of the test CA, for clients to trust.
    pub(crate) ca_pem: String,
}

/// Makes a CA and a server certificate per `profile`.
pub(crate) fn setup(profile: CertProfile) -> TlsSetup {
    let ca = TestCa::new();
    let (chain, key) = ca.issue(&leaf_spec(profile));
    TlsSetup {
        acceptor: TlsAcceptor::from(Arc::new(server_config(chain, key))),
        ca_pem: ca.cert.pem(),
    }
}

fn server_config(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> ServerConfig {
    // An explicit provider: the process-wide default would be ambiguous if
    // another crate in the build enables a second rustls backend.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS protocol versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server certificate");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config
}
