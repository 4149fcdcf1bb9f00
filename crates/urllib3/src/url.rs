//! URL parsing by urllib3 2.x's rules: [`parse_url`] and the [`Url`] value it returns.
//!
//! urllib3 splits a URL with one RFC 3986 regular expression, validates the authority with
//! another, and then normalises URLs whose scheme is `http`, `https` or absent: the host is
//! lower-cased and IDNA-encoded, dot segments are removed from the path, and characters that
//! may not appear in a component are percent-encoded. Other schemes keep their components as
//! given. This module follows the same steps with a small hand-written splitter, so that
//! callers see the same `Url` (and the same failures) as urllib3 users do.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::error::{py_repr, Error, ErrorKind, Result};

/// A parsed URL: urllib3's `Url` named tuple. Absent components are `None`.
///
/// Components are kept in their percent-encoded form. [`Url::url`] (and `Display`) rebuild
/// the string, which is equivalent to, though not always identical with, the parsed input.
///
/// ```
/// use urllib3::Url;
///
/// let url = Url::new(Some("HTTPS"), Some("user:pw"), Some("host.com"), Some(80),
///                    Some("path"), Some("q"), Some("frag"));
/// assert_eq!(url.scheme.as_deref(), Some("https"));
/// assert_eq!(url.path.as_deref(), Some("/path"));
/// assert_eq!(url.authority().as_deref(), Some("user:pw@host.com:80"));
/// assert_eq!(url.request_uri(), "/path?q");
/// assert_eq!(url.to_string(), "https://user:pw@host.com:80/path?q#frag");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Url {
    /// The scheme, lower-cased (`"http"`); `None` when the URL had none.
    pub scheme: Option<String>,
    /// The userinfo (`"user:password"`), percent-encoded.
    pub auth: Option<String>,
    /// The host: a reg-name, an IPv4 address, or a bracketed IPv6 literal (`"[::1]"`).
    pub host: Option<String>,
    /// The port; an empty port (`"http://host:"`) is `None`.
    pub port: Option<u16>,
    /// The path. `Some("")` when there is no path but a query or fragment follows.
    pub path: Option<String>,
    /// The query, without the `?`.
    pub query: Option<String>,
    /// The fragment, without the `#`.
    pub fragment: Option<String>,
}

impl Url {
    /// Builds a `Url` the way urllib3's `Url(...)` does: the scheme is lower-cased and a
    /// non-empty path that does not start with `/` gets one.
    pub fn new(
        scheme: Option<&str>,
        auth: Option<&str>,
        host: Option<&str>,
        port: Option<u16>,
        path: Option<&str>,
        query: Option<&str>,
        fragment: Option<&str>,
    ) -> Url {
        Url {
            // urllib3 uses Python's `str.lower()`, which is Unicode-aware.
            scheme: scheme.map(str::to_lowercase),
            auth: auth.map(str::to_owned),
            host: host.map(str::to_owned),
            port,
            path: path.map(str::to_owned),
            query: query.map(str::to_owned),
            fragment: fragment.map(str::to_owned),
        }
        .with_rooted_path()
    }

    /// `Url.__new__` roots relative paths; `parse_url` goes through it too.
    fn with_rooted_path(mut self) -> Url {
        if let Some(path) = &mut self.path {
            if !path.is_empty() && !path.starts_with('/') {
                path.insert(0, '/');
            }
        }
        self
    }

    /// The host, under the name `urllib.parse` uses.
    pub fn hostname(&self) -> Option<&str> {
        self.host.as_deref()
    }

    /// The request target: the path (`/` when empty or absent) and `?query` if there is one.
    pub fn request_uri(&self) -> String {
        let path = match self.path.as_deref() {
            Some(path) if !path.is_empty() => path,
            _ => "/",
        };
        match &self.query {
            Some(query) => format!("{path}?{query}"),
            None => path.to_owned(),
        }
    }

    /// The RFC 3986 authority: `auth@host:port`, or just the [`netloc`](Url::netloc).
    pub fn authority(&self) -> Option<String> {
        let netloc = self.netloc()?;
        Some(match &self.auth {
            Some(auth) => format!("{auth}@{netloc}"),
            None => netloc,
        })
    }

    /// `host:port`, or the host alone without a port; `None` without a host.
    pub fn netloc(&self) -> Option<String> {
        let host = self.host.as_deref()?;
        Some(match self.port {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        })
    }

    /// The URL as a string, rebuilt from the components (urllib3's `Url.url`).
    pub fn url(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every present component is written, even an empty one, as urllib3 does.
        if let Some(scheme) = &self.scheme {
            write!(f, "{scheme}://")?;
        }
        if let Some(auth) = &self.auth {
            write!(f, "{auth}@")?;
        }
        if let Some(host) = &self.host {
            f.write_str(host)?;
        }
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        if let Some(path) = &self.path {
            f.write_str(path)?;
        }
        if let Some(query) = &self.query {
            write!(f, "?{query}")?;
        }
        if let Some(fragment) = &self.fragment {
            write!(f, "#{fragment}")?;
        }
        Ok(())
    }
}

impl FromStr for Url {
    type Err = Error;

    fn from_str(s: &str) -> Result<Url> {
        parse_url(s)
    }
}

/// Parses `url` into a [`Url`], normalising it as urllib3's `parse_url` does.
///
/// Incomplete URLs are parsed as far as they go: `"google.com:80"` has a host and port but no
/// scheme, `"/foo?bar"` only a path and query. For `http`, `https` and scheme-less URLs the
/// scheme and host are lower-cased, non-ASCII hosts IDNA-encoded, dot segments removed from
/// the path and invalid characters percent-encoded. An empty string gives `Url::default()`.
///
/// # Errors
///
/// [`ErrorKind::LocationParse`] (`"Failed to parse: …"`) for a host or port that cannot be
/// parsed: bad characters, a port out of range, an invalid IPv6 literal or IDNA label.
///
/// ```
/// use urllib3::{parse_url, ErrorKind};
///
/// let url = parse_url("HTTP://user@Königsgäßchen.de:8080/a/../b c?q=1#top")?;
/// assert_eq!(url.scheme.as_deref(), Some("http"));
/// assert_eq!(url.host.as_deref(), Some("xn--knigsgchen-b4a3dun.de"));
/// assert_eq!(url.port, Some(8080));
/// assert_eq!(url.request_uri(), "/b%20c?q=1");
///
/// let bare = parse_url("google.com:80")?;
/// assert_eq!((bare.scheme, bare.host.as_deref(), bare.port), (None, Some("google.com"), Some(80)));
///
/// let err = parse_url("http://google.com:65536").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::LocationParse);
/// assert_eq!(err.message(), "Failed to parse: http://google.com:65536");
/// # Ok::<(), urllib3::Error>(())
/// ```
pub fn parse_url(url: &str) -> Result<Url> {
    if url.is_empty() {
        return Ok(Url::default());
    }
    // Anything that starts with neither "scheme:" nor "/" is read as an authority
    // ("google.com/mail"). urllib3 rewrites the input and reports errors against it.
    let prefixed;
    let url = if url.starts_with('/') || scheme_end(url, false).is_some() {
        url
    } else {
        prefixed = format!("//{url}");
        prefixed.as_str()
    };
    let parts = split_uri(url);
    let scheme = parts.scheme.map(str::to_ascii_lowercase);
    let normalize = matches!(scheme.as_deref(), None | Some("http" | "https"));

    let (auth, host, port) = match parts.authority {
        Some(authority) if !authority.is_empty() => parse_authority(authority, url, normalize)?,
        _ => (None, None, None),
    };
    let host = host
        .map(|host| normalize_host(host, normalize))
        .transpose()?;

    let path = match parts.path {
        path if normalize && !path.is_empty() => {
            encode_invalid(&remove_dot_segments(path), PATH).into_owned()
        }
        path => path.to_owned(),
    };
    let query = parts.query.map(|q| encode_if(q, normalize, QUERY));
    let fragment = parts.fragment.map(|f| encode_if(f, normalize, FRAGMENT));
    // urllib3 keeps an empty path only when a query or fragment follows it.
    let path = (!path.is_empty() || query.is_some() || fragment.is_some()).then_some(path);

    Ok(Url {
        scheme,
        auth,
        host,
        port,
        path,
        query,
        fragment,
    }
    .with_rooted_path())
}

/// The five RFC 3986 components, as urllib3's `_URI_RE` splits them.
struct UriParts<'a> {
    scheme: Option<&'a str>,
    authority: Option<&'a str>,
    path: &'a str,
    query: Option<&'a str>,
    fragment: Option<&'a str>,
}

fn split_uri(url: &str) -> UriParts<'_> {
    let (scheme, rest) = match scheme_end(url, true) {
        // `end` is the index of an ASCII ':' found in `url`, so both slices are in bounds.
        Some(end) => (Some(&url[..end]), &url[end + 1..]),
        None => (None, url),
    };
    let (authority, rest) = match rest.strip_prefix("//") {
        Some(after) => {
            let end = after.find(['\\', '/', '?', '#']).unwrap_or(after.len());
            let (authority, rest) = after.split_at(end);
            (Some(authority), rest)
        }
        None => (None, rest),
    };
    // The fragment starts at the first '#'; the query at the first '?' before it.
    let (rest, fragment) = match rest.split_once('#') {
        Some((rest, fragment)) => (rest, Some(fragment)),
        None => (rest, None),
    };
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    UriParts {
        scheme,
        authority,
        path,
        query,
        fragment,
    }
}

/// The index of the ':' ending a leading scheme (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`).
/// urllib3's first check for a scheme does not allow '.', its splitter does.
fn scheme_end(url: &str, allow_dot: bool) -> Option<usize> {
    let bytes = url.as_bytes();
    if !bytes.first()?.is_ascii_alphabetic() {
        return None;
    }
    let end = bytes.iter().position(|&b| {
        !(b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || (allow_dot && b == b'.'))
    })?;
    // `position` found `end`, so it indexes `bytes`.
    (bytes[end] == b':').then_some(end)
}

type Authority<'a> = (Option<String>, Option<&'a str>, Option<u16>);

/// Splits `[auth@]host[:port]` and checks host and port as urllib3's `_HOST_PORT_RE` does.
fn parse_authority<'a>(authority: &'a str, url: &str, normalize: bool) -> Result<Authority<'a>> {
    // The userinfo ends at the last '@': "a@b@host" has userinfo "a@b".
    let (auth, host_port) = authority.rsplit_once('@').unwrap_or(("", authority));
    let Some((host, port)) = split_host_port(host_port) else {
        return Err(match host_port.chars().find(|&c| is_host_control(c)) {
            Some(c) => invalid_char_error(host_port, c),
            None => parse_error(format!(
                "{} is not a valid host or port",
                py_repr(host_port)
            )),
        });
    };
    let port = match port {
        Some("") | None => None,
        // At most five ASCII digits, so only a value above 65535 fails to parse.
        Some(digits) => Some(digits.parse().map_err(|_| parse_error(url))?),
    };
    let auth = (!auth.is_empty()).then(|| encode_if(auth, normalize, USERINFO));
    Ok((auth, Some(host), port))
}

/// Host and port digits (leading zeros dropped) when `host_port` is valid; `Some("")` for an
/// empty port.
fn split_host_port(host_port: &str) -> Option<(&str, Option<&str>)> {
    // An IPv6 literal ends at the first ']' (neither the address nor a zone id contains one);
    // a reg-name at the first ':'.
    let host_end = match host_port.strip_prefix('[') {
        Some(inner) => inner.find(']')? + 2,
        None => host_port.find(':').unwrap_or(host_port.len()),
    };
    // Both ends sit just past an ASCII byte found in `host_port`: a char boundary.
    let (host, rest) = host_port.split_at(host_end);
    let valid_host = if host.starts_with('[') {
        is_ipv6_literal(host)
    } else {
        is_reg_name(host)
    };
    if !valid_host {
        return None;
    }
    let port = match rest.strip_prefix(':') {
        Some(digits) => Some(port_digits(digits)?),
        None if rest.is_empty() => None,
        None => return None,
    };
    Some((host, port))
}

/// urllib3 accepts `0*` followed by nothing, `0`, or up to five digits not starting with 0.
fn port_digits(port: &str) -> Option<&str> {
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match port.trim_start_matches('0') {
        "" if port.is_empty() => Some(""),
        "" => Some("0"),
        digits if digits.len() <= 5 => Some(digits),
        _ => None,
    }
}

/// RFC 3986 reg-name as urllib3 loosens it: anything but `[ ] : %`, plus `%XX` escapes.
fn is_reg_name(host: &str) -> bool {
    let bytes = host.as_bytes();
    bytes.iter().enumerate().all(|(i, &b)| match b {
        b'[' | b']' | b':' => false,
        b'%' => is_escape_at(bytes, i),
        _ => true,
    })
}

/// `[IPv6]` or `[IPv6%zone]` (RFC 6874, also with an unescaped '%').
fn is_ipv6_literal(host: &str) -> bool {
    let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) else {
        return false;
    };
    match inner.split_once('%') {
        Some((addr, zone)) => is_ipv6(addr) && is_zone_id(zone),
        None => is_ipv6(inner),
    }
}

/// RFC 3986 IPv6address: eight 16-bit pieces, the last two possibly written as IPv4, with at
/// most one "::" standing for at least one piece.
fn is_ipv6(addr: &str) -> bool {
    match addr.split_once("::") {
        Some((head, tail)) => {
            matches!((count_pieces(head, false), count_pieces(tail, true)), (Some(h), Some(t)) if h + t <= 7)
        }
        None => count_pieces(addr, true) == Some(8),
    }
}

/// The number of 16-bit pieces in `h16 *(":" h16)`, an IPv4 address counting as two when
/// `allow_ipv4` lets it end the list. `None` when malformed.
fn count_pieces(s: &str, allow_ipv4: bool) -> Option<usize> {
    if s.is_empty() {
        return Some(0);
    }
    let mut count = 0;
    let mut pieces = s.split(':').peekable();
    while let Some(piece) = pieces.next() {
        let last = pieces.peek().is_none();
        if piece.len() <= 4 && !piece.is_empty() && piece.bytes().all(|b| b.is_ascii_hexdigit()) {
            count += 1;
        } else if last && allow_ipv4 && is_loose_ipv4(piece) {
            count += 2;
        } else {
            return None;
        }
    }
    Some(count)
}

/// urllib3's IPv4 pattern inside IPv6: four dot-separated runs of one to three digits.
fn is_loose_ipv4(s: &str) -> bool {
    let mut parts = 0;
    s.split('.').all(|part| {
        parts += 1;
        (1..=3).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit())
    }) && parts == 4
}

/// A zone id after the '%': one or more unreserved characters or `%XX` escapes. ("%25" is
/// the RFC 6874 spelling of '%'; its "25" is itself a valid zone id.)
fn is_zone_id(zone: &str) -> bool {
    let bytes = zone.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if is_escape_at(bytes, i) => i += 3,
            b if is_unreserved(b) => i += 1,
            _ => return false,
        }
    }
    !bytes.is_empty()
}

/// urllib3's `_normalize_host`: rejects control characters, and for normalisable schemes
/// lower-cases IPv6 literals, keeps IPv4-like hosts and IDNA-encodes reg-names.
fn normalize_host(host: &str, normalize: bool) -> Result<String> {
    if let Some(c) = host.chars().find(|&c| is_host_control(c)) {
        return Err(invalid_char_error(host, c));
    }
    if !normalize || host.is_empty() {
        Ok(host.to_owned())
    } else if is_ipv6_literal(host) {
        normalize_ipv6(host)
    } else if is_ipv4_like(host) {
        Ok(host.to_owned())
    } else if host.contains('%') {
        encode_host_labels(&decode_host_escapes(host)?)
    } else {
        encode_host_labels(host)
    }
}

/// Lower-cases the address and turns an RFC 6874 "%25" zone separator into '%'.
fn normalize_ipv6(host: &str) -> Result<String> {
    let Some((addr, zone)) = host.strip_suffix(']').and_then(|h| h.split_once('%')) else {
        return Ok(host.to_ascii_lowercase());
    };
    // "%25" alone is a zone id "25" written with a plain '%'.
    let zone_id = match zone.strip_prefix("25") {
        Some(rest) if !rest.is_empty() => rest,
        _ => zone,
    };
    for (i, _) in zone_id.match_indices('%') {
        // is_ipv6_literal guaranteed every '%' in the zone id starts a %XX escape.
        if let Some(escape) = zone_id.get(i..i + 3) {
            decode_host_escape(escape, host)?;
        }
    }
    let zone_id = encode_invalid(zone_id, UNRESERVED);
    Ok(format!("{}%{zone_id}]", addr.to_ascii_lowercase()))
}

/// urllib3's `_IPV4_RE`: one to four dot-separated decimal or `0x` hex numbers. Such hosts
/// are left exactly as written.
fn is_ipv4_like(host: &str) -> bool {
    let mut parts = 0;
    host.split('.').all(|part| {
        parts += 1;
        match part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
            Some(hex) => !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()),
            None => !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()),
        }
    }) && parts <= 4
}

/// Decodes `%XX` escapes of unreserved characters and upper-cases the others; a lone '%' or
/// an escaped control character is an error.
fn decode_host_escapes(host: &str) -> Result<String> {
    let mut out = String::with_capacity(host.len());
    let mut rest = host;
    while let Some(i) = rest.find('%') {
        let (before, escape) = rest.split_at(i);
        out.push_str(before);
        if !is_escape_at(escape.as_bytes(), 0) {
            return Err(parse_error(format!(
                "{} is not a valid host",
                py_repr(host)
            )));
        }
        // is_escape_at checked three ASCII bytes, so these slices are in bounds.
        let (escape, after) = escape.split_at(3);
        match decode_host_escape(escape, host)? {
            b if is_unreserved(b) => out.push(char::from(b)),
            _ => out.push_str(&escape.to_ascii_uppercase()),
        }
        rest = after;
    }
    out.push_str(rest);
    Ok(out)
}

/// The octet of a `%XX` escape in a host, refusing control characters (`%20` stays valid).
fn decode_host_escape(escape: &str, host: &str) -> Result<u8> {
    let octet = escape
        .get(1..)
        .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        .unwrap_or(b'%');
    if octet < 0x20 || octet == 0x7f {
        return Err(parse_error(format!(
            "Host {} contains invalid percent-encoded control character {}",
            py_repr(host),
            py_repr(escape)
        )));
    }
    Ok(octet)
}

/// Lower-cases ASCII labels (keeping `%XX` upper-case) and IDNA-encodes the others.
fn encode_host_labels(host: &str) -> Result<String> {
    let mut out = String::with_capacity(host.len());
    if host.is_ascii() {
        push_lowercase_label(&mut out, host);
        return Ok(out);
    }
    for (i, label) in host.split('.').enumerate() {
        if i > 0 {
            out.push('.');
        }
        if label.is_ascii() {
            push_lowercase_label(&mut out, label);
        } else {
            out.push_str(&idna_encode(label)?);
        }
    }
    Ok(out)
}

fn push_lowercase_label(out: &mut String, label: &str) {
    let bytes = label.as_bytes();
    let mut upper = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'%' && is_escape_at(bytes, i) {
            upper = 2;
            out.push('%');
        } else if upper > 0 {
            upper -= 1;
            out.push(char::from(b.to_ascii_uppercase()));
        } else {
            out.push(char::from(b.to_ascii_lowercase()));
        }
    }
}

/// Encodes one label as urllib3 does with the `idna` package: IDNA 2008, no UTS 46 mapping,
/// after Python's Unicode lower-casing.
fn idna_encode(label: &str) -> Result<String> {
    let invalid = || parse_error(format!("Name '{label}' is not a valid IDNA label"));
    let lowered = label.to_lowercase();
    if has_idna2008_symbol(&lowered) {
        return Err(invalid());
    }
    // The idna crate does UTS 46, which checks hyphens, bidi, joiners and length as IDNA 2008
    // does but first maps characters (full-width forms, NFC, ignorables) that IDNA 2008 rejects.
    // A label that does not come back unchanged was mapped.
    let ascii = idna::domain_to_ascii_strict(&lowered).map_err(|_| invalid())?;
    match idna::domain_to_unicode(&ascii) {
        (unicode, Ok(())) if unicode == lowered => Ok(ascii),
        _ => Err(invalid()),
    }
}

/// Whether the label holds a symbol or punctuation that UTS 46 accepts but IDNA 2008
/// disallows. Without Unicode category tables this covers the symbol and punctuation blocks
/// only; letters, digits and combining marks elsewhere are left to the idna crate.
fn has_idna2008_symbol(label: &str) -> bool {
    let mut prev = None;
    let mut chars = label.chars().peekable();
    while let Some(c) = chars.next() {
        let disallowed = match c {
            // Catalan middle dot: allowed only in "l·l" (RFC 5892 CONTEXTO).
            '\u{b7}' => !(prev == Some('l') && chars.peek() == Some(&'l')),
            // Conjoining (old) Hangul jamo, RFC 5892 section 2.9.
            '\u{1100}'..='\u{11ff}' | '\u{a960}'..='\u{a97f}' | '\u{d7b0}'..='\u{d7ff}' => true,
            '\u{3000}'..='\u{303f}' => {
                !matches!(c, '\u{3005}'..='\u{3007}' | '\u{302a}'..='\u{302d}' | '\u{303c}')
            }
            _ => !c.is_alphanumeric() && is_symbol_block(c),
        };
        if disallowed {
            return true;
        }
        prev = Some(c);
    }
    false
}

fn is_symbol_block(c: char) -> bool {
    matches!(u32::from(c),
        0x80..=0xbf | 0xd7 | 0xf7 | 0x2c2..=0x2ff | 0x2000..=0x2bff | 0x2e00..=0x2fff
        | 0x3200..=0x33ff | 0x4dc0..=0x4dff | 0xa700..=0xa716 | 0xa720..=0xa721
        | 0xfe10..=0xfe1f | 0xfe30..=0xfe6f | 0xfff0..=0xffff | 0x1d000..=0x1d24f | 0x1d300..=0x1d37f
        | 0x1f000..=0x1fbff)
}

// Characters to percent-encode per component (urllib3's allowed sets, complemented).
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'_')
    .remove(b'-')
    .remove(b'~');
const USERINFO: &AsciiSet = &UNRESERVED
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':');
const PATH: &AsciiSet = &USERINFO.remove(b'@').remove(b'/');
const QUERY: &AsciiSet = &PATH.remove(b'?');
const FRAGMENT: &AsciiSet = QUERY;

fn encode_if(component: &str, normalize: bool, set: &'static AsciiSet) -> String {
    if normalize {
        encode_invalid(component, set).into_owned()
    } else {
        component.to_owned()
    }
}

/// urllib3's `_encode_invalid_chars`: percent-encodes (as UTF-8, upper-case hex) every byte
/// outside the allowed set. If every '%' already starts a `%XX` escape the component counts
/// as encoded and escapes are kept (upper-cased); otherwise each '%' is encoded too, so that
/// "%%20" does not become ambiguous. `set` must encode '%' and no ASCII alphanumeric, as
/// all of urllib3's sets do: the hex digits of an escape are copied without consulting it.
fn encode_invalid<'a>(component: &'a str, set: &'static AsciiSet) -> Cow<'a, str> {
    if !component.contains('%') {
        return utf8_percent_encode(component, set).into();
    }
    let bytes = component.as_bytes();
    let already_encoded = component
        .match_indices('%')
        .all(|(i, _)| is_escape_at(bytes, i));
    let percent = if already_encoded { "%" } else { "%25" };
    let mut out = String::with_capacity(component.len() + 8);
    let mut rest = component;
    while let Some(i) = rest.find('%') {
        let (before, escape) = rest.split_at(i);
        out.extend(utf8_percent_encode(before, set));
        out.push_str(percent);
        // `escape` starts with '%': keep the hex of a valid escape, upper-cased.
        let len = if is_escape_at(escape.as_bytes(), 0) {
            3
        } else {
            1
        };
        // `len` covers only ASCII bytes checked above, so it is a char boundary.
        let (escape, after) = escape.split_at(len);
        out.push_str(&escape[1..].to_ascii_uppercase());
        rest = after;
    }
    out.extend(utf8_percent_encode(rest, set));
    Cow::Owned(out)
}

/// RFC 3986 5.2.4 as urllib3 implements it: drop "." segments, let ".." drop the segment
/// before it, and keep a leading and (after a final dot segment) trailing '/'.
fn remove_dot_segments(path: &str) -> Cow<'_, str> {
    if !path.split('/').any(|s| s == "." || s == "..") {
        return Cow::Borrowed(path);
    }
    let mut output: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "." => {}
            ".." => {
                output.pop();
            }
            _ => output.push(segment),
        }
    }
    if path.starts_with('/') && output.first().is_none_or(|s| !s.is_empty()) {
        output.insert(0, "");
    }
    if path.ends_with("/.") || path.ends_with("/..") {
        output.push("");
    }
    Cow::Owned(output.join("/"))
}

/// Whether `bytes[i..]` starts with a `%XX` escape.
fn is_escape_at(bytes: &[u8], i: usize) -> bool {
    matches!(bytes.get(i..i + 3), Some([b'%', h, l]) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit())
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'~')
}

/// urllib3's `_HOST_INVALID_CHAR_RE`: C0 controls, space and DEL.
fn is_host_control(c: char) -> bool {
    c <= ' ' || c == '\x7f'
}

fn invalid_char_error(host: &str, c: char) -> Error {
    let c = c.to_string();
    parse_error(format!(
        "Host {} contains invalid character {}",
        py_repr(host),
        py_repr(&c)
    ))
}

/// urllib3's `LocationParseError(location)`.
fn parse_error(location: impl fmt::Display) -> Error {
    // The location is also kept as data: Python's LocationParseError is built from it.
    let location = location.to_string();
    Error::new(
        ErrorKind::LocationParse,
        format!("Failed to parse: {location}"),
    )
    .with_url(location)
}

#[cfg(test)]
mod tests {
    //! Cases ported from urllib3 2.8.0's `test/test_util.py` (the test each table mirrors is
    //! named above it), plus edge cases checked against urllib3 itself.

    use super::*;

    /// `Url` fields by name, `None` unless given: urllib3's `Url(...)` keyword arguments.
    #[derive(Default)]
    struct Fields {
        scheme: Option<&'static str>,
        auth: Option<&'static str>,
        host: Option<&'static str>,
        port: Option<u16>,
        path: Option<&'static str>,
        query: Option<&'static str>,
        fragment: Option<&'static str>,
    }

    /// `url!(scheme: "http", host: "x")` builds the expected value through `Url::new`, so it
    /// is normalised as urllib3's expected `Url(...)` values are (rooted path, lower scheme).
    macro_rules! url {
        ($($field:ident: $value:expr),* $(,)?) => {{
            let f = Fields { $($field: Some($value),)* ..Fields::default() };
            Url::new(f.scheme, f.auth, f.host, f.port, f.path, f.query, f.fragment)
        }};
    }

    fn parse(url: &str) -> Url {
        parse_url(url).unwrap_or_else(|e| panic!("{url:?} failed: {e}"))
    }

    fn parse_err(url: &str) -> Error {
        match parse_url(url) {
            Ok(parsed) => panic!("{url:?} parsed as {parsed:?}"),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::LocationParse, "{url:?}");
                assert!(e.kind().is_a(ErrorKind::LocationValue));
                assert!(e.message().starts_with("Failed to parse: "), "{e}");
                e
            }
        }
    }

    // test_scheme_host_port (url_host_map): (url, scheme or "http", host, port).
    const SCHEME_HOST_PORT: &[(&str, &str, &str, Option<u16>)] = &[
        ("http://google.com/mail", "http", "google.com", None),
        ("http://google.com/mail/", "http", "google.com", None),
        ("google.com/mail", "http", "google.com", None),
        ("http://google.com/", "http", "google.com", None),
        ("http://google.com", "http", "google.com", None),
        ("http://www.google.com", "http", "www.google.com", None),
        ("http://mail.google.com", "http", "mail.google.com", None),
        (
            "http://google.com:8000/mail/",
            "http",
            "google.com",
            Some(8000),
        ),
        ("http://google.com:8000", "http", "google.com", Some(8000)),
        ("https://google.com", "https", "google.com", None),
        ("https://google.com:8000", "https", "google.com", Some(8000)),
        (
            "http://user:password@127.0.0.1:1234",
            "http",
            "127.0.0.1",
            Some(1234),
        ),
        (
            "http://google.com/foo=http://bar:42/baz",
            "http",
            "google.com",
            None,
        ),
        (
            "http://google.com?foo=http://bar:42/baz",
            "http",
            "google.com",
            None,
        ),
        (
            "http://google.com#foo=http://bar:42/baz",
            "http",
            "google.com",
            None,
        ),
        ("173.194.35.7", "http", "173.194.35.7", None),
        ("http://173.194.35.7", "http", "173.194.35.7", None),
        ("http://173.194.35.7/test", "http", "173.194.35.7", None),
        ("http://173.194.35.7:80", "http", "173.194.35.7", Some(80)),
        (
            "http://173.194.35.7:80/test",
            "http",
            "173.194.35.7",
            Some(80),
        ),
        (
            "[2a00:1450:4001:c01::67]",
            "http",
            "[2a00:1450:4001:c01::67]",
            None,
        ),
        (
            "http://[2a00:1450:4001:c01::67]",
            "http",
            "[2a00:1450:4001:c01::67]",
            None,
        ),
        (
            "http://[2a00:1450:4001:c01::67]/test",
            "http",
            "[2a00:1450:4001:c01::67]",
            None,
        ),
        (
            "http://[2a00:1450:4001:c01::67]:80",
            "http",
            "[2a00:1450:4001:c01::67]",
            Some(80),
        ),
        (
            "http://[2a00:1450:4001:c01::67]:80/test",
            "http",
            "[2a00:1450:4001:c01::67]",
            Some(80),
        ),
        (
            "http://[fedc:ba98:7654:3210:fedc:ba98:7654:3210]:8000/index.html",
            "http",
            "[fedc:ba98:7654:3210:fedc:ba98:7654:3210]",
            Some(8000),
        ),
        (
            "http://[1080:0:0:0:8:800:200c:417a]/index.html",
            "http",
            "[1080:0:0:0:8:800:200c:417a]",
            None,
        ),
        (
            "http://[3ffe:2a00:100:7031::1]",
            "http",
            "[3ffe:2a00:100:7031::1]",
            None,
        ),
        (
            "http://[1080::8:800:200c:417a]/foo",
            "http",
            "[1080::8:800:200c:417a]",
            None,
        ),
        ("http://[::192.9.5.5]/ipng", "http", "[::192.9.5.5]", None),
        (
            "http://[::ffff:129.144.52.38]:42/index.html",
            "http",
            "[::ffff:129.144.52.38]",
            Some(42),
        ),
        (
            "http://[2010:836b:4179::836b:4179]",
            "http",
            "[2010:836b:4179::836b:4179]",
            None,
        ),
        ("http://[a::b%25zone]", "http", "[a::b%zone]", None),
        ("http://[a::b%zone]", "http", "[a::b%zone]", None),
        ("HTTP://GOOGLE.COM/mail/", "http", "google.com", None),
        ("GOogle.COM/mail", "http", "google.com", None),
        (
            "HTTP://GoOgLe.CoM:8000/mail/",
            "http",
            "google.com",
            Some(8000),
        ),
        (
            "HTTP://user:password@EXAMPLE.COM:1234",
            "http",
            "example.com",
            Some(1234),
        ),
        ("173.194.35.7", "http", "173.194.35.7", None),
        ("HTTP://173.194.35.7", "http", "173.194.35.7", None),
        (
            "HTTP://[2a00:1450:4001:c01::67]:80/test",
            "http",
            "[2a00:1450:4001:c01::67]",
            Some(80),
        ),
        (
            "HTTP://[FEDC:BA98:7654:3210:FEDC:BA98:7654:3210]:8000/index.html",
            "http",
            "[fedc:ba98:7654:3210:fedc:ba98:7654:3210]",
            Some(8000),
        ),
        (
            "HTTPS://[1080:0:0:0:8:800:200c:417A]/index.html",
            "https",
            "[1080:0:0:0:8:800:200c:417a]",
            None,
        ),
        ("abOut://eXamPlE.com?info=1", "about", "eXamPlE.com", None),
        (
            "http+UNIX://%2fvar%2frun%2fSOCKET/path",
            "http+unix",
            "%2fvar%2frun%2fSOCKET",
            None,
        ),
    ];

    #[test]
    fn scheme_host_port() {
        for &(input, scheme, host, port) in SCHEME_HOST_PORT {
            let url = parse(input);
            assert_eq!(url.scheme.as_deref().unwrap_or("http"), scheme, "{input:?}");
            assert_eq!(url.hostname(), Some(host), "{input:?}");
            assert_eq!(url.port, port, "{input:?}");
        }
    }

    // test_invalid_url, test_parse_url_invalid_IPv6, test_parse_url_negative_port and the
    // failing test_url_vulnerabilities cases. (The lone-surrogate hosts cannot be a &str.)
    const INVALID: &[&str] = &[
        "http://google.com:foo",
        "http://::1/",
        "http://::1:80/",
        "http://google.com:-80",
        "http://google.com:65536",
        "http://google.com:\u{b2}\u{b2}",
        "http://foo%.example/",
        "http://foo%zz.example/",
        "http://\u{d7ff}.com",
        "http://\u{2764}\u{fe0f}",
        "[::1",
        "https://www.google.com:-80/",
        "http://127.0.0.1%0d%0aConnection%3a%20keep-alive",
        // Not in urllib3's tests; checked against urllib3.
        "http://[::1]x",
        "http://[1::2::3]/",
        "http://[12345::]/",
        "http://[1:2:3:4:5:6:7:1.2.3.4]/",
        "http://h:123456",
        "a.b:c",
        "http://a%2/",
        "http://\u{ff41}\u{ff42}.com/",
        "http://e\u{301}.com/",
        "http://-\u{f6}.de/",
        "http://\u{24d0}\u{f6}.de/",
        "http://a\u{3002}\u{f6}.de/",
    ];

    #[test]
    fn invalid_urls() {
        for url in INVALID {
            parse_err(url);
        }
        // Tons of '@' causing backtracking 1.
        parse_err(&format!("https://{}[", "@".repeat(10000)));
    }

    // Exact messages, as urllib3 words them.
    const ERROR_MESSAGES: &[(&str, &str)] = &[
        ("a.b:c", "'a.b:c' is not a valid host or port"),
        (
            "http://x:\u{b2}\u{b2}",
            "'x:\u{b2}\u{b2}' is not a valid host or port",
        ),
        (" http://x", "Host ' http' contains invalid character ' '"),
        (
            "http://a\nb/",
            "Host 'a\\nb' contains invalid character '\\n'",
        ),
        ("http://h:0065536", "http://h:0065536"),
        ("google.com:65536", "//google.com:65536"),
        (
            "http://\u{2764}\u{fe0f}",
            "Name '\u{2764}\u{fe0f}' is not a valid IDNA label",
        ),
        (
            "http://\u{a0}x/",
            "Name '\u{a0}x' is not a valid IDNA label",
        ),
        (
            "http://%00.example/",
            "Host '%00.example' contains invalid percent-encoded control character '%00'",
        ),
        (
            "http://[::1%%0d%0a]/",
            "Host '[::1%%0d%0a]' contains invalid percent-encoded control character '%0d'",
        ),
    ];

    #[test]
    fn error_messages() {
        for &(url, message) in ERROR_MESSAGES {
            assert_eq!(
                parse_err(url).message(),
                format!("Failed to parse: {message}")
            );
        }
    }

    fn controls() -> impl Iterator<Item = char> {
        ('\0'..='\u{20}').chain(['\u{7f}'])
    }

    // test_control_characters_in_host_raise.
    #[test]
    fn control_characters_in_host_raise() {
        let templates = [
            "http://victim.example{}Injected/path",
            "gopher://victim.example{}Injected/path",
            "victim.example{}Injected/path",
            "http://127.0.0.1{}/path",
            "http://[::1]{}/path",
        ];
        for template in templates {
            for c in controls() {
                let url = template.replace("{}", &c.to_string());
                let err = parse_err(&url);
                assert!(
                    err.message().contains("contains invalid character"),
                    "{url:?}: {err}"
                );
            }
        }
    }

    // test_control_characters_are_percent_encoded.
    #[test]
    fn control_characters_are_percent_encoded() {
        for c in controls() {
            let url = parse(&format!(
                "http://user{c}@example.com/path{c}?query{c}#fragment{c}"
            ));
            let escape = format!("%{:02X}", u32::from(c));
            let expected = Url::new(
                Some("http"),
                Some(&format!("user{escape}")),
                Some("example.com"),
                None,
                Some(&format!("/path{escape}")),
                Some(&format!("query{escape}")),
                Some(&format!("fragment{escape}")),
            );
            assert_eq!(url, expected);
        }
    }

    // test_percent_encoded_control_hosts_raise, test_percent_encoded_control_ipv6_zone_ids_raise.
    const PERCENT_ENCODED_CONTROL_HOSTS: &[&str] = &[
        "http://%00.example/",
        "http://%1F.example/",
        "http://%7F.example/",
        "http://[::1%25%00]/",
        "http://[::1%25%1F]/",
        "http://[::1%25%7F]/",
        "http://[::1%25%0d%0a]/",
        "http://[::1%%0d%0a]/",
    ];

    #[test]
    fn percent_encoded_control_hosts_raise() {
        for url in PERCENT_ENCODED_CONTROL_HOSTS {
            let err = parse_err(url);
            assert!(
                err.message()
                    .contains("invalid percent-encoded control character"),
                "{err}"
            );
        }
    }

    // test_non_ascii_hosts_are_idna_encoded, test_percent_encoded_non_unreserved_hosts_are_preserved,
    // test_percent_encoded_unreserved_hosts_are_decoded,
    // test_percent_encoded_hosts_that_are_not_valid_utf8_are_preserved,
    // test_percent_encoded_reserved_hosts_are_preserved; then extra cases checked against urllib3.
    const HOSTS: &[(&str, &str)] = &[
        (
            "http://K\u{f6}nigsg\u{e4}\u{df}chen.de/path",
            "xn--knigsgchen-b4a3dun.de",
        ),
        (
            "http://\u{4f8b}\u{3048}.\u{30c6}\u{30b9}\u{30c8}/path",
            "xn--r8jz45g.xn--zckzah",
        ),
        (
            "http://K%C3%B6nigsg%C3%A4%C3%9Fchen.de/path",
            "k%C3%B6nigsg%C3%A4%C3%9Fchen.de",
        ),
        (
            "http://%E4%BE%8B%E3%81%88.%E3%83%86%E3%82%B9%E3%83%88/path",
            "%E4%BE%8B%E3%81%88.%E3%83%86%E3%82%B9%E3%83%88",
        ),
        ("http://%65xample.com/path", "example.com"),
        ("http://example.com%2E/path", "example.com."),
        ("http://EXAMPLE%2Ecom%2E/path", "example.com."),
        ("http://%2eexample.com/path", ".example.com"),
        ("http://example%2e%2ecom/path", "example..com"),
        ("http://foo%7Ebar.com/path", "foo~bar.com"),
        ("http://%31%32%37.0.0.1/path", "127.0.0.1"),
        ("http://%FF.example/", "%FF.example"),
        ("http://%C3%28.example/", "%C3%28.example"),
        ("http://%ED%A0%80.example/", "%ED%A0%80.example"),
        ("http://foo%20bar.com/", "foo%20bar.com"),
        ("http://%20.example/", "%20.example"),
        ("http://example%2F.com/", "example%2F.com"),
        ("http://victim%40evil.com/", "victim%40evil.com"),
        ("http://example%5C.com/", "example%5C.com"),
        ("http://example%5B.com/", "example%5B.com"),
        ("http://example%5D.com/", "example%5D.com"),
        ("http://example%3A80.com/", "example%3A80.com"),
        ("http://example%3Fquery.com/", "example%3Fquery.com"),
        ("http://example%23fragment.com/", "example%23fragment.com"),
        ("http://a%25b.example/", "a%25b.example"),
        // Extra.
        ("http://\u{3a3}\u{391}\u{3a3}.gr/", "xn--mxa8ab.gr"),
        ("http://\u{f6}.%41/", "xn--nda.a"),
        ("http://0XFF.0X1/", "0XFF.0X1"),
        ("http://1.2.3.4.5/", "1.2.3.4.5"),
        ("http://[FE80::1%25En0]/", "[fe80::1%En0]"),
        ("http://[::1%25%25]/", "[::1%%25]"),
        ("http://[::1%2525]/", "[::1%25]"),
        ("http://[1:2:3:4:5:6:7::]/", "[1:2:3:4:5:6:7::]"),
        ("http://[1:2:3:4:5:6:1.2.3.4]/", "[1:2:3:4:5:6:1.2.3.4]"),
        ("http://it's/", "it's"),
        ("http://l\u{b7}l.cat/", "xn--ll-0ea.cat"),
        ("FTP://EXAMPLE.com/", "EXAMPLE.com"),
    ];

    #[test]
    fn hosts() {
        for &(url, host) in HOSTS {
            assert_eq!(parse(url).host.as_deref(), Some(host), "{url:?}");
        }
    }

    // test_parse_url_normalization: (url, Url.url after parsing).
    const NORMALIZATION: &[(&str, &str)] = &[
        ("HTTP://GOOGLE.COM/MAIL/", "http://google.com/MAIL/"),
        (
            "http://user@domain.com:password@example.com/~tilde@?@",
            "http://user%40domain.com:password@example.com/~tilde@?@",
        ),
        (
            "HTTP://JeremyCline:Hunter2@Example.com:8080/",
            "http://JeremyCline:Hunter2@example.com:8080/",
        ),
        (
            "HTTPS://Example.Com/?Key=Value",
            "https://example.com/?Key=Value",
        ),
        (
            "Https://Example.Com/#Fragment",
            "https://example.com/#Fragment",
        ),
        ("[::1%zone]", "[::1%zone]"),
        ("[::1%25zone]", "[::1%zone]"),
        ("[::1%0d]", "[::1%0d]"),
        ("[::1%25]", "[::1%25]"),
        ("[::Ff%etH0%Ff]/%ab%Af", "[::ff%etH0%FF]/%AB%AF"),
        (
            "http://user:pass@[AaAa::Ff%25etH0%Ff]/%ab%Af",
            "http://user:pass@[aaaa::ff%etH0%FF]/%AB%AF",
        ),
        (
            "http://google.com/p[]?parameter[]=\"hello\"#fragment#",
            "http://google.com/p%5B%5D?parameter%5B%5D=%22hello%22#fragment%23",
        ),
        (
            "http://google.com/p%5B%5d?parameter%5b%5D=%22hello%22#fragment%23",
            "http://google.com/p%5B%5D?parameter%5B%5D=%22hello%22#fragment%23",
        ),
    ];

    #[test]
    fn normalization() {
        for &(url, normalized) in NORMALIZATION {
            assert_eq!(parse(url).url(), normalized, "{url:?}");
        }
    }

    // test_parse_url / test_unparse_url: parse_url_host_map, which also round-trips.
    fn round_tripping() -> Vec<(&'static str, Url)> {
        vec![
            (
                "http://google.com/mail",
                url!(scheme: "http", host: "google.com", path: "/mail"),
            ),
            (
                "http://google.com/mail/",
                url!(scheme: "http", host: "google.com", path: "/mail/"),
            ),
            (
                "http://google.com/mail",
                url!(scheme: "http", host: "google.com", path: "mail"),
            ),
            ("google.com/mail", url!(host: "google.com", path: "/mail")),
            (
                "http://google.com/",
                url!(scheme: "http", host: "google.com", path: "/"),
            ),
            (
                "http://google.com",
                url!(scheme: "http", host: "google.com"),
            ),
            (
                "http://google.com?foo",
                url!(scheme: "http", host: "google.com", path: "", query: "foo"),
            ),
            ("", url!()),
            ("/", url!(path: "/")),
            (
                "#?/!google.com/?foo",
                url!(path: "", fragment: "?/!google.com/?foo"),
            ),
            ("/foo", url!(path: "/foo")),
            ("/foo?bar=baz", url!(path: "/foo", query: "bar=baz")),
            (
                "/foo?bar=baz#banana?apple/orange",
                url!(path: "/foo", query: "bar=baz", fragment: "banana?apple/orange"),
            ),
            (
                "/redirect?target=http://localhost:61020/",
                url!(path: "redirect", query: "target=http://localhost:61020/"),
            ),
            (
                "http://google.com/",
                url!(scheme: "http", host: "google.com", path: "/"),
            ),
            (
                "http://google.com:80/",
                url!(scheme: "http", host: "google.com", port: 80, path: "/"),
            ),
            (
                "http://google.com:80",
                url!(scheme: "http", host: "google.com", port: 80),
            ),
            (
                "http://foo:bar@localhost/",
                url!(scheme: "http", auth: "foo:bar", host: "localhost", path: "/"),
            ),
            (
                "http://foo@localhost/",
                url!(scheme: "http", auth: "foo", host: "localhost", path: "/"),
            ),
            (
                "http://foo:bar@localhost/",
                url!(scheme: "http", auth: "foo:bar", host: "localhost", path: "/"),
            ),
        ]
    }

    // test_parse_url: non_round_tripping_parse_url_host_map (the lone-surrogate cases cannot
    // be a &str); then test_parse_and_normalize_url_paths (which also checks Url.url),
    // test_url_vulnerabilities, and extra cases checked against urllib3.
    fn non_round_tripping() -> Vec<(&'static str, Url)> {
        vec![
            ("?", url!(path: "", query: "")),
            ("#", url!(path: "", fragment: "")),
            ("/abc/../def", url!(path: "/def")),
            (
                "http://google.com:",
                url!(scheme: "http", host: "google.com"),
            ),
            (
                "http://google.com:/",
                url!(scheme: "http", host: "google.com", path: "/"),
            ),
            (
                "http://K\u{f6}nigsg\u{e4}\u{df}chen.de/stra\u{df}e",
                url!(scheme: "http", host: "xn--knigsgchen-b4a3dun.de", path: "/stra%C3%9Fe"),
            ),
            (
                "http://user@email.com:password@example.com/",
                url!(scheme: "http", auth: "user%40email.com:password", host: "example.com", path: "/"),
            ),
            (
                "http://user\":quoted@example.com/",
                url!(scheme: "http", auth: "user%22:quoted", host: "example.com", path: "/"),
            ),
        ]
    }

    fn dot_segments() -> Vec<(&'static str, Url)> {
        vec![
            ("/abc/../def", url!(path: "/def")),
            ("/..", url!(path: "/")),
            ("/./abc/./def/", url!(path: "/abc/def/")),
            ("/.", url!(path: "/")),
            ("/./", url!(path: "/")),
            ("/abc/./.././d/././e/.././f/./../../ghi", url!(path: "/ghi")),
        ]
    }

    fn vulnerabilities() -> Vec<(&'static str, Url)> {
        vec![
            (
                "http://google.com#@evil.com/",
                url!(scheme: "http", host: "google.com", path: "", fragment: "@evil.com/"),
            ),
            (
                "http://google.com/\u{ff2e}\u{ff2e}/abc",
                url!(scheme: "http", host: "google.com", path: "/%EF%BC%AE%EF%BC%AE/abc"),
            ),
            (
                "javascript:a='@google.com:12345/';alert(0)",
                url!(scheme: "javascript", path: "a='@google.com:12345/';alert(0)"),
            ),
            ("//google.com/a/b/c", url!(host: "google.com", path: "/a/b/c")),
            (
                "http://\u{30d2}:\u{30ad}@\u{30d2}.abc.\u{30cb}/\u{30d2}?\u{30ad}#\u{30ef}",
                url!(
                    scheme: "http",
                    host: "xn--pdk.abc.xn--idk",
                    auth: "%E3%83%92:%E3%82%AD",
                    path: "/%E3%83%92",
                    query: "%E3%82%AD",
                    fragment: "%E3%83%AF",
                ),
            ),
            (
                "10.251.0.83:7777?a=1 HTTP/1.1\r\nX-injected: header",
                url!(host: "10.251.0.83", port: 7777, path: "", query: "a=1%20HTTP/1.1%0D%0AX-injected:%20header"),
            ),
            (
                "http://127.0.0.1:6379?\r\nSET test failure12\r\n:8080/test/?test=a",
                url!(
                    scheme: "http",
                    host: "127.0.0.1",
                    port: 6379,
                    path: "",
                    query: "%0D%0ASET%20test%20failure12%0D%0A:8080/test/?test=a",
                ),
            ),
            (
                "https://user:pass@xdavidhu.me\\test.corp.google.com:8080/path/to/something?param=value#hash",
                url!(
                    scheme: "https",
                    auth: "user:pass",
                    host: "xdavidhu.me",
                    path: "/%5Ctest.corp.google.com:8080/path/to/something",
                    query: "param=value",
                    fragment: "hash",
                ),
            ),
        ]
    }

    fn extra() -> Vec<(&'static str, Url)> {
        vec![
            (
                "http://:80/",
                url!(scheme: "http", host: "", port: 80, path: "/"),
            ),
            ("localhost:80", url!(scheme: "localhost", path: "/80")),
            ("foo:bar@host", url!(scheme: "foo", path: "/bar@host")),
            ("http:.", url!(scheme: "http")),
            ("http:///p", url!(scheme: "http", path: "/p")),
            ("http://@host", url!(scheme: "http", host: "host")),
            ("HTTP://h:0000", url!(scheme: "http", host: "h", port: 0)),
            ("http://[::1]:", url!(scheme: "http", host: "[::1]")),
            (
                "http://x/%zz%41",
                url!(scheme: "http", host: "x", path: "/%25zz%2541"),
            ),
            (
                "http://x/a\0b",
                url!(scheme: "http", host: "x", path: "/a%00b"),
            ),
            (
                "mailto:A@B.com/../x y",
                url!(scheme: "mailto", path: "/A@B.com/../x y"),
            ),
            (
                "Gopher://U\u{fc}@h/../p q?r s#t u",
                url!(scheme: "gopher", auth: "U\u{fc}", host: "h", path: "/../p q", query: "r s", fragment: "t u"),
            ),
        ]
    }

    #[test]
    fn parse_url_tables() {
        let tables = [
            round_tripping(),
            non_round_tripping(),
            dot_segments(),
            vulnerabilities(),
            extra(),
        ];
        for (input, expected) in tables.into_iter().flatten() {
            let parsed = parse(input);
            assert_eq!(parsed, expected, "{input:?}");
            assert_eq!(parsed.hostname(), expected.host.as_deref());
        }
        for (input, expected) in dot_segments() {
            assert_eq!(parse(input).url(), expected.url(), "{input:?}");
        }
    }

    // test_unparse_url.
    #[test]
    fn unparse_url() {
        for (input, expected) in round_tripping() {
            assert_eq!(expected.url(), input);
        }
    }

    // test_url_vulnerabilities: tons of '@' causing backtracking 2.
    #[test]
    fn many_at_signs() {
        let url = parse(&format!("https://user:{}example.com", "@".repeat(10000)));
        let auth = format!("user:{}", "%40".repeat(9999));
        let expected = Url::new(
            Some("https"),
            Some(&auth),
            Some("example.com"),
            None,
            None,
            None,
            None,
        );
        assert_eq!(url, expected);
    }

    // test_parse_url_remove_leading_zeros, test_parse_url_only_zeros; the netloc tables cover
    // "http://google.com:0".
    #[test]
    fn port_leading_zeros() {
        assert_eq!(parse("https://example.com:0000000000080").port, Some(80));
        assert_eq!(parse("https://example.com:0").port, Some(0));
        assert_eq!(parse("https://example.com:000000000000").port, Some(0));
        assert_eq!(parse("https://example.com:0065535").port, Some(65535));
    }

    // test_request_uri.
    const REQUEST_URI: &[(&str, &str)] = &[
        ("http://google.com/mail", "/mail"),
        ("http://google.com/mail/", "/mail/"),
        ("http://google.com/", "/"),
        ("http://google.com", "/"),
        ("", "/"),
        ("/", "/"),
        ("?", "/?"),
        ("#", "/"),
        ("/foo?bar=baz", "/foo?bar=baz"),
    ];

    #[test]
    fn request_uri() {
        for &(url, uri) in REQUEST_URI {
            assert_eq!(parse(url).request_uri(), uri, "{url:?}");
        }
    }

    // test_authority (url_authority_map + url_netloc_map) and test_netloc (url_netloc_map).
    const AUTHORITY: &[(&str, Option<&str>)] = &[
        (
            "http://user:pass@google.com/mail",
            Some("user:pass@google.com"),
        ),
        (
            "http://user:pass@google.com:80/mail",
            Some("user:pass@google.com:80"),
        ),
        ("http://user@google.com:80/mail", Some("user@google.com:80")),
        (
            "http://user:pass@192.168.1.1/path",
            Some("user:pass@192.168.1.1"),
        ),
        (
            "http://user:pass@192.168.1.1:80/path",
            Some("user:pass@192.168.1.1:80"),
        ),
        (
            "http://user@192.168.1.1:80/path",
            Some("user@192.168.1.1:80"),
        ),
        ("http://user:pass@[::1]/path", Some("user:pass@[::1]")),
        ("http://user:pass@[::1]:80/path", Some("user:pass@[::1]:80")),
        ("http://user@[::1]:80/path", Some("user@[::1]:80")),
        (
            "http://user:pass@localhost/path",
            Some("user:pass@localhost"),
        ),
        (
            "http://user:pass@localhost:80/path",
            Some("user:pass@localhost:80"),
        ),
        ("http://user@localhost:80/path", Some("user@localhost:80")),
    ];

    const NETLOC: &[(&str, Option<&str>)] = &[
        ("http://google.com/mail", Some("google.com")),
        ("http://google.com:80/mail", Some("google.com:80")),
        ("http://google.com:0/mail", Some("google.com:0")),
        ("http://192.168.0.1/path", Some("192.168.0.1")),
        ("http://192.168.0.1:80/path", Some("192.168.0.1:80")),
        ("http://[::1]/path", Some("[::1]")),
        ("http://[::1]:80/path", Some("[::1]:80")),
        ("http://localhost", Some("localhost")),
        ("http://localhost:80", Some("localhost:80")),
        ("http://localhost:0", Some("localhost:0")),
        ("google.com/foobar", Some("google.com")),
        ("google.com:12345", Some("google.com:12345")),
        ("/", None),
    ];

    #[test]
    fn authority_and_netloc() {
        for &(url, authority) in AUTHORITY.iter().chain(NETLOC) {
            assert_eq!(parse(url).authority().as_deref(), authority, "{url:?}");
        }
        for &(url, netloc) in NETLOC {
            assert_eq!(parse(url).netloc().as_deref(), netloc, "{url:?}");
        }
    }

    // test_auth_decoded's URLs: `auth_decoded` is not part of this API, so this checks the
    // auth field, which urllib3 keeps percent-encoded (these are all already valid).
    const AUTH: &[(&str, Option<&str>)] = &[
        ("http://foo:bar@example.com/", Some("foo:bar")),
        ("http://foo@example.com/", Some("foo")),
        ("http://foo:@example.com/", Some("foo:")),
        (
            "http://user-name:pass_word@example.com/",
            Some("user-name:pass_word"),
        ),
        (
            "http://user.name:pass~word@example.com/",
            Some("user.name:pass~word"),
        ),
        (
            "http://user!id:pass$word@example.com/",
            Some("user!id:pass$word"),
        ),
        (
            "http://user&co:pass'word@example.com/",
            Some("user&co:pass'word"),
        ),
        (
            "http://user(test):pass*word@example.com/",
            Some("user(test):pass*word"),
        ),
        (
            "http://user+id:pass,word@example.com/",
            Some("user+id:pass,word"),
        ),
        (
            "http://user;id:pass=word@example.com/",
            Some("user;id:pass=word"),
        ),
        (
            "http://user%3Aname:pass:word@example.com/",
            Some("user%3Aname:pass:word"),
        ),
        (
            "http://user%2Dname:pass%2Eword@example.com/",
            Some("user%2Dname:pass%2Eword"),
        ),
        (
            "http://user%40email:pass%2Fword@example.com/",
            Some("user%40email:pass%2Fword"),
        ),
        (
            "http://user%20space:pass%3Acolon@example.com/",
            Some("user%20space:pass%3Acolon"),
        ),
        (
            "http://user%40email.com:password@example.com/",
            Some("user%40email.com:password"),
        ),
        ("http://user%22:quoted@example.com/", Some("user%22:quoted")),
        ("http://example.com/", None),
        // Extra: escapes are upper-cased, a stray '%' is encoded with the rest.
        ("http://u%3a:%7e@example.com/", Some("u%3A:%7E")),
        ("http://u%:%7e@example.com/", Some("u%25:%257E")),
    ];

    #[test]
    fn auth() {
        for &(url, auth) in AUTH {
            assert_eq!(parse(url).auth.as_deref(), auth, "{url:?}");
        }
    }

    // test_encode_invalid_chars with _PATH_CHARS (bytes and lone-surrogate inputs left out).
    const ENCODE_PATH: &[(&str, &str)] = &[
        ("", ""),
        ("/", "/"),
        ("/path/to/resource", "/path/to/resource"),
        ("/a b|c", "/a%20b%7Cc"),
        ("/caf\u{e9}", "/caf%C3%A9"),
        (
            "/\u{65e5}\u{672c}/\u{1f600}",
            "/%E6%97%A5%E6%9C%AC/%F0%9F%98%80",
        ),
        ("/%2f%2F", "/%2F%2F"),
        ("/a%20b c", "/a%20b%20c"),
        ("%C3%A9\u{e9}", "%C3%A9%C3%A9"),
        ("%", "%25"),
        ("%2", "%252"),
        ("%%20", "%25%2520"),
        ("/%2F%", "/%252F%25"),
        ("/%2f%2F%zz", "/%252F%252F%25zz"),
    ];

    #[test]
    fn encode_invalid_chars() {
        for &(component, expected) in ENCODE_PATH {
            assert_eq!(encode_invalid(component, PATH), expected, "{component:?}");
        }
        assert_eq!(encode_invalid("a b%", UNRESERVED), "a%20b%25");
    }

    // test_Url_str, and Url(...)'s own normalisation (docstring example of Url.url).
    #[test]
    fn url_new_and_display() {
        let url = url!(scheme: "http", host: "google.com");
        assert_eq!(url.to_string(), url.url());
        let url = Url::new(
            Some("HTTPS"),
            Some("username:password"),
            Some("host.com"),
            Some(80),
            Some("path"),
            Some("query"),
            Some("fragment"),
        );
        assert_eq!(
            url.url(),
            "https://username:password@host.com:80/path?query#fragment"
        );
        assert_eq!(url!(path: "").path.as_deref(), Some(""));
        assert_eq!(url!(host: "h", port: 0).url(), "h:0");
        assert_eq!(
            "http://google.com/mail/"
                .parse::<Url>()
                .map(|u| u.url())
                .ok()
                .as_deref(),
            Some("http://google.com/mail/")
        );
        assert_eq!(Url::default().url(), "");
        assert_eq!(Url::default().request_uri(), "/");
    }

    #[test]
    fn dot_segment_removal() {
        let cases = [
            ("", ""),
            (".", ""),
            ("a/./b/../c", "a/c"),
            ("/a/../../b", "/b"),
            ("/a/b/..", "/a/"),
            ("../a", "a"),
            ("/a//../b", "/a/b"),
        ];
        for (path, expected) in cases {
            assert_eq!(remove_dot_segments(path), expected, "{path:?}");
        }
    }

    #[test]
    fn python_repr() {
        assert_eq!(py_repr("a'b"), "\"a'b\"");
        assert_eq!(py_repr("a'\"b"), "'a\\'\"b'");
        assert_eq!(
            py_repr("\0\x7f\u{85}\u{e9}\u{200b}\\"),
            "'\\x00\\x7f\\x85\u{e9}\\u200b\\\\'"
        );
    }
}
