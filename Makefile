# SPDX-License-Identifier: GPL-2.0
# mtmap: out-of-tree module + test harness. The module itself is described
# by ./Kbuild; this Makefile is the entry point for building and testing.
#
#   make [module] [KDIR=...]      build mtmap.ko here against KDIR
#   make deps                     install what is missing (Debian 12, root)
#   make check [LANES=...] [TESTS=...]
#                                 build kernels/module/selftests, boot each
#                                 lane under QEMU, judge TAP/KTAP + splats;
#                                 last line: "N passed, N failed, N skipped"
#   make run [LANE=debug-6.12]    boot the lane, run mtmap-demo, show it
#   make vm-run LANE=... PROG=... [ARGS=...]
#                                 boot LANE with the module loaded, run PROG
#   make lint                     checkpatch --strict, kernel-doc, W=1 C=1
#   make kernels                  build all debug kernels
#   make selftests                build the selftests into out/selftests
#   make clean                    remove build products and out/
#
# Lanes: stock-6.1 (Debian 12's kernel), debug-6.12, debug-latest (debug
# kernels built by scripts/build-kernel.sh, cached under $MTMAP_CACHE,
# default ~/.cache/mtmap). stock-6.1-arm64 (Debian 12's arm64 kernel under
# qemu-system-aarch64, cortex-a57 plus a second boot on a DBM CPU;
# MTMAP_MODSRC=... builds another module tree) runs the selftests there and
# measures faults against a TTM-style baseline (selftests/ttm_baseline/). Logs: out/<lane>/console.log (kernel console),
# out/<lane>/results.log (test output). See scripts/*.sh for the knobs
# (MTMAP_VM_TIMEOUT, MTMAP_MODPARAMS, MTMAP_LOAD_EXTRA, ...).

KDIR ?= /lib/modules/$(shell uname -r)/build
LANES ?= stock-6.1 debug-6.12 debug-latest stock-6.1-arm64
LANE ?= debug-6.12
TESTS ?=
PROG ?=
ARGS ?=
OUT := $(CURDIR)/out

export TESTS
export MTMAP_OUT := $(OUT)

.PHONY: all module deps check run vm-run kernels selftests clean help lint

all: module

module:
	@test -f $(KDIR)/Makefile || { echo "KDIR=$(KDIR) is not a kernel build tree;" \
		"pass KDIR=... (e.g. /usr/src/linux-headers-<version>, or the output of" \
		"scripts/build-kernel.sh debug-6.12)" >&2; exit 2; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

deps:
	@scripts/deps.sh

check: deps
	scripts/check.sh $(LANES)

run: deps selftests
	@scripts/lane-run.sh run $(LANE)

selftests:
	mkdir -p $(OUT)/selftests
	$(MAKE) -C selftests KSRC=$$(scripts/fetch-source.sh debug-6.12) OUT=$(OUT)/selftests

vm-run: deps
	@test -n "$(PROG)" || { echo "usage: make vm-run LANE=<lane> PROG=/path/to/static-binary [ARGS=...]" >&2; exit 2; }
	@scripts/lane-run.sh vm-run $(LANE) $(PROG) $(ARGS)

lint: deps
	@scripts/lint.sh

kernels: deps
	@for l in $(filter debug-%,$(LANES)); do \
		e=$$(scripts/lane-env.sh $$l) || exit 1; eval "$$e"; \
		if [ "$$LANE_STATUS" = skip ]; then echo "$$l: SKIPPED - $$LANE_REASON"; \
		else echo "$$l: $$LANE_KDIR"; fi; \
	done

clean:
	-[ ! -f $(KDIR)/Makefile ] || $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(OUT)

help:
	@sed -n '2,/^$$/s/^# \{0,1\}//p' $(firstword $(MAKEFILE_LIST))

# make bench [LANE=...]: first-touch benchmark (selftests/mtmap_bench.c) in
# one VM boot; table on stdout, CSV/PNG under Documentation/bench/.
.PHONY: bench
bench: deps
	@scripts/bench.sh $(LANE)
