#!/usr/bin/env bash
# One command runs the tests: installs shopops with its test tools into .venv, makes sure a PostgreSQL and
# a Redis are reachable, then runs pytest (arguments are passed on, e.g. -k stock or -m slow).
#  - TEST_DATABASE_ADMIN_URL / TEST_REDIS_URL name the servers; by default 127.0.0.1:5432 and :6379.
#  - Outside CI, a missing PostgreSQL is replaced by the embedded one (pgserver, under var/test-pg) and a
#    missing Redis by a private redis-server (installed from the system's packages if needed).
#  - With CI=true nothing is replaced: an unreachable PostgreSQL or Redis fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS="[dev]" scripts/setup-venv.sh
PY=.venv/bin/python

pg_ok() { "$PY" - "$1" <<'PYEOF'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except Exception as error:
    print(f"PostgreSQL at {sys.argv[1]}: {error}", file=sys.stderr); sys.exit(1)
PYEOF
}
redis_ok() { "$PY" -c "import redis,sys; redis.Redis.from_url(sys.argv[1], socket_timeout=3).ping()" "$1" 2>/dev/null; }

export TEST_DATABASE_ADMIN_URL="${TEST_DATABASE_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
if ! pg_ok "$TEST_DATABASE_ADMIN_URL"; then
  if [ "${CI:-}" = "true" ]; then echo "FATAL: PostgreSQL is unreachable in CI" >&2; exit 1; fi
  echo "no PostgreSQL reachable: starting the embedded one (var/test-pg)" >&2
  TEST_DATABASE_ADMIN_URL="$("$PY" -c 'import pgserver, pathlib; p = pathlib.Path("var/test-pg").resolve(); p.mkdir(parents=True, exist_ok=True); print(pgserver.get_server(p, cleanup_mode=None).get_uri())' 2>/dev/null)"
  export TEST_DATABASE_ADMIN_URL
  pg_ok "$TEST_DATABASE_ADMIN_URL"
fi

export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/7}"
if ! redis_ok "$TEST_REDIS_URL"; then
  if [ "${CI:-}" = "true" ]; then echo "FATAL: Redis is unreachable in CI at $TEST_REDIS_URL" >&2; exit 1; fi
  if ! command -v redis-server >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "no Redis: installing redis-server from the system's packages" >&2
    apt-get update -qq && apt-get install -y -qq redis-server >/dev/null
  fi
  command -v redis-server >/dev/null || { echo "FATAL: no Redis reachable and no redis-server to start" >&2; exit 1; }
  mkdir -p var/test-redis
  redis-server --port 6399 --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --dir "$PWD/var/test-redis" --logfile "$PWD/var/test-redis/redis.log"
  export TEST_REDIS_URL="redis://127.0.0.1:6399/7"
  sleep 0.5; redis_ok "$TEST_REDIS_URL"
fi

# The dashboard's browser tests (tests/browser) drive Debian's headless Chromium through its chromedriver.
if ! { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; }; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing chromium and chromium-driver from the system's packages (browser tests)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "FATAL: the browser tests need /usr/bin/chromium and /usr/bin/chromedriver (apt-get install chromium chromium-driver)" >&2
    exit 1
  fi
fi

set +e
"$PY" -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then echo "FATAL: no tests were collected" >&2; exit 1; fi
exit "$status"
