//! Arbitrary bytes as everything a server sends (status line, headers, body), read as a
//! connection reads a response: the head is parsed, the body framed by its headers and
//! (optionally) decoded, and read to its end. Every step returns `Ok` or `Err`; nothing may
//! panic, hang or grow without bound.
//!
//! The first byte chooses the request method, the reading options, the read size and whether
//! the body is read with `read()` or chunk by chunk; the rest is the wire.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use urllib3::{raw, Response, ResponseOptions};

/// Decoded bytes read before giving up on a body, and reads. A small input can inflate far
/// beyond this (a 130-byte brotli body to 10 MB, ten million one-byte reads: slow, not stuck);
/// the decoders target looks at inflation, this one at heads and framing.
const CAP: usize = 1 << 20;
const MAX_READS: usize = 200_000;

/// How many bytes to read before stopping with `read_size` pieces.
fn cap(read_size: usize) -> usize {
    CAP.min(read_size.saturating_mul(MAX_READS))
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, wire)) = data.split_first() else {
        return;
    };
    let method = ["GET", "HEAD", "POST", "CONNECT"][usize::from(control & 3)];
    let options = ResponseOptions {
        decode_content: control & 4 != 0,
        enforce_content_length: control & 8 != 0,
    };
    let read_size = [1, 13, 1024, 65536][usize::from((control >> 4) & 3)];
    let by_chunks = control & 0x40 != 0;

    let conn = raw::connection_from_reader(Box::new(Cursor::new(wire.to_vec())));
    let Ok(mut response) = conn.read_response(method, None, options) else {
        return;
    };
    // The accessors work on any response.
    let _ = (
        response.status(),
        response.reason().len(),
        response.version().as_str(),
        response.headers().iter().count(),
        response.is_chunked(),
        response.length_remaining(),
        format!("{response:?}"),
    );
    let decode = options.decode_content;
    let finished = if by_chunks {
        read_by_chunks(&mut response, read_size, decode)
    } else {
        read_by_reads(&mut response, read_size, decode)
    };
    if finished {
        // A body read to its end is complete: the connection is released.
        assert!(response.is_complete());
        assert!(response
            .read_with(Some(read_size), decode)
            .is_ok_and(|b| b.is_empty()));
    } else {
        // Reading on after an error (or the cap) still returns.
        let _ = response.read_with(Some(read_size), decode);
        let _ = response.drain();
    }
});

/// Reads with `read_with` until the end (true), an error or the cap (false).
fn read_by_reads(response: &mut Response, read_size: usize, decode: bool) -> bool {
    let mut total = 0usize;
    loop {
        let piece = match response.read_with(Some(read_size), decode) {
            Ok(piece) => piece,
            Err(_) => return false,
        };
        assert!(piece.len() <= read_size);
        if piece.is_empty() {
            return true;
        }
        total += piece.len();
        if !decode {
            // Raw reads return exactly the body bytes received: `tell()` counts them.
            assert_eq!(response.tell(), total as u64);
        }
        if total > cap(read_size) {
            return false;
        }
    }
}

/// Reads with `read_chunked` (which refuses bodies that are not chunked).
fn read_by_chunks(response: &mut Response, read_size: usize, decode: bool) -> bool {
    let chunks = match response.read_chunked(Some(read_size), decode) {
        Ok(chunks) => chunks,
        Err(_) => return false,
    };
    let mut total = 0usize;
    for piece in chunks {
        let Ok(piece) = piece else {
            return false;
        };
        assert!(!piece.is_empty() && piece.len() <= read_size);
        total += piece.len();
        if total > cap(read_size) {
            return false;
        }
    }
    true
}
