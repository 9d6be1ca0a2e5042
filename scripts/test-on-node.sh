#!/usr/bin/env bash
# Runs the unit and CLI tests on another Node.js major (default 24), beside the machine's own Node:
#   bash scripts/test-on-node.sh 24 [vitest files…]
# The Node binary and its headers come from the npm registry's node-linux-<arch> package (the same
# build nodejs.org ships), unpacked under .cache/node-<major>. better-sqlite3 is the one dependency
# compiled against a Node ABI (the native backend uses Node-API, which every major loads as is): it is
# rebuilt for that Node for the run, and the machine-Node build is put back afterwards, whatever the
# outcome. Needs `npm run build` first (the CLI tests run the built bundle).
set -euo pipefail
cd "$(dirname "$0")/.."
major="${1:-24}"; shift || true
files=("$@")
[ ${#files[@]} -eq 0 ] && files=(test/unit test/integration/cli.test.ts test/integration/cli-unix.test.ts test/integration/secrets.test.ts)

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "test-on-node: no Node build on the registry for $(uname -m)" >&2; exit 2 ;;
esac
dir="$PWD/.cache/node-$major"
if [ ! -x "$dir/bin/node" ]; then
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack "node-linux-$arch@$major" --silent >/dev/null)
  mkdir -p "$dir"
  tar xzf "$tmp"/node-linux-"$arch"-*.tgz -C "$dir" --strip-components=1
  rm -rf "$tmp"
fi
echo "test-on-node: $("$dir/bin/node" -v) from $dir"

addon=node_modules/better-sqlite3/build/Release/better_sqlite3.node
saved="$(mktemp)"
cp "$addon" "$saved"
restore() { cp "$saved" "$addon"; rm -f "$saved"; }
trap restore EXIT
PATH="$dir/bin:$PATH" npm rebuild better-sqlite3 --nodedir="$dir" --silent
PATH="$dir/bin:$PATH" npx vitest run "${files[@]}" --reporter=default
