//! Arbitrary bytes as everything an HTTP/2 server sends (settings, headers, data, resets,
//! GOAWAY, window updates, garbage) to a client session making two requests over loopback
//! TCP. The session must end each with a response, an error or the connection's end: a panic
//! or a hang (libFuzzer's timeout) is a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    urllib3::http2_fuzzing::exchange(data);
});
