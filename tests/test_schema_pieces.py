"""A large file read in pieces: the next piece parsed while this one is copied
(trialkit.schema.ahead.read_ahead), and the pieces copied into the frame's blocks
(trialkit.schema.frame.Blocks).

Oracles: the plain iteration of the same generator (items, their order, the exception, the
generator's cleanup) and the thread each item was computed in; pyarrow's own
``Table.to_pandas`` of the same pieces for the blocks.
"""

from __future__ import annotations

import threading

import pytest

from trialkit.schema.ahead import read_ahead


class Pieces:
    """A generator of n items that records where and when each item was computed."""

    def __init__(self, n: int, fail_at: int | None = None):
        self.n, self.fail_at = n, fail_at
        self.computed: list[int] = []
        self.threads: list[str] = []
        self.closed = False

    def __iter__(self):
        try:
            for i in range(self.n):
                if i == self.fail_at:
                    raise ValueError(f"piece {i} unreadable")
                self.computed.append(i)
                self.threads.append(threading.current_thread().name)
                yield i
        finally:
            self.closed = True


def test_items_in_order_as_plain_iteration():
    assert list(read_ahead(iter(Pieces(7)))) == list(Pieces(7))
    assert list(read_ahead(iter(Pieces(0)))) == []
    assert list(read_ahead(iter(Pieces(1)))) == [0]


def test_first_item_in_callers_thread_then_one_ahead():
    pieces = Pieces(6)
    ahead = read_ahead(iter(pieces))
    assert next(ahead) == 0
    # The caller holds item 0: nothing else is computed before it asks again (the caller
    # may still change what the rest are computed with).
    assert pieces.computed == [0]
    assert pieces.threads == [threading.current_thread().name]
    for k in range(1, 5):
        assert next(ahead) == k
        # While the caller holds item k, at most item k+1 is computed (one ahead).
        assert pieces.computed[-1] <= k + 1
    assert list(ahead) == [5]
    assert set(pieces.threads[1:]) == {"trialkit-read-ahead"}
    assert pieces.closed


def test_exception_raised_in_caller_at_its_item():
    pieces = Pieces(5, fail_at=3)
    got = []
    with pytest.raises(ValueError, match="piece 3 unreadable"):
        for item in read_ahead(iter(pieces)):
            got.append(item)
    assert got == [0, 1, 2]
    assert pieces.closed


@pytest.mark.parametrize("stop_after", [1, 2, 4])
def test_leaving_early_stops_the_worker_and_closes_the_generator(stop_after):
    pieces = Pieces(100)
    before = {t.name for t in threading.enumerate()}
    ahead = read_ahead(iter(pieces))
    for item in ahead:
        if item + 1 == stop_after:
            break
    ahead.close()
    assert pieces.closed
    assert len(pieces.computed) <= stop_after + 1
    after = {t.name for t in threading.enumerate()}
    assert "trialkit-read-ahead" not in after - before


def test_blocks_past_the_huge_page_threshold_hold_what_arrow_had():
    """Blocks of >= 4 MB live in an anonymous mmap (frame._empty): the frame must hold
    exactly the Arrow table's values, stay writable, and be freed with the frame.
    Oracle: pyarrow's own Table.to_pandas."""
    import gc
    import mmap
    import weakref

    import numpy as np
    import pyarrow as pa

    from trialkit.schema import frame as fr

    n = 700_000  # 5.6 MB per float64 column
    rng = np.random.default_rng(3)
    table = pa.table({
        "x": rng.normal(size=n),
        "flag": rng.integers(0, 2, n),
        "y": pa.array(np.where(rng.random(n) < 0.1, np.nan, rng.random(n)), from_pandas=True),
    })  # fmt: skip
    expected = table.to_pandas()
    def root(a):
        while isinstance(a, np.ndarray) and a.base is not None:
            a = a.base
        return a.obj if isinstance(a, memoryview) else a

    blocks = fr.Blocks(table.schema, n + 10)
    assert isinstance(root(blocks.f), mmap.mmap)
    blocks.add(table.slice(0, n // 2))
    blocks.add(table.slice(n // 2))
    got = blocks.frame()
    assert got.equals(expected)
    got.loc[0, "x"] = 1.5  # writable in place
    assert got.loc[0, "x"] == 1.5
    ref = weakref.ref(root(blocks.f))
    del blocks, got
    gc.collect()
    assert ref() is None  # the mapping goes with the frame
    assert fr._empty((2, 3), np.int64).shape == (2, 3)  # small blocks: plain numpy


def test_text_pieces_united_as_pyarrow_unites_them():
    """Dictionary-encoded text over pieces whose dictionaries overlap, with missing cells
    and a null inside a dictionary: the same values and the same category order as
    ``pyarrow.chunked_array(pieces).to_pandas()`` (first appearance over the pieces)."""
    import pyarrow as pa

    from trialkit.schema import frame as fr

    kind = pa.dictionary(pa.int32(), pa.string())
    pieces = [
        pa.array(["P2", "P2", "P1", None, "P3"]).dictionary_encode(),
        pa.array(["P3", "P4", "P4", None]).dictionary_encode(),
        pa.DictionaryArray.from_arrays(
            pa.array([0, 1, 2, 1, None], pa.int32()), pa.array(["P5", None, "P1"])
        ),
        pa.array(["P6"] * 3).dictionary_encode(),
    ]
    schema = pa.schema([("patient_id", kind), ("x", pa.float64())])
    blocks = fr.Blocks(schema, 4)  # grows past its first capacity
    for i, piece in enumerate(pieces):
        blocks.add(pa.table([piece, pa.array([float(i)] * len(piece))], schema=schema))
    got = blocks.frame()["patient_id"]
    # Brute force: each piece decoded, categories in order of first appearance.
    decoded = [v for piece in pieces for v in piece.to_pylist()]
    assert [None if v != v else v for v in got.tolist()] == decoded
    assert got.cat.categories.tolist() == list(dict.fromkeys(v for v in decoded if v))
    assert got.cat.categories.tolist() == ["P2", "P1", "P3", "P4", "P5", "P6"]
    # pyarrow itself (it cannot unite a dictionary holding a null: the other pieces).
    plain = [p for i, p in enumerate(pieces) if i != 2]
    blocks = fr.Blocks(schema, 100)
    for piece in plain:
        blocks.add(pa.table([piece, pa.array([0.0] * len(piece))], schema=schema))
    got = blocks.frame()["patient_id"]
    expected = pa.chunked_array(plain, kind).to_pandas()
    assert got.equals(expected)
    assert got.cat.categories.tolist() == expected.cat.categories.tolist()
    assert got.cat.codes.dtype == expected.cat.codes.dtype
