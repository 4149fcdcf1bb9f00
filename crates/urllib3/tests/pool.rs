//! Pools and the manager against the test server: reuse, limits, threads, eviction, closing.

use std::sync::Arc;
use std::thread;

use testserver::TestServer;
use urllib3::{
    ConnectionPool, ErrorKind, PoolConfig, PoolManager, RequestMethods, RequestOptions, Retry,
};

fn pool_for(server: &TestServer, config: PoolConfig) -> ConnectionPool {
    ConnectionPool::new(server.host(), server.port(), config)
}

#[test]
fn keep_alive_reuses_one_connection() {
    let server = TestServer::start();
    let pool = pool_for(&server, PoolConfig::default());
    for _ in 0..5 {
        let mut r = pool
            .urlopen("GET", "/small", RequestOptions::new())
            .unwrap();
        assert_eq!(r.data().unwrap(), b"Hello, world!");
    }
    assert_eq!(pool.num_connections(), 1);
    assert_eq!(pool.num_requests(), 5);
    assert_eq!(server.stats().connections_accepted, 1);
    assert_eq!(pool.idle_connections(), 1);
}

#[test]
fn a_connection_the_server_closed_is_replaced_silently() {
    let server = TestServer::start();
    let pool = pool_for(&server, PoolConfig::default());
    // The server closes after this response although the client could not know in advance.
    let r = pool
        .urlopen("GET", "/small?close=1", RequestOptions::new())
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = pool
        .urlopen("GET", "/small", RequestOptions::new())
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(pool.num_connections(), 2);
}

#[test]
fn a_streaming_response_holds_its_connection_until_read() {
    let server = TestServer::start();
    let pool = pool_for(&server, PoolConfig::default());
    let mut r = pool
        .urlopen(
            "GET",
            "/bytes/100000",
            RequestOptions::new().preload_content(false),
        )
        .unwrap();
    assert_eq!(pool.idle_connections(), 0);
    assert_eq!(r.read_all().unwrap().len(), 100_000);
    assert_eq!(pool.idle_connections(), 1);
    // Dropping an unread response closes its connection but frees the slot.
    let r = pool
        .urlopen(
            "GET",
            "/bytes/100000",
            RequestOptions::new().preload_content(false),
        )
        .unwrap();
    drop(r);
    assert_eq!(pool.idle_connections(), 0);
    assert_eq!(pool.qsize(), 1);
    let r = pool
        .urlopen("GET", "/small", RequestOptions::new())
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// A manager whose pools block at `maxsize` connections.
fn blocking_manager(maxsize: usize) -> Arc<PoolManager> {
    let config = PoolConfig {
        maxsize,
        block: true,
        ..PoolConfig::default()
    };
    Arc::new(PoolManager::with_config(10, config))
}

/// `threads` threads each GET /small `requests` times through `http`, and are joined.
fn hammer(http: &Arc<PoolManager>, url: &str, threads: usize, requests: usize) {
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (http, url) = (Arc::clone(http), url.to_owned());
            thread::spawn(move || {
                for _ in 0..requests {
                    let mut r = http.request("GET", &url).unwrap();
                    assert_eq!(r.data().unwrap(), b"Hello, world!");
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
}

#[test]
fn a_blocking_pool_never_exceeds_maxsize_across_threads() {
    let server = TestServer::start();
    let http = blocking_manager(4);
    let url = server.url("/small");
    hammer(&http, &url, 16, 500);
    let stats = server.stats();
    assert_eq!(stats.requests, 16 * 500);
    assert!(stats.max_open_connections <= 4, "{stats:?}");
    let pool = http.connection_from_url(&url, None).unwrap();
    assert!(pool.num_connections() <= 4);
}

#[test]
fn a_non_blocking_pool_discards_extra_connections() {
    let server = TestServer::start();
    let pool = pool_for(
        &server,
        PoolConfig {
            maxsize: 1,
            ..PoolConfig::default()
        },
    );
    let options = || RequestOptions::new().preload_content(false);
    let mut first = pool.urlopen("GET", "/bytes/10", options()).unwrap();
    let mut second = pool.urlopen("GET", "/bytes/10", options()).unwrap();
    first.read_all().unwrap();
    second.read_all().unwrap();
    assert_eq!(pool.num_connections(), 2);
    assert_eq!(pool.idle_connections(), 1);
}

#[test]
fn a_blocking_pool_times_out_waiting() {
    let server = TestServer::start();
    let pool = pool_for(
        &server,
        PoolConfig {
            maxsize: 1,
            block: true,
            ..PoolConfig::default()
        },
    );
    let _held = pool
        .urlopen(
            "GET",
            "/bytes/10",
            RequestOptions::new().preload_content(false),
        )
        .unwrap();
    let options = RequestOptions::new().pool_timeout(std::time::Duration::from_millis(10));
    let err = pool.urlopen("GET", "/small", options).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::EmptyPool);
}

#[test]
fn closing_a_pool_refuses_requests_and_closes_returning_connections() {
    let server = TestServer::start();
    let pool = pool_for(&server, PoolConfig::default());
    let mut streaming = pool
        .urlopen(
            "GET",
            "/bytes/1000",
            RequestOptions::new().preload_content(false),
        )
        .unwrap();
    pool.close();
    let err = pool
        .urlopen("GET", "/small", RequestOptions::new())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ClosedPool);
    assert_eq!(streaming.read_all().unwrap().len(), 1000);
    assert_eq!(pool.idle_connections(), 0);
}

#[test]
fn foreign_hosts_are_refused_by_a_pool() {
    let server = TestServer::start();
    let pool = pool_for(&server, PoolConfig::default());
    let err = pool
        .urlopen("GET", "http://other.example/", RequestOptions::new())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HostChanged);
    assert!(
        err.message()
            .ends_with("Tried to open a foreign host with url: http://other.example/"),
        "{}",
        err.message()
    );
    let ok = pool
        .urlopen("GET", &server.url("/small"), RequestOptions::new())
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[test]
fn an_evicted_pool_lets_its_streaming_response_finish() {
    let a = TestServer::start();
    let b = TestServer::start();
    let http = PoolManager::with_config(1, PoolConfig::default());
    let mut streaming = http
        .urlopen(
            "GET",
            &a.url("/bytes/200000"),
            RequestOptions::new().preload_content(false),
        )
        .unwrap();
    let first_chunk = streaming.read_with(Some(1000), true).unwrap();
    assert_eq!(first_chunk.len(), 1000);
    // Another host pushes the only pool slot over: the first pool is evicted and closed.
    let other = http.request("GET", &b.url("/small")).unwrap();
    assert_eq!(other.status(), 200);
    assert_eq!(http.len(), 1);
    let rest = streaming.read_all().unwrap();
    assert_eq!(rest.len(), 199_000);
}

#[test]
fn retries_default_to_three_and_can_be_disabled() {
    let server = TestServer::start();
    let port = server.port();
    drop(server);
    let http = PoolManager::new();
    let url = format!("http://127.0.0.1:{port}/");
    let err = http.request("GET", &url).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MaxRetry);
    assert_eq!(
        err.reason().map(|r| r.kind()),
        Some(ErrorKind::NewConnection)
    );
    assert!(
        err.message().starts_with(&format!(
            "HTTPConnectionPool(host='127.0.0.1', port={port}): Max retries exceeded with url: /"
        )),
        "{}",
        err.message()
    );
    let err = http
        .urlopen(
            "GET",
            &url,
            RequestOptions::new().retries(Retry::disabled()),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NewConnection);
}

/// Sockets of this process connected to `port` on the loopback (client ends only: the test
/// server in the same process has its ends on `port` locally). Read from /proc: the inodes of
/// our descriptors, matched against the kernel's TCP table.
fn client_sockets_to(port: u16) -> usize {
    let ours: std::collections::HashSet<String> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy().into_owned();
            Some(
                target
                    .strip_prefix("socket:[")?
                    .strip_suffix(']')?
                    .to_owned(),
            )
        })
        .collect();
    let table = std::fs::read_to_string("/proc/self/net/tcp").unwrap()
        + &std::fs::read_to_string("/proc/self/net/tcp6").unwrap_or_default();
    let remote_port = format!(":{port:04X}");
    table
        .lines()
        .skip(1)
        .filter(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.len() > 9 && fields[2].ends_with(&remote_port) && ours.contains(fields[9])
        })
        .count()
}

#[test]
fn eight_threads_times_a_thousand_requests_leave_nothing_behind() {
    let server = TestServer::start();
    let http = blocking_manager(4);
    let url = server.url("/small");
    assert_eq!(client_sockets_to(server.port()), 0);
    hammer(&http, &url, 8, 1000);
    let pool = http.connection_from_url(&url, None).unwrap();
    assert_eq!(pool.num_requests(), 8 * 1000);
    // Every connection is back in the pool, and only those are open.
    assert_eq!(pool.idle_connections(), client_sockets_to(server.port()));
    assert!(pool.idle_connections() <= 4);
    drop(pool);
    http.clear();
    assert_eq!(client_sockets_to(server.port()), 0);
}

/// A server that answers the first request on each connection with keep-alive, then reads
/// the next and closes without answering: it timed the connection out just as it was reused.
/// Returns its port and a count of the connections it accepted.
fn closing_after_one() -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            thread::spawn(move || {
                let read_head = |stream: &mut std::net::TcpStream| {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        match stream.read(&mut byte) {
                            Ok(1) => head.push(byte[0]),
                            _ => return false,
                        }
                    }
                    true
                };
                if read_head(&mut stream) {
                    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                }
                read_head(&mut stream);
            });
        }
    });
    (port, accepted)
}

#[test]
fn a_stale_connection_is_retried_for_get_and_not_for_post() {
    let (port, accepted) = closing_after_one();
    let pool = ConnectionPool::new("127.0.0.1", port, PoolConfig::default());
    for _ in 0..2 {
        let mut r = pool.urlopen("GET", "/", RequestOptions::new()).unwrap();
        assert_eq!(r.data().unwrap(), b"ok");
    }
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 2);

    let (port, accepted) = closing_after_one();
    let pool = ConnectionPool::new("127.0.0.1", port, PoolConfig::default());
    let post = || RequestOptions::new().body("x");
    assert_eq!(
        pool.urlopen("POST", "/", post()).unwrap().data().unwrap(),
        b"ok"
    );
    let err = pool.urlopen("POST", "/", post()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
}
