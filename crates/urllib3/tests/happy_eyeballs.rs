//! Connecting to hosts with dead addresses, in a private network where some addresses are black
//! holes (`tests/netns/enter.sh`): a black-holed IPv6 address costs the Happy Eyeballs delay,
//! not the connect timeout; the connect timeout bounds the whole race; a refused address gives
//! way to a live one.
//!
//! Each test runs itself again inside `unshare -rnm` (as urllib3's suite harness does) and
//! checks that run's result; it skips, saying why, only where namespaces are not permitted.

use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use testserver::TestServer;
use urllib3::connection::AddressFamily;
use urllib3::{
    Connection, ErrorKind, PoolConfig, PoolManager, RequestMethods, SocketConfig, Timeout,
};

/// Set in the copy of the test that runs inside the namespace.
const INSIDE: &str = "URLLIB3_TEST_NETNS";

/// A connect timeout far longer than the Happy Eyeballs delay (250 ms), so that "connected
/// well within it" can only mean the race worked.
const LONG: Duration = Duration::from_secs(20);

/// Whether the caller is the copy inside the namespace (then it runs its body). Outside, runs
/// `test` inside and asserts that it passed there, or prints why it cannot run.
fn inside_namespace(test: &str) -> bool {
    if std::env::var_os(INSIDE).is_some() {
        return true;
    }
    let permitted = Command::new("unshare")
        .args(["-rnm", "true"])
        .output()
        .is_ok_and(|out| out.status.success());
    if !permitted {
        eprintln!("skipped {test}: user and network namespaces (unshare -rnm) are not permitted");
        return false;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/netns/enter.sh");
    let exe = std::env::current_exe().expect("the test binary's path");
    let out = Command::new("unshare")
        .arg("-rnm")
        .arg("sh")
        .arg(script)
        .arg(exe)
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(INSIDE, "1")
        .output()
        .expect("unshare runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(77) {
        eprintln!("skipped {test}: {}", stderr.trim());
        return false;
    }
    // What the inner run printed (timings), for `--nocapture`.
    eprint!("{stderr}");
    assert!(
        out.status.success() && stdout.contains(&format!("test {test} ... ok")),
        "{test} inside the namespace:\n{stdout}\n{stderr}"
    );
    false
}

fn open(
    host: &str,
    port: u16,
    timeout: Duration,
    socket: &SocketConfig,
) -> urllib3::Result<Connection> {
    Connection::open(host, port, &Timeout::new().with_connect(timeout), socket)
}

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count)
}

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

#[test]
fn a_black_holed_ipv6_address_costs_the_delay_not_the_timeout() {
    if !inside_namespace("a_black_holed_ipv6_address_costs_the_delay_not_the_timeout") {
        return;
    }
    let server = TestServer::start();
    let http = PoolManager::with_config(
        1,
        PoolConfig {
            timeout: Timeout::new().with_connect(LONG),
            ..PoolConfig::default()
        },
    );
    let started = Instant::now();
    let response = http
        .request("GET", &format!("http://dual.test:{}/get", server.port()))
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(response.status(), 200);
    assert!(elapsed < LONG / 4, "connected after {elapsed:?}");
    eprintln!("dual.test (black-holed IPv6, live IPv4) answered in {elapsed:?}");
}

#[test]
fn the_losing_attempts_are_closed() {
    if !inside_namespace("the_losing_attempts_are_closed") {
        return;
    }
    let listener = TcpListener::bind((LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let before = open_descriptors();
    let conn = open("dual.test", port, LONG, &SocketConfig::default()).unwrap();
    assert_eq!(conn.peer_addr().unwrap().ip(), LOCALHOST);
    // The winner is the one descriptor left: the black-holed attempt and the poll are gone.
    assert_eq!(open_descriptors(), before + 1);
}

#[test]
fn all_addresses_black_holed_time_out_once() {
    if !inside_namespace("all_addresses_black_holed_time_out_once") {
        return;
    }
    let timeout = Duration::from_secs(2);
    let started = Instant::now();
    let err = open("blackhole.test", 80, timeout, &SocketConfig::default()).unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::ConnectTimeout, "{err}");
    assert_eq!(
        err.message(),
        "Connection to blackhole.test timed out. (connect timeout=2)"
    );
    // The whole race had the timeout once, not each of its two addresses.
    assert!(elapsed >= timeout, "gave up after {elapsed:?}");
    assert!(elapsed < timeout * 2, "gave up after {elapsed:?}");
}

#[test]
fn a_refused_address_gives_way_to_a_live_one() {
    if !inside_namespace("a_refused_address_gives_way_to_a_live_one") {
        return;
    }
    let listener = TcpListener::bind((LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    for delay in [Duration::ZERO, Duration::from_millis(250)] {
        let socket = SocketConfig {
            happy_eyeballs_delay: delay,
            ..SocketConfig::default()
        };
        let conn = open("refused.test", port, LONG, &socket).unwrap();
        assert_eq!(conn.peer_addr().unwrap().ip(), LOCALHOST);
    }
}

#[test]
fn every_address_refused_names_the_last_error() {
    if !inside_namespace("every_address_refused_names_the_last_error") {
        return;
    }
    let port = TcpListener::bind((LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let err = open("refused.test", port, LONG, &SocketConfig::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NewConnection, "{err}");
    assert_eq!(
        err.message(),
        "Failed to establish a new connection: [Errno 111] Connection refused"
    );
}

#[test]
fn without_racing_the_addresses_share_one_timeout_in_resolver_order() {
    if !inside_namespace("without_racing_the_addresses_share_one_timeout_in_resolver_order") {
        return;
    }
    let listener = TcpListener::bind((LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let sequential = SocketConfig {
        happy_eyeballs_delay: Duration::ZERO,
        ..SocketConfig::default()
    };
    // IPv6 comes first and takes the whole budget: the live IPv4 address is never reached.
    let err = open("dual.test", port, Duration::from_secs(1), &sequential).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectTimeout, "{err}");
    // Restricted to IPv4 (urllib3's allowed_gai_family() on a machine without IPv6), the
    // black hole is not even tried.
    let ipv4_only = SocketConfig {
        family: AddressFamily::Ipv4,
        ..sequential
    };
    let conn = open("dual.test", port, Duration::from_secs(1), &ipv4_only).unwrap();
    assert_eq!(conn.peer_addr().unwrap().ip(), LOCALHOST);
}

#[test]
fn a_dual_stack_name_connects_from_an_ipv4_source_address() {
    if !inside_namespace("a_dual_stack_name_connects_from_an_ipv4_source_address") {
        return;
    }
    let listener = TcpListener::bind((LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let sequential_from_loopback = SocketConfig {
        source_address: Some((LOCALHOST, 0).into()),
        happy_eyeballs_delay: Duration::ZERO,
        ..SocketConfig::default()
    };
    // Only the IPv4 address can be reached from this source, so the black hole is not tried.
    let conn = open(
        "dual.test",
        port,
        Duration::from_secs(1),
        &sequential_from_loopback,
    )
    .unwrap();
    assert_eq!(conn.local_addr().unwrap().ip(), LOCALHOST);
}
