"""The ``tunesmith`` command line: look at the studies in a storage, and run the demo.

Usage::

    tunesmith [--storage URL] studies [--format table|csv|json]
    tunesmith [--storage URL] trials STUDY [--format table|csv|json]
    tunesmith [--storage URL] best STUDY [--format text|json]
    tunesmith [--storage URL] delete STUDY [--yes]
    tunesmith [--storage URL] demo [--n-trials 30] [--study-name demo] [--seed 0]
                                   [--sampler auto|random|qmc] [--cv 5]

``--storage`` may also come after the subcommand; it defaults to ``sqlite:///tunesmith.db``
(a file in the current directory). ``python -m tunesmith`` is the same command.

Output is meant for scripts as well as people: ``csv`` and ``json`` hold the full precision of
every number, tables go to stdout and messages to stderr. Exit codes: 0 success, 1 runtime error
(unknown study, missing database or extra, refused deletion), 2 usage error (bad arguments or a
malformed ``--storage`` URL), 130 interrupted.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TextIO

from ._checks import is_real
from ._errors import MissingExtraError, TunesmithError
from ._table import MISSING as _MISSING
from ._table import seconds as _seconds
from ._table import sorted_keys, trial_table
from ._version import __version__
from .records import FrozenTrial
from .storages import BaseStorage, get_storage
from .study import load_study

__all__ = ["DEFAULT_STORAGE", "EXIT_ERROR", "EXIT_INTERRUPTED", "EXIT_USAGE", "main"]

#: Storage used when ``--storage`` is not given.
DEFAULT_STORAGE = "sqlite:///tunesmith.db"
#: Exit code of a runtime error (unknown study, missing extra, refused deletion...).
EXIT_ERROR = 1
#: Exit code of a usage error (bad arguments, malformed ``--storage`` URL).
EXIT_USAGE = 2
#: Exit code after Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130

_PROG = "tunesmith"


class CLIError(Exception):
    """An error to report in one line on stderr, with its exit code."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


# -- entry point ---------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code (never raises ``SystemExit``).

    Args:
        argv: Arguments without the program name; ``None`` reads ``sys.argv[1:]``.

    Returns:
        0 on success, 1 on a runtime error, 2 on a usage error, 130 when interrupted.

    Example:
        >>> from tunesmith.cli import main
        >>> main(["--version"])
        tunesmith 0.1.0
        0
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors: argparse already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except CLIError as exc:
        return _fail(str(exc), exc.code)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:  # `tunesmith trials demo | head`: stop quietly
        _silence_stdout()
        return EXIT_ERROR
    except (TunesmithError, MissingExtraError, ValueError, RuntimeError, OSError) as exc:
        return _fail(_message(exc), EXIT_ERROR)
    except Exception as exc:  # database errors (SQLAlchemy) and the like: one line, no traceback
        if type(exc).__module__.split(".")[0] != "sqlalchemy":
            raise
        return _fail(f"storage error: {_message(exc)}", EXIT_ERROR)


def _fail(message: str, code: int) -> int:
    print(f"{_PROG}: error: {message}", file=sys.stderr)
    return code


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the interpreter's final flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout without a file descriptor (captured in tests)
        pass


# -- parser --------------------------------------------------------------------------------------
def _build_parser() -> argparse.ArgumentParser:
    storage_help = f"database URL of the storage (default: {DEFAULT_STORAGE})"
    parser = argparse.ArgumentParser(
        prog=_PROG,
        description="Inspect tunesmith studies stored in a database, or run the demo.",
        epilog=(
            "Start with `tunesmith demo`, then `tunesmith trials demo` and `tunesmith best demo`. "
            "Exit codes: 0 ok, 1 error, 2 usage error."
        ),
    )
    parser.add_argument("--version", action="version", version=f"{_PROG} {__version__}")
    parser.add_argument("--storage", metavar="URL", default=DEFAULT_STORAGE, help=storage_help)
    # The same option on every subcommand, so `tunesmith trials demo --storage URL` works too;
    # SUPPRESS keeps a subcommand from overwriting the value given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--storage", metavar="URL", default=argparse.SUPPRESS, help=storage_help)

    sub = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser(
        "studies",
        parents=[common],
        help="list the studies in the storage",
        description="List every study: name, directions, number of trials, creation time (UTC).",
    )
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(handler=_cmd_studies)

    p = sub.add_parser(
        "trials",
        parents=[common],
        help="show the trials of a study",
        description=(
            "Show every trial of STUDY: number, state, value(s), params_*, user_attrs_*, start "
            "and end time (UTC, ISO 8601), duration in seconds and error."
        ),
    )
    p.add_argument("study", metavar="STUDY", help="name of the study")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(handler=_cmd_trials)

    p = sub.add_parser(
        "best",
        parents=[common],
        help="show the best trial (the Pareto front for several objectives)",
        description=(
            "Show the best complete trial of STUDY: number, value and params. For a study with "
            "several objectives, show every trial of the Pareto front."
        ),
    )
    p.add_argument("study", metavar="STUDY", help="name of the study")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(handler=_cmd_best)

    p = sub.add_parser(
        "delete",
        parents=[common],
        help="delete a study and its trials",
        description=(
            "Delete STUDY and all its trials. Asks for confirmation unless --yes is given; "
            "refuses when there is no terminal to ask on."
        ),
    )
    p.add_argument("study", metavar="STUDY", help="name of the study")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(handler=_cmd_delete)

    from ._demo import SAMPLERS

    p = sub.add_parser(
        "demo",
        parents=[common],
        help="tune an SVM on scikit-learn's digits (needs scikit-learn)",
        description=(
            "Tune StandardScaler + SVC on scikit-learn's handwritten digits, maximizing "
            "cross-validated accuracy over C, kernel, gamma and (for the poly kernel) degree. "
            "The study is saved in the storage; running the demo again resumes it and adds "
            "trials. Needs scikit-learn: pip install 'tunesmith[sklearn]'."
        ),
    )
    p.add_argument(
        "--n-trials",
        type=_int_at_least(1),
        default=30,
        metavar="N",
        help="trials to run (default: 30)",
    )
    p.add_argument(
        "--study-name", default="demo", metavar="NAME", help="name of the study (default: demo)"
    )
    p.add_argument("--seed", type=_int_at_least(0), default=0, help="sampler seed (default: 0)")
    p.add_argument(
        "--sampler",
        choices=SAMPLERS,
        default="auto",
        help="how configurations are proposed (default: auto, Bayesian optimization)",
    )
    p.add_argument(
        "--cv",
        type=_int_at_least(2),
        default=5,
        metavar="K",
        help="cross-validation folds (default: 5)",
    )
    p.set_defaults(handler=_cmd_demo)
    return parser


def _int_at_least(low: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {value}")
        return value

    parse.__name__ = f"int >= {low}"
    return parse


# -- storage -------------------------------------------------------------------------------------
def _open_storage(url: str, *, must_exist: bool) -> BaseStorage:
    """Open the storage at ``url``.

    With ``must_exist``, a SQLite URL whose file is missing is an error instead of a new, empty
    database (reading commands must not leave stray files behind).

    Raises:
        CLIError: A malformed URL (exit code 2) or a missing SQLite file (exit code 1).
    """
    path = _sqlite_file(url)
    if must_exist and path is not None and not os.path.exists(path):
        hint = (
            "run `tunesmith demo` to create one, or pass --storage URL"
            if url == DEFAULT_STORAGE
            else "check the path in --storage"
        )
        raise CLIError(
            f"no SQLite database at {os.path.abspath(path)!r} (storage {url!r}); {hint}."
        )
    try:
        return get_storage(url)
    except ValueError as exc:
        raise CLIError(_message(exc), EXIT_USAGE) from None


def _sqlite_file(url: str) -> str | None:
    """The file a ``sqlite:///`` URL names, or ``None`` (another backend, or unparsable)."""
    import sqlalchemy as sa

    try:
        parsed = sa.make_url(url)
    except Exception:  # malformed: get_storage reports it
        return None
    db = parsed.database
    if (
        parsed.get_backend_name() != "sqlite"
        or not db
        or db == ":memory:"
        or db.startswith("file:")
    ):
        return None
    return db


# -- commands ------------------------------------------------------------------------------------
def _cmd_studies(args: argparse.Namespace) -> int:
    storage = _open_storage(args.storage, must_exist=True)
    try:
        summaries = storage.list_studies()
    finally:
        storage.close()
    headers = ["name", "directions", "n_trials", "created_at"]
    if args.format == "json":
        _write_json(
            [
                {
                    "name": s.name,
                    "directions": list(s.directions),
                    "n_trials": s.n_trials,
                    "created_at": s.created_at.isoformat(),
                }
                for s in summaries
            ]
        )
        return 0
    rows: list[list[Any]] = [
        [s.name, ",".join(s.directions), s.n_trials, s.created_at] for s in summaries
    ]
    if args.format == "csv":
        _write_csv(headers, rows)
    else:
        _write_table(headers, rows)
        if not summaries:
            print(f"(no studies in {args.storage})", file=sys.stderr)
    return 0


def _cmd_trials(args: argparse.Namespace) -> int:
    storage = _open_storage(args.storage, must_exist=True)
    try:
        study = load_study(args.study, storage)  # unknown: lists the names
        trials = study.trials
        n_objectives = len(study.directions)
    finally:
        storage.close()
    if args.format == "json":
        _write_json([trial_record(t, n_objectives) for t in trials])
        return 0
    headers, rows = trial_table(trials, n_objectives)  # the columns of trials_dataframe
    if args.format == "csv":
        _write_csv(headers, rows)
    else:
        drop = headers.index("datetime_complete")  # the table shows the duration instead
        _write_table(
            [h for i, h in enumerate(headers) if i != drop],
            [[c for i, c in enumerate(r) if i != drop] for r in rows],
        )
        if not trials:
            print(f"(study {args.study!r} has no trials)", file=sys.stderr)
    return 0


def _cmd_best(args: argparse.Namespace) -> int:
    storage = _open_storage(args.storage, must_exist=True)
    try:
        study = load_study(args.study, storage)  # unknown: lists the names
        directions = study.directions
        if len(directions) == 1:
            try:
                best = [study.best_trial]
            except ValueError as exc:  # no complete feasible trial
                raise CLIError(str(exc)) from None
        else:
            best = sorted(study.best_trials, key=lambda t: t.number)
            if not best:
                raise CLIError(
                    f"Study {args.study!r} has no complete feasible trial yet "
                    f"({len(study.trials)} trials in all)."
                )
    finally:
        storage.close()
    n = len(directions)
    if args.format == "json":
        records = [trial_record(t, n) for t in best]
        _write_json(records[0] if n == 1 else records)
        return 0
    out = sys.stdout
    if n == 1:
        t = best[0]
        print(f"study:     {args.study}", file=out)
        print(f"direction: {directions[0]}", file=out)
        print(f"trial:     {t.number}", file=out)
        print(f"value:     {_text(t.value)}", file=out)
        print("params:", file=out)
        pad = max((len(k) for k in t.params), default=0)
        for name, value in t.params.items():  # in the order the trial drew them
            print(f"  {name:<{pad}}  {_text(value)}", file=out)
        return 0
    print(
        f"Pareto front of study {args.study!r} ({', '.join(directions)}): {len(best)} trial(s)",
        file=out,
    )
    params = sorted_keys(t.params for t in best)
    headers = ["number", *[f"values_{i}" for i in range(n)], *[f"params_{p}" for p in params]]
    rows: list[list[Any]] = []
    for t in best:
        vals = list(t.values) if t.values is not None else [None] * n
        rows.append([t.number, *vals, *[t.params.get(p, _MISSING) for p in params]])
    _write_table(headers, rows)
    return 0


def _cmd_delete(args: argparse.Namespace) -> int:
    storage = _open_storage(args.storage, must_exist=True)
    try:
        storage.get_study(args.study)  # StudyNotFoundError lists the studies that exist
        summary = next(s for s in storage.list_studies() if s.name == args.study)
        if not args.yes:
            if not _stdin_is_tty():
                raise CLIError(
                    f"refusing to delete study {args.study!r} ({summary.n_trials} trials) without "
                    "confirmation: stdin is not a terminal; pass --yes to delete it."
                )
            question = (
                f"Delete study {args.study!r} and its {summary.n_trials} trials from "
                f"{args.storage}? This cannot be undone. [y/N] "
            )
            if not _confirm(question):
                print("Not deleted.", file=sys.stderr)
                return EXIT_ERROR
        storage.delete_study(args.study)
    finally:
        storage.close()
    print(f"Deleted study {args.study!r} ({summary.n_trials} trials).", file=sys.stderr)
    return 0


def _stdin_is_tty() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):  # closed or replaced stdin
        return False


def _confirm(question: str) -> bool:
    """Ask ``question`` on stderr and read the answer from stdin; only y/yes confirms."""
    sys.stderr.write(question)
    sys.stderr.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


def _cmd_demo(args: argparse.Namespace) -> int:
    from ._demo import load_objective, run_demo

    # scikit-learn first: without it, fail before creating a database file
    objective = load_objective(args.cv)
    storage = _open_storage(args.storage, must_exist=False)
    try:
        return run_demo(
            storage,
            storage_url=args.storage,
            default_storage_url=DEFAULT_STORAGE,
            study_name=args.study_name,
            n_trials=args.n_trials,
            seed=args.seed,
            sampler=args.sampler,
            cv=args.cv,
            objective=objective,
            out=sys.stdout,
        )
    finally:
        storage.close()


# -- records -------------------------------------------------------------------------------------
def trial_record(trial: FrozenTrial, n_objectives: int) -> dict[str, Any]:
    """A JSON-ready record of ``trial`` (the layout of ``tunesmith trials --format json``).

    Keys: ``number``, ``state``, ``value`` (or ``values``, a list, for several objectives),
    ``params``, ``user_attrs``, ``datetime_start``, ``datetime_complete`` (ISO 8601 strings or
    ``None``), ``duration_s`` and ``error``.
    """
    record: dict[str, Any] = {"number": trial.number, "state": trial.state.name}
    if n_objectives == 1:
        record["value"] = trial.values[0] if trial.values else None
    else:
        record["values"] = list(trial.values) if trial.values is not None else None
    record["params"] = dict(trial.params)
    record["user_attrs"] = dict(trial.user_attrs)
    record["datetime_start"] = _iso(trial.datetime_start)
    record["datetime_complete"] = _iso(trial.datetime_complete)
    record["duration_s"] = _seconds(trial.duration)
    record["error"] = trial.error
    return record


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


# -- writers -------------------------------------------------------------------------------------
def _write_json(data: Any, out: TextIO | None = None) -> None:
    """Write ``data`` as indented JSON; tuples become lists, NaN and infinities ``null``."""
    stream = out or sys.stdout
    json.dump(_jsonable(data), stream, indent=2, allow_nan=False, default=_json_default)
    stream.write("\n")


def _jsonable(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        try:
            return _jsonable(value.item())
        except (TypeError, ValueError):
            return str(value)
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _write_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_cell(c) for c in row])


def _csv_cell(value: Any) -> str:
    """Full precision, so a reader gets the stored value back (``float(cell)`` round-trips)."""
    if value is None or value is _MISSING:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(_jsonable(value), default=_json_default)
    return str(value)


def _write_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """An aligned text table: numbers right-aligned, two spaces between columns."""
    cells = [[_text(c) for c in row] for row in rows]
    numeric = [
        all(_is_number(row[i]) for row in rows if row[i] is not None and row[i] is not _MISSING)
        for i in range(len(headers))
    ]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]

    def line(items: Sequence[str]) -> str:
        parts = [
            s.rjust(w) if num else s.ljust(w)
            for s, w, num in zip(items, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    out = sys.stdout
    print(line(headers), file=out)
    for row in cells:
        print(line(row), file=out)


def _is_number(value: Any) -> bool:
    return is_real(value)


_CELL_WIDTH = 60


def _text(value: Any) -> str:
    """Human form of a cell: floats to 6 significant digits, datetimes to the second."""
    if value is None or value is _MISSING:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    text = str(value).replace("\n", " ")
    if len(text) > _CELL_WIDTH:
        text = text[: _CELL_WIDTH - 1] + "…"
    return text


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
