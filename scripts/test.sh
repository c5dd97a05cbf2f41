#!/usr/bin/env bash
# Runs everything CI runs: vet, the race-enabled test suite against a real
# redis-server, and a short run of every fuzz target.
#
#   FUZZTIME=30s scripts/test.sh     # longer fuzzing
set -euo pipefail

cd "$(dirname "$0")/.."

sudo=()
if [ "$(id -u)" -ne 0 ]; then
	sudo=(sudo)
fi
apt_updated=0
apt_install() {
	if [ "$apt_updated" -eq 0 ]; then
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
		apt_updated=1
	fi
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

# Tests that need Redis start their own redis-server (internal/redistest).
if ! command -v redis-server >/dev/null 2>&1; then
	echo "==> installing redis-server"
	apt_install redis-server
	# The Debian package may start a system-wide server; tests never use it.
	command -v redis-server >/dev/null
fi
redis-server --version

# The browser tests (tests/browser_test.go) drive Debian's Chromium; with
# CI=true they fail rather than skip when it is missing.
if ! command -v chromium >/dev/null 2>&1; then
	echo "==> installing chromium"
	apt_install chromium
	command -v chromium >/dev/null
fi
chromium --version 2>/dev/null

echo "==> gofmt, go vet, staticcheck"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change: $unformatted" >&2
	exit 1
fi
go vet ./...
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

echo "==> go test -race"
go test -race -count=1 -timeout 15m ./...

# Every `func FuzzXxx(f *testing.F)` in a _test.go file, found afresh each
# run so new targets are fuzzed without editing this script.
echo "==> fuzz (${FUZZTIME:-10s} each)"
found=0
while IFS=: read -r file name; do
	found=1
	pkg="./$(dirname "$file")"
	echo "--> ${pkg} ${name}"
	# Go's fuzzer can report a bare "context deadline exceeded" when its
	# workers answer late at the end of -fuzztime on a busy machine; that
	# run is repeated once. A real finding prints "Failing input" and its
	# file under testdata/fuzz, and fails at once.
	log=$(mktemp)
	if ! go test -run='^$' -fuzz="^${name}\$" -fuzztime="${FUZZTIME:-10s}" "$pkg" 2>&1 | tee "$log"; then
		if grep -q 'Failing input' "$log" || ! grep -q 'context deadline exceeded' "$log"; then
			rm -f "$log"
			exit 1
		fi
		echo "--> ${pkg} ${name}: the fuzzer timed out shutting down; once more"
		go test -run='^$' -fuzz="^${name}\$" -fuzztime="${FUZZTIME:-10s}" "$pkg"
	fi
	rm -f "$log"
done < <(grep -rHoE --include='*_test.go' --exclude-dir=.git --exclude-dir=vendor --exclude-dir=testdata \
	'^func Fuzz[A-Za-z0-9_]*\(' . |
	sed -E 's#^\./##; s#:func (Fuzz[A-Za-z0-9_]*)\($#:\1#' | sort -u)
if [ "$found" -eq 0 ]; then
	echo "no fuzz targets found"
fi
