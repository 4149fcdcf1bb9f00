//! The server's certificate decoded the way Python's `SSLSocket.getpeercert()` presents it.
//!
//! Callers log this form and check names against it (urllib3's `match_hostname` reads
//! `subject` and `subjectAltName`), so each field is spelled as CPython's `ssl` module spells
//! it over OpenSSL: OpenSSL's long attribute names, its conversion of the ASN.1 string types,
//! its date format and its upper-case serial number. Parsing is x509-parser's.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use x509_parser::asn1_rs::{Any, Oid, Tag};
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
use x509_parser::oid_registry::{
    OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS, OID_PKIX_ACCESS_DESCRIPTOR_OCSP,
};
use x509_parser::prelude::{FromDer, X509Certificate, X509Name};
use x509_parser::time::ASN1Time;

use super::ssl_error;
use crate::error::Result;

/// A distinguished name: its relative distinguished names in order, each a list of
/// (attribute name, value) pairs (more than one for a multi-valued RDN such as `OU=a+OU=b`).
pub type DistinguishedName = Vec<Vec<(String, String)>>;

/// One `subjectAltName` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AltName {
    /// A kind named as Python names it (`"DNS"`, `"IP Address"`, `"email"`, `"URI"`,
    /// `"Registered ID"`, `"othername"`, …) and its value as text.
    Text(&'static str, String),
    /// A directory name (`"DirName"`), a name of its own.
    DirName(DistinguishedName),
}

/// A certificate's fields as Python's `getpeercert()` dict has them; empty lists stand for
/// keys that dict leaves out.
///
/// ```
/// use urllib3::connection::PeerCertificate;
///
/// assert!(PeerCertificate::from_der(b"not a certificate").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerCertificate {
    /// `subject`.
    pub subject: DistinguishedName,
    /// `issuer`.
    pub issuer: DistinguishedName,
    /// `version`: 3 for an X.509 v3 certificate.
    pub version: u32,
    /// `serialNumber`: upper-case hexadecimal, two digits a byte (`"0BADC0DE"`).
    pub serial_number: String,
    /// `notBefore`, as `"Jan  5 09:34:43 2018 GMT"`.
    pub not_before: String,
    /// `notAfter`, in the same format.
    pub not_after: String,
    /// `subjectAltName`, in the certificate's order.
    pub subject_alt_name: Vec<AltName>,
    /// `OCSP`: the OCSP responder URIs of the authority information access extension.
    pub ocsp: Vec<String>,
    /// `caIssuers`: the URIs of the issuer's certificate, from the same extension.
    pub ca_issuers: Vec<String>,
    /// `crlDistributionPoints`: the URIs of the CRL distribution points.
    pub crl_distribution_points: Vec<String>,
}

impl PeerCertificate {
    /// Decodes a DER certificate; a certificate that does not parse is an `SSLError`.
    pub fn from_der(der: &[u8]) -> Result<PeerCertificate> {
        let (_, cert) = X509Certificate::from_der(der)
            .map_err(|e| ssl_error(format!("cannot decode the peer certificate: {e}")))?;
        let mut decoded = PeerCertificate {
            subject: name(cert.subject()),
            issuer: name(cert.issuer()),
            version: cert.version().0.saturating_add(1),
            serial_number: serial(cert.raw_serial()),
            not_before: date(&cert.validity().not_before),
            not_after: date(&cert.validity().not_after),
            subject_alt_name: Vec::new(),
            ocsp: Vec::new(),
            ca_issuers: Vec::new(),
            crl_distribution_points: Vec::new(),
        };
        // Read one by one rather than looked up as unique: a repeated extension (which RFC
        // 5280 forbids) adds its entries instead of failing the decode, as CPython does for
        // subjectAltName.
        for ext in cert.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::SubjectAlternativeName(san) => decoded
                    .subject_alt_name
                    .extend(san.general_names.iter().map(alt_name)),
                ParsedExtension::AuthorityInfoAccess(aia) => {
                    for desc in aia.iter() {
                        let GeneralName::URI(uri) = desc.access_location else {
                            continue;
                        };
                        if desc.access_method == OID_PKIX_ACCESS_DESCRIPTOR_OCSP {
                            decoded.ocsp.push(uri.to_owned());
                        } else if desc.access_method == OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS {
                            decoded.ca_issuers.push(uri.to_owned());
                        }
                    }
                }
                ParsedExtension::CRLDistributionPoints(points) => {
                    for point in points.iter() {
                        let Some(DistributionPointName::FullName(names)) =
                            &point.distribution_point
                        else {
                            continue;
                        };
                        decoded
                            .crl_distribution_points
                            .extend(names.iter().filter_map(|n| match n {
                                GeneralName::URI(uri) => Some((*uri).to_owned()),
                                _ => None,
                            }));
                    }
                }
                _ => {}
            }
        }
        Ok(decoded)
    }
}

fn name(name: &X509Name<'_>) -> DistinguishedName {
    name.iter()
        .map(|rdn| {
            rdn.iter()
                .map(|attr| (oid_name(attr.attr_type()), text(attr.attr_value())))
                .collect()
        })
        .collect()
}

/// OpenSSL's long name for an attribute or identifier, or the dotted form it falls back to.
fn oid_name(oid: &Oid<'_>) -> String {
    let dotted = oid.to_id_string();
    match LONG_NAMES.iter().find(|(id, _)| *id == dotted) {
        Some((_, long)) => (*long).to_owned(),
        None => dotted,
    }
}

/// Attribute OIDs and OpenSSL's long names for them (checked against CPython 3.11 on
/// OpenSSL 3.0 by decoding a certificate with each).
const LONG_NAMES: &[(&str, &str)] = &[
    ("2.5.4.3", "commonName"),
    ("2.5.4.4", "surname"),
    ("2.5.4.5", "serialNumber"),
    ("2.5.4.6", "countryName"),
    ("2.5.4.7", "localityName"),
    ("2.5.4.8", "stateOrProvinceName"),
    ("2.5.4.9", "streetAddress"),
    ("2.5.4.10", "organizationName"),
    ("2.5.4.11", "organizationalUnitName"),
    ("2.5.4.12", "title"),
    ("2.5.4.13", "description"),
    ("2.5.4.14", "searchGuide"),
    ("2.5.4.15", "businessCategory"),
    ("2.5.4.16", "postalAddress"),
    ("2.5.4.17", "postalCode"),
    ("2.5.4.18", "postOfficeBox"),
    ("2.5.4.19", "physicalDeliveryOfficeName"),
    ("2.5.4.20", "telephoneNumber"),
    ("2.5.4.21", "telexNumber"),
    ("2.5.4.22", "teletexTerminalIdentifier"),
    ("2.5.4.23", "facsimileTelephoneNumber"),
    ("2.5.4.24", "x121Address"),
    ("2.5.4.25", "internationaliSDNNumber"),
    ("2.5.4.26", "registeredAddress"),
    ("2.5.4.27", "destinationIndicator"),
    ("2.5.4.28", "preferredDeliveryMethod"),
    ("2.5.4.29", "presentationAddress"),
    ("2.5.4.30", "supportedApplicationContext"),
    ("2.5.4.31", "member"),
    ("2.5.4.32", "owner"),
    ("2.5.4.33", "roleOccupant"),
    ("2.5.4.34", "seeAlso"),
    ("2.5.4.35", "userPassword"),
    ("2.5.4.36", "userCertificate"),
    ("2.5.4.37", "cACertificate"),
    ("2.5.4.38", "authorityRevocationList"),
    ("2.5.4.39", "certificateRevocationList"),
    ("2.5.4.40", "crossCertificatePair"),
    ("2.5.4.41", "name"),
    ("2.5.4.42", "givenName"),
    ("2.5.4.43", "initials"),
    ("2.5.4.44", "generationQualifier"),
    ("2.5.4.45", "x500UniqueIdentifier"),
    ("2.5.4.46", "dnQualifier"),
    ("2.5.4.47", "enhancedSearchGuide"),
    ("2.5.4.48", "protocolInformation"),
    ("2.5.4.49", "distinguishedName"),
    ("2.5.4.50", "uniqueMember"),
    ("2.5.4.51", "houseIdentifier"),
    ("2.5.4.52", "supportedAlgorithms"),
    ("2.5.4.53", "deltaRevocationList"),
    ("2.5.4.54", "dmdName"),
    ("2.5.4.65", "pseudonym"),
    ("2.5.4.72", "role"),
    ("2.5.4.97", "organizationIdentifier"),
    ("2.5.4.98", "countryCode3c"),
    ("2.5.4.99", "countryCode3n"),
    ("2.5.4.100", "dnsName"),
    ("1.2.840.113549.1.9.1", "emailAddress"),
    ("1.2.840.113549.1.9.2", "unstructuredName"),
    ("1.2.840.113549.1.9.7", "challengePassword"),
    ("1.2.840.113549.1.9.8", "unstructuredAddress"),
    ("0.9.2342.19200300.100.1.1", "userId"),
    ("0.9.2342.19200300.100.1.2", "textEncodedORAddress"),
    ("0.9.2342.19200300.100.1.3", "rfc822Mailbox"),
    ("0.9.2342.19200300.100.1.4", "info"),
    ("0.9.2342.19200300.100.1.5", "favouriteDrink"),
    ("0.9.2342.19200300.100.1.6", "roomNumber"),
    ("0.9.2342.19200300.100.1.10", "manager"),
    ("0.9.2342.19200300.100.1.20", "homeTelephoneNumber"),
    ("0.9.2342.19200300.100.1.25", "domainComponent"),
    ("0.9.2342.19200300.100.1.37", "associatedDomain"),
    ("0.9.2342.19200300.100.1.41", "mobileTelephoneNumber"),
    ("0.9.2342.19200300.100.1.42", "pagerTelephoneNumber"),
    ("0.9.2342.19200300.100.1.43", "friendlyCountryName"),
    ("0.9.2342.19200300.100.1.44", "uniqueIdentifier"),
    ("0.9.2342.19200300.100.1.48", "buildingName"),
    ("0.9.2342.19200300.100.1.55", "audio"),
    ("1.3.6.1.4.1.311.60.2.1.1", "jurisdictionLocalityName"),
    (
        "1.3.6.1.4.1.311.60.2.1.2",
        "jurisdictionStateOrProvinceName",
    ),
    ("1.3.6.1.4.1.311.60.2.1.3", "jurisdictionCountryName"),
    ("1.3.6.1.5.5.7.9.1", "id-pda-dateOfBirth"),
    ("1.3.6.1.5.5.7.9.2", "id-pda-placeOfBirth"),
    ("1.3.6.1.5.5.7.9.3", "id-pda-gender"),
    ("1.3.6.1.5.5.7.9.4", "id-pda-countryOfCitizenship"),
    ("1.3.6.1.5.5.7.9.5", "id-pda-countryOfResidence"),
    ("1.2.643.3.131.1.1", "INN"),
    ("1.2.643.100.1", "OGRN"),
    ("1.2.643.100.3", "SNILS"),
    ("1.2.643.100.5", "OGRNIP"),
];

/// An attribute value as text, converted as OpenSSL's `ASN1_STRING_to_UTF8` does: the
/// one-byte string types map each byte to the code point of that value (so a T61String holding
/// UTF-8 reads as Latin-1, as in Python), BMPString is UTF-16 and UniversalString UTF-32.
fn text(value: &Any<'_>) -> String {
    let data = value.data;
    match value.tag() {
        Tag::BmpString => {
            let units = data.chunks(2).map(|c| {
                u16::from_be_bytes([
                    c.first().copied().unwrap_or(0),
                    c.get(1).copied().unwrap_or(0),
                ])
            });
            char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect()
        }
        Tag::UniversalString => data
            .chunks(4)
            .map(|c| {
                let mut word = [0u8; 4];
                word[..c.len()].copy_from_slice(c);
                char::from_u32(u32::from_be_bytes(word)).unwrap_or(char::REPLACEMENT_CHARACTER)
            })
            .collect(),
        Tag::NumericString
        | Tag::PrintableString
        | Tag::T61String
        | Tag::VideotexString
        | Tag::Ia5String
        | Tag::GraphicString
        | Tag::VisibleString
        | Tag::GeneralString => data.iter().map(|&b| char::from(b)).collect(),
        _ => String::from_utf8_lossy(data).into_owned(),
    }
}

/// The serial number as OpenSSL prints an integer: the magnitude's bytes in upper-case hex,
/// without the sign byte DER adds before a high bit, and `-` before a negative one.
fn serial(raw: &[u8]) -> String {
    let negative = raw.first().is_some_and(|b| b & 0x80 != 0);
    let magnitude: Vec<u8> = if negative {
        twos_complement(raw)
    } else {
        match raw {
            [0, rest @ ..] if !rest.is_empty() => rest.to_vec(),
            _ => raw.to_vec(),
        }
    };
    let mut out = String::from(if negative { "-" } else { "" });
    if magnitude.is_empty() {
        out.push_str("00");
    }
    for b in magnitude {
        let _ = write!(out, "{b:02X}");
    }
    out
}

/// The magnitude of a negative big-endian two's complement number, without leading zeros.
fn twos_complement(raw: &[u8]) -> Vec<u8> {
    let mut bytes: Vec<u8> = raw.iter().map(|b| !b).collect();
    for b in bytes.iter_mut().rev() {
        let (sum, carry) = b.overflowing_add(1);
        *b = sum;
        if !carry {
            break;
        }
    }
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.split_off(first)
}

/// OpenSSL's `ASN1_TIME_print` form: `"Jan  5 09:34:43 2018 GMT"` (the day padded to two).
fn date(time: &ASN1Time) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let t = time.to_datetime();
    let month = MONTHS
        .get(usize::from(u8::from(t.month())).saturating_sub(1))
        .copied()
        .unwrap_or("???");
    format!(
        "{month} {:>2} {:02}:{:02}:{:02} {} GMT",
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.year()
    )
}

fn alt_name(general: &GeneralName<'_>) -> AltName {
    let text = |kind: &'static str, value: String| AltName::Text(kind, value);
    match general {
        GeneralName::DNSName(s) => text("DNS", (*s).to_owned()),
        GeneralName::RFC822Name(s) => text("email", (*s).to_owned()),
        GeneralName::URI(s) => text("URI", (*s).to_owned()),
        GeneralName::IPAddress(bytes) => text("IP Address", ip_text(bytes)),
        GeneralName::DirectoryName(n) => AltName::DirName(name(n)),
        GeneralName::RegisteredID(oid) => text("Registered ID", oid_name(oid)),
        GeneralName::OtherName(..) => text("othername", "<unsupported>".to_owned()),
        GeneralName::X400Address(_) => text("X400Name", "<unsupported>".to_owned()),
        GeneralName::EDIPartyName(_) => text("EdiPartyName", "<unsupported>".to_owned()),
        // A string name whose bytes are not UTF-8 (x509-parser gives them up): Python reads
        // the bytes too, so keep what can be read under the kind the tag says.
        GeneralName::Invalid(tag, bytes) => {
            let kind = match tag.0 {
                1 => "email",
                2 => "DNS",
                6 => "URI",
                _ => "othername",
            };
            text(kind, String::from_utf8_lossy(bytes).into_owned())
        }
    }
}

/// An IP address as Python writes one: dotted IPv4, or IPv6 as eight upper-case groups with
/// nothing compressed (`0:0:0:0:0:0:0:1`).
fn ip_text(bytes: &[u8]) -> String {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        return Ipv4Addr::from(v4).to_string();
    }
    if let Ok(v6) = <[u8; 16]>::try_from(bytes) {
        let groups: Vec<String> = Ipv6Addr::from(v6)
            .segments()
            .iter()
            .map(|g| format!("{g:X}"))
            .collect();
        return groups.join(":");
    }
    "<invalid>".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_print_as_openssl_prints_integers() {
        assert_eq!(serial(&[0x0B, 0xAD, 0xC0, 0xDE]), "0BADC0DE");
        assert_eq!(serial(&[0x00, 0xFE, 0xDC]), "FEDC");
        assert_eq!(serial(&[0x00]), "00");
        assert_eq!(serial(&[]), "00");
        assert_eq!(serial(&[0xFF]), "-01");
        assert_eq!(serial(&[0xFF, 0x00]), "-0100");
        assert_eq!(serial(&[0x80]), "-80");
    }

    #[test]
    fn addresses_print_as_python_prints_them() {
        assert_eq!(ip_text(&[127, 0, 0, 1]), "127.0.0.1");
        let mut v6 = [0u8; 16];
        v6[15] = 1;
        assert_eq!(ip_text(&v6), "0:0:0:0:0:0:0:1");
        let doc: Ipv6Addr = "2001:db8::a:b".parse().unwrap();
        assert_eq!(ip_text(&doc.octets()), "2001:DB8:0:0:0:0:A:B");
        assert_eq!(ip_text(&[1, 2, 3]), "<invalid>");
    }

    #[test]
    fn string_types_convert_as_openssl_converts_them() {
        let any = |tag, data| Any::from_tag_and_data(tag, data);
        assert_eq!(text(&any(Tag::T61String, "Ö".as_bytes())), "Ã\u{96}");
        assert_eq!(text(&any(Tag::BmpString, &[0x00, 0xFC, 0x27, 0x13])), "ü✓");
        assert_eq!(text(&any(Tag::UniversalString, &[0, 0, 0, 0xFC])), "ü");
        assert_eq!(text(&any(Tag::Utf8String, "Zürich".as_bytes())), "Zürich");
        // An odd trailing byte is not lost silently.
        assert_eq!(text(&any(Tag::BmpString, &[0x00, 0x41, 0x00])), "A\u{0}");
    }
}
