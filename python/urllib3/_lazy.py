"""Names a package hands out on first use (PEP 562), so that importing it stays cheap."""

from __future__ import annotations

import importlib
import sys
import typing


def first_use(package: str, names: dict[str, str], submodules: frozenset[str]) -> typing.Callable[[str], typing.Any]:
    """A module ``__getattr__`` for ``package``: each of ``names`` is taken from the submodule
    it maps to, imported then and kept in the package (later lookups do not come here); each of
    ``submodules`` is imported when asked for as an attribute, as an eager import would have
    made it one."""
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> typing.Any:
        if name in submodules:
            return importlib.import_module(f"{package}.{name}")
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    return __getattr__
