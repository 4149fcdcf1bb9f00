//! The server thread, the accept loop and the per-connection request loop.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;

use crate::faults;
use crate::http2;
use crate::raw::Then;
use crate::request::{BodyMode, ReadError, Reader, Request};
use crate::response::{reason, write_response, Persistence};
use crate::routes::{self, Action, RouteState};
use crate::{Scheme, Stats};

/// A byte stream the server can talk HTTP over: plain TCP or TLS over TCP.
/// Access to the TCP socket is what lets faults reset the connection.
pub(crate) trait Transport: AsyncRead + AsyncWrite + Unpin + Send + 'static {
    /// The underlying TCP socket.
    fn tcp(&self) -> &TcpStream;

    /// The client's TLS certificate (DER), if it presented one.
    fn peer_certificate(&self) -> Option<Vec<u8>> {
        None
    }

    /// The server name the client sent (TLS SNI), if any.
    fn sni(&self) -> Option<String> {
        None
    }

    /// The protocol negotiated with TLS ALPN, if any.
    fn alpn(&self) -> Option<String> {
        None
    }
}

impl Transport for TcpStream {
    fn tcp(&self) -> &TcpStream {
        self
    }
}

impl Transport for tokio_rustls::server::TlsStream<TcpStream> {
    fn tcp(&self) -> &TcpStream {
        self.get_ref().0
    }

    fn peer_certificate(&self) -> Option<Vec<u8>> {
        let certs = self.get_ref().1.peer_certificates()?;
        certs.first().map(|c| c.to_vec())
    }

    fn sni(&self) -> Option<String> {
        self.get_ref().1.server_name().map(str::to_owned)
    }

    fn alpn(&self) -> Option<String> {
        let protocol = self.get_ref().1.alpn_protocol()?;
        Some(String::from_utf8_lossy(protocol).into_owned())
    }
}

/// A tokio runtime serving one listener on its own thread. Dropping it stops
/// the server: the accept loop ends and the runtime, with every open
/// connection, is dropped before `drop` returns.
pub(crate) struct ServerThread {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl ServerThread {
    /// Binds 127.0.0.1:`port` (0 for any free port) and runs `serve` on the
    /// listener in a new thread. Binding happens before this returns, so the
    /// server accepts connections as soon as the caller has the address.
    pub(crate) fn spawn<F, Fut>(
        name: &str,
        port: u16,
        serve: F,
    ) -> io::Result<(ServerThread, SocketAddr)>
    where
        F: FnOnce(TcpListener) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(name)
            .enable_all()
            .build()?;
        let listener = runtime.block_on(bind(port))?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                runtime.block_on(async move {
                    tokio::select! {
                        _ = serve(listener) => {}
                        _ = stopped => {}
                    }
                });
                // Dropping the runtime here cancels (and so closes) every
                // connection, including stalled ones.
                drop(runtime);
            })?;
        let server = ServerThread {
            stop: Some(stop),
            thread: Some(thread),
        };
        Ok((server, addr))
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn bind(port: u16) -> io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    // Lets the binary be restarted on a fixed port right away.
    socket.set_reuseaddr(true)?;
    socket.bind(([127, 0, 0, 1], port).into())?;
    // A deep backlog, for benchmarks that open many connections at once.
    socket.listen(1024)
}

/// Accepts the next connection, riding out transient errors (such as
/// running out of file descriptors) instead of ending the server.
pub(crate) async fn accept(listener: &TcpListener) -> (TcpStream, SocketAddr) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                // Small responses must not wait for Nagle's algorithm.
                let _ = stream.set_nodelay(true);
                return (stream, peer);
            }
            // Back off briefly so that a persistent error does not spin.
            Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
}

/// Live counters behind [`Stats`].
#[derive(Default)]
pub(crate) struct Counters {
    accepted: AtomicU64,
    open: AtomicU64,
    max_open: AtomicU64,
    requests: AtomicU64,
}

impl Counters {
    /// Counts one request (head read, or HTTP/2 stream opened).
    pub(crate) fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> Stats {
        Stats {
            connections_accepted: self.accepted.load(Ordering::Relaxed),
            open_connections: self.open.load(Ordering::Relaxed),
            max_open_connections: self.max_open.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
        }
    }
}

/// Counts a connection as open for as long as it lives (even if its task
/// panics, since drop still runs).
struct OpenConnection(Arc<Ctx>);

impl OpenConnection {
    fn new(ctx: &Arc<Ctx>) -> OpenConnection {
        let c = &ctx.counters;
        c.accepted.fetch_add(1, Ordering::Relaxed);
        let open = c.open.fetch_add(1, Ordering::Relaxed) + 1;
        c.max_open.fetch_max(open, Ordering::Relaxed);
        OpenConnection(Arc::clone(ctx))
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.counters.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Everything the connections of one server share.
pub(crate) struct Ctx {
    pub(crate) scheme: Scheme,
    pub(crate) addr: SocketAddr,
    pub(crate) counters: Counters,
    pub(crate) routes: RouteState,
    /// The client certificates this server's CA issued (DER) and their
    /// common names, for `/certificate`.
    pub(crate) client_names: Vec<(Vec<u8>, &'static str)>,
    /// SETTINGS_MAX_CONCURRENT_STREAMS for HTTP/2 connections (`None`: hyper's default).
    pub(crate) http2_max_concurrent_streams: Option<u32>,
}

impl Ctx {
    pub(crate) fn new(
        scheme: Scheme,
        addr: SocketAddr,
        client_names: Vec<(Vec<u8>, &'static str)>,
        http2_max_concurrent_streams: Option<u32>,
    ) -> Ctx {
        Ctx {
            scheme,
            addr,
            counters: Counters::default(),
            routes: RouteState::default(),
            client_names,
            http2_max_concurrent_streams,
        }
    }
}

/// Accepts connections forever, serving each on its own task. A panic while
/// serving a connection ends only that task (tokio catches it). A TLS client
/// that picked `h2` with ALPN gets HTTP/2 (hyper); every other gets HTTP/1.1.
pub(crate) async fn accept_loop(listener: TcpListener, ctx: Arc<Ctx>, tls: Option<TlsAcceptor>) {
    loop {
        let (stream, peer) = accept(&listener).await;
        let guard = OpenConnection::new(&ctx);
        let tls = tls.clone();
        tokio::spawn(async move {
            let ctx = Arc::clone(&guard.0);
            match tls {
                None => serve(stream, peer, &ctx).await,
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(stream) if stream.get_ref().1.alpn_protocol() == Some(b"h2") => {
                        http2::serve(stream, peer, ctx).await;
                    }
                    Ok(stream) => serve(stream, peer, &ctx).await,
                    Err(_) => {}
                },
            }
            drop(guard);
        });
    }
}

/// What the connection loop does after one exchange.
enum Next {
    Continue,
    /// Graceful close (FIN after the response).
    Close,
    /// The peer is gone or broken: just drop the socket.
    Drop,
    /// End the way a scripted reply says (close, reset or stall).
    Conclude(Then),
}

/// Serves requests on one connection until it closes.
async fn serve<S: Transport>(mut io: S, peer: SocketAddr, ctx: &Ctx) {
    let mut reader = Reader::new();
    let mut out = Vec::with_capacity(16 * 1024);
    let client_cert = io.peer_certificate();
    let sni = io.sni();
    let alpn = io.alpn();
    loop {
        let conn = Conn {
            peer,
            client_cert: client_cert.as_deref(),
            sni: sni.as_deref(),
            alpn: alpn.as_deref(),
        };
        match serve_one(&mut io, &mut reader, &mut out, conn, ctx).await {
            Next::Continue => {}
            Next::Close => {
                let _ = io.shutdown().await;
                return;
            }
            Next::Drop => return,
            Next::Conclude(then) => return faults::conclude(io, then).await,
        }
    }
}

/// What a request learns about its connection.
#[derive(Clone, Copy)]
struct Conn<'a> {
    peer: SocketAddr,
    client_cert: Option<&'a [u8]>,
    sni: Option<&'a str>,
    alpn: Option<&'a str>,
}

/// Reads one request and answers it.
async fn serve_one<S: Transport>(
    io: &mut S,
    reader: &mut Reader,
    out: &mut Vec<u8>,
    conn: Conn<'_>,
    ctx: &Ctx,
) -> Next {
    match reader.read_head(io).await {
        Ok(true) => {}
        Ok(false) => return Next::Drop,
        Err(e) => return reject(io, e).await,
    }
    ctx.counters.count_request();
    if reader.expects_continue() {
        // As S3 refuses an upload it will not take: a final answer instead of `100 Continue`,
        // the body never read, the connection closed.
        if reader.path() == "/refuse-continue" {
            let refusal = b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 7\r\nConnection: close\r\n\r\nrefused";
            let _ = faults::send(io, refusal).await;
            return Next::Close;
        }
        if send_continue(io).await.is_err() {
            return Next::Drop;
        }
    }
    // Benchmark uploads are only counted, so their size is not limited by memory.
    let mode = match reader.path() {
        "/upload" => BodyMode::Count,
        _ => BodyMode::Keep,
    };
    if let Err(e) = reader.read_body(io, mode).await {
        return reject(io, e).await;
    }
    let mut req = reader.request(conn.peer);
    req.client_cert = conn.client_cert;
    req.sni = conn.sni;
    req.alpn = conn.alpn;
    let persistence = persistence(&req);
    let head_only = req.method() == "HEAD";
    match routes::handle(&req, ctx).await {
        Action::Respond(resp) => {
            let persistence = if resp.close {
                Persistence::Close
            } else {
                persistence
            };
            match write_response(io, out, resp, head_only, persistence).await {
                Err(_) => Next::Drop,
                Ok(()) if persistence == Persistence::Close => Next::Close,
                Ok(()) => Next::Continue,
            }
        }
        Action::Script(reply) => {
            if faults::send(io, &reply.bytes).await.is_err() {
                return Next::Drop;
            }
            match reply.then {
                Then::KeepAlive if persistence != Persistence::Close => Next::Continue,
                then => Next::Conclude(then),
            }
        }
    }
}

async fn send_continue<S: Transport>(io: &mut S) -> io::Result<()> {
    io.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
    io.flush().await
}

/// Whether the connection stays open after answering `req`.
fn persistence(req: &Request<'_>) -> Persistence {
    let close_param = crate::params::raw_param(req.query(), "close") == Some("1");
    if close_param || req.header_has_token("connection", "close") {
        Persistence::Close
    } else if req.minor_version() == 0 {
        if req.header_has_token("connection", "keep-alive") {
            Persistence::KeepAlive
        } else {
            Persistence::Close
        }
    } else {
        Persistence::Default
    }
}

/// Answers an unreadable request with an error status if possible, then
/// closes the connection.
async fn reject<S: Transport>(io: &mut S, error: ReadError) -> Next {
    let Some(status) = error.status() else {
        return Next::Drop;
    };
    let message = error.message();
    let head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{message}\n",
        reason(status),
        message.len() + 1,
    );
    if io.write_all(head.as_bytes()).await.is_err() || io.flush().await.is_err() {
        return Next::Drop;
    }
    Next::Close
}
