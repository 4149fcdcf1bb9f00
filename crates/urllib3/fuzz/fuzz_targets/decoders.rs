//! Content decoding: a body with a `Content-Encoding` chosen by the first input byte (one of
//! gzip, deflate, br, zstd, or a chain of them), read decoded in bounded pieces.
//!
//! Each read must return at most what it asked for, and reading must end (the body's end, an
//! error, or our cap on the decoded total) without panicking or hanging; memory is bounded by
//! libFuzzer's `-rss_limit_mb`. With bit 2 of the second byte set, the rest of the input is
//! plain text that this target encodes with the chosen codings first: then the decoded body
//! must be that text exactly.
#![no_main]

use std::io::{Cursor, Read, Write};

use libfuzzer_sys::fuzz_target;
use urllib3::{raw, HeaderMap, ResponseOptions, Version};

/// `Content-Encoding` values. Chains list codings in the order they were applied.
const CODINGS: &[&str] = &[
    "gzip",
    "deflate",
    "br",
    "zstd",
    "x-gzip",
    "gzip, br",
    "br, gzip",
    "deflate, zstd",
    "zstd, deflate",
    "gzip, gzip",
    "br, br",
    "gzip, deflate, br, zstd",
    "zstd, br, deflate, gzip",
    "GZIP",
    "gzip, identity",
    "identity",
    "compress",
    "gzip, compress",
    "gzip, gzip, gzip, gzip, gzip",
    "gzip, gzip, gzip, gzip, gzip, gzip",
];

/// Decoded bytes read before stopping: far more than any input here is long, so only a body
/// that inflates (as compressed data may, legitimately) gets there.
const CAP: usize = 8 << 20;

fuzz_target!(|data: &[u8]| {
    let [select, control, rest @ ..] = data else {
        return;
    };
    let coding = CODINGS[usize::from(*select) % CODINGS.len()];
    let read_size = [1, 100, 4096, 65536][usize::from(control & 3)];
    let round_trip = control & 4 != 0;
    let with_length = control & 8 != 0;

    let body = if round_trip {
        match encode(coding, rest) {
            Some(body) => body,
            None => return,
        }
    } else {
        rest.to_vec()
    };
    let mut headers: HeaderMap = [("Content-Encoding", coding)].into_iter().collect();
    if with_length {
        headers.append("Content-Length", body.len().to_string());
    }
    let reader = Box::new(Cursor::new(body));
    let options = ResponseOptions::default();
    let mut response =
        match raw::response_from_reader(200, "OK", Version::Http11, headers, reader, options) {
            Ok(response) => response,
            Err(e) => panic!("from_reader failed: {e}"),
        };

    let mut buf = vec![0u8; read_size];
    let mut decoded = Vec::new();
    let mut total = 0usize;
    let result = loop {
        match response.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => {
                assert!(n <= read_size);
                total += n;
                if round_trip {
                    decoded.extend_from_slice(&buf[..n]);
                    assert!(total <= rest.len(), "decoded more than was encoded");
                }
                if total > CAP {
                    break Ok(());
                }
            }
            Err(e) => break Err(e),
        }
    };
    if round_trip {
        if let Err(e) = result {
            panic!("{coding}: encoded body fails to decode: {e}");
        }
        assert!(
            decoded == rest,
            "{coding}: decoded body differs from the original"
        );
        assert!(response.is_complete());
    }
});

/// `plain` encoded as a server would send it with `Content-Encoding: coding`; `None` for a
/// value the core does not decode (refused or left alone).
fn encode(coding: &str, plain: &[u8]) -> Option<Vec<u8>> {
    let tokens: Vec<String> = coding
        .split(',')
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty() && t != "identity")
        .collect();
    if tokens.is_empty() || tokens.len() > 5 {
        return None;
    }
    let mut body = plain.to_vec();
    for token in &tokens {
        body = match token.as_str() {
            "gzip" | "x-gzip" => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(&body).ok()?;
                e.finish().ok()?
            }
            "deflate" => {
                // Both forms servers send: zlib-wrapped, and raw (old IIS). Alternate by length.
                if body.len().is_multiple_of(2) {
                    let mut e =
                        flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
                    e.write_all(&body).ok()?;
                    e.finish().ok()?
                } else {
                    let mut e =
                        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
                    e.write_all(&body).ok()?;
                    e.finish().ok()?
                }
            }
            "br" => {
                let mut out = Vec::new();
                {
                    let mut e = brotli::CompressorWriter::new(&mut out, 4096, 1, 18);
                    e.write_all(&body).ok()?;
                }
                out
            }
            "zstd" => zstd::encode_all(Cursor::new(&body), 1).ok()?,
            _ => return None,
        };
    }
    Some(body)
}
