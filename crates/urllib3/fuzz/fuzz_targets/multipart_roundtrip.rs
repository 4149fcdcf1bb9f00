//! `encode_multipart_formdata` against a real parser: fields built from arbitrary names,
//! filenames, content types, extra headers and data are encoded, parsed back with `multer`
//! (a multipart/form-data parser used by axum and others), and must come back as they went in.
//!
//! What round-trips by design, and so what is compared:
//! - the part's data, byte for byte, and the number and order of parts;
//! - the `Content-Disposition` value exactly as urllib3 writes it (`form-data; name="…"` and
//!   `; filename="…"`), with `"`, CR and LF percent-encoded the WHATWG way; the parser's name
//!   and filename must be those escaped strings (form-data parsers do not percent-decode);
//! - the `Content-Type` given, or the one guessed from the filename, and extra headers, an
//!   empty value leaving its header out.
//!
//! What does not, and is skipped: data that holds the boundary (urllib3 relies on a random
//! boundary for that), and names with control characters other than CR, LF and tab (urllib3
//! writes them verbatim, and no HTTP header parser accepts them). Where multer's own lookup of
//! the name or filename in the disposition goes wrong (see `multer_reads_back`), only the
//! disposition is compared.
#![no_main]

use std::convert::Infallible;

use arbitrary::Arbitrary;
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use urllib3::fields::guess_content_type;
use urllib3::{encode_multipart_formdata, ErrorKind, FieldValue, RequestField};

const FIXED_BOUNDARY: &str = "fuzzboundary7f3a9c0d1e2b4a5968";

#[derive(Arbitrary, Debug)]
struct Input {
    boundary: Boundary,
    fields: Vec<Field>,
}

#[derive(Arbitrary, Debug)]
enum Boundary {
    Fixed,
    /// `None`: urllib3 chooses a random one.
    Random,
    Custom(String),
}

#[derive(Arbitrary, Debug)]
struct Field {
    name: String,
    value: Value,
    extra_headers: Vec<(String, String)>,
}

#[derive(Arbitrary, Debug)]
enum Value {
    Data(Vec<u8>),
    File {
        filename: String,
        data: Vec<u8>,
        content_type: Option<ContentType>,
    },
}

#[derive(Arbitrary, Debug)]
struct ContentType {
    top: u8,
    sub: String,
}

/// What a part must parse back as.
#[derive(Debug, PartialEq)]
struct Part {
    name: String,
    filename: Option<String>,
    disposition: String,
    content_type: Option<String>,
    extra_headers: Vec<(String, String)>,
    data: Vec<u8>,
}

fuzz_target!(|input: Input| {
    let mut fields = Vec::new();
    let mut expected = Vec::new();
    for field in input.fields.iter().take(8) {
        let Some((request_field, part)) = build(field) else {
            return;
        };
        fields.push(request_field);
        expected.push(part);
    }

    let boundary = match &input.boundary {
        Boundary::Fixed => Some(FIXED_BOUNDARY),
        Boundary::Random => None,
        Boundary::Custom(b) => Some(b.as_str()),
    };
    let encoded = encode_multipart_formdata(fields, boundary);
    if let Some(custom) = boundary {
        // urllib3 writes the boundary as Latin-1; anything beyond cannot be written.
        let latin1 = custom.chars().all(|c| u32::from(c) <= 0xff);
        match &encoded {
            Ok(_) => assert!(latin1, "{custom:?} encoded"),
            Err(e) => {
                assert!(!latin1, "{custom:?}: {e}");
                assert_eq!(e.kind(), ErrorKind::InvalidArgument);
                return;
            }
        }
    }
    let (body, content_type) = match encoded {
        Ok(encoded) => encoded,
        Err(e) => panic!("encoding failed: {e}"),
    };
    let boundary = match boundary {
        Some(b) => b.to_owned(),
        None => match multer::parse_boundary(&content_type) {
            Ok(b) => b,
            Err(e) => panic!("{content_type:?}: {e}"),
        },
    };
    assert_eq!(
        content_type,
        format!("multipart/form-data; boundary={boundary}")
    );
    // The boundary is written as Latin-1 (one byte per character).
    let mut closing = b"--".to_vec();
    closing.extend(boundary.chars().map(|c| u8::try_from(c).unwrap_or(b'?')));
    closing.extend_from_slice(b"--\r\n");
    assert!(body.ends_with(&closing));
    // Only RFC 2046 boundaries a parser can be given unquoted are parsed back.
    let plain = (1..=70).contains(&boundary.len())
        && boundary
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"'_.-".contains(&b));
    closing.truncate(closing.len() - 4);
    // A boundary inside a part is a body that cannot be delimited.
    if !plain || count(&body, &closing) != expected.len() + 1 {
        return;
    }

    let parsed = parse(body, &boundary);
    let parsed = match parsed {
        Ok(parsed) => parsed,
        Err(e) => panic!("multer failed on the encoded body: {e}\n{expected:?}"),
    };
    assert_eq!(parsed.len(), expected.len());
    for (got, want) in parsed.iter().zip(&expected) {
        let (name_read, filename_read) = multer_reads_back(want);
        let got = Part {
            name: if name_read {
                got.name.clone()
            } else {
                want.name.clone()
            },
            filename: if filename_read {
                got.filename.clone()
            } else {
                want.filename.clone()
            },
            disposition: got.disposition.clone(),
            content_type: got.content_type.clone(),
            extra_headers: got.extra_headers.clone(),
            data: got.data.clone(),
        };
        assert_eq!(&got, want);
    }
});

/// Whether multer's lookup of the name and of the filename in the disposition finds what
/// urllib3 wrote. (The disposition itself is always compared in full.) multer reads `\"` as
/// an escaped quote, so a value ending in a backslash runs on; and it takes the first
/// `filename` that follows a space or ';' (or directly follows a `filename` it skipped)
/// anywhere in the header, so a name holding one confuses it.
fn multer_reads_back(part: &Part) -> (bool, bool) {
    let disposition = part.disposition.as_bytes();
    let name = !part.name.ends_with('\\');
    let filename = match &part.filename {
        Some(f) => {
            let real = part.disposition.rfind("; filename=\"").map(|i| i + 2);
            !f.ends_with('\\') && multer_finds(disposition, b"filename") == real
        }
        None => multer_finds(disposition, b"filename").is_none(),
    };
    (name, filename)
}

/// Where multer's `ContentDispositionAttr::extract_from` settles on `attr` in `header`.
fn multer_finds(header: &[u8], attr: &[u8]) -> Option<usize> {
    let mut start = 0;
    loop {
        let rest = &header[start..];
        let i = rest.windows(attr.len()).position(|w| w == attr)?;
        // multer looks at the byte before the match within what is left after its last skip.
        if i > 0 && !(rest[i - 1].is_ascii_whitespace() || rest[i - 1] == b';') {
            start += i + attr.len();
            continue;
        }
        return Some(start + i);
    }
}

/// The field urllib3 gets and the part it must parse back as; `None` when the input holds
/// something that does not round-trip by design.
fn build(field: &Field) -> Option<(RequestField, Part)> {
    if !header_safe(&field.name) {
        return None;
    }
    let name = escape(&field.name);
    let (mut request_field, filename, content_type, data) = match &field.value {
        Value::Data(data) => (
            RequestField::from_tuples(field.name.as_str(), FieldValue::Data(data.clone())),
            None,
            None,
            data.clone(),
        ),
        Value::File {
            filename,
            data,
            content_type,
        } => {
            if !header_safe(filename) {
                return None;
            }
            let content_type = content_type.as_ref().map(mime);
            let value = FieldValue::File {
                filename: filename.clone(),
                data: data.clone(),
                content_type: content_type.clone(),
            };
            let written = content_type
                .unwrap_or_else(|| guess_content_type(Some(filename), "application/octet-stream"));
            (
                RequestField::from_tuples(field.name.as_str(), value),
                Some(escape(filename)),
                (!written.is_empty()).then_some(written),
                data.clone(),
            )
        }
    };
    let mut extra_headers = Vec::new();
    for (i, (header, value)) in field.extra_headers.iter().take(4).enumerate() {
        // Distinct token names, and values a header parser keeps as they are.
        let header = format!("X-{i}-{}", token(header));
        let value: String = value
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        request_field.set_header(header.as_str(), value.as_str());
        if !value.is_empty() {
            extra_headers.push((header.to_ascii_lowercase(), value));
        }
    }
    let disposition = match &filename {
        Some(f) => format!("form-data; name=\"{name}\"; filename=\"{f}\""),
        None => format!("form-data; name=\"{name}\""),
    };
    let part = Part {
        name,
        filename,
        disposition,
        content_type,
        extra_headers,
        data,
    };
    Some((request_field, part))
}

/// No control characters but CR and LF (which urllib3 percent-encodes) and tab.
fn header_safe(s: &str) -> bool {
    !s.chars()
        .any(|c| (c < ' ' && !matches!(c, '\r' | '\n' | '\t')) || c == '\x7f')
}

/// The WHATWG form-data escaping: only `"`, CR and LF, percent-encoded.
fn escape(s: &str) -> String {
    s.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn token(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(16)
        .collect()
}

/// A media type: a registered top-level type and a lower-case token subtype ("" if none).
fn mime(ct: &ContentType) -> String {
    const TOPS: &[&str] = &["text", "application", "image", "audio", "video", "font"];
    let sub: String = ct
        .sub
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-.+".contains(*c))
        .take(32)
        .collect();
    if sub.is_empty() {
        return String::new();
    }
    format!("{}/{sub}", TOPS[usize::from(ct.top) % TOPS.len()])
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

fn parse(body: Vec<u8>, boundary: &str) -> multer::Result<Vec<Part>> {
    let stream = futures_util::stream::once(async move { Ok::<_, Infallible>(Bytes::from(body)) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    futures_executor::block_on(async move {
        let mut parts = Vec::new();
        while let Some(field) = multipart.next_field().await? {
            let header = |name: &str| {
                field
                    .headers()
                    .get(name)
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            };
            let disposition = header("content-disposition").unwrap_or_default();
            let mut extra_headers: Vec<(String, String)> = field
                .headers()
                .iter()
                .filter(|(name, _)| name.as_str().starts_with("x-"))
                .map(|(name, value)| {
                    let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                    (name.as_str().to_owned(), value)
                })
                .collect();
            extra_headers.sort_by_key(|(name, _)| name.split('-').nth(1).map(str::to_owned));
            let name = field.name().unwrap_or_default().to_owned();
            let filename = field.file_name().map(str::to_owned);
            let content_type = field.content_type().map(|m| m.essence_str().to_owned());
            let data = field.bytes().await?.to_vec();
            parts.push(Part {
                name,
                filename,
                disposition,
                content_type,
                extra_headers,
                data,
            });
        }
        Ok(parts)
    })
}
