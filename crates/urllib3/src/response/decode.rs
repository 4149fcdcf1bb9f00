//! Content decoding: undoing `Content-Encoding` (gzip, deflate, br, zstd, and chains of them).
//!
//! Decoders are pulled, not pushed: the caller asks for at most `n` decoded bytes and each stage
//! reads only the compressed input it needs for that. However well the body compresses (a
//! "decompression bomb" of gigabytes of zeros), one read never produces more than it asked for,
//! and memory stays at a few buffers per stage.
//!
//! A chain `Content-Encoding: gzip, br` lists codings in the order the server applied them
//! (RFC 9110 §8.4), so they are undone last first: the wire feeds `br`, whose output feeds
//! `gzip`.

use std::io::{self, BufRead, BufReader, Read};

use flate2::bufread::{DeflateDecoder, GzDecoder, ZlibDecoder};

use super::body::BodyReader;
use crate::error::{Error, ErrorKind, Result};

/// Longest chain accepted, as urllib3's `MultiDecoder.max_decode_links`: each link multiplies
/// the work a small body can cause.
pub(crate) const MAX_CHAIN: usize = 5;

/// Buffer between two stages (compressed bytes waiting to be inflated).
const STAGE_BUFFER: usize = 32 * 1024;

/// A content coding we can undo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Coding {
    Brotli,
    Deflate,
    Gzip,
    Zstd,
}

impl Coding {
    fn from_token(token: &str) -> Option<Coding> {
        match token.to_ascii_lowercase().as_str() {
            "gzip" | "x-gzip" => Some(Coding::Gzip),
            "deflate" => Some(Coding::Deflate),
            "br" => Some(Coding::Brotli),
            "zstd" => Some(Coding::Zstd),
            _ => None,
        }
    }
}

/// The codings to undo for a `Content-Encoding` value, in the order they were applied.
///
/// A single unknown coding is left alone (the body is returned as received, as urllib3 does);
/// `identity` is no coding at all; an unknown coding inside a chain cannot be undone, so the
/// chain is refused rather than half decoded.
pub(crate) fn codings(content_encoding: &str) -> Result<Vec<Coding>> {
    let tokens: Vec<&str> = content_encoding
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case("identity"))
        .collect();
    if tokens.len() > MAX_CHAIN {
        return Err(Error::new(
            ErrorKind::Decode,
            format!(
                "Too many content encodings in the chain: {} > {MAX_CHAIN}",
                tokens.len()
            ),
        ));
    }
    let known: Vec<Coding> = tokens
        .iter()
        .filter_map(|t| Coding::from_token(t))
        .collect();
    if known.len() < tokens.len() && tokens.len() > 1 {
        return Err(Error::new(
            ErrorKind::Decode,
            format!("Received response with content-encoding: {content_encoding}, but failed to decode it (unsupported coding in the chain)."),
        ));
    }
    Ok(known)
}

/// Where a stage reads from: the body itself, or the stage before it.
pub(crate) enum Source {
    Body(BodyReader),
    Stage(Box<Stage>),
}

type Input = BufReader<Source>;

impl Source {
    pub(crate) fn body(&self) -> Option<&BodyReader> {
        match self {
            Source::Body(b) => Some(b),
            Source::Stage(s) => s.input().and_then(|i| i.get_ref().body()),
        }
    }

    pub(crate) fn body_mut(&mut self) -> Option<&mut BodyReader> {
        match self {
            Source::Body(b) => Some(b),
            Source::Stage(s) => s.input_mut().and_then(|i| i.get_mut().body_mut()),
        }
    }

    /// Stacks decoders for `codings` (in applied order) on top of `body`.
    pub(crate) fn with_codings(body: BodyReader, codings: &[Coding]) -> Source {
        codings
            .iter()
            .rev()
            .fold(Source::Body(body), |source, &coding| {
                Source::Stage(Box::new(Stage::new(coding, source)))
            })
    }
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Source::Body(b) => b.read(buf).map_err(io::Error::other),
            Source::Stage(s) => s.read(buf),
        }
    }
}

/// One decoding stage. The `Start` states have not looked at their input yet: an empty body
/// decodes to nothing whatever its coding claims (HEAD-like replies with `Content-Encoding`
/// are common), and deflate must peek to tell zlib from raw.
pub(crate) enum Stage {
    Start(Coding, Input),
    Gzip(GzDecoder<Input>),
    /// Between gzip members: more may follow (urllib3 decodes concatenated members).
    GzipNext(Input),
    /// After at least one gzip member, bytes that are not gzip are dropped, as urllib3 does.
    GzipTrailing(Input),
    Zlib(ZlibDecoder<Input>),
    RawDeflate(DeflateDecoder<Input>),
    Brotli(Box<brotli::Decompressor<Input>>),
    Zstd(zstd::stream::read::Decoder<'static, Input>),
    /// Only seen if a transition failed half-way; reads as the end.
    Spent,
}

impl Stage {
    fn new(coding: Coding, source: Source) -> Stage {
        Stage::Start(coding, BufReader::with_capacity(STAGE_BUFFER, source))
    }

    fn input(&self) -> Option<&Input> {
        match self {
            Stage::Start(_, i) | Stage::GzipNext(i) | Stage::GzipTrailing(i) => Some(i),
            Stage::Gzip(d) => Some(d.get_ref()),
            Stage::Zlib(d) => Some(d.get_ref()),
            Stage::RawDeflate(d) => Some(d.get_ref()),
            Stage::Brotli(d) => Some(d.get_ref()),
            Stage::Zstd(d) => Some(d.get_ref()),
            Stage::Spent => None,
        }
    }

    fn input_mut(&mut self) -> Option<&mut Input> {
        match self {
            Stage::Start(_, i) | Stage::GzipNext(i) | Stage::GzipTrailing(i) => Some(i),
            Stage::Gzip(d) => Some(d.get_mut()),
            Stage::Zlib(d) => Some(d.get_mut()),
            Stage::RawDeflate(d) => Some(d.get_mut()),
            Stage::Brotli(d) => Some(d.get_mut()),
            Stage::Zstd(d) => Some(d.get_mut()),
            Stage::Spent => None,
        }
    }

    /// Moves from a state that holds the bare input to the decoder that reads it.
    fn advance(&mut self) -> io::Result<bool> {
        let state = std::mem::replace(self, Stage::Spent);
        let (next, more) = match state {
            Stage::Start(coding, mut input) => {
                let zlib = looks_like_zlib(input.fill_buf()?);
                if input.buffer().is_empty() {
                    (Stage::Start(coding, input), false)
                } else {
                    (start(coding, zlib, input)?, true)
                }
            }
            Stage::GzipNext(mut input) => {
                let first = input.fill_buf()?.first().copied();
                if first.is_none() {
                    (Stage::GzipNext(input), false)
                } else if first == Some(0x1f) {
                    (Stage::Gzip(GzDecoder::new(input)), true)
                } else {
                    (Stage::GzipTrailing(input), true)
                }
            }
            other => (other, true),
        };
        *self = next;
        Ok(more)
    }
}

fn start(coding: Coding, zlib: bool, input: Input) -> io::Result<Stage> {
    Ok(match coding {
        Coding::Gzip => Stage::Gzip(GzDecoder::new(input)),
        Coding::Deflate if zlib => Stage::Zlib(ZlibDecoder::new(input)),
        Coding::Deflate => Stage::RawDeflate(DeflateDecoder::new(input)),
        Coding::Brotli => Stage::Brotli(Box::new(brotli::Decompressor::new(input, STAGE_BUFFER))),
        Coding::Zstd => Stage::Zstd(zstd::stream::read::Decoder::with_buffer(input)?),
    })
}

/// RFC 1950 header check: compression method 8 with a window of at most 32 KiB, and the
/// check bits making the first two bytes a multiple of 31. Servers send "deflate" both
/// zlib-wrapped (as the RFC says) and raw (as old IIS did); urllib3 accepts both.
fn looks_like_zlib(head: &[u8]) -> bool {
    match head {
        [cmf, flg, ..] => {
            cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0
        }
        _ => false,
    }
}

impl Read for Stage {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let n = match self {
                Stage::Start(..) | Stage::GzipNext(_) => {
                    if !self.advance()? {
                        return Ok(0);
                    }
                    continue;
                }
                Stage::Gzip(d) => {
                    let n = d.read(buf)?;
                    if n == 0 {
                        self.next_member();
                        continue;
                    }
                    n
                }
                Stage::GzipTrailing(input) => loop {
                    let len = input.fill_buf()?.len();
                    if len == 0 {
                        return Ok(0);
                    }
                    input.consume(len);
                },
                Stage::Zlib(d) => d.read(buf)?,
                Stage::RawDeflate(d) => d.read(buf)?,
                Stage::Brotli(d) => match d.read(buf)? {
                    0 => brotli_end(d, buf)?,
                    n => n,
                },
                Stage::Zstd(d) => d.read(buf)?,
                Stage::Spent => 0,
            };
            return Ok(n);
        }
    }
}

/// After the brotli decoder returned its end: bytes after the end of the stream are an error,
/// as with urllib3 and the `brotli` module. The decoder reports those it already buffered only
/// when read once more, and never those it has not pulled in yet.
fn brotli_end(d: &mut brotli::Decompressor<Input>, buf: &mut [u8]) -> io::Result<usize> {
    let n = d.read(buf)?;
    if n == 0 && !d.get_mut().fill_buf()?.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "data after the end of the brotli stream",
        ));
    }
    Ok(n)
}

impl Stage {
    fn next_member(&mut self) {
        if let Stage::Gzip(_) = self {
            if let Stage::Gzip(d) = std::mem::replace(self, Stage::Spent) {
                *self = Stage::GzipNext(d.into_inner());
            }
        }
    }
}

/// Turns a failure inside the decoder stack into our error: a failure of the body itself (a
/// timeout, a reset) keeps its class; anything else is the data failing to decode.
pub(crate) fn decode_error(e: io::Error, content_encoding: &str) -> Error {
    if e.get_ref().is_some_and(|inner| inner.is::<Error>()) {
        if let Some(inner) = e.into_inner() {
            if let Ok(ours) = inner.downcast::<Error>() {
                return *ours;
            }
        }
        return Error::new(ErrorKind::Protocol, "Connection broken");
    }
    Error::new(
        ErrorKind::Decode,
        format!(
            "Received response with content-encoding: {content_encoding}, but failed to decode it."
        ),
    )
    .with_source(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coding_lists() {
        use Coding::*;
        let cases: &[(&str, Option<&[Coding]>)] = &[
            ("gzip", Some(&[Gzip])),
            ("x-gzip", Some(&[Gzip])),
            ("GZIP", Some(&[Gzip])),
            ("deflate", Some(&[Deflate])),
            ("br", Some(&[Brotli])),
            ("zstd", Some(&[Zstd])),
            ("gzip, br", Some(&[Gzip, Brotli])),
            ("identity", Some(&[])),
            ("", Some(&[])),
            ("compress", Some(&[])),
            ("gzip, identity", Some(&[Gzip])),
            ("gzip, compress", None),
            ("gzip, gzip, gzip, gzip, gzip", Some(&[Gzip; 5])),
            ("gzip, gzip, gzip, gzip, gzip, gzip", None),
        ];
        for &(header, expected) in cases {
            let got = codings(header).ok();
            assert_eq!(got.as_deref(), expected, "{header:?}");
            if expected.is_none() {
                assert_eq!(codings(header).unwrap_err().kind(), ErrorKind::Decode);
            }
        }
    }

    #[test]
    fn zlib_headers_are_told_from_raw_deflate() {
        assert!(looks_like_zlib(&[0x78, 0x9c]));
        assert!(looks_like_zlib(&[0x78, 0x01]));
        assert!(looks_like_zlib(&[0x78, 0xda]));
        assert!(!looks_like_zlib(&[0xcb, 0x48]));
        assert!(!looks_like_zlib(&[0x78]));
    }
}
