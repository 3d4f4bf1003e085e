"""Filling empty read models on PostgreSQL: rows go in by COPY and come back exactly as given (tabs,
newlines, backslashes, the text ``\\N``, NULLs, JSON, aware datetimes), a column COPY cannot take falls
back to INSERT, and a row that breaks a foreign key (checked once, after the fill) fails the rebuild
with nothing changed."""
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import (
    ARRAY,
    JSON,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    select,
)
from sqlalchemy.exc import IntegrityError

from hgrip_kernel.store import create_engine
from hgrip_kernel.store.replay import ReadModel, rebuild
from hgrip_kernel.store.tables import UTCDateTime, events

metadata = MetaData()
parents = Table("fill_parents", metadata, Column("id", String(10), primary_key=True),
                Column("text", String(50)), Column("doc", JSON, nullable=False), Column("at", UTCDateTime),
                Column("ratio", Float), Column("flag", Boolean), Column("count", Integer),
                Column("amount", Numeric(12, 3)), Column("day", Date))
children = Table("fill_children", metadata, Column("id", String(10), primary_key=True),
                 Column("parent_id", String(10), ForeignKey("fill_parents.id", name="fk_fill_parent"), nullable=False),
                 Column("tags", ARRAY(String)))   # no plain text form: INSERT instead of COPY

TEXTS = ["tab\there", "new\nline", "return\rhere", "back\\slash", "\\N", "N", "", None, "null", "三例样本\t（父母子）",
         "\\t literally", "trailing\\"]


def _parent(i: int, text: str | None) -> dict:
    return {"id": f"p{i}", "text": text, "doc": {"note": text, "nested": [1, "\\", None]},
            "at": datetime(2026, 12, 2, 8, 0, i, 123456, tzinfo=timezone(timedelta(hours=8))) if i % 3 else None,
            "ratio": [0.1, 1e-300, float("inf"), -2.5][i % 4], "flag": [True, False, None][i % 3],
            "count": -i if i % 2 else 2 ** 30, "amount": Decimal("12.345") if i % 2 else None,
            "day": date(2026, 1, i + 1)}


def _model(fold) -> ReadModel:
    return ReadModel("fill", (parents, children), ("fill",), fold)


def _store_streams(engine, count: int) -> None:
    """``count`` streams of type fill, one event each (the folds read only their ids)."""
    with engine.begin() as connection:
        for i in range(count):
            connection.execute(events.insert().values(
                event_id=f"00000000-0000-0000-0000-{i:012d}", event_type="Filled", schema_version=1, source="t",
                stream_type="fill", stream_id=f"s{i}", stream_version=1, occurred_at=datetime.now(UTC),
                correlation_id="c", data={}))


@pytest.fixture
def engine(make_database):
    engine = create_engine(make_database())
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_rows_copied_in_come_back_exactly(engine):
    _store_streams(engine, len(TEXTS))

    def fold(stream_id, stream):
        i = int(stream_id[1:])
        yield parents, _parent(i, TEXTS[i])
        yield children, {"id": f"c{i}", "parent_id": f"p{i}", "tags": [TEXTS[i] or "x", "\\"]}

    report = rebuild(engine, [_model(fold)])
    assert report.rows["fill_parents"]["inserted"] == len(TEXTS) == report.rows["fill_children"]["inserted"]
    with engine.connect() as connection:
        stored = {row["id"]: dict(row) for row in connection.execute(select(parents)).mappings()}
        tags = dict(connection.execute(select(children.c.id, children.c.tags)).all())
    for i, text in enumerate(TEXTS):
        expected = _parent(i, text)
        expected["at"] = expected["at"] and expected["at"].astimezone(UTC)
        assert stored[f"p{i}"] == expected, i
        assert tags[f"c{i}"] == [text or "x", "\\"]
    assert rebuild(engine, [_model(fold)], check_only=True).changed == 0


def test_a_row_breaking_a_foreign_key_fails_the_fill_and_changes_nothing(engine):
    _store_streams(engine, 3)
    constraints = ("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                   "WHERE conrelid IN ('fill_parents'::regclass, 'fill_children'::regclass) ORDER BY conname")
    with engine.connect() as connection:
        defined = connection.exec_driver_sql(constraints).all()
    assert ("fk_fill_parent", "FOREIGN KEY (parent_id) REFERENCES fill_parents(id)") in defined

    def fold(stream_id, stream):   # the last child cites a parent no stream gives
        i = int(stream_id[1:])
        yield parents, _parent(i, "x")
        yield children, {"id": f"c{i}", "parent_id": "nobody" if i == 2 else f"p{i}", "tags": None}

    with pytest.raises(IntegrityError, match="fk_fill_parent"):
        rebuild(engine, [_model(fold)])
    with engine.connect() as connection:
        assert connection.exec_driver_sql(constraints).all() == defined
        assert connection.execute(select(parents)).all() == [] == connection.execute(select(children)).all()
