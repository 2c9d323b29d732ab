#!/usr/bin/env bash
# One command runs shopops: installs it into .venv, then `shopops up` (embedded PostgreSQL when DATABASE_URL
# is unset, in-process broker when REDIS_URL is unset). Arguments go to `shopops up`, e.g. --demo --port 8000.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-venv.sh
exec .venv/bin/shopops up "$@"
