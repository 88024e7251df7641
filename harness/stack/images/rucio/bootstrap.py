#!/opt/rucio/bin/python
"""Start-up helpers of the SRCNet testbed's rucio image (called by entrypoint.sh).

Sub-commands:
  render               write /opt/rucio/etc/rucio.cfg and alembic.ini from the templates
  wait-db              wait (bounded) until the database answers `SELECT 1`
  bootstrap            create schema, base VO and root account if missing (idempotent)
  wait-schema          wait (bounded) until a server has bootstrapped the database
  wait-heartbeat NAME PID
                       wait (bounded) until daemon NAME (e.g. judge-evaluator) with PID has a heartbeat row

All messages go to stderr; stdout is kept for the entrypoint's marker lines.
Everything except `bootstrap` talks to the database with plain SQLAlchemy, so
the probes work before Rucio's tables exist.
"""

import os
import socket
import string
import sys
import time
from importlib.util import find_spec

ETC = '/opt/rucio/etc'
ADVISORY_LOCK_KEY = 0x5352434E  # 'SRCN': serialises concurrent bootstraps on one database


def log(msg: str) -> None:
    print(f'srcnet-rucio: {msg}', file=sys.stderr, flush=True)


def fail(msg: str, code: int = 2) -> 'None':
    log(f'ERROR: {msg}')
    sys.exit(code)


def env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, '') or default)
    except ValueError:
        fail(f'{name} must be an integer, got {os.environ[name]!r}')


def db_url() -> str:
    url = os.environ.get('RUCIO_DB_URL', '').strip()
    if not url:
        fail('RUCIO_DB_URL is not set (e.g. postgresql+psycopg://rucio:secret@postgres:5432/rucio)')
    # Only psycopg 3 is installed: accept the driver-less spellings too.
    for plain in ('postgresql://', 'postgres://', 'postgresql+psycopg2://'):
        if url.startswith(plain):
            url = 'postgresql+psycopg://' + url[len(plain):]
    # psycopg 3 hands out bytes instead of str on a SQL_ASCII database, which
    # breaks SQLAlchemy and Rucio: always talk UTF-8 unless told otherwise.
    if url.startswith('postgresql+psycopg://') and 'client_encoding=' not in url:
        url += ('&' if '?' in url else '?') + 'client_encoding=utf8'
    return url


def redacted(url: str) -> str:
    from sqlalchemy.engine import make_url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return '<unparseable RUCIO_DB_URL>'


# --------------------------------------------------------------------------- render
def render() -> None:
    role = os.environ.get('RUCIO_ROLE', 'server')
    password = os.environ.get('RUCIO_ROOT_PASSWORD', '')
    if role == 'server' and not password:
        fail('RUCIO_ROOT_PASSWORD is not set (password of the userpass identity root)')
    spec = find_spec('rucio')
    if spec is None or not spec.submodule_search_locations:
        fail('python package rucio not found in /opt/rucio')
    values = {
        'RUCIO_DB_URL': db_url(),
        'RUCIO_ROOT_PASSWORD': password,
        'RUCIO_LOGLEVEL': os.environ.get('RUCIO_LOGLEVEL', 'INFO'),
        'RUCIO_REPAIRER_DELTA_SECONDS': str(env_int('RUCIO_REPAIRER_DELTA_SECONDS', 30)),
        'RUCIO_MIGRATE_REPO': os.path.join(spec.submodule_search_locations[0], 'db', 'sqla', 'migrate_repo'),
    }
    for key, value in values.items():
        if '\n' in value or '\r' in value:
            fail(f'{key} must not contain a line break')
    # configparser interpolates '%': double it inside substituted values.
    escaped = {k: v.replace('%', '%%') for k, v in values.items()}
    for name in ('rucio.cfg', 'alembic.ini'):
        with open(os.path.join(ETC, name + '.template')) as f:
            text = string.Template(f.read()).substitute(escaped)
        target = os.path.join(ETC, name)
        fd = os.open(target + '.tmp', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as f:
            f.write(text)
        os.replace(target + '.tmp', target)


# --------------------------------------------------------------------------- probes
def engine():
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool
    return create_engine(db_url(), poolclass=NullPool, connect_args={'connect_timeout': 5})


def wait_db() -> None:
    from sqlalchemy import text
    timeout = env_int('RUCIO_DB_WAIT_SECONDS', 60)
    eng = engine()
    start = time.monotonic()
    last_err = None
    attempt = 0
    while True:
        attempt += 1
        try:
            with eng.connect() as conn:
                conn.execute(text('SELECT 1'))
            log(f'database {redacted(db_url())} reachable after {time.monotonic() - start:.1f}s')
            return
        except Exception as err:  # OperationalError, DNS failure, refused, auth ...
            last_err = str(err).strip().splitlines()[0] if str(err).strip() else repr(err)
            if attempt == 1 or attempt % 10 == 0:
                log(f'waiting for database {redacted(db_url())}: {last_err}')
        if time.monotonic() - start >= timeout:
            fail(f'database {redacted(db_url())} not reachable after {timeout}s '
                 f'(RUCIO_DB_WAIT_SECONDS); last error: {last_err}')
        time.sleep(1)


def bootstrapped(conn) -> bool:
    """True once the schema is stamped and the root account exists."""
    from sqlalchemy import inspect, text
    insp = inspect(conn)
    if not (insp.has_table('alembic_version') and insp.has_table('accounts')):
        return False
    if conn.execute(text('SELECT count(*) FROM alembic_version')).scalar() == 0:
        return False
    return conn.execute(text("SELECT count(*) FROM accounts WHERE account = 'root'")).scalar() > 0


def wait_schema() -> None:
    timeout = env_int('RUCIO_SCHEMA_WAIT_SECONDS', 300)
    eng = engine()
    start = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        last = 'schema not bootstrapped yet'
        try:
            with eng.connect() as conn:
                if bootstrapped(conn):
                    log(f'rucio schema present after {time.monotonic() - start:.1f}s')
                    return
        except Exception as err:
            last = str(err).strip().splitlines()[0]
        if attempt == 1 or attempt % 15 == 0:
            log(f'waiting for a rucio server to bootstrap {redacted(db_url())}: {last}')
        if time.monotonic() - start >= timeout:
            fail(f'rucio schema not present in {redacted(db_url())} after {timeout}s '
                 f'(RUCIO_SCHEMA_WAIT_SECONDS); is a RUCIO_ROLE=server container running? last: {last}')
        time.sleep(1)


def wait_heartbeat(name: str, pid: int) -> None:
    from sqlalchemy import text
    timeout = env_int('RUCIO_JUDGE_START_SECONDS', 60)
    host = socket.getfqdn()
    eng = engine()
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            with eng.connect() as conn:
                # Daemons name their heartbeats differently (judge-evaluator by its name, the
                # conveyor by name and options): the process's pid on this host is what is sure.
                n = conn.execute(text('SELECT count(*) FROM heartbeats WHERE pid = :p AND hostname = :h'),
                                 {'p': pid, 'h': host}).scalar()
            if n:
                return
        except Exception as err:
            log(f'heartbeat probe failed: {str(err).strip().splitlines()[0]}')
        time.sleep(0.25)
    fail(f'{name} (pid {pid}) wrote no heartbeat within {timeout}s')


# --------------------------------------------------------------------------- bootstrap
def bootstrap() -> None:
    from sqlalchemy import text
    eng = engine()
    t0 = time.monotonic()
    with eng.connect() as lock_conn:
        is_pg = lock_conn.dialect.name == 'postgresql'
        if is_pg:
            lock_conn.execute(text('SELECT pg_advisory_lock(:k)'), {'k': ADVISORY_LOCK_KEY})
            lock_conn.commit()
        try:
            with eng.connect() as conn:
                if bootstrapped(conn):
                    log('database already bootstrapped (schema stamped, root account present): nothing to do')
                    check_revision()
                    return
            _bootstrap(eng)
            log(f'bootstrap finished in {time.monotonic() - t0:.1f}s')
        finally:
            if is_pg:
                lock_conn.execute(text('SELECT pg_advisory_unlock(:k)'), {'k': ADVISORY_LOCK_KEY})
                lock_conn.commit()


def _bootstrap(eng) -> None:
    from sqlalchemy import inspect, text

    with eng.connect() as conn:
        insp = inspect(conn)
        stamped = insp.has_table('alembic_version') and \
            conn.execute(text('SELECT count(*) FROM alembic_version')).scalar() > 0

    # Rucio reads its config (and, for options not in rucio.cfg, the `configs`
    # table) at import time: import only after the checks above.
    from rucio.db.sqla.util import build_database, create_base_vo, create_root_account

    if not stamped:
        log('creating rucio schema (rucio.db.sqla.util.build_database)')
        t = time.monotonic()
        build_database()  # create_all(checkfirst) + alembic stamp head: safe after a partial run
        log(f'schema created in {time.monotonic() - t:.1f}s')
    with eng.connect() as conn:
        has_vo = conn.execute(text("SELECT count(*) FROM vos WHERE vo = 'def'")).scalar() > 0
    if not has_vo:
        log('creating base VO (create_base_vo)')
        create_base_vo()
    with eng.connect() as conn:
        has_root = conn.execute(text("SELECT count(*) FROM accounts WHERE account = 'root'")).scalar() > 0
    if not has_root:
        log('creating account root with userpass identity root (create_root_account)')
        create_root_account()


def check_revision() -> None:
    from sqlalchemy import text
    from rucio.alembicrevision import ALEMBIC_REVISION  # light import: no config, no DB
    with engine().connect() as conn:
        found = conn.execute(text('SELECT version_num FROM alembic_version')).scalars().all()
    if found != [ALEMBIC_REVISION]:
        fail(f'database schema revision {found} differs from rucio 41.5.1 ({ALEMBIC_REVISION}); '
             'this image does not run migrations: use a fresh database')


def main() -> None:
    if len(sys.argv) < 2:
        fail(__doc__)
    cmd = sys.argv[1]
    if cmd == 'render':
        render()
    elif cmd == 'wait-db':
        wait_db()
    elif cmd == 'bootstrap':
        bootstrap()
    elif cmd == 'wait-schema':
        wait_schema()
    elif cmd == 'wait-heartbeat' and len(sys.argv) == 4:
        wait_heartbeat(sys.argv[2], int(sys.argv[3]))
    else:
        fail(f'unknown sub-command {sys.argv[1:]}\n{__doc__}')


if __name__ == '__main__':
    main()
