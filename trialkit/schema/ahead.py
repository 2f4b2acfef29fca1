"""An iterator whose next item is computed in a thread while the caller works on this one.

A large file is read in pieces: pyarrow parses a piece (C++, the GIL released), then the
caller copies it into the frame's blocks (numpy, the GIL released; on a fresh frame mostly
the kernel's first-touch page faults). Done one after the other, the two add up; with the
next piece parsed while this one is copied, the copy hides behind the parse.

At most one item is computed ahead, so memory holds the caller's item and the next, never
more. The first item is computed by the caller itself: the caller may set what later
items are computed with (the first piece's column types) before the thread starts.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_END = object()


def read_ahead(items: Iterable[T]) -> Iterator[T]:
    """The items of ``items`` in order, each next one computed in a thread meanwhile.

    Parameters
    ----------
    items : iterable
        Computed lazily (a generator). From the second item on it is advanced in one
        worker thread, one item ahead of the caller; the first is computed in the caller's
        thread, when asked for.

    Yields
    ------
    The items, in order. An exception raised while computing an item is raised in the
    caller's thread when that item is asked for. Closing the iterator early (``break``,
    ``return``, garbage collection) stops the worker after the item it is computing and
    closes ``items``.

    Examples
    --------
    >>> list(read_ahead(x * x for x in range(5)))
    [0, 1, 4, 9, 16]
    """
    it = iter(items)
    try:
        first = next(it)
    except StopIteration:
        return
    try:
        yield first
    except GeneratorExit:  # closed before the thread started
        close = getattr(it, "close", None)
        if close is not None:
            close()
        raise
    asks: queue.Queue[bool] = queue.Queue()
    results: queue.Queue[tuple[object, BaseException | None]] = queue.Queue()

    def work() -> None:
        # One item per ask: the caller asks for item k+1 as it takes item k.
        try:
            while asks.get():
                try:
                    item = next(it)
                except StopIteration:
                    results.put((_END, None))
                    return
                except BaseException as exc:  # handed to the caller, raised there
                    results.put((_END, exc))
                    return
                results.put((item, None))
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()  # in the thread that ran the generator

    worker = threading.Thread(target=work, name="trialkit-read-ahead", daemon=True)
    asks.put(True)
    worker.start()
    try:
        while True:
            item, exc = results.get()
            if exc is not None:
                raise exc
            if item is _END:
                return
            asks.put(True)  # the next one is computed while the caller uses this one
            yield item  # type: ignore[misc]
    finally:
        asks.put(False)
        worker.join()
