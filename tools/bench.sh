#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench: our dma-buf against pristine 6.12, side by side.
#
# Builds two kernels from the same perf config (tinyconfig +
# tools/configs/bench.config), one on pristine 6.12 and one on our tree,
# builds tools/bench/dmabuf_bench.c against each and tools/bench/ubench.c
# once, boots each kernel under
#   qemu-system-x86_64 -accel tcg -icount shift=0,sleep=off -smp 1
# (guest nanoseconds are guest instructions: a figure repeats from run to
# run, and the ratio of the two kernels is meaningful on a busy host),
# and hands both result files to tools/bench/report.py for the table and
# the plots.  It reuses harness.sh's setup, overlay, config and lock
# functions; the kernel builds run under the same global build lock.
#
#   $CACHE/build-bench/            O= dir of our kernel
#   $CACHE/build-bench-pristine/   O= dir of pristine 6.12
#   $CACHE/bench/{ours,pristine}/  bench module, initramfs, console, results
#   $CACHE/logs/bench/             table (bench.txt), plots (*.png), data
#
# Knobs: BENCH_RUNS=N boots each kernel N times (default 1; the report
# then shows the spread), BENCH_ONLY=substring runs only matching cases,
# BENCH_TIMEOUT (seconds per boot, default 1800), BENCH_CLOCK=wall boots
# without -icount (host time; for page clearing and copying, with
# BENCH_RUNS=3 or more; own dirs *-wall), BENCH_VARIANT=name adds
# tools/configs/bench-<name>.config to the fragment and keeps its own build
# dirs, outputs and logs (suffix -<name>): e.g. BENCH_VARIANT=nostats, both
# kernels without CONFIG_DMABUF_SYSFS_STATS; BENCH_VARIANT=hang, ours with
# CONFIG_DMA_FENCE_DEBUG_HANG against the plain 6.12 bench kernel (an
# option 6.12 does not have leaves its side as it is).

TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HARNESS_LIB=1
# shellcheck source=harness.sh
. "$TOOLS/harness.sh"
cmd=bench

BENCH_VARIANT=${BENCH_VARIANT:-}
sfx=${BENCH_VARIANT:+-$BENCH_VARIANT}
BENCH_BUILD=$CACHE/build-bench$sfx
BENCH_PBUILD=$CACHE/build-bench-pristine$sfx
BENCH_DIR=$CACHE/bench$sfx
BENCH_LOGS=$LOGS/bench$sfx
# BENCH_CLOCK=wall: no -icount, guest time is host time (for the rows that
# clear or copy pages); results and tables apart, under .../bench-wall
BENCH_CLOCK=${BENCH_CLOCK:-icount}
case $BENCH_CLOCK in
icount) QEMU_CLOCK=(-icount shift=0,sleep=off) ;;
wall) QEMU_CLOCK=(); BENCH_DIR=$BENCH_DIR-wall; BENCH_LOGS=$BENCH_LOGS-wall ;;
*) die "BENCH_CLOCK is icount or wall, not '$BENCH_CLOCK'" ;;
esac
BENCH_FRAGMENT=$TOOLS/configs/bench.config
if [ -n "$BENCH_VARIANT" ]; then
	extra=$TOOLS/configs/bench-$BENCH_VARIANT.config
	[ -f "$extra" ] || die "no $extra for BENCH_VARIANT=$BENCH_VARIANT"
	mkdir -p "$BENCH_DIR"
	# the variant's lines last, so they override bench.config's
	grep -v -f <(sed -n 's/^# \(CONFIG_[A-Z0-9_]*\) is not set$/^\1=/p; s/^\(CONFIG_[A-Z0-9_]*\)=.*/^\1=/p' "$extra") \
		"$BENCH_FRAGMENT" | cat - "$extra" >"$BENCH_DIR/bench.config"
	BENCH_FRAGMENT=$BENCH_DIR/bench.config
fi
BENCH_RUNS=${BENCH_RUNS:-1}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-1800}

bench_packages() {
	dpkg -s gnuplot-nox >/dev/null 2>&1 && return 0
	stage "installing gnuplot-nox (the plots)"
	[ "$(id -u)" -eq 0 ] || die "gnuplot-nox missing and not root"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends gnuplot-nox >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null &&
		  apt-get install -y -qq --no-install-recommends gnuplot-nox >/dev/null; } ||
		die "apt-get install gnuplot-nox failed"
}

# bench_kernel SIDE SRCTREE BUILDDIR [FRAGMENT]: configure, build the
# kernel and the bench module.
bench_kernel() {
	local side=$1 src=$2 out=$3 frag=${4:-$BENCH_FRAGMENT} log=$LOGS/bench-build-$1.log t0=$SECONDS
	configure_dir "$src" "$out" "$frag" || return 1
	stage "building the $side bench kernel (log: $log)"
	: >"$log"
	kmake_log_in "$src" "$log" O="$out" || return 1
	build_bench_module "$src" "$out" "$BENCH_DIR/$side/module" "$log" || return 1
	note "$side kernel and bench module built in $((SECONDS - t0))s"
}

# The drivers/dma-buf sources that are ours: ubench runs a uAPI case only
# if every file its figure is made of is one of them.
our_objects() {
	repo_files | grep -E '^([^/]+|heaps/[^/]+)\.c$' | grep -v '^selftests/' |
		paste -sd, -
}

# Does 6.12 know any symbol of the variant's fragment?  An option of ours
# only (BENCH_VARIANT=hang) leaves the pristine kernel as it is: then the
# plain bench kernel, its build dir shared with make bench, stands for it.
variant_in_pristine() {
	local sym
	for sym in $(sed -n 's/^# \(CONFIG_[A-Z0-9_]*\) is not set$/\1/p; s/^\(CONFIG_[A-Z0-9_]*\)=.*/\1/p' "$extra"); do
		grep -rqsE --include='Kconfig*' "^(menu)?config ${sym#CONFIG_}\$" "$PRISTINE" && return 0
	done
	return 1
}

bench_initramfs() {
	local side=$1 ir=$BENCH_DIR/$1/initramfs
	initramfs_root "$ir"
	mkdir -p "$ir/harness/bench"
	cp "$BENCH_DIR/$side/module/dmabuf_bench.ko" "$BENCH_DIR/ubench" "$ir/harness/bench/"
	{
		printf -- '--ours=%s' "$(our_objects)"
		[ -n "${BENCH_ONLY:-}" ] && printf ' --only=%s' "$BENCH_ONLY"
		echo
	} >"$ir/harness/bench/ubench.args"
	echo "${BENCH_ONLY:+only=$BENCH_ONLY}" >"$ir/harness/bench/module.args"
	initramfs_pack "$ir" "$BENCH_DIR/$side/initramfs.cpio.gz"
}

# bench_boot SIDE BUILDDIR RUN: one guest run, results in results.RUN.log
bench_boot() {
	local side=$1 out=$2 run=$3 d=$BENCH_DIR/$1 t0=$SECONDS rc
	local results=$d/results.$run.log console=$d/console.$run.log
	stage "bench run $run/$BENCH_RUNS on $side (qemu tcg ${QEMU_CLOCK[*]:-(wall clock)} -smp 1)"
	rm -f "$results" "$console"
	: >"$results"
	timeout --foreground -k 10 "$BENCH_TIMEOUT" \
		qemu-system-x86_64 -accel tcg "${QEMU_CLOCK[@]}" -smp 1 -m 2G \
		-nographic -no-reboot -serial mon:stdio -serial "file:$results" \
		-kernel "$out/arch/x86/boot/bzImage" -initrd "$d/initramfs.cpio.gz" \
		-append "console=ttyS0 quiet panic=-1 harness=bench" \
		</dev/null >"$console" 2>&1
	rc=$?
	note "guest finished in $((SECONDS - t0))s (qemu exit $rc)"
	grep -q '^@@HARNESS-END bench' "$results" ||
		{ echo "bench: the $side guest did not finish; console: $console" >&2; tail -n 20 "$console"; return 1; }
}

main() {
	lock_cache
	local t0=$SECONDS side run
	need_packages
	bench_packages
	setup_pristine
	stage "overlaying repo ($REPO) on $TREE"
	overlay
	mkdir -p "$BENCH_DIR"/{ours,pristine} "$BENCH_LOGS"
	local pfrag=$BENCH_FRAGMENT
	if [ -n "$BENCH_VARIANT" ] && ! variant_in_pristine; then
		note "6.12 has none of bench-$BENCH_VARIANT.config's options: its side is the plain bench kernel"
		pfrag=$TOOLS/configs/bench.config
		BENCH_PBUILD=$CACHE/build-bench-pristine
	fi
	bench_kernel pristine "$PRISTINE" "$BENCH_PBUILD" "$pfrag" || die "pristine bench kernel build failed"
	bench_kernel ours "$TREE" "$BENCH_BUILD" || die "our bench kernel build failed"
	stage "building ubench (static, pristine uapi headers)"
	locked make -C "$PRISTINE" O="$BENCH_PBUILD" headers >>"$LOGS/bench-build-pristine.log" 2>&1 ||
		die "make headers failed"
	build_ubench "$BENCH_PBUILD/usr/include" "$BENCH_DIR/ubench" || die "ubench build failed"
	bench_initramfs pristine && bench_initramfs ours || die "bench initramfs failed"
	local rp=() ro=()
	for run in $(seq 1 "$BENCH_RUNS"); do
		bench_boot pristine "$BENCH_PBUILD" "$run" || die "pristine bench run failed"
		bench_boot ours "$BENCH_BUILD" "$run" || die "our bench run failed"
		rp+=("$BENCH_DIR/pristine/results.$run.log")
		ro+=("$BENCH_DIR/ours/results.$run.log")
	done
	stage "report (took $((SECONDS - t0))s so far)"
	"$PYTHON" "$TOOLS/bench/report.py" --out "$BENCH_LOGS" \
		--pristine "${rp[@]}" --ours "${ro[@]}"
}

main "$@"
