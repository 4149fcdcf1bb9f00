"""RecentlyUsedContainer answers a repeated read of its youngest entry without a lookup
(a manager reads its pool so on every request): what it answers, and what it drops, must be
what a lookup would give."""

from __future__ import annotations

from urllib3._collections import RecentlyUsedContainer


def test_reading_the_youngest_entry_again_keeps_the_order() -> None:
    disposed: list[str] = []
    pools = RecentlyUsedContainer[tuple[str, int], str](2, dispose_func=disposed.append)
    a, b, c = ("a", 1), ("b", 2), ("c", 3)
    pools[a] = "pool a"
    pools[b] = "pool b"
    assert pools.get(a) == "pool a"  # a is now the youngest, b the oldest
    assert pools.get(a) == "pool a"
    pools[c] = "pool c"
    assert disposed == ["pool b"]
    assert pools.get(b) is None
    assert pools.get(a) == "pool a"


def test_an_entry_gone_is_not_answered() -> None:
    pools = RecentlyUsedContainer[tuple[str, int], str](3)
    key = ("a", 1)
    pools[key] = "pool a"
    assert pools.get(key) == "pool a"
    del pools[key]
    assert pools.get(key) is None
    pools[key] = "pool a"
    assert pools.get(key) == "pool a"
    pools.clear()
    assert pools.get(key, "none") == "none"


def test_a_replaced_entry_answers_its_new_value() -> None:
    disposed: list[str] = []
    pools = RecentlyUsedContainer[tuple[str, int], str](3, dispose_func=disposed.append)
    key = ("a", 1)
    pools[key] = "old"
    assert pools[key] == "old"
    pools[key] = "new"
    assert pools.get(key) == "new"
    assert disposed == ["old"]


def test_a_container_that_keeps_nothing_answers_nothing() -> None:
    disposed: list[str] = []
    pools = RecentlyUsedContainer[tuple[str, int], str](0, dispose_func=disposed.append)
    key = ("a", 1)
    pools[key] = "pool a"
    assert pools.get(key) is None
    assert disposed == ["pool a"]


def test_an_equal_key_that_is_another_object_is_looked_up() -> None:
    pools = RecentlyUsedContainer[tuple[str, int], str](2)
    pools[("a", 1)] = "pool a"
    pools[("b", 2)] = "pool b"
    older = tuple(["a", 1])  # equal to the first key, not the same object
    assert pools.get(older) == "pool a"
    pools[("c", 3)] = "pool c"  # b, not a, was the least recently used
    assert pools.get(("b", 2)) is None
    assert pools.get(older) == "pool a"
