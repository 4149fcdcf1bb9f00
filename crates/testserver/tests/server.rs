//! End-to-end checks of the test server with plain std sockets.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use testserver::{RawServer, Reply, TestServer};

/// Connects with a read timeout, so a broken server fails the test instead of hanging it.
fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
}

/// Reads one response framed by Content-Length (or up to EOF without one).
fn read_response(stream: &mut impl Read) -> (String, Vec<u8>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let length = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().unwrap())
    });
    let mut body = Vec::new();
    match length {
        Some(n) => {
            body.resize(n, 0);
            stream.read_exact(&mut body).unwrap();
        }
        None => {
            stream.read_to_end(&mut body).unwrap();
        }
    }
    (head, body)
}

fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap()
}

#[test]
fn get_returns_httpbin_json_and_keeps_the_connection() {
    let server = TestServer::start();
    let mut s = connect(server.addr());
    let request = format!(
        "GET /get?a=1&a=2&b=x%20y HTTP/1.1\r\nHost: {}\r\nX-Custom-Header: one\r\nx-custom-header: two\r\n\r\n",
        server.addr()
    );
    s.write_all(request.as_bytes()).unwrap();
    let (head, body) = read_response(&mut s);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    let doc = json(&body);
    assert_eq!(
        doc["args"],
        serde_json::json!({"a": ["1", "2"], "b": "x y"})
    );
    assert_eq!(doc["headers"]["X-Custom-Header"], "one,two");
    assert_eq!(doc["origin"], "127.0.0.1");
    assert_eq!(doc["url"], server.url("/get?a=1&a=2&b=x%20y"));

    // Same connection, second request.
    s.write_all(b"POST /post HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 8\r\n\r\n{\"k\": 1}")
        .unwrap();
    let (_, body) = read_response(&mut s);
    assert_eq!(json(&body)["json"], serde_json::json!({"k": 1}));
    let stats = server.stats();
    assert_eq!((stats.connections_accepted, stats.requests), (1, 2));
}

#[test]
fn echo_returns_the_exact_request_bytes() {
    let server = TestServer::start();
    let mut s = connect(server.addr());
    let request: &[u8] = b"PUT /echo?q=1 HTTP/1.1\r\nhOsT: example\r\nX-Odd-CASE:  spaced \r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nTrailer-Field: t\r\n\r\n";
    s.write_all(request).unwrap();
    let (head, body) = read_response(&mut s);
    assert!(head.contains("Content-Type: application/octet-stream"));
    assert_eq!(body, request);
}

#[test]
fn expect_continue_gets_an_interim_response() {
    let server = TestServer::start();
    let mut s = connect(server.addr());
    s.write_all(
        b"POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
    )
    .unwrap();
    let mut interim = [0u8; 25];
    s.read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    s.write_all(b"hello").unwrap();
    let (_, body) = read_response(&mut s);
    assert_eq!(json(&body), serde_json::json!({"received": 5}));
}

#[test]
fn connection_close_and_http10_close_after_the_response() {
    let server = TestServer::start();
    for request in [
        "GET /small?close=1 HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /small HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "GET /small HTTP/1.0\r\n\r\n",
    ] {
        let mut s = connect(server.addr());
        s.write_all(request.as_bytes()).unwrap();
        let mut all = Vec::new();
        s.read_to_end(&mut all).unwrap();
        let text = String::from_utf8(all).unwrap();
        assert!(text.contains("Connection: close\r\n"), "{text}");
        assert!(text.ends_with("\r\n\r\nHello, world!"), "{text}");
    }
}

#[test]
fn truncated_body_fault_sends_half_the_body_then_closes() {
    let server = TestServer::start();
    let mut s = connect(server.addr());
    s.write_all(b"GET /fault/truncated-body HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).unwrap();
    let split = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&all[..split]);
    assert!(head.contains("Content-Length: 100\r\n"), "{head}");
    assert_eq!(all.len() - split, 50);
}

#[test]
fn reset_mid_body_fault_resets() {
    let server = TestServer::start();
    let mut s = connect(server.addr());
    s.write_all(b"GET /fault/reset-mid-body HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut all = Vec::new();
    let err = s.read_to_end(&mut all).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset);
}

#[test]
fn dropping_the_server_ends_a_stalled_connection() {
    let server = TestServer::start();
    let mut s = connect(server.addr());
    s.write_all(b"GET /fault/stall-mid-body HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    // The head and the first 10 body bytes arrive; then nothing more.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    let mut part = [0u8; 10];
    s.read_exact(&mut part).unwrap();
    drop(server);
    assert_eq!(s.read(&mut part).unwrap(), 0);
}

#[test]
fn gzip_bomb_is_a_valid_gzip_stream() {
    let server = TestServer::start();
    let mut s = connect(server.addr());
    s.write_all(b"GET /bomb/gzip?mib=3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).unwrap();
    let split = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&all[..split]);
    assert!(head.contains("Content-Encoding: gzip\r\n"), "{head}");
    let gzip = unchunk(&all[split..]);
    let mut decoded = Vec::new();
    flate2::read::MultiGzDecoder::new(&gzip[..])
        .read_to_end(&mut decoded)
        .unwrap();
    assert_eq!(decoded.len(), 3 << 20);
    assert!(decoded.iter().all(|&b| b == 0));
}

/// Decodes a chunked body (no extensions, no trailers).
fn unchunk(mut wire: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = wire.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&wire[..line_end]).unwrap(), 16).unwrap();
        wire = &wire[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&wire[..size]);
        wire = &wire[size + 2..];
    }
}

#[test]
fn raw_server_records_requests_and_replies_in_order() {
    let first = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let second = "HTTP/1.1 404 Nope\r\nContent-Length: 0\r\n\r\n";
    let server = RawServer::start(vec![Reply::keep_alive(first), Reply::close(second)]);
    let mut s = connect(server.addr());
    let one: &[u8] = b"POST /a HTTP/1.1\r\nhost: X\r\nContent-Length: 3\r\n\r\nabc";
    let two: &[u8] = b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
    s.write_all(one).unwrap();
    let (head, body) = read_response(&mut s);
    assert_eq!(
        (head.as_str(), body.as_slice()),
        (&first[..first.len() - 2], &b"ok"[..])
    );
    s.write_all(two).unwrap();
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).unwrap();
    assert_eq!(rest, second.as_bytes());
    assert_eq!(server.wait_received(2), vec![one.to_vec(), two.to_vec()]);
}

/// A rustls client that trusts only `server`'s test CA.
fn tls_client(
    server: &TestServer,
    name: &str,
) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};

    let pem = server.ca_pem().unwrap().as_bytes();
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(pem).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let name = ServerName::try_from(name.to_string()).unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    rustls::StreamOwned::new(conn, connect(server.addr()))
}

#[test]
fn tls_server_serves_https_with_its_ca() {
    let server = TestServer::start_tls();
    assert!(server.base_url().starts_with("https://127.0.0.1:"));
    let ca_file = server.ca_file().unwrap().to_path_buf();
    assert_eq!(
        std::fs::read(&ca_file).unwrap(),
        server.ca_pem().unwrap().as_bytes()
    );
    for name in ["localhost", "127.0.0.1"] {
        let mut tls = tls_client(&server, name);
        tls.write_all(b"GET /get HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .unwrap();
        let (head, body) = read_response(&mut tls);
        assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
        assert_eq!(tls.conn.alpn_protocol(), Some(&b"http/1.1"[..]));
        assert_eq!(json(&body)["url"], "https://localhost/get");
    }
    drop(server);
    assert!(!ca_file.exists(), "the CA file is removed on drop");
}

#[test]
fn tls_certificate_profiles_fail_verification_as_designed() {
    use testserver::CertProfile;

    let handshake = |profile, name: &str| {
        let server = TestServer::start_tls_with(profile);
        let mut tls = tls_client(&server, name);
        while tls.conn.is_handshaking() {
            tls.conn
                .complete_io(&mut tls.sock)
                .map_err(|e| e.to_string())?;
        }
        Ok::<(), String>(())
    };
    assert!(handshake(CertProfile::Expired, "localhost")
        .unwrap_err()
        .contains("certificate expired"));
    assert!(handshake(CertProfile::WrongHost, "localhost")
        .unwrap_err()
        .contains("not valid for name"));
    assert!(handshake(CertProfile::SelfSigned, "localhost")
        .unwrap_err()
        .contains("UnknownIssuer"));
    assert!(handshake(CertProfile::IpOnly, "127.0.0.1").is_ok());
    assert!(handshake(CertProfile::IpOnly, "localhost").is_err());
    assert!(handshake(CertProfile::NoSan, "localhost")
        .unwrap_err()
        .contains("not valid for name"));
    assert!(handshake(CertProfile::Intermediate, "localhost").is_ok());
}

#[test]
fn tls_servers_give_client_certificates_and_fingerprints() {
    use testserver::{CertProfile, ClientKeyFormat, FingerprintHash};

    let server = TestServer::start_tls_with(CertProfile::ClientCertRequired);
    for format in ClientKeyFormat::ALL {
        let client = server.client_cert(format).unwrap();
        let cert = std::fs::read_to_string(&client.cert_file).unwrap();
        assert!(
            cert.starts_with("-----BEGIN CERTIFICATE-----"),
            "{format:?}"
        );
        match &client.key_file {
            Some(key) => assert!(std::fs::read_to_string(key)
                .unwrap()
                .contains("PRIVATE KEY")),
            None => assert!(cert.contains("-----BEGIN PRIVATE KEY-----")),
        }
        assert_eq!(client.password.is_some(), format.is_encrypted());
    }
    let legacy = server.client_cert(ClientKeyFormat::LegacyAes256).unwrap();
    let text = std::fs::read_to_string(legacy.key_file.unwrap()).unwrap();
    assert!(text.contains("Proc-Type: 4,ENCRYPTED") && text.contains("DEK-Info: AES-256-CBC,"));
    for (hash, hex_digits) in [
        (FingerprintHash::Md5, 32),
        (FingerprintHash::Sha1, 40),
        (FingerprintHash::Sha256, 64),
    ] {
        let fingerprint = server.cert_fingerprint(hash).unwrap();
        assert_eq!(fingerprint.replace(':', "").len(), hex_digits);
    }
    // Without a client certificate the handshake (or the first read) fails.
    let mut tls = tls_client(&server, "localhost");
    let refused = tls
        .write_all(b"GET /certificate HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .and_then(|()| {
            let mut buf = [0u8; 64];
            tls.read(&mut buf)
        });
    assert!(matches!(refused, Err(_) | Ok(0)), "{refused:?}");
    assert!(TestServer::start()
        .client_cert(ClientKeyFormat::Pkcs8)
        .is_none());
}
