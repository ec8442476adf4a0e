#!/usr/bin/env bash
# Set up and build datasette-newsdigest.
#   ./build.sh          install (into .venv unless a virtualenv is active) and build news.db from seeds/
#   ./build.sh serve    the same, then serve news.db with Datasette on http://127.0.0.1:8001/
#   ./build.sh test     install with the test extras and run the whole test suite (slow tests too);
#                       with pytest arguments, only those: slow tests then skip unless --run-slow
#   ./build.sh lint     install with the lint extras, then ruff and mypy (settings in pyproject.toml);
#                       a summary line, and a non-zero exit when either fails
# A news.db that holds anything but this script's build of seeds/ is never replaced:
# the seeds then go to seeds-db/news.db (same database name, so metadata.yml applies).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
if [ -z "${VIRTUAL_ENV:-}" ]; then
    if [ ! -x .venv/bin/python ]; then
        echo "Creating .venv" >&2
        "$PYTHON" -m venv .venv
    fi
    # shellcheck disable=SC1091
    . .venv/bin/activate
fi

install() {
    # Two statements: in one `local`, the stamp would expand $extras before it is assigned.
    local extras=$1
    local stamp="$VIRTUAL_ENV/.venv-installed${extras:+-$extras}"
    # Reinstall only when the package's metadata changed (editable install: code changes need none).
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        echo "Installing datasette-newsdigest${extras:+[$extras]}" >&2
        python -m pip install --quiet --disable-pip-version-check -e ".${extras:+[$extras]}"
        touch "$stamp"
        # The extras install includes the plain one.
        [ -z "$extras" ] || touch "$VIRTUAL_ENV/.venv-installed"
    fi
}

# The database to build the seeds into: news.db, unless it holds anything but a build of
# exactly seeds/ (as recorded in its _newsdigest_meta table), then seeds-db/news.db.
DB=
choose_db() {
    local db
    for db in news.db seeds-db/news.db; do
        if python -c 'import sys; from datasette_newsdigest.store import built_only_from as b; sys.exit(not b(*sys.argv[1:]))' "$db" seeds; then
            DB=$db
            return
        fi
        echo "$db holds data not built from seeds/ by ./build.sh; leaving it alone" >&2
    done
    echo "move news.db or seeds-db/news.db away to build the seeds" >&2
    exit 1
}

build_db() {
    choose_db
    [ "$DB" = news.db ] || { echo "building the seeds into $DB instead" >&2; mkdir -p "$(dirname "$DB")"; }
    newsdigest build "$DB" seeds/
}

case "${1:-build}" in
    build)
        install ""
        build_db
        ;;
    serve)
        install ""
        build_db
        exec datasette serve "$DB" -m metadata.yml -h 127.0.0.1 -p "${PORT:-8001}"
        ;;
    test)
        install test
        shift
        # No arguments: the full run, the tests marked slow included (what .ci/run runs). With
        # arguments (the fast loop: -m "not browser"), slow tests are skipped unless --run-slow is one.
        [ $# -gt 0 ] || set -- --run-slow
        # Bytecode caches written (__pycache__/, ignored by git), whatever the shell says: with
        # PYTHONDONTWRITEBYTECODE set, every run compiled each edited module and rewrote every test
        # module's assertions again (pytest --co: 3.5 s of CPU against 2.4 s with the caches).
        unset PYTHONDONTWRITEBYTECODE
        exec python -m pytest "$@"
        ;;
    lint)
        install lint
        # Both run, so one run shows every problem; then one summary line and the exit status.
        failed=
        ruff check datasette_newsdigest tests bench || failed="$failed ruff"
        mypy || failed="$failed mypy"
        if [ -n "$failed" ]; then
            echo "lint failed:$failed" >&2
            exit 1
        fi
        echo "lint passed: ruff and mypy" >&2
        ;;
    *)
        echo "usage: ./build.sh [build|serve|test [pytest args]|lint]" >&2
        exit 2
        ;;
esac
