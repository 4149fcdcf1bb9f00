//! What the route serves: classes as urllib3 ships them, the `urlopen` keywords it takes, a
//! request target sent as it is, and the fields HTTP/2 allows.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyModule, PyString, PyTuple, PyType};

/// The stock classes of one kind and the seams compared on each request.
pub(super) struct Seams {
    /// The seams' names.
    names: Py<PyTuple>,
    /// Class -> its seams' values as shipped, in the order of `names`.
    stock: Py<PyDict>,
}

impl Seams {
    pub(super) fn read(lane: &Bound<'_, PyModule>, names: &str, stock: &str) -> PyResult<Self> {
        Ok(Seams {
            names: lane.getattr(names)?.cast_into()?.unbind(),
            stock: lane.getattr(stock)?.cast_into()?.unbind(),
        })
    }

    /// Whether `cls` is registered as shipped and its seams are still its own.
    fn is_stock(&self, cls: &Bound<'_, PyType>) -> PyResult<bool> {
        let py = cls.py();
        let Some(values) = self.stock.bind(py).get_item(cls)? else {
            return Ok(false);
        };
        unchanged(cls, self.names.bind(py), values.cast::<PyTuple>()?)
    }

    /// Whether `obj` is of a stock class and sets none of its seams on itself.
    pub(super) fn is_stock_instance(&self, obj: &Bound<'_, PyAny>) -> PyResult<bool> {
        if !self.is_stock(&obj.get_type())? {
            return Ok(false);
        }
        let own = obj
            .getattr(intern!(obj.py(), "__dict__"))?
            .cast_into::<PyDict>()?;
        for name in self.names.bind(obj.py()).iter() {
            if own.contains(name)? {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// Whether `obj`'s attributes named in `names` are still the objects in `values`.
pub(super) fn unchanged(
    obj: &Bound<'_, PyAny>,
    names: &Bound<'_, PyTuple>,
    values: &Bound<'_, PyTuple>,
) -> PyResult<bool> {
    for (name, value) in names.iter().zip(values.iter()) {
        if !obj.getattr(name.cast_into::<PyString>()?)?.is(&value) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The `urlopen` keywords the route serves; any other sends the request the usual way.
pub(super) struct UrlopenKw<'py> {
    pub(super) retries: Option<Bound<'py, PyAny>>,
    pub(super) timeout: Option<Bound<'py, PyAny>>,
    pub(super) redirect: bool,
    pub(super) preload_content: bool,
    pub(super) decode_content: bool,
    pub(super) release_conn: Option<bool>,
}

impl<'py> UrlopenKw<'py> {
    /// None when `kw` holds a keyword the route leaves to the stages, or a flag that is not
    /// a bool (the stages keep such values as they are given).
    pub(super) fn read(kw: &Bound<'py, PyDict>) -> PyResult<Option<Self>> {
        let mut read = UrlopenKw {
            retries: None,
            timeout: None,
            redirect: true,
            preload_content: true,
            decode_content: true,
            release_conn: None,
        };
        for (name, value) in kw.iter() {
            let flag = || value.cast::<PyBool>().ok().map(|b| b.is_true());
            match name.cast::<PyString>()?.to_str()? {
                "retries" => read.retries = Some(value),
                "timeout" => read.timeout = Some(value),
                // The manager sends these to the pool as it likes.
                "assert_same_host" | "pool_timeout" => {}
                "redirect" => read.redirect = value.is_truthy()?,
                "preload_content" => match flag() {
                    Some(on) => read.preload_content = on,
                    None => return Ok(None),
                },
                "decode_content" => match flag() {
                    Some(on) => read.decode_content = on,
                    None => return Ok(None),
                },
                "release_conn" if value.is_none() => {}
                "release_conn" => match flag() {
                    Some(on) => read.release_conn = Some(on),
                    None => return Ok(None),
                },
                _ => return Ok(None),
            }
        }
        Ok(Some(read))
    }
}

/// The request target of a parsed URL (`Url.request_uri`), when it is sent as it is: no
/// character `_encode_target` would escape, escapes already upper-case.
pub(super) fn request_target<'py>(
    parsed: &Bound<'py, PyTuple>,
) -> PyResult<Option<Bound<'py, PyString>>> {
    let py = parsed.py();
    let path = parsed.get_item(4)?;
    let query = parsed.get_item(5)?;
    let mut target = if path.is_truthy()? {
        path.extract::<String>()?
    } else {
        "/".to_owned()
    };
    if !query.is_none() {
        target.push('?');
        target.push_str(&query.extract::<String>()?);
    }
    Ok(is_plain(&target).then(|| PyString::new(py, &target)))
}

/// Whether `target` is a path (and query) that needs no encoding.
fn is_plain(target: &str) -> bool {
    let bytes = target.as_bytes();
    if bytes.first() != Some(&b'/') {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'%' {
            let escape = bytes.get(i + 1..i + 3);
            if !escape.is_some_and(|hex| {
                hex.iter()
                    .all(|h| h.is_ascii_digit() || (b'A'..=b'F').contains(h))
            }) {
                return false;
            }
            i += 3;
            continue;
        }
        if !(c.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?".contains(&c)) {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_targets_are_paths_that_need_no_encoding() {
        for plain in ["/", "/small", "/a/b?x=1&y=%2F", "/~user/:@!$'()*+,;="] {
            assert!(is_plain(plain), "{plain}");
        }
        for not_plain in ["", "small", "/a b", "/%2f", "/%2", "/é", "/a#frag", "/a\"b"] {
            assert!(!is_plain(not_plain), "{not_plain}");
        }
    }
}
