//! The lane's route: a stock `PoolManager.request`, from the URL to the response, in one call
//! from Python.
//!
//! `urllib3._lane` serves a stock request from inside the pool's `urlopen`, after `request`,
//! the manager's `urlopen` and the pool's `urlopen` ran their Python steps. For a manager whose
//! request would take the lane, those steps only look things up and pass arguments on, and
//! they cost more than the exchange itself. The route does all of it here: the checks the
//! lane makes (on the seams `_lane` registered, plus the ones the route passes by), the pool
//! found from the keys the manager remembers, the exchange (`lane::Exchange`), the response
//! and its bookkeeping.
//!
//! It declines, returning None before anything observable happened, whatever it does not
//! serve; `RequestMethods.request` then runs the usual way. Whatever the stages decide after an
//! exchange (an error, a redirect, a status `Retry` may retry) is handed back to them: the
//! route returns a handover tuple that `_lane.resume` continues from.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyModule, PyString, PyTuple, PyType};
use urllib3::{HeaderMap, ResponseOptions};

use crate::config::seconds;
use crate::connection::{to_body, PyConnection};
use crate::lane::{header_map, Exchange};
use crate::response::{MadeOf, PyResponse, ReadAs};
use crate::store::PyConnectionStore;

mod rules;

use rules::{request_target, unchanged, Seams, UrlopenKw};
use urllib3::http2_fields::{is_illegal_value, is_legal_name};

/// logging's DEBUG: `_took_response` logs the request line at this level.
const DEBUG: u8 = 10;
/// Most programs ask for a few URLs over and over: no more than this many are remembered.
const DESTINATIONS_REMEMBERED: usize = 512;

/// What the route compares with and calls, read once from `urllib3._lane` (its `ROUTE`). Things a program may patch after import (the response class, the user agent,
/// `parse_url`, http.client's methods) are read from their modules on each request.
#[pyclass(module = "urllib3._rs", name = "LaneRoute", frozen)]
pub(crate) struct LaneRoute {
    lane: Py<PyModule>,
    /// http.client's request-writing methods (`_lane.HTTP_CLIENT_SEAMS`).
    http_client_seams: Py<PyTuple>,
    managers: Seams,
    pools: Seams,
    connections: Seams,
    stock_key_fns: Py<PyDict>,
    retry: Py<PyType>,
    timeout: Py<PyType>,
    default_timeout: Py<PyAny>,
    getdefaulttimeout: Py<PyAny>,
    /// `HTTPConnection._refuse_illegal_fields`, which refuses nothing (HTTP/2's refuses more).
    checks_no_fields: Py<PyAny>,
    stock_response: Py<PyType>,
    made_of: Py<PyTuple>,
    connection_module: Py<PyModule>,
    response_module: Py<PyModule>,
    manager_module: Py<PyModule>,
    stock_parse_url: Py<PyAny>,
    /// URL -> what `destination` found of it.
    destinations: Py<PyDict>,
    /// `connection._get_default_user_agent` as shipped, and what it returns.
    stock_user_agent: (Py<PyAny>, String),
    request_methods_module: Py<PyModule>,
    log: Py<PyAny>,
}

/// The request as the route sends it: what the stages would have settled.
struct Settled<'py> {
    pool: Bound<'py, PyAny>,
    store: Bound<'py, PyConnectionStore>,
    method: Bound<'py, PyString>,
    target: Bound<'py, PyString>,
    headers: Bound<'py, PyAny>,
    /// Taken to send once the connection is ready (then empty).
    header_map: HeaderMap,
    body: Option<Bound<'py, PyAny>>,
    kw: UrlopenKw<'py>,
}

impl LaneRoute {
    /// The manager's part: its checks, the pool it already has for the URL, and what
    /// `request` and `urlopen` would send it. None when the route declines.
    fn settle<'py>(
        &self,
        manager: &Bound<'py, PyAny>,
        method: &Bound<'py, PyString>,
        url: &Bound<'py, PyAny>,
        body: Option<Bound<'py, PyAny>>,
        headers: Option<Bound<'py, PyAny>>,
        urlopen_kw: &Bound<'py, PyDict>,
    ) -> PyResult<Option<Settled<'py>>> {
        let py = manager.py();
        let Some(kw) = UrlopenKw::read(urlopen_kw)? else {
            return Ok(None);
        };
        let Ok(method) = method.to_str() else {
            return Ok(None);
        };
        if !method.is_ascii()
            || !url.is_instance_of::<PyString>()
            || !body.as_ref().is_none_or(|b| {
                b.is_exact_instance_of::<PyBytes>() || b.is_exact_instance_of::<PyString>()
            })
            || !self.managers.is_stock_instance(manager)?
            || !manager
                .getattr(intern!(py, "key_fn_by_scheme"))?
                .eq(self.stock_key_fns.bind(py))?
            || !manager.getattr(intern!(py, "proxy"))?.is_none()
        {
            return Ok(None);
        }
        let pool_kw = manager.getattr(intern!(py, "connection_pool_kw"))?;
        if pool_kw.contains(intern!(py, "strict"))? {
            return Ok(None);
        }
        let Some((address, target)) = self.destination(url)? else {
            return Ok(None);
        };
        // The pool key the lane's pool_for remembered for this address, while the manager's
        // pool arguments are the ones it was worked out from.
        let remembered = manager.getattr(intern!(py, "_lane_keys"))?;
        let Some(entry) = remembered.cast::<PyDict>()?.get_item(address)? else {
            return Ok(None);
        };
        let entry = entry.cast_into::<PyTuple>()?;
        if !entry.get_item(0)?.eq(&pool_kw)? {
            return Ok(None);
        }
        let pools = manager.getattr(intern!(py, "pools"))?;
        let pool = pools.call_method1(intern!(py, "get"), (entry.get_item(1)?,))?;
        if pool.is_none() || !self.pools.is_stock_instance(&pool)? {
            return Ok(None);
        }
        let Ok(store) = pool
            .getattr(intern!(py, "pool"))?
            .cast_into::<PyConnectionStore>()
        else {
            return Ok(None);
        };
        if !pool.getattr(intern!(py, "proxy"))?.is_none() {
            return Ok(None);
        }
        let verb = PyString::new(py, &method.to_ascii_uppercase());
        let chosen = match headers.filter(|h| !h.is_none()) {
            Some(headers) => headers,
            None => manager.getattr(intern!(py, "headers"))?,
        };
        let encodes_url = manager
            .getattr(intern!(py, "_encode_url_methods"))?
            .contains(&verb)?;
        // request_encode_body sends a copy, to which it may add a Content-Type.
        let headers = if encodes_url {
            chosen
        } else {
            let copy = self
                .request_methods_module
                .bind(py)
                .getattr(intern!(py, "HTTPHeaderDict"))?;
            copy.call1((chosen,))?
        };
        // Headers the lane does not write, or cannot read (not a mapping), are the stages'.
        let Ok(Some(header_map)) = header_map(&headers) else {
            return Ok(None);
        };
        Ok(Some(Settled {
            pool,
            store,
            method: verb,
            target,
            headers,
            header_map,
            body,
            kw,
        }))
    }

    /// The request's `Timeout` (the pool's unless one was given) and the connect and read
    /// timeouts it gives; None when the stages must time it (a total, or a zero read timeout).
    fn timeouts<'py>(
        &self,
        pool: &Bound<'py, PyAny>,
        given: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Option<(Bound<'py, PyAny>, Timeouts<'py>)>> {
        let py = pool.py();
        let default = self.default_timeout.bind(py);
        let timeout = match given.filter(|t| !t.is(default)) {
            Some(given) => given.clone(),
            None => pool.getattr(intern!(py, "timeout"))?,
        };
        let timeout = if timeout.get_type().is(self.timeout.bind(py)) {
            timeout
        } else {
            pool.call_method1(intern!(py, "_get_timeout"), (timeout,))?
        };
        if !timeout.get_type().is(self.timeout.bind(py))
            || !timeout.getattr(intern!(py, "total"))?.is_none()
        {
            return Ok(None);
        }
        // Timeout's connect_timeout and read_timeout without a total: the value given, the
        // sentinel resolved to socket's default.
        let resolve = |value: Bound<'py, PyAny>| -> PyResult<Bound<'py, PyAny>> {
            if value.is(default) {
                self.getdefaulttimeout.bind(py).call0()
            } else {
                Ok(value)
            }
        };
        let connect = resolve(timeout.getattr(intern!(py, "_connect"))?)?;
        let read = resolve(timeout.getattr(intern!(py, "_read"))?)?;
        if !read.is_none() && read.eq(0)? {
            return Ok(None);
        }
        Ok(Some((timeout, Timeouts { connect, read })))
    }

    /// Whether `conn` is a stock connection whose open, verified core socket the server has
    /// not closed, and which may send `headers`: what the stages would send on as it is.
    fn ready(&self, conn: &Bound<'_, PyAny>, https: bool, headers: &HeaderMap) -> PyResult<bool> {
        let py = conn.py();
        let sock = conn.getattr(intern!(py, "sock"))?;
        let Ok(sock) = sock.cast::<PyConnection>() else {
            return Ok(false);
        };
        if !self.connections.is_stock_instance(conn)? || !self.http_client_unpatched(py)? {
            return Ok(false);
        }
        let sock = sock.get();
        if (https && !sock.is_verified()) || sock.is_dropped() {
            return Ok(false);
        }
        // HTTP/2's connection refuses fields RFC 9113 forbids: the stages raise for those.
        let checks_fields = !conn
            .get_type()
            .getattr(intern!(py, "_refuse_illegal_fields"))?
            .is(self.checks_no_fields.bind(py));
        let legal = |(name, value): (&str, &str)| {
            is_legal_name(name.to_ascii_lowercase().as_bytes())
                && !is_illegal_value(value.as_bytes())
        };
        Ok(!checks_fields || headers.iter().all(legal))
    }

    /// `_lane.http_client_unpatched()`.
    fn http_client_unpatched(&self, py: Python<'_>) -> PyResult<bool> {
        let lane = self.lane.bind(py);
        let cls = lane.getattr(intern!(py, "_http_client_class"))?;
        let stock = lane.getattr(intern!(py, "_stock_http_client"))?;
        unchanged(
            &cls,
            self.http_client_seams.bind(py),
            stock.cast::<PyTuple>()?,
        )
    }

    /// `(scheme, host, port)` and the request target of `url` as the manager's `urlopen`
    /// parses it, or None when the stages send it: a URL without a scheme or host (or one
    /// the parse rejects) and a target that needs encoding. `parse_url` gives the same for
    /// the same ASCII URL, so those are remembered while it is urllib3's own.
    fn destination<'py>(
        &self,
        url: &Bound<'py, PyAny>,
    ) -> PyResult<Option<(Bound<'py, PyTuple>, Bound<'py, PyString>)>> {
        let py = url.py();
        let parse_url = self
            .manager_module
            .bind(py)
            .getattr(intern!(py, "parse_url"))?;
        let remembered = self.destinations.bind(py);
        let rememberable = parse_url.is(self.stock_parse_url.bind(py))
            && url.cast::<PyString>()?.to_str().is_ok_and(str::is_ascii);
        if rememberable {
            if let Some(known) = remembered.get_item(url)? {
                return known.extract();
            }
        }
        let Ok(parsed) = parse_url.call1((url,)) else {
            return Ok(None);
        };
        let parsed = parsed.cast_into::<PyTuple>()?;
        let (scheme, host, port) = (
            parsed.get_item(0)?,
            parsed.get_item(2)?,
            parsed.get_item(3)?,
        );
        let destination = if scheme.is_none() || !host.is_truthy()? {
            None
        } else {
            request_target(&parsed)?
                .map(|target| PyResult::Ok((PyTuple::new(py, [scheme, host, port])?, target)))
                .transpose()?
        };
        if rememberable {
            if remembered.len() >= DESTINATIONS_REMEMBERED {
                remembered.clear();
            }
            remembered.set_item(url, &destination)?;
        }
        Ok(destination)
    }

    /// The pool's `Retry` for this request (what `Retry.from_int` gives, the common cases
    /// without a call).
    fn retries<'py>(
        &self,
        pool: &Bound<'py, PyAny>,
        given: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = pool.py();
        let retry = self.retry.bind(py);
        let default = pool.getattr(intern!(py, "retries"))?;
        let chosen = match given.filter(|r| !r.is_none()) {
            Some(given) => given.clone(),
            None if default.is_none() => retry.getattr(intern!(py, "DEFAULT"))?,
            None => default.clone(),
        };
        if chosen.get_type().is(retry) {
            return Ok(chosen);
        }
        let kwargs = PyDict::new(py);
        kwargs.set_item(intern!(py, "redirect"), false)?;
        kwargs.set_item(intern!(py, "default"), default)?;
        let given = given.map_or_else(|| py.None().into_bound(py), Clone::clone);
        retry.call_method(intern!(py, "from_int"), (given,), Some(&kwargs))
    }

    /// What `HTTPConnection._host_header` gives for a request target that is a path.
    fn host_header(conn: &Bound<'_, PyAny>) -> PyResult<String> {
        let py = conn.py();
        let tunnel_host = conn.getattr(intern!(py, "_tunnel_host"))?;
        let (host, port) = if tunnel_host.is_truthy()? {
            (
                tunnel_host.extract()?,
                conn.getattr(intern!(py, "_tunnel_port"))?,
            )
        } else {
            // The `host` property (a route seam, so urllib3's own) without its Python call.
            let host: String = conn.getattr(intern!(py, "_dns_host"))?.extract()?;
            (
                host.trim_end_matches('.').to_owned(),
                conn.getattr(intern!(py, "port"))?,
            )
        };
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host
        };
        if port.eq(conn.getattr(intern!(py, "default_port"))?)? {
            return Ok(host);
        }
        Ok(format!("{host}:{port}"))
    }

    /// Sends the settled request on `conn`: what the lane's `send` does, then `_send_once`
    /// after it. Anything the attempt raises is handed over with `conn`, for `_send_once` to
    /// decide as it decides what the lane's `send` raises.
    fn send<'py>(
        &self,
        request: &Settled<'py>,
        header_map: HeaderMap,
        conn: &Bound<'py, PyAny>,
        timeout: &Bound<'py, PyAny>,
        timeouts: Timeouts<'py>,
        retries: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = conn.py();
        let Settled { pool, kw, .. } = request;
        let release_conn = kw.release_conn.unwrap_or(kw.preload_content);
        let response =
            match self.attempt(request, header_map, conn, timeouts, retries, release_conn) {
                Ok(response) => response,
                Err(e) => {
                    return handover(
                        pool,
                        conn,
                        e.into_value(py).bind(py),
                        request,
                        retries,
                        timeout,
                    )
                }
            };
        if release_conn {
            if let Err(Some(conn)) = request.store.get().put_connection(conn.clone().unbind()) {
                pool.call_method1(intern!(py, "_put_conn"), (conn,))?;
            }
        }
        if self.needs_follow_up(&response, retries, kw.redirect)? {
            return handover(
                pool,
                &py.None().into_bound(py),
                &response,
                request,
                retries,
                timeout,
            );
        }
        Ok(response)
    }

    /// The exchange and urllib3's response for it, tied to the pool.
    fn attempt<'py>(
        &self,
        request: &Settled<'py>,
        header_map: HeaderMap,
        conn: &Bound<'py, PyAny>,
        timeouts: Timeouts<'py>,
        retries: &Bound<'py, PyAny>,
        release_conn: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = conn.py();
        let Settled {
            pool,
            method,
            target,
            kw,
            ..
        } = request;
        conn.setattr(intern!(py, "timeout"), &timeouts.connect)?;
        let num_requests = pool.getattr(intern!(py, "num_requests"))?;
        pool.setattr(intern!(py, "num_requests"), num_requests.add(1)?)?;
        let user_agent = self
            .connection_module
            .bind(py)
            .getattr(intern!(py, "_get_default_user_agent"))?;
        let user_agent = if user_agent.is(self.stock_user_agent.0.bind(py)) {
            self.stock_user_agent.1.clone()
        } else {
            user_agent.call0()?.extract()?
        };
        let exchange = Exchange {
            method: method.to_str()?.to_owned(),
            target: target.to_str()?.to_owned(),
            host: Self::host_header(conn)?,
            headers: header_map,
            body: to_body(request.body.clone())?,
            user_agent,
            write_timeout: timeouts
                .connect
                .extract::<Option<f64>>()?
                .map(seconds)
                .transpose()?,
            read_timeout: timeouts
                .read
                .extract::<Option<f64>>()?
                .map(seconds)
                .transpose()?,
            options: ResponseOptions {
                decode_content: kw.decode_content,
                enforce_content_length: true,
            },
            preload: kw.preload_content,
        };
        let sock = conn.getattr(intern!(py, "sock"))?;
        let core = Bound::new(py, exchange.run(py, sock.cast::<PyConnection>()?.get())?)?;
        conn.setattr(intern!(py, "timeout"), &timeouts.read)?;
        let read_as = ReadAs {
            preload_content: kw.preload_content,
            decode_content: kw.decode_content,
            enforce_content_length: true,
        };
        let response = self.response(conn, &core, method, target, read_as)?;
        let response_conn = if release_conn {
            py.None().into_bound(py)
        } else {
            conn.clone()
        };
        let logs = self
            .log
            .bind(py)
            .call_method1(intern!(py, "isEnabledFor"), (DEBUG,))?
            .is_truthy()?;
        if logs {
            pool.call_method1(
                intern!(py, "_took_response"),
                (&response, method, target, retries, response_conn),
            )?;
        } else {
            response.setattr(intern!(py, "retries"), retries)?;
            response.setattr(intern!(py, "_connection"), response_conn)?;
            response.setattr(intern!(py, "_pool"), pool)?;
        }
        Ok(response)
    }

    /// urllib3's response around `core`: made at once, unless the connection's own steps
    /// have something to do (warn of unparsed headers, close) or the response class was
    /// replaced.
    fn response<'py>(
        &self,
        conn: &Bound<'py, PyAny>,
        core: &Bound<'py, PyResponse>,
        method: &Bound<'py, PyString>,
        target: &Bound<'py, PyString>,
        read_as: ReadAs,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = conn.py();
        let cls = self
            .response_module
            .bind(py)
            .getattr(intern!(py, "HTTPResponse"))?;
        let plain =
            core.get().unparsed_headers().is_none_or(str::is_empty) && !core.get().will_close();
        if plain && cls.is(self.stock_response.bind(py)) {
            let made_of: MadeOf<'py> = self.made_of.bind(py).extract()?;
            return PyResponse::made_urllib3(
                core,
                cls.cast::<PyType>()?,
                &made_of,
                target,
                read_as,
            );
        }
        let options = self
            .connection_module
            .bind(py)
            .getattr(intern!(py, "_ResponseOptions"))?
            .call1((
                method,
                target,
                read_as.preload_content,
                read_as.decode_content,
                true,
            ))?;
        conn.call_method1(intern!(py, "_response_from_core"), (core, options))
    }

    /// Whether the stages may act on `response`: a redirect the manager follows, or a
    /// status `retries` may retry (what `_lane.needs_follow_up` checks for the pool).
    fn needs_follow_up(
        &self,
        response: &Bound<'_, PyAny>,
        retries: &Bound<'_, PyAny>,
        redirect: bool,
    ) -> PyResult<bool> {
        let py = response.py();
        let status = response.getattr(intern!(py, "status"))?;
        if redirect
            && response
                .getattr(intern!(py, "REDIRECT_STATUSES"))?
                .contains(&status)?
        {
            return Ok(true);
        }
        if retries
            .getattr(intern!(py, "RETRY_AFTER_STATUS_CODES"))?
            .contains(&status)?
        {
            return Ok(true);
        }
        let forced = retries.getattr(intern!(py, "status_forcelist"))?;
        Ok(forced.is_truthy()? && forced.contains(&status)?)
    }
}

/// What `_lane.resume` continues from: `(pool, conn, outcome, method, target, headers,
/// retries, timeout)`, `conn` None when `outcome` is the response, and the connection when
/// `outcome` is what its attempt raised.
fn handover<'py>(
    pool: &Bound<'py, PyAny>,
    conn: &Bound<'py, PyAny>,
    outcome: &Bound<'py, PyAny>,
    request: &Settled<'py>,
    retries: &Bound<'py, PyAny>,
    timeout: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = pool.py();
    let Settled {
        method,
        target,
        headers,
        ..
    } = request;
    let state = (
        pool, conn, outcome, method, target, headers, retries, timeout,
    );
    Ok(state.into_pyobject(py)?.into_any())
}

/// A request's connect and read timeouts, as the connection's `timeout` takes them.
struct Timeouts<'py> {
    connect: Bound<'py, PyAny>,
    read: Bound<'py, PyAny>,
}

#[pymethods]
impl LaneRoute {
    /// The route over what `_lane` (the module) registered and imported.
    #[new]
    fn new(lane: &Bound<'_, PyModule>) -> PyResult<Self> {
        let py = lane.py();
        let get = |name: &str| lane.getattr(name);
        let module = |name: &str| -> PyResult<Py<PyModule>> { Ok(py.import(name)?.unbind()) };
        let connection = py.import("urllib3.connection")?;
        let response = py.import("urllib3.response")?;
        let manager_module = py.import("urllib3.poolmanager")?;
        let user_agent = connection.getattr("_get_default_user_agent")?;
        Ok(LaneRoute {
            lane: lane.clone().unbind(),
            http_client_seams: get("HTTP_CLIENT_SEAMS")?.cast_into()?.unbind(),
            stock_parse_url: manager_module.getattr("parse_url")?.unbind(),
            destinations: PyDict::new(py).unbind(),
            stock_user_agent: (user_agent.clone().unbind(), user_agent.call0()?.extract()?),
            managers: Seams::read(lane, "_ROUTE_MANAGER_SEAMS", "_route_managers")?,
            pools: Seams::read(lane, "_ROUTE_POOL_SEAMS", "_route_pools")?,
            connections: Seams::read(lane, "_ROUTE_CONNECTION_SEAMS", "_route_connections")?,
            stock_key_fns: get("_stock_key_fns")?.cast_into()?.unbind(),
            retry: get("Retry")?.cast_into()?.unbind(),
            timeout: get("Timeout")?.cast_into()?.unbind(),
            default_timeout: get("_DEFAULT_TIMEOUT")?.unbind(),
            getdefaulttimeout: py.import("socket")?.getattr("getdefaulttimeout")?.unbind(),
            checks_no_fields: connection
                .getattr("HTTPConnection")?
                .getattr("_refuse_illegal_fields")?
                .unbind(),
            stock_response: response.getattr("HTTPResponse")?.cast_into()?.unbind(),
            made_of: response.getattr("_MADE_OF")?.cast_into()?.unbind(),
            connection_module: connection.unbind(),
            response_module: response.unbind(),
            manager_module: manager_module.unbind(),
            request_methods_module: module("urllib3._request_methods")?,
            log: py
                .import("urllib3.connectionpool")?
                .getattr("log")?
                .unbind(),
        })
    }

    /// `manager.request(method, url, body=body, headers=headers, **urlopen_kw)` for a stock
    /// manager, a pool it has, and a ready connection of it. Returns None, having done
    /// nothing, when the route declines; the response; or, when the stages decide what
    /// follows the exchange, `(pool, conn, outcome, method, target, headers, retries,
    /// timeout)` for `_lane.resume` (`conn` is None when `outcome` is the response, and the
    /// connection when it is what the exchange raised).
    #[pyo3(signature = (manager, method, url, body, headers, urlopen_kw))]
    fn request<'py>(
        &self,
        manager: &Bound<'py, PyAny>,
        method: &Bound<'py, PyAny>,
        url: &Bound<'py, PyAny>,
        body: Option<Bound<'py, PyAny>>,
        headers: Option<Bound<'py, PyAny>>,
        urlopen_kw: &Bound<'py, PyDict>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let py = manager.py();
        let body = body.filter(|b| !b.is_none());
        let Ok(method) = method.cast::<PyString>() else {
            return Ok(None);
        };
        let Some(mut request) = self.settle(manager, method, url, body, headers, urlopen_kw)?
        else {
            return Ok(None);
        };
        let Some((timeout, timeouts)) =
            self.timeouts(&request.pool, request.kw.timeout.as_ref())?
        else {
            return Ok(None);
        };
        let Some(conn) = request.store.get().take_connection() else {
            return Ok(None); // an empty slot: the stages open a connection
        };
        let conn = conn.into_bound(py);
        let https = request.pool.getattr(intern!(py, "scheme"))?.eq("https")?;
        if !self.ready(&conn, https, &request.header_map)? {
            request
                .pool
                .call_method1(intern!(py, "_put_conn"), (&conn,))?; // back on top
            return Ok(None);
        }
        let retries = self.retries(&request.pool, request.kw.retries.as_ref())?;
        let header_map = std::mem::take(&mut request.header_map);
        self.send(&request, header_map, &conn, &timeout, timeouts, &retries)
            .map(Some)
    }
}
