//! Request encoding: form fields into the query or the body, JSON bodies, and `make_headers`.
//!
//! This is urllib3's `RequestMethods.request`: for GET, HEAD, DELETE and OPTIONS the fields go
//! into the query string; for any other method they become the body, as multipart/form-data
//! (the default) or urlencoded.

use base64::Engine as _;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::body::Body;
use crate::error::{Error, ErrorKind, Result};
use crate::fields::{encode_multipart_formdata, FieldValue, RequestField};
use crate::headers::HeaderMap;
use crate::pool::RequestOptions;
use crate::response::Response;

/// The codings this crate decodes, as `Accept-Encoding` advertises them (urllib3's
/// `ACCEPT_ENCODING` with brotli and zstd installed).
pub const ACCEPT_ENCODING: &str = "gzip,deflate,br,zstd";

/// Methods whose fields are sent in the URL (urllib3's `_encode_url_methods`).
const ENCODE_URL_METHODS: [&str; 4] = ["DELETE", "GET", "HEAD", "OPTIONS"];

/// What Python's `quote_plus` leaves alone: letters, digits and `_.-~`.
const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~');

/// Form fields and JSON for a request, encoded before it is sent.
///
/// ```
/// use urllib3::{RequestOptions, request::Form};
///
/// let form = Form::new().field("name", "value").field("lang", "rust");
/// assert_eq!(form.urlencoded(), "name=value&lang=rust");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Form {
    /// The fields, in order.
    pub fields: Vec<RequestField>,
    /// Encode as multipart/form-data (default) rather than urlencoded, in a body.
    pub urlencoded_body: bool,
    /// The multipart boundary; a random one when `None`.
    pub boundary: Option<String>,
}

impl Form {
    /// No fields.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a plain field.
    pub fn field(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let value: String = value.into();
        self.fields
            .push(RequestField::from_tuples(name.into(), value));
        self
    }

    /// Adds a file field: its name, file name, content and content type (guessed from the file
    /// name when `None`).
    pub fn file(
        mut self,
        name: impl Into<String>,
        filename: impl Into<String>,
        data: impl Into<Vec<u8>>,
        content_type: Option<&str>,
    ) -> Self {
        let value = FieldValue::File {
            filename: filename.into(),
            data: data.into(),
            content_type: content_type.map(str::to_owned),
        };
        self.fields
            .push(RequestField::from_tuples(name.into(), value));
        self
    }

    /// The fields as `application/x-www-form-urlencoded` text.
    pub fn urlencoded(&self) -> String {
        urlencode(self.fields.iter().map(|f| (f.name(), f.data())))
    }
}

/// Encodes `pairs` as Python's `urlencode` does (spaces as `+`).
pub fn urlencode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut out = String::new();
    for (name, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        push_quoted(&mut out, name.as_bytes());
        out.push('=');
        push_quoted(&mut out, value);
    }
    out
}

fn push_quoted(out: &mut String, bytes: &[u8]) {
    for piece in percent_encoding::percent_encode(bytes, FORM) {
        out.push_str(&piece.replace("%20", "+"));
    }
}

/// Applies `form` and `json` to a request: returns the URL to send to and fills the body and
/// headers of `options`. The method is upper-cased, as urllib3 does.
pub(crate) fn encode(
    method: &str,
    url: &str,
    form: Option<Form>,
    json: Option<Vec<u8>>,
    options: &mut RequestOptions,
    default_headers: &HeaderMap,
) -> Result<(String, String)> {
    let method = method.to_ascii_uppercase();
    let mut url = url.to_owned();
    if json.is_some() && !options.body.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "request got values for both 'body' and 'json' parameters which are mutually exclusive",
        ));
    }
    if let Some(json) = json {
        let headers = options
            .headers
            .get_or_insert_with(|| default_headers.clone());
        if !headers.contains("content-type") {
            headers.insert("Content-Type", "application/json");
        }
        options.body = Body::Bytes(json.into());
    }
    let Some(form) = form.filter(|f| !f.fields.is_empty()) else {
        return Ok((method, url));
    };
    if ENCODE_URL_METHODS.contains(&method.as_str()) {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&form.urlencoded());
        return Ok((method, url));
    }
    if !options.body.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "request got values for both 'fields' and 'body', can only specify one.",
        ));
    }
    let (body, content_type) = if form.urlencoded_body {
        (
            form.urlencoded().into_bytes(),
            "application/x-www-form-urlencoded".to_owned(),
        )
    } else {
        encode_multipart_formdata(form.fields, form.boundary.as_deref())?
    };
    let headers = options
        .headers
        .get_or_insert_with(|| default_headers.clone());
    if !headers.contains("content-type") {
        headers.insert("Content-Type", content_type);
    }
    options.body = Body::Bytes(body.into());
    Ok((method, url))
}

/// The request helpers shared by pools and the manager (urllib3's `RequestMethods`): each
/// encodes fields or JSON, then calls `urlopen`.
///
/// ```
/// # let server = testserver::TestServer::start();
/// use urllib3::{PoolManager, RequestMethods, RequestOptions};
/// use urllib3::request::Form;
///
/// let http = PoolManager::new();
/// let form = Form::new().field("q", "rust");
/// let mut r = http.request_form("GET", &server.url("/get"), form, RequestOptions::new())?;
/// assert!(r.text()?.contains(r#""args":{"q":"rust"}"#)); // sent as ?q=rust
///
/// let json = br#"{"n": 1}"#.to_vec();
/// let mut r = http.request_json("POST", &server.url("/post"), json, RequestOptions::new())?;
/// assert!(r.text()?.contains(r#""json":{"n":1}"#));
/// # Ok::<(), urllib3::Error>(())
/// ```
pub trait RequestMethods {
    /// Sends the request as it is (no encoding), like urllib3's `urlopen`.
    fn urlopen(&self, method: &str, url: &str, options: RequestOptions) -> Result<Response>;

    /// The headers sent when the options give none.
    fn default_headers(&self) -> &HeaderMap;

    /// A request with default options.
    fn request(&self, method: &str, url: &str) -> Result<Response> {
        self.request_with(method, url, None, None, RequestOptions::new())
    }

    /// A request with form fields: in the query for GET, HEAD, DELETE and OPTIONS, in the body
    /// otherwise.
    fn request_form(
        &self,
        method: &str,
        url: &str,
        form: Form,
        options: RequestOptions,
    ) -> Result<Response> {
        self.request_with(method, url, Some(form), None, options)
    }

    /// A request with a JSON body (already serialised); sets `Content-Type: application/json`
    /// unless the headers have a content type.
    fn request_json(
        &self,
        method: &str,
        url: &str,
        json: Vec<u8>,
        options: RequestOptions,
    ) -> Result<Response> {
        self.request_with(method, url, None, Some(json), options)
    }

    /// The general form: urllib3's `request(method, url, body, fields, headers, json, ...)`.
    fn request_with(
        &self,
        method: &str,
        url: &str,
        form: Option<Form>,
        json: Option<Vec<u8>>,
        mut options: RequestOptions,
    ) -> Result<Response> {
        let (method, url) = encode(
            method,
            url,
            form,
            json,
            &mut options,
            self.default_headers(),
        )?;
        self.urlopen(&method, &url, options)
    }
}

impl RequestMethods for crate::pool::ConnectionPool {
    fn urlopen(&self, method: &str, url: &str, options: RequestOptions) -> Result<Response> {
        crate::pool::ConnectionPool::urlopen(self, method, url, options)
    }

    fn default_headers(&self) -> &HeaderMap {
        &self.config().headers
    }
}

impl RequestMethods for crate::manager::PoolManager {
    fn urlopen(&self, method: &str, url: &str, options: RequestOptions) -> Result<Response> {
        crate::manager::PoolManager::urlopen(self, method, url, options)
    }

    fn default_headers(&self) -> &HeaderMap {
        &self.config().headers
    }
}

/// Shortcuts for common headers (urllib3's `make_headers`).
///
/// ```
/// use urllib3::request::MakeHeaders;
///
/// let headers = MakeHeaders { basic_auth: Some("user:pass"), accept_encoding: Some(""), ..Default::default() }.build();
/// assert_eq!(headers.get("authorization").as_deref(), Some("Basic dXNlcjpwYXNz"));
/// assert_eq!(headers.get("accept-encoding").as_deref(), Some("gzip,deflate,br,zstd"));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct MakeHeaders<'a> {
    /// Adds `connection: keep-alive`.
    pub keep_alive: bool,
    /// `Some("")` advertises every coding this crate decodes; any other text is sent as given.
    pub accept_encoding: Option<&'a str>,
    /// Sets `user-agent`.
    pub user_agent: Option<&'a str>,
    /// `user:password` for `authorization: Basic …`.
    pub basic_auth: Option<&'a str>,
    /// `user:password` for `proxy-authorization: Basic …`.
    pub proxy_basic_auth: Option<&'a str>,
    /// Adds `cache-control: no-cache`.
    pub disable_cache: bool,
}

impl MakeHeaders<'_> {
    /// The headers, in urllib3's order and lower-case names.
    pub fn build(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(coding) = self.accept_encoding {
            headers.insert(
                "accept-encoding",
                if coding.is_empty() {
                    ACCEPT_ENCODING
                } else {
                    coding
                },
            );
        }
        if let Some(agent) = self.user_agent.filter(|a| !a.is_empty()) {
            headers.insert("user-agent", agent);
        }
        if self.keep_alive {
            headers.insert("connection", "keep-alive");
        }
        if let Some(auth) = self.basic_auth.filter(|a| !a.is_empty()) {
            headers.insert("authorization", basic(auth));
        }
        if let Some(auth) = self.proxy_basic_auth.filter(|a| !a.is_empty()) {
            headers.insert("proxy-authorization", basic(auth));
        }
        if self.disable_cache {
            headers.insert("cache-control", "no-cache");
        }
        headers
    }
}

/// `Basic` credentials; urllib3 encodes them as Latin-1, so do we where the text allows.
fn basic(user_pass: &str) -> String {
    let mut bytes = Vec::with_capacity(user_pass.len());
    if crate::headers::push_latin1(&mut bytes, user_pass).is_err() {
        bytes = user_pass.as_bytes().to_vec();
    }
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Percent-encodes text for a URL path or query with UTF-8, leaving letters and digits.
pub fn quote(text: &str) -> String {
    utf8_percent_encode(text, FORM).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencoding_matches_pythons() {
        let pairs: [(&str, &[u8]); 4] = [
            ("a b", b"c d"),
            ("x", b"1&2=3"),
            ("u", "\u{e9}".as_bytes()),
            ("t", b"~._-"),
        ];
        assert_eq!(urlencode(pairs), "a+b=c+d&x=1%262%3D3&u=%C3%A9&t=~._-");
    }

    #[test]
    fn fields_go_in_the_query_for_get_and_in_the_body_otherwise() {
        let form = || Some(Form::new().field("k", "v w"));
        let mut options = RequestOptions::new();
        let (method, url) = encode(
            "get",
            "http://h/p",
            form(),
            None,
            &mut options,
            &HeaderMap::new(),
        )
        .unwrap();
        assert_eq!((method.as_str(), url.as_str()), ("GET", "http://h/p?k=v+w"));
        assert!(options.body.is_empty());

        let (_, url) = encode(
            "GET",
            "http://h/p?a=1",
            form(),
            None,
            &mut RequestOptions::new(),
            &HeaderMap::new(),
        )
        .unwrap();
        assert_eq!(url, "http://h/p?a=1&k=v+w");

        let mut options = RequestOptions::new();
        let urlencoded = Some(Form {
            urlencoded_body: true,
            ..Form::new().field("k", "v w")
        });
        encode(
            "POST",
            "http://h/p",
            urlencoded,
            None,
            &mut options,
            &HeaderMap::new(),
        )
        .unwrap();
        assert_eq!(options.body.content_length(), Some(5));
        let headers = options.headers.unwrap();
        assert_eq!(
            headers.get("content-type").as_deref(),
            Some("application/x-www-form-urlencoded")
        );

        let mut options = RequestOptions::new();
        encode(
            "POST",
            "http://h/p",
            form(),
            None,
            &mut options,
            &HeaderMap::new(),
        )
        .unwrap();
        let content_type = options
            .headers
            .unwrap()
            .get("content-type")
            .map(|c| c.into_owned())
            .unwrap();
        assert!(
            content_type.starts_with("multipart/form-data; boundary="),
            "{content_type}"
        );
    }

    #[test]
    fn json_sets_the_content_type_unless_given() {
        let mut options = RequestOptions::new();
        encode(
            "POST",
            "/",
            None,
            Some(b"{}".to_vec()),
            &mut options,
            &HeaderMap::new(),
        )
        .unwrap();
        assert_eq!(
            options
                .headers
                .as_ref()
                .and_then(|h| h.get("content-type"))
                .as_deref(),
            Some("application/json")
        );

        let mut options = RequestOptions::new().header("Content-Type", "application/vnd+json");
        encode(
            "POST",
            "/",
            None,
            Some(b"{}".to_vec()),
            &mut options,
            &HeaderMap::new(),
        )
        .unwrap();
        assert_eq!(
            options
                .headers
                .as_ref()
                .and_then(|h| h.get("content-type"))
                .as_deref(),
            Some("application/vnd+json")
        );
    }

    #[test]
    fn conflicting_bodies_are_refused() {
        let mut options = RequestOptions::new().body("b");
        let err = encode(
            "POST",
            "/",
            None,
            Some(b"{}".to_vec()),
            &mut options,
            &HeaderMap::new(),
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        let mut options = RequestOptions::new().body("b");
        let err = encode(
            "POST",
            "/",
            Some(Form::new().field("a", "b")),
            None,
            &mut options,
            &HeaderMap::new(),
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn make_headers_matches_urllib3() {
        let h = MakeHeaders {
            keep_alive: true,
            user_agent: Some("batman/1.0"),
            accept_encoding: Some("gzip,br"),
            disable_cache: true,
            proxy_basic_auth: Some("foo:bar"),
            ..Default::default()
        }
        .build();
        let lines: Vec<_> = h.iter().collect();
        assert_eq!(
            lines,
            [
                ("accept-encoding", "gzip,br"),
                ("user-agent", "batman/1.0"),
                ("connection", "keep-alive"),
                ("proxy-authorization", "Basic Zm9vOmJhcg=="),
                ("cache-control", "no-cache"),
            ]
        );
    }
}
