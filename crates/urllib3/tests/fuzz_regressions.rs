//! Regression tests for crashes the fuzz targets (crates/urllib3/fuzz) found: each test holds
//! the input, reduced where that made it clearer, and fails without the fix.

use std::collections::VecDeque;
use std::io::{self, Cursor, Read};

use urllib3::{raw, ErrorKind, HeaderMap, Response, ResponseOptions, Version};

/// `brotli.compress(b"hello")`.
const HELLO_BR: &[u8] = b"\x0b\x02\x80hello\x03";

/// A reader that hands out its pieces one `read` at a time, so a test decides what arrives
/// together.
struct Pieces(VecDeque<Vec<u8>>);

impl Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(mut piece) = self.0.pop_front() else {
            return Ok(0);
        };
        let n = piece.len().min(buf.len());
        buf[..n].copy_from_slice(&piece[..n]);
        if n < piece.len() {
            piece.drain(..n);
            self.0.push_front(piece);
        }
        Ok(n)
    }
}

fn brotli_response(pieces: Vec<Vec<u8>>) -> Response {
    let headers: HeaderMap = [("Content-Encoding", "br")].into_iter().collect();
    let reader = Box::new(Pieces(pieces.into()));
    raw::response_from_reader(
        200,
        "OK",
        Version::Http11,
        headers,
        reader,
        ResponseOptions::default(),
    )
    .unwrap()
}

// response_head, crash-2fad306c4e2c896e940450177d6f8892e6aca31c: a br body whose first byte
// is a complete (empty) brotli stream. The first read returned an empty body as if it were
// fine, and only the next read failed; urllib3 with the brotli module fails at once, since
// bytes after the end of the stream mean the body is not what the header says.
#[test]
fn bytes_after_a_brotli_stream_are_a_decode_error() {
    let wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: c00 OK\r\nContent-Encoding: br\r\nC\n\r\n3\r\nabc\r\n0\r\n\r\n";
    let conn = raw::connection_from_reader(Box::new(Cursor::new(wire.to_vec())));
    let mut r = conn
        .read_response("GET", None, ResponseOptions::default())
        .unwrap();
    let err = r.read_with(Some(1), true).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err}");

    let cases = [
        // Garbage the decoder has already buffered with the stream.
        vec![[HELLO_BR, b"garbage"].concat()],
        // Garbage arriving after the decoder saw the whole stream (it never pulls it in).
        vec![HELLO_BR.to_vec(), b"garbage".to_vec()],
    ];
    for pieces in cases {
        let mut r = brotli_response(pieces.clone());
        let err = r.read_all().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{pieces:?}: {err}");
    }

    // A clean stream, whole or in pieces, still reads to its end and stays there.
    for pieces in [
        vec![HELLO_BR.to_vec()],
        vec![HELLO_BR[..4].to_vec(), HELLO_BR[4..].to_vec()],
    ] {
        let mut r = brotli_response(pieces);
        assert_eq!(r.read_all().unwrap(), b"hello");
        assert!(r.is_complete());
        assert_eq!(r.read_all().unwrap(), b"");
    }
}
