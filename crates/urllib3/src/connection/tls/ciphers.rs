//! `ciphers`: OpenSSL cipher lists mapped onto the suites rustls has.
//!
//! rustls (ring) has three TLS 1.3 suites and six TLS 1.2 ones, all ECDHE with AEAD ciphers.
//! OpenSSL's `set_ciphers`, which urllib3 calls, takes a list like
//! `ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!MD5` that selects among the TLS 1.2 suites (TLS 1.3
//! suites are configured apart and stay on). This module evaluates such lists over rustls's
//! suites: names (OpenSSL's or IANA's) and the aliases that describe them (`ECDHE`, `aRSA`,
//! `AESGCM`, `HIGH`, …), `+` for "and", `!`/`-` to remove, `+name` to move to the end.
//! Aliases that only describe ciphers rustls lacks (`DHE`, `aNULL`, `3DES`, …) select nothing,
//! which is harmless; a name rustls lacks, or a word OpenSSL would not know, is an error that
//! says so, rather than a silently different cipher set.

use rustls::crypto::{ring, CryptoProvider};
use rustls::{CipherSuite, SupportedCipherSuite, SupportedProtocolVersion};

use super::ssl_error;
use crate::error::Result;

/// A suite rustls has, with its OpenSSL name, its IANA name and the aliases it belongs to.
struct Suite {
    openssl: &'static str,
    iana: &'static str,
    suite: SupportedCipherSuite,
    aliases: &'static [&'static str],
}

/// Aliases every TLS 1.2 suite here belongs to: ECDHE key exchange, AEAD, TLS 1.2-only.
const COMMON_12: &[&str] = &[
    "ALL", "DEFAULT", "HIGH", "ECDHE", "EECDH", "kECDHE", "kEECDH", "ECDH", "AEAD", "TLSv1.2",
];

fn suites() -> [Suite; 9] {
    use ring::cipher_suite as cs;
    [
        Suite {
            openssl: "TLS_AES_256_GCM_SHA384",
            iana: "TLS_AES_256_GCM_SHA384",
            suite: cs::TLS13_AES_256_GCM_SHA384,
            aliases: &[],
        },
        Suite {
            openssl: "TLS_AES_128_GCM_SHA256",
            iana: "TLS_AES_128_GCM_SHA256",
            suite: cs::TLS13_AES_128_GCM_SHA256,
            aliases: &[],
        },
        Suite {
            openssl: "TLS_CHACHA20_POLY1305_SHA256",
            iana: "TLS_CHACHA20_POLY1305_SHA256",
            suite: cs::TLS13_CHACHA20_POLY1305_SHA256,
            aliases: &[],
        },
        Suite {
            openssl: "ECDHE-ECDSA-AES256-GCM-SHA384",
            iana: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            suite: cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            aliases: &["aECDSA", "ECDSA", "AESGCM", "AES", "AES256", "SHA384"],
        },
        Suite {
            openssl: "ECDHE-ECDSA-AES128-GCM-SHA256",
            iana: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            suite: cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            aliases: &["aECDSA", "ECDSA", "AESGCM", "AES", "AES128", "SHA256"],
        },
        Suite {
            openssl: "ECDHE-ECDSA-CHACHA20-POLY1305",
            iana: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            suite: cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            aliases: &["aECDSA", "ECDSA", "CHACHA20", "SHA256"],
        },
        Suite {
            openssl: "ECDHE-RSA-AES256-GCM-SHA384",
            iana: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            suite: cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            aliases: &["aRSA", "AESGCM", "AES", "AES256", "SHA384"],
        },
        Suite {
            openssl: "ECDHE-RSA-AES128-GCM-SHA256",
            iana: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            suite: cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            aliases: &["aRSA", "AESGCM", "AES", "AES128", "SHA256"],
        },
        Suite {
            openssl: "ECDHE-RSA-CHACHA20-POLY1305",
            iana: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            suite: cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
            aliases: &["aRSA", "CHACHA20", "SHA256"],
        },
    ]
}

/// OpenSSL aliases that describe only ciphers rustls does not have: they select nothing.
const EMPTY_ALIASES: &[&str] = &[
    "aNULL",
    "eNULL",
    "NULL",
    "COMPLEMENTOFALL",
    "COMPLEMENTOFDEFAULT",
    "kRSA",
    "RSA",
    "DHE",
    "EDH",
    "kDHE",
    "kEDH",
    "DH",
    "kDH",
    "ADH",
    "AECDH",
    "aDSS",
    "DSS",
    "aDH",
    "aECDH",
    "PSK",
    "kPSK",
    "aPSK",
    "ECDHEPSK",
    "DHEPSK",
    "RSAPSK",
    "SRP",
    "kSRP",
    "aSRP",
    "RC4",
    "RC2",
    "3DES",
    "DES",
    "IDEA",
    "SEED",
    "CAMELLIA",
    "CAMELLIA128",
    "CAMELLIA256",
    "ARIA",
    "ARIA128",
    "ARIA256",
    "ARIAGCM",
    "CCM",
    "CCM8",
    "AESCCM",
    "AESCCM8",
    "MD5",
    "SHA1",
    "SHA",
    "EXPORT",
    "EXP",
    "LOW",
    "MEDIUM",
    "SSLv3",
    "TLSv1",
    "TLSv1.0",
    "GOST94",
    "GOST89MAC",
    "aGOST",
    "aGOST01",
    "kGOST",
    "SUITEB128",
    "SUITEB128ONLY",
    "SUITEB192",
];

/// The OpenSSL name of a negotiated suite (what Python's `SSLSocket.cipher()` reports).
pub(crate) fn openssl_name(suite: CipherSuite) -> Option<&'static str> {
    suites()
        .into_iter()
        .find(|s| s.suite.suite() == suite)
        .map(|s| s.openssl)
}

/// The ring provider with the suites `ciphers` selects (all of them without a list), keeping
/// only those usable with one of `versions`.
pub(super) fn provider(
    ciphers: Option<&str>,
    versions: &[&'static SupportedProtocolVersion],
) -> Result<CryptoProvider> {
    let mut provider = ring::default_provider();
    let chosen = match ciphers {
        None => provider.cipher_suites.clone(),
        Some(list) => select(list)?,
    };
    provider.cipher_suites = chosen
        .into_iter()
        .filter(|s| versions.iter().any(|v| v.version == s.version().version))
        .collect();
    if provider.cipher_suites.is_empty() {
        return Err(ssl_error(format!(
            "No cipher can be selected. (ciphers={:?} leaves no suite for the TLS versions \
             allowed)",
            ciphers.unwrap_or_default()
        )));
    }
    Ok(provider)
}

/// Evaluates an OpenSSL cipher list: TLS 1.3 suites first (all of them unless the list names
/// some), then the TLS 1.2 suites the list selects, in its order.
fn select(list: &str) -> Result<Vec<SupportedCipherSuite>> {
    let all = suites();
    let is13 = |s: &Suite| s.aliases.is_empty();
    let mut selected: Vec<usize> = Vec::new();
    let mut killed: Vec<usize> = Vec::new();
    let mut named13: Vec<usize> = Vec::new();
    for word in list.split([':', ',', ' ', ';']).filter(|w| !w.is_empty()) {
        if word.starts_with('@') {
            // @STRENGTH and @SECLEVEL=n order or filter by strength: every suite here is
            // strong, so neither changes the selection.
            continue;
        }
        let (op, term) = match word.as_bytes()[0] {
            b'!' | b'-' | b'+' => (Some(word.as_bytes()[0]), &word[1..]),
            _ => (None, word),
        };
        let matches = matching(&all, term)?;
        let (v13, v12): (Vec<usize>, Vec<usize>) =
            matches.into_iter().partition(|&i| is13(&all[i]));
        match op {
            Some(b'!') => {
                selected.retain(|i| !v12.contains(i));
                named13.retain(|i| !v13.contains(i));
                killed.extend(v12);
            }
            Some(b'-') => {
                selected.retain(|i| !v12.contains(i));
                named13.retain(|i| !v13.contains(i));
            }
            Some(_) => {
                let (moved, kept): (Vec<usize>, Vec<usize>) =
                    selected.iter().partition(|i| v12.contains(i));
                selected = kept.into_iter().chain(moved).collect();
            }
            None => {
                for i in v12 {
                    if !selected.contains(&i) && !killed.contains(&i) {
                        selected.push(i);
                    }
                }
                for i in v13 {
                    if !named13.contains(&i) {
                        named13.push(i);
                    }
                }
            }
        }
    }
    let tls13: Vec<usize> = if named13.is_empty() {
        (0..all.len()).filter(|&i| is13(&all[i])).collect()
    } else {
        named13
    };
    Ok(tls13
        .into_iter()
        .chain(selected)
        .map(|i| all[i].suite)
        .collect())
}

/// The suites (by index) that `term` (`A+B+C`: all of A, B and C) describes.
fn matching(all: &[Suite], term: &str) -> Result<Vec<usize>> {
    let mut result: Option<Vec<usize>> = None;
    for part in term.split('+') {
        let found: Vec<usize> = if EMPTY_ALIASES.contains(&part) {
            Vec::new()
        } else {
            let by_name: Vec<usize> = (0..all.len())
                .filter(|&i| {
                    all[i].openssl.eq_ignore_ascii_case(part)
                        || all[i].iana.eq_ignore_ascii_case(part)
                })
                .collect();
            let by_alias: Vec<usize> = (0..all.len())
                .filter(|&i| {
                    let s = &all[i];
                    s.aliases.contains(&part)
                        || (!s.aliases.is_empty() && COMMON_12.contains(&part))
                })
                .collect();
            if by_name.is_empty() && by_alias.is_empty() {
                let names: Vec<&str> = all.iter().map(|s| s.openssl).collect();
                return Err(ssl_error(format!(
                    "ciphers: {part:?} is not a cipher suite or alias that rustls supports \
                     (rustls has {})",
                    names.join(", ")
                )));
            }
            by_name.into_iter().chain(by_alias).collect()
        };
        result = Some(match result {
            None => found,
            Some(before) => before.into_iter().filter(|i| found.contains(i)).collect(),
        });
    }
    Ok(result.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &str) -> Vec<&'static str> {
        select(list)
            .unwrap()
            .into_iter()
            .filter_map(|s| openssl_name(s.suite()))
            .collect()
    }

    const TLS13: [&str; 3] = [
        "TLS_AES_256_GCM_SHA384",
        "TLS_AES_128_GCM_SHA256",
        "TLS_CHACHA20_POLY1305_SHA256",
    ];

    #[test]
    fn single_names_select_one_tls12_suite_and_keep_tls13() {
        let got = names("ECDHE-RSA-AES128-GCM-SHA256");
        assert_eq!(got[..3], TLS13);
        assert_eq!(got[3..], ["ECDHE-RSA-AES128-GCM-SHA256"]);
        let iana = names("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
        assert_eq!(iana[3..], ["ECDHE-ECDSA-CHACHA20-POLY1305"]);
    }

    #[test]
    fn urllib3_1x_default_ciphers_evaluate() {
        let list = "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:ECDH+AESGCM:DH+AESGCM:\
                    ECDH+AES:DH+AES:RSA+AESGCM:RSA+AES:!aNULL:!eNULL:!MD5:!DSS";
        let got = names(list);
        assert_eq!(got.len(), 9);
        assert_eq!(
            got[3..7],
            [
                "ECDHE-ECDSA-AES256-GCM-SHA384",
                "ECDHE-ECDSA-AES128-GCM-SHA256",
                "ECDHE-RSA-AES256-GCM-SHA384",
                "ECDHE-RSA-AES128-GCM-SHA256"
            ]
        );
    }

    #[test]
    fn removal_and_tls13_names() {
        let got = names("HIGH:!aRSA:!CHACHA20");
        assert_eq!(
            got[3..],
            [
                "ECDHE-ECDSA-AES256-GCM-SHA384",
                "ECDHE-ECDSA-AES128-GCM-SHA256"
            ]
        );
        assert_eq!(names("TLS_AES_128_GCM_SHA256"), ["TLS_AES_128_GCM_SHA256"]);
        let moved = names("AESGCM:+AES256");
        assert_eq!(
            moved[3..5],
            [
                "ECDHE-ECDSA-AES128-GCM-SHA256",
                "ECDHE-RSA-AES128-GCM-SHA256"
            ]
        );
    }

    #[test]
    fn unknown_words_and_missing_ciphers_are_errors() {
        let err = select("ECDHE-RSA-AES128-SHA").unwrap_err();
        assert!(err
            .message()
            .starts_with("ciphers: \"ECDHE-RSA-AES128-SHA\" is not a cipher suite or alias"));
        assert!(select("NOT-A-CIPHER").is_err());
        let tls12 = [&rustls::version::TLS12];
        let err = provider(Some("aNULL"), &tls12).unwrap_err();
        assert!(
            err.message().starts_with("No cipher can be selected."),
            "{err}"
        );
    }
}
