//! Server certificate verification the way urllib3 does it, and error messages that say why.
//!
//! One verifier covers every combination of `cert_reqs`, `assert_hostname` and
//! `assert_fingerprint`: the chain check (webpki against the roots) runs unless `cert_reqs` is
//! `CERT_NONE`; then either the fingerprint is compared, or a name is checked. The handshake
//! signatures are always verified against the certificate's key, even with `CERT_NONE`, as
//! OpenSSL does: the peer must at least own the certificate it shows.

use std::fmt;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::crypto::{
    verify_tls12_signature, verify_tls13_signature, CryptoProvider, WebPkiSupportedAlgorithms,
};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{
    AlertDescription, CertificateError, DigitallySignedStruct, Error as TlsError, OtherError,
    SignatureScheme,
};

use super::{ssl_error, Built, Roots};
use crate::error::Result;

/// Which name the certificate must carry once the chain is good.
#[derive(Debug)]
pub(super) enum NameCheck {
    /// The SNI name (the host or `server_hostname`), as OpenSSL's `check_hostname` does.
    ServerName,
    /// `assert_hostname`, checked the way urllib3's own `match_hostname` does.
    Asserted(String),
    /// `assert_hostname=False`.
    Skip,
}

/// A pinned certificate digest (`assert_fingerprint`).
#[derive(Clone, Debug)]
pub(super) struct Fingerprint {
    hash: Hash,
    digest: Vec<u8>,
}

#[derive(Clone, Copy, Debug)]
enum Hash {
    Md5,
    Sha1,
    Sha256,
}

impl Fingerprint {
    /// Parses hex digits, colons optional, any case; the length picks the hash, as urllib3's
    /// `HASHFUNC_MAP` does. Errors carry urllib3's messages.
    pub(super) fn parse(text: &str) -> Result<Fingerprint> {
        let normalized = text.replace(':', "").to_ascii_lowercase();
        let hash = match normalized.len() {
            32 => Hash::Md5,
            40 => Hash::Sha1,
            64 => Hash::Sha256,
            _ => {
                return Err(ssl_error(format!(
                    "Fingerprint of invalid length: {normalized}"
                )))
            }
        };
        let digest = (0..normalized.len())
            .step_by(2)
            .map(|i| {
                normalized
                    .get(i..i + 2)
                    .and_then(|pair| u8::from_str_radix(pair, 16).ok())
            })
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| ssl_error("Non-hexadecimal digit found"))?;
        Ok(Fingerprint { hash, digest })
    }

    fn digest_of(&self, der: &[u8]) -> Vec<u8> {
        match self.hash {
            Hash::Md5 => {
                use md5::Digest as _;
                md5::Md5::digest(der).to_vec()
            }
            Hash::Sha1 => ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der)
                .as_ref()
                .to_vec(),
            Hash::Sha256 => ring::digest::digest(&ring::digest::SHA256, der)
                .as_ref()
                .to_vec(),
        }
    }

    fn check(&self, der: &[u8]) -> std::result::Result<(), Failure> {
        let got = self.digest_of(der);
        // Constant time, as urllib3's hmac.compare_digest: the pin is not secret, but there is
        // no reason to leak how much of it matched.
        let same = got.len() == self.digest.len()
            && got
                .iter()
                .zip(&self.digest)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if same {
            return Ok(());
        }
        Err(Failure(format!(
            "Fingerprints did not match. Expected \"{}\", got \"{}\"",
            hex(&self.digest),
            hex(&got)
        )))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A verification failure with a message of our own (fingerprint or `assert_hostname`
/// mismatch, self-signed certificate), carried through rustls as `CertificateError::Other`.
#[derive(Debug)]
pub(super) struct Failure(String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}

fn failure(message: String) -> TlsError {
    TlsError::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(Failure(
        message,
    )))))
}

/// The chain a verified handshake built, from the server's certificate to the root (Python's
/// `get_verified_chain()`, which the Elasticsearch client pins fingerprints against). Without
/// verification (`CERT_NONE`) there is no built chain: the certificates as the server sent them.
pub(crate) fn verified_chain(
    built: &Built,
    presented: &[CertificateDer<'_>],
) -> Vec<CertificateDer<'static>> {
    let as_sent = || presented.iter().map(|c| c.clone().into_owned()).collect();
    let (Some(roots), Some((end_entity, intermediates))) = (&built.roots, presented.split_first())
    else {
        return as_sent();
    };
    let Ok(cert) = webpki::EndEntityCert::try_from(end_entity) else {
        return as_sent();
    };
    let algorithms = built
        .config
        .crypto_provider()
        .signature_verification_algorithms
        .all;
    let path = cert.verify_for_usage(
        algorithms,
        &roots.store.roots,
        intermediates,
        UnixTime::now(),
        webpki::KeyUsage::server_auth(),
        None,
        None,
    );
    // The handshake passed this check moments ago; should it fail now (a certificate expired
    // in between), the chain as sent is still the truthful answer.
    let Ok(path) = path else {
        return as_sent();
    };
    let mut chain = vec![end_entity.clone().into_owned()];
    chain.extend(
        path.intermediate_certificates()
            .map(|c| c.der().into_owned()),
    );
    chain.extend(roots.certificate_of(path.anchor()).cloned());
    chain
}

/// urllib3's verification policy as a rustls `ServerCertVerifier`.
#[derive(Debug)]
pub(super) struct Verifier {
    /// `None` with `CERT_NONE`: no chain check.
    roots: Option<Arc<Roots>>,
    names: NameCheck,
    fingerprint: Option<Fingerprint>,
    algorithms: WebPkiSupportedAlgorithms,
    /// `hostname_checks_common_name`: a DNS name may match the subject's commonName when
    /// the certificate names no DNS name of its own.
    common_name_fallback: bool,
}

impl Verifier {
    pub(super) fn new(
        roots: Option<Arc<Roots>>,
        names: NameCheck,
        fingerprint: Option<Fingerprint>,
        provider: &CryptoProvider,
    ) -> Verifier {
        Verifier {
            roots,
            names,
            fingerprint,
            algorithms: provider.signature_verification_algorithms,
            common_name_fallback: false,
        }
    }

    pub(super) fn with_common_name_fallback(mut self, enabled: bool) -> Verifier {
        self.common_name_fallback = enabled;
        self
    }

    /// The DNS name being checked, if the check is of a DNS name (IP addresses never match
    /// a commonName, as in OpenSSL).
    fn dns_name_checked<'a>(&'a self, server_name: &'a ServerName<'_>) -> Option<String> {
        let name = match (&self.names, server_name) {
            (NameCheck::ServerName, ServerName::DnsName(dns)) => dns.as_ref().to_owned(),
            (NameCheck::Asserted(name), _) => name.clone(),
            _ => return None,
        };
        (name.parse::<std::net::IpAddr>().is_err()).then_some(name)
    }

    /// Whether `end_entity` passes by its commonName, where that is allowed.
    fn matches_common_name(&self, end_entity: &[u8], server_name: &ServerName<'_>) -> bool {
        if !self.common_name_fallback {
            return false;
        }
        let (Some(name), Ok(cert)) = (
            self.dns_name_checked(server_name),
            super::PeerCertificate::from_der(end_entity),
        ) else {
            return false;
        };
        let has_dns_names = cert
            .subject_alt_name
            .iter()
            .any(|alt| matches!(alt, super::AltName::Text("DNS", _)));
        !has_dns_names
            && cert
                .subject
                .iter()
                .flatten()
                .filter(|(attribute, _)| attribute == "commonName")
                .any(|(_, common_name)| dns_name_matches(common_name, &name))
    }
}

/// A DNS name against a certificate's name: equal ignoring case, or a `*.` wildcard standing
/// for exactly the leftmost label.
fn dns_name_matches(pattern: &str, name: &str) -> bool {
    let (pattern, name) = (pattern.to_ascii_lowercase(), name.to_ascii_lowercase());
    let name = name.trim_end_matches('.');
    match pattern.strip_prefix("*.") {
        Some(parent) => name
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
        None => pattern.trim_end_matches('.') == name,
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, TlsError> {
        if let Some(roots) = &self.roots {
            let cert = ParsedCertificate::try_from(end_entity)?;
            verify_server_cert_signed_by_trust_anchor(
                &cert,
                &roots.store,
                intermediates,
                now,
                self.algorithms.all,
            )
            .map_err(|e| explain_unknown_issuer(e, end_entity, intermediates))?;
        }
        if let Some(pin) = &self.fingerprint {
            pin.check(end_entity).map_err(|f| failure(f.0))?;
            return Ok(ServerCertVerified::assertion());
        }
        if self.roots.is_none() {
            // CERT_NONE checks no name either (urllib3 matches names only when verifying).
            return Ok(ServerCertVerified::assertion());
        }
        let cert = ParsedCertificate::try_from(end_entity)?;
        match &self.names {
            NameCheck::ServerName => verify_server_name(&cert, server_name),
            NameCheck::Skip => Ok(()),
            NameCheck::Asserted(name) => {
                let result = ServerName::try_from(name.as_str())
                    .map_err(|_| CertificateError::NotValidForName.into())
                    .and_then(|asserted| verify_server_name(&cert, &asserted));
                result.map_err(|e| match e {
                    TlsError::InvalidCertificate(CertificateError::NotValidForNameContext {
                        presented,
                        ..
                    }) => failure(match_hostname_message(name, &presented)),
                    TlsError::InvalidCertificate(CertificateError::NotValidForName) => {
                        failure(match_hostname_message(name, &[]))
                    }
                    other => other,
                })
            }
        }
        .or_else(|mismatch| {
            if self.matches_common_name(end_entity, server_name) {
                Ok(())
            } else {
                Err(mismatch)
            }
        })?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, TlsError> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, TlsError> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// A name from rustls's list of what a certificate is valid for, which is written in Debug
/// form (`DnsName("example.com")`, `IpAddress(0::1)`), as a plain name or address.
fn presented_name(debug: &str) -> String {
    let inner = debug
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or(debug);
    let inner = inner.trim_matches('"');
    match inner.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.to_string(),
        Err(_) => inner.to_owned(),
    }
}

/// urllib3's `CertificateError` wording for an `assert_hostname` mismatch.
fn match_hostname_message(name: &str, presented: &[String]) -> String {
    let presented: Vec<String> = presented.iter().map(|n| presented_name(n)).collect();
    match presented.as_slice() {
        [] => "no appropriate subjectAltName fields were found".to_owned(),
        [one] => format!("hostname '{name}' doesn't match '{one}'"),
        many => {
            let quoted: Vec<String> = many.iter().map(|n| format!("'{n}'")).collect();
            format!(
                "hostname '{name}' doesn't match either of {}",
                quoted.join(", ")
            )
        }
    }
}

/// An unknown issuer is most often a self-signed certificate; say so, as OpenSSL does. A
/// trusted root that merely shares the self-signed certificate's name (Debian's snakeoil
/// certificate is "localhost" too) shows up as a signature failure instead: same story.
fn explain_unknown_issuer(
    e: TlsError,
    end_entity: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
) -> TlsError {
    #[allow(deprecated)]
    let no_trusted_issuer = matches!(
        e,
        TlsError::InvalidCertificate(
            CertificateError::UnknownIssuer
                | CertificateError::BadSignature
                | CertificateError::UnsupportedSignatureAlgorithm
                | CertificateError::UnsupportedSignatureAlgorithmContext { .. }
                | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. }
        )
    );
    if !no_trusted_issuer {
        return e;
    }
    let why = if is_self_signed(end_entity) {
        "self-signed certificate"
    } else if intermediates.iter().any(|c| is_self_signed(c)) {
        "self-signed certificate in certificate chain"
    } else {
        return e;
    };
    failure(format!(
        "{VERIFY_FAILED}{why} (unknown CA: no trusted root signed it)"
    ))
}

/// Whether a certificate's issuer is its subject. A small DER walk over `tbsCertificate`
/// (version, serial, signature algorithm, issuer, validity, subject) is all this needs.
fn is_self_signed(der: &[u8]) -> bool {
    fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = input.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            let len = rest[..n]
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            (len, &rest[n..])
        };
        if rest.len() < len {
            return None;
        }
        Some((tag, &rest[..len], &rest[len..]))
    }
    let names = || -> Option<(&[u8], &[u8])> {
        let (_, cert, _) = tlv(der)?;
        let (_, tbs, _) = tlv(cert)?;
        let (tag, _, mut rest) = tlv(tbs)?;
        if tag == 0xa0 {
            // The explicit [0] version comes before the serial number.
            rest = tlv(rest)?.2;
        }
        let (_, _, rest) = tlv(rest)?; // signature algorithm
        let (_, issuer, rest) = tlv(rest)?;
        let (_, _, rest) = tlv(rest)?; // validity
        let (_, subject, _) = tlv(rest)?;
        Some((issuer, subject))
    };
    names().is_some_and(|(issuer, subject)| issuer == subject)
}

const VERIFY_FAILED: &str = "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: ";

/// What went wrong, in OpenSSL's words where Python users know them (and tests grep for
/// them: "certificate verify failed", "Hostname mismatch"), with what rustls adds.
pub(crate) fn describe(e: &TlsError) -> String {
    match e {
        TlsError::InvalidCertificate(cert) => describe_certificate(cert),
        TlsError::AlertReceived(alert) => describe_alert(*alert),
        TlsError::PeerIncompatible(why) => {
            format!(
                "[SSL: HANDSHAKE_FAILURE] handshake failure: the server is incompatible ({why:?})"
            )
        }
        TlsError::PeerMisbehaved(why) => {
            format!("[SSL: HANDSHAKE_FAILURE] handshake failure: the server misbehaved ({why:?})")
        }
        TlsError::InvalidMessage(
            why @ (rustls::InvalidMessage::InvalidContentType
            | rustls::InvalidMessage::UnknownProtocolVersion),
        ) => format!(
            "[SSL: WRONG_VERSION_NUMBER] wrong version number (the server did not answer with \
             TLS: {why:?})"
        ),
        TlsError::InvalidMessage(why) => {
            format!("[SSL: DECODE_ERROR] received a malformed TLS message ({why:?})")
        }
        TlsError::NoCertificatesPresented => {
            format!("{VERIFY_FAILED}the server presented no certificate")
        }
        TlsError::InconsistentKeys(why) => format!(
            "[X509: KEY_VALUES_MISMATCH] key values mismatch: the client private key does not \
             match the client certificate ({why:?})"
        ),
        other => format!("[SSL] {other}"),
    }
}

fn describe_certificate(e: &CertificateError) -> String {
    let why = match e {
        CertificateError::UnknownIssuer => {
            "unable to get local issuer certificate (unknown CA: no trusted root signed it)"
                .to_owned()
        }
        CertificateError::Expired => "certificate has expired".to_owned(),
        CertificateError::ExpiredContext { time, not_after } => format!(
            "certificate has expired (valid until {}, now {})",
            utc(not_after.as_secs()),
            utc(time.as_secs())
        ),
        CertificateError::NotValidYet => "certificate is not yet valid".to_owned(),
        CertificateError::NotValidYetContext { time, not_before } => format!(
            "certificate is not yet valid (valid from {}, now {})",
            utc(not_before.as_secs()),
            utc(time.as_secs())
        ),
        CertificateError::NotValidForName => {
            "Hostname mismatch, certificate is not valid for this host.".to_owned()
        }
        CertificateError::NotValidForNameContext {
            expected,
            presented,
        } => {
            let (what, name) = match expected {
                ServerName::IpAddress(ip) => {
                    ("IP address", std::net::IpAddr::from(*ip).to_string())
                }
                other => ("Hostname", other.to_str().into_owned()),
            };
            let quoted: Vec<String> = presented
                .iter()
                .map(|n| format!("'{}'", presented_name(n)))
                .collect();
            let is_for = if quoted.is_empty() {
                "it has no subjectAltName".to_owned()
            } else {
                format!("it is for {}", quoted.join(", "))
            };
            format!("{what} mismatch, certificate is not valid for '{name}'. ({is_for})")
        }
        CertificateError::Revoked => "certificate revoked".to_owned(),
        CertificateError::BadSignature => "certificate signature failure".to_owned(),
        CertificateError::BadEncoding => "the certificate is malformed".to_owned(),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "unsupported certificate purpose".to_owned()
        }
        // Our own failures already say everything, in urllib3's words.
        CertificateError::Other(other) => return other.0.to_string(),
        other => format!("{other:?}"),
    };
    format!("{VERIFY_FAILED}{why}")
}

/// An alert from the server, as OpenSSL words it (`sslv3 alert handshake failure`,
/// `tlsv13 alert certificate required`), with a hint for the ones a caller can act on.
fn describe_alert(alert: AlertDescription) -> String {
    let name = format!("{alert:?}");
    let mut words = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() && !words.is_empty() {
            words.push(' ');
        }
        words.push(c.to_ascii_lowercase());
    }
    // The alerts defined by SSL 3.0 keep its prefix in OpenSSL's messages.
    let prefix = match alert {
        AlertDescription::CloseNotify
        | AlertDescription::UnexpectedMessage
        | AlertDescription::BadRecordMac
        | AlertDescription::DecompressionFailure
        | AlertDescription::HandshakeFailure
        | AlertDescription::NoCertificate
        | AlertDescription::BadCertificate
        | AlertDescription::UnsupportedCertificate
        | AlertDescription::CertificateRevoked
        | AlertDescription::CertificateExpired
        | AlertDescription::CertificateUnknown
        | AlertDescription::IllegalParameter => "sslv3",
        AlertDescription::CertificateRequired => "tlsv13",
        _ => "tlsv1",
    };
    let hint = match alert {
        AlertDescription::CertificateRequired => {
            " (the server requires a client certificate: set cert_file)"
        }
        AlertDescription::ProtocolVersion => {
            " (no TLS version in common: see ssl_minimum_version and ssl_maximum_version)"
        }
        AlertDescription::HandshakeFailure => {
            " (no cipher suite or parameters in common, or the client certificate was refused)"
        }
        AlertDescription::UnknownCA | AlertDescription::BadCertificate => {
            " (the server refused the client certificate)"
        }
        _ => "",
    };
    let code = format!("{prefix}_alert_{}", words.replace(' ', "_")).to_ascii_uppercase();
    format!("[SSL: {code}] {prefix} alert {words}{hint}")
}

/// `YYYY-MM-DD HH:MM:SS UTC` for a Unix time (days to civil date: Howard Hinnant's algorithm).
fn utc(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_names_match_like_openssl() {
        let cases = [
            ("localhost", "localhost", true),
            ("LocalHost", "localhost.", true),
            ("*.example.com", "www.example.com", true),
            ("*.example.com", "example.com", false),
            ("*.example.com", "a.b.example.com", false),
            ("example.com", "www.example.com", false),
        ];
        for (pattern, name, expected) in cases {
            assert_eq!(
                dns_name_matches(pattern, name),
                expected,
                "{pattern} {name}"
            );
        }
    }

    #[test]
    fn fingerprints_parse_like_urllib3() {
        let sha1 = "72:8B:55:4C:9A:FC:1E:88:A1:1C:AD:1B:B2:E7:CC:3E:DB:C8:F9:8A";
        let fp = Fingerprint::parse(sha1).unwrap();
        assert!(matches!(fp.hash, Hash::Sha1));
        assert_eq!(hex(&fp.digest), "728b554c9afc1e88a11cad1bb2e7cc3edbc8f98a");
        assert!(matches!(
            Fingerprint::parse(&"ab".repeat(16)).unwrap().hash,
            Hash::Md5
        ));
        assert!(matches!(
            Fingerprint::parse(&"AB".repeat(32)).unwrap().hash,
            Hash::Sha256
        ));
        let err = Fingerprint::parse("AA:A").unwrap_err();
        assert_eq!(err.message(), "Fingerprint of invalid length: aaa");
        let err = Fingerprint::parse(&"zz".repeat(20)).unwrap_err();
        assert_eq!(err.message(), "Non-hexadecimal digit found");
    }

    #[test]
    fn a_mismatched_fingerprint_says_both() {
        let fp = Fingerprint::parse(&"aa".repeat(20)).unwrap();
        let err = fp.check(b"certificate").unwrap_err();
        let got = hex(&fp.digest_of(b"certificate"));
        assert_eq!(got.len(), 40);
        assert_eq!(
            err.0,
            format!(
                "Fingerprints did not match. Expected \"{}\", got \"{got}\"",
                "aa".repeat(20)
            )
        );
        let pin = Fingerprint::parse(&got.to_ascii_uppercase()).unwrap();
        assert!(pin.check(b"certificate").is_ok());
    }

    #[test]
    fn presented_names_lose_their_debug_form() {
        assert_eq!(presented_name("DnsName(\"example.com\")"), "example.com");
        assert_eq!(presented_name("IpAddress(0::1)"), "::1");
        assert_eq!(presented_name("IpAddress(127.0.0.1)"), "127.0.0.1");
        assert_eq!(presented_name("plain.example"), "plain.example");
    }

    #[test]
    fn match_hostname_messages_follow_urllib3() {
        assert_eq!(
            match_hostname_message("bar", &["foo".to_owned()]),
            "hostname 'bar' doesn't match 'foo'"
        );
        assert_eq!(
            match_hostname_message("bar", &["a".to_owned(), "b".to_owned()]),
            "hostname 'bar' doesn't match either of 'a', 'b'"
        );
        assert_eq!(
            match_hostname_message("bar", &[]),
            "no appropriate subjectAltName fields were found"
        );
    }

    #[test]
    fn alerts_read_like_openssl() {
        assert_eq!(
            describe_alert(AlertDescription::HandshakeFailure),
            "[SSL: SSLV3_ALERT_HANDSHAKE_FAILURE] sslv3 alert handshake failure (no cipher \
             suite or parameters in common, or the client certificate was refused)"
        );
        assert!(describe_alert(AlertDescription::ProtocolVersion)
            .starts_with("[SSL: TLSV1_ALERT_PROTOCOL_VERSION] tlsv1 alert protocol version"));
        assert!(
            describe_alert(AlertDescription::CertificateRequired).starts_with(
                "[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required"
            )
        );
    }

    #[test]
    fn unix_times_render_as_utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(978_220_800 + 3_661), "2000-12-31 01:01:01 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
    }
}
