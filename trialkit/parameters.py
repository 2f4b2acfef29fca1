"""The parameters a notebook declares, and ``-p KEY=VALUE`` checked against them.

Each analysis notebook has one cell tagged ``parameters`` (papermill). Its assignments are
the notebook's parameters, optionally annotated with a type::

    seed = 20251123  # seed of every random draw in the notebook
    death_rule: Literal["worst", "last", "exclude"] | None = None  # None: the spec's rule

A value from the command line is never executed: the key must be a parameter declared by a
notebook that runs, and the value is parsed to the declared type (the annotation, or the
type of the default) before papermill writes it into the notebook as a literal. Types:
``int``, ``float``, ``str``, ``bool``, ``None``, ``Literal[...]`` and unions of them.
"""

from __future__ import annotations

import ast
import io
import json
import keyword
import math
import re
import tokenize
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Set by ``trialkit report`` itself (``--trial``, ``--data``, ``--out``), never by ``-p``.
RESERVED = ("trial", "data_dir", "out_dir")

_SCALARS = {"int": int, "float": float, "str": str, "bool": bool, "None": type(None)}
_INT = re.compile(r"^[+-]?\d+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ParameterError(ValueError):
    """A ``-p`` key or value that no notebook that runs accepts."""


class NotebookError(ValueError):
    """A notebook whose parameters cell cannot be read (a problem of the notebook's author)."""


@dataclass(frozen=True)
class Parameter:
    """A parameter as one notebook declares it."""

    name: str
    types: tuple[type, ...]
    choices: tuple[Any, ...]
    default: Any
    help: str
    notebook: str

    @property
    def type_text(self) -> str:
        parts = [repr(c) for c in self.choices]
        parts += ["None" if t is type(None) else t.__name__ for t in self.types]
        return " | ".join(dict.fromkeys(parts))

    def parse(self, text: str) -> Any:
        """The value ``text`` stands for, of this parameter's type.

        Raises
        ------
        ParameterError
            ``text`` is not a value of the declared type.
        """
        if _CONTROL.search(text):
            raise ParameterError(f"-p {self.name}: the value holds a control character")
        value = _parse(text, self.types, self.choices)
        if value is _NOTHING:
            raise ParameterError(
                f"-p {self.name}={text}: {self.name} takes {self.type_text} "
                f"(default {self.default!r}, declared in {self.notebook})"
            )
        return value


_NOTHING = object()


def _parse(text: str, types: tuple[type, ...], choices: tuple[Any, ...]) -> Any:
    s = text.strip()
    quoted = len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'"
    candidates: list[Any] = []
    if not quoted and s in ("None", "none", "null"):
        candidates.append(None)
    if not quoted and s.lower() in ("true", "false"):
        candidates.append(s.lower() == "true")
    if not quoted and _INT.match(s):
        candidates.append(int(s))
    if not quoted:
        try:
            f = float(s)
            if math.isfinite(f):
                candidates.append(f)
        except ValueError:
            pass
    candidates.append(s[1:-1] if quoted else s)
    for value in candidates:
        if choices and value in choices and not isinstance(value, bool):
            return value
        if any(_is(value, t) for t in types):
            return value
    return _NOTHING


def _is(value: Any, t: type) -> bool:
    if t is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if t is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, t)


def _annotation(node: ast.expr, where: str) -> tuple[tuple[type, ...], tuple[Any, ...]]:
    """(types, literal choices) of an annotation such as ``Literal["a", "b"] | None``."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        lt, lc = _annotation(node.left, where)
        rt, rc = _annotation(node.right, where)
        return lt + rt, lc + rc
    if isinstance(node, ast.Constant) and node.value is None:
        return (type(None),), ()
    if isinstance(node, ast.Name) and node.id in _SCALARS:
        return (_SCALARS[node.id],), ()
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if node.value.id == "Literal":
            return (), tuple(ast.literal_eval(i) for i in items)
        if node.value.id == "Optional":
            t, c = _annotation(items[0], where)
            return (*t, type(None)), c
    raise NotebookError(
        f"{where}: parameter type {ast.unparse(node)!r} is not one of int, float, str, bool, "
        "None, Literal[...] or a union of them"
    )


def _comments(source: str) -> dict[int, str]:
    out = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                out[tok.start[0]] = tok.string.lstrip("#").strip()
    except (tokenize.TokenError, SyntaxError):
        pass
    return out


def parameters_cell(notebook: Path) -> str:
    """The source of the cell tagged ``parameters`` ("" when the notebook has none)."""
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    for cell in cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            src = cell.get("source", "")
            return "".join(src) if isinstance(src, list) else str(src)
    return ""


def declared(notebook: Path) -> dict[str, Parameter]:
    """The parameters a notebook declares in its ``parameters`` cell.

    Raises
    ------
    NotebookError
        The cell is not Python, assigns something that is not a literal, or annotates a
        parameter with a type this module does not know.

    Examples
    --------
    >>> from trialkit.resources import notebooks_dir
    >>> p = declared(notebooks_dir() / "02_delta_sofa.ipynb")["death_rule"]
    >>> p.type_text, p.parse("last"), p.parse("None")
    ("'worst' | 'last' | 'exclude' | None", 'last', None)
    """
    source = parameters_cell(notebook)
    where = f"{notebook.name}, parameters cell"
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise NotebookError(f"{where}: not Python ({exc.msg}, line {exc.lineno})") from exc
    comments = _comments(source)
    out: dict[str, Parameter] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            name, value, annotation = stmt.target.id, stmt.value, stmt.annotation
        elif (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
        ):
            name, value, annotation = stmt.targets[0].id, stmt.value, None
        else:
            continue  # an import or a comment-only line: not a parameter
        try:
            default = ast.literal_eval(value) if value is not None else None
        except ValueError as exc:
            raise NotebookError(f"{where}: {name} must be assigned a literal value") from exc
        if annotation is not None:
            types, choices = _annotation(annotation, f"{where}, {name}")
        elif default is None:  # an unannotated None takes any scalar
            types, choices = (type(None), bool, int, float, str), ()
        else:
            types, choices = (type(default),), ()
        out[name] = Parameter(
            name, types, choices, default, comments.get(stmt.lineno, ""), notebook.stem
        )
    return out


def check(
    pairs: Iterable[str], notebooks: Sequence[Path]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Parse ``-p KEY=VALUE`` pairs against the parameters of the notebooks that will run.

    Returns
    -------
    (dict, dict)
        The values as given (key -> parsed value), and for each notebook stem the values it
        declares (papermill receives only those).

    Raises
    ------
    ParameterError
        A pair without ``=``, a key that is not an identifier, is reserved, or is declared by
        no notebook that runs, or a value of the wrong type. The message lists the known
        parameters with their notebooks and defaults.
    """
    table = {nb.stem: declared(nb) for nb in notebooks}
    given: dict[str, Any] = {}
    per_notebook: dict[str, dict[str, Any]] = {stem: {} for stem in table}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep:
            raise ParameterError(f"-p expects KEY=VALUE, got {pair!r}")
        if not key.isidentifier() or keyword.iskeyword(key):
            raise ParameterError(
                f"-p {key!r}: a parameter name is a Python identifier (letters, digits, '_')"
            )
        if key in RESERVED:
            raise ParameterError(f"-p {key}: set it with --trial, --data or --out instead")
        owners = {stem: params[key] for stem, params in table.items() if key in params}
        if not owners:
            raise ParameterError(
                f"-p {key}: no notebook that runs declares this parameter.\n" + describe(table)
            )
        for stem, param in owners.items():
            per_notebook[stem][key] = given[key] = param.parse(text)
    return given, per_notebook


def known(notebooks: Sequence[Path]) -> dict[str, list[Parameter]]:
    """Every parameter the notebooks declare (besides the reserved ones), by name."""
    out: dict[str, list[Parameter]] = {}
    for nb in notebooks:
        for name, p in declared(nb).items():
            if name not in RESERVED:
                out.setdefault(name, []).append(p)
    return dict(sorted(out.items()))


def describe(table: Mapping[str, Mapping[str, Parameter]] | Sequence[Path]) -> str:
    """The known parameters as plain text: name, type, default, notebooks, help."""
    if not isinstance(table, Mapping):
        table = {nb.stem: declared(nb) for nb in table}
    by_name: dict[str, list[Parameter]] = {}
    for params in table.values():
        for name, p in params.items():
            if name not in RESERVED:
                by_name.setdefault(name, []).append(p)
    if not by_name:
        return "The notebooks declare no parameters besides trial, data_dir and out_dir."
    lines = ["Parameters (-p KEY=VALUE):"]
    for name in sorted(by_name):
        ps = by_name[name]
        first = ps[0]
        stems = ", ".join(p.notebook for p in ps)
        lines.append(f"  {name}: {first.type_text}, default {first.default!r} ({stems})")
        if first.help:
            lines.append(f"      {first.help}")
    return "\n".join(lines)


def assigned_names(source: str) -> list[str]:
    """The names a parameters cell assigns (annotated or not)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names = []
    for stmt in tree.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            names.append(stmt.target.id)
        elif isinstance(stmt, ast.Assign):
            names += [t.id for t in stmt.targets if isinstance(t, ast.Name)]
    return names


def with_values(source: str, values: Mapping[str, Any]) -> str:
    """A parameters cell with the assigned values replaced by ``values`` (as Python literals),
    its annotations, comments and layout kept; names not in ``values`` keep their default.

    Examples
    --------
    >>> print(with_values('trial = "imicro"  # the spec\\nseed: int = 1', {"trial": "x"}))
    trial = 'x'  # the spec
    seed: int = 1
    """
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    edits = []
    for stmt in tree.body:
        target = (
            stmt.target
            if isinstance(stmt, ast.AnnAssign)
            else (
                stmt.targets[0] if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 else None
            )
        )
        value = getattr(stmt, "value", None)
        if isinstance(target, ast.Name) and target.id in values and value is not None:
            if value.lineno != value.end_lineno:
                continue  # a default spread over lines: left as it is
            edits.append((value.lineno - 1, value.col_offset, value.end_col_offset,
                          repr(values[target.id])))  # fmt: skip
    for line, start, end, text in sorted(edits, reverse=True):
        lines[line] = lines[line][:start] + text + lines[line][end:]
    return "".join(lines)
