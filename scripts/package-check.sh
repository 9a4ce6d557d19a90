#!/usr/bin/env bash
# The package as a user gets it: packs it (npm runs `prepare`, which builds dist/), installs the
# tarball into a scratch application in a temporary folder, type-checks a TypeScript file against
# its declarations with skipLibCheck off (TypeScript 5 under node16/nodenext and node10,
# TypeScript 7 under nodenext and bundler: 7 has no node10), runs it, and runs the `latchkey`
# command it installed. Needs the npm registry (or its cache) and nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$(mktemp -d "${TMPDIR:-/tmp}/latchkey-package-check.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
START=$(date +%s)
step() { printf 'package check: %s (%ss)\n' "$*" "$(($(date +%s) - START))"; }

step "packing"
if ! npm pack --pack-destination "$WORK" >"$WORK/pack.log" 2>&1; then
  cat "$WORK/pack.log" >&2
  echo "package check: npm pack failed" >&2
  exit 1
fi
TARBALL=$(echo "$WORK"/latchkey-*.tgz)
CONTENTS=$(tar -tzf "$TARBALL")
for expected in package/LICENSE package/bin/latchkey.cjs package/dist/index.js package/dist/index.d.ts \
  package/dist/cli/main.js package/dist/cli/bundle.js package/data/common-passwords.txt; do
  grep -qx "$expected" <<<"$CONTENTS" || { echo "package check: $expected is not in the package" >&2; exit 1; }
done
if grep -qE '^package/(src|test)/|\.test\.' <<<"$CONTENTS"; then
  echo "package check: sources or tests in the package" >&2
  exit 1
fi

step "installing it into a scratch application"
APP="$WORK/app"
mkdir "$APP"
cp scripts/package-check/app.ts "$APP/app.ts"
printf '{ "name": "scratch", "private": true, "type": "module" }\n' >"$APP/package.json"
# Scripts off: better-sqlite3 would compile SQLite for minutes; the checkout's build of the same
# version for the same Node is used instead. Any other install script is refused below.
SQLITE_VERSION=$(node -p 'require("./node_modules/better-sqlite3/package.json").version')
(cd "$APP" && npm install --silent --ignore-scripts --prefer-offline --no-audit --no-fund \
  "$TARBALL" "better-sqlite3@$SQLITE_VERSION" typescript@5 @types/node@20)
mkdir -p "$APP/node_modules/better-sqlite3/build/Release"
cp node_modules/better-sqlite3/build/Release/better_sqlite3.node "$APP/node_modules/better-sqlite3/build/Release/"
SCRIPTED=$(cd "$APP" && npm query ':attr(scripts, [preinstall]), :attr(scripts, [install]), :attr(scripts, [postinstall])' |
  node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>console.log(JSON.parse(s).map((p)=>p.name).filter((n)=>n!=="better-sqlite3").join(" ")))')
if [ -n "$SCRIPTED" ]; then
  echo "package check: dependencies with install scripts: $SCRIPTED" >&2
  exit 1
fi
for optional in pg ioredis nodemailer; do
  if [ -e "$APP/node_modules/$optional" ]; then
    echo "package check: the optional $optional was installed" >&2
    exit 1
  fi
done

step "type-checking with skipLibCheck off"
# Writes tsconfig.NAME.json and checks app.ts with it: compiler, module, moduleResolution, name,
# and an outDir to emit into (else nothing is emitted). No DOM library: a Node application's.
typecheck() {
  local out=${5:-}
  cat >"$APP/tsconfig.$4.json" <<JSON
{
  "compilerOptions": {
    "target": "ES2022", "lib": ["ES2023"], "module": "$2", "moduleResolution": "$3", "strict": true,
    "skipLibCheck": false, "types": ["node"], "esModuleInterop": true,
    $([ -n "$out" ] && echo "\"outDir\": \"$out\"" || echo '"noEmit": true')
  },
  "files": ["app.ts"]
}
JSON
  (cd "$APP" && node "$1" -p "tsconfig.$4.json") || { echo "package check: $4 failed" >&2; return 1; }
}
TS5="$APP/node_modules/typescript/bin/tsc"
TS7="$ROOT/node_modules/typescript/bin/tsc"
# Two at a time: each check is single-threaded, and CI has two cores.
both() {
  local status=0
  wait "$1" || status=1
  wait "$2" || status=1
  return "$status"
}
typecheck "$TS5" commonjs node10 typescript5-node10 & first=$!
typecheck "$TS5" nodenext nodenext typescript5-nodenext out & second=$!
both "$first" "$second"
typecheck "$TS7" nodenext nodenext typescript7-nodenext & first=$!
typecheck "$TS7" esnext bundler typescript7-bundler & second=$!
both "$first" "$second"

step "running it"
(cd "$APP" && node out/app.js)
HELP=$(cd "$APP" && npx --no-install latchkey --help)
grep -q "Usage: latchkey" <<<"$HELP" || { echo "package check: latchkey --help printed: $HELP" >&2; exit 1; }
(cd "$APP" && npx --no-install latchkey check >/dev/null)
step "ok"
