//! `urllib3._rs.ConnectionStore`: the core's connection store with `queue.LifoQueue`'s surface,
//! so that it can serve as a pool's `pool.pool`.
//!
//! It offers what urllib3 and its tests call on a pool's queue (`get`, `put`, their `_nowait`
//! forms, `qsize`, `empty`, `full`, `maxsize`, `queue`) with the stdlib's rules: LIFO order,
//! `queue.Empty` and `queue.Full`, `maxsize <= 0` for no bound, and the same checks of
//! `timeout`. Entries are any Python objects; None stands for an empty slot, as in urllib3.

use std::time::{Duration, Instant};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyList, PyType};
use urllib3::pool::{Rejected, Store, StoreError};

/// The longest a blocked `get` or `put` waits without the GIL before it lets Python run its
/// signal handlers (Ctrl-C's `KeyboardInterrupt`), as the core's socket waits do.
const SLICE: Duration = Duration::from_millis(100);

/// A thread-safe LIFO of connections and empty slots (`None`), like `queue.LifoQueue`.
#[pyclass(module = "urllib3._rs", name = "ConnectionStore", frozen)]
pub(crate) struct PyConnectionStore {
    store: Store<Py<PyAny>>,
    /// As given: `queue.Queue` keeps a negative `maxsize` as it is.
    maxsize: isize,
}

impl PyConnectionStore {
    /// Puts `conn` on top without waiting; a full (or closed) store hands it back.
    pub(crate) fn put_connection(&self, conn: Py<PyAny>) -> Result<(), Option<Py<PyAny>>> {
        self.store.put(Some(conn)).map_err(Rejected::into_entry)
    }
}

#[pymethods]
impl PyConnectionStore {
    /// A store for at most `maxsize` entries (no bound when `maxsize <= 0`), empty.
    #[new]
    #[pyo3(signature = (maxsize=0))]
    fn new(maxsize: isize) -> Self {
        PyConnectionStore {
            store: Store::new(usize::try_from(maxsize).unwrap_or(0)),
            maxsize,
        }
    }

    /// The most entries the store holds (`<= 0`: no bound).
    #[getter]
    fn maxsize(&self) -> isize {
        self.maxsize
    }

    /// Removes and returns the most recently put entry. With `block`, waits for one (at most
    /// `timeout` seconds if given) with the GIL released; raises `queue.Empty` when there is
    /// none.
    #[pyo3(signature = (block=Truthy(true), timeout=None), text_signature = "($self, block=True, timeout=None)")]
    fn get(&self, py: Python<'_>, block: Truthy, timeout: Option<f64>) -> PyResult<Py<PyAny>> {
        let deadline = if block.0 {
            deadline(timeout)?
        } else {
            Some(Instant::now())
        };
        // Taken at once when an entry is there: the common case costs no GIL release.
        let mut taken = self.store.get(false, None);
        while let Err(StoreError::Empty) = taken {
            let Some(wait) = next_slice(deadline) else {
                break;
            };
            py.check_signals()?;
            taken = py.detach(|| self.store.get(true, Some(wait)));
        }
        match taken {
            Ok(entry) => Ok(entry.unwrap_or_else(|| py.None())),
            // Nothing closes this store; a closed one would have nothing to give either.
            Err(_) => Err(queue_error(py, &EMPTY, "Empty")),
        }
    }

    /// Puts `item` on top. A full store makes a blocking `put` wait for room (at most
    /// `timeout` seconds if given) with the GIL released, and raises `queue.Full` otherwise.
    #[pyo3(signature = (item, block=Truthy(true), timeout=None), text_signature = "($self, item, block=True, timeout=None)")]
    fn put(
        &self,
        py: Python<'_>,
        item: Py<PyAny>,
        block: Truthy,
        timeout: Option<f64>,
    ) -> PyResult<()> {
        // queue.Queue checks the timeout only when it could wait: bounded and blocking.
        let deadline = if block.0 && self.maxsize > 0 {
            deadline(timeout)?
        } else {
            Some(Instant::now())
        };
        let entry = (!item.is_none(py)).then_some(item);
        let mut put = self.store.put(entry);
        while let Err(Rejected::Full(entry)) = put {
            let Some(wait) = next_slice(deadline) else {
                put = Err(Rejected::Full(entry));
                break;
            };
            py.check_signals()?;
            put = py.detach(|| self.store.put_wait(entry, Some(wait)));
        }
        // A refused entry is dropped here, with the GIL held.
        put.map_err(|_| queue_error(py, &FULL, "Full"))
    }

    /// The connection on top, taken, when there is one; None (the store untouched) when the
    /// top is an empty slot or the store is empty. The fast lane takes its connections so.
    pub(crate) fn take_connection(&self) -> Option<Py<PyAny>> {
        self.store.take_item()
    }

    /// `get(block=False)`.
    fn get_nowait(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.get(py, Truthy(false), None)
    }

    /// `put(item, block=False)`.
    fn put_nowait(&self, py: Python<'_>, item: Py<PyAny>) -> PyResult<()> {
        self.put(py, item, Truthy(false), None)
    }

    /// The number of entries, connections and empty slots alike.
    fn qsize(&self) -> usize {
        self.store.len()
    }

    /// Whether there is no entry.
    fn empty(&self) -> bool {
        self.store.is_empty()
    }

    /// Whether the store holds `maxsize` entries.
    fn full(&self) -> bool {
        self.store.is_full()
    }

    /// The entries, bottom first (the next `get` returns the last), as `LifoQueue.queue`
    /// lists them. A copy: changing it does not change the store.
    #[getter]
    fn queue<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let entries = self
            .store
            .map_entries(|entry| entry.map_or_else(|| py.None(), |item| item.clone_ref(py)));
        PyList::new(py, entries)
    }
}

/// A `block` argument: any object, by its truth value, as `queue.Queue` reads it.
struct Truthy(bool);

impl<'a, 'py> FromPyObject<'a, 'py> for Truthy {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        obj.is_truthy().map(Truthy)
    }
}

static EMPTY: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static FULL: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// `queue.Empty` or `queue.Full` (the stdlib's own classes, looked up once), without
/// arguments as `queue.Queue` raises them.
fn queue_error(py: Python<'_>, cached: &PyOnceLock<Py<PyType>>, name: &str) -> PyErr {
    match cached.import(py, "queue", name) {
        Ok(class) => PyErr::from_type(class.clone(), ()),
        Err(e) => e,
    }
}

/// When a blocking call gives up: `None` to wait forever. A negative timeout is refused with
/// `queue.Queue`'s message.
fn deadline(timeout: Option<f64>) -> PyResult<Option<Instant>> {
    let Some(seconds) = timeout else {
        return Ok(None);
    };
    // NaN too: Python would fail on it later, with a less helpful message.
    if seconds.is_nan() || seconds < 0.0 {
        return Err(PyValueError::new_err(
            "'timeout' must be a non-negative number",
        ));
    }
    // A timeout too long to represent is as good as none.
    Ok(Duration::try_from_secs_f64(seconds)
        .ok()
        .and_then(|t| Instant::now().checked_add(t)))
}

/// How long the next wait without the GIL may last: a slice, less if the deadline is nearer,
/// `None` once it has passed.
fn next_slice(deadline: Option<Instant>) -> Option<Duration> {
    let Some(deadline) = deadline else {
        return Some(SLICE);
    };
    let left = deadline.checked_duration_since(Instant::now())?;
    (!left.is_zero()).then(|| left.min(SLICE))
}
