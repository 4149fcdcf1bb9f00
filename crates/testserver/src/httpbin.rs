//! The JSON documents httpbin answers with, built from a request.

use serde_json::{json, Map, Value};

use crate::params;
use crate::request::Request;
use crate::server::Ctx;
use crate::Scheme;

/// Request headers as httpbin's `headers` object: names exactly as sent,
/// values of repeated headers (compared without case) joined with ",".
pub(crate) fn headers(req: &Request<'_>) -> Map<String, Value> {
    let mut joined: Vec<(&str, String)> = Vec::new();
    for (name, value) in req.headers() {
        let value = String::from_utf8_lossy(value);
        match joined
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some((_, v)) => {
                v.push(',');
                v.push_str(&value);
            }
            None => joined.push((name, value.into_owned())),
        }
    }
    joined
        .into_iter()
        .map(|(n, v)| (n.to_string(), Value::String(v)))
        .collect()
}

/// `scheme://host[:port]` as the client addressed the server (from the Host
/// header, falling back to the listening address).
pub(crate) fn base_url(req: &Request<'_>, ctx: &Ctx) -> String {
    let scheme = match ctx.scheme {
        Scheme::Http => "http",
        Scheme::Https => "https",
    };
    match req.header_str("host") {
        Some(host) if !host.is_empty() => format!("{scheme}://{host}"),
        _ => format!("{scheme}://{}", ctx.addr),
    }
}

/// The full URL of the request.
pub(crate) fn url(req: &Request<'_>, ctx: &Ctx) -> String {
    let target = req.target();
    if target.starts_with("http://") || target.starts_with("https://") {
        // absolute-form, as sent to a proxy
        target.to_string()
    } else {
        base_url(req, ctx) + target
    }
}

/// The client's IP address.
pub(crate) fn origin(req: &Request<'_>) -> String {
    req.peer.ip().to_string()
}

/// The document of `/get`: args, headers, origin, url.
pub(crate) fn get(req: &Request<'_>, ctx: &Ctx) -> Value {
    json!({
        "args": params::args(req.query()),
        "headers": headers(req),
        "origin": origin(req),
        "url": url(req, ctx),
    })
}

/// The document of `/post` and friends: `get` plus the body as data, form,
/// files and json; with `method` for `/anything`.
pub(crate) fn with_body(req: &Request<'_>, ctx: &Ctx, method: bool) -> Value {
    let body = req.body();
    let form = params::form(req.header_str("content-type"), body);
    let mut doc = Map::new();
    doc.insert("args".into(), params::args(req.query()).into());
    // As in httpbin, a form body shows up parsed, not as data.
    let data = if form.is_form {
        String::new()
    } else {
        String::from_utf8_lossy(body).into_owned()
    };
    doc.insert("data".into(), data.into());
    doc.insert("files".into(), form.files.into());
    doc.insert("form".into(), form.fields.into());
    doc.insert("headers".into(), headers(req).into());
    doc.insert(
        "json".into(),
        serde_json::from_slice(body).unwrap_or(Value::Null),
    );
    if method {
        doc.insert("method".into(), req.method().into());
    }
    doc.insert("origin".into(), origin(req).into());
    doc.insert("url".into(), url(req, ctx).into());
    Value::Object(doc)
}

/// The document of the content-coding endpoints, e.g. `{"gzipped": true, ...}`.
pub(crate) fn coded(req: &Request<'_>, flag: &str) -> Value {
    json!({
        flag: true,
        "headers": headers(req),
        "method": req.method(),
        "origin": origin(req),
    })
}
