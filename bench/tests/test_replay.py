"""Row (g) on a few thousand events: both rebuilds leave every loaded backup's rows, the rates are figures."""
from sqlalchemy import create_engine, text

from bench import replay
from bench.resources import scratch


def test_the_replay_row_rebuilds_every_backup_it_loaded():
    with scratch() as resources:
        rows = replay.run(resources, n_events=3000)
        assert len(rows) == 2 and all(row["ratio"] > 0 and row["met"] in (True, False) for row in rows)
        engine = create_engine(resources._admin.url.set(database=resources.databases[0]))
        with engine.connect() as connection:
            backups, files, streams = connection.execute(text(
                "SELECT (SELECT count(*) FROM backups), (SELECT count(*) FROM data_files), "
                "(SELECT count(DISTINCT stream_id) FROM events)")).one()
        engine.dispose()
    assert streams > 400 and backups == streams and files == 3 * streams
