#!/usr/bin/env bash
# Set up and build datasette-newsdigest.
#   ./build.sh          install (into .venv unless a virtualenv is active) and build news.db from seeds/
#   ./build.sh serve    the same, then serve news.db with Datasette on http://127.0.0.1:8001/
#   ./build.sh test     install with the test extras and run the test suite
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
    local extras=$1 stamp=".venv-installed${extras:+-$extras}"
    stamp="$VIRTUAL_ENV/$stamp"
    # Reinstall only when the package's metadata changed (editable install: code changes need none).
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        echo "Installing datasette-newsdigest${extras:+[$extras]}" >&2
        python -m pip install --quiet --disable-pip-version-check -e ".${extras:+[$extras]}"
        touch "$stamp"
    fi
}

build_db() {
    newsdigest build news.db seeds/
}

case "${1:-build}" in
    build)
        install ""
        build_db
        ;;
    serve)
        install ""
        build_db
        exec datasette serve news.db -m metadata.yml -h 127.0.0.1 -p "${PORT:-8001}"
        ;;
    test)
        install test
        shift
        exec python -m pytest "$@"
        ;;
    *)
        echo "usage: ./build.sh [build|serve|test [pytest args]]" >&2
        exit 2
        ;;
esac
