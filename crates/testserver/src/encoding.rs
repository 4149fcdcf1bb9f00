//! Content codings (gzip, deflate, br, zstd) and the test bodies built on them.

use std::io::Write as _;
use std::sync::OnceLock;

use bytes::Bytes;
use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
use flate2::Compression;

/// A content coding the server can apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Coding {
    Gzip,
    /// zlib-wrapped deflate, as RFC 9110 defines "deflate".
    Deflate,
    /// Bare deflate without the zlib wrapper, which some servers wrongly send.
    RawDeflate,
    Br,
    Zstd,
    Identity,
}

impl Coding {
    /// Parses a coding name as used in Content-Encoding.
    pub(crate) fn parse(name: &str) -> Option<Coding> {
        match name.trim().to_ascii_lowercase().as_str() {
            "gzip" | "x-gzip" => Some(Coding::Gzip),
            "deflate" => Some(Coding::Deflate),
            "br" => Some(Coding::Br),
            "zstd" => Some(Coding::Zstd),
            "identity" => Some(Coding::Identity),
            _ => None,
        }
    }

    /// The name to put in Content-Encoding.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate | Coding::RawDeflate => "deflate",
            Coding::Br => "br",
            Coding::Zstd => "zstd",
            Coding::Identity => "identity",
        }
    }

    /// Encodes `data` with this coding.
    pub(crate) fn encode(self, data: &[u8]) -> Vec<u8> {
        match self {
            Coding::Gzip => gzip(data, Compression::default()),
            Coding::Deflate => finish(ZlibEncoder::new(Vec::new(), Compression::default()), data),
            Coding::RawDeflate => finish(
                DeflateEncoder::new(Vec::new(), Compression::default()),
                data,
            ),
            Coding::Br => brotli(data),
            Coding::Zstd => zstd::bulk::compress(data, 3).expect("zstd compression of a buffer"),
            Coding::Identity => data.to_vec(),
        }
    }
}

/// Writing into a `Vec` cannot fail, so the encoder results are unwrapped.
trait Finish: std::io::Write {
    fn finish_vec(self) -> Vec<u8>;
}

impl Finish for GzEncoder<Vec<u8>> {
    fn finish_vec(self) -> Vec<u8> {
        self.finish().expect("gzip into a Vec")
    }
}

impl Finish for ZlibEncoder<Vec<u8>> {
    fn finish_vec(self) -> Vec<u8> {
        self.finish().expect("zlib into a Vec")
    }
}

impl Finish for DeflateEncoder<Vec<u8>> {
    fn finish_vec(self) -> Vec<u8> {
        self.finish().expect("deflate into a Vec")
    }
}

fn finish<E: Finish>(mut encoder: E, data: &[u8]) -> Vec<u8> {
    encoder.write_all(data).expect("compressing into a Vec");
    encoder.finish_vec()
}

fn gzip(data: &[u8], level: Compression) -> Vec<u8> {
    finish(GzEncoder::new(Vec::new(), level), data)
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut w = brotli::CompressorWriter::new(Vec::new(), 4096, 5, 22);
    w.write_all(data).expect("brotli into a Vec");
    w.into_inner()
}

/// Applies `codings` in order (the first listed is applied first).
pub(crate) fn encode_chain(data: &[u8], codings: &[Coding]) -> Vec<u8> {
    codings
        .iter()
        .fold(data.to_vec(), |acc, coding| coding.encode(&acc))
}

/// `len` bytes of deterministic, compressible text.
pub(crate) fn text(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 64);
    let mut line = 0u64;
    while out.len() < len {
        let _ = writeln!(
            out,
            "{line:06} The quick brown fox jumps over the lazy dog."
        );
        line += 1;
    }
    out.truncate(len);
    out
}

/// The text of part `i` of a multi-member or multi-frame body.
pub(crate) fn part_text(i: usize, parts: usize) -> String {
    format!("This is part {} of {}.\n", i + 1, parts)
}

/// `parts` gzip members concatenated; decodes to the `part_text`s joined.
pub(crate) fn gzip_members(parts: usize) -> Vec<u8> {
    (0..parts)
        .flat_map(|i| gzip(part_text(i, parts).as_bytes(), Compression::default()))
        .collect()
}

/// `frames` zstd frames concatenated; decodes to the `part_text`s joined.
pub(crate) fn zstd_frames(frames: usize) -> Vec<u8> {
    (0..frames)
        .flat_map(|i| Coding::Zstd.encode(part_text(i, frames).as_bytes()))
        .collect()
}

/// One gzip member holding 1 MiB of zeros. The gzip bomb repeats it: a
/// sequence of gzip members is itself a valid gzip stream, so the bomb never
/// has to exist in memory whole. Computed once per process.
pub(crate) fn zeros_member() -> Bytes {
    static MEMBER: OnceLock<Bytes> = OnceLock::new();
    MEMBER
        .get_or_init(|| gzip(&vec![0; 1 << 20], Compression::best()).into())
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    #[test]
    fn gzip_members_decode_as_one_stream() {
        let mut out = String::new();
        flate2::read::MultiGzDecoder::new(&gzip_members(3)[..])
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(
            out,
            "This is part 1 of 3.\nThis is part 2 of 3.\nThis is part 3 of 3.\n"
        );
    }

    #[test]
    fn chain_applies_in_order() {
        let data = text(100);
        let encoded = encode_chain(&data, &[Coding::Gzip, Coding::Zstd]);
        let gz = zstd::decode_all(&encoded[..]).unwrap();
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, data);
    }
}
