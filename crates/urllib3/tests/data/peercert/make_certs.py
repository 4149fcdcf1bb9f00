"""Writes the certificates that the getpeercert() tests decode (ca.pem, leaf.pem, leaf.key).

They are kept in the repository so the tests need neither this script nor `cryptography`; run it
(`python make_certs.py` in this folder, with `cryptography` installed) only to change them. The
leaf carries what Python's decoded form has keys for: string types that need converting
(T61String, BMPString, UniversalString), a multi-valued RDN, an attribute without a name, a
serial number whose DER has a sign byte, validity in both time encodings, every kind of
subjectAltName, OCSP and CA issuer URIs and CRL distribution points. Both certificates are
valid from 2000 to 2100, so the tests do not depend on today's date.
"""

from __future__ import annotations

import datetime
import ipaddress
import pathlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

HERE = pathlib.Path(__file__).resolve().parent
NOT_BEFORE = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
# After 2049, so written as a GeneralizedTime (before it, a UTCTime).
NOT_AFTER = datetime.datetime(2100, 1, 1, 12, 30, 5, tzinfo=datetime.timezone.utc)


def attr(oid: x509.ObjectIdentifier, value: str, kind: _ASN1Type | None = None) -> x509.NameAttribute:
    return x509.NameAttribute(oid, value, kind) if kind else x509.NameAttribute(oid, value)


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def main() -> None:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name(
        [
            attr(NameOID.COUNTRY_NAME, "US"),
            attr(NameOID.ORGANIZATION_NAME, "\u00d6rg T61", _ASN1Type.T61String),
            attr(NameOID.COMMON_NAME, "peercert test root \u2713", _ASN1Type.BMPString),
        ]
    )
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(0x0BADC0DE)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf_name = x509.Name(
        [
            x509.RelativeDistinguishedName([attr(NameOID.COUNTRY_NAME, "CH")]),
            x509.RelativeDistinguishedName([attr(NameOID.STATE_OR_PROVINCE_NAME, "Z\u00fcrich")]),
            x509.RelativeDistinguishedName([attr(NameOID.ORGANIZATION_NAME, "\u00dcn\u00efcode \u00d6rg")]),
            x509.RelativeDistinguishedName(
                [
                    attr(NameOID.ORGANIZATIONAL_UNIT_NAME, "Web"),
                    attr(NameOID.ORGANIZATIONAL_UNIT_NAME, "Ops"),
                ]
            ),
            x509.RelativeDistinguishedName([attr(NameOID.TITLE, "\u00fcber", _ASN1Type.UniversalString)]),
            x509.RelativeDistinguishedName([attr(NameOID.COMMON_NAME, "localhost")]),
            x509.RelativeDistinguishedName([attr(NameOID.EMAIL_ADDRESS, "ops@example.test")]),
            x509.RelativeDistinguishedName([attr(NameOID.DOMAIN_COMPONENT, "example")]),
            x509.RelativeDistinguishedName([attr(NameOID.SERIAL_NUMBER, "42")]),
            x509.RelativeDistinguishedName([attr(x509.ObjectIdentifier("1.2.3.4.5"), "private")]),
        ]
    )
    dir_name = x509.Name([attr(NameOID.COUNTRY_NAME, "DE"), attr(NameOID.COMMON_NAME, "dir name")])
    san = x509.SubjectAlternativeName(
        [
            x509.DNSName("localhost"),
            x509.DNSName("*.example.test"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1")),
            x509.IPAddress(ipaddress.ip_address("2001:db8::a:b")),
            x509.RFC822Name("ops@example.test"),
            x509.UniformResourceIdentifier("https://example.test/id"),
            x509.DirectoryName(dir_name),
            x509.RegisteredID(x509.ObjectIdentifier("1.2.3.4")),
            x509.OtherName(x509.ObjectIdentifier("1.2.3.5"), b"\x0c\x05other"),
        ]
    )
    aia = x509.AuthorityInformationAccess(
        [
            x509.AccessDescription(
                AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier("http://ocsp.example.test/")
            ),
            x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier("http://ca.example.test/ca.der"),
            ),
            x509.AccessDescription(
                AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier("http://ocsp2.example.test/")
            ),
            # Not a URI: Python leaves it out.
            x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.DNSName("ocsp3.example.test")),
        ]
    )
    crl = x509.CRLDistributionPoints(
        [
            x509.DistributionPoint(
                [
                    x509.UniformResourceIdentifier("http://crl.example.test/ca.crl"),
                    x509.DirectoryName(dir_name),
                ],
                None,
                None,
                None,
            ),
            x509.DistributionPoint([x509.UniformResourceIdentifier("ldap://crl.example.test/cn=ca")], None, None, None),
        ]
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(leaf_name)
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        # The top bit is set, so the DER integer starts with a zero byte that is not printed.
        .serial_number(0xFEDCBA9876543210)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(san, critical=False)
        .add_extension(aia, critical=False)
        .add_extension(crl, critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        # Python 3.13's default context (VERIFY_X509_STRICT) wants it.
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    (HERE / "ca.pem").write_bytes(pem(ca))
    (HERE / "leaf.pem").write_bytes(pem(leaf))
    (HERE / "leaf.key").write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )


if __name__ == "__main__":
    main()
