#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test.sh: install what is missing, then build and test hshmfs in a matrix.
#
# usage: scripts/test.sh [--quick] [--no-deps] [--only STAGE[,STAGE...]]
#
# Stages, each in its own build directory under $HSHMFS_BUILD_ROOT (build/):
#   gcc           gcc, debugoptimized, -Dwerror=true: build, meson test (every suite)
#   asan          gcc, ASan+UBSan: build, suites unit and integration
#   tsan          gcc, ThreadSanitizer: build, suite integration (the daemon
#                 under TSan; any report fails the test that saw it)
#   lib           gcc, -Dfs=disabled: the backend library alone, suite unit
#   clang-werror  clang, -Dwerror=true: build, suite unit
#   valgrind      suite unit of build/gcc under valgrind (no build of its own)
#   fuzz          clang, -Dfuzz=true, ASan+UBSan: build, each fuzz_* for
#                 $FUZZ_SECONDS (20) seconds; skipped without libFuzzer
# --quick runs only gcc.  --no-deps skips scripts/deps.sh.
# Integration tests need root and /dev/fuse; without them they report SKIP,
# except under CI=true, where a skipped integration test is a failure.
# Ends with one line "N passed, N failed" (one count per build and per suite
# run) and exits non-zero when anything failed.
set -u

cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
B=${HSHMFS_BUILD_ROOT:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
STAGES="gcc asan tsan lib clang-werror valgrind fuzz"
deps=1

usage() { sed -n '5,22p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
	case "$1" in
	--quick) STAGES="gcc" ;;
	--no-deps) deps=0 ;;
	--only)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		STAGES=${2//,/ }
		shift
		;;
	-h | --help) usage; exit 0 ;;
	*) echo "test.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
	shift
done

# --- bookkeeping ---------------------------------------------------------
names=() results=() secs=() failures=()
npass=0 nfail=0
T0=$SECONDS

banner() { printf '\n==== %s ====\n' "$*"; }

# record NAME RESULT SECONDS: RESULT is PASS, FAIL or SKIP (SKIP not counted).
record() {
	names+=("$1") results+=("$2") secs+=("$3")
	case "$2" in
	PASS) npass=$((npass + 1)) ;;
	FAIL) nfail=$((nfail + 1)) ;;
	esac
	printf -- '---- %s: %s (%ss)\n' "$1" "$2" "$3"
}

# check NAME CMD...: run CMD, record PASS or FAIL with its time.
check() {
	local name=$1 t=$SECONDS rc
	shift
	banner "$name"
	"$@"
	rc=$?
	if [ $rc -eq 0 ]; then
		record "$name" PASS $((SECONDS - t))
	else
		record "$name" FAIL $((SECONDS - t))
	fi
	return $rc
}

# --- helpers -------------------------------------------------------------
# setup DIR COMPILER MESON_ARGS...: configure DIR, reusing it when it exists
# (--reconfigure applies new options), wiping it when that fails.
setup() {
	local dir=$1 cc=$2
	shift 2
	if [ -f "$dir/meson-private/coredata.dat" ]; then
		CC=$cc meson setup --reconfigure "$dir" "$@" ||
			CC=$cc meson setup --wipe "$dir" "$@"
	else
		rm -rf "$dir"
		CC=$cc meson setup "$dir" "$@"
	fi
}

# build DIR COMPILER MESON_ARGS...: configure and compile.
build() {
	local dir=$1
	setup "$@" && meson compile -C "$dir"
}

# suites DIR: the test suites DIR defines, one per line (project prefix cut).
suites() {
	meson introspect --tests "$1" | python3 -c '
import json, sys
seen = set()
for t in json.load(sys.stdin):
    for s in t["suite"]:
        s = s.split(":", 1)[-1]
        if s not in seen:
            seen.add(s)
            print(s)'
}

# has_suite DIR SUITE
has_suite() { suites "$1" | grep -x "$2" >/dev/null; }

# run_suite NAME DIR SUITE [MESON_TEST_ARGS...]: one counted suite run;
# SKIP when the build defines no such suite (not written yet).
run_suite() {
	local name=$1 dir=$2 suite=$3
	shift 3
	if ! has_suite "$dir" "$suite"; then
		record "$name" SKIP 0
		echo "     (no tests in suite '$suite' yet)"
		return 0
	fi
	check "$name" meson test -C "$dir" --print-errorlogs --suite "$suite" "$@" ||
		failed_tests "$name" "$dir"
	[ "$suite" != integration ] || check "$name: none skipped (CI)" \
		no_skips "$dir" integration
}

# failed_tests NAME DIR: keep, for the summary, which tests of the last
# meson test in DIR failed and the last lines each printed (a CI log is
# often cut in the middle; its end is what a reader sees).
failed_tests() {
	local more
	more=$(python3 - "$2/meson-logs/testlog.json" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    try:
        t = json.loads(line)
    except ValueError:
        continue
    if t["result"] in ("OK", "SKIP", "EXPECTEDFAIL"):
        continue
    print("  %s %s (%.0fs)" % (t["result"], t["name"], t.get("duration", 0)))
    for stream in ("stdout", "stderr"):
        out = (t.get(stream) or "").splitlines()
        for l in out[-10:]:
            print("    %s| %s" % (stream[3], l[:200]))
PY
)
	failures+=("$1:" "$more")
}

# no_skips DIR SUITE: under CI=true, fail when the last meson test in DIR
# skipped any test of SUITE (a skip there means a missing prerequisite).
no_skips() {
	[ "${CI:-}" = true ] || return 0
	python3 - "$1/meson-logs/testlog.json" "$2" <<'PY'
import json, sys
bad = []
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t["result"] == "SKIP" and any(s.split(":", 1)[-1] == sys.argv[2]
                                     for s in t.get("suite", [])):
        bad.append(t["name"])
for name in bad:
    print("skipped under CI:", name)
sys.exit(1 if bad else 0)
PY
}

# The features CI must not lose silently: the daemon (forced by -Dfs=enabled)
# and the CMocka unit tests.
expect_features() {
	if ! has_suite "$1" unit; then
		echo "expected unit tests in $1 (is libcmocka-dev installed?)" >&2
		return 1
	fi
	[ -x "$1/src/fs/hshmfs" ] || { echo "no hshmfs daemon in $1" >&2; return 1; }
}

have_libfuzzer() {
	local tmp rc
	tmp=$(mktemp -d) || return 1
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
		'{ (void)d; (void)n; return 0; }' >"$tmp/f.c"
	clang -fsanitize=fuzzer,address "$tmp/f.c" -o "$tmp/f" >/dev/null 2>&1
	rc=$?
	rm -rf "$tmp"
	return $rc
}

# --- stages --------------------------------------------------------------
stage_gcc() {
	local d=$B/gcc
	check "gcc: build" build "$d" gcc --buildtype=debugoptimized -Dfs=enabled \
		-Dwerror=true -Dtests=true -Dbench=true -Dfuzz=false || return
	check "gcc: features" expect_features "$d"
	check "gcc: meson test (all suites)" meson test -C "$d" --print-errorlogs ||
		failed_tests "gcc: meson test (all suites)" "$d"
	check "gcc: no integration test skipped (CI)" no_skips "$d" integration
}

stage_asan() {
	local d=$B/asan
	check "asan: build" build "$d" gcc --buildtype=debugoptimized -Dfs=enabled \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dtests=true -Dbench=false -Dfuzz=false || return
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	run_suite "asan: unit" "$d" unit --timeout-multiplier 3
	run_suite "asan: integration" "$d" integration --timeout-multiplier 3
	unset ASAN_OPTIONS UBSAN_OPTIONS
}

# The daemon under ThreadSanitizer.  A report goes to the daemon's log,
# where lib.sh fails the test (IT_FATAL), and makes the daemon exit 66,
# which fails it too.  No suppressions: libfuse's own threads synchronise
# through pthread calls that TSan intercepts.
stage_tsan() {
	local d=$B/tsan
	check "tsan: build" build "$d" gcc --buildtype=debugoptimized -Dfs=enabled \
		-Db_sanitize=thread -Db_lundef=false \
		-Dtests=true -Dbench=false -Dfuzz=false || return
	export TSAN_OPTIONS=halt_on_error=0:second_deadlock_stack=1
	run_suite "tsan: integration" "$d" integration --timeout-multiplier 3
	unset TSAN_OPTIONS
}

# The backend library alone: it must build and pass without libfuse.
stage_lib() {
	local d=$B/lib
	check "lib: build (-Dfs=disabled)" build "$d" gcc \
		--buildtype=debugoptimized -Dfs=disabled -Dwerror=true \
		-Dtests=true -Dbench=false -Dfuzz=false || return
	if [ -e "$d/src/fs/hshmfs" ]; then
		echo "lib: a daemon was built with -Dfs=disabled" >&2
		record "lib: no daemon" FAIL 0
	fi
	run_suite "lib: unit" "$d" unit
}

stage_clang_werror() {
	local d=$B/clang-werror
	if ! command -v clang >/dev/null; then
		record "clang-werror" SKIP 0
		return
	fi
	check "clang-werror: build" build "$d" clang --buildtype=debugoptimized \
		-Dfs=enabled -Dwerror=true -Dtests=true -Dbench=true -Dfuzz=false || return
	run_suite "clang-werror: unit" "$d" unit
}

stage_valgrind() {
	local d=$B/gcc
	if ! command -v valgrind >/dev/null; then
		record "valgrind: unit" SKIP 0
		return
	fi
	# reuses the gcc build; builds it when the gcc stage did not run
	if [ ! -f "$d/build.ninja" ]; then
		check "valgrind: build" build "$d" gcc --buildtype=debugoptimized \
			-Dfs=enabled -Dtests=true -Dbench=true -Dfuzz=false || return
	fi
	run_suite "valgrind: unit" "$d" unit --timeout-multiplier 10 \
		--wrapper 'valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite -q'
}

stage_fuzz() {
	local d=$B/fuzz f name corpus
	if ! grep -q "option('fuzz'" meson_options.txt || ! have_libfuzzer; then
		record "fuzz" SKIP 0
		echo "     (no fuzz option or clang has no libFuzzer)"
		return
	fi
	check "fuzz: build" build "$d" clang --buildtype=debugoptimized \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dfuzz=true -Dtests=false -Dbench=false || return
	local found=0
	for f in $(find "$d" -type f -perm -u+x -name 'fuzz_*' | sort); do
		found=1
		name=$(basename "$f")
		corpus=$d/corpus/$name
		mkdir -p "$corpus"
		set -- "$corpus"
		[ -d "tests/fuzz/corpus/$name" ] && set -- "$@" "tests/fuzz/corpus/$name"
		check "fuzz: $name ${FUZZ_SECONDS}s" env \
			ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
			UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			timeout $((FUZZ_SECONDS * 3 + 30)) "$f" \
			-max_total_time="$FUZZ_SECONDS" -print_final_stats=1 \
			-artifact_prefix="$d/crash-$name-" "$@"
	done
	if [ $found = 0 ]; then
		record "fuzz: run" SKIP 0
		echo "     (no fuzz_* executables built yet)"
	fi
}

# --- main ----------------------------------------------------------------
echo "hshmfs test.sh: stages: $STAGES (build root $ROOT/$B, CI=${CI:-})"
if [ $deps = 1 ]; then
	check "deps" scripts/deps.sh || true
fi
mkdir -p "$B"
for s in $STAGES; do
	case "$s" in
	gcc) stage_gcc ;;
	asan) stage_asan ;;
	tsan) stage_tsan ;;
	lib) stage_lib ;;
	clang-werror) stage_clang_werror ;;
	valgrind) stage_valgrind ;;
	fuzz) stage_fuzz ;;
	*) record "$s" FAIL 0; echo "     (unknown stage)" ;;
	esac
done

banner "summary ($((SECONDS - T0))s in all)"
for i in "${!names[@]}"; do
	printf '  %-4s %5ss  %s\n' "${results[$i]}" "${secs[$i]}" "${names[$i]}"
done
if [ ${#failures[@]} -gt 0 ]; then
	echo
	echo "failed tests (last lines of each):"
	printf '%s\n' "${failures[@]}"
fi
echo "$npass passed, $nfail failed"
[ $nfail -eq 0 ]
