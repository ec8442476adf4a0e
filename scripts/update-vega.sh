#!/usr/bin/env bash
# Refresh the vendored Vega, Vega-Lite and Vega-Embed bundles from the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=datasette_newsdigest/static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund vega@5 vega-lite@5 vega-embed@6)
cp "$work"/node_modules/vega/build/vega.min.js "$work"/node_modules/vega-lite/build/vega-lite.min.js \
   "$work"/node_modules/vega-embed/build/vega-embed.min.js "$dest"/
cp "$work"/node_modules/vega-lite/LICENSE "$dest"/LICENSE-vega.txt
for p in vega vega-lite vega-embed; do
    echo "$p $(node -p "require('$work/node_modules/$p/package.json').version")"
done
echo "Update the versions in $dest/README.md"
