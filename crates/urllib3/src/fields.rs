//! Form fields and their `multipart/form-data` encoding, after urllib3's `urllib3.fields` and
//! `urllib3.filepost`.
//!
//! A [`RequestField`] is one part of a form: a name, its data, an optional filename and the
//! part's own headers. [`encode_multipart_formdata`] joins fields into a request body, byte for
//! byte as urllib3 2.x does, and returns the `Content-Type` the request must carry with it.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

use crate::error::{Error, ErrorKind, Result};

/// The type urllib3 falls back to when nothing better can be guessed from a filename.
const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// Headers [`RequestField::render_headers`] writes first, in this order, as urllib3 does.
const LEADING_HEADERS: [&str; 3] = ["Content-Disposition", "Content-Type", "Content-Location"];

/// Guesses a `Content-Type` from a filename (`a.txt` is `text/plain`), or returns `default`.
///
/// urllib3 asks Python's `mimetypes`; this follows its rules for finding the extension (see
/// `guess_from_filename`) and looks it up in `mime_guess`'s table, overridden where Python's
/// table says otherwise.
pub fn guess_content_type(filename: Option<&str>, default: &str) -> String {
    filename
        .and_then(guess_from_filename)
        .unwrap_or(default)
        .to_owned()
}

/// Python's `mimetypes.guess_type(filename)[0]` for a plain file name (no URL scheme): the
/// extension of the last path segment; `.gz`, `.Z`, `.bz2`, `.xz` and `.br` name a compression,
/// not a type, so `a.tar.gz` is `application/x-tar` and `a.gz` has no type at all.
fn guess_from_filename(filename: &str) -> Option<&'static str> {
    let (base, ext) = split_ext(filename);
    // Python lowercases for the suffix map but matches compression suffixes case-sensitively,
    // so `a.TGZ` is a tarball while `a.tar.GZ` is looked up as `.gz` itself.
    let ext = match tarball_alias(&ext.to_ascii_lowercase()) {
        Some(inner) => inner,
        None if is_compression_suffix(ext) => split_ext(base).1,
        None => ext,
    };
    // Python's own table wins where it and `mime_guess` disagree.
    let ext = ext.strip_prefix('.')?.to_ascii_lowercase();
    python_override(&ext).or_else(|| mime_guess::from_ext(&ext).first_raw())
}

/// Splits `path` before the extension of its last segment, as Python's `posixpath.splitext`:
/// the dot must follow something other than dots, so `.bashrc` and `..` have no extension.
fn split_ext(path: &str) -> (&str, &str) {
    let segment_start = path.rfind('/').map_or(0, |slash| slash + 1);
    let has_ext = path.rfind('.').filter(|&dot| {
        path.get(segment_start..dot)
            .is_some_and(|stem| stem.bytes().any(|b| b != b'.'))
    });
    match has_ext {
        Some(dot) => path.split_at(dot),
        None => (path, ""),
    }
}

/// Python's `mimetypes.suffix_map` (`.tgz` is `.tar.gz`), minus the compression suffix that
/// Python strips right after expanding.
fn tarball_alias(lower_ext: &str) -> Option<&'static str> {
    match lower_ext {
        ".tgz" | ".taz" | ".tz" | ".tbz2" | ".txz" => Some(".tar"),
        ".svgz" => Some(".svg"),
        _ => None,
    }
}

/// Python's `mimetypes.encodings_map` keys; Python compares them case-sensitively.
fn is_compression_suffix(ext: &str) -> bool {
    matches!(ext, ".gz" | ".Z" | ".bz2" | ".xz" | ".br")
}

/// Where `mime_guess` disagrees with both CPython's built-in table (3.12 and later) and the
/// Debian `/etc/mime.types` Python also reads, Python's answer. Python's result depends on the
/// host's mime files, so exact parity is impossible; this covers the agreed cases.
fn python_override(lower_ext: &str) -> Option<&'static str> {
    Some(match lower_ext {
        "js" | "mjs" => "text/javascript",
        "py" => "text/x-python",
        "pyc" | "pyo" => "application/x-python-code",
        "ksh" | "srt" => "text/plain",
        "ico" => "image/vnd.microsoft.icon",
        "wav" => "audio/x-wav",
        "aif" | "aifc" | "aiff" => "audio/x-aiff",
        "3gp" | "3gpp" => "audio/3gpp",
        "3g2" | "3gpp2" => "audio/3gpp2",
        "ass" => "audio/aac",
        "m3u8" => "application/vnd.apple.mpegurl",
        "xlb" => "application/vnd.ms-excel",
        "h5" => "application/x-hdf5",
        "xpdl" => "application/xml",
        _ => return None,
    })
}

/// Formats one part-header parameter as `name="value"` the WHATWG HTML way (as browsers and
/// curl do): only `\n`, `\r` and `"` are percent-encoded, so `a"b\r\n` gives `a%22b%0D%0A`.
///
/// Encoding CR and LF keeps a hostile field name or filename from starting a header line of
/// its own; encoding `"` keeps it from closing the quoted string early. Backslashes and other
/// control characters pass through unchanged, as in urllib3 2.x.
pub fn format_multipart_header_param(name: &str, value: &str) -> String {
    let mut out = String::with_capacity(name.len() + value.len() + 3);
    out.push_str(name);
    out.push_str("=\"");
    for ch in value.chars() {
        match ch {
            '\n' => out.push_str("%0A"),
            '\r' => out.push_str("%0D"),
            '"' => out.push_str("%22"),
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

/// Old name of [`format_multipart_header_param`], kept as urllib3 2.x keeps it.
#[deprecated(since = "2.0.0", note = "renamed to format_multipart_header_param")]
pub fn format_header_param_html5(name: &str, value: &str) -> String {
    format_multipart_header_param(name, value)
}

/// Old name of [`format_multipart_header_param`], kept as urllib3 2.x keeps it.
#[deprecated(since = "2.0.0", note = "renamed to format_multipart_header_param")]
pub fn format_header_param(name: &str, value: &str) -> String {
    format_multipart_header_param(name, value)
}

/// Formats a parameter the RFC 2231 way (`name*=utf-8''percent-encoded`) unless it is plain
/// ASCII free of `"`, `\`, CR and LF, in which case it is simply quoted.
///
/// urllib3 keeps this for compatibility only: form-data parsers do not understand RFC 2231.
#[deprecated(
    since = "2.0.0",
    note = "not valid for multipart/form-data; use format_multipart_header_param"
)]
pub fn format_header_param_rfc2231(name: &str, value: &str) -> String {
    if !value.contains(['"', '\\', '\r', '\n']) {
        let quoted = format!("{name}=\"{value}\"");
        // urllib3 checks the whole `name="value"`, so a non-ASCII name also takes the long form.
        if quoted.is_ascii() {
            return quoted;
        }
    }
    format!("{name}*=utf-8''{}", percent_encode_all(value))
}

/// Python's `urllib.parse.quote(value, safe="")`: every UTF-8 byte outside `A-Za-z0-9_.-~`
/// becomes `%XX` with upper-case hex.
fn percent_encode_all(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"_.-~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Joins `name="value"` parameters with `"; "`, leaving out those without a value.
fn render_parts(parts: &[(&str, Option<&str>)]) -> String {
    parts
        .iter()
        .filter_map(|&(name, value)| value.map(|v| format_multipart_header_param(name, v)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// urllib3's "old-style" field value for [`RequestField::from_tuples`]: plain data or a file
/// tuple. Text and bytes share a variant, since urllib3 writes `str` data as UTF-8 anyway.
///
/// Tuples convert into it, as urllib3's `fields={...}` values are written:
///
/// ```
/// use urllib3::{FieldValue, RequestField};
///
/// let plain = RequestField::from_tuples("name", "value");
/// assert_eq!(plain.header("Content-Type"), None);
/// let file = RequestField::from_tuples("doc", ("notes.txt", "some text"));
/// assert_eq!(file.header("Content-Type"), Some("text/plain"));
///
/// let typed = FieldValue::from(("data.bin", vec![1u8, 2], "application/x-demo"));
/// assert!(matches!(typed, FieldValue::File { content_type: Some(_), .. }));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldValue {
    /// A plain value: the part gets no filename and no `Content-Type`.
    Data(Vec<u8>),
    /// urllib3's `(filename, data[, content_type])` tuple.
    File {
        /// The filename sent in the part's `Content-Disposition`.
        filename: String,
        /// The file's content.
        data: Vec<u8>,
        /// The part's `Content-Type`; `None` guesses it from `filename`.
        content_type: Option<String>,
    },
}

/// Plain values: text is sent as UTF-8, bytes as they are.
macro_rules! field_value_from_data {
    ($($source:ty),*) => {$(
        impl From<$source> for FieldValue {
            fn from(data: $source) -> Self {
                FieldValue::Data(data.into())
            }
        }
    )*};
}
field_value_from_data!(&str, String, Vec<u8>, &[u8]);

impl<const N: usize> From<&[u8; N]> for FieldValue {
    fn from(bytes: &[u8; N]) -> Self {
        FieldValue::Data(bytes.to_vec())
    }
}

/// `(filename, data)`: the content type will be guessed from the filename.
impl<F: Into<String>, D: Into<Vec<u8>>> From<(F, D)> for FieldValue {
    fn from((filename, data): (F, D)) -> Self {
        FieldValue::File {
            filename: filename.into(),
            data: data.into(),
            content_type: None,
        }
    }
}

/// `(filename, data, content_type)`.
impl<F: Into<String>, D: Into<Vec<u8>>, C: Into<String>> From<(F, D, C)> for FieldValue {
    fn from((filename, data, content_type): (F, D, C)) -> Self {
        FieldValue::File {
            filename: filename.into(),
            data: data.into(),
            content_type: Some(content_type.into()),
        }
    }
}

/// One part of a `multipart/form-data` body (urllib3's `RequestField`).
///
/// A field from [`new`](Self::new) has no headers; [`make_multipart`](Self::make_multipart)
/// (which [`from_tuples`](Self::from_tuples) calls) adds the `Content-Disposition` it needs.
///
/// ```
/// use urllib3::RequestField;
///
/// let mut field = RequestField::new("avatar", b"\x89PNG".to_vec()).with_filename("me.png");
/// assert_eq!(field.render_headers(), "\r\n");
/// field.make_multipart(None, Some("image/png"), None);
/// assert_eq!(
///     field.render_headers(),
///     "Content-Disposition: form-data; name=\"avatar\"; filename=\"me.png\"\r\n\
///      Content-Type: image/png\r\n\r\n"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestField {
    name: String,
    data: Vec<u8>,
    filename: Option<String>,
    /// Like urllib3's dict: names are case-sensitive and unique, kept in insertion order.
    headers: Vec<(String, String)>,
}

impl RequestField {
    /// A field with no filename and no headers.
    pub fn new(name: impl Into<String>, data: impl Into<Vec<u8>>) -> Self {
        RequestField {
            name: name.into(),
            data: data.into(),
            filename: None,
            headers: Vec::new(),
        }
    }

    /// Sets the filename [`make_multipart`](Self::make_multipart) puts in the disposition.
    pub fn with_filename(mut self, filename: impl Into<String>) -> Self {
        self.filename = Some(filename.into());
        self
    }

    /// Sets a header, as [`set_header`](Self::set_header), builder style.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.set_header(name, value);
        self
    }

    /// Builds a field from urllib3's old-style values and makes it multipart; a file also gets
    /// its filename and a `Content-Type` (the one given, else guessed, else octet-stream).
    pub fn from_tuples(name: impl Into<String>, value: impl Into<FieldValue>) -> Self {
        let (mut field, content_type) = match value.into() {
            FieldValue::Data(data) => (RequestField::new(name, data), None),
            FieldValue::File {
                filename,
                data,
                content_type,
            } => {
                let content_type = content_type
                    .unwrap_or_else(|| guess_content_type(Some(&filename), DEFAULT_CONTENT_TYPE));
                (
                    RequestField::new(name, data).with_filename(filename),
                    Some(content_type),
                )
            }
        };
        field.make_multipart(None, content_type.as_deref(), None);
        field
    }

    /// Sets the headers that make this a form part: `Content-Disposition` is the given kind
    /// (`form-data` if `None` or empty) with the escaped `name` and `filename`; a `None` type or
    /// location removes that header. Given values are written verbatim, as urllib3 does.
    pub fn make_multipart(
        &mut self,
        content_disposition: Option<&str>,
        content_type: Option<&str>,
        content_location: Option<&str>,
    ) {
        let kind = content_disposition
            .filter(|kind| !kind.is_empty())
            .unwrap_or("form-data");
        let params = render_parts(&[
            ("name", Some(&self.name)),
            ("filename", self.filename.as_deref()),
        ]);
        self.set_header("Content-Disposition", format!("{kind}; {params}"));
        self.set_or_remove_header("Content-Type", content_type);
        self.set_or_remove_header("Content-Location", content_location);
    }

    /// The part's header block: the disposition, type and location first, then the others in
    /// the order first set, each ended by CRLF, then an empty line. Empty values are left out,
    /// as urllib3 leaves out its falsy ones.
    pub fn render_headers(&self) -> String {
        let leading = LEADING_HEADERS
            .iter()
            .filter_map(|&name| self.header(name).map(|value| (name, value)));
        let others = self
            .headers
            .iter()
            .filter(|(name, _)| !LEADING_HEADERS.contains(&name.as_str()))
            .map(|(name, value)| (name.as_str(), value.as_str()));
        let mut out: String = leading
            .chain(others)
            .filter(|(_, value)| !value.is_empty())
            .map(|(name, value)| format!("{name}: {value}\r\n"))
            .collect();
        out.push_str("\r\n");
        out
    }

    /// The field's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The field's content.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The filename, if one was set.
    pub fn filename(&self) -> Option<&str> {
        self.filename.as_deref()
    }

    /// All headers in the order they were first set.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The value of the header named exactly `name` (names are case-sensitive, as in urllib3).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Sets a header, keeping its place if it was already set (like assigning a dict key).
    /// The value is written verbatim by [`render_headers`](Self::render_headers).
    pub fn set_header(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let (name, value) = (name.into(), value.into());
        match self.headers.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.headers.push((name, value)),
        }
    }

    /// Removes the header named exactly `name`, returning its value.
    pub fn remove_header(&mut self, name: &str) -> Option<String> {
        let index = self.headers.iter().position(|(n, _)| n == name)?;
        Some(self.headers.remove(index).1)
    }

    /// urllib3 stores `None` for an absent value; a missing header renders the same.
    fn set_or_remove_header(&mut self, name: &str, value: Option<&str>) {
        match value {
            Some(value) => self.set_header(name, value),
            None => drop(self.remove_header(name)),
        }
    }
}

/// `(name, value)` pairs become fields through [`RequestField::from_tuples`], so a list of
/// pairs, or a map, can be passed straight to [`encode_multipart_formdata`].
impl<N: Into<String>, V: Into<FieldValue>> From<(N, V)> for RequestField {
    fn from((name, value): (N, V)) -> Self {
        RequestField::from_tuples(name, value)
    }
}

/// A fresh random boundary: 32 lower-case hex digits, like urllib3's `hexlify(os.urandom(16))`.
///
/// std's `RandomState` keys SipHash from the OS random source and changes keys on every `new`,
/// so boundaries differ per call and cannot be predicted by whoever supplies the field data.
pub fn choose_boundary() -> String {
    let state = RandomState::new();
    let high = state.hash_one(0u8);
    let low = state.hash_one(1u8);
    format!("{high:016x}{low:016x}")
}

/// Turns each item into a [`RequestField`]: fields pass through, `(name, value)` pairs go
/// through [`RequestField::from_tuples`] (urllib3's `iter_field_objects`).
pub fn iter_field_objects<I, F>(fields: I) -> impl Iterator<Item = RequestField>
where
    I: IntoIterator<Item = F>,
    F: Into<RequestField>,
{
    fields.into_iter().map(Into::into)
}

/// Encodes `fields` as a `multipart/form-data` body; returns it with the `Content-Type` value
/// (`multipart/form-data; boundary=...`) to send. Each field is `--boundary` CRLF, its
/// [headers](RequestField::render_headers), data, CRLF; `--boundary--` CRLF ends the body.
/// Fields are used as given; pairs go through [`RequestField::from_tuples`]. Without a
/// `boundary`, [`choose_boundary`] picks one.
///
/// # Errors
///
/// [`ErrorKind::InvalidArgument`] if `boundary` has a character outside Latin-1, which
/// urllib3 cannot encode either (it raises `UnicodeEncodeError`, a `ValueError`).
///
/// ```
/// use urllib3::encode_multipart_formdata;
///
/// let (body, content_type) = encode_multipart_formdata([("doc", ("a.txt", "hi"))], Some("B"))?;
/// assert_eq!(content_type, "multipart/form-data; boundary=B");
/// let expected = "--B\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a.txt\"\r\n\
///                 Content-Type: text/plain\r\n\r\nhi\r\n--B--\r\n";
/// assert_eq!(body, expected.as_bytes());
/// # Ok::<(), urllib3::Error>(())
/// ```
pub fn encode_multipart_formdata<I, F>(
    fields: I,
    boundary: Option<&str>,
) -> Result<(Vec<u8>, String)>
where
    I: IntoIterator<Item = F>,
    F: Into<RequestField>,
{
    let boundary = boundary.map_or_else(choose_boundary, str::to_owned);
    let delimiter = encode_latin1(&boundary)?;
    let mut body = Vec::new();
    for field in iter_field_objects(fields) {
        write_part(&mut body, &delimiter, &field);
    }
    body.extend_from_slice(b"--");
    body.extend_from_slice(&delimiter);
    body.extend_from_slice(b"--\r\n");
    Ok((body, format!("multipart/form-data; boundary={boundary}")))
}

/// Appends one delimiter line, header block, data and trailing CRLF.
fn write_part(body: &mut Vec<u8>, delimiter: &[u8], field: &RequestField) {
    let headers = field.render_headers();
    for piece in [
        b"--",
        delimiter,
        b"\r\n",
        headers.as_bytes(),
        &field.data,
        b"\r\n",
    ] {
        body.extend_from_slice(piece);
    }
}

/// urllib3 writes the boundary as Latin-1 (headers and data as UTF-8), so a boundary with
/// `é` is one byte in the body; anything past U+00FF cannot be written at all.
fn encode_latin1(text: &str) -> Result<Vec<u8>> {
    let encode = |(index, ch): (usize, char)| {
        u8::try_from(u32::from(ch)).map_err(|_| {
            // urllib3 encodes `--{boundary}`, so its message counts the two dashes too.
            let message = format!(
                "'latin-1' codec can't encode character {ch:?} in position {}: \
                 ordinal not in range(256)",
                index + 2
            );
            Error::new(ErrorKind::InvalidArgument, message)
        })
    };
    text.chars().enumerate().map(encode).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// The boundary of urllib3's test_filepost.py: not RFC 2046-clean, which urllib3 accepts.
    const BOUNDARY: &str = "!! test boundary !!";

    fn encode<I, F>(fields: I) -> Vec<u8>
    where
        I: IntoIterator<Item = F>,
        F: Into<RequestField>,
    {
        match encode_multipart_formdata(fields, Some(BOUNDARY)) {
            Ok((body, content_type)) => {
                assert_eq!(
                    content_type,
                    format!("multipart/form-data; boundary={BOUNDARY}")
                );
                body
            }
            Err(err) => panic!("encoding failed: {err}"),
        }
    }

    /// A body with the test boundary from `parts` (each a header block plus data).
    fn body(parts: &[&str]) -> Vec<u8> {
        let mut out = String::new();
        for part in parts {
            out.push_str(&format!("--{BOUNDARY}\r\n{part}\r\n"));
        }
        out.push_str(&format!("--{BOUNDARY}--\r\n"));
        out.into_bytes()
    }

    fn count(haystack: &[u8], needle: &[u8]) -> usize {
        haystack
            .windows(needle.len())
            .filter(|w| *w == needle)
            .count()
    }

    // test_fields.py::test_guess_content_type, plus mimetypes' extension rules.
    #[test]
    fn guesses_content_types() {
        let cases: &[(Option<&str>, &str)] = &[
            (Some("image.jpg"), "image/jpeg"),
            (Some("notsure"), DEFAULT_CONTENT_TYPE),
            (None, DEFAULT_CONTENT_TYPE),
            (Some(""), DEFAULT_CONTENT_TYPE),
            (Some("somefile.txt"), "text/plain"),
            (Some("A.TXT"), "text/plain"),
            (Some("a.b.c.json"), "application/json"),
            (Some("x.unknownext"), DEFAULT_CONTENT_TYPE),
            (Some(".txt"), DEFAULT_CONTENT_TYPE),
            (Some("..txt"), DEFAULT_CONTENT_TYPE),
            (Some("a."), DEFAULT_CONTENT_TYPE),
            (Some("dir.d/file"), DEFAULT_CONTENT_TYPE),
            (Some("dir/.hidden"), DEFAULT_CONTENT_TYPE),
            (Some("dir/a.png"), "image/png"),
            (Some("a.tar.gz"), "application/x-tar"),
            (Some("a.gz"), DEFAULT_CONTENT_TYPE),
            (Some("a.jpg.xz"), "image/jpeg"),
            (Some("a.tar.Z"), "application/x-tar"),
            (Some("a.TGZ"), "application/x-tar"),
            (Some("a.svgz"), "image/svg+xml"),
            (Some("a.py"), "text/x-python"),
            (Some("a.js"), "text/javascript"),
            (Some("a.ico"), "image/vnd.microsoft.icon"),
            (Some("a.wav"), "audio/x-wav"),
        ];
        for &(filename, expected) in cases {
            let got = guess_content_type(filename, DEFAULT_CONTENT_TYPE);
            assert_eq!(got, expected, "{filename:?}");
        }
        assert_eq!(guess_content_type(Some("notsure"), "x/y"), "x/y");
    }

    // test_fields.py::test_create
    #[test]
    fn new_fields_render_no_headers_until_made_multipart() {
        let cases = [
            (RequestField::new("somename", "data"), "\r\n"),
            (
                RequestField::new("somename", "data").with_filename("somefile.txt"),
                "\r\n",
            ),
            (
                RequestField::new("somename", "data").with_header("Content-Length", "4"),
                "Content-Length: 4\r\n\r\n",
            ),
        ];
        for (field, expected) in cases {
            assert_eq!(field.render_headers(), expected, "{field:?}");
        }
    }

    // test_fields.py::test_make_multipart, ::test_make_multipart_empty_filename, and output of
    // urllib3 2.8 for orderings, custom dispositions and empty values.
    #[test]
    fn make_multipart_renders_like_urllib3() {
        type Case = (RequestField, [Option<&'static str>; 3], &'static str);
        let extra = RequestField::new("n", "d")
            .with_filename("f")
            .with_header("X-B", "2")
            .with_header("Content-Type", "a/b")
            .with_header("X-A", "1")
            .with_header("X-Empty", "");
        let cases: Vec<Case> = vec![
            (
                RequestField::new("somename", "data"),
                [None, Some("image/jpg"), Some("/test")],
                "Content-Disposition: form-data; name=\"somename\"\r\n\
                 Content-Type: image/jpg\r\nContent-Location: /test\r\n\r\n",
            ),
            (
                RequestField::new("somename", "data").with_filename(""),
                [None, Some("application/octet-stream"), None],
                "Content-Disposition: form-data; name=\"somename\"; filename=\"\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n",
            ),
            (
                extra,
                [Some("attachment"), None, Some("/loc")],
                "Content-Disposition: attachment; name=\"n\"; filename=\"f\"\r\n\
                 Content-Location: /loc\r\nX-B: 2\r\nX-A: 1\r\n\r\n",
            ),
            (
                RequestField::new("n", "d"),
                [Some(""), Some(""), Some("")],
                "Content-Disposition: form-data; name=\"n\"\r\n\r\n",
            ),
        ];
        for (mut field, [disposition, kind, location], expected) in cases {
            field.make_multipart(disposition, kind, location);
            assert_eq!(field.render_headers(), expected);
        }
    }

    #[test]
    fn headers_behave_like_a_python_dict() {
        let field = RequestField::new("n", "d")
            .with_header("X-B", "2")
            .with_header("content-type", "x")
            .with_header("Content-Type", "y");
        // Names are case-sensitive; the leading headers come first whatever their position.
        assert_eq!(
            field.render_headers(),
            "Content-Type: y\r\nX-B: 2\r\ncontent-type: x\r\n\r\n"
        );
        let mut field = field.with_header("X-B", "3");
        assert_eq!(field.headers()[0], ("X-B".to_owned(), "3".to_owned()));
        assert_eq!(field.remove_header("content-type").as_deref(), Some("x"));
        assert_eq!(field.remove_header("content-type"), None);
        assert_eq!(field.header("Content-Type"), Some("y"));
        field.make_multipart(None, None, None);
        assert_eq!(field.header("Content-Type"), None);
    }

    // test_fields.py::test_render_parts (a slice is ordered, so urllib3's dict and list cases
    // are one case here); a `None` value is skipped as urllib3 skips it.
    #[test]
    fn renders_parts() {
        let parts = [("name", Some("value")), ("filename", Some("value"))];
        assert_eq!(render_parts(&parts), "name=\"value\"; filename=\"value\"");
        assert_eq!(
            render_parts(&[("name", Some("v")), ("filename", None)]),
            "name=\"v\""
        );
    }

    // test_fields.py::test_format_multipart_header_param (the `b"n\xc3\xa4me"` case is the
    // `"näme"` one here: the Rust API takes `&str`).
    #[test]
    fn formats_multipart_header_params() {
        let cases = [
            ("name", "name"),
            ("näme", "näme"),
            ("ski ⛷.txt", "ski ⛷.txt"),
            ("control \x1a\x1b\x1c", "control \x1a\x1b\x1c"),
            ("backslash \\", "backslash \\"),
            ("quotes '\"", "quotes '%22"),
            ("newline \n\r", "newline %0A%0D"),
            ("tab\there \x00\x7f", "tab\there \x00\x7f"),
            ("", ""),
        ];
        for (value, expected) in cases {
            let got = format_multipart_header_param("filename", value);
            assert_eq!(got, format!("filename=\"{expected}\""), "{value:?}");
        }
    }

    // test_fields.py::test_format_header_param_rfc2231_deprecated and
    // ::test_format_header_param_html5_deprecated, plus urllib3 2.8 output for other values.
    #[test]
    #[allow(deprecated)]
    fn deprecated_formatters() {
        let cases = [
            ("filename", "näme", "filename*=utf-8''n%C3%A4me"),
            ("filename", "name", "filename=\"name\""),
            ("filename", "a\"b", "filename*=utf-8''a%22b"),
            ("nä", "x", "nä*=utf-8''x"),
            ("f", "a b/c~_.-", "f=\"a b/c~_.-\""),
            ("f", "back\\slash", "f*=utf-8''back%5Cslash"),
            ("f", "é\r\n", "f*=utf-8''%C3%A9%0D%0A"),
        ];
        for (name, value, expected) in cases {
            assert_eq!(format_header_param_rfc2231(name, value), expected);
        }
        let html5 = format_header_param_html5("filename", "na\"me");
        assert_eq!(html5, format_header_param("filename", "na\"me"));
        assert_eq!(html5, "filename=\"na%22me\"");
    }

    // test_fields.py::test_from_tuples, plus each shape of value.
    #[test]
    fn builds_fields_from_tuples() {
        let field = RequestField::from_tuples("file", ("スキー旅行.txt", "data"));
        let disposition = field.header("Content-Disposition");
        assert_eq!(
            disposition,
            Some("form-data; name=\"file\"; filename=\"スキー旅行.txt\"")
        );

        type Case = (
            FieldValue,
            &'static [u8],
            Option<&'static str>,
            Option<&'static str>,
        );
        let cases: [Case; 6] = [
            ("v".into(), b"v", None, None),
            (b"v".into(), b"v", None, None),
            (vec![b'v'].into(), b"v", None, None),
            (
                ("a.tar.gz", b"").into(),
                b"",
                Some("a.tar.gz"),
                Some("application/x-tar"),
            ),
            (
                ("x", "v").into(),
                b"v",
                Some("x"),
                Some(DEFAULT_CONTENT_TYPE),
            ),
            (
                ("a.txt", &b"v"[..], "image/jpeg").into(),
                b"v",
                Some("a.txt"),
                Some("image/jpeg"),
            ),
        ];
        for (value, data, filename, content_type) in cases {
            let field = RequestField::from_tuples("k", value);
            assert_eq!((field.name(), field.data()), ("k", data));
            assert_eq!(field.filename(), filename);
            assert_eq!(field.header("Content-Type"), content_type);
            assert_eq!(field.header("Content-Location"), None);
        }
    }

    // test_filepost.py::test_input_datastructures
    #[test]
    fn accepts_lists_and_maps() {
        let map = BTreeMap::from([("k", "v"), ("k2", "v2")]);
        let list = vec![("k", "v"), ("k2", "v2")];
        for encoded in [encode(map), encode(list)] {
            assert_eq!(count(&encoded, BOUNDARY.as_bytes()), 3);
        }
    }

    // test_filepost.py::test_field_encoding (text and bytes, alone and mixed)
    #[test]
    fn encodes_text_and_bytes_alike() {
        let expected = body(&[
            "Content-Disposition: form-data; name=\"k\"\r\n\r\nv",
            "Content-Disposition: form-data; name=\"k2\"\r\n\r\nv2",
        ]);
        let as_text: [(&str, FieldValue); 2] = [("k", "v".into()), ("k2", "v2".into())];
        let as_bytes: [(&str, FieldValue); 2] = [("k", b"v".into()), ("k2", b"v2".into())];
        let mixed: [(&str, FieldValue); 2] = [("k", b"v".into()), ("k2", "v2".into())];
        for fields in [as_text, as_bytes, mixed] {
            assert_eq!(encode(fields), expected);
        }
    }

    // test_filepost.py::test_filename, ::test_textplain, ::test_explicit, ::test_request_fields,
    // and urllib3 2.8 output for an unprepared field, escaping and UTF-8 data.
    #[test]
    fn encodes_bodies_byte_for_byte() {
        let cases: Vec<(RequestField, &str)> = vec![
            (
                ("k", ("somename", b"v")).into(),
                "Content-Disposition: form-data; name=\"k\"; filename=\"somename\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\nv",
            ),
            (
                ("k", ("somefile.txt", b"v")).into(),
                "Content-Disposition: form-data; name=\"k\"; filename=\"somefile.txt\"\r\n\
                 Content-Type: text/plain\r\n\r\nv",
            ),
            (
                ("k", ("somefile.txt", b"v", "image/jpeg")).into(),
                "Content-Disposition: form-data; name=\"k\"; filename=\"somefile.txt\"\r\n\
                 Content-Type: image/jpeg\r\n\r\nv",
            ),
            (
                RequestField::new("k", "v")
                    .with_filename("somefile.txt")
                    .with_header("Content-Type", "image/jpeg"),
                "Content-Type: image/jpeg\r\n\r\nv",
            ),
            (RequestField::new("raw", "x"), "\r\nx"),
            (
                ("we\"ird\r\nX-Injected: 1", ("evil\r\n\".txt", "é")).into(),
                "Content-Disposition: form-data; name=\"we%22ird%0D%0AX-Injected: 1\"; \
                 filename=\"evil%0D%0A%22.txt\"\r\nContent-Type: text/plain\r\n\r\né",
            ),
        ];
        for (field, part) in cases {
            assert_eq!(encode([field]), body(&[part]), "{part}");
        }
        assert_eq!(encode(Vec::<RequestField>::new()), body(&[]));
    }

    #[test]
    fn boundary_is_latin1_like_urllib3() {
        let cases: [(&str, &[u8]); 2] = [("é", b"--\xe9--\r\n"), ("", b"----\r\n")];
        for (boundary, expected) in cases {
            let encoded = encode_multipart_formdata(Vec::<RequestField>::new(), Some(boundary));
            let (body, content_type) = encoded.unwrap_or_default();
            assert_eq!(body, expected);
            assert_eq!(
                content_type,
                format!("multipart/form-data; boundary={boundary}")
            );
        }
        let err = encode_multipart_formdata([("k", "v")], Some("xĀ")).err();
        let err = err.map(|e| (e.kind(), e.message().to_owned()));
        let message = "'latin-1' codec can't encode character 'Ā' in position 3: \
                       ordinal not in range(256)";
        assert_eq!(err, Some((ErrorKind::InvalidArgument, message.to_owned())));
    }

    #[test]
    fn chooses_random_hex_boundaries() {
        let boundaries: Vec<String> = (0..64).map(|_| choose_boundary()).collect();
        for boundary in &boundaries {
            assert_eq!(boundary.len(), 32, "{boundary}");
            assert!(boundary
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
        }
        let mut unique = boundaries.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), boundaries.len());

        let (body, content_type) =
            encode_multipart_formdata([("k", "v")], None).unwrap_or_default();
        let boundary = content_type.trim_start_matches("multipart/form-data; boundary=");
        assert_eq!(boundary.len(), 32);
        assert!(body.ends_with(format!("--{boundary}--\r\n").as_bytes()));
    }
}
