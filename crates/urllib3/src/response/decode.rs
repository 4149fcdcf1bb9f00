//! Content decoding: undoing `Content-Encoding` (gzip, deflate, br, zstd, and chains of them).
//!
//! A [`ContentDecoder`] is given encoded bytes as they arrive and asked for at most `n` decoded
//! bytes at a time, as urllib3's `decompress(data, max_length)`. What it could not turn into
//! output yet stays inside it (its unconsumed tail) for the next call. However well the body
//! compresses (a "decompression bomb" of gigabytes of zeros), one call never produces more than
//! it was asked for, and a chain holds at most a buffer per stage.
//!
//! A chain `Content-Encoding: gzip, br` lists codings in the order the server applied them
//! (RFC 9110 §8.4), so they are undone last first: the wire feeds `br`, whose output feeds
//! `gzip`.
//!
//! When the input ends inside a stream, gzip, deflate and brotli give what could be inflated and
//! no error (what zlib's and the brotli module's decompressors do for urllib3); a zstd frame cut
//! short is an error, as urllib3's `ZstdDecoder.flush` makes it.

use std::io;

use brotli::enc::StandardAlloc;
use brotli::{BrotliDecompressStream, BrotliResult, BrotliState};
use flate2::{Crc, Decompress, FlushDecompress, Status};
use zstd::stream::raw::{InBuffer, Operation, OutBuffer};

use crate::error::{Error, ErrorKind, Result};

/// Longest chain accepted, as urllib3's `MultiDecoder.max_decode_links`: each link multiplies
/// the work a small body can cause.
pub(crate) const MAX_CHAIN: usize = 5;

/// Buffer between two stages (decoded bytes of one stage waiting to be undone by the next).
const STAGE_BUFFER: usize = 32 * 1024;

/// Blocks in which a decompress grows its output: from small (a call per small wire piece is
/// common, and each block is zeroed first) to large, so the bomb check runs between them.
const FIRST_BLOCK: usize = 8 * 1024;
const LAST_BLOCK: usize = 64 * 1024;

/// Decoded bytes a whole-body decode may produce before the bomb check applies.
pub(crate) const BOMB_MIN_DECODED: usize = 64 << 20;
/// Inflation (decoded bytes per encoded byte) that marks a decompression bomb.
pub(crate) const BOMB_RATIO: u64 = 500;

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

/// Whether a whole-body decode of `decoded` bytes out of `encoded` is a decompression bomb:
/// past [`BOMB_MIN_DECODED`] bytes, [`BOMB_RATIO`] times more than came in (gzip of zeros
/// inflates about 1030 times, brotli and zstd far more; ordinary content rarely passes 100).
/// Decoding in bounded pieces has no such limit: its memory stays bounded anyway.
pub(crate) fn refuse_bomb(decoded: usize, encoded: u64) -> Result<()> {
    let encoded = encoded.max(1);
    if decoded < BOMB_MIN_DECODED || (decoded as u64) / encoded < BOMB_RATIO {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::Decode,
        format!(
            "Refused to decode the whole body: {decoded} bytes from {encoded} received, a \
             decompression bomb by its ratio. Read it in pieces (stream()) to decode it anyway."
        ),
    ))
}

/// Undoes a `Content-Encoding`: urllib3's `ContentDecoder` (`GzipDecoder`, `DeflateDecoder`,
/// `BrotliDecoder`, `ZstdDecoder`, `MultiDecoder`) in one type.
///
/// ```
/// use std::io::Write;
/// use urllib3::response::ContentDecoder;
///
/// let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
/// encoder.write_all(b"hello, world")?;
/// let gzipped = encoder.finish()?;
///
/// let mut decoder = ContentDecoder::new("gzip")?;
/// assert_eq!(decoder.decompress(&gzipped, Some(5))?, b"hello");
/// assert!(decoder.has_unconsumed_tail());
/// assert_eq!(decoder.decompress(b"", None)?, b", world");
/// assert_eq!(decoder.flush()?, b"");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ContentDecoder {
    /// In undoing order: `links[0]` takes the encoded bytes, the last gives the output.
    links: Vec<Link>,
    /// The `Content-Encoding` value, for messages.
    label: String,
    /// Set by the first failure: the stream is broken from there on.
    failed: bool,
}

impl std::fmt::Debug for ContentDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentDecoder")
            .field("content_encoding", &self.label)
            .field("has_unconsumed_tail", &self.has_unconsumed_tail())
            .finish_non_exhaustive()
    }
}

impl ContentDecoder {
    /// A decoder for a `Content-Encoding` value (`"gzip"`, `"br"`, `"gzip, zstd"`, …). A value
    /// with nothing to undo (`identity`, one unknown coding) gives a decoder that passes bytes
    /// through; an over-long chain, or one with an unknown coding in it, is a `Decode` error.
    pub fn new(content_encoding: &str) -> Result<ContentDecoder> {
        let codings = codings(content_encoding)?;
        ContentDecoder::for_codings(&codings, content_encoding)
    }

    pub(crate) fn for_codings(codings: &[Coding], label: &str) -> Result<ContentDecoder> {
        let mut links = codings
            .iter()
            .rev()
            .map(|&c| Link::new(c))
            .collect::<io::Result<Vec<Link>>>()
            .map_err(|e| Error::new(ErrorKind::Decode, "cannot set up a decoder").with_source(e))?;
        if links.is_empty() {
            links.push(Link::identity());
        }
        Ok(ContentDecoder {
            links,
            label: label.to_ascii_lowercase(),
            failed: false,
        })
    }

    /// Decodes `data`, after what earlier calls left unconsumed, into at most `max_length` bytes
    /// (all there is with `None`; urllib3's `max_length=-1`). `Some(0)` only stores `data`.
    ///
    /// An unbounded call refuses a decompression bomb (more than 64 MiB of output at an
    /// inflation ratio past 500) with a `Decode` error; bounded calls never need to.
    pub fn decompress(&mut self, data: &[u8], max_length: Option<usize>) -> Result<Vec<u8>> {
        self.push(data)?;
        self.produce_vec(max_length)
    }

    /// The end of the input: whatever output is left, and an error if the input stopped inside
    /// a zstd frame ("Zstandard data is incomplete"). Gzip, deflate and brotli cut short are not
    /// errors: their output so far is all there is.
    pub fn flush(&mut self) -> Result<Vec<u8>> {
        let rest = self.produce_vec(None)?;
        self.finish()?;
        Ok(rest)
    }

    /// Whether output may be waiting without more input: the last call stopped at its
    /// `max_length`, or data was stored with `max_length` 0.
    pub fn has_unconsumed_tail(&self) -> bool {
        !self.failed && self.links.iter().any(|l| l.pending)
    }

    /// Encoded bytes given to this decoder so far.
    pub fn total_in(&self) -> u64 {
        self.links.first().map_or(0, |l| l.received)
    }

    fn consumed(&self) -> u64 {
        self.links.first().map_or(0, |l| l.consumed)
    }

    /// Stores encoded input for the next [`ContentDecoder::decode_into`].
    pub(crate) fn push(&mut self, data: &[u8]) -> Result<()> {
        if self.failed {
            return Err(self.failure("the stream already failed to decode".into()));
        }
        // Once the final stage has ended, nothing before it will be asked for output again:
        // storing more would only grow the first stage's buffer.
        if self.links.len() > 1 && self.links.last().is_some_and(|l| l.done) {
            return Ok(());
        }
        if let Some(first) = self.links.first_mut() {
            first.push(data);
        }
        Ok(())
    }

    /// Decodes what was pushed into `out`; 0 when more input is needed (or the stream ended).
    pub(crate) fn decode_into(&mut self, out: &mut [u8]) -> Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if self.failed {
            return Err(self.failure("the stream already failed to decode".into()));
        }
        let last = self.links.len() - 1;
        self.produce(last, out).map_err(|why| {
            self.failed = true;
            self.failure(why)
        })
    }

    /// Checks the end of the input (see [`ContentDecoder::flush`]).
    pub(crate) fn finish(&mut self) -> Result<()> {
        if self.links.iter().any(Link::cut_short) {
            self.failed = true;
            return Err(Error::new(
                ErrorKind::Decode,
                "Zstandard data is incomplete",
            ));
        }
        Ok(())
    }

    fn produce_vec(&mut self, max_length: Option<usize>) -> Result<Vec<u8>> {
        let start = self.consumed();
        let limit = max_length.unwrap_or(usize::MAX);
        let mut out = Vec::new();
        let mut block = FIRST_BLOCK;
        while out.len() < limit {
            let filled = out.len();
            out.resize(filled + (limit - filled).min(block), 0);
            block = (block * 2).min(LAST_BLOCK);
            let n = self.decode_into(&mut out[filled..])?;
            out.truncate(filled + n);
            if n == 0 {
                break;
            }
            if max_length.is_none() {
                refuse_bomb(out.len(), self.consumed().saturating_sub(start))?;
            }
        }
        Ok(out)
    }

    /// Output of link `k`, pulling input through the links before it as it runs dry.
    fn produce(&mut self, k: usize, out: &mut [u8]) -> std::result::Result<usize, String> {
        loop {
            let n = self.links[k].run(out)?;
            if n > 0 || k == 0 || self.links[k].done {
                return Ok(n);
            }
            let mut scratch = std::mem::take(&mut self.links[k].scratch);
            scratch.resize(STAGE_BUFFER, 0);
            let pulled = self.produce(k - 1, &mut scratch);
            if let Ok(m) = pulled {
                self.links[k].push(&scratch[..m]);
            }
            self.links[k].scratch = scratch;
            if pulled? == 0 {
                return Ok(0);
            }
        }
    }

    fn failure(&self, why: String) -> Error {
        Error::new(
            ErrorKind::Decode,
            format!(
                "Received response with content-encoding: {}, but failed to decode it.",
                self.label
            ),
        )
        .with_source(io::Error::new(io::ErrorKind::InvalidData, why))
    }
}

/// One stage of a chain: a codec and the input it has not consumed yet.
struct Link {
    codec: Codec,
    tail: Vec<u8>,
    pos: usize,
    /// The codec said no more output will ever come.
    done: bool,
    /// Output may be waiting without new input (see `has_unconsumed_tail`).
    pending: bool,
    /// Bytes pushed in, and bytes the codec took.
    received: u64,
    consumed: u64,
    /// Buffer this link pulls the previous link's output into.
    scratch: Vec<u8>,
}

impl Link {
    fn new(coding: Coding) -> io::Result<Link> {
        Ok(Link::with(match coding {
            Coding::Gzip => Codec::Gzip(Gzip::new()),
            Coding::Deflate => Codec::Deflate(Deflate::Start),
            Coding::Brotli => Codec::Brotli(Box::new(Brotli::new())),
            Coding::Zstd => Codec::Zstd(Zstd::new()?),
        }))
    }

    fn identity() -> Link {
        Link::with(Codec::Identity)
    }

    fn with(codec: Codec) -> Link {
        Link {
            codec,
            tail: Vec::new(),
            pos: 0,
            done: false,
            pending: false,
            received: 0,
            consumed: 0,
            scratch: Vec::new(),
        }
    }

    fn push(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        if self.pos > 0 {
            self.tail.drain(..self.pos);
            self.pos = 0;
        }
        self.tail.extend_from_slice(data);
        self.received += data.len() as u64;
        self.pending = true;
    }

    /// Runs the codec over the tail until `out` is full or it can make no more progress.
    fn run(&mut self, out: &mut [u8]) -> std::result::Result<usize, String> {
        let mut produced = 0;
        while produced < out.len() {
            let step = self
                .codec
                .step(&self.tail[self.pos..], &mut out[produced..]);
            let step = match step {
                Ok(step) => step,
                Err(why) => {
                    self.pending = false;
                    return Err(why);
                }
            };
            self.pos += step.consumed;
            self.consumed += step.consumed as u64;
            produced += step.produced;
            self.done = step.done;
            if step.consumed == 0 && step.produced == 0 && !step.moved {
                break;
            }
        }
        if self.pos == self.tail.len() {
            self.tail.clear();
            self.pos = 0;
        }
        self.pending = produced == out.len() && !self.done;
        Ok(produced)
    }

    /// Whether the input ended inside a stream that must be whole (zstd).
    fn cut_short(&self) -> bool {
        match &self.codec {
            Codec::Zstd(z) => z.in_frame || self.pos < self.tail.len(),
            _ => false,
        }
    }
}

/// What one codec step did.
#[derive(Default)]
struct Step {
    consumed: usize,
    produced: usize,
    /// The codec changed state without consuming or producing (so it is worth another step).
    moved: bool,
    /// No output will ever come again.
    done: bool,
}

enum Codec {
    Identity,
    Gzip(Gzip),
    Deflate(Deflate),
    Brotli(Box<Brotli>),
    Zstd(Zstd),
}

impl Codec {
    fn step(&mut self, input: &[u8], out: &mut [u8]) -> std::result::Result<Step, String> {
        match self {
            Codec::Identity => {
                let n = input.len().min(out.len());
                out[..n].copy_from_slice(&input[..n]);
                Ok(Step {
                    consumed: n,
                    produced: n,
                    ..Step::default()
                })
            }
            Codec::Gzip(g) => g.step(input, out),
            Codec::Deflate(d) => d.step(input, out),
            Codec::Brotli(b) => b.step(input, out),
            Codec::Zstd(z) => z.step(input, out),
        }
    }
}

/// Runs a flate2 inflater once; `(consumed, produced, ended)`.
fn inflate(
    d: &mut Decompress,
    input: &[u8],
    out: &mut [u8],
) -> std::result::Result<(usize, usize, bool), String> {
    let (before_in, before_out) = (d.total_in(), d.total_out());
    let status = d
        .decompress(input, out, FlushDecompress::None)
        .map_err(|e| e.to_string())?;
    // Both deltas are bounded by the slices' lengths.
    let consumed = usize::try_from(d.total_in() - before_in).unwrap_or(input.len());
    let produced = usize::try_from(d.total_out() - before_out).unwrap_or(out.len());
    Ok((consumed, produced, status == Status::StreamEnd))
}

/// Gzip (RFC 1952), members one after another as urllib3 decodes them. After the first
/// member, bytes that do not decode are dropped (servers pad with zeros or junk; urllib3
/// swallows it).
struct Gzip {
    state: GzState,
    members: u32,
}

enum GzState {
    Header(GzHeader),
    Body(Box<Decompress>, Crc),
    /// CRC-32 and size of the member, as computed; the 8 trailer bytes collected so far.
    Trailer(u32, u32, [u8; 8], usize),
    Swallow,
}

impl Gzip {
    fn new() -> Gzip {
        Gzip {
            state: GzState::Header(GzHeader::new()),
            members: 0,
        }
    }

    fn step(&mut self, input: &[u8], out: &mut [u8]) -> std::result::Result<Step, String> {
        match self.step_member(input, out) {
            Err(_) if self.members > 0 => {
                self.state = GzState::Swallow;
                Ok(Step {
                    consumed: input.len(),
                    done: true,
                    ..Step::default()
                })
            }
            other => other,
        }
    }

    fn step_member(&mut self, input: &[u8], out: &mut [u8]) -> std::result::Result<Step, String> {
        match &mut self.state {
            GzState::Header(h) => {
                let (consumed, complete) = h.feed(input)?;
                if complete {
                    self.state = GzState::Body(Box::new(Decompress::new(false)), Crc::new());
                }
                Ok(Step {
                    consumed,
                    moved: complete,
                    ..Step::default()
                })
            }
            GzState::Body(d, crc) => {
                let (consumed, produced, ended) = inflate(d, input, out)?;
                crc.update(&out[..produced]);
                if ended {
                    self.state = GzState::Trailer(crc.sum(), crc.amount(), [0; 8], 0);
                }
                Ok(Step {
                    consumed,
                    produced,
                    moved: ended,
                    ..Step::default()
                })
            }
            GzState::Trailer(sum, size, got, have) => {
                let n = (8 - *have).min(input.len());
                got[*have..*have + n].copy_from_slice(&input[..n]);
                *have += n;
                if *have == 8 {
                    let [c0, c1, c2, c3, s0, s1, s2, s3] = *got;
                    if u32::from_le_bytes([c0, c1, c2, c3]) != *sum {
                        return Err("incorrect data check".into());
                    }
                    if u32::from_le_bytes([s0, s1, s2, s3]) != *size {
                        return Err("incorrect length check".into());
                    }
                    self.members += 1;
                    self.state = GzState::Header(GzHeader::new());
                }
                Ok(Step {
                    consumed: n,
                    ..Step::default()
                })
            }
            GzState::Swallow => Ok(Step {
                consumed: input.len(),
                done: true,
                ..Step::default()
            }),
        }
    }
}

/// A gzip member header, parsed as its bytes arrive (its name and comment have no bound, so
/// they are skipped, not kept).
struct GzHeader {
    fixed: [u8; 10],
    have: usize,
    /// Optional fields still to skip (FEXTRA, FNAME, FCOMMENT, FHCRC bits of FLG).
    todo: u8,
    field: Field,
}

#[derive(Clone, Copy)]
enum Field {
    Fixed,
    ExtraLen(u8, usize),
    Skip(usize),
    ZeroEnded,
}

const FHCRC: u8 = 0x02;
const FEXTRA: u8 = 0x04;
const FNAME: u8 = 0x08;
const FCOMMENT: u8 = 0x10;

impl GzHeader {
    fn new() -> GzHeader {
        GzHeader {
            fixed: [0; 10],
            have: 0,
            todo: 0,
            field: Field::Fixed,
        }
    }

    /// Takes header bytes from `input`; `(consumed, header complete)`.
    fn feed(&mut self, input: &[u8]) -> std::result::Result<(usize, bool), String> {
        let mut i = 0;
        loop {
            let rest = &input[i..];
            match self.field {
                Field::Fixed => {
                    let n = (10 - self.have).min(rest.len());
                    self.fixed[self.have..self.have + n].copy_from_slice(&rest[..n]);
                    self.have += n;
                    i += n;
                    // Refused as soon as the bytes that say so are in: a body that is not
                    // gzip at all fails on its first read.
                    if self.fixed[..self.have.min(2)] != [0x1f, 0x8b][..self.have.min(2)] {
                        return Err("incorrect header check".into());
                    }
                    if self.have > 2 && self.fixed[2] != 8 {
                        return Err("unknown compression method".into());
                    }
                    if self.have > 3 && self.fixed[3] & 0xe0 != 0 {
                        return Err("unknown header flags set".into());
                    }
                    if self.have < 10 {
                        return Ok((i, false));
                    }
                    self.todo = self.fixed[3] & (FHCRC | FEXTRA | FNAME | FCOMMENT);
                }
                Field::ExtraLen(low, got) => {
                    let Some(&b) = rest.first() else {
                        return Ok((i, false));
                    };
                    i += 1;
                    if got == 0 {
                        self.field = Field::ExtraLen(b, 1);
                        continue;
                    }
                    self.field = Field::Skip(usize::from(u16::from_le_bytes([low, b])));
                    continue;
                }
                Field::Skip(left) => {
                    let n = left.min(rest.len());
                    i += n;
                    if n < left {
                        self.field = Field::Skip(left - n);
                        return Ok((i, false));
                    }
                }
                Field::ZeroEnded => match rest.iter().position(|&b| b == 0) {
                    Some(end) => i += end + 1,
                    None => return Ok((input.len(), false)),
                },
            }
            // The current field is complete: on to the next one present.
            self.field = if self.todo & FEXTRA != 0 {
                self.todo &= !FEXTRA;
                Field::ExtraLen(0, 0)
            } else if self.todo & FNAME != 0 {
                self.todo &= !FNAME;
                Field::ZeroEnded
            } else if self.todo & FCOMMENT != 0 {
                self.todo &= !FCOMMENT;
                Field::ZeroEnded
            } else if self.todo & FHCRC != 0 {
                self.todo &= !FHCRC;
                Field::Skip(2)
            } else {
                return Ok((i, true));
            };
        }
    }
}

/// Deflate: servers send it zlib-wrapped (as RFC 9110 says) and raw (as old IIS did); urllib3
/// accepts both.
enum Deflate {
    Start,
    Inflate(Box<Decompress>),
    /// After the end of the stream: further bytes are dropped, as zlib leaves them unused.
    Done,
}

impl Deflate {
    fn step(&mut self, input: &[u8], out: &mut [u8]) -> std::result::Result<Step, String> {
        match self {
            Deflate::Start => {
                if input.len() < 2 {
                    return Ok(Step::default());
                }
                *self = Deflate::Inflate(Box::new(Decompress::new(looks_like_zlib(input))));
                Ok(Step {
                    moved: true,
                    ..Step::default()
                })
            }
            Deflate::Inflate(d) => {
                let (consumed, produced, ended) = inflate(d, input, out)?;
                if ended {
                    *self = Deflate::Done;
                }
                Ok(Step {
                    consumed,
                    produced,
                    moved: ended,
                    done: ended,
                })
            }
            Deflate::Done => Ok(Step {
                consumed: input.len(),
                done: true,
                ..Step::default()
            }),
        }
    }
}

/// RFC 1950 header check: compression method 8 with a window of at most 32 KiB, and the
/// check bits making the first two bytes a multiple of 31.
fn looks_like_zlib(head: &[u8]) -> bool {
    match head {
        [cmf, flg, ..] => {
            cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0
        }
        _ => false,
    }
}

struct Brotli {
    state: BrotliState<StandardAlloc, StandardAlloc, StandardAlloc>,
    total_out: usize,
    ended: bool,
}

impl Brotli {
    fn new() -> Brotli {
        Brotli {
            state: BrotliState::new(
                StandardAlloc::default(),
                StandardAlloc::default(),
                StandardAlloc::default(),
            ),
            total_out: 0,
            ended: false,
        }
    }

    fn step(&mut self, input: &[u8], out: &mut [u8]) -> std::result::Result<Step, String> {
        if self.ended {
            // Bytes after the end of the stream are an error, as with the brotli module.
            if !input.is_empty() {
                return Err("data after the end of the brotli stream".into());
            }
            return Ok(Step {
                done: true,
                ..Step::default()
            });
        }
        let (mut avail_in, mut in_pos) = (input.len(), 0);
        let (mut avail_out, mut out_pos) = (out.len(), 0);
        let result = BrotliDecompressStream(
            &mut avail_in,
            &mut in_pos,
            input,
            &mut avail_out,
            &mut out_pos,
            out,
            &mut self.total_out,
            &mut self.state,
        );
        if let BrotliResult::ResultFailure = result {
            return Err("invalid brotli data".into());
        }
        if let BrotliResult::ResultSuccess = result {
            self.ended = true;
        }
        Ok(Step {
            consumed: in_pos,
            produced: out_pos,
            moved: self.ended,
            done: false,
        })
    }
}

struct Zstd {
    decoder: zstd::stream::raw::Decoder<'static>,
    /// Input was taken since the last frame ended.
    in_frame: bool,
    /// The last frame ended: the next input starts a new one (urllib3 decodes them all).
    frame_done: bool,
}

impl Zstd {
    fn new() -> io::Result<Zstd> {
        Ok(Zstd {
            decoder: zstd::stream::raw::Decoder::new()?,
            in_frame: false,
            frame_done: false,
        })
    }

    fn step(&mut self, input: &[u8], out: &mut [u8]) -> std::result::Result<Step, String> {
        if input.is_empty() && !self.in_frame {
            return Ok(Step::default());
        }
        if self.frame_done && !input.is_empty() {
            self.decoder.reinit().map_err(|e| e.to_string())?;
            self.frame_done = false;
        }
        let mut src = InBuffer::around(input);
        let mut dst = OutBuffer::around(out);
        let hint = self
            .decoder
            .run(&mut src, &mut dst)
            .map_err(|e| e.to_string())?;
        let (consumed, produced) = (src.pos(), dst.pos());
        if consumed > 0 {
            self.in_frame = true;
        }
        let ended = hint == 0 && self.in_frame;
        if ended {
            self.in_frame = false;
            self.frame_done = true;
        }
        Ok(Step {
            consumed,
            produced,
            moved: ended,
            done: false,
        })
    }
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

    use std::io::Write;

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

    fn brotli(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
            w.write_all(data).unwrap();
        }
        out
    }

    fn text() -> Vec<u8> {
        (0..20_000u32)
            .flat_map(|i| format!("{i} bottles\n").into_bytes())
            .collect()
    }

    fn encode(coding: &str, data: &[u8]) -> Vec<u8> {
        match coding {
            "gzip" => gzip(data),
            "deflate" => zlib(data),
            "br" => brotli(data),
            "zstd" => zstd::encode_all(data, 3).unwrap(),
            "br, gzip" => gzip(&brotli(data)),
            other => panic!("{other}"),
        }
    }

    const ALL: [&str; 5] = ["gzip", "deflate", "br", "zstd", "br, gzip"];

    #[test]
    fn bounded_calls_never_exceed_max_length_and_keep_the_rest() {
        let data = text();
        for coding in ALL {
            let mut d = ContentDecoder::new(coding).unwrap();
            // 0 stores: nothing decoded yet, but output is waiting.
            assert_eq!(d.decompress(&encode(coding, &data), Some(0)).unwrap(), b"");
            assert!(d.has_unconsumed_tail(), "{coding}");
            let mut out = Vec::new();
            while d.has_unconsumed_tail() {
                let piece = d.decompress(b"", Some(1000)).unwrap();
                assert!(piece.len() <= 1000, "{coding}");
                out.extend_from_slice(&piece);
            }
            out.extend(d.flush().unwrap());
            assert_eq!(out, data, "{coding}");
            assert!(!d.has_unconsumed_tail(), "{coding}");
        }
    }

    #[test]
    fn input_split_anywhere_decodes_the_same() {
        let data = &text()[..20_000];
        for coding in ALL {
            let wire = encode(coding, data);
            for size in [1, 7, 4096] {
                let mut d = ContentDecoder::new(coding).unwrap();
                let mut out = Vec::new();
                for piece in wire.chunks(size) {
                    out.extend(d.decompress(piece, None).unwrap());
                }
                out.extend(d.flush().unwrap());
                assert_eq!(out, data, "{coding} in pieces of {size}");
            }
        }
    }

    #[test]
    fn streams_cut_short_give_their_output_except_zstd() {
        let data = text();
        for coding in ["gzip", "deflate", "br", "br, gzip"] {
            let wire = encode(coding, &data);
            let mut d = ContentDecoder::new(coding).unwrap();
            let mut out = d.decompress(&wire[..wire.len() / 2], None).unwrap();
            out.extend(d.flush().unwrap());
            assert!(!out.is_empty() && data.starts_with(&out), "{coding}");
        }
        let wire = encode("zstd", &data);
        let mut d = ContentDecoder::new("zstd").unwrap();
        let out = d.decompress(&wire[..wire.len() / 2], None).unwrap();
        assert!(data.starts_with(&out));
        let err = d.flush().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode);
        assert_eq!(err.message(), "Zstandard data is incomplete");
    }

    #[test]
    fn what_follows_the_end_of_a_stream() {
        // gzip: later members decode, junk after a member is dropped.
        let mut wire = gzip(b"one ");
        wire.extend(gzip(b"two"));
        wire.extend_from_slice(b"\0\0 junk");
        let mut d = ContentDecoder::new("gzip").unwrap();
        assert_eq!(d.decompress(&wire, None).unwrap(), b"one two");
        assert_eq!(d.decompress(b"more junk", None).unwrap(), b"");
        // deflate: bytes after the end are unused, as zlib leaves them.
        let mut wire = zlib(b"deflated");
        wire.extend_from_slice(b"tail");
        let mut d = ContentDecoder::new("deflate").unwrap();
        assert_eq!(d.decompress(&wire, None).unwrap(), b"deflated");
        // brotli and zstd: an error, as urllib3's decoders raise one.
        for coding in ["br", "zstd"] {
            let mut wire = encode(coding, b"squeezed");
            wire.extend_from_slice(b"tail");
            let mut d = ContentDecoder::new(coding).unwrap();
            let err = d.decompress(&wire, None).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Decode, "{coding}");
        }
    }

    #[test]
    fn zstd_frames_and_skippable_frames_all_decode() {
        let mut wire = zstd::encode_all(&b"x"[..], 3).unwrap();
        wire.extend_from_slice(&[0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
        wire.extend(zstd::encode_all(&b"y"[..], 3).unwrap());
        let mut d = ContentDecoder::new("zstd").unwrap();
        assert_eq!(d.decompress(&wire, Some(1)).unwrap(), b"x");
        assert_eq!(d.decompress(b"", Some(1)).unwrap(), b"y");
        assert_eq!(d.flush().unwrap(), b"");
    }

    #[test]
    fn a_failed_decoder_stays_failed_and_holds_nothing() {
        let mut d = ContentDecoder::new("gzip").unwrap();
        let err = d.decompress(b"not gzip", None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode);
        assert!(err.message().contains("content-encoding: gzip"), "{err}");
        assert!(!d.has_unconsumed_tail());
        assert!(d.decompress(&gzip(b"ok"), None).is_err());
    }

    #[test]
    fn nothing_to_undo_passes_bytes_through() {
        let mut d = ContentDecoder::new("identity").unwrap();
        assert_eq!(d.decompress(b"as is", Some(2)).unwrap(), b"as");
        assert!(d.has_unconsumed_tail());
        assert_eq!(d.decompress(b"", None).unwrap(), b" is");
    }

    #[test]
    fn an_unbounded_decompress_refuses_a_bomb() {
        let zeros = vec![0u8; 1 << 20];
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        for _ in 0..80 {
            e.write_all(&zeros).unwrap();
        }
        let wire = e.finish().unwrap();
        let mut d = ContentDecoder::new("gzip").unwrap();
        let err = d.decompress(&wire, None).unwrap_err();
        assert!(err.message().contains("decompression bomb"), "{err}");
        // In bounded pieces it decodes.
        let mut d = ContentDecoder::new("gzip").unwrap();
        let mut total = d.decompress(&wire, Some(1 << 20)).unwrap().len();
        while d.has_unconsumed_tail() {
            total += d.decompress(b"", Some(1 << 20)).unwrap().len();
        }
        assert_eq!(total, 80 << 20);
    }

    #[test]
    fn gzip_headers_with_every_optional_field_arrive_byte_by_byte() {
        // FLG = FHCRC | FEXTRA | FNAME | FCOMMENT, then the fields in RFC 1952's order.
        let mut header = vec![0x1f, 0x8b, 8, 0x1e, 0, 0, 0, 0, 0, 3];
        header.extend_from_slice(&[3, 0, b'a', b'b', b'c']);
        header.extend_from_slice(b"name\0comment\0");
        header.extend_from_slice(&[0xaa, 0xbb]);
        let mut h = GzHeader::new();
        for (i, byte) in header.iter().enumerate() {
            let (consumed, complete) = h.feed(std::slice::from_ref(byte)).unwrap();
            assert_eq!(consumed, 1, "byte {i}");
            assert_eq!(complete, i == header.len() - 1, "byte {i}");
        }
    }

    #[test]
    fn a_gzip_header_is_refused_at_its_first_wrong_byte() {
        let mut h = GzHeader::new();
        assert!(h.feed(b"{").is_err());
        let mut h = GzHeader::new();
        assert_eq!(h.feed(&[0x1f]), Ok((1, false)));
        assert!(h.feed(&[0x8b, 7]).is_err());
    }
}
