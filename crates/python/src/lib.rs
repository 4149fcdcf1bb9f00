//! The bridge: the Rust core's connections and responses as Python objects.
//!
//! Every call that waits on the network releases the GIL. Errors cross as
//! `urllib3._rs.CoreError`, which the Python layer maps to urllib3's exception classes.
#![forbid(unsafe_code)]

mod body;
mod config;
mod connection;
mod errors;
mod lane;
mod response;
mod route;
mod socket;
mod store;

use pyo3::prelude::*;

/// Panics inside the guard that every core call goes through, so that a test can show a
/// panic arriving in Python as an exception rather than an abort. Not part of the API.
#[pyfunction]
fn _panic_in_core(message: String) -> PyResult<()> {
    errors::guard(move || -> urllib3::Result<()> { panic!("{message}") })
}

/// pyo3-log caches the level of each Rust log target (rustls's, the core's) the first time it
/// logs, so that a disabled record costs no trip into Python. Logging is often configured after
/// the first request; clearing the cache whenever a connection opens lets the new levels apply
/// from the next handshake on, at the price of one lookup per target per new connection.
static LOG_LEVELS: std::sync::OnceLock<pyo3_log::ResetHandle> = std::sync::OnceLock::new();

/// Makes the Rust log targets read Python's logging levels again.
pub(crate) fn reread_log_levels() {
    if let Some(levels) = LOG_LEVELS.get() {
        levels.reset();
    }
}

/// The `urllib3._rs` extension module.
///
/// Free-threading ready (`gil_used = false`): the module's own state is atomics (the lane's
/// counts), once-set type objects, a thread-local pending signal error, and per-object
/// mutexes; nothing relies on the GIL to serialise access.
#[pymodule(gil_used = false)]
fn _rs(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // A second interpreter-level import (tests reload urllib3) must not fail on the logger.
    if let Ok(levels) = pyo3_log::try_init() {
        let _ = LOG_LEVELS.set(levels);
    }
    urllib3::connection::set_interrupt_check(errors::check_signals);
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("CoreError", m.py().get_type::<errors::CoreError>())?;
    m.add_class::<connection::PyConnection>()?;
    m.add_class::<connection::PyHttp2Connections>()?;
    m.add_class::<response::PyResponse>()?;
    m.add_class::<response::PyDecoder>()?;
    m.add_class::<store::PyConnectionStore>()?;
    m.add_class::<route::LaneRoute>()?;
    m.add_function(wrap_pyfunction!(lane::exchange, m)?)?;
    m.add_function(wrap_pyfunction!(lane::_lane_counts, m)?)?;
    m.add_function(wrap_pyfunction!(lane::_lane_declined, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_in_core, m)?)?;
    m.add_function(wrap_pyfunction!(errors::_core_error_sample, m)?)?;
    m.add_function(wrap_pyfunction!(errors::_core_error_kinds, m)?)?;
    Ok(())
}
