//! Query strings, url-encoded forms and multipart bodies, decoded the way
//! httpbin shows them.

use serde_json::{Map, Value};

/// Decodes `%XX` escapes and, for form encoding, '+' as space.
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match hex_pair(bytes[i + 1], bytes[i + 2]) {
                Some(b) => {
                    out.push(b);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_pair(hi: u8, lo: u8) -> Option<u8> {
    let digit = |c: u8| (c as char).to_digit(16);
    Some((digit(hi)? * 16 + digit(lo)?) as u8)
}

/// The `key=value` pairs of a query string or url-encoded form, decoded.
pub(crate) fn pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query.split('&').filter(|p| !p.is_empty()).map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        (percent_decode(k), percent_decode(v))
    })
}

/// The first value of `key` in a query string (not decoded, for cheap
/// checks like `close=1`).
pub(crate) fn raw_param<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query.split('&').find_map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        (k == key).then_some(v)
    })
}

/// The first value of `key`, decoded.
pub(crate) fn param(query: &str, key: &str) -> Option<String> {
    pairs(query).find(|(k, _)| k == key).map(|(_, v)| v)
}

/// The first value of `key` parsed as a number (or anything `FromStr`).
pub(crate) fn param_parse<T: std::str::FromStr>(query: &str, key: &str) -> Option<T> {
    param(query, key).and_then(|v| v.trim().parse().ok())
}

/// Adds `value` under `key`; a repeated key turns into a JSON list, as in
/// httpbin.
pub(crate) fn insert_multi(map: &mut Map<String, Value>, key: String, value: Value) {
    match map.get_mut(&key) {
        None => {
            map.insert(key, value);
        }
        Some(Value::Array(list)) => list.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
    }
}

/// Query arguments as httpbin's `args` object.
pub(crate) fn args(query: &str) -> Map<String, Value> {
    let mut map = Map::new();
    for (k, v) in pairs(query) {
        insert_multi(&mut map, k, Value::String(v));
    }
    map
}

/// A request body's form fields and uploaded files.
#[derive(Default)]
pub(crate) struct Form {
    /// Whether the body was a form at all (by its Content-Type).
    pub(crate) is_form: bool,
    pub(crate) fields: Map<String, Value>,
    pub(crate) files: Map<String, Value>,
}

/// Parses the body as a form if its Content-Type says it is one.
pub(crate) fn form(content_type: Option<&str>, body: &[u8]) -> Form {
    let Some(ct) = content_type else {
        return Form::default();
    };
    let mime = ct.split(';').next().unwrap_or("").trim();
    if mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        let mut form = Form {
            is_form: true,
            ..Form::default()
        };
        for (k, v) in pairs(&String::from_utf8_lossy(body)) {
            insert_multi(&mut form.fields, k, Value::String(v));
        }
        form
    } else if mime.eq_ignore_ascii_case("multipart/form-data") {
        let form = header_param(ct, "boundary")
            .map(|b| multipart(body, b.as_bytes()))
            .unwrap_or_default();
        Form {
            is_form: true,
            ..form
        }
    } else {
        Form::default()
    }
}

/// A `name=value` parameter of a header value such as Content-Type.
fn header_param(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Parses a multipart/form-data body: parts with a filename go to `files`,
/// the others to `fields`.
fn multipart(body: &[u8], boundary: &[u8]) -> Form {
    let mut form = Form::default();
    let delimiter = [b"--", boundary].concat();
    let mut rest = match find(body, &delimiter) {
        Some(i) => &body[i + delimiter.len()..],
        None => return form,
    };
    let separator = [b"\r\n--", boundary].concat();
    while !rest.starts_with(b"--") {
        let Some(end) = find(rest, &separator) else {
            break;
        };
        add_part(&mut form, &rest[..end]);
        rest = &rest[end + separator.len()..];
    }
    form
}

/// Adds one multipart part (starting just after its boundary line).
fn add_part(form: &mut Form, part: &[u8]) {
    let part = part.strip_prefix(b"\r\n").unwrap_or(part);
    let Some(split) = find(part, b"\r\n\r\n") else {
        return;
    };
    let headers = String::from_utf8_lossy(&part[..split]);
    let content = Value::String(String::from_utf8_lossy(&part[split + 4..]).into_owned());
    let Some(disposition) = headers.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("content-disposition")
            .then_some(v)
    }) else {
        return;
    };
    let name = header_param(disposition, "name").unwrap_or_default();
    if header_param(disposition, "filename").is_some() {
        insert_multi(&mut form.files, name, content);
    } else {
        insert_multi(&mut form.fields, name, content);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_repeat_as_lists() {
        let a = args("a=1&b=x+y%21&a=2&c");
        assert_eq!(
            Value::Object(a),
            serde_json::json!({"a": ["1", "2"], "b": "x y!", "c": ""})
        );
    }

    #[test]
    fn multipart_fields_and_files() {
        let body = b"--XX\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nv\r\n--XX\r\nContent-Disposition: form-data; name=\"up\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nfile\r\ndata\r\n--XX--\r\n";
        let f = form(Some("multipart/form-data; boundary=XX"), body);
        assert_eq!(Value::Object(f.fields), serde_json::json!({"f": "v"}));
        assert_eq!(
            Value::Object(f.files),
            serde_json::json!({"up": "file\r\ndata"})
        );
    }
}
