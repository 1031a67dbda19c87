#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzzes one harness and merges what it found into the committed corpus.
#   tests/fuzz/run.sh BUILD_DIR NAME [SECONDS]
# BUILD_DIR is a build configured with CC=clang -DVFIOHELP_FUZZ=ON. New
# inputs go to BUILD_DIR/fuzz-work/NAME first; `-merge=1` then adds to
# tests/fuzz/corpus/NAME only the inputs that reach new coverage. The log
# (libFuzzer's final stats: execs, cov, ft) is BUILD_DIR/fuzz-work/NAME.log.
set -euo pipefail
build=$(cd "$1" && pwd)
name=$2
secs=${3:-300}
here=$(cd "$(dirname "$0")" && pwd)
corpus=$here/corpus/$name
work=$build/fuzz-work/$name
mkdir -p "$work" "$corpus"
"$build/tests/fuzz/fuzz_$name" -max_total_time="$secs" -print_final_stats=1 -timeout=10 \
	-rss_limit_mb=2048 -max_len=65536 -artifact_prefix="$build/fuzz-work/$name-" \
	"$work" "$corpus" > "$build/fuzz-work/$name.log" 2>&1 || true
"$build/tests/fuzz/fuzz_$name" -merge=1 "$corpus" "$work" > "$build/fuzz-work/$name.merge.log" 2>&1
grep -aE '^#[0-9]+.*DONE|stat::number_of_executed_units|stat::average_exec_per_sec|ERROR|SUMMARY' \
	"$build/fuzz-work/$name.log" || true
ls "$build/fuzz-work/$name-"* 2>/dev/null && echo "crash/leak/timeout artifacts above" || true
