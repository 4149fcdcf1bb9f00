//! Reading certificates and private keys: PEM (with the headers of OpenSSL's traditional
//! encryption), DER, and the encrypted key formats OpenSSL writes.
//!
//! The PEM reader is our own rather than a crate's because it must keep the `Proc-Type` and
//! `DEK-Info` headers that traditional encrypted keys carry, which PEM parsers for certificates
//! reject or drop.

use std::path::Path;

use base64::Engine as _;
use rustls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer,
};

use super::{read_file, ssl_error};
use crate::error::{Error, Result};

/// One `-----BEGIN label-----` block.
pub(super) struct Pem {
    label: String,
    headers: Vec<(String, String)>,
    der: Vec<u8>,
}

impl Pem {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Every PEM block in `text`. Text around the blocks (`openssl x509 -text` output, bag
/// attributes) is ignored, as OpenSSL does.
pub(super) fn parse_pem(text: &[u8]) -> std::result::Result<Vec<Pem>, String> {
    let text = String::from_utf8_lossy(text);
    let mut blocks = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut headers = Vec::new();
        let mut body = String::new();
        let mut closed = false;
        for line in lines.by_ref() {
            if line == end {
                closed = true;
                break;
            }
            match line.split_once(':') {
                Some((name, value)) if body.is_empty() => {
                    headers.push((name.trim().to_owned(), value.trim().to_owned()));
                }
                _ => body.push_str(line),
            }
        }
        if !closed {
            return Err(format!("PEM block {label:?} has no END line"));
        }
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|e| format!("PEM block {label:?} is not valid base64: {e}"))?;
        blocks.push(Pem {
            label: label.to_owned(),
            headers,
            der,
        });
    }
    Ok(blocks)
}

/// The certificates in a PEM file or text; a file with no PEM at all is read as DER.
pub(super) fn certificates(
    bytes: &[u8],
) -> std::result::Result<Vec<CertificateDer<'static>>, String> {
    let blocks = parse_pem(bytes)?;
    if blocks.is_empty() && bytes.first() == Some(&0x30) {
        return der_certificates(bytes);
    }
    Ok(blocks
        .into_iter()
        .filter(|b| b.label == "CERTIFICATE" || b.label == "TRUSTED CERTIFICATE")
        .map(|b| CertificateDer::from(b.der))
        .collect())
}

/// Concatenated DER certificates, split by their outer lengths (Python's `cadata` as bytes).
pub(super) fn der_certificates(
    mut bytes: &[u8],
) -> std::result::Result<Vec<CertificateDer<'static>>, String> {
    let mut certs = Vec::new();
    while !bytes.is_empty() {
        let len = der_len(bytes).ok_or("not a DER certificate (bad length)")?;
        certs.push(CertificateDer::from(bytes[..len].to_vec()));
        bytes = &bytes[len..];
    }
    Ok(certs)
}

/// The total length (header included) of the DER SEQUENCE at the start of `bytes`.
fn der_len(bytes: &[u8]) -> Option<usize> {
    if bytes.first() != Some(&0x30) {
        return None;
    }
    let first = *bytes.get(1)?;
    let (header, len) = if first < 0x80 {
        (2, usize::from(first))
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let len = bytes
            .get(2..2 + n)?
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (2 + n, len)
    };
    let total = header.checked_add(len)?;
    (total <= bytes.len()).then_some(total)
}

/// Every certificate in the files of `dir` (OpenSSL's `-CApath`): hashed names such as
/// `81deb5f7.0` and plain ones alike; files that hold no certificate are passed over.
pub(super) fn directory_certificates(dir: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        ssl_error(format!(
            "ca_cert_dir: {}: '{}'",
            crate::connection::os_error_text(&e),
            dir.display()
        ))
        .with_source(e)
    })?;
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    // A stable order makes the trust store the same from run to run.
    paths.sort();
    let mut certs = Vec::new();
    for path in paths {
        // `is_file` follows symlinks, which is how c_rehash makes its hashed names.
        if !path.is_file() {
            continue;
        }
        if let Ok(found) = std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|b| certificates(&b))
        {
            certs.extend(found);
        }
    }
    Ok(certs)
}

/// Labels of unencrypted (or traditionally encrypted) private keys, and the encrypted PKCS#8 one.
const KEY_LABELS: [&str; 4] = [
    "PRIVATE KEY",
    "RSA PRIVATE KEY",
    "EC PRIVATE KEY",
    "ENCRYPTED PRIVATE KEY",
];

/// The client certificate chain from `cert_file` and the key from `key_file` (or from
/// `cert_file` when there is no key file), decrypted with `password` when encrypted.
pub(super) fn client_identity(
    cert_file: &Path,
    key_file: Option<&Path>,
    password: Option<&str>,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let cert_bytes = read_file(cert_file, "cert_file")?;
    let cert_blocks = parse_pem(&cert_bytes).map_err(|e| {
        ssl_error(format!(
            "[SSL] PEM lib: cert_file {}: {e}",
            cert_file.display()
        ))
    })?;
    let chain: Vec<CertificateDer<'static>> = cert_blocks
        .iter()
        .filter(|b| b.label == "CERTIFICATE")
        .map(|b| CertificateDer::from(b.der.clone()))
        .collect();
    if chain.is_empty() {
        return Err(ssl_error(format!(
            "[SSL] PEM lib: no certificate found in cert_file {}",
            cert_file.display()
        )));
    }
    let (key_blocks, key_path) = match key_file {
        Some(path) => {
            let bytes = read_file(path, "key_file")?;
            let blocks = parse_pem(&bytes).map_err(|e| {
                ssl_error(format!("[SSL] PEM lib: key_file {}: {e}", path.display()))
            })?;
            (blocks, path)
        }
        None => (cert_blocks, cert_file),
    };
    let block = key_blocks
        .into_iter()
        .find(|b| KEY_LABELS.contains(&b.label.as_str()))
        .ok_or_else(|| {
            ssl_error(format!(
                "[SSL] PEM lib: no private key found in {}",
                key_path.display()
            ))
        })?;
    let key = private_key(block, password)
        .map_err(|e| e.prefixed(&format!("key_file {}", key_path.display())))?;
    Ok((chain, key))
}

/// urllib3's message for an encrypted key without a password.
const PASSWORD_REQUIRED: &str = "Client private key is encrypted, password is required";

/// The key in `block`, decrypted if it is encrypted.
fn private_key(block: Pem, password: Option<&str>) -> Result<PrivateKeyDer<'static>> {
    if block.label == "ENCRYPTED PRIVATE KEY" {
        let password = password.ok_or_else(|| ssl_error(PASSWORD_REQUIRED))?;
        let der = decrypt_pkcs8(&block.der, password)?;
        return Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der)));
    }
    let der = match block.header("Proc-Type") {
        Some(proc_type) if proc_type.contains("ENCRYPTED") => {
            let password = password.ok_or_else(|| ssl_error(PASSWORD_REQUIRED))?;
            let dek_info = block.header("DEK-Info").ok_or_else(|| {
                ssl_error("[SSL] PEM lib: an encrypted PEM key without a DEK-Info header")
            })?;
            legacy::decrypt(dek_info, password.as_bytes(), &block.der)?
        }
        _ => block.der,
    };
    Ok(match block.label.as_str() {
        "RSA PRIVATE KEY" => PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(der)),
        "EC PRIVATE KEY" => PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(der)),
        _ => PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der)),
    })
}

/// The error for a key that does not decrypt: a wrong password, almost always.
fn bad_decrypt(detail: impl std::fmt::Display) -> Error {
    ssl_error(format!(
        "[SSL: BAD_DECRYPT] bad decrypt: the client private key did not decrypt; is key_password \
         right? ({detail})"
    ))
}

/// PKCS#8 `EncryptedPrivateKeyInfo` (PBES2 with PBKDF2 or scrypt, AES-CBC or DES-EDE3-CBC).
fn decrypt_pkcs8(der: &[u8], password: &str) -> Result<Vec<u8>> {
    let info = pkcs8::EncryptedPrivateKeyInfo::try_from(der).map_err(|e| {
        ssl_error(format!(
            "[SSL] PEM lib: the encrypted private key is malformed or uses an unsupported \
             scheme ({e})"
        ))
    })?;
    let document = info.decrypt(password).map_err(bad_decrypt)?;
    Ok(document.as_bytes().to_vec())
}

/// OpenSSL's traditional PEM encryption: the key is `EVP_BytesToKey(MD5, password, iv[..8])`
/// and the body is CBC-encrypted with PKCS#7 padding.
mod legacy {
    use cbc::cipher::block_padding::Pkcs7;
    use cbc::cipher::{BlockDecryptMut, KeyIvInit};
    use md5::{Digest, Md5};

    use super::{bad_decrypt, der_len};
    use crate::connection::tls::ssl_error;
    use crate::error::Result;

    /// Decrypts `data` as the `DEK-Info` header (`AES-256-CBC,<hex iv>`) says.
    pub(super) fn decrypt(dek_info: &str, password: &[u8], data: &[u8]) -> Result<Vec<u8>> {
        let (cipher, iv_hex) = dek_info
            .split_once(',')
            .ok_or_else(|| ssl_error(format!("[SSL] PEM lib: bad DEK-Info {dek_info:?}")))?;
        let iv = unhex(iv_hex.trim())
            .ok_or_else(|| ssl_error(format!("[SSL] PEM lib: bad IV in DEK-Info {dek_info:?}")))?;
        let cipher = cipher.trim().to_ascii_uppercase();
        let key_len = match cipher.as_str() {
            "AES-128-CBC" => 16,
            "AES-192-CBC" | "DES-EDE3-CBC" => 24,
            "AES-256-CBC" => 32,
            "DES-CBC" => 8,
            other => {
                return Err(ssl_error(format!(
                    "[SSL] PEM lib: unsupported PEM encryption {other} (supported: AES-128-CBC, \
                     AES-192-CBC, AES-256-CBC, DES-EDE3-CBC, DES-CBC)"
                )))
            }
        };
        if iv.len() < 8 {
            return Err(ssl_error("[SSL] PEM lib: the DEK-Info IV is too short"));
        }
        let key = evp_bytes_to_key(password, &iv[..8], key_len);
        let mut buf = data.to_vec();
        let plain = match cipher.as_str() {
            "AES-128-CBC" => cbc_decrypt::<aes::Aes128>(&key, &iv, &mut buf),
            "AES-192-CBC" => cbc_decrypt::<aes::Aes192>(&key, &iv, &mut buf),
            "AES-256-CBC" => cbc_decrypt::<aes::Aes256>(&key, &iv, &mut buf),
            "DES-EDE3-CBC" => cbc_decrypt::<des::TdesEde3>(&key, &iv, &mut buf),
            _ => cbc_decrypt::<des::Des>(&key, &iv, &mut buf),
        }?;
        // A wrong password yields valid padding one time in 256; the DER length check catches
        // nearly all of those.
        if der_len(&plain) != Some(plain.len()) {
            return Err(bad_decrypt("the decrypted key is not DER"));
        }
        Ok(plain)
    }

    fn cbc_decrypt<C>(key: &[u8], iv: &[u8], buf: &mut [u8]) -> Result<Vec<u8>>
    where
        C: cbc::cipher::BlockDecryptMut + cbc::cipher::BlockCipher + cbc::cipher::KeyInit,
        cbc::Decryptor<C>: KeyIvInit,
    {
        let decryptor = cbc::Decryptor::<C>::new_from_slices(key, iv)
            .map_err(|_| ssl_error("[SSL] PEM lib: the DEK-Info IV has the wrong length"))?;
        decryptor
            .decrypt_padded_mut::<Pkcs7>(buf)
            .map(<[u8]>::to_vec)
            .map_err(|_| bad_decrypt("bad padding"))
    }

    /// OpenSSL's `EVP_BytesToKey` with MD5 and one iteration:
    /// `D_i = MD5(D_{i-1} || password || salt)`, concatenated up to the key length.
    pub(super) fn evp_bytes_to_key(password: &[u8], salt: &[u8], key_len: usize) -> Vec<u8> {
        let mut key = Vec::with_capacity(key_len + 16);
        let mut previous: Vec<u8> = Vec::new();
        while key.len() < key_len {
            let mut md5 = Md5::new();
            md5.update(&previous);
            md5.update(password);
            md5.update(salt);
            previous = md5.finalize().to_vec();
            key.extend_from_slice(&previous);
        }
        key.truncate(key_len);
        key
    }

    fn unhex(text: &str) -> Option<Vec<u8>> {
        if text.len() % 2 != 0 {
            return None;
        }
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_keep_headers_and_skip_surrounding_text() {
        let text = b"Bag Attributes\n-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
            DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\nAAEC\n-----END EC PRIVATE KEY-----\n\
            junk\n-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
        let blocks = parse_pem(text).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].label, "EC PRIVATE KEY");
        assert_eq!(blocks[0].header("proc-type"), Some("4,ENCRYPTED"));
        assert_eq!(
            blocks[0].header("DEK-Info"),
            Some("AES-128-CBC,00112233445566778899AABBCCDDEEFF")
        );
        assert_eq!(blocks[0].der, [0, 1, 2]);
        assert_eq!(certificates(text).unwrap().len(), 1);
        assert!(parse_pem(b"-----BEGIN X-----\nAAAA\n").is_err());
    }

    #[test]
    fn concatenated_der_certificates_split_by_length() {
        let one = [0x30, 0x03, 1, 2, 3];
        let two = [0x30, 0x81, 0x01, 9];
        let both = [&one[..], &two[..]].concat();
        let certs = der_certificates(&both).unwrap();
        assert_eq!(certs.len(), 2);
        assert_eq!(certs[1].as_ref(), &two);
        assert!(der_certificates(&[0x30, 0x05, 1]).is_err());
        assert!(der_certificates(&[0x02, 0x01, 1]).is_err());
    }

    #[test]
    fn evp_bytes_to_key_matches_openssl() {
        // `openssl enc -aes-256-cbc -k letmein -S 0102030405060708 -P -md md5` prints this key.
        let key = legacy::evp_bytes_to_key(b"letmein", &[1, 2, 3, 4, 5, 6, 7, 8], 32);
        assert_eq!(
            key.iter().map(|b| format!("{b:02X}")).collect::<String>(),
            EXPECTED_KEY
        );
    }

    const EXPECTED_KEY: &str = "A32062133DAEBF996804A371DB7AFE03A6F0C93FD053C138DF848FA389D76FB1";

    #[test]
    fn encrypted_keys_need_a_password() {
        let block = Pem {
            label: "ENCRYPTED PRIVATE KEY".to_owned(),
            headers: Vec::new(),
            der: vec![0x30, 0x00],
        };
        let err = private_key(block, None).unwrap_err();
        assert_eq!(err.message(), PASSWORD_REQUIRED);
    }
}
