//! HTTP/2 over TLS: hyper's client (and h2's, where hyper hides what is checked) against the
//! test server.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http2::SendRequest;
use hyper::{Request, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use testserver::{Options, TestServer};

/// Runs `f` on a client runtime. Servers are started and dropped outside it, since they
/// run their own.
fn run<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// A TLS connection to `server` for `localhost`, offering the `alpn` protocols.
async fn tls_connect(server: &TestServer, alpn: &[&[u8]]) -> TlsStream<TcpStream> {
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
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let tcp = TcpStream::connect(server.addr()).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .unwrap()
}

/// A hyper HTTP/2 client on a new connection that negotiated `h2`.
async fn h2_client(server: &TestServer) -> SendRequest<Full<Bytes>> {
    let tls = tls_connect(server, &[b"h2", b"http/1.1"]).await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
            .await
            .unwrap();
    tokio::spawn(conn);
    sender
}

/// Sends `method path` with `body`; returns the status, the protocol version and the body.
async fn send(
    sender: &mut SendRequest<Full<Bytes>>,
    server: &TestServer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (u16, Version, Bytes) {
    let mut req = Request::builder()
        .method(method)
        .uri(format!("https://localhost:{}{path}", server.port()));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let resp = sender
        .send_request(req.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap();
    let (status, version) = (resp.status().as_u16(), resp.version());
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, version, body)
}

fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap()
}

#[test]
fn h2_get_echoes_the_headers_sent_and_counts_stats() {
    let server = TestServer::start_tls();
    run(async {
        let mut client = h2_client(&server).await;
        let headers = [("x-custom-header", "one")];
        let (status, version, body) = send(
            &mut client,
            &server,
            "GET",
            "/get?a=1",
            &headers,
            Vec::new(),
        )
        .await;
        assert_eq!((status, version), (200, Version::HTTP_2));
        let doc = json(&body);
        assert_eq!(doc["headers"]["x-custom-header"], "one");
        // No `host` field in HTTP/2: the :authority stands in for it.
        let authority = format!("localhost:{}", server.port());
        assert_eq!(doc["headers"]["Host"], authority.as_str());
        assert_eq!(doc["args"]["a"], "1");
        assert_eq!(doc["url"], format!("https://{authority}/get?a=1"));

        let (status, _, body) = send(&mut client, &server, "HEAD", "/get", &[], Vec::new()).await;
        assert_eq!((status, body.len()), (200, 0));
    });
    let stats = server.stats();
    assert_eq!((stats.connections_accepted, stats.requests), (1, 2));
}

#[test]
fn h2_one_mib_post_round_trips_and_downloads_match() {
    let server = TestServer::start_tls();
    run(async {
        let mut client = h2_client(&server).await;
        let upload: Vec<u8> = (0..1 << 20).map(|i| b'a' + (i % 26) as u8).collect();
        let (status, _, body) =
            send(&mut client, &server, "POST", "/post", &[], upload.clone()).await;
        assert_eq!(status, 200);
        assert_eq!(json(&body)["data"].as_str().unwrap().as_bytes(), upload);

        // The same bytes with a Content-Length and streamed piece by piece.
        let (_, _, sized) = send(&mut client, &server, "GET", "/bytes/300000", &[], vec![]).await;
        let path = "/stream-bytes/300000?chunk_size=7000";
        let (_, _, streamed) = send(&mut client, &server, "GET", path, &[], vec![]).await;
        assert_eq!(sized.len(), 300_000);
        assert_eq!(sized, streamed);
    });
}

#[test]
fn h2_alpn_protocol_says_h2() {
    let server = TestServer::start_tls();
    let body = run(async {
        let mut client = h2_client(&server).await;
        send(&mut client, &server, "GET", "/alpn_protocol", &[], vec![]).await
    });
    assert_eq!(body.2, "h2");
}

#[test]
fn http1_only_client_still_gets_http1() {
    let server = TestServer::start_tls();
    let response = run(async {
        let mut tls = tls_connect(&server, &[b"http/1.1"]).await;
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
        tls.write_all(
            b"GET /alpn_protocol HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        )
        .await
        .unwrap();
        let mut all = Vec::new();
        // The server closes without close_notify; what arrived before is the response.
        let _ = tls.read_to_end(&mut all).await;
        String::from_utf8(all).unwrap()
    });
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with("\r\n\r\nhttp/1.1"), "{response}");
}

#[test]
fn client_without_alpn_gets_http1() {
    let server = TestServer::start_tls();
    let response = run(async {
        let mut tls = tls_connect(&server, &[]).await;
        assert_eq!(tls.get_ref().1.alpn_protocol(), None);
        tls.write_all(
            b"GET /alpn_protocol HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        )
        .await
        .unwrap();
        let mut all = Vec::new();
        let _ = tls.read_to_end(&mut all).await;
        String::from_utf8(all).unwrap()
    });
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    // An empty body: no protocol was negotiated.
    assert!(response.contains("Content-Length: 0\r\n"), "{response}");
    assert!(response.ends_with("\r\n\r\n"), "{response}");
}

/// An h2 (not hyper) client, which shows the server's SETTINGS and stream errors as h2 sees
/// them.
async fn raw_h2_client(
    server: &TestServer,
) -> (
    h2::client::SendRequest<Bytes>,
    tokio::task::JoinHandle<Result<(), h2::Error>>,
) {
    let tls = tls_connect(server, &[b"h2"]).await;
    let (sender, conn) = h2::client::handshake(tls).await.unwrap();
    (sender, tokio::spawn(conn))
}

fn get(server: &TestServer, path: &str) -> Request<()> {
    Request::get(format!("https://localhost:{}{path}", server.port()))
        .body(())
        .unwrap()
}

/// Sends a bodiless GET and reads the whole response.
async fn raw_get(
    sender: &mut h2::client::SendRequest<Bytes>,
    request: Request<()>,
) -> Result<(u16, Bytes), h2::Error> {
    let (response, _) = sender.send_request(request, true)?;
    let response = response.await?;
    let status = response.status().as_u16();
    let mut body = response.into_body();
    let mut data = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk?;
        let _ = body.flow_control().release_capacity(chunk.len());
        data.extend_from_slice(&chunk);
    }
    Ok((status, data.into()))
}

#[test]
fn h2_max_concurrent_streams_is_announced() {
    let server = TestServer::start_with(Options {
        tls: Some(Default::default()),
        http2_max_concurrent_streams: Some(2),
        ..Options::default()
    })
    .unwrap();
    run(async {
        let (mut sender, _conn) = raw_h2_client(&server).await;
        // A response comes after the server's SETTINGS, so they are applied by now.
        let (status, _) = raw_get(&mut sender, get(&server, "/small")).await.unwrap();
        assert_eq!(status, 200);
        assert_eq!(sender.current_max_send_streams(), 2);
    });
}

#[test]
fn h2_reset_and_faults_reset_only_their_stream() {
    let server = TestServer::start_tls();
    run(async {
        let (mut sender, _conn) = raw_h2_client(&server).await;
        for path in ["/http2/reset", "/fault/truncated-body", "/status/103"] {
            let err = raw_get(&mut sender, get(&server, path)).await.unwrap_err();
            assert_eq!(
                err.reason(),
                Some(h2::Reason::INTERNAL_ERROR),
                "{path}: {err}"
            );
        }
        let (status, body) = raw_get(&mut sender, get(&server, "/small")).await.unwrap();
        assert_eq!((status, &body[..]), (200, &b"Hello, world!"[..]));
    });
}

#[test]
fn h2_goaway_lets_streams_in_flight_finish_then_closes() {
    let server = TestServer::start_tls();
    run(async {
        let (mut sender, conn) = raw_h2_client(&server).await;
        // A POST whose body is still open while the GOAWAY goes out.
        let post = Request::post(format!("https://localhost:{}/post", server.port()))
            .body(())
            .unwrap();
        let (in_flight, mut upload) = sender.send_request(post, false).unwrap();
        let (status, body) = raw_get(&mut sender, get(&server, "/http2/goaway"))
            .await
            .unwrap();
        assert_eq!((status, &body[..]), (200, &b"goaway\n"[..]));

        upload.send_data(Bytes::from_static(b"late"), true).unwrap();
        let response = in_flight.await.unwrap();
        assert_eq!(response.status(), 200);
        let mut body = response.into_body();
        let mut data = Vec::new();
        while let Some(chunk) = body.data().await {
            data.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(json(&data)["data"], "late");

        // With no stream left the server ends the connection, cleanly, and the client knows
        // from the GOAWAY not to open streams on it.
        conn.await.unwrap().unwrap();
        let refused = sender.send_request(get(&server, "/small"), true).err();
        let refused = refused.expect("no new stream after GOAWAY");
        assert!(refused.is_go_away() && refused.is_remote(), "{refused:?}");
        assert_eq!(refused.reason(), Some(h2::Reason::NO_ERROR));
    });
    assert_eq!(server.stats().connections_accepted, 1);
}
