"""Containers: the case-insensitive multi-valued ``HTTPHeaderDict`` and the LRU
``RecentlyUsedContainer`` that PoolManager keeps its pools in."""

from __future__ import annotations

import typing
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from enum import Enum, auto
from threading import RLock

if typing.TYPE_CHECKING:
    from typing import Protocol

    from typing_extensions import Self

    class HasGettableStringKeys(Protocol):
        def keys(self) -> typing.Iterator[str]: ...

        def __getitem__(self, key: str) -> str: ...


__all__ = ["RecentlyUsedContainer", "HTTPHeaderDict"]

_KT = typing.TypeVar("_KT")
_VT = typing.TypeVar("_VT")
_DT = typing.TypeVar("_DT")

ValidHTTPHeaderSource = typing.Union[
    "HTTPHeaderDict",
    typing.Mapping[str, str],
    typing.Iterable[tuple[str, str]],
    "HasGettableStringKeys",
]


class _Sentinel(Enum):
    not_passed = auto()


def ensure_can_construct_http_header_dict(
    potential: object,
) -> ValidHTTPHeaderSource | None:
    """Returns ``potential`` if an HTTPHeaderDict can be built from it, else None.

    Only the container's shape is checked, not its items: checking every pair would cost
    as much as building the dict."""
    if isinstance(potential, (HTTPHeaderDict, Mapping, Iterable)):
        return typing.cast(ValidHTTPHeaderSource, potential)
    if hasattr(potential, "keys") and hasattr(potential, "__getitem__"):
        return typing.cast("HasGettableStringKeys", potential)
    return None


def _native_name(key: str | bytes) -> str:
    """A header name as str: bytes are decoded as latin-1, as http.client does."""
    return key.decode("latin-1") if isinstance(key, bytes) else key


def _header_pairs(source: ValidHTTPHeaderSource) -> typing.Iterable[tuple[str, str]]:
    """Every ``(name, value)`` of a header source, one per value (repeats included)."""
    # collections.abc rather than typing: typing's aliases make every check several calls.
    if isinstance(source, HTTPHeaderDict):
        return source.iteritems()
    if isinstance(source, Mapping):
        return source.items()
    if isinstance(source, Iterable):
        return source
    if hasattr(source, "keys") and hasattr(source, "__getitem__"):
        # Duck-typed: something with keys() and [] that is not a Mapping.
        return ((name, source[name]) for name in source.keys())
    return ()


class RecentlyUsedContainer(typing.Generic[_KT, _VT], typing.MutableMapping[_KT, _VT]):
    """A thread-safe mapping that keeps at most ``maxsize`` entries, dropping the least
    recently used; ``dispose_func(value)`` is called for every value dropped, deleted or
    cleared (outside the lock, since disposing may be slow, e.g. closing a pool)."""

    _container: typing.OrderedDict[_KT, _VT]
    _maxsize: int
    dispose_func: typing.Callable[[_VT], None] | None
    lock: RLock
    # The youngest entry, as last set or read: asked for again by the same key object, it is
    # already where a read would move it, and a manager does so on every request (a pool key
    # is a long tuple, slow to hash). Whatever removes or adds an entry resets it.
    _youngest: tuple[_KT, _VT] | None

    def __init__(
        self,
        maxsize: int = 10,
        dispose_func: typing.Callable[[_VT], None] | None = None,
    ) -> None:
        super().__init__()
        self._maxsize = maxsize
        self.dispose_func = dispose_func
        self._container = OrderedDict()
        self.lock = RLock()
        self._youngest = None

    def __getitem__(self, key: _KT) -> _VT:
        with self.lock:
            item = self._container[key]
            # A read counts as a use: move to the young end.
            self._container.move_to_end(key)
            self._youngest = (key, item)
            return item

    # Mapping.get's signatures, which urllib3's container inherits.
    @typing.overload
    def get(self, key: _KT) -> _VT | None: ...

    @typing.overload
    def get(self, key: _KT, default: _VT) -> _VT: ...

    @typing.overload
    def get(self, key: _KT, default: _DT) -> _VT | _DT: ...

    def get(self, key: _KT, default: typing.Any = None) -> typing.Any:
        # Direct, rather than Mapping.get around __getitem__: a manager looks its pool up so
        # on every request.
        youngest = self._youngest
        if youngest is not None and youngest[0] is key:
            return youngest[1]
        with self.lock:
            if key not in self._container:
                return default
            return self[key]

    def __setitem__(self, key: _KT, value: _VT) -> None:
        evicted: tuple[_VT] | None = None
        with self.lock:
            container = self._container
            if key in container:
                # Replacing: the old value goes to dispose_func, the size is unchanged.
                evicted = (container.pop(key),)
                container[key] = value
            else:
                # Insert first, then trim, so that maxsize=0 keeps nothing.
                container[key] = value
                if len(container) > self._maxsize:
                    evicted = (container.popitem(last=False)[1],)
            self._youngest = (key, value) if key in container else None
        if evicted is not None and self.dispose_func:
            self.dispose_func(evicted[0])

    def __delitem__(self, key: _KT) -> None:
        with self.lock:
            value = self._container.pop(key)
            self._youngest = None
        if self.dispose_func:
            self.dispose_func(value)

    def __len__(self) -> int:
        with self.lock:
            return len(self._container)

    def __iter__(self) -> typing.NoReturn:
        raise NotImplementedError("Iteration over this class is unlikely to be threadsafe.")

    def clear(self) -> None:
        with self.lock:
            values = list(self._container.values())
            self._container.clear()
            self._youngest = None
        if self.dispose_func:
            for value in values:
                self.dispose_func(value)

    def keys(self) -> set[_KT]:  # type: ignore[override]
        with self.lock:
            return set(self._container.keys())


class HTTPHeaderDictItemView(set[tuple[str, str]]):
    """``HTTPHeaderDict.items()``: one ``(name, value)`` pair per header line, duplicates
    included, in first-insertion order of the names.  (Indexing the dict instead gives all
    values of a name joined with ", ".)"""

    _headers: HTTPHeaderDict

    def __init__(self, headers: HTTPHeaderDict) -> None:
        self._headers = headers

    def __len__(self) -> int:
        return sum(len(vals) - 1 for vals in self._headers._container.values())

    def __iter__(self) -> typing.Iterator[tuple[str, str]]:
        return self._headers.iteritems()

    def __contains__(self, item: object) -> bool:
        if isinstance(item, tuple) and len(item) == 2:
            name, value = item
            if isinstance(name, str) and isinstance(value, str):
                return self._headers._has_value_for_header(name, value)
        return False


class HTTPHeaderDict(typing.MutableMapping[str, str]):
    """A dict of HTTP header fields: names compare case-insensitively (RFC 9110) but keep
    the case they were first given in; a name can hold several values.

    ``d[name] = value`` replaces every value of ``name``; ``d.add(name, value)`` appends
    one.  ``d[name]`` returns the values joined with ", "; ``getlist`` returns them apart.
    Bytes names are decoded as latin-1, as http.client does.

    >>> h = HTTPHeaderDict()
    >>> h.add('Set-Cookie', 'a=1')
    >>> h.add('set-cookie', 'b=2')
    >>> h['SET-COOKIE']
    'a=1, b=2'
    """

    # lowercased name -> [name as first given, value, value, ...]; one list per name keeps
    # lookups a single dict access and items() a flat walk.
    _container: typing.MutableMapping[str, list[str]]

    def __init__(self, headers: ValidHTTPHeaderSource | None = None, **kwargs: str):
        super().__init__()
        self._container = {}
        if headers is not None:
            if isinstance(headers, HTTPHeaderDict):
                self._copy_from(headers)
            else:
                self.extend(headers)
        if kwargs:
            self.extend(kwargs)

    @classmethod
    def _from_pairs(cls, pairs: typing.Iterable[tuple[str, str]]) -> HTTPHeaderDict:
        """The fields of a parsed response head (str names and values, in order), without
        the type checks of ``extend``: one response makes one of these."""
        headers = cls()
        container = headers._container
        for name, value in pairs:
            container.setdefault(name.lower(), [name]).append(value)
        return headers

    @classmethod
    def _from_lists(cls, lists: dict[str, list[str]]) -> HTTPHeaderDict:
        """A dict around a ready container (lower-cased name to ``[name, value, ...]``), as
        the core hands a response's headers over."""
        headers = cls.__new__(cls)
        headers._container = lists
        return headers

    def __setitem__(self, key: str, val: str) -> None:
        key = _native_name(key)
        self._container[key.lower()] = [key, val]

    def __getitem__(self, key: str) -> str:
        key = _native_name(key)
        vals = self._container[key.lower()]
        # Single-valued is the usual case: skip the join.
        return vals[1] if len(vals) == 2 else ", ".join(vals[1:])

    def __delitem__(self, key: str) -> None:
        key = _native_name(key)
        del self._container[key.lower()]

    def __contains__(self, key: object) -> bool:
        if isinstance(key, bytes):
            key = key.decode("latin-1")
        if isinstance(key, str):
            return key.lower() in self._container
        return False

    # Mapping.get's signatures, which urllib3's HTTPHeaderDict inherits.
    @typing.overload
    def get(self, key: str) -> str | None: ...

    @typing.overload
    def get(self, key: str, default: str) -> str: ...

    @typing.overload
    def get(self, key: str, default: _DT) -> str | _DT: ...

    def get(self, key: str, default: typing.Any = None) -> typing.Any:
        # Direct, rather than Mapping.get's try/except around __getitem__: it is on every request.
        key = _native_name(key)
        vals = self._container.get(key.lower())
        if vals is None:
            return default
        return vals[1] if len(vals) == 2 else ", ".join(vals[1:])

    def setdefault(self, key: str, default: str = "") -> str:
        if key in self:
            return self[key]
        self[key] = default
        return default

    def __eq__(self, other: object) -> bool:
        if isinstance(other, HTTPHeaderDict):
            other_dict = other
        else:
            source = ensure_can_construct_http_header_dict(other)
            if source is None:
                return False
            other_dict = type(self)(source)
        return self._merged_lower() == other_dict._merged_lower()

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def _merged_lower(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.itermerged()}

    def __len__(self) -> int:
        return len(self._container)

    def __iter__(self) -> typing.Iterator[str]:
        # The names in the case first given.
        for vals in self._container.values():
            yield vals[0]

    def discard(self, key: str) -> None:
        try:
            del self[key]
        except KeyError:
            pass

    def add(self, key: str, val: str, *, combine: bool = False) -> None:
        """Adds a value for ``key`` and keeps those already there.

        With ``combine=True`` the value is appended to the last existing value with ", "
        (so it stays one line in ``items()``) instead of becoming a line of its own; with
        no existing value, ``combine`` makes no difference.

        >>> h = HTTPHeaderDict(foo='bar')
        >>> h.add('Foo', 'baz')
        >>> list(h.items())
        [('foo', 'bar'), ('foo', 'baz')]
        >>> h.add('foo', 'quz', combine=True)
        >>> list(h.items())
        [('foo', 'bar'), ('foo', 'baz, quz')]
        """
        name = _native_name(key)
        folded = name.lower()
        existing = self._container.get(folded)
        if existing is None:
            self._container[folded] = [name, val]
        elif combine:
            # Folded into the last line rather than starting a new one.
            existing[-1] = ", ".join((existing[-1], val))
        else:
            existing.append(val)

    def extend(self, *args: ValidHTTPHeaderSource, **kwargs: str) -> None:
        """Adds (with ``add``, never replacing) every field of a header dict, mapping,
        iterable of pairs or keys()/[] object, then the keyword arguments."""
        if len(args) > 1:
            raise TypeError(
                f"extend() takes at most 1 positional arguments ({len(args)} given)"
            )
        sources: list[typing.Iterable[tuple[str, str]]] = [_header_pairs(a) for a in args]
        sources.append(kwargs.items())
        for pairs in sources:
            for name, value in pairs:
                self.add(name, value)

    @typing.overload
    def getlist(self, key: str) -> list[str]: ...

    @typing.overload
    def getlist(self, key: str, default: _DT) -> list[str] | _DT: ...

    def getlist(
        self, key: str, default: _Sentinel | _DT = _Sentinel.not_passed
    ) -> list[str] | _DT:
        """All values of ``key`` as a new list: ``[]`` (or ``default``) when absent."""
        key = _native_name(key)
        vals = self._container.get(key.lower())
        if vals is None:
            return [] if default is _Sentinel.not_passed else default
        return vals[1:]

    def _prepare_for_method_change(self) -> Self:
        """Drops the fields that describe a request body, for a redirect that turns the
        request into a GET/HEAD without one (RFC 9110, 15.4).  Transfer-Encoding goes too:
        it would frame a body that is no longer sent."""
        for header in (
            "Content-Encoding",
            "Content-Language",
            "Content-Location",
            "Content-Type",
            "Content-Length",
            "Digest",
            "Last-Modified",
            "Transfer-Encoding",
        ):
            self.discard(header)
        return self

    # Names other libraries look for: http.client's message API and http.cookiejar.
    getheaders = getlist
    getallmatchingheaders = getlist
    iget = getlist
    get_all = getlist

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict(self.itermerged())})"

    def _copy_from(self, other: HTTPHeaderDict) -> None:
        container = self._container
        for vals in other._container.values():
            # A new list each: the copy must not share value lists with the source.
            container[vals[0].lower()] = list(vals)

    def copy(self) -> Self:
        clone = type(self)()
        clone._copy_from(self)
        return clone

    def iteritems(self) -> typing.Iterator[tuple[str, str]]:
        """Every header line, duplicates included."""
        for vals in self._container.values():
            name = vals[0]
            for val in vals[1:]:
                yield name, val

    def itermerged(self) -> typing.Iterator[tuple[str, str]]:
        """One pair per name, its values joined with ", "."""
        for vals in self._container.values():
            yield vals[0], vals[1] if len(vals) == 2 else ", ".join(vals[1:])

    def items(self) -> HTTPHeaderDictItemView:  # type: ignore[override]
        return HTTPHeaderDictItemView(self)

    def _has_value_for_header(self, header_name: str, potential_value: str) -> bool:
        vals = self._container.get(header_name.lower())
        return vals is not None and potential_value in vals[1:]

    def __ior__(self, other: object) -> HTTPHeaderDict:
        # |= extends (adds), unlike dict's |= which replaces.
        source = ensure_can_construct_http_header_dict(other)
        if source is None:
            return NotImplemented
        self.extend(source)
        return self

    def __or__(self, other: object) -> Self:
        source = ensure_can_construct_http_header_dict(other)
        if source is None:
            return NotImplemented
        result = self.copy()
        result.extend(source)
        return result

    def __ror__(self, other: object) -> Self:
        source = ensure_can_construct_http_header_dict(other)
        if source is None:
            return NotImplemented
        result = type(self)(source)
        result.extend(self)
        return result
