//! A socket wait gives the embedding program its say: an installed check can end it.
//! (Its own test binary: the check is process-wide.)

use std::io;

use testserver::TestServer;
use urllib3::{ErrorKind, PoolManager, RequestOptions, Retry};

fn always_interrupt() -> io::Result<()> {
    Err(io::Error::new(io::ErrorKind::Interrupted, "stop waiting"))
}

#[test]
fn a_wait_without_timeout_ends_when_the_check_says_so() {
    assert!(urllib3::connection::set_interrupt_check(always_interrupt));
    let server = TestServer::start();
    // The server never answers and no timeout is set: only the check can end the wait.
    let options = RequestOptions::new().retries(Retry::disabled());
    let err = PoolManager::new()
        .urlopen("GET", &server.url("/fault/stall-before-headers"), options)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    // The check's own error is the cause of ProtocolError('Connection aborted.', …).
    let cause = std::error::Error::source(&err).map(ToString::to_string);
    assert_eq!(cause.as_deref(), Some("stop waiting"), "{err}");
}
