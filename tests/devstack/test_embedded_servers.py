"""Real embedded PostgreSQL and Redis: start, persistence across restarts, freeze, cleanup."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg
import pytest
import redis

from devstack._proc import free_port, port_in_use, process_tree, stop_tree
from devstack.embedded import EmbeddedPostgres, EmbeddedRedis, EmbeddedServerError


def _gone(pids: list[int]) -> bool:
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                return False
        except psutil.NoSuchProcess:
            continue
    return True


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    with EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "data") as server:
        yield server


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis(tmp_path_factory.mktemp("redis")) as server:
        yield server


def test_start_postgres_accepts_tcp_logins_as_superuser(postgres: EmbeddedPostgres) -> None:
    assert postgres.is_running
    assert postgres.url("blog") == f"postgresql://postgres@127.0.0.1:{postgres.port}/blog"
    with psycopg.connect(postgres.url()) as conn:
        row = conn.execute("SELECT current_user, current_setting('server_encoding')").fetchone()
        listen = conn.execute("SHOW listen_addresses").fetchone()
    assert row == ("postgres", "UTF8")
    assert listen == ("127.0.0.1",)
    # The unix socket lives in the data directory, not in /var/run/postgresql.
    assert (postgres.data_dir / f".s.PGSQL.{postgres.port}").is_socket()


def test_create_database_twice_is_idempotent(postgres: EmbeddedPostgres) -> None:
    postgres.create_database("twice")
    postgres.create_database("twice")
    with psycopg.connect(postgres.url("twice")) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("twice",)


def test_create_database_rejects_name_that_is_not_an_identifier(
    postgres: EmbeddedPostgres,
) -> None:
    with pytest.raises(ValueError, match="not a plain database name"):
        postgres.create_database('x"; DROP DATABASE postgres; --')


@pytest.mark.chaos
def test_restart_postgres_keeps_data(postgres: EmbeddedPostgres) -> None:
    postgres.create_database("keep")
    with psycopg.connect(postgres.url("keep")) as conn:
        conn.execute("CREATE TABLE kept (value text)")
        conn.execute("INSERT INTO kept VALUES ('still here')")
    pid = postgres.pid
    assert pid is not None
    tree = [p.pid for p in process_tree(pid)]

    postgres.stop()
    assert not postgres.is_running
    assert not port_in_use(postgres.port)
    assert _gone(tree), "postgres left processes behind"

    postgres.start()
    with psycopg.connect(postgres.url("keep")) as conn:
        assert conn.execute("SELECT value FROM kept").fetchall() == [("still here",)]


@pytest.mark.chaos
def test_pause_postgres_blocks_new_connections_until_resume(postgres: EmbeddedPostgres) -> None:
    postgres.pause()
    try:
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(postgres.url(), connect_timeout=1)
        pid = postgres.pid
        assert pid is not None
        states = {p.status() for p in process_tree(pid)}
        assert states == {psutil.STATUS_STOPPED}
    finally:
        postgres.resume()
    with psycopg.connect(postgres.url(), connect_timeout=2) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.chaos
def test_start_postgres_reuses_server_left_running_on_same_port(
    postgres: EmbeddedPostgres,
) -> None:
    running = postgres.pid
    assert running is not None
    again = EmbeddedPostgres(postgres.data_dir, postgres.port)
    again.start()
    assert again.pid == running
    with psycopg.connect(again.url()) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.chaos
def test_start_postgres_restarts_server_left_running_on_other_port(
    postgres: EmbeddedPostgres,
) -> None:
    postgres.create_database("moved")
    with psycopg.connect(postgres.url("moved")) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS marker (value text)")
        conn.execute("INSERT INTO marker VALUES ('before the move')")
    old_port = postgres.port
    moved = EmbeddedPostgres(postgres.data_dir, free_port())
    moved.start()
    try:
        assert not port_in_use(old_port)
        assert port_in_use(moved.port)
        with psycopg.connect(moved.url("moved")) as conn:
            rows = conn.execute("SELECT value FROM marker").fetchall()
        assert ("before the move",) in rows
    finally:
        moved.stop()
    postgres.start()  # give the module fixture its server back
    assert postgres.is_running


def test_pause_postgres_that_is_not_running_raises(tmp_path: Path) -> None:
    with pytest.raises(EmbeddedServerError, match="not running"):
        EmbeddedPostgres(tmp_path / "never").pause()


def test_start_postgres_on_busy_port_fails_with_log_tail(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        server = EmbeddedPostgres(tmp_path / "data", blocker.getsockname()[1], start_timeout=10)
        with pytest.raises(EmbeddedServerError) as caught:
            server.start()
    message = str(caught.value)
    assert "exited with code" in message
    assert "could not" in message  # PostgreSQL's own words from the log tail
    assert not server.is_running


def test_start_postgres_in_foreign_non_empty_dir_fails_clearly(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "notes.txt").write_text("not a database")
    with pytest.raises(EmbeddedServerError, match="not empty but holds no PostgreSQL cluster"):
        EmbeddedPostgres(tmp_path / "data").start()
    assert (tmp_path / "data" / "notes.txt").read_text() == "not a database"


def test_start_postgres_after_interrupted_initdb_initialises_afresh(tmp_path: Path) -> None:
    # What a Ctrl-C during the first initdb leaves: a half-made scratch cluster.
    scratch = tmp_path / ".data.initdb"
    scratch.mkdir()
    (scratch / "PG_VERSION").write_text("18")
    with EmbeddedPostgres(tmp_path / "data") as server, psycopg.connect(server.url()) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert not scratch.exists()


@pytest.mark.chaos
def test_start_postgres_ignores_stale_pid_file_naming_another_process(
    postgres: EmbeddedPostgres,
) -> None:
    postgres.stop()
    impostor = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        lock = postgres.data_dir / "postmaster.pid"
        lock.write_text(f"{impostor.pid}\n{postgres.data_dir}\n0\n{postgres.port}\n\n\n\n")
        assert not postgres.is_running
        postgres.start()
        assert postgres.pid not in (None, impostor.pid)
        with psycopg.connect(postgres.url()) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        impostor.kill()
        impostor.wait()


def test_stop_tree_kills_process_that_ignores_the_signal() -> None:
    stubborn = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
            " print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    assert stubborn.stdout is not None
    assert stubborn.stdout.readline() == b"ready\n"
    stop_tree(stubborn.pid, signal.SIGTERM, timeout=0.5)
    # It ignores SIGTERM and sleeps for a minute: gone now means it was killed (and reaped).
    assert not psutil.pid_exists(stubborn.pid)
    stubborn.wait(timeout=1)


def test_start_redis_answers_ping_on_its_port(redis_server: EmbeddedRedis) -> None:
    assert redis_server.is_running
    assert redis_server.url(3) == f"redis://127.0.0.1:{redis_server.port}/3"
    client = redis.Redis.from_url(redis_server.url(1))
    assert client.ping() is True
    client.close()


@pytest.mark.chaos
def test_restart_redis_keeps_data(redis_server: EmbeddedRedis) -> None:
    client = redis.Redis.from_url(redis_server.url(1))
    client.set("kept", "still here")
    client.close()
    pid = redis_server.pid
    assert pid is not None

    redis_server.stop()
    assert not redis_server.is_running
    assert _gone([pid])
    redis_server.start()

    client = redis.Redis.from_url(redis_server.url(1))
    assert client.get("kept") == b"still here"
    client.close()


@pytest.mark.chaos
def test_pause_redis_times_out_clients_until_resume(redis_server: EmbeddedRedis) -> None:
    client = redis.Redis.from_url(redis_server.url(), socket_timeout=1, socket_connect_timeout=1)
    redis_server.pause()
    try:
        with pytest.raises(redis.exceptions.TimeoutError):
            client.ping()
    finally:
        redis_server.resume()
    fresh = redis.Redis.from_url(redis_server.url(), socket_timeout=2)
    assert fresh.ping() is True
    fresh.close()
    client.close()


@pytest.mark.chaos
def test_start_redis_reuses_server_left_running(redis_server: EmbeddedRedis) -> None:
    running = redis_server.pid
    assert running is not None
    again = EmbeddedRedis(redis_server.data_dir, redis_server.port)
    again.start()
    assert again.pid == running
    assert again.is_running


def test_stop_redis_that_never_started_is_harmless(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path)
    server.stop()
    assert not server.is_running


def test_exit_of_owning_process_stops_both_servers(tmp_path: Path) -> None:
    # A separate interpreter that starts both servers and exits without stopping them.
    script = textwrap.dedent(
        f"""
        import json
        from pathlib import Path
        from devstack.embedded import EmbeddedPostgres, EmbeddedRedis
        pg = EmbeddedPostgres(Path({str(tmp_path / "pg")!r}))
        pg.start()
        rd = EmbeddedRedis(Path({str(tmp_path / "redis")!r}))
        rd.start()
        print(json.dumps({{"pg": pg.pid, "redis": rd.pid,
                           "ports": [pg.port, rd.port]}}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    info = json.loads(done.stdout.strip().splitlines()[-1])
    assert _gone([info["pg"], info["redis"]])
    assert not any(port_in_use(port) for port in info["ports"])
