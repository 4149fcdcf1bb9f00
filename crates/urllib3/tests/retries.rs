//! Retries, backoff, Retry-After and redirects through the pool manager, on an injected clock.

mod common;

use std::io::Cursor;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::json;
use testserver::{RawServer, Reply, TestServer};
use urllib3::{Body, ErrorKind, ManualClock, PoolManager, RequestMethods, RequestOptions, Retry};

fn clocked(retry: Retry) -> (Retry, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    (retry.with_clock(clock.clone()), clock)
}

#[test]
fn failing_statuses_are_retried_with_backoff_on_the_clock() {
    let server = TestServer::start();
    let (retry, clock) = clocked(
        Retry::from_total(5)
            .with_status_forcelist([500])
            .with_backoff_factor(0.5),
    );
    let options = RequestOptions::new()
        .header("X-Retry-Key", "backoff")
        .retries(retry);
    let r = PoolManager::new()
        .urlopen(
            "GET",
            &server.url("/fail-then-succeed?times=3&status=500"),
            options,
        )
        .unwrap();
    assert_eq!(r.status(), 200);
    // urllib3's backoff: nothing after the first failure, then factor * 2^(n-1).
    assert_eq!(
        clock.sleeps(),
        [Duration::from_secs(1), Duration::from_secs(2)]
    );
}

#[test]
fn exhausted_status_retries_raise_or_return_the_last_response() {
    let server = TestServer::start();
    let url = server.url("/status/503");
    let (retry, _) = clocked(Retry::from_total(2).with_status_forcelist([503]));
    let err = PoolManager::new()
        .urlopen("GET", &url, RequestOptions::new().retries(retry.clone()))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MaxRetry);
    let reason = err.reason().expect("a reason");
    assert_eq!(reason.kind(), ErrorKind::Response);
    assert!(
        reason.message().contains("too many 503 error responses"),
        "{}",
        reason.message()
    );

    let lenient = retry.with_raise_on_status(false);
    let r = PoolManager::new()
        .urlopen("GET", &url, RequestOptions::new().retries(lenient))
        .unwrap();
    assert_eq!(r.status(), 503);
}

#[test]
fn retry_after_is_honoured_in_seconds_and_as_a_date() {
    let server = TestServer::start();
    for (query, low, high) in [("seconds=7", 7, 7), ("seconds=30&date=1", 29, 30)] {
        let (retry, clock) = clocked(
            Retry::from_total(1)
                .with_status_forcelist([503])
                .with_raise_on_status(false),
        );
        let url = server.url(&format!("/retry-after?status=503&{query}"));
        let r = PoolManager::new()
            .urlopen("GET", &url, RequestOptions::new().retries(retry))
            .unwrap();
        assert_eq!(r.status(), 503);
        let slept = clock.sleeps();
        assert_eq!(slept.len(), 1, "{query}");
        // An HTTP date has whole seconds, so the wait may be a second short of the offset.
        assert!(
            (low..=high).contains(&slept[0].as_secs()),
            "{query}: {slept:?}"
        );
    }
}

#[test]
fn redirects_follow_urllib3s_method_and_body_rules() {
    let server = TestServer::start();
    let http = PoolManager::new();
    for (status, method, body) in [
        (301, "POST", "payload"),
        (302, "POST", "payload"),
        (303, "GET", ""),
        (307, "POST", "payload"),
        (308, "POST", "payload"),
    ] {
        let url = server.url(&format!("/redirect-to?url=/anything&status_code={status}"));
        let options = RequestOptions::new()
            .body("payload")
            .header("Content-Type", "text/plain");
        let mut r = http.urlopen("POST", &url, options).unwrap();
        assert_eq!(r.status(), 200, "{status}");
        let echoed = json(&mut r);
        assert_eq!(echoed["method"], method, "{status}");
        assert_eq!(echoed["data"], body, "{status}");
        let has_content_type = echoed["headers"].get("Content-Type").is_some();
        assert_eq!(
            has_content_type,
            status != 303,
            "{status}: content headers go with the body"
        );
    }
}

#[test]
fn redirect_chains_count_against_the_redirect_budget() {
    let server = TestServer::start();
    let http = PoolManager::new();
    // The default Retry(3) allows three redirects in all, as urllib3's does.
    let mut r = http.request("GET", &server.url("/redirect/3")).unwrap();
    assert_eq!(json(&mut r)["url"], server.url("/get"));
    let err = http.request("GET", &server.url("/redirect/4")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MaxRetry);

    let err = http
        .urlopen(
            "GET",
            &server.url("/redirect/4"),
            RequestOptions::new().retries(Retry::new().with_redirect(2)),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MaxRetry);
    assert_eq!(
        err.reason().map(|e| e.message().to_owned()).as_deref(),
        Some("too many redirects")
    );

    let quiet = Retry::new().with_redirect(2).with_raise_on_redirect(false);
    let r = http
        .urlopen(
            "GET",
            &server.url("/redirect/4"),
            RequestOptions::new().retries(quiet),
        )
        .unwrap();
    assert_eq!(r.status(), 302);

    let r = http
        .urlopen(
            "GET",
            &server.url("/redirect/1"),
            RequestOptions::new().redirect(false),
        )
        .unwrap();
    assert_eq!(r.status(), 302);
}

#[test]
fn credentials_are_stripped_only_when_the_host_changes() {
    let origin = TestServer::start();
    let elsewhere = TestServer::start();
    let http = PoolManager::new();
    let headers = || {
        RequestOptions::new()
            .header("Authorization", "Bearer secret")
            .header("Cookie", "session=1")
            .header("X-Kept", "yes")
    };
    let cross = origin.url(&format!("/redirect-to?url={}", elsewhere.url("/headers")));
    let mut r = http.urlopen("GET", &cross, headers()).unwrap();
    let seen = json(&mut r)["headers"].clone();
    assert_eq!(seen.get("Authorization"), None);
    assert_eq!(seen.get("Cookie"), None);
    assert_eq!(seen["X-Kept"], "yes");

    let same = origin.url("/redirect-to?url=/headers");
    let mut r = http.urlopen("GET", &same, headers()).unwrap();
    let seen = json(&mut r)["headers"].clone();
    assert_eq!(seen["Authorization"], "Bearer secret");
    assert_eq!(seen["Cookie"], "session=1");
}

#[test]
fn seekable_bodies_are_resent_whole_and_others_refuse() {
    let fail = Reply::close(&b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n"[..]);
    let ok = Reply::close(&b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"[..]);
    let server = RawServer::start(vec![fail.clone(), ok]);
    let (retry, _) = clocked(
        Retry::from_total(2)
            .with_status_forcelist([500])
            .with_allowed_methods(None),
    );
    let body = Body::seekable(Cursor::new(b"the upload".to_vec())).unwrap();
    let r = PoolManager::new()
        .urlopen(
            "PUT",
            &server.url("/"),
            RequestOptions::new().body(body).retries(retry.clone()),
        )
        .unwrap();
    assert_eq!(r.status(), 200);
    let received = server.wait_received(2);
    for request in &received {
        assert!(
            request.ends_with(b"a\r\nthe upload\r\n0\r\n\r\n"),
            "{}",
            String::from_utf8_lossy(request)
        );
    }

    let server = RawServer::start(vec![fail]);
    let body = Body::reader(Cursor::new(b"read once".to_vec()));
    let err = PoolManager::new()
        .urlopen(
            "PUT",
            &server.url("/"),
            RequestOptions::new().body(body).retries(retry),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnrewindableBody);
}

#[test]
fn read_timeouts_are_retried_for_idempotent_methods_only() {
    let server = TestServer::start();
    let timeout = urllib3::Timeout::new().with_read(Duration::from_millis(100));
    let (retry, _) = clocked(Retry::from_total(1));
    let options = || {
        RequestOptions::new()
            .timeout(timeout)
            .retries(retry.clone())
    };
    let err = PoolManager::new()
        .urlopen("GET", &server.url("/delay/2"), options())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MaxRetry);
    assert_eq!(err.reason().map(|e| e.kind()), Some(ErrorKind::ReadTimeout));
    let err = PoolManager::new()
        .urlopen("POST", &server.url("/delay/2"), options())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ReadTimeout, "{err}");
}
