"""From an Arrow table to the pandas frame the checks run on, with consolidated blocks.

The clinical values of a table go into one float64 block and its whole-number columns
(flags, days) into one int64 block, written column by column from Arrow and each Arrow
column released as soon as it is copied: peak memory is the table plus one column, not
two tables. Text cells are screened in Arrow first (C++, the distinct ids only for
``patient_id``): control characters and line breaks inside values.
"""

from __future__ import annotations

import mmap
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from trialkit.schema.columns import _TEXT_KINDS, ColumnDef
from trialkit.schema.messages import (
    _BREAK_RULE,
    _CONTROL_RULE,
    _FREE_TEXT_BREAK_RULE,
    _char_names,
    _problem,
)
from trialkit.schema.source import CsvSource, Source


def _memory_pool() -> pa.MemoryPool:
    """The Arrow memory pool for reading: jemalloc set to hand freed memory back at once.

    Arrow's default pool (mimalloc) keeps freed pages for reuse, so the memory of each
    Arrow column copied into a pandas block stayed in the process: 10^6 rows peaked 40%
    higher. Only trialkit's reads use this pool (jemalloc is not Arrow's default).
    """
    try:
        pool = pa.jemalloc_memory_pool()
        pa.jemalloc_set_decay_ms(0)
    except NotImplementedError:  # a pyarrow built without jemalloc
        pool = pa.system_memory_pool()
    return pool


POOL = _memory_pool()
_PLAIN_BELOW = 4 << 20  # bytes: numpy's own threshold for asking for huge pages


def _empty(shape: tuple[int, int], dtype: type) -> np.ndarray:
    """An uninitialised array for a block, in memory the kernel maps with ordinary pages.

    numpy asks for transparent huge pages on every allocation of 4 MB or more
    (``madvise``). Where the kernel must compact memory to find them (``defrag`` set to
    ``madvise``, as on the 2-core machine of ``benchmarks/``), writing a fresh 1.28 GB array
    took 1.6-4.0 s with them against 0.6-1.4 s without (five fresh processes each,
    2026-12-02). A block is written once, column by column, and then read in long runs,
    where huge pages gain little. An anonymous ``mmap`` is not advised, so it gets the
    system's default: huge pages still where they are enabled for all memory.
    """
    nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
    if nbytes < _PLAIN_BELOW:
        return np.empty(shape, dtype=dtype)
    # The array keeps the mapping alive; the memory is unmapped when the block is freed.
    return np.frombuffer(mmap.mmap(-1, nbytes), dtype=dtype).reshape(shape)

_WHOLE_KINDS = frozenset({"flag", "day"})
_DICT_TEXT = pa.dictionary(pa.int32(), pa.string())  # kept as int64 when read so (no missing cell)
_CONTROL_RE2 = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_BREAK_RE2 = r"[\r\n]"
_ODD_RE2 = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\r\n]"  # either of the two above


def _is_number_type(t: pa.DataType) -> bool:
    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)


def _is_text_type(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        return _is_text_type(t.value_type)
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def _column_type(d: ColumnDef | None, col: pa.ChunkedArray) -> pa.DataType | None:
    """The Arrow type a column is cast to before it becomes a pandas column (None: as is).

    Numbers become float64; 0/1 flags and days stay int64 when read as whole numbers with
    no missing cell (the contract's int64 for flags; days become nullable Int64 later).
    Text stays text: a number column read as text holds cells to report.
    """
    t = col.type
    if d is not None and d.kind in _TEXT_KINDS:
        if d.kind == "date" and (pa.types.is_timestamp(t) or pa.types.is_date(t)):
            return pa.timestamp("ns")
        # Text is dictionary-encoded: pandas then makes one str object per distinct value
        # (a categorical), not one per row.
        return None if pa.types.is_dictionary(t) and _is_text_type(t) else _DICT_TEXT
    if pa.types.is_boolean(t):
        # Parquet may store a 0/1 flag as a boolean; elsewhere true/false is not a number.
        return pa.int64() if d is not None and d.kind == "flag" else pa.string()
    if _is_text_type(t):
        return pa.string() if pa.types.is_dictionary(t) else None
    if pa.types.is_null(t):
        return pa.float64()
    if not _is_number_type(t):
        return pa.string()  # a date or time in a Parquet number column
    whole = d is not None and d.kind in _WHOLE_KINDS
    if whole and pa.types.is_integer(t) and col.null_count == 0:
        return pa.int64()
    return pa.float64()


def cast_columns(table: pa.Table, declared: dict[str, ColumnDef]) -> pa.Table:
    """Each column cast to the type it becomes in pandas (:func:`_column_type`)."""
    for i, name in enumerate(table.column_names):
        col = table.column(i)
        target = _column_type(declared.get(name), col)
        if target is None or col.type == target:
            continue
        if target == _DICT_TEXT:
            if not _is_text_type(col.type):
                col = pc.cast(col, pa.string(), memory_pool=POOL)
            # Chunk by chunk: on a chunked array Arrow grows one dictionary and gives each
            # chunk all of it so far (quadratic in memory over 10^3 row groups).
            col = pa.chunked_array(
                [pc.dictionary_encode(c, memory_pool=POOL) for c in col.chunks], _DICT_TEXT
            )
        else:
            col = pc.cast(col, target, memory_pool=POOL)
        table = table.set_column(i, name, col)
    return table


def blank_rows(table: pa.Table) -> np.ndarray | None:
    """Rows whose every cell is empty (a line ",,,," is a blank line too), or None."""
    if not table.num_columns or not all(c.null_count for c in table.columns):
        return None
    blank = pc.is_null(table.column(0))
    for c in table.columns[1:]:
        blank = pc.and_(blank, pc.is_null(c))
    if not pc.any(blank).as_py():
        return None
    return blank.to_numpy(zero_copy_only=False)


def to_frame(
    table: pa.Table, defs: Sequence[ColumnDef], src: Source, problems: list[str]
) -> pd.DataFrame:
    """A pandas frame with consolidated blocks; index = row positions (blank rows dropped).

    Cells with a control character, or a line break outside free text, are reported here
    and their rows put in ``src.skip`` so that later checks do not report them again.
    """
    declared = {d.name: d for d in defs}
    table = cast_columns(table, declared)
    odd_text(table, declared, src, problems)
    blank = blank_rows(table)
    keep = None
    if blank is not None:
        keep = np.flatnonzero(~blank)
        table = pc.take(table, pa.array(keep), memory_pool=POOL)
    blocks = Blocks(table.schema, table.num_rows)
    blocks.add(table)
    frame = blocks.frame()
    if keep is not None:
        frame.index = pd.Index(keep)
    return frame


class Blocks:
    """Consolidated pandas blocks, filled from Arrow tables (a whole file, or its pieces).

    One float64 block for the float64 columns, one int64 block for the int64 ones, one
    block per other column; each Arrow column is released as soon as it is copied, so the
    peak is the blocks plus one Arrow column. Capacity beyond the rows written is never
    touched, hence never resident.
    """

    def __init__(self, schema: pa.Schema, capacity: int):
        self.schema = schema
        self.names = schema.names
        self.kind = {
            name: "f" if t == pa.float64() else "i" if t == pa.int64() else "o"
            for name, t in zip(schema.names, schema.types, strict=True)
        }
        self.floats = [c for c in self.names if self.kind[c] == "f"]
        self.ints = [c for c in self.names if self.kind[c] == "i"]
        # pandas keeps a block as (columns, rows): each column is one contiguous row here.
        self.f = _empty((len(self.floats), capacity), np.float64)
        self.i = _empty((len(self.ints), capacity), np.int64)
        self.others: dict[str, list] = {c: [] for c in self.names if self.kind[c] == "o"}
        self.n = 0

    def _grow(self, needed: int) -> None:
        capacity = max(needed, int(self.f.shape[1] * 1.5) + 1, int(self.i.shape[1] * 1.5) + 1)
        for attr in ("f", "i"):
            old = getattr(self, attr)
            new = _empty((old.shape[0], capacity), old.dtype)
            new[:, : self.n] = old[:, : self.n]
            setattr(self, attr, new)

    def add(self, table: pa.Table) -> None:
        """Append the rows of ``table`` (same schema), releasing its columns as it goes."""
        m = table.num_rows
        if self.n + m > max(self.f.shape[1], self.i.shape[1]):
            self._grow(self.n + m)
        for name in self.names:
            col = table.column(name)
            if self.kind[name] == "o":
                self.others[name].extend(col.chunks)  # converted once, at the end
            else:
                block = self.f if self.kind[name] == "f" else self.i
                row = block[(self.floats if self.kind[name] == "f" else self.ints).index(name)]
                start = self.n
                for chunk in col.chunks:
                    row[start : start + len(chunk)] = chunk.to_numpy(zero_copy_only=False)
                    start += len(chunk)
            del col
            table = table.drop_columns([name])
            POOL.release_unused()  # the column's memory back to the system before the next
        self.n += m

    def frame(self) -> pd.DataFrame:
        n = self.n
        blocks: list[tuple[object, list[int]]] = []
        for name, chunks in self.others.items():
            pos = [self.names.index(name)]
            if pa.types.is_dictionary(self.schema.field(name).type):
                blocks.append((_united(chunks), pos))  # a 1-D block
                continue
            series = pa.chunked_array(chunks, self.schema.field(name).type).to_pandas(
                date_as_object=False
            )
            if isinstance(series.dtype, pd.CategoricalDtype):
                blocks.append((series.array, pos))  # a 1-D block (dictionary-encoded text)
            else:
                blocks.append((series.to_numpy().reshape(1, -1), pos))
        self.others = {}
        if self.floats:
            blocks.append((self.f[:, :n], [self.names.index(c) for c in self.floats]))
        if self.ints:
            blocks.append((self.i[:, :n], [self.names.index(c) for c in self.ints]))
        return _from_blocks(blocks, self.names, n)


def _united(chunks: list[pa.DictionaryArray]) -> pd.Categorical:
    """Dictionary-encoded text chunks (from all pieces) as one pandas Categorical.

    Each piece's chunks keep their own dictionaries (a chunk of the daily table holds the
    ids of a few hundred patients). At the end the dictionaries are concatenated and
    dictionary-encoded once (Arrow's hash, in C++): that gives every dictionary entry its
    code in the order of first appearance over the pieces, the order
    ``pyarrow.chunked_array(...).to_pandas()`` unites them in, and each chunk's codes are
    one integer take. At 10^7 rows that replaced 1.3 s of pyarrow's own unification and
    pandas' conversion with ~0.1 s. A dictionary may hold a null (pyarrow's unification
    refuses it): its entries are missing cells, code -1, as a null index is.
    """
    if not chunks:
        return pd.Categorical([], categories=pd.Index([], dtype=object))
    values = pa.concat_arrays([c.dictionary for c in chunks], memory_pool=POOL)
    united = pc.dictionary_encode(values, memory_pool=POOL)
    # Each dictionary entry's code in the united dictionary; -1 for a null entry.
    entry = united.indices.fill_null(-1).to_numpy().astype(np.int32, copy=False)
    codes = np.empty(sum(len(c) for c in chunks), dtype=np.int32)
    start = at = 0
    for chunk in chunks:
        k = len(chunk.dictionary)
        remap = np.append(entry[at : at + k], np.int32(-1))  # last: a null index
        indices = chunk.indices.fill_null(k) if chunk.indices.null_count else chunk.indices
        codes[start : start + len(chunk)] = remap[indices.to_numpy()]
        start, at = start + len(chunk), at + k
    categories = pd.Index(united.dictionary.to_numpy(zero_copy_only=False), dtype=object)
    return pd.Categorical.from_codes(
        codes, dtype=pd.CategoricalDtype(categories), validate=False
    )


def _from_blocks(blocks: list[tuple[object, list[int]]], names: list[str], n: int) -> pd.DataFrame:
    """A frame made of these blocks as they are (no copy, no consolidation pass).

    pandas has a public constructor from blocks from version 3; before, the pseudo-public
    ``make_block`` that pyarrow's own ``to_pandas`` uses.
    """
    index, columns = pd.RangeIndex(n), pd.Index(names, dtype=object)
    try:
        from pandas.api.internals import create_dataframe_from_blocks  # pandas >= 3
    except ImportError:
        from pandas.core.internals import BlockManager
        from pandas.core.internals.api import make_block

        made = [make_block(values, placement=place) for values, place in blocks]
        mgr = BlockManager(made, [columns, index])
        return pd.DataFrame._from_mgr(mgr, mgr.axes)
    return create_dataframe_from_blocks(
        [(values, np.asarray(place)) for values, place in blocks], index=index, columns=columns
    )


def odd_text(
    table: pa.Table,
    declared: dict[str, ColumnDef],
    src: Source,
    problems: list[str],
    offset: int = 0,
) -> None:
    """Control characters in any text cell; line breaks outside free text (CSV only).

    ``offset`` is the position of the table's first row in the file (a piece of it).
    """
    k = table.num_columns
    for name, col in zip(table.column_names, table.columns, strict=True):
        if not _is_text_type(col.type):
            continue
        d = declared.get(name)
        if not len(_matching(col, _ODD_RE2)):
            continue  # the usual case: one pass over the distinct values, nothing found
        control = _matching(col, _CONTROL_RE2) + offset
        if len(control):
            cells = _cells(col, control - offset)
            rule = _CONTROL_RULE.format(chars=_char_names(cells))
            problems.append(_problem(src, name, rule, control, cells))
            src.skip.setdefault(name, []).append(control)
        if not isinstance(src, CsvSource):
            continue
        breaks = _matching(col, _BREAK_RE2) + offset
        if not len(breaks):
            continue
        rule = _BREAK_RULE
        if d is not None and d.kind == "text":
            # Free text may hold a line break; whole rows inside one value may not.
            cells = _cells(col, breaks - offset)
            rows = [any(p.count(",") >= k - 1 for p in c.splitlines()[1:]) for c in cells]
            breaks = breaks[np.asarray(rows, dtype=bool)]
            rule = _FREE_TEXT_BREAK_RULE
        if len(breaks):
            problems.append(_problem(src, name, rule, breaks[:1]))
            src.skip.setdefault(name, []).append(breaks)


def _matching(col: pa.ChunkedArray, pattern: str) -> np.ndarray:
    """Positions of the cells matching a regular expression (RE2, in C++)."""
    if pa.types.is_dictionary(col.type) and col.num_chunks > 1:
        # The chunks' dictionaries in one pass (each holds a chunk's distinct values; a
        # unified dictionary would be copied into every chunk). Usually nothing matches.
        values = pa.concat_arrays([c.dictionary for c in col.chunks], memory_pool=POOL)
        hit = pc.fill_null(pc.match_substring_regex(values, pattern), False)
        if not pc.any(hit).as_py():
            return np.zeros(0, dtype=np.int64)
    out, start = [], 0
    for chunk in col.chunks:
        if pa.types.is_dictionary(chunk.type):
            # Each distinct id is tested once, not once per ICU day.
            hit = pc.fill_null(pc.match_substring_regex(chunk.dictionary, pattern), False)
            bad = np.flatnonzero(hit.to_numpy(zero_copy_only=False))
            if len(bad):
                mask = pc.is_in(chunk.indices, value_set=pa.array(bad, chunk.indices.type))
                out.append(np.flatnonzero(mask.to_numpy(zero_copy_only=False)) + start)
        else:
            hit = pc.fill_null(pc.match_substring_regex(chunk, pattern), False)
            if pc.any(hit).as_py():
                out.append(np.flatnonzero(hit.to_numpy(zero_copy_only=False)) + start)
        start += len(chunk)
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def _cells(col: pa.ChunkedArray, rows: np.ndarray) -> list[str]:
    return [str(v) for v in col.take(pa.array(rows)).to_pylist()]
