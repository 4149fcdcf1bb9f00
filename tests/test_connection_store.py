"""`urllib3._rs.ConnectionStore`: the core's connection store with `queue.LifoQueue`'s surface."""

from __future__ import annotations

import queue
import random
import signal
import threading
import typing

import pytest

from urllib3._rs import ConnectionStore

#: A bound on joins, so that a broken wake-up fails the test instead of hanging it. Never
#: reached when things work: the threads are woken by what the test does, not by the clock.
JOIN = 30.0


def join(thread: threading.Thread) -> None:
    thread.join(JOIN)
    assert not thread.is_alive(), "the thread is still blocked"


def test_get_returns_the_most_recently_put_entry() -> None:
    store = ConnectionStore(3)
    for item in ("a", "b", "c"):
        store.put(item)
    assert [store.get(), store.get(), store.get()] == ["c", "b", "a"]


def test_none_is_an_entry_like_any_other() -> None:
    # urllib3 fills its pool with None placeholders: each counts and comes back as None.
    store = ConnectionStore(2)
    store.put(None)
    store.put(None)
    assert (store.qsize(), store.full(), store.empty()) == (2, True, False)
    assert store.get_nowait() is None
    store.put("conn")
    assert store.get_nowait() == "conn"
    assert store.get_nowait() is None
    assert store.empty()


def test_any_object_comes_back_as_itself() -> None:
    store = ConnectionStore(0)
    for item in (object(), 0, "", [], b"", False):
        store.put(item)
        assert store.get() is item


def test_queue_lists_the_entries_bottom_first() -> None:
    store = ConnectionStore(4)
    for item in (None, None, "a", "b"):
        store.put(item)
    assert store.queue == [None, None, "a", "b"]
    view = store.queue
    view.clear()  # a copy: the store keeps its entries
    assert store.qsize() == 4
    assert store.get() == "b"
    assert store.queue == [None, None, "a"]


def test_maxsize_is_kept_as_given_and_zero_or_less_is_unbounded() -> None:
    assert ConnectionStore().maxsize == 0
    assert ConnectionStore(5).maxsize == 5
    for maxsize in (0, -1):
        store = ConnectionStore(maxsize)
        assert store.maxsize == maxsize
        for i in range(100):
            store.put_nowait(i)
        assert (store.qsize(), store.full()) == (100, False)


@pytest.mark.parametrize(
    "get",
    [
        lambda s: s.get_nowait(),
        lambda s: s.get(block=False),
        lambda s: s.get(False, 5),
        lambda s: s.get(block=0),
        lambda s: s.get(timeout=0),
        lambda s: s.get(timeout=0.001),
        lambda s: s.get(True, 0.001),
    ],
    ids=["nowait", "block=False", "block=False with timeout", "block=0", "timeout=0", "timeout", "positional"],
)
def test_an_empty_store_raises_queue_empty(get: typing.Callable[[ConnectionStore], object]) -> None:
    store = ConnectionStore(1)
    with pytest.raises(queue.Empty):
        get(store)


@pytest.mark.parametrize(
    "put",
    [
        lambda s: s.put_nowait("x"),
        lambda s: s.put("x", block=False),
        lambda s: s.put("x", False, 5),
        lambda s: s.put("x", block=None),
        lambda s: s.put("x", timeout=0),
        lambda s: s.put("x", timeout=0.001),
        lambda s: s.put(None, True, 0.001),
    ],
    ids=["nowait", "block=False", "block=False with timeout", "block=None", "timeout=0", "timeout", "positional"],
)
def test_a_full_store_raises_queue_full(put: typing.Callable[[ConnectionStore], object]) -> None:
    store = ConnectionStore(1)
    store.put("in")
    with pytest.raises(queue.Full):
        put(store)
    assert store.queue == ["in"]


def test_a_negative_timeout_is_refused_where_queue_refuses_it() -> None:
    store = ConnectionStore(1)
    store.put("a")
    message = "'timeout' must be a non-negative number"
    # A blocking get checks before looking for an entry; a non-blocking one ignores it.
    with pytest.raises(ValueError, match=message):
        store.get(timeout=-1)
    assert store.get(block=False, timeout=-1) == "a"
    with pytest.raises(ValueError, match=message):
        store.put("b", timeout=-0.5)
    # An unbounded store never waits to put, so it never looks at the timeout.
    ConnectionStore(0).put("b", timeout=-1)


def test_a_blocked_get_is_woken_by_a_put_from_another_thread() -> None:
    store = ConnectionStore(1)
    got: list[object] = []
    waiting = threading.Event()

    def consumer() -> None:
        waiting.set()
        got.append(store.get())

    thread = threading.Thread(target=consumer)
    thread.start()
    waiting.wait()
    # The consumer waits without the GIL: this thread can run and put.
    store.put("conn")
    join(thread)
    assert got == ["conn"]
    assert store.empty()


def test_a_blocked_get_with_a_timeout_is_woken_too() -> None:
    store = ConnectionStore(1)
    got: list[object] = []
    waiting = threading.Event()

    def consumer() -> None:
        waiting.set()
        got.append(store.get(timeout=JOIN))

    thread = threading.Thread(target=consumer)
    thread.start()
    waiting.wait()
    store.put(None)
    join(thread)
    assert got == [None]


def test_a_blocked_put_is_woken_by_a_get_from_another_thread() -> None:
    store = ConnectionStore(1)
    store.put("first")
    waiting = threading.Event()

    def producer() -> None:
        waiting.set()
        store.put("second")

    thread = threading.Thread(target=producer)
    thread.start()
    waiting.wait()
    assert store.get() == "first"
    join(thread)
    assert store.queue == ["second"]


def test_each_waiting_get_receives_one_entry() -> None:
    store = ConnectionStore(0)
    got: list[object] = []
    lock = threading.Lock()
    ready = threading.Barrier(5)

    def consumer() -> None:
        ready.wait()
        item = store.get()
        with lock:
            got.append(item)

    threads = [threading.Thread(target=consumer) for _ in range(4)]
    for thread in threads:
        thread.start()
    ready.wait()
    for i in range(4):
        store.put(i)
    for thread in threads:
        join(thread)
    assert sorted(got) == [0, 1, 2, 3]
    assert store.empty()


def test_many_threads_lose_and_duplicate_nothing() -> None:
    store = ConnectionStore(4)
    for _ in range(4):
        store.put(None)
    seen: list[object] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        for i in range(300):
            item = store.get()
            with lock:
                seen.append(item)
            store.put(item if i % 3 else (n, i))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        join(thread)
    assert store.qsize() == 4
    assert len(seen) == 8 * 300


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs pthread_kill")
def test_a_signal_handler_interrupts_a_blocked_get() -> None:
    class Interrupted(Exception):
        pass

    def handler(signum: int, frame: object) -> None:
        raise Interrupted

    store = ConnectionStore(1)
    main = threading.get_ident()
    about_to_wait = threading.Event()

    def interrupt() -> None:
        about_to_wait.wait()
        signal.pthread_kill(main, signal.SIGUSR1)

    previous = signal.signal(signal.SIGUSR1, handler)
    thread = threading.Thread(target=interrupt)
    try:
        thread.start()
        with pytest.raises(Interrupted):
            about_to_wait.set()
            # Without signal checks this would end in queue.Empty after JOIN seconds.
            store.get(timeout=JOIN)
    finally:
        join(thread)
        signal.signal(signal.SIGUSR1, previous)


# The comparison with queue.LifoQueue: every operation, by name, returning what the call returned
# or the class of what it raised.
OPS: dict[str, typing.Callable[[typing.Any], object]] = {
    "get(block=False)": lambda q: q.get(block=False),
    "get_nowait()": lambda q: q.get_nowait(),
    "get(timeout=0)": lambda q: q.get(timeout=0),
    "get(timeout=0.001)": lambda q: q.get(timeout=0.001),
    "get(timeout=-1)": lambda q: q.get(timeout=-1),
    "get(False, -1)": lambda q: q.get(False, -1),
    "put(None, block=False)": lambda q: q.put(None, block=False),
    "put_nowait(None)": lambda q: q.put_nowait(None),
    "put_nowait(1)": lambda q: q.put_nowait(1),
    "put_nowait(2)": lambda q: q.put_nowait(2),
    "put(x, timeout=0)": lambda q: q.put("x", timeout=0),
    "put(y, timeout=0.001)": lambda q: q.put("y", timeout=0.001),
    "put(z, timeout=-1)": lambda q: q.put("z", timeout=-1),
    "qsize()": lambda q: q.qsize(),
    "empty()": lambda q: q.empty(),
    "full()": lambda q: q.full(),
    "maxsize": lambda q: q.maxsize,
    "queue": lambda q: list(q.queue),
}

#: How urllib3 starts a pool of three and runs a request, then the edges.
SCRIPT = [
    "put(None, block=False)",
    "put(None, block=False)",
    "put(None, block=False)",
    "get(block=False)",
    "put_nowait(1)",
    "queue",
    "put(y, timeout=0.001)",
    "put(z, timeout=-1)",
    "get(timeout=-1)",
]


def outcome(name: str, q: typing.Any) -> object:
    try:
        return ("returned", OPS[name](q))
    except Exception as e:  # noqa: BLE001 (the class is what is compared)
        return ("raised", type(e))


@pytest.mark.parametrize("maxsize", [0, 1, 3, -2])
def test_behaves_as_queue_lifoqueue_over_a_scripted_sequence(maxsize: int) -> None:
    # The fixed script, then a long seeded random one.
    rng = random.Random(maxsize)
    script = SCRIPT + [rng.choice(list(OPS)) for _ in range(300)]
    ours, stdlib = ConnectionStore(maxsize), queue.LifoQueue(maxsize)
    for step, name in enumerate(script):
        assert outcome(name, ours) == outcome(name, stdlib), f"step {step}: {name}"
        state = (ours.qsize(), ours.empty(), ours.full(), list(ours.queue))
        assert state == (stdlib.qsize(), stdlib.empty(), stdlib.full(), list(stdlib.queue)), step
