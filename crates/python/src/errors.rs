//! Core errors as Python exceptions.
//!
//! The bridge raises one exception class, `urllib3._rs.CoreError`, with the core error's kind
//! (the urllib3 class name), message, URL, counts and cause in its arguments. The Python layer
//! turns it into the urllib3 exception it names, adding the pool or connection that urllib3
//! passes to the constructor: only Python knows those objects.

use std::cell::RefCell;

use pyo3::create_exception;
use pyo3::exceptions::{PyConnectionError, PyException, PyOSError, PyTimeoutError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use urllib3::ErrorKind;

create_exception!(
    _rs,
    CoreError,
    PyException,
    "A failure in the Rust core: args are (kind, message, url, counts, cause, errno)."
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
    Python::attach(|py| match to_args(py, &err) {
        Ok(args) => PyErr::from_type(py.get_type::<CoreError>(), args.unbind()),
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
    match (err.kind(), os_errno(&err)) {
        (ErrorKind::ReadTimeout | ErrorKind::ConnectTimeout, _) => {
            PyTimeoutError::new_err("timed out")
        }
        (_, Some(errno)) => PyOSError::new_err((errno, err.message().to_owned())),
        (_, None) => PyConnectionError::new_err(err.message().to_owned()),
    }
}

fn to_args<'py>(py: Python<'py>, err: &urllib3::Error) -> PyResult<Bound<'py, PyTuple>> {
    let cause = match err.reason() {
        Some(inner) => to_args(py, inner)?.into_any(),
        None => py.None().into_bound(py),
    };
    let errno = os_errno(err);
    PyTuple::new(
        py,
        [
            err.kind().class_name().into_pyobject(py)?.into_any(),
            err.message().into_pyobject(py)?.into_any(),
            err.url().into_pyobject(py)?.into_any(),
            err.counts().into_pyobject(py)?.into_any(),
            cause,
            errno.into_pyobject(py)?.into_any(),
        ],
    )
}

/// The OS error number behind an error, if its chain has one (Python code checks `errno`).
fn os_errno(err: &urllib3::Error) -> Option<i32> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return io.raw_os_error();
        }
        source = s.source();
    }
    None
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
