//! A fixed `Transfer-Encoding: chunked` head with arbitrary bytes as the chunked body, read
//! three ways: chunk by chunk (`read_chunked`, raw and with decoding, which without a
//! `Content-Encoding` is the same), with `read()` in fixed-size pieces, and whole (`read_all`).
//! They must agree: all fail, or all succeed with the same bytes.
//!
//! The first two input bytes choose the chunk API's piece size and the read size.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use urllib3::{raw, HeaderMap, Response, ResponseOptions, Version};

fuzz_target!(|data: &[u8]| {
    let [a, b, body @ ..] = data else {
        return;
    };
    let chunk_size = 1 + usize::from(*a);
    let read_size = 1 + usize::from(*b) * 61;

    let via_chunks = by_chunks(body, chunk_size, false);
    let via_decoded_chunks = by_chunks(body, chunk_size, true);
    let via_reads = by_reads(body, read_size);
    let via_read_all = response(body).read_all().ok();
    assert_eq!(via_chunks, via_reads, "read_chunked vs read({read_size})");
    assert_eq!(
        via_chunks, via_decoded_chunks,
        "read_chunked raw vs decoded"
    );
    assert_eq!(via_chunks, via_read_all, "read_chunked vs read_all");
});

fn response(body: &[u8]) -> Response {
    let headers: HeaderMap = [("Transfer-Encoding", "chunked")].into_iter().collect();
    let reader = Box::new(Cursor::new(body.to_vec()));
    let response = raw::response_from_wire(
        200,
        "OK",
        Version::Http11,
        headers,
        reader,
        "GET",
        ResponseOptions::default(),
    );
    match response {
        Ok(response) => response,
        Err(e) => panic!("a chunked head is refused: {e}"),
    }
}

/// The body through `read_chunked`, `None` on an error.
fn by_chunks(body: &[u8], chunk_size: usize, decode: bool) -> Option<Vec<u8>> {
    let mut response = response(body);
    assert!(response.is_chunked());
    let mut out = Vec::new();
    let chunks = match response.read_chunked(Some(chunk_size), decode) {
        Ok(chunks) => chunks,
        Err(e) => panic!("read_chunked refused a chunked response: {e}"),
    };
    for piece in chunks {
        let piece = piece.ok()?;
        assert!(!piece.is_empty() && piece.len() <= chunk_size);
        out.extend_from_slice(&piece);
    }
    assert!(response.is_complete());
    assert_eq!(response.tell(), out.len() as u64);
    Some(out)
}

/// The body through `read_with(Some(read_size))`, `None` on an error.
fn by_reads(body: &[u8], read_size: usize) -> Option<Vec<u8>> {
    let mut response = response(body);
    let mut out = Vec::new();
    loop {
        let piece = response.read_with(Some(read_size), false).ok()?;
        assert!(piece.len() <= read_size);
        if piece.is_empty() {
            break;
        }
        // `read_with` fills the whole amount unless the body ends.
        let short = piece.len() < read_size;
        out.extend_from_slice(&piece);
        assert_eq!(response.tell(), out.len() as u64);
        if short {
            assert!(response.read_with(Some(read_size), false).ok()?.is_empty());
            break;
        }
    }
    assert!(response.is_complete());
    Some(out)
}
