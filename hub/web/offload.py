"""Work too heavy for the event loop (spreadsheet imports, label PDFs) runs on a small pool of
threads of its own: the loop keeps answering every other request meanwhile, and a few large
jobs at once wait for each other instead of taking the threads the other routes are served
from."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
WORKERS = 2
_pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="cagekeeper-heavy")


async def run(job: Callable[[], T]) -> T:
    """``job()``'s result, computed on the heavy-work pool."""
    return await asyncio.wrap_future(_pool.submit(job))
