//! The SOCKS client handshake against scripted proxies, byte by byte where PySocks (which
//! urllib3 uses) sets the order: what is sent before the target's name is resolved, which
//! methods are offered, and refusals that leave the connection open.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use urllib3::{Connection, ErrorKind, SocksConfig, Timeout};

/// Bounds a test that would otherwise hang on a client waiting for bytes that never come.
const SAFETY: Duration = Duration::from_secs(10);

/// A one-connection proxy on loopback running `script`; joins to what the script returns.
fn proxy<T: Send + 'static>(
    script: impl FnOnce(TcpStream) -> T + Send + 'static,
) -> (u16, thread::JoinHandle<T>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = thread::spawn(move || script(listener.accept().unwrap().0));
    (port, handle)
}

fn timeout() -> Timeout {
    Timeout::new().with_connect(SAFETY).with_read(SAFETY)
}

fn open(url: &str, host: &str) -> urllib3::Result<Connection> {
    let socks = SocksConfig::from_url(url)?;
    Connection::open_socks(&socks, host, 80, &timeout(), &Default::default(), None)
}

/// Reads the SOCKS5 greeting (version, method count, methods) and accepts "no
/// authentication"; returns the greeting.
fn greet(sock: &mut TcpStream) -> Vec<u8> {
    let mut head = [0u8; 2];
    sock.read_exact(&mut head).unwrap();
    let mut methods = vec![0u8; usize::from(head[1])];
    sock.read_exact(&mut methods).unwrap();
    sock.write_all(&[0x05, 0x00]).unwrap();
    [&head[..], &methods].concat()
}

fn rest(sock: &mut TcpStream) -> Vec<u8> {
    let mut rest = Vec::new();
    sock.read_to_end(&mut rest).unwrap();
    rest
}

#[test]
fn socks5_greets_the_proxy_before_resolving_the_target_name() {
    let (port, proxy) = proxy(|mut sock| {
        let greeting = greet(&mut sock);
        (greeting, rest(&mut sock))
    });
    // `.invalid` never resolves (RFC 6761).
    let err = open(
        &format!("socks5://127.0.0.1:{port}"),
        "no-such-host.invalid",
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NameResolution, "{err}");
    let (greeting, after) = proxy.join().unwrap();
    assert_eq!(greeting, [0x05, 0x01, 0x00]);
    // No request follows: there is nothing to ask for.
    assert_eq!(after, b"");
}

#[test]
fn socks5_offers_user_and_password_only_with_both() {
    for (auth, offered) in [
        ("user@", &[0x05, 0x01, 0x00][..]),
        ("user:@", &[0x05, 0x01, 0x00][..]),
        ("user:pass@", &[0x05, 0x02, 0x00, 0x02][..]),
    ] {
        let (port, proxy) = proxy(|mut sock| {
            let greeting = greet(&mut sock);
            let mut request = [0u8; 10];
            sock.read_exact(&mut request).unwrap();
            sock.write_all(&[0x05, 0x00, 0x00, 0x01, 127, 0, 0, 1, 0, 80])
                .unwrap();
            (greeting, request)
        });
        let conn = open(&format!("socks5://{auth}127.0.0.1:{port}"), "10.1.2.3").unwrap();
        let (greeting, request) = proxy.join().unwrap();
        assert_eq!(greeting, offered, "{auth}");
        assert_eq!(request, [0x05, 0x01, 0x00, 0x01, 10, 1, 2, 3, 0, 80]);
        drop(conn);
    }
}

#[test]
fn a_socks5_refusal_is_read_from_its_first_three_bytes() {
    // The proxy refuses with a bare `05 01 00` and keeps the connection open until the
    // client has given up, so a client waiting for an address after it would hang.
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let (port, proxy) = proxy(move |mut sock| {
        greet(&mut sock);
        let mut request = [0u8; 10];
        sock.read_exact(&mut request).unwrap();
        sock.write_all(&[0x05, 0x01, 0x00]).unwrap();
        let _ = done_rx.recv();
    });
    let err = open(&format!("socks5h://127.0.0.1:{port}"), "10.1.2.3").unwrap_err();
    done_tx.send(()).unwrap();
    proxy.join().unwrap();
    assert_eq!(err.kind(), ErrorKind::NewConnection, "{err}");
    assert_eq!(
        err.message(),
        "Failed to establish a new connection: 0x01: General SOCKS server failure"
    );
}

#[test]
fn socks4_sends_the_user_id_from_the_url() {
    let (port, proxy) = proxy(|mut sock| {
        // 04 01, port, address, the user id and its NUL, then the name and its NUL (4a).
        let mut request = vec![0u8; 8 + b"us@er\0".len() + b"example.test\0".len()];
        sock.read_exact(&mut request).unwrap();
        sock.write_all(&[0x00, 0x5A, 0, 0, 0, 0, 0, 0]).unwrap();
        request
    });
    let conn = open(
        &format!("socks4a://us%40er@127.0.0.1:{port}"),
        "example.test",
    )
    .unwrap();
    let request = proxy.join().unwrap();
    assert_eq!(&request[..8], [0x04, 0x01, 0, 80, 0, 0, 0, 1]);
    assert_eq!(&request[8..], b"us@er\0example.test\0");
    drop(conn);
}
