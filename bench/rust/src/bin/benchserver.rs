//! `benchserver CA_FILE`: the server every benchmark client talks to.
//!
//! hyper 1 on a current-thread tokio runtime (one core is all it uses), plain HTTP and TLS
//! (rustls, session resumption off: no session cache, no tickets), a certificate for 127.0.0.1
//! from a CA it makes and writes to CA_FILE. Three listeners: plain HTTP/1.1, TLS that offers
//! only "http/1.1" in ALPN, and TLS that offers only "h2" (HTTP/2 alone, on a port of its own,
//! so that clients which would pick h2 by themselves still measure HTTP/1.1 on the TLS port,
//! and a client that does not offer h2 fails its handshake there instead of falling back).
//! It prints one JSON line, `{"http": "http://127.0.0.1:P", "https": "https://127.0.0.1:Q",
//! "h2": "https://127.0.0.1:R", "ca_file": CA_FILE}`, and serves until stdin reaches end of file.
//!
//! Endpoints (every body is made once, at start-up, and has a Content-Length):
//! `GET /small` (13 bytes), `GET /1m` (1 MiB), `GET /64m` (64 MiB), `GET /gzip1m` (1 MiB of
//! text, gzip-compressed, `Content-Encoding: gzip`), `POST /sink` (reads the body, answers its
//! length in decimal).

use std::convert::Infallible;
use std::io::Write;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

const MIB: usize = 1 << 20;

struct Bodies {
    one: Bytes,
    big: Bytes,
    gzip: Bytes,
}

fn text(len: usize) -> Vec<u8> {
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

fn bodies() -> Bodies {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&text(MIB)).unwrap();
    Bodies {
        one: Bytes::from(vec![b'x'; MIB]),
        big: Bytes::from(vec![b'y'; 64 * MIB]),
        gzip: Bytes::from(gz.finish().unwrap()),
    }
}

fn reply(body: Bytes, content_type: &str) -> Response<Full<Bytes>> {
    Response::builder()
        .header("Content-Type", content_type)
        .body(Full::new(body))
        .unwrap()
}

async fn handle(
    req: Request<Incoming>,
    b: Arc<Bodies>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let octets = "application/octet-stream";
    Ok(match req.uri().path() {
        "/small" => reply(Bytes::from_static(b"Hello, world!"), "text/plain"),
        "/1m" => reply(b.one.clone(), octets),
        "/64m" => reply(b.big.clone(), octets),
        "/gzip1m" => {
            let mut r = reply(b.gzip.clone(), "text/plain");
            r.headers_mut()
                .insert("Content-Encoding", "gzip".parse().unwrap());
            r
        }
        "/sink" => {
            let mut body = req.into_body();
            let mut n = 0usize;
            while let Some(frame) = body.frame().await {
                match frame {
                    Ok(frame) => n += frame.data_ref().map_or(0, |d| d.len()),
                    Err(_) => break,
                }
            }
            reply(Bytes::from(n.to_string()), "text/plain")
        }
        _ => Response::builder()
            .status(404)
            .body(Full::new(Bytes::from_static(b"not found")))
            .unwrap(),
    })
}

/// The CA (written as PEM to `ca_file`) and a server config for 127.0.0.1 that it signed
/// (ALPN: "http/1.1" only).
fn tls_config(ca_file: &str) -> rustls::ServerConfig {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "bench CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    std::fs::write(ca_file, ca.pem()).unwrap();

    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params
        .subject_alt_names
        .push(SanType::IpAddress([127, 0, 0, 1].into()));
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    // Resumption off: every new connection is a full handshake.
    config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config
}

async fn serve(listener: TcpListener, tls: Option<tokio_rustls::TlsAcceptor>, b: Arc<Bodies>) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let (tls, b) = (tls.clone(), b.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| handle(req, b.clone()));
            let http = hyper::server::conn::http1::Builder::new();
            match tls {
                None => {
                    let _ = http.serve_connection(TokioIo::new(tcp), service).await;
                }
                Some(acceptor) => {
                    if let Ok(stream) = acceptor.accept(tcp).await {
                        let _ = http.serve_connection(TokioIo::new(stream), service).await;
                    }
                }
            }
        });
    }
}

/// HTTP/2 over TLS, for connections whose ALPN chose "h2" (the acceptor offers nothing else).
/// hyper's HTTP/2 defaults (1 MiB stream and connection windows, 200 concurrent streams) are
/// kept: the clients' own settings decide how fast they can receive.
async fn serve_h2(listener: TcpListener, acceptor: tokio_rustls::TlsAcceptor, b: Arc<Bodies>) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let (acceptor, b) = (acceptor.clone(), b.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| handle(req, b.clone()));
            let http = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
            if let Ok(stream) = acceptor.accept(tcp).await {
                let _ = http.serve_connection(TokioIo::new(stream), service).await;
            }
        });
    }
}

fn main() {
    let ca_file = std::env::args().nth(1).expect("usage: benchserver CA_FILE");
    let b = Arc::new(bodies());
    let config = tls_config(&ca_file);
    let mut h2_config = config.clone();
    h2_config.alpn_protocols = vec![b"h2".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let h2_acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(h2_config));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let http = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let https = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let h2 = TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!(
            "{{\"http\": \"http://{}\", \"https\": \"https://{}\", \"h2\": \"https://{}\", \"ca_file\": \"{}\"}}",
            http.local_addr().unwrap(),
            https.local_addr().unwrap(),
            h2.local_addr().unwrap(),
            ca_file
        );
        std::io::stdout().flush().unwrap();
        tokio::spawn(serve(http, None, b.clone()));
        tokio::spawn(serve(https, Some(acceptor), b.clone()));
        tokio::spawn(serve_h2(h2, h2_acceptor, b));
        // Serve until stdin closes (the runner exits or closes the pipe).
        tokio::task::spawn_blocking(|| {
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
        })
        .await
        .unwrap();
    });
}
