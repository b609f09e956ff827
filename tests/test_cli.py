"""The ``tunesmith`` command line, run through ``main([...])`` on real SQLite files."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import tunesmith as ts
from tunesmith.cli import DEFAULT_STORAGE, main


# -- fixtures ------------------------------------------------------------------------------------
@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'studies.db'}"


def _objective(trial: ts.Trial) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    if kind == "b":
        trial.suggest_int("n", 1, 3)
    trial.set_user_attr("note", f"t{trial.number}")
    if trial.number == 3:
        raise RuntimeError("boom")
    return x**2


@pytest.fixture
def populated(url: str) -> str:
    """Two studies: 'quad' (6 trials, trial 3 FAIL, a conditional param) and 'pareto' (2 obj.)."""
    study = ts.create_study(study_name="quad", storage=url, seed=0)
    study.optimize(_objective, n_trials=6, catch=(RuntimeError,))
    pareto = ts.create_study(study_name="pareto", storage=url, directions=["minimize", "minimize"])
    pareto.add_trials(
        ts.create_trial(params={"a": float(a)}, distributions={"a": ts.Float(0, 10)}, values=v)
        for a, v in enumerate([(1.0, 4.0), (2.0, 2.0), (3.0, 3.0), (4.0, 1.0)])
    )
    return url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _expected_record(t: ts.FrozenTrial) -> dict[str, Any]:
    """What `trials --format json` must hold for a single-objective trial, built independently."""
    return {
        "number": t.number,
        "state": t.state.name,
        "value": None if t.values is None else t.values[0],
        "params": dict(t.params),
        "user_attrs": dict(t.user_attrs),
        "datetime_start": None if t.datetime_start is None else t.datetime_start.isoformat(),
        "datetime_complete": (
            None if t.datetime_complete is None else t.datetime_complete.isoformat()
        ),
        "duration_s": None if t.duration is None else t.duration.total_seconds(),
        "error": t.error,
    }


# -- studies -------------------------------------------------------------------------------------
def test_studies_table_lists_every_study(capsys, populated):
    code, out, _ = run(capsys, "--storage", populated, "studies")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["name", "directions", "n_trials", "created_at"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert set(rows) == {"quad", "pareto"}
    assert rows["quad"][1:3] == ["minimize", "6"]
    assert rows["pareto"][1:3] == ["minimize,minimize", "4"]


def test_studies_csv_and_json(capsys, populated):
    summaries = {s.name: s for s in ts.list_studies(populated)}
    code, out, _ = run(capsys, "--storage", populated, "studies", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["name"] for r in rows] == ["quad", "pareto"]
    for r in rows:
        s = summaries[r["name"]]
        assert r["directions"] == ",".join(s.directions)
        assert int(r["n_trials"]) == s.n_trials
        assert r["created_at"] == s.created_at.isoformat()

    code, out, _ = run(capsys, "--storage", populated, "studies", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data == [
        {
            "name": s.name,
            "directions": list(s.directions),
            "n_trials": s.n_trials,
            "created_at": s.created_at.isoformat(),
        }
        for s in summaries.values()
    ]


def test_studies_of_empty_storage(capsys, url):
    ts.create_study(study_name="tmp", storage=url)
    ts.delete_study("tmp", url)
    code, out, err = run(capsys, "--storage", url, "studies", "--format", "json")
    assert (code, json.loads(out)) == (0, [])
    code, out, err = run(capsys, "--storage", url, "studies")
    assert code == 0
    assert out.split() == ["name", "directions", "n_trials", "created_at"]
    assert "no studies" in err


# -- trials --------------------------------------------------------------------------------------
def test_trials_csv_matches_the_study(capsys, populated):
    trials = ts.load_study("quad", populated).trials
    code, out, _ = run(capsys, "--storage", populated, "trials", "quad", "--format", "csv")
    assert code == 0
    reader = csv.DictReader(io.StringIO(out))
    assert reader.fieldnames == [
        "number", "state", "value", "params_kind", "params_n", "params_x",
        "user_attrs_note", "datetime_start", "datetime_complete", "duration_s", "error",
    ]  # fmt: skip
    rows = list(reader)
    assert len(rows) == len(trials) == 6
    for row, t in zip(rows, trials, strict=True):
        assert int(row["number"]) == t.number
        assert row["state"] == t.state.name
        assert (float(row["value"]) if row["value"] else None) == t.value  # exact round trip
        assert float(row["params_x"]) == t.params["x"]
        assert row["params_kind"] == t.params["kind"]
        assert row["params_n"] == (str(t.params["n"]) if "n" in t.params else "")
        assert row["user_attrs_note"] == t.user_attrs["note"]
        assert t.datetime_start is not None and t.datetime_complete is not None
        assert row["datetime_start"] == t.datetime_start.isoformat()
        assert row["datetime_complete"] == t.datetime_complete.isoformat()
        assert t.duration is not None
        assert float(row["duration_s"]) == t.duration.total_seconds()
        assert row["error"] == (t.error or "")
    failed = rows[3]
    assert failed["state"] == "FAIL"
    assert failed["value"] == ""
    assert "RuntimeError: boom" in failed["error"]


def test_trials_csv_has_the_columns_of_trials_dataframe(capsys, populated):
    study = ts.load_study("quad", populated)
    code, out, _ = run(capsys, "--storage", populated, "trials", "quad", "--format", "csv")
    assert code == 0
    frame = study.trials_dataframe()
    assert csv.DictReader(io.StringIO(out)).fieldnames == list(frame.columns)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [float(r["duration_s"]) for r in rows] == frame["duration_s"].tolist()  # one unit


def test_trials_json_round_trips(capsys, populated):
    trials = ts.load_study("quad", populated).trials
    code, out, _ = run(capsys, "--storage", populated, "trials", "quad", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data == [_expected_record(t) for t in trials]
    assert data[3]["value"] is None and data[3]["state"] == "FAIL"  # None -> null
    assert all(isinstance(r["params"]["x"], float) for r in data)  # numbers stay numbers
    assert all(isinstance(r["params"].get("n", 0), int) for r in data)


def test_trials_table_is_aligned_and_shows_each_trial(capsys, populated):
    trials = ts.load_study("quad", populated).trials
    code, out, _ = run(capsys, "--storage", populated, "trials", "quad")
    assert code == 0
    header, *lines = out.splitlines()
    assert header.split()[:3] == ["number", "state", "value"]
    assert "params_x" in header and "user_attrs_note" in header and "duration_s" in header
    assert len(lines) == len(trials)
    state_col = header.index("state")
    x_end = header.index("params_x") + len("params_x")  # numbers are right-aligned
    for line, t in zip(lines, trials, strict=True):
        assert line[:state_col].strip() == str(t.number)
        assert line[state_col:].startswith(t.state.name)
        assert line[:x_end].endswith(f"{t.params['x']:.6g}")
        if t.value is not None:
            assert f"{t.value:.6g}" in line
    assert "RuntimeError: boom" in lines[3]


def test_trials_of_several_objectives_have_one_column_per_value(capsys, populated):
    trials = ts.load_study("pareto", populated).trials
    code, out, _ = run(capsys, "trials", "pareto", "--format", "csv", "--storage", populated)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(float(r["values_0"]), float(r["values_1"])) for r in rows] == [
        t.values for t in trials
    ]
    code, out, _ = run(capsys, "trials", "pareto", "--format", "json", "--storage", populated)
    data = json.loads(out)
    assert [r["values"] for r in data] == [list(t.values or ()) for t in trials]  # tuple -> list
    assert all("value" not in r for r in data)


# -- best ----------------------------------------------------------------------------------------
def test_best_shows_the_best_trial(capsys, populated):
    best = ts.load_study("quad", populated).best_trial
    code, out, _ = run(capsys, "--storage", populated, "best", "quad")
    assert code == 0
    fields = dict(line.split(":", 1) for line in out.splitlines() if not line.startswith("  "))
    assert int(fields["trial"]) == best.number
    assert float(fields["value"]) == pytest.approx(best.value, rel=1e-5)
    assert fields["direction"].strip() == "minimize"
    params = dict(line.split() for line in out.splitlines() if line.startswith("  "))
    assert set(params) == set(best.params)
    assert float(params["x"]) == pytest.approx(best.params["x"], rel=1e-5)
    assert params["kind"] == best.params["kind"]

    code, out, _ = run(capsys, "--storage", populated, "best", "quad", "--format", "json")
    assert code == 0
    assert json.loads(out) == _expected_record(best)


def test_best_of_several_objectives_is_the_pareto_front(capsys, populated):
    code, out, _ = run(capsys, "--storage", populated, "best", "pareto", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert [r["number"] for r in data] == [0, 1, 3]  # (3, 3) is dominated by (2, 2)
    assert [r["values"] for r in data] == [[1.0, 4.0], [2.0, 2.0], [4.0, 1.0]]

    code, out, _ = run(capsys, "--storage", populated, "best", "pareto")
    assert code == 0
    title, header, *rows = out.splitlines()
    assert "Pareto front" in title and "3 trial" in title
    assert header.split() == ["number", "values_0", "values_1", "params_a"]
    assert [row.split() for row in rows] == [
        ["0", "1", "4", "0"],
        ["1", "2", "2", "1"],
        ["3", "4", "1", "3"],
    ]


def test_best_without_a_complete_trial_is_an_error(capsys, url):
    study = ts.create_study(study_name="empty", storage=url)
    study.tell(study.ask(), state="FAIL")
    code, out, err = run(capsys, "--storage", url, "best", "empty")
    assert code == 1
    assert out == ""
    assert "no complete feasible trial" in err
    assert "Traceback" not in err


# -- delete --------------------------------------------------------------------------------------
def test_delete_with_yes(capsys, populated):
    code, out, err = run(capsys, "--storage", populated, "delete", "quad", "--yes")
    assert (code, out) == (0, "")  # the message goes to stderr
    assert "Deleted study 'quad' (6 trials)" in err
    assert [s.name for s in ts.list_studies(populated)] == ["pareto"]
    code, _, _ = run(capsys, "--storage", populated, "delete", "-y", "pareto")
    assert code == 0
    assert ts.list_studies(populated) == []


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_delete_refuses_without_confirmation_when_stdin_is_not_a_terminal(
    capsys, monkeypatch, populated
):
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))  # a pipe: never read as an answer
    code, out, err = run(capsys, "--storage", populated, "delete", "quad")
    assert (code, out) == (1, "")
    assert "not a terminal" in err and "--yes" in err
    assert {s.name for s in ts.list_studies(populated)} == {"quad", "pareto"}


def test_delete_asks_on_a_terminal(capsys, monkeypatch, populated):
    monkeypatch.setattr(sys, "stdin", _Terminal("n\n"))
    code, _, err = run(capsys, "--storage", populated, "delete", "quad")
    assert code == 1
    assert "[y/N]" in err and "6 trials" in err and "Not deleted" in err
    assert {s.name for s in ts.list_studies(populated)} == {"quad", "pareto"}

    monkeypatch.setattr(sys, "stdin", _Terminal("y\n"))
    code, _, err = run(capsys, "--storage", populated, "delete", "quad")
    assert code == 0
    assert {s.name for s in ts.list_studies(populated)} == {"pareto"}


# -- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", [["trials"], ["best"], ["delete", "--yes"]])
def test_unknown_study_lists_the_studies_that_exist(capsys, populated, command):
    code, out, err = run(capsys, "--storage", populated, command[0], "nope", *command[1:])
    assert code == 1
    assert out == ""
    assert "'nope'" in err and "'quad'" in err and "'pareto'" in err
    assert "Traceback" not in err
    assert len(ts.list_studies(populated)) == 2


@pytest.mark.parametrize("bad", ["foo://nowhere", "not a url", "sqlite://"])
def test_malformed_storage_url_is_a_usage_error(capsys, bad):
    code, out, err = run(capsys, "--storage", bad, "studies")
    assert code == 2
    assert out == ""
    assert err.startswith("tunesmith: error:") and "`storage`" in err
    assert "Traceback" not in err


def test_missing_sqlite_file_is_an_error_and_is_not_created(capsys, tmp_path):
    missing = tmp_path / "missing.db"
    code, _, err = run(capsys, "--storage", f"sqlite:///{missing}", "trials", "x")
    assert code == 1
    assert "no SQLite database" in err and str(missing) in err
    assert not missing.exists()


def test_default_storage_is_tunesmith_db_in_the_working_directory(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    ts.create_study(study_name="here", storage=DEFAULT_STORAGE)
    code, out, _ = run(capsys, "studies", "--format", "csv")
    assert code == 0
    assert [r["name"] for r in csv.DictReader(io.StringIO(out))] == ["here"]
    assert (tmp_path / "tunesmith.db").exists()


def test_storage_option_after_the_subcommand_wins(capsys, populated, tmp_path):
    other = f"sqlite:///{tmp_path / 'other.db'}"
    ts.create_study(study_name="elsewhere", storage=other)
    code, out, _ = run(capsys, "--storage", populated, "studies", "--storage", other)
    assert code == 0
    assert "elsewhere" in out and "quad" not in out


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["trials"],
        ["trials", "x", "--format", "xml"],
        ["demo", "--n-trials", "0"],
        ["demo", "--cv", "1"],
        ["demo", "--sampler", "grid"],
    ],
)
def test_usage_errors_exit_2(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert "usage: tunesmith" in err


def test_version_and_help(capsys):
    code, out, _ = run(capsys, "--version")
    assert (code, out.strip()) == (0, f"tunesmith {ts.__version__}")
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in ("studies", "trials", "best", "delete", "demo", "--storage"):
        assert command in out


def _hide_sklearn(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every ``import sklearn...`` fail, also of submodules other tests loaded already."""
    for name in [m for m in sys.modules if m == "sklearn" or m.startswith("sklearn.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "sklearn", None)


def test_the_cli_works_without_scikit_learn(capsys, monkeypatch, populated):
    _hide_sklearn(monkeypatch)
    code, out, err = run(capsys, "--storage", populated, "demo", "--n-trials", "1")
    assert code == 1
    assert "pip install 'tunesmith[sklearn]'" in err
    assert "Traceback" not in err
    assert [s.name for s in ts.list_studies(populated)] == ["quad", "pareto"]  # nothing created
    code, out, _ = run(capsys, "--storage", populated, "trials", "quad", "--format", "json")
    assert code == 0 and len(json.loads(out)) == 6


def test_demo_without_scikit_learn_creates_no_database(capsys, monkeypatch, tmp_path):
    _hide_sklearn(monkeypatch)
    path = tmp_path / "fresh.db"
    code, _, err = run(capsys, "--storage", f"sqlite:///{path}", "demo")
    assert code == 1
    assert "pip install 'tunesmith[sklearn]'" in err
    assert not path.exists()


# -- demo ----------------------------------------------------------------------------------------
def _check_demo_trial(t: ts.FrozenTrial) -> None:
    assert t.state is ts.TrialState.COMPLETE
    assert t.value is not None and 0.0 <= t.value <= 1.0
    assert 1e-3 <= t.params["C"] <= 1e3
    assert 1e-5 <= t.params["gamma"] <= 1.0
    assert t.params["kernel"] in ("rbf", "poly", "sigmoid")
    assert ("degree" in t.params) == (t.params["kernel"] == "poly")  # conditional
    if "degree" in t.params:
        assert t.params["degree"] in (2, 3, 4, 5)


def test_demo_tunes_an_svm_saves_the_study_and_resumes(capsys, url):
    pytest.importorskip("sklearn")
    code, out, err = run(capsys, "--storage", url, "demo", "--n-trials", "3", "--cv", "2")
    assert code == 0, err
    study = ts.load_study("demo", url)
    trials = study.trials
    assert study.direction == "maximize"
    assert len(trials) == 3
    for t in trials:
        _check_demo_trial(t)
    # one progress line per trial: number, state, score, running best
    lines = out.splitlines()
    running_best = -1.0
    for t in trials:
        line = next(x for x in lines if x.split()[:2] == [str(t.number), "COMPLETE"])
        running_best = max(running_best, t.values[0] if t.values else -1.0)
        assert line.split()[2:4] == [f"{t.value:.4f}", f"{running_best:.4f}"]
        assert f"kernel={t.params['kernel']}" in line
    best = study.best_trial
    assert f"Best: trial {best.number}, cross-validated accuracy {best.value:.4f}" in out
    for name in best.params:
        assert any(line.split()[:2] == [name, "="] for line in lines)
    assert "trials demo" in out and "best demo" in out and f"--storage {url}" in out

    code, out, _ = run(capsys, "--storage", url, "trials", "demo", "--format", "json")
    assert code == 0
    assert json.loads(out) == [_expected_record(t) for t in trials]
    code, out, _ = run(capsys, "--storage", url, "best", "demo", "--format", "json")
    assert code == 0
    assert json.loads(out)["number"] == best.number

    # a second run resumes the study and adds trials (with new configurations)
    code, out, err = run(capsys, "--storage", url, "demo", "--n-trials", "3", "--cv", "2")
    assert code == 0, err
    assert "Resuming study 'demo'" in out and "3 trials so far" in out
    trials = ts.load_study("demo", url).trials
    assert [t.number for t in trials] == list(range(6))
    for t in trials:
        _check_demo_trial(t)
    assert len({t.params["C"] for t in trials}) == 6
    code, out, _ = run(capsys, "--storage", url, "studies", "--format", "json")
    assert [(s["name"], s["n_trials"]) for s in json.loads(out)] == [("demo", 6)]


def test_demo_with_the_qmc_sampler_and_another_name(capsys, url):
    pytest.importorskip("sklearn")
    argv = ["demo", "--storage", url, "--n-trials", "2", "--cv", "2", "--sampler", "qmc"]
    code, out, err = run(capsys, *argv, "--study-name", "svm qmc", "--seed", "3")
    assert code == 0, err
    assert "qmc sampler (seed 3)" in out
    assert "best 'svm qmc'" in out  # the hints quote the name for the shell
    trials = ts.load_study("svm qmc", url).trials
    assert len(trials) == 2
    for t in trials:
        _check_demo_trial(t)


# -- the installed command -----------------------------------------------------------------------
def test_python_dash_m_tunesmith_help():
    proc = subprocess.run(
        [sys.executable, "-m", "tunesmith", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: tunesmith")
    for command in ("studies", "trials", "best", "delete", "demo"):
        assert command in proc.stdout
