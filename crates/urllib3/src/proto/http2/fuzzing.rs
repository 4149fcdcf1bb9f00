//! A client HTTP/2 session against scripted server bytes, for the fuzz targets: whatever the
//! server sends, the session answers with a response, an error, or the end of the connection,
//! never a panic or a hang.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::Duration;

use crate::body::Body;
use crate::connection::{BufStream, Request, Transport};
use crate::headers::HeaderMap;

use super::Session;

/// How long any one wait may take: a server script that stops short ends in a timeout.
const PATIENCE: Duration = Duration::from_secs(2);

/// Opens a session over loopback TCP whose server side sends `server` and then closes; sends
/// two requests (a GET, and a POST with a body), reads what comes back, and checks the
/// connection between them as a pool would.
pub fn exchange(server: &[u8]) {
    let Ok((client, peer)) = pair() else {
        return;
    };
    let script = server.to_vec();
    let serving = std::thread::spawn(move || play(peer, &script));
    drive(client);
    let _ = serving.join();
}

fn pair() -> std::io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let client = TcpStream::connect(listener.local_addr()?)?;
    let (peer, _) = listener.accept()?;
    Ok((client, peer))
}

/// The server: the script, then the end of its side; what the client sends is read and
/// dropped so its writes never block.
fn play(mut peer: TcpStream, script: &[u8]) {
    let _ = peer.set_read_timeout(Some(PATIENCE));
    let _ = peer.write_all(script);
    let _ = peer.shutdown(Shutdown::Write);
    let mut sink = [0u8; 16 * 1024];
    while matches!(peer.read(&mut sink), Ok(n) if n > 0) {}
}

fn drive(client: TcpStream) {
    let Ok(mut session) = Session::start(BufStream::new(Transport::Tcp(client)), Some(PATIENCE))
    else {
        return;
    };
    let headers = HeaderMap::new();
    for (method, body) in [
        ("GET", Body::Empty),
        ("POST", Body::from(vec![b'x'; 70_000])),
    ] {
        let request = Request {
            method,
            target: "/",
            host: "localhost",
            headers: &headers,
            chunked: false,
            user_agent: "fuzz",
        };
        let mut body = body;
        if session.send(&request, &mut body, Some(PATIENCE)).is_err() {
            return;
        }
        let Ok((_head, mut received)) = session.receive(Some(PATIENCE)) else {
            return;
        };
        let mut out = [0u8; 8192];
        while matches!(session.read_body(&mut received, &mut out, Some(PATIENCE)), Ok(n) if n > 0) {
        }
        // What a pool asks before reusing the connection: takes in what came meanwhile.
        if session.is_dropped() {
            return;
        }
    }
}
