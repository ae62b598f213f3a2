#!/bin/sh
# scripts/duplicates.sh [duplicates flags]: the repeated code of the tree, as
# the `duplicates` command lists it, with the lines of grouped Go import
# blocks passed over. duplicates skips single import lines but reads each
# line of an `import ( ... )` block as code, so two files that import the
# same six packages count as a pair. This runs it on a copy of the tracked
# files in which every import block is written as single import lines; line
# numbers are those of the real files. docs/architecture.md lists what
# remains and why.
set -eu
command -v duplicates >/dev/null || { echo "scripts/duplicates.sh: the duplicates command is not on PATH" >&2; exit 1; }
root=$(git rev-parse --show-toplevel)
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
cd "$root"
# The files duplicates reads in a checkout: tracked and untracked, not ignored,
# as they are in the working tree (a tracked file deleted there is skipped).
git ls-files -co --exclude-standard -z |
	xargs -0 sh -c 'for f; do [ -f "$f" ] && cp --parents -t "$0" "$f"; done; true' "$copy"
flatten='
	/^import \($/ { block = 1; print "// import ("; next }
	block && /^\)$/ { block = 0; print "//"; next }
	block && !/^[ \t]*(\/\/.*)?$/ { sub(/^[ \t]+/, ""); print "import " $0; next }
	{ print }'
export flatten
find "$copy" -name '*.go' -exec sh -c 'for f; do awk "$flatten" "$f" >"$f.flat" && mv "$f.flat" "$f"; done' sh {} +
cd "$copy"
duplicates --repo . "$@"
