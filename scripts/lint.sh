#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# lint.sh: the module's static checks, each one a pass or a fail:
# checkpatch.pl --strict, kernel-doc -Wall, and a W=1 C=1 (sparse) build
# against the debug-6.12 kernel. Tools come from the fetched kernel source.
# Prints one line per check and, last, "N passed, N failed, 0 skipped".
set -uo pipefail
. "$(dirname "$0")/common.sh"

src=$("$MTMAP_ROOT/scripts/fetch-source.sh" debug-6.12) || die "no kernel source"
cd "$MTMAP_ROOT"
files=(src/*.c src/*.h src/kunit/*.c include/uapi/mtmap.h)
pass=0 fail=0
out=$MTMAP_OUT/lint
mkdir -p "$out"

check() { # check NAME LOG: the log must be empty
	if [ -s "$2" ]; then
		echo "lint: FAIL $1 (see $2)"
		sed 's/^/    /' "$2" | head -20
		fail=$((fail + 1))
	else
		echo "lint: ok   $1"
		pass=$((pass + 1))
	fi
}

# compat.h compares LINUX_VERSION_CODE on purpose: that is its job.
"$src/scripts/checkpatch.pl" --strict --no-tree --quiet \
	--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON,NEW_TYPEDEFS \
	-f "${files[@]}" >"$out/checkpatch.log" 2>&1
check "checkpatch --strict" "$out/checkpatch.log"

"$src/scripts/kernel-doc" -none -Wall "${files[@]}" >"$out/kernel-doc.log" 2>&1
check "kernel-doc -Wall" "$out/kernel-doc.log"

if kdir=$("$MTMAP_ROOT/scripts/build-kernel.sh" debug-6.12); then
	rm -rf "$out/mod"
	mkdir -p "$out/mod"
	cp -a Kbuild src include "$out/mod/"
	make -C "$kdir" M="$out/mod" W=1 C=1 modules >"$out/build.raw" 2>&1 ||
		echo "build failed" >>"$out/build.raw"
	# Keep only diagnostics: warnings, errors, sparse messages.
	grep -E 'warning:|error:|ERROR|build failed' "$out/build.raw" >"$out/build.log"
	check "W=1 C=1 (sparse) build" "$out/build.log"
else
	echo "debug-6.12 kernel not available" >"$out/build.log"
	check "W=1 C=1 (sparse) build" "$out/build.log"
fi
echo "$pass passed, $fail failed, 0 skipped"
[ "$fail" = 0 ]
