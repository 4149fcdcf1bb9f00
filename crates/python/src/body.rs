//! Request bodies that live in Python: iterables and file objects, pulled block by block.
//!
//! The GIL is held only while Python hands over the next block; the network write that
//! follows runs without it.

use std::io::{self, Read};

use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};

/// Reads a Python iterator of bytes-like or str chunks (str as UTF-8, as urllib3 sends it).
pub(crate) struct PyIterBody {
    iter: Py<PyAny>,
    pending: Vec<u8>,
    pos: usize,
    done: bool,
}

impl PyIterBody {
    pub(crate) fn new(iter: Py<PyAny>) -> Self {
        PyIterBody {
            iter,
            pending: Vec::new(),
            pos: 0,
            done: false,
        }
    }

    /// Fetches the next non-empty chunk; false at the end.
    fn refill(&mut self) -> io::Result<bool> {
        Python::attach(|py| loop {
            let item = match self.iter.bind(py).call_method0("__next__") {
                Ok(item) => item,
                Err(e) if e.is_instance_of::<pyo3::exceptions::PyStopIteration>(py) => {
                    return Ok(false)
                }
                Err(e) => return Err(io::Error::other(e.to_string())),
            };
            let bytes = chunk_bytes(&item).map_err(|e| io::Error::other(e.to_string()))?;
            if !bytes.is_empty() {
                self.pending = bytes;
                self.pos = 0;
                return Ok(true);
            }
        })
    }
}

impl Read for PyIterBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.pending.len() && (self.done || !self.refill()?) {
            self.done = true;
            return Ok(0);
        }
        let n = buf.len().min(self.pending.len() - self.pos);
        buf[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl urllib3::BodyRead for PyIterBody {
    /// Retries rewind Python bodies in Python (urllib3's `body_pos`), never here.
    fn rewind(&mut self) -> io::Result<bool> {
        Ok(false)
    }
}

/// The bytes of one body chunk: bytes-like objects as they are, text as UTF-8.
pub(crate) fn chunk_bytes(item: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = item.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(s) = item.cast::<PyString>() {
        return Ok(s.to_str()?.as_bytes().to_vec());
    }
    if let Ok(b) = item.cast::<PyByteArray>() {
        return Ok(b.to_vec());
    }
    // memoryview and other buffer objects
    item.call_method0("tobytes")
        .or_else(|_| item.py().get_type::<PyBytes>().call1((item,)))?
        .extract::<Vec<u8>>()
}
