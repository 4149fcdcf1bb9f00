//! Header lists that keep what the wire carries: case, order and repeats.
//!
//! urllib3's `HTTPHeaderDict` looks names up case-insensitively but sends and shows them as the
//! caller (or the server) wrote them, keeps every value of a repeated header, and joins them
//! with `", "` on a plain lookup. [`HeaderMap`] is that, stored as the flat list of lines so that
//! the order on the wire survives. Header lists are short (a dozen lines), so a linear scan beats
//! hashing here, as it does in http.client.
//!
//! Values are text decoded as Latin-1, as http.client does: every byte maps to one `char`, so no
//! byte is lost and [`HeaderMap::write_to`] gives the same bytes back.

use std::borrow::Cow;
use std::fmt;

use crate::error::{py_bytes_repr, Error, ErrorKind, Result};

/// A case-insensitive, order-preserving, multi-valued header list (urllib3's `HTTPHeaderDict`).
///
/// ```
/// use urllib3::HeaderMap;
///
/// let mut headers = HeaderMap::new();
/// headers.append("Set-Cookie", "a=1");
/// headers.append("set-cookie", "b=2");
/// headers.insert("Content-Type", "text/plain");
///
/// assert_eq!(headers.get("SET-COOKIE").as_deref(), Some("a=1, b=2"));
/// assert_eq!(headers.get_all("set-cookie").collect::<Vec<_>>(), ["a=1", "b=2"]);
/// assert_eq!(headers.keys().collect::<Vec<_>>(), ["Set-Cookie", "Content-Type"]);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct HeaderMap {
    lines: Vec<(String, String)>,
}

impl HeaderMap {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty list with room for `n` lines.
    pub fn with_capacity(n: usize) -> Self {
        HeaderMap {
            lines: Vec::with_capacity(n),
        }
    }

    /// The number of header lines (a repeated name counts once per line).
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether there are no lines.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Adds a line, keeping any earlier ones of the same name (`HTTPHeaderDict.add`).
    pub fn append(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.lines.push((name.into(), value.into()));
    }

    /// Sets `name` to the single `value`, in the place of its first line if it had one
    /// (`headers[name] = value`).
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        match self.position(&name) {
            Some(first) => {
                // Later lines of the name go; the first is overwritten where it stands.
                let mut index = 0;
                self.lines.retain(|(n, _)| {
                    let keep = index <= first || !n.eq_ignore_ascii_case(&name);
                    index += 1;
                    keep
                });
                self.lines[first] = (name, value.into());
            }
            None => self.lines.push((name, value.into())),
        }
    }

    /// Removes every line named `name`, returning whether there was one.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.lines.len();
        self.lines.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        before != self.lines.len()
    }

    /// Whether a line named `name` exists, in any case.
    pub fn contains(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    /// The values of `name` joined with `", "`, as urllib3's `headers[name]` gives them.
    ///
    /// Borrows when there is a single line, which is the common case.
    pub fn get<'a>(&'a self, name: &'a str) -> Option<Cow<'a, str>> {
        let mut values = self.get_all(name);
        let first = values.next()?;
        match values.next() {
            None => Some(Cow::Borrowed(first)),
            Some(second) => {
                let mut joined = format!("{first}, {second}");
                for v in values {
                    joined.push_str(", ");
                    joined.push_str(v);
                }
                Some(Cow::Owned(joined))
            }
        }
    }

    /// Every value of `name`, in wire order (`HTTPHeaderDict.getlist`).
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.lines
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The distinct names, each in the case of its first line, in first-seen order.
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.lines.iter().enumerate().filter_map(|(i, (name, _))| {
            let seen_before = self.lines[..i]
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(name));
            (!seen_before).then_some(name.as_str())
        })
    }

    /// Every line as (name, value), in wire order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.lines.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Appends every line of `other` (`HTTPHeaderDict.extend`).
    pub fn extend(&mut self, other: &HeaderMap) {
        self.lines.extend(other.lines.iter().cloned());
    }

    /// Whether any value of `name` contains `token` as a comma-separated element, ignoring case
    /// (`Connection: keep-alive, Upgrade` contains `upgrade`).
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.get_all(name)
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    /// Writes the lines as `Name: value\r\n`, refusing what would let a caller inject lines.
    ///
    /// http.client refuses names that are not tokens and values with CR, LF or NUL, because a
    /// value like `x\r\nHost: evil` would smuggle a second header; we refuse the same. Values
    /// leave as Latin-1, so a character above U+00FF has no byte and is refused too.
    pub fn write_to(&self, out: &mut Vec<u8>) -> Result<()> {
        for (name, value) in &self.lines {
            write_line(out, name, value)?;
        }
        Ok(())
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.lines
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(name))
    }
}

/// Writes one `Name: value\r\n` line after checking it as http.client does.
pub(crate) fn write_line(out: &mut Vec<u8>, name: &str, value: &str) -> Result<()> {
    // http.client's errors: ValueError, quoting the bytes it was given.
    if !is_legal_name(name) {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("Invalid header name {}", py_bytes_repr(name)),
        ));
    }
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    push_latin1(out, value).map_err(|()| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("Invalid header value {}", py_bytes_repr(value)),
        )
    })?;
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// Appends `text` as Latin-1, failing on CR, LF, NUL or a character with no Latin-1 byte.
pub(crate) fn push_latin1(out: &mut Vec<u8>, text: &str) -> std::result::Result<(), ()> {
    if text.is_ascii() {
        if text.bytes().any(|b| matches!(b, b'\r' | b'\n' | b'\0')) {
            return Err(());
        }
        out.extend_from_slice(text.as_bytes());
        return Ok(());
    }
    for c in text.chars() {
        let byte = u8::try_from(u32::from(c)).map_err(|_| ())?;
        if matches!(byte, b'\r' | b'\n' | b'\0') {
            return Err(());
        }
        out.push(byte);
    }
    Ok(())
}

/// Decodes wire bytes as Latin-1: each byte is the `char` of the same number.
pub(crate) fn latin1(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) if s.is_ascii() => s.to_owned(),
        _ => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// http.client's rule for a header name (`[^:\s][^:\r\n]*`, ASCII), and no NUL: looser than
/// an RFC 9110 token (a space inside is allowed, as urllib3 users rely on), strict where it
/// matters, since no name can end the line or the field early.
fn is_legal_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    match bytes.first() {
        None => false,
        Some(first) if *first == b':' || first.is_ascii_whitespace() => false,
        Some(_) => name.is_ascii() && !bytes.iter().any(|b| matches!(b, b':' | b'\r' | b'\n' | 0)),
    }
}

impl fmt::Debug for HeaderMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<N: Into<String>, V: Into<String>> FromIterator<(N, V)> for HeaderMap {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Self {
        HeaderMap {
            lines: iter
                .into_iter()
                .map(|(n, v)| (n.into(), v.into()))
                .collect(),
        }
    }
}

impl<'a> IntoIterator for &'a HeaderMap {
    type Item = (&'a str, &'a str);
    type IntoIter = Box<dyn Iterator<Item = (&'a str, &'a str)> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(lines: &[(&str, &str)]) -> HeaderMap {
        lines.iter().copied().collect()
    }

    #[test]
    fn lookup_ignores_case_and_joins_repeats() {
        let h = map(&[("Accept", "a"), ("X-Y", "1"), ("accept", "b")]);
        assert_eq!(h.get("ACCEPT").as_deref(), Some("a, b"));
        assert_eq!(h.get("x-y").as_deref(), Some("1"));
        assert_eq!(h.get("missing"), None);
        assert!(h.contains("x-Y"));
    }

    #[test]
    fn insert_replaces_all_lines_in_place_of_the_first() {
        let mut h = map(&[("A", "1"), ("B", "2"), ("a", "3")]);
        h.insert("a", "new");
        assert_eq!(h.iter().collect::<Vec<_>>(), [("a", "new"), ("B", "2")]);
        h.insert("C", "4");
        assert_eq!(h.len(), 3);
    }

    #[test]
    fn remove_drops_every_line_of_a_name() {
        let mut h = map(&[("A", "1"), ("B", "2"), ("a", "3")]);
        assert!(h.remove("A"));
        assert!(!h.remove("A"));
        assert_eq!(h.iter().collect::<Vec<_>>(), [("B", "2")]);
    }

    #[test]
    fn keys_are_unique_in_first_case() {
        let h = map(&[("Set-Cookie", "1"), ("X", "2"), ("set-cookie", "3")]);
        assert_eq!(h.keys().collect::<Vec<_>>(), ["Set-Cookie", "X"]);
    }

    #[test]
    fn tokens_are_found_in_lists() {
        let h = map(&[("Connection", "keep-alive, Close")]);
        assert!(h.has_token("connection", "close"));
        assert!(!h.has_token("connection", "upgrade"));
    }

    #[test]
    fn lines_are_written_as_given() {
        let h = map(&[
            ("X-Custom", "Value"),
            ("accept", "*/*"),
            ("X-Latin", "caf\u{e9}"),
        ]);
        let mut out = Vec::new();
        h.write_to(&mut out).unwrap();
        assert_eq!(
            out,
            b"X-Custom: Value\r\naccept: */*\r\nX-Latin: caf\xe9\r\n"
        );
    }

    #[test]
    fn injection_is_refused() {
        // http.client's ValueError messages, quoting the bytes.
        let cases: &[(&str, &str, &str)] = &[
            (
                "X",
                "a\r\nHost: evil",
                r"Invalid header value b'a\r\nHost: evil'",
            ),
            ("X", "a\nb", r"Invalid header value b'a\nb'"),
            ("X", "a\0b", r"Invalid header value b'a\x00b'"),
            ("X", "caf\u{e9}\n", r"Invalid header value b'caf\xe9\n'"),
            (
                "X",
                "snowman \u{2603}",
                r"Invalid header value b'snowman ?'",
            ),
            (" Leading", "v", r"Invalid header name b' Leading'"),
            ("X\0", "v", r"Invalid header name b'X\x00'"),
            ("Bad:Name", "v", r"Invalid header name b'Bad:Name'"),
            ("", "v", r"Invalid header name b''"),
            ("X\r\nY", "v", r"Invalid header name b'X\r\nY'"),
        ];
        for &(name, value, message) in cases {
            let err = map(&[(name, value)]).write_to(&mut Vec::new()).unwrap_err();
            assert_eq!(
                err.kind(),
                ErrorKind::InvalidArgument,
                "{name:?}: {value:?}"
            );
            assert_eq!(err.message(), message);
        }
        // http.client sends a name with spaces inside; so do we.
        let mut out = Vec::new();
        map(&[("For The Proxy", "yes")]).write_to(&mut out).unwrap();
        assert_eq!(out, b"For The Proxy: yes\r\n");
    }

    #[test]
    fn latin1_round_trips_every_byte() {
        let bytes: Vec<u8> = (1..=255u8).filter(|b| !b"\r\n".contains(b)).collect();
        let text = latin1(&bytes);
        let mut out = Vec::new();
        push_latin1(&mut out, &text).unwrap();
        assert_eq!(out, bytes);
    }
}
