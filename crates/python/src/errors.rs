//! Core errors as Python exceptions.
//!
//! The bridge raises one exception class, `urllib3._rs.CoreError`, whose attributes are the
//! core error's data: `kind` (the urllib3 class name), `message`, `url`, `host`, `port`,
//! `timeout`, `errno`, `detail` (the text of an underlying cause that is not a core error),
//! `counts`, `received` (bytes as the server sent them), `status`, `certificate_failure` (a
//! TLS failure over the server's certificate) and `cause` (the next core error of the chain, as a `CoreError`). The
//! Python layer (`urllib3._errors`) builds urllib3's exception and message from these fields
//! and the pool or connection only it knows; nothing reads the message to decide anything.

use std::cell::RefCell;

use pyo3::create_exception;
use pyo3::exceptions::{PyConnectionError, PyException, PyOSError, PyTimeoutError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use urllib3::ErrorKind;

create_exception!(
    _rs,
    CoreError,
    PyException,
    "A failure in the Rust core; its attributes carry the error's kind and fields."
);

thread_local! {
    /// The exception a Python signal handler raised while this thread waited in the core: it
    /// replaces the core error that the abandoned wait produced.
    static PENDING: RefCell<Option<PyErr>> = const { RefCell::new(None) };
}

/// Runs Python's signal handlers during core socket waits, so Ctrl-C and timeout alarms work
/// while a request blocks. Installed once when the module loads.
pub(crate) fn check_signals() -> std::io::Result<()> {
    Python::attach(|py| py.check_signals()).map_err(|err| {
        PENDING.with(|p| *p.borrow_mut() = Some(err));
        std::io::Error::new(
            std::io::ErrorKind::Interrupted,
            "interrupted by a signal handler",
        )
    })
}

/// Converts a core error (and its chain of core causes) into a `CoreError`, unless a signal
/// handler's exception is pending: that one wins, as it would in Python.
pub(crate) fn to_py(err: urllib3::Error) -> PyErr {
    if let Some(pending) = PENDING.with(|p| p.borrow_mut().take()) {
        return pending;
    }
    Python::attach(|py| match core_error(py, &err) {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    })
}

/// A core error as a socket method (`recv`, `send`, …) raises it: `TimeoutError` ("timed
/// out", Python's `socket.timeout`) for a timeout, else `OSError` with the system's errno when
/// there is one (`ConnectionResetError`, `BrokenPipeError`, … by that errno), else
/// `ConnectionError`. Callers of a socket catch these, not urllib3's classes.
pub(crate) fn to_socket_error(err: urllib3::Error) -> PyErr {
    if let Some(pending) = PENDING.with(|p| p.borrow_mut().take()) {
        return pending;
    }
    match (
        err.kind(),
        err.os_error().and_then(std::io::Error::raw_os_error),
    ) {
        (ErrorKind::ReadTimeout | ErrorKind::ConnectTimeout, _) => {
            PyTimeoutError::new_err("timed out")
        }
        (_, Some(errno)) => PyOSError::new_err((errno, err.message().to_owned())),
        (_, None) => PyConnectionError::new_err(err.message().to_owned()),
    }
}

/// The `CoreError` instance for `err`, its fields set as attributes.
fn core_error<'py>(py: Python<'py>, err: &urllib3::Error) -> PyResult<Bound<'py, PyAny>> {
    let exc = py.get_type::<CoreError>().call1((err.message(),))?;
    let cause = match err.reason() {
        Some(inner) => core_error(py, inner)?,
        None => py.None().into_bound(py),
    };
    let os_error = err.os_error();
    exc.setattr("kind", err.kind().class_name())?;
    exc.setattr("message", err.message())?;
    exc.setattr("url", err.url())?;
    exc.setattr("host", err.host())?;
    exc.setattr("port", err.port())?;
    exc.setattr("timeout", err.timeout().map(|t| t.map(|d| d.as_secs_f64())))?;
    exc.setattr("timed_out", err.timeout().is_some())?;
    exc.setattr("errno", os_error.and_then(std::io::Error::raw_os_error))?;
    exc.setattr("detail", detail(err))?;
    exc.setattr("counts", err.counts())?;
    exc.setattr(
        "received",
        err.received().map(|line| PyBytes::new(py, line)),
    )?;
    exc.setattr("status", err.status())?;
    exc.setattr("certificate_failure", err.is_certificate_failure())?;
    exc.setattr("cause", cause)?;
    Ok(exc)
}

/// The text of the first cause in the chain that is not a core error: an OS error without
/// Rust's "(os error N)" suffix (Python prints the number its own way), or a plain text.
fn detail(err: &urllib3::Error) -> Option<String> {
    let source = std::error::Error::source(err)?;
    if source.downcast_ref::<urllib3::Error>().is_some() {
        return None;
    }
    let text = source.to_string();
    let code = source
        .downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::raw_os_error);
    Some(match code {
        Some(code) => text
            .strip_suffix(&format!(" (os error {code})"))
            .unwrap_or(&text)
            .to_owned(),
        None => text,
    })
}

/// The urllib3 class names of every core error kind, for tests that must cover them all.
#[pyfunction]
pub(crate) fn _core_error_kinds() -> Vec<&'static str> {
    ErrorKind::ALL
        .iter()
        .map(|kind| kind.class_name())
        .collect()
}

/// Raises a core error of `kind` (a urllib3 class name) with the given fields, as the bridge
/// raises it: for tests that check how each kind becomes a urllib3 exception.
#[pyfunction]
#[pyo3(signature = (kind, message, *, url=None, host=None, port=None, timeout=None, errno=None, detail=None, counts=None, cause=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn _core_error_sample(
    kind: &str,
    message: &str,
    url: Option<&str>,
    host: Option<&str>,
    port: Option<u16>,
    timeout: Option<f64>,
    errno: Option<i32>,
    detail: Option<String>,
    counts: Option<(u64, u64)>,
    cause: Option<(String, String)>,
) -> PyResult<()> {
    let kind = ErrorKind::from_class_name(kind)
        .ok_or_else(|| PyValueError::new_err(format!("no core error kind {kind:?}")))?;
    let mut err = match counts {
        Some((partial, expected)) => urllib3::Error::incomplete_read(partial, expected),
        None => urllib3::Error::new(kind, message),
    };
    if let Some(url) = url {
        err = err.with_url(url);
    }
    if let Some(host) = host {
        err = err.with_endpoint(host, port);
    }
    if kind.is_timeout() {
        err = err.with_timeout(timeout.map(std::time::Duration::from_secs_f64));
    }
    if let Some((cause_kind, cause_message)) = cause {
        let cause_kind = ErrorKind::from_class_name(&cause_kind)
            .ok_or_else(|| PyValueError::new_err("unknown cause kind"))?;
        err = err.with_source(urllib3::Error::new(cause_kind, cause_message));
    } else if let Some(code) = errno {
        err = err.with_source(std::io::Error::from_raw_os_error(code));
    } else if let Some(detail) = detail {
        err = err.with_source(detail);
    }
    Err(to_py(err))
}

/// A panic in the core must never cross into Python as an abort: it becomes a `CoreError` of
/// kind `ProtocolError`, so the caller sees an exception it already handles.
///
/// Asserting unwind safety is sound here: whatever the closure owned (a connection, a
/// response) is dropped with the panic or marked closed by the caller, never used again.
pub(crate) fn guard<T>(f: impl FnOnce() -> urllib3::Result<T>) -> PyResult<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(to_py(err)),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(to_py(urllib3::Error::new(
                urllib3::ErrorKind::Protocol,
                format!("internal error in the Rust core: {what}"),
            )))
        }
    }
}
