"""Write ``schema_v1.db``: a SQLite database at schema revision 0001, as tunesmith 0.1 left it.

Run from the repository root: ``python tests/data/make_schema_v1.py``. The rows are spelled out
as the raw JSON text revision 0001 stores, so the file keeps testing that format even if the
encoders change; ``test_sql.py::test_schema_v1_file_is_upgraded_and_read_back`` holds the
records these rows must decode to.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tunesmith.storages._sql import run_migrations

OUT = Path(__file__).with_name("schema_v1.db")

FLOAT_X = '{"kind":"float","low":-1.0,"high":1.0,"log":false,"step":null}'
INT_N = '{"kind":"int","low":1,"high":1024,"log":true,"step":1}'
CAT_ACT = '{"kind":"categorical","choices":["relu",null,true,1,1.0,{"tuple":[1,"a"]}]}'
DISTS = f'{{"x":{FLOAT_X},"n":{INT_N},"act":{CAT_ACT}}}'

STUDIES: list[dict[str, Any]] = [
    {
        "id": 1,
        "name": "alpha",
        "directions": '["minimize"]',
        "created_at": 1700000000.25,
        "next_number": 5,
        "version": 7,
    },
    {
        "id": 2,
        "name": "beta",
        "directions": '["minimize","maximize"]',
        "created_at": 1700000100.5,
        "next_number": 2,
        "version": 2,
    },
]


def _trial(study_id: int, number: int, state: str, version: int, **cols: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "study_id": study_id,
        "number": number,
        "state": state,
        "version": version,
        "values_json": None,
        "params_json": "{}",
        "distributions_json": "{}",
        "user_attrs_json": "{}",
        "intermediate_json": "{}",
        "error": None,
        "claim": None,
        "started_at": None,
        "finished_at": None,
        "heartbeat_at": None,
    }
    row.update(cols)
    return row


TRIALS = [
    _trial(
        1,
        0,
        "COMPLETE",
        2,
        values_json="[0.5]",
        params_json='{"x":0.1,"n":37,"act":5}',
        distributions_json=DISTS,
        user_attrs_json='{"note":"first","folds":[0.5,0.25]}',
        intermediate_json='{"0":1.0,"1":"inf","2":null,"3":"-inf"}',
        started_at=1700000001.5,
        finished_at=1700000002.75,
        claim="grid:0",
    ),
    _trial(
        1,
        1,
        "PRUNED",
        3,
        params_json='{"x":-0.30000000000000004,"n":1,"act":2}',
        distributions_json=DISTS,
        intermediate_json='{"0":2.0,"1":3.5}',
        started_at=1700000003.0,
        finished_at=1700000004.0,
    ),
    _trial(
        1,
        2,
        "FAIL",
        4,
        params_json='{"x":1.0,"n":1024,"act":1}',
        distributions_json=DISTS,
        error="ValueError: boom",
        started_at=1700000005.0,
        finished_at=1700000005.5,
    ),
    _trial(
        1,
        3,
        "RUNNING",
        7,
        params_json='{"x":0.0,"n":2,"act":0}',
        distributions_json=DISTS,
        started_at=1700000006.0,
        heartbeat_at=1700000006.0,
        claim="grid:3",
    ),
    _trial(
        1,
        4,
        "WAITING",
        6,
        params_json='{"act":4}',
        distributions_json=f'{{"act":{CAT_ACT}}}',
        user_attrs_json='{"enqueued":true}',
    ),
    _trial(
        2,
        0,
        "COMPLETE",
        1,
        values_json="[1.0,-2.5]",
        started_at=1700000101.0,
        finished_at=1700000102.0,
    ),
    _trial(2, 1, "RUNNING", 2, started_at=1700000103.0),
]


def main() -> None:
    OUT.unlink(missing_ok=True)
    engine = sa.create_engine(f"sqlite:///{OUT}")
    try:
        with engine.begin() as conn:
            run_migrations(conn, "0001")
            conn.execute(
                sa.text(
                    "INSERT INTO tunesmith_studies "
                    "(id, name, directions, created_at, next_number, version) "
                    "VALUES (:id, :name, :directions, :created_at, :next_number, :version)"
                ),
                STUDIES,
            )
            columns = list(TRIALS[0])
            conn.execute(
                sa.text(
                    f"INSERT INTO tunesmith_trials ({', '.join(columns)}) "
                    f"VALUES ({', '.join(':' + c for c in columns)})"
                ),
                TRIALS,
            )
        with engine.connect() as conn:
            conn.exec_driver_sql("VACUUM")
    finally:
        engine.dispose()
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
