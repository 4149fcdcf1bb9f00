//! HTTP/2 against the test server (hyper's HTTP/2 server behind ALPN): negotiation and
//! fallback, pooled reuse, large bodies both ways under flow control, resets and GOAWAY, header
//! rules, and HTTP/2 inside a CONNECT tunnel.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use testserver::{HttpProxy, Options, TestServer};
use urllib3::{
    Body, Connection, ErrorKind, HeaderMap, PoolConfig, PoolManager, ProxyConfig, RequestOptions,
    Response, Retry, Timeout, TlsConfig, Version,
};

const SAFETY: Duration = Duration::from_secs(10);

fn offering_h2(server: &TestServer) -> TlsConfig {
    TlsConfig::new()
        .with_ca_certs(server.ca_file().expect("a TLS server"))
        .with_alpn_protocols(["h2", "http/1.1"])
}

fn manager(server: &TestServer) -> PoolManager {
    let config = PoolConfig {
        maxsize: 8,
        tls: offering_h2(server),
        retries: Retry::from_total(0),
        timeout: Timeout::new().with_connect(SAFETY).with_read(SAFETY),
        ..PoolConfig::default()
    };
    PoolManager::with_config(10, config)
}

/// A TLS test server whose HTTP/2 connections take 2 concurrent streams at most.
fn allowing_two_streams() -> TestServer {
    let options = Options {
        tls: Some(Default::default()),
        http2_max_concurrent_streams: Some(2),
        ..Options::default()
    };
    TestServer::start_with(options).unwrap()
}

fn url(server: &TestServer, path: &str) -> String {
    format!("https://localhost:{}{path}", server.port())
}

fn json(mut response: Response) -> Value {
    serde_json::from_slice(&response.read_all().expect("a body")).expect("JSON")
}

#[test]
fn alpn_picks_h2_when_offered_and_http1_otherwise() {
    let server = TestServer::start_tls();
    let response = manager(&server)
        .urlopen(
            "GET",
            &url(&server, "/alpn_protocol"),
            RequestOptions::new(),
        )
        .unwrap();
    assert_eq!(response.version(), Version::Http2);
    assert_eq!(response.version().as_int(), 20);
    assert_eq!(response.status(), 200);
    let mut response = response;
    assert_eq!(response.read_all().unwrap(), b"h2");

    let tls = TlsConfig::new().with_ca_certs(server.ca_file().unwrap());
    let conn = Connection::open_tls(
        "localhost",
        server.port(),
        &Timeout::new(),
        &Default::default(),
        &tls,
    )
    .unwrap();
    assert_eq!(conn.version(), Version::Http11);
    let mut response = conn
        .request(
            "GET",
            "/alpn_protocol",
            "localhost",
            &HeaderMap::new(),
            Body::Empty,
            &Timeout::new(),
        )
        .unwrap();
    assert_eq!(response.version(), Version::Http11);
    assert_eq!(response.read_all().unwrap(), b"http/1.1");
}

#[test]
fn requests_reuse_one_connection_and_carry_headers_and_bodies() {
    let server = TestServer::start_tls();
    let http = manager(&server);
    for i in 0..20 {
        let options = RequestOptions::new()
            .header("X-Request", i.to_string())
            .body(format!("body {i}"));
        let echoed = json(
            http.urlopen("POST", &url(&server, "/post"), options)
                .unwrap(),
        );
        // HTTP/2 sends names in lower case, and the echo shows them as they came.
        assert_eq!(echoed["headers"]["x-request"], i.to_string(), "{echoed}");
        assert_eq!(echoed["data"], format!("body {i}"));
    }
    assert_eq!(server.stats().connections_accepted, 1);
    assert_eq!(server.stats().requests, 20);
}

#[test]
fn sixty_four_mebibytes_go_each_way_under_flow_control() {
    const SIZE: usize = 64 << 20;
    let server = TestServer::start_tls();
    let http = manager(&server);
    let mut response = http
        .urlopen(
            "GET",
            &url(&server, &format!("/bytes/{SIZE}")),
            RequestOptions::new().preload_content(false),
        )
        .unwrap();
    let mut received = 0;
    for chunk in response.stream(1 << 20) {
        received += chunk.unwrap().len();
    }
    assert_eq!(received, SIZE);

    let upload = vec![b'x'; SIZE];
    let options = RequestOptions::new().body(upload);
    let answer = json(
        http.urlopen("POST", &url(&server, "/upload"), options)
            .unwrap(),
    );
    assert_eq!(answer["received"], SIZE);
    // A body of unknown length goes out as DATA frames up to END_STREAM.
    let streamed = Body::reader(std::io::repeat(b'y').take_bytes(3 << 20));
    let answer = json(
        http.urlopen(
            "PUT",
            &url(&server, "/upload"),
            RequestOptions::new().body(streamed),
        )
        .unwrap(),
    );
    assert_eq!(answer["received"], 3 << 20);
    assert_eq!(server.stats().connections_accepted, 1);
}

/// `io::Read::take` under a name that does not clash with the prelude's in a chained call.
trait TakeBytes: std::io::Read + Sized {
    fn take_bytes(self, n: u64) -> std::io::Take<Self> {
        std::io::Read::take(self, n)
    }
}
impl<R: std::io::Read> TakeBytes for R {}

#[test]
fn threads_share_the_pool_and_every_body_is_their_own() {
    let server = TestServer::start_tls();
    let http = Arc::new(manager(&server));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let (http, base) = (http.clone(), url(&server, "/post"));
            std::thread::spawn(move || {
                for i in 0..25 {
                    let body = format!("thread {t} request {i}");
                    let echoed = json(
                        http.urlopen("POST", &base, RequestOptions::new().body(body.clone()))
                            .unwrap(),
                    );
                    assert_eq!(echoed["data"], body);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("no thread failed");
    }
    assert_eq!(server.stats().requests, 200);
    assert!(server.stats().connections_accepted <= 8);
}

/// Sends `requests` requests from 8 threads at once, each asking for its own answer, and
/// checks every one: POSTs to `/post` echo their body, GETs of `/get` their query.
fn from_eight_threads(
    http: &Arc<PoolManager>,
    server: &TestServer,
    method: &'static str,
    requests: usize,
) {
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let (http, port) = (http.clone(), server.port());
            std::thread::spawn(move || {
                for i in (t..requests).step_by(8) {
                    let mark = format!("thread-{t}-request-{i}");
                    let echoed = if method == "POST" {
                        let options = RequestOptions::new().body(mark.clone());
                        let url = format!("https://localhost:{port}/post");
                        json(http.urlopen("POST", &url, options).unwrap())["data"].clone()
                    } else {
                        let url = format!("https://localhost:{port}/get?mark={mark}");
                        json(http.urlopen("GET", &url, RequestOptions::new()).unwrap())["args"]
                            ["mark"]
                            .clone()
                    };
                    assert_eq!(echoed, mark);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("no thread failed");
    }
}

#[test]
fn a_hundred_requests_from_eight_threads_are_streams_of_one_connection() {
    let server = TestServer::start_tls();
    let http = Arc::new(manager(&server));
    // The first request opens the connection; every later one finds it and shares it.
    let warm = http.urlopen("GET", &url(&server, "/get"), RequestOptions::new());
    assert_eq!(warm.unwrap().version(), Version::Http2);
    from_eight_threads(&http, &server, "POST", 100);
    assert_eq!(server.stats().requests, 101);
    assert_eq!(server.stats().connections_accepted, 1);
}

#[test]
fn a_full_connection_makes_the_pool_open_a_second_one() {
    let server = allowing_two_streams();
    let http = manager(&server);
    let get = |path: &str| {
        let options = RequestOptions::new().preload_content(false);
        http.urlopen("GET", &url(&server, path), options).unwrap()
    };
    // The server's limit arrives with its settings, read with the first response.
    get("/get").read_all().unwrap();
    // Two responses whose bodies are not read yet hold both of the connection's streams.
    let held = [get("/bytes/100"), get("/bytes/200")];
    assert_eq!(server.stats().connections_accepted, 1);
    let mut third = get("/bytes/300");
    assert_eq!(server.stats().connections_accepted, 2);
    assert_eq!(third.read_all().unwrap().len(), 300);
    for (mut response, size) in held.into_iter().zip([100, 200]) {
        assert_eq!(response.read_all().unwrap().len(), size);
    }
    // With their streams finished, both connections take requests again: no third one.
    for _ in 0..4 {
        get("/get").read_all().unwrap();
    }
    assert_eq!(server.stats().connections_accepted, 2);
}

#[test]
fn goaway_in_the_middle_of_concurrent_requests_loses_none_of_them() {
    let server = TestServer::start_tls();
    let config = PoolConfig {
        maxsize: 8,
        tls: offering_h2(&server),
        // A request the server refused after its GOAWAY is retried on a new connection, when
        // its method is idempotent (as after a dropped HTTP/1.1 keep-alive connection).
        retries: Retry::from_total(3),
        timeout: Timeout::new().with_connect(SAFETY).with_read(SAFETY),
        ..PoolConfig::default()
    };
    let http = Arc::new(PoolManager::with_config(10, config));
    http.urlopen("GET", &url(&server, "/get"), RequestOptions::new())
        .unwrap();
    let stopper = {
        let (http, goaway) = (http.clone(), url(&server, "/http2/goaway"));
        std::thread::spawn(move || {
            let mut response = http.urlopen("GET", &goaway, RequestOptions::new()).unwrap();
            assert_eq!(response.read_all().unwrap(), b"goaway\n");
        })
    };
    from_eight_threads(&http, &server, "GET", 200);
    stopper.join().expect("the GOAWAY request succeeded");
    assert!(server.stats().connections_accepted >= 2);
}

#[test]
fn a_reset_stream_fails_its_request_and_the_next_one_works() {
    let server = TestServer::start_tls();
    let http = manager(&server);
    let err = http
        .urlopen("GET", &url(&server, "/http2/reset"), RequestOptions::new())
        .unwrap_err();
    let reason = err.reason().unwrap_or(&err);
    assert_eq!(reason.kind(), ErrorKind::Protocol, "{err}");
    let response = http
        .urlopen("GET", &url(&server, "/get"), RequestOptions::new())
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[test]
fn a_stream_refused_unprocessed_is_sent_again_without_using_a_retry() {
    // A server refuses a stream over its limit (nginx also when it has not yet counted one
    // it finished); the request was not processed, so it goes again, with its body. The
    // manager allows no retries.
    let server = TestServer::start_tls();
    let http = manager(&server);
    let refused_get = url(&server, "/http2/refuse-first/get?a=1");
    let response = http
        .urlopen("GET", &refused_get, RequestOptions::new())
        .unwrap();
    assert_eq!(json(response)["args"]["a"], "1");
    let server = TestServer::start_tls();
    let http = manager(&server);
    let refused_post = url(&server, "/http2/refuse-first/post");
    let options = RequestOptions::new().body(&b"posted twice"[..]);
    let response = http.urlopen("POST", &refused_post, options).unwrap();
    assert_eq!(json(response)["data"], "posted twice");
}

#[test]
fn after_goaway_the_next_request_opens_a_new_connection() {
    let server = TestServer::start_tls();
    let http = manager(&server);
    let mut first = http
        .urlopen("GET", &url(&server, "/http2/goaway"), RequestOptions::new())
        .unwrap();
    assert_eq!(first.status(), 200);
    first.read_all().unwrap();
    // The GOAWAY may still be on its way when the next request starts: a request the server
    // refused is retried on a new connection, as one on a dropped keep-alive connection is.
    let retrying = || RequestOptions::new().retries(Retry::from_total(1));
    for _ in 0..3 {
        let response = http
            .urlopen("GET", &url(&server, "/get"), retrying())
            .unwrap();
        assert_eq!(response.version(), Version::Http2);
    }
    assert_eq!(server.stats().connections_accepted, 2);
}

#[test]
fn a_connection_the_server_is_closing_takes_no_new_request() {
    let server = TestServer::start_tls();
    let http = manager(&server); // no retries
    let mut last = http
        .urlopen(
            "GET",
            &url(&server, "/http2/goaway-first"),
            RequestOptions::new(),
        )
        .unwrap();
    assert_eq!(last.read_all().unwrap(), b"after goaway\n");
    // The GOAWAY came before that response: a POST, which no Retry would send again, goes
    // out on a new connection rather than failing on the old one.
    let options = RequestOptions::new().body("after");
    let echoed = json(
        http.urlopen("POST", &url(&server, "/post"), options)
            .unwrap(),
    );
    assert_eq!(echoed["data"], "after");
    assert_eq!(server.stats().connections_accepted, 2);
}

#[test]
fn after_a_timeout_new_requests_go_to_a_new_connection() {
    let server = TestServer::start_tls();
    let http = manager(&server);
    http.urlopen("GET", &url(&server, "/get"), RequestOptions::new())
        .unwrap();
    let impatient =
        RequestOptions::new().timeout(Timeout::new().with_read(Duration::from_millis(200)));
    let err = http
        .urlopen("GET", &url(&server, "/delay/3"), impatient)
        .unwrap_err();
    assert!(err.reason().unwrap_or(&err).kind().is_timeout(), "{err}");
    // As urllib3 drops a connection a read timed out on, the pool gives this one no new
    // request: a server gone silent would otherwise take every retry.
    let response = http
        .urlopen("GET", &url(&server, "/get"), RequestOptions::new())
        .unwrap();
    assert_eq!(response.version(), Version::Http2);
    assert_eq!(server.stats().connections_accepted, 2);
}

#[test]
fn a_server_with_a_stream_limit_of_two_serves_every_request() {
    let server = allowing_two_streams();
    let http = manager(&server);
    for _ in 0..5 {
        let response = http
            .urlopen("GET", &url(&server, "/get"), RequestOptions::new())
            .unwrap();
        assert_eq!(response.version(), Version::Http2);
    }
}

#[test]
fn illegal_fields_are_refused_before_anything_is_sent() {
    let server = TestServer::start_tls();
    let http = manager(&server);
    for (name, value) in [("x foo", "v"), ("x-foo", " padded"), ("x-foo", "a\0b")] {
        let options = RequestOptions::new().header(name, value);
        let err = http
            .urlopen("GET", &url(&server, "/get"), options)
            .unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::InvalidArgument,
            "{name:?}: {value:?}: {err}"
        );
    }
    assert_eq!(server.stats().requests, 0);
}

#[test]
fn http2_runs_inside_a_connect_tunnel() {
    let server = TestServer::start_tls();
    let proxy = HttpProxy::start();
    let config = ProxyConfig::new(&proxy.url()).unwrap();
    let conn = Connection::open_tunnel(
        &config,
        "localhost",
        server.port(),
        &Timeout::new(),
        &Default::default(),
        Some(&offering_h2(&server)),
    )
    .unwrap();
    assert_eq!(conn.version(), Version::Http2);
    let mut response = conn
        .request(
            "GET",
            "/alpn_protocol",
            "localhost",
            &HeaderMap::new(),
            Body::Empty,
            &Timeout::new(),
        )
        .unwrap();
    assert_eq!(response.read_all().unwrap(), b"h2");
}
