//! The byte stream under a connection: the transport, and the read buffer in front of it.
//!
//! HTTP/1.1 needs to look ahead (a response head is parsed from whatever bytes arrived, and a
//! chunk-size line may straddle two reads), so reads go through one buffer owned by the
//! connection. Bulk body reads bypass it when it is empty, as `std::io::BufReader` does, so a
//! 64 MiB download is not copied twice.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::tls::TlsStream;
use super::wait::{blocking, os_timeout};

/// The transport a connection talks over, built in layers: a TCP socket, on which a SOCKS
/// handshake or a CONNECT exchange may run first, then TLS, possibly TLS inside the TLS to an
/// HTTPS proxy.
///
/// An enum rather than a trait object: the set is closed and matching keeps the per-read cost
/// to a branch. TLS wraps a `Transport` in turn, so TLS inside TLS is one more layer rather
/// than another variant, and the socket under every layer stays reachable through
/// [`Transport::tcp`].
pub(crate) enum Transport {
    Tcp(TcpStream),
    /// Boxed: the rustls state is large and a plain connection should not pay for it.
    Tls(Box<TlsStream>),
    /// Bytes from anywhere (a file, a buffer, a Python object): responses built by hand are
    /// framed and decoded by the same code as those read off a socket.
    Reader(Box<dyn Read + Send>),
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Transport::Tcp(s) => f.debug_tuple("Tcp").field(s).finish(),
            Transport::Tls(s) => f.debug_tuple("Tls").field(s).finish(),
            Transport::Reader(_) => f.write_str("Reader"),
        }
    }
}

impl Transport {
    /// The TCP socket under the transport: timeouts and the dropped-connection probe use it.
    /// A reader has none.
    pub(crate) fn tcp(&self) -> Option<&TcpStream> {
        match self {
            Transport::Tcp(s) => Some(s),
            Transport::Tls(s) => s.sock.tcp(),
            Transport::Reader(_) => None,
        }
    }

    /// Whether some TLS layer holds bytes nobody asked for yet: decrypted data, or the peer's
    /// close_notify. Each layer is asked, because with TLS inside TLS the outer session may
    /// have decrypted records that the inner one has not read.
    pub(crate) fn tls_has_unread(&self) -> bool {
        match self {
            Transport::Tls(s) => !s.conn.wants_read() || s.sock.tls_has_unread(),
            Transport::Tcp(_) | Transport::Reader(_) => false,
        }
    }

    /// The outermost TLS session, for a TLS transport: the one with the server the requests
    /// go to (the target through a tunnel, or the proxy itself when forwarding).
    pub(crate) fn tls(&self) -> Option<&rustls::ClientConnection> {
        match self {
            Transport::Tls(s) => Some(&s.conn),
            Transport::Tcp(_) | Transport::Reader(_) => None,
        }
    }
}

impl Read for Transport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Transport::Tcp(s) => s.read(buf),
            Transport::Reader(r) => r.read(buf),
            Transport::Tls(s) => match s.read(buf) {
                // A peer that closes without close_notify is read as end of stream, as Python's
                // ssl module does by default (suppress_ragged_eofs): HTTP framing, not TLS,
                // says whether the body was complete.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
                other => other,
            },
        }
    }
}

impl Write for Transport {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Transport::Tcp(s) => s.write(buf),
            Transport::Tls(s) => s.write(buf),
            Transport::Reader(_) => Err(read_only()),
        }
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Transport::Tcp(s) => s.write_vectored(bufs),
            Transport::Tls(s) => s.write_vectored(bufs),
            Transport::Reader(_) => Err(read_only()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Transport::Tcp(s) => s.flush(),
            Transport::Tls(s) => s.flush(),
            Transport::Reader(_) => Ok(()),
        }
    }
}

fn read_only() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "a response read from a reader takes no request",
    )
}

/// Size of the read buffer. Large enough that a typical response head and a small body arrive in
/// one read; heads larger than this grow the buffer up to the head limits.
const BUFFER_SIZE: usize = 64 * 1024;

/// Reads at least this large go straight from the transport into the caller's buffer when
/// none are buffered. A body read in 64 KiB pieces rarely gets a whole piece in one read of
/// the socket; the rest of each piece went through the buffer and was copied, as was
/// whatever arrived beyond it, so most of a streamed body was copied once more than needed.
/// Small reads (a head, chunk sizes) still take what arrived in one read of the buffer.
const DIRECT_READ_MIN: usize = 16 * 1024;

/// A transport with a read buffer and the read timeout it currently has set.
#[derive(Debug)]
pub(crate) struct BufStream {
    transport: Transport,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
}

impl BufStream {
    pub(crate) fn new(transport: Transport) -> Self {
        // The socket starts with no timeout as far as this buffer knows; with an interrupt
        // check installed, "no timeout" still means waking every slice to run the check.
        if let Some(tcp) = transport.tcp() {
            let _ = tcp.set_read_timeout(os_timeout(None));
            let _ = tcp.set_write_timeout(os_timeout(None));
        }
        BufStream {
            transport,
            buf: vec![0; BUFFER_SIZE],
            start: 0,
            end: 0,
            read_timeout: None,
            write_timeout: None,
        }
    }

    /// A stream with nothing under it, left in a connection whose transport moved on (to an
    /// HTTP/2 session): reads end at once, writes fail.
    pub(crate) fn detached() -> Self {
        BufStream::new(Transport::Reader(Box::new(io::empty())))
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.transport
    }

    /// The transport, for another layer (TLS) to go on top. `None` if bytes were received and
    /// not read: the layer above would never see them.
    pub(crate) fn into_transport(self) -> Option<Transport> {
        (self.start == self.end).then_some(self.transport)
    }

    /// Bytes read from the transport and not consumed yet.
    pub(crate) fn buffered(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Whether bytes were received and not read yet: in this buffer, or decrypted inside TLS.
    pub(crate) fn has_unread(&self) -> bool {
        self.start != self.end || self.transport.tls_has_unread()
    }

    pub(crate) fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
    }

    /// Reads more bytes after those buffered, growing the buffer when it is full, up to
    /// `max_buffered` bytes in all. Returns how many arrived (0 at end of stream).
    pub(crate) fn fill_more(&mut self, max_buffered: usize) -> io::Result<usize> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else if self.buf.len() < max_buffered {
                let grown = (self.buf.len() * 2).min(max_buffered);
                self.buf.resize(grown, 0);
            } else {
                return Err(io::Error::new(
                    io::ErrorKind::OutOfMemory,
                    "read buffer limit reached",
                ));
            }
        }
        let (transport, buf, end) = (&mut self.transport, &mut self.buf, self.end);
        let n = blocking(self.read_timeout, || transport.read(&mut buf[end..]))?;
        self.end += n;
        Ok(n)
    }

    /// Reads into `out`: buffered bytes first, then straight from the transport when the buffer
    /// is empty and `out` is a large read's, else through the buffer.
    pub(crate) fn read_into(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.start == self.end {
            if out.len() >= DIRECT_READ_MIN {
                let transport = &mut self.transport;
                return blocking(self.read_timeout, || transport.read(out));
            }
            if self.fill_more(BUFFER_SIZE)? == 0 {
                return Ok(0);
            }
        }
        let n = out.len().min(self.end - self.start);
        out[..n].copy_from_slice(&self.buf[self.start..self.start + n]);
        self.start += n;
        Ok(n)
    }

    /// Sets the transport's read timeout, skipping the system call when it is unchanged.
    pub(crate) fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        if timeout != self.read_timeout {
            if let Some(tcp) = self.transport.tcp() {
                tcp.set_read_timeout(os_timeout(timeout))?;
            }
            self.read_timeout = timeout;
        }
        Ok(())
    }

    pub(crate) fn read_timeout(&self) -> Option<Duration> {
        self.read_timeout
    }

    /// Sets the transport's write timeout, skipping the system call when it is unchanged.
    pub(crate) fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        if timeout != self.write_timeout {
            if let Some(tcp) = self.transport.tcp() {
                tcp.set_write_timeout(os_timeout(timeout))?;
            }
            self.write_timeout = timeout;
        }
        Ok(())
    }

    /// Writes all of `bytes`, each write waiting at most the write timeout. (Not
    /// `Write::write_all`: a timed-out slice must resume where it stopped, not start over.)
    pub(crate) fn write_all(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            let transport = &mut self.transport;
            let n = blocking(self.write_timeout, || transport.write(bytes))?;
            if n == 0 {
                return Err(io::Error::from(io::ErrorKind::WriteZero));
            }
            bytes = &bytes[n..];
        }
        Ok(())
    }

    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.transport.flush()
    }
}
