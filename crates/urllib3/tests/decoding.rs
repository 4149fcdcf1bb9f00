//! The decoding matrix: every coding, alone and chained, over every framing, read every way.

mod common;

use std::io::Write;

use common::{send, send_with, SAFETY};
use testserver::{RawServer, Reply};
use urllib3::{Body, ErrorKind, HeaderMap, Response, ResponseOptions};

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn raw_deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
        w.write_all(data).unwrap();
    }
    out
}

fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).unwrap()
}

fn encode(coding: &str, data: &[u8]) -> Vec<u8> {
    match coding {
        "gzip" | "x-gzip" => gzip(data),
        "deflate" => zlib(data),
        "br" => brotli(data),
        "zstd" => zstd(data),
        other => panic!("no encoder for {other}"),
    }
}

/// Text that compresses but not to nothing, long enough to span many reads.
fn sample() -> Vec<u8> {
    (0..200_000u32)
        .flat_map(|i| format!("line {i} of the body\n").into_bytes())
        .take(300_000)
        .collect()
}

#[derive(Clone, Copy, Debug)]
enum Framing {
    Length,
    Chunked,
    Close,
}

fn reply(framing: Framing, content_encoding: &str, wire: &[u8]) -> Vec<u8> {
    let mut out =
        format!("HTTP/1.1 200 OK\r\nContent-Encoding: {content_encoding}\r\n").into_bytes();
    match framing {
        Framing::Length => {
            out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", wire.len()).as_bytes());
            out.extend_from_slice(wire);
        }
        Framing::Chunked => {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
            // Odd-sized chunks so that chunk, stage and read boundaries never line up.
            for piece in wire.chunks(777) {
                out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
                out.extend_from_slice(piece);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"0\r\n\r\n");
        }
        Framing::Close => {
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(wire);
        }
    }
    out
}

fn serve(framing: Framing, content_encoding: &str, wire: &[u8]) -> (RawServer, Response) {
    let server = RawServer::start(vec![Reply::close(reply(framing, content_encoding, wire))]);
    let response = send(server.port(), "GET", "/", &HeaderMap::new(), Body::Empty).unwrap();
    (server, response)
}

const FRAMINGS: [Framing; 3] = [Framing::Length, Framing::Chunked, Framing::Close];

#[test]
fn every_coding_over_every_framing_decodes() {
    let data = sample();
    for coding in ["gzip", "x-gzip", "deflate", "br", "zstd"] {
        let wire = encode(coding, &data);
        for framing in FRAMINGS {
            let (_server, mut r) = serve(framing, coding, &wire);
            assert_eq!(r.read_all().unwrap(), data, "{coding} {framing:?}");
            assert_eq!(
                r.tell(),
                wire.len() as u64,
                "tell counts wire bytes: {coding} {framing:?}"
            );
            assert!(r.is_complete());
        }
    }
}

#[test]
fn chains_are_undone_last_first() {
    let data = sample();
    let chains: &[&[&str]] = &[
        &["gzip", "br"],
        &["deflate", "zstd", "gzip"],
        &["br", "br"],
        &["zstd", "deflate", "gzip", "br", "zstd"],
    ];
    for chain in chains {
        let wire = chain
            .iter()
            .fold(data.clone(), |body, coding| encode(coding, &body));
        let header = chain.join(", ");
        for framing in FRAMINGS {
            let (_server, mut r) = serve(framing, &header, &wire);
            assert_eq!(r.read_all().unwrap(), data, "{header} {framing:?}");
        }
    }
}

#[test]
fn reads_of_amt_return_exactly_amt_until_the_end() {
    let data = sample();
    for coding in ["gzip", "deflate", "br", "zstd"] {
        let (_server, mut r) = serve(Framing::Chunked, coding, &encode(coding, &data));
        let mut got = Vec::new();
        loop {
            let piece = r.read_with(Some(1000), true).unwrap();
            if piece.is_empty() {
                break;
            }
            let left = data.len() - got.len();
            assert_eq!(piece.len(), 1000.min(left), "{coding}");
            got.extend_from_slice(&piece);
        }
        assert_eq!(got, data, "{coding}");
    }
}

#[test]
fn stream_yields_no_empty_pieces_and_none_larger_than_asked() {
    let data = sample();
    for coding in ["gzip", "br", "zstd", "identity"] {
        let wire = if coding == "identity" {
            data.clone()
        } else {
            encode(coding, &data)
        };
        let (_server, mut r) = serve(Framing::Chunked, coding, &wire);
        let pieces: Vec<Vec<u8>> = r.stream(4096).collect::<Result<_, _>>().unwrap();
        assert!(
            pieces.iter().all(|p| !p.is_empty() && p.len() <= 4096),
            "{coding}"
        );
        assert_eq!(pieces.concat(), data, "{coding}");
    }
}

#[test]
fn concatenated_members_and_frames_all_decode() {
    let parts: Vec<Vec<u8>> = (0..4)
        .map(|i| format!("part {i}; ").repeat(100).into_bytes())
        .collect();
    let whole = parts.concat();
    let gz: Vec<u8> = parts.iter().flat_map(|p| gzip(p)).collect();
    let zs: Vec<u8> = parts.iter().flat_map(|p| zstd(p)).collect();
    for (coding, wire) in [("gzip", gz), ("zstd", zs)] {
        let (_server, mut r) = serve(Framing::Length, coding, &wire);
        assert_eq!(r.read_all().unwrap(), whole, "{coding}");
    }
}

#[test]
fn garbage_after_a_gzip_member_is_dropped_as_urllib3_does() {
    let mut wire = gzip(b"the real body");
    wire.extend_from_slice(b"trailing junk that is not gzip");
    let (_server, mut r) = serve(Framing::Length, "gzip", &wire);
    assert_eq!(r.read_all().unwrap(), b"the real body");
}

#[test]
fn raw_deflate_is_accepted_for_deflate() {
    let (_server, mut r) = serve(
        Framing::Length,
        "deflate",
        &raw_deflate(b"raw deflate body"),
    );
    assert_eq!(r.read_all().unwrap(), b"raw deflate body");
}

#[test]
fn unknown_codings_pass_through_and_identity_is_nothing() {
    for coding in ["identity", "compress", "unknown-thing"] {
        let (_server, mut r) = serve(Framing::Length, coding, b"as sent");
        assert_eq!(r.read_all().unwrap(), b"as sent", "{coding}");
    }
}

#[test]
fn bad_data_is_a_decode_error() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("gzip", b"definitely not gzip".to_vec()),
        ("deflate", b"\x78\x9cnot really zlib".to_vec()),
        ("br", b"\xff\xff\xff\xff not brotli".to_vec()),
        ("zstd", b"not zstd at all".to_vec()),
        ("gzip, gzip, gzip, gzip, gzip, gzip", gzip(b"x")),
        ("gzip, compress", gzip(b"x")),
    ];
    for (coding, wire) in cases {
        let (_server, mut r) = serve(Framing::Length, coding, &wire);
        let err = r.read_all().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{coding}: {err}");
    }
}

#[test]
fn a_stream_cut_short_gives_what_could_be_inflated_except_zstd() {
    // urllib3 returns what zlib and brotli could inflate from a body that stops mid-stream;
    // only its zstd decoder insists on a whole frame.
    let data = sample();
    for coding in ["gzip", "deflate", "br"] {
        let mut wire = encode(coding, &data);
        wire.truncate(wire.len() / 2);
        for framing in FRAMINGS {
            let (_server, mut r) = serve(framing, coding, &wire);
            let got = r.read_all().unwrap();
            assert!(!got.is_empty(), "{coding} {framing:?}");
            assert!(data.starts_with(&got), "{coding} {framing:?}");
            assert!(r.is_complete(), "{coding} {framing:?}");
        }
    }
    // Cut inside the header, and inside the 8-byte trailer: no error either.
    for keep in [5, gzip(&data).len() - 4] {
        let mut wire = gzip(&data);
        wire.truncate(keep);
        let (_server, mut r) = serve(Framing::Length, "gzip", &wire);
        assert!(data.starts_with(&r.read_all().unwrap()), "{keep}");
    }
    let mut wire = zstd(&data);
    wire.truncate(wire.len() / 2);
    let (_server, mut r) = serve(Framing::Length, "zstd", &wire);
    let err = r.read_all().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(
        err.message().contains("Zstandard data is incomplete"),
        "{err}"
    );
}

#[test]
fn a_failed_first_decoded_read_leaves_the_raw_rest_readable() {
    // `Content-Encoding: gzip` on a body that is not gzip: the decoded read fails, and no
    // decoded content was produced, so a raw read still gets the rest (requests drains such
    // a redirect that way).
    let wire: Vec<u8> = (0..100_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let (_server, mut r) = serve(Framing::Length, "gzip", &wire);
    assert_eq!(
        r.read_with(Some(10), true).unwrap_err().kind(),
        ErrorKind::Decode
    );
    let rest = r.read_with(None, false).unwrap();
    assert!(!rest.is_empty());
    assert!(wire.ends_with(&rest));
    assert!(r.is_complete());
}

#[test]
fn a_callers_decoder_gives_what_it_holds_then_decodes_the_body() {
    // urllib3's tests feed `response._decoder` directly before reading: what the decoder holds
    // comes out first, then the body flows through the same decoder.
    let data = sample();
    let wire = gzip(&data);
    let (head, rest) = wire.split_at(wire.len() / 3);
    for framing in FRAMINGS {
        let (_server, mut r) = serve(framing, "gzip", rest);
        let mut decoder = urllib3::response::ContentDecoder::new("gzip").unwrap();
        assert_eq!(decoder.decompress(head, Some(0)).unwrap(), b"");
        let first = r.read_decoded_by(Some(1000), &mut decoder).unwrap();
        assert_eq!(first, &data[..1000], "{framing:?}");
        let mut out = first;
        loop {
            let piece = r
                .next_chunk_decoded_by(Some(4096), Some(&mut decoder))
                .unwrap();
            if piece.is_empty() {
                break;
            }
            assert!(piece.len() <= 4096);
            out.extend(piece);
        }
        assert_eq!(out, data, "{framing:?}");
        assert!(r.is_complete());
    }
}

#[test]
fn raw_reads_skip_decoding_and_cannot_follow_decoded_ones() {
    let wire = gzip(b"compressed");
    let (_server, mut r) = serve(Framing::Length, "gzip", &wire);
    assert_eq!(r.read_with(None, false).unwrap(), wire);

    let (_server, mut r) = serve(Framing::Length, "gzip", &wire);
    assert_eq!(r.read_with(Some(3), true).unwrap(), b"com");
    assert_eq!(
        r.read_with(Some(3), false).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
}

#[test]
fn read_raw_into_fills_the_callers_buffer_over_every_framing() {
    let body = sample();
    for framing in FRAMINGS {
        let (_server, mut r) = serve(framing, "identity", &body);
        let mut buf = vec![0u8; 200_000];
        assert_eq!(r.read_raw_into(&mut buf).unwrap(), 200_000, "{framing:?}");
        assert_eq!(buf, body[..200_000], "{framing:?}");
        // The rest is shorter than the buffer: what there is, then nothing.
        assert_eq!(r.read_raw_into(&mut buf).unwrap(), 100_000, "{framing:?}");
        assert_eq!(buf[..100_000], body[200_000..], "{framing:?}");
        assert_eq!(r.read_raw_into(&mut buf).unwrap(), 0, "{framing:?}");
    }
}

/// 300 bytes announced, 200 sent, then the connection closes; read without enforcing the
/// length.
fn cut_short_unenforced() -> (RawServer, Response) {
    let mut wire = b"HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n".to_vec();
    wire.extend_from_slice(&[b'a'; 200]);
    let server = RawServer::start(vec![Reply::close(wire)]);
    let options = ResponseOptions {
        enforce_content_length: false,
        ..ResponseOptions::default()
    };
    let headers = HeaderMap::new();
    let response = send_with(
        server.port(),
        "GET",
        "/",
        &headers,
        Body::Empty,
        Some(SAFETY),
        options,
    );
    (server, response.unwrap())
}

#[test]
fn a_whole_body_cut_short_fails_even_unenforced_and_counts_that_read() {
    // urllib3 reads a whole body through http.client, which holds it to its length, and
    // counts what that read got; sized reads just stop at the end.
    let (_server, mut r) = cut_short_unenforced();
    assert_eq!(r.read_raw(Some(50)).unwrap().len(), 50);
    let err = r.read_raw(None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(
        err.to_string()
            .contains("IncompleteRead(150 bytes read, 100 more expected)"),
        "{err}"
    );

    let (_server, mut r) = cut_short_unenforced();
    let mut buf = vec![0u8; 250];
    assert_eq!(r.read_raw_into(&mut buf).unwrap(), 200);

    let (_server, mut r) = cut_short_unenforced();
    let mut buf = vec![0u8; 250];
    assert!(r.read_raw_to_end_into(&mut buf).is_err());
}

#[test]
fn the_decoder_follows_the_headers_as_they_are_when_reading_starts() {
    let wire = gzip(b"fixed up");
    let (_server, mut r) = serve(Framing::Length, "bogus", &wire);
    r.headers_mut().insert("Content-Encoding", "gzip");
    assert_eq!(r.read_all().unwrap(), b"fixed up");
}

#[test]
fn a_bomb_streams_in_bounded_pieces() {
    // 256 MiB of zeros is about 250 KiB of gzip: each read must still produce at most what was
    // asked for, so memory stays flat however far it inflates.
    let zeros = vec![0u8; 1 << 20];
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    for _ in 0..256 {
        e.write_all(&zeros).unwrap();
    }
    let wire = e.finish().unwrap();
    let (_server, mut r) = serve(Framing::Length, "gzip", &wire);
    let mut total = 0u64;
    for piece in r.stream(64 * 1024) {
        let piece = piece.unwrap();
        assert!(piece.len() <= 64 * 1024);
        total += piece.len() as u64;
    }
    assert_eq!(total, 256 << 20);
}

#[test]
fn read_chunked_follows_the_wire_chunks() {
    let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n5\r\ndefgh\r\n1\r\ni\r\n0\r\n\r\n";
    let server = RawServer::start(vec![Reply::close(&raw[..])]);
    let mut r = send(server.port(), "GET", "/", &HeaderMap::new(), Body::Empty).unwrap();
    let chunks: Vec<Vec<u8>> = r
        .read_chunked(None, false)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(chunks, [b"abc".to_vec(), b"defgh".to_vec(), b"i".to_vec()]);

    let chain = "gzip, gzip, gzip, gzip, gzip, gzip";
    let (_server, mut r) = serve(Framing::Chunked, chain, b"whatever");
    let first = r.read_chunked(None, true).unwrap().next();
    assert_eq!(
        first.map(|p| p.unwrap_err().kind()),
        Some(ErrorKind::Decode)
    );

    let (_server, mut r) = serve(Framing::Length, "identity", b"not chunked");
    assert_eq!(
        r.read_chunked(None, false).unwrap_err().kind(),
        ErrorKind::ResponseNotChunked
    );
}

#[test]
fn a_bomb_read_whole_is_refused_early() {
    // 1 GiB of zeros gzipped: preloading it stops at the bomb check, long before 1 GiB.
    let server = testserver::TestServer::start();
    let err = urllib3::PoolManager::new()
        .urlopen(
            "GET",
            &server.url("/bomb/gzip?mib=1024"),
            urllib3::RequestOptions::new(),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
    assert!(err.message().contains("decompression bomb"), "{err}");
}
