"""Store methods that are a repository's: the store composes its repositories and hands each
call to the one that owns it, so callers keep one object and each repository keeps one job."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


def delegate(
    part: str, method: Callable[Concatenate[Any, P], T]
) -> Callable[Concatenate[Any, P], T]:
    """A method that calls ``method`` on the repository held in the attribute ``part``; its
    signature and docstring are ``method``'s, for the type checker and for readers."""
    name = method.__name__

    @functools.wraps(method)
    def call(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return getattr(getattr(self, part), name)(*args, **kwargs)  # type: ignore[no-any-return]

    return call
