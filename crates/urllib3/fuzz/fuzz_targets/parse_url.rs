//! `parse_url` on arbitrary text: it returns `Ok` or `Err`, never panics, and what it returns
//! keeps the properties urllib3's `parse_url` guarantees.
//!
//! Only properties urllib3 itself has are asserted. In particular `Url::url()` is documented to
//! "more or less round-trip": urllib3 also fails to reproduce a URL whose host is empty
//! (`http://@` gives host `""`, which prints as `http://` and parses back with no host), whose
//! IPv6 zone id starts with `25` (the RFC 6874 `%25` is unquoted once per parse), or that has
//! no scheme and a path starting with `//` or a host that reads as a scheme (`//ab+c:80` prints
//! as `ab+c:80`). Those cases are left out of the round-trip check; everything else must parse
//! back to the same components.
#![no_main]

use libfuzzer_sys::fuzz_target;
use urllib3::{parse_url, Url};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(url) = parse_url(input) else {
        return;
    };
    check_components(input, &url);
    check_round_trip(input, &url);
});

/// Schemes whose components urllib3 normalises (percent-encodes, lower-cases, IDNA-encodes).
fn normalised(url: &Url) -> bool {
    matches!(url.scheme.as_deref(), None | Some("http" | "https"))
}

fn check_components(input: &str, url: &Url) {
    if let Some(scheme) = &url.scheme {
        // RFC 3986 scheme characters, lower-cased.
        let first = scheme.bytes().next();
        assert!(
            first.is_some_and(|b| b.is_ascii_lowercase()),
            "{input:?}: scheme {scheme:?}"
        );
        assert!(
            scheme
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+-.".contains(&b)),
            "{input:?}: scheme {scheme:?}"
        );
    }
    // `Url.__new__` roots every non-empty path.
    if let Some(path) = &url.path {
        assert!(
            path.is_empty() || path.starts_with('/'),
            "{input:?}: path {path:?}"
        );
    }
    // Hosts with C0 controls, space or DEL are refused for every scheme: they would split the
    // Host header or the request line.
    if let Some(host) = &url.host {
        assert!(
            !host.chars().any(|c| c <= ' ' || c == '\x7f'),
            "{input:?}: host {host:?}"
        );
    }
    assert!(url.request_uri().starts_with('/'), "{input:?}");
    if normalised(url) {
        // Everything is percent-encoded ASCII: no byte that could end the request line or a
        // header, and no '%' that does not start an escape.
        for (what, part) in [
            ("auth", &url.auth),
            ("host", &url.host),
            ("path", &url.path),
            ("query", &url.query),
            ("fragment", &url.fragment),
        ] {
            let Some(part) = part else { continue };
            assert!(part.is_ascii(), "{input:?}: {what} {part:?} is not ASCII");
            if what != "host" {
                assert!(
                    !part.bytes().any(|b| b <= b' ' || b == 0x7f),
                    "{input:?}: {what} {part:?} has a control or space"
                );
            }
            // An IPv6 zone may hold a bare '%' before its escapes ("[a::b%%41]").
            if what != "host" || !part.starts_with('[') {
                assert!(
                    every_percent_escapes(part),
                    "{input:?}: {what} {part:?} has a stray '%'"
                );
            }
        }
        let target = url.request_uri();
        assert!(
            !target.bytes().any(|b| b <= b' ' || b == 0x7f),
            "{input:?}: request target {target:?}"
        );
    }
}

fn every_percent_escapes(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().all(|(i, &c)| {
        c != b'%'
            || matches!(b.get(i + 1..i + 3), Some([h, l]) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit())
    })
}

fn check_round_trip(input: &str, url: &Url) {
    if url.host.as_deref() == Some("") || zone_starts_with_25(url) {
        return;
    }
    let printed = url.to_string();
    match (&url.scheme, &url.host) {
        // With a scheme the printed URL is unambiguous.
        (Some(_), _) => {
            let again = parse_url(&printed)
                .unwrap_or_else(|e| panic!("{input:?} -> {printed:?} fails to parse: {e}"));
            assert_eq!(&again, url, "{input:?} -> {printed:?}");
        }
        // Without one, a host prints bare ("host:80/p"), which may read as a scheme; with
        // `http://` in front it must give the same components (scheme-less URLs are
        // normalised as http ones).
        (None, Some(_)) => {
            let with_scheme = format!("http://{printed}");
            let again = parse_url(&with_scheme)
                .unwrap_or_else(|e| panic!("{input:?} -> {with_scheme:?} fails to parse: {e}"));
            let expected = Url {
                scheme: Some("http".to_owned()),
                ..url.clone()
            };
            assert_eq!(again, expected, "{input:?} -> {with_scheme:?}");
        }
        // A bare path prints as itself unless it starts with "//" (then it reads as a host).
        (None, None) => {
            if url.path.as_deref().is_some_and(|p| p.starts_with("//")) {
                return;
            }
            let again = parse_url(&printed)
                .unwrap_or_else(|e| panic!("{input:?} -> {printed:?} fails to parse: {e}"));
            assert_eq!(&again, url, "{input:?} -> {printed:?}");
        }
    }
}

/// An IPv6 host of an http(s) URL whose zone id starts with "25": urllib3 strips it as the
/// RFC 6874 "%25" once more on every parse.
fn zone_starts_with_25(url: &Url) -> bool {
    normalised(url)
        && url
            .host
            .as_deref()
            .and_then(|h| h.strip_prefix('['))
            .and_then(|h| h.split_once('%'))
            .is_some_and(|(_, zone)| zone.starts_with("25"))
}
