//! The bounded LIFO behind a pool: idle items and empty slots, taken and given back by any
//! number of threads.
//!
//! It is urllib3's `queue.LifoQueue` of connections: every entry is an idle item (`Some`) or an
//! empty slot (`None`, meaning "you may open a new one"), the most recently returned entry is
//! taken first, so the hottest connection is reused and idle ones at the bottom time out at the
//! server. A full store refuses more entries; a closed one refuses everything and hands back
//! what it held.

use std::fmt;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A bounded, thread-safe LIFO of idle items (`Some`) and empty slots (`None`).
///
/// ```
/// use urllib3::pool::{Store, StoreError};
///
/// let store: Store<&str> = Store::with_empty_slots(2);
/// assert_eq!(store.get(false, None), Ok(None)); // an empty slot: open a new item
/// store.put(Some("conn")).expect("there is room");
/// assert_eq!(store.get(false, None), Ok(Some("conn"))); // last in, first out
/// assert_eq!(store.get(false, None), Ok(None));
/// assert_eq!(store.get(false, None), Err(StoreError::Empty));
/// ```
pub struct Store<T> {
    state: Mutex<State<T>>,
    /// Signalled when an entry arrives (or the store closes): wakes a blocked `get`.
    available: Condvar,
    /// Signalled when an entry leaves (or the store closes): wakes a blocked `put_wait`.
    room: Condvar,
    maxsize: usize,
}

struct State<T> {
    /// Bottom first: the last entry is taken next.
    entries: Vec<Option<T>>,
    closed: bool,
}

/// Why [`Store::get`] returned no entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// The store was closed.
    Closed,
    /// No entry arrived in time (or at once, without blocking).
    Empty,
}

/// An entry [`Store::put`] refused, handed back so the caller can close it.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejected<T> {
    /// The store was closed.
    Closed(Option<T>),
    /// The store holds `maxsize` entries already.
    Full(Option<T>),
}

impl<T> Rejected<T> {
    /// The entry that was refused.
    pub fn into_entry(self) -> Option<T> {
        match self {
            Rejected::Closed(entry) | Rejected::Full(entry) => entry,
        }
    }
}

impl<T> Store<T> {
    /// An empty store for at most `maxsize` entries; 0 means no bound, as for Python's
    /// `queue.Queue`.
    pub fn new(maxsize: usize) -> Self {
        Store {
            state: Mutex::new(State {
                entries: Vec::new(),
                closed: false,
            }),
            available: Condvar::new(),
            room: Condvar::new(),
            maxsize,
        }
    }

    /// A full store of `maxsize` empty slots: what a new pool starts with (urllib3 puts
    /// `maxsize` Nones in its queue).
    pub fn with_empty_slots(maxsize: usize) -> Self {
        let store = Self::new(maxsize);
        store.lock().entries.resize_with(maxsize, || None);
        store
    }

    /// The most entries the store holds (0: no bound).
    pub fn maxsize(&self) -> usize {
        self.maxsize
    }

    /// Takes the most recently put entry. When there is none: without `block`, fails with
    /// [`StoreError::Empty`] at once; with `block`, waits for one until `timeout` has passed
    /// (forever with `None`).
    pub fn get(&self, block: bool, timeout: Option<Duration>) -> Result<Option<T>, StoreError> {
        let deadline = deadline(block, timeout);
        let mut state = self.lock();
        loop {
            if state.closed {
                return Err(StoreError::Closed);
            }
            if let Some(entry) = state.entries.pop() {
                drop(state);
                self.room.notify_one();
                return Ok(entry);
            }
            state = wait(&self.available, state, deadline).ok_or(StoreError::Empty)?;
        }
    }

    /// Takes the top entry when it is an item, not an empty slot; leaves the store as it is
    /// otherwise (empty, closed, or an empty slot on top). Never waits.
    pub fn take_item(&self) -> Option<T> {
        let mut state = self.lock();
        if state.closed || !matches!(state.entries.last(), Some(Some(_))) {
            return None;
        }
        let item = state.entries.pop().flatten();
        drop(state);
        self.room.notify_one();
        item
    }

    /// Puts an entry on top, refusing it when the store is full or closed.
    pub fn put(&self, entry: Option<T>) -> Result<(), Rejected<T>> {
        self.put_until(entry, Some(Instant::now()))
    }

    /// Puts an entry on top, waiting for room until `timeout` has passed (forever with
    /// `None`), as `queue.Queue.put(block=True)` does.
    pub fn put_wait(&self, entry: Option<T>, timeout: Option<Duration>) -> Result<(), Rejected<T>> {
        self.put_until(entry, deadline(true, timeout))
    }

    fn put_until(&self, entry: Option<T>, deadline: Option<Instant>) -> Result<(), Rejected<T>> {
        let mut state = self.lock();
        loop {
            if state.closed {
                return Err(Rejected::Closed(entry));
            }
            if !self.holds_max(state.entries.len()) {
                state.entries.push(entry);
                drop(state);
                self.available.notify_one();
                return Ok(());
            }
            match wait(&self.room, state, deadline) {
                Some(next) => state = next,
                None => return Err(Rejected::Full(entry)),
            }
        }
    }

    /// Entries in the store, idle items and empty slots alike (`queue.Queue.qsize()`).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether a `get` would find nothing.
    pub fn is_empty(&self) -> bool {
        self.lock().entries.is_empty()
    }

    /// Whether a `put` would be refused for want of room.
    pub fn is_full(&self) -> bool {
        self.holds_max(self.lock().entries.len())
    }

    /// Idle items in the store (empty slots not counted).
    pub fn idle(&self) -> usize {
        self.lock().entries.iter().filter(|e| e.is_some()).count()
    }

    /// Whether [`Store::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Closes the store and returns its idle items, for the caller to close. Waiting `get`s
    /// and `put_wait`s return; later ones fail.
    pub fn close(&self) -> Vec<T> {
        let entries = {
            let mut state = self.lock();
            state.closed = true;
            std::mem::take(&mut state.entries)
        };
        self.available.notify_all();
        self.room.notify_all();
        entries.into_iter().flatten().collect()
    }

    /// `f` of every entry, bottom first (for inspection: `queue.Queue.queue`).
    pub fn map_entries<R>(&self, f: impl FnMut(Option<&T>) -> R) -> Vec<R> {
        self.lock()
            .entries
            .iter()
            .map(Option::as_ref)
            .map(f)
            .collect()
    }

    /// A copy of the entries, bottom first.
    pub fn snapshot(&self) -> Vec<Option<T>>
    where
        T: Clone,
    {
        self.lock().entries.clone()
    }

    fn holds_max(&self, len: usize) -> bool {
        self.maxsize > 0 && len >= self.maxsize
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // Each critical section is a push, a pop or a flag: a panic cannot leave the state
        // half-changed, so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<T> fmt::Debug for Store<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Store")
            .field("maxsize", &self.maxsize)
            .field("entries", &state.entries.len())
            .field("closed", &state.closed)
            .finish()
    }
}

/// When a wait gives up: now without `block`, never for a blocking wait without timeout.
fn deadline(block: bool, timeout: Option<Duration>) -> Option<Instant> {
    if !block {
        return Some(Instant::now());
    }
    // A timeout too large to add is as good as none.
    timeout.and_then(|t| Instant::now().checked_add(t))
}

/// Waits on `signal` until it is notified (the caller re-checks why) or `deadline` passes
/// (`None`).
fn wait<'a, T>(
    signal: &Condvar,
    state: MutexGuard<'a, State<T>>,
    deadline: Option<Instant>,
) -> Option<MutexGuard<'a, State<T>>> {
    let Some(deadline) = deadline else {
        return Some(signal.wait(state).unwrap_or_else(|e| e.into_inner()));
    };
    let left = deadline.checked_duration_since(Instant::now())?;
    if left.is_zero() {
        return None;
    }
    let (state, _) = signal
        .wait_timeout(state, left)
        .unwrap_or_else(|e| e.into_inner());
    Some(state)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::thread;

    use super::*;

    /// One step of a script and what it must return.
    #[derive(Debug)]
    enum Op {
        Get(Result<Option<u32>, StoreError>),
        Put(Option<u32>, Result<(), Rejected<u32>>),
        Close(Vec<u32>),
        /// `len()`, `is_full()` and `idle()`.
        Sizes(usize, bool, usize),
    }

    use Op::{Close, Get, Put, Sizes};

    #[test]
    fn scripts() {
        let none = Duration::ZERO;
        let cases: &[(&str, Store<u32>, Vec<Op>)] = &[
            (
                "last in, first out",
                Store::new(3),
                vec![
                    Put(Some(1), Ok(())),
                    Put(Some(2), Ok(())),
                    Put(Some(3), Ok(())),
                    Sizes(3, true, 3),
                    Get(Ok(Some(3))),
                    Get(Ok(Some(2))),
                    Get(Ok(Some(1))),
                    Get(Err(StoreError::Empty)),
                ],
            ),
            (
                "empty slots are entries like any other",
                Store::with_empty_slots(2),
                vec![
                    Sizes(2, true, 0),
                    Put(Some(7), Err(Rejected::Full(Some(7)))),
                    Get(Ok(None)),
                    Put(Some(7), Ok(())),
                    Sizes(2, true, 1),
                    Get(Ok(Some(7))),
                    Get(Ok(None)),
                    Get(Err(StoreError::Empty)),
                    Sizes(0, false, 0),
                ],
            ),
            (
                "a slot returned after an item is taken before it",
                Store::with_empty_slots(2),
                vec![
                    Get(Ok(None)),
                    Get(Ok(None)),
                    Put(Some(1), Ok(())),
                    Put(None, Ok(())),
                    Get(Ok(None)),
                    Get(Ok(Some(1))),
                ],
            ),
            (
                "a full store refuses slots too",
                Store::with_empty_slots(1),
                vec![Put(None, Err(Rejected::Full(None))), Sizes(1, true, 0)],
            ),
            (
                "maxsize 0 has no bound",
                Store::new(0),
                vec![
                    Put(Some(1), Ok(())),
                    Put(Some(2), Ok(())),
                    Put(None, Ok(())),
                    Sizes(3, false, 2),
                    Get(Ok(None)),
                ],
            ),
            (
                "close hands back the idle items and refuses everything after",
                Store::with_empty_slots(3),
                vec![
                    Get(Ok(None)),
                    Put(Some(4), Ok(())),
                    Close(vec![4]),
                    Sizes(0, false, 0),
                    Get(Err(StoreError::Closed)),
                    Put(Some(5), Err(Rejected::Closed(Some(5)))),
                    Put(None, Err(Rejected::Closed(None))),
                    Close(vec![]),
                ],
            ),
        ];
        for (name, store, script) in cases {
            for (step, op) in script.iter().enumerate() {
                let at = format!("{name}, step {step}: {op:?}");
                match op {
                    Get(want) => assert_eq!(&store.get(false, None), want, "{at}"),
                    Put(entry, want) => assert_eq!(&store.put(*entry), want, "{at}"),
                    Close(want) => assert_eq!(&store.close(), want, "{at}"),
                    Sizes(len, full, idle) => {
                        let got = (store.len(), store.is_full(), store.idle());
                        assert_eq!(got, (*len, *full, *idle), "{at}");
                        assert_eq!(store.is_empty(), *len == 0, "{at}");
                    }
                }
            }
            // A blocking get with no time to wait behaves as a non-blocking one.
            let empty = store.is_empty() || store.is_closed();
            if empty {
                let want = if store.is_closed() {
                    StoreError::Closed
                } else {
                    StoreError::Empty
                };
                assert_eq!(store.get(true, Some(none)), Err(want), "{name}");
            }
        }
    }

    #[test]
    fn take_item_leaves_empty_slots_and_empty_stores_alone() {
        let store = Store::with_empty_slots(2);
        assert_eq!(store.take_item(), None::<&str>);
        assert_eq!(store.len(), 2);
        store.get(false, None).expect("a slot");
        store.put(Some("conn")).expect("room");
        assert_eq!(store.take_item(), Some("conn"));
        assert_eq!(store.len(), 1);
        store.get(false, None).expect("a slot");
        assert_eq!(store.take_item(), None);
        store.close();
        assert_eq!(store.take_item(), None);
    }

    #[test]
    fn entries_are_listed_bottom_first() {
        let store = Store::with_empty_slots(3);
        assert_eq!(store.get(false, None), Ok(None));
        store.put(Some("a")).unwrap();
        assert_eq!(store.snapshot(), [None, None, Some("a")]);
        assert_eq!(store.map_entries(|e| e.is_some()), [false, false, true]);
        assert_eq!(store.maxsize(), 3);
    }

    #[test]
    fn timed_waits_end_empty_or_full() {
        let store: Store<u32> = Store::with_empty_slots(1);
        assert_eq!(
            store.put_wait(Some(1), Some(Duration::from_millis(1))),
            Err(Rejected::Full(Some(1)))
        );
        assert_eq!(store.get(true, Some(Duration::from_millis(1))), Ok(None));
        assert_eq!(
            store.get(true, Some(Duration::from_millis(1))),
            Err(StoreError::Empty)
        );
        // A timeout too large to add to the clock waits like no timeout: the entry is there.
        store.put(Some(2)).unwrap();
        assert_eq!(store.get(true, Some(Duration::MAX)), Ok(Some(2)));
    }

    #[test]
    fn a_blocked_get_takes_what_another_thread_puts() {
        let store: Arc<Store<u32>> = Arc::new(Store::new(1));
        let waiter = {
            let store = Arc::clone(&store);
            thread::spawn(move || store.get(true, None))
        };
        store.put(Some(9)).unwrap();
        assert_eq!(waiter.join().unwrap(), Ok(Some(9)));
    }

    #[test]
    fn a_blocked_put_takes_the_room_a_get_makes() {
        let store: Arc<Store<u32>> = Arc::new(Store::new(1));
        store.put(Some(1)).unwrap();
        let putter = {
            let store = Arc::clone(&store);
            thread::spawn(move || store.put_wait(Some(2), None))
        };
        assert_eq!(store.get(true, None), Ok(Some(1)));
        assert_eq!(putter.join().unwrap(), Ok(()));
        assert_eq!(store.get(true, None), Ok(Some(2)));
    }

    #[test]
    fn close_wakes_every_waiter() {
        let empty: Arc<Store<u32>> = Arc::new(Store::new(1));
        let full: Arc<Store<u32>> = Arc::new(Store::with_empty_slots(1));
        let getters: Vec<_> = (0..3)
            .map(|_| {
                let store = Arc::clone(&empty);
                thread::spawn(move || store.get(true, None))
            })
            .collect();
        let putter = {
            let store = Arc::clone(&full);
            thread::spawn(move || store.put_wait(Some(3), None))
        };
        empty.close();
        full.close();
        for getter in getters {
            assert_eq!(getter.join().unwrap(), Err(StoreError::Closed));
        }
        assert_eq!(putter.join().unwrap(), Err(Rejected::Closed(Some(3))));
    }

    #[test]
    fn many_threads_lose_and_duplicate_nothing() {
        let store: Arc<Store<u32>> = Arc::new(Store::new(4));
        let workers: Vec<_> = (0..8u32)
            .map(|t| {
                let store = Arc::clone(&store);
                thread::spawn(move || {
                    for i in 0..200 {
                        store.put_wait(Some(t * 1000 + i), None).unwrap();
                        store.get(true, None).unwrap();
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
        }
        assert!(store.is_empty());
    }
}
