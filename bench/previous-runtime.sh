#!/usr/bin/env bash
# Builds an older OpenFlows from this repository's history into <dir>, for
# `node --expose-gc dist/bench/isolation.js --previous-runtime <dir>` (docs/benchmarks.md, "Flow isolation").
#
#   bash bench/previous-runtime.sh <commit> <dir>
#
# <dir> must not exist yet or be empty. The commit's tree is exported with `git archive` (no worktree is
# registered and nothing in this checkout changes), this checkout's node_modules is symlinked into it,
# and its server code is compiled with its own tsconfig.build.json (tsc + tsc-alias; not the dashboard).
# The old runtime is then <dir>/dist/libs/runtime/src/index.js.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: bash bench/previous-runtime.sh <commit> <dir>" >&2
  exit 2
fi
commit=$1
dir=$2
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sha=$(git -C "$repo" rev-parse --verify "$commit^{commit}")

if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
  echo "$dir exists and is not empty; remove it or choose another directory" >&2
  exit 2
fi
if [ ! -d "$repo/node_modules" ]; then
  echo "$repo/node_modules is missing (run npm ci in this checkout first)" >&2
  exit 2
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

git -C "$repo" archive --format=tar "$sha" | tar -x -C "$dir"
ln -s "$(cd "$repo/node_modules" && pwd -P)" "$dir/node_modules"
echo "$sha" >"$dir/.openflows-commit"

cd "$dir"
npx tsc -p tsconfig.build.json
npx tsc-alias -p tsconfig.build.json
test -f dist/libs/runtime/src/index.js
echo "built $sha in $dir: $dir/dist/libs/runtime/src/index.js"
