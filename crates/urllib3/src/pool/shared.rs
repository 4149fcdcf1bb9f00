//! The HTTP/2 connections a pool opened, kept so that concurrent requests become streams of
//! one connection rather than connections of their own.

use std::sync::{Mutex, MutexGuard};

use crate::connection::Connection;

/// A handle on each HTTP/2 connection a pool opened, from which it makes more handles while
/// the connection has room for another stream (the server's `MAX_CONCURRENT_STREAMS`).
///
/// A connection lives while any handle on it does: those lent out, those idle in the pool,
/// and the one kept here, until [`Http2Connections::clear`] or the connection's end.
#[derive(Debug, Default)]
pub struct Http2Connections(Mutex<Vec<Connection>>);

impl Http2Connections {
    /// Keeps a handle on `conn` when it speaks HTTP/2 (HTTP/1.1 connections are not shared).
    pub fn keep(&self, conn: &Connection) {
        if let Some(handle) = conn.share() {
            self.lock().push(handle);
        }
    }

    /// A new handle on a kept connection with room for another stream; connections that went
    /// away are forgotten on the way.
    pub fn share(&self) -> Option<Connection> {
        let mut kept = self.lock();
        kept.retain(|conn| !conn.is_dropped());
        kept.iter().find_map(Connection::share)
    }

    /// Forgets every connection: each closes when its last handle is dropped.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Connection>> {
        // A list of handles is never left half-updated by a panic.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
