#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Developer / CI harness for the drivers/dma-buf rewrite.
#
#   harness.sh build    set up the cache, overlay the repo on a 6.12 tree,
#                       configure, build the kernel, the upstream selftest
#                       module, the userspace programs and the initramfs
#   harness.sh test     build, static checks, boot the guest in test mode,
#                       report: ends with "N passed, N failed, N skipped"
#   harness.sh run      build, boot the guest and run the sw_sync demo
#   harness.sh static   static checks only (sparse, W=1, checkpatch, kernel-doc)
#   harness.sh overlay  (re)apply the repo overlay on the build tree only
#   harness.sh compat   allmodconfig-compile every object including our headers
#   harness.sh clean-cache   drop the build tree and build dirs (keeps pristine)
#
# Everything it produces lives in $DMABUF_CACHE (default ~/.cache/dmabuf):
#   linux-source-6.12/  pristine tree, unpacked once, never written to
#   tree/               cp -al of pristine + symlinks into the repo
#   build/              O= build dir of the test kernel
#   build-check/        O= build dir for sparse/W=1 (own flags, own objects)
#   upstream-st/        upstream dma-buf selftests, built as an external module
#   ours-st/            our dmabuf_selftests.ko (CONFIG_DMABUF_SELFTESTS=m)
#                       and its igt__N__ groups
#   bench-check/        tools/bench's module built for the test kernel
#   build-bench/, build-bench-pristine/, bench/   make bench (tools/bench.sh)
#   user/               static userspace programs
#   initramfs/, initramfs.cpio.gz
#   logs/               build.log, console.log, results.log, static/, report
#
# Every kernel make runs under flock $KBUILD_LOCK: one kernel build at a time.
# Every command that writes the cache holds flock $CACHE/harness.lock for the
# whole run: one harness run per cache at a time (see lock_cache).

set -o pipefail
shopt -s nullglob

TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$TOOLS/.." && pwd)
CACHE=${DMABUF_CACHE:-${HOME:-/root}/.cache/dmabuf}
TARBALL=${DMABUF_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
PRISTINE=$CACHE/linux-source-6.12
TREE=$CACHE/tree
BUILD=$CACHE/build
CHECK=$CACHE/build-check
STDIR=$CACHE/upstream-st
OURST=$CACHE/ours-st
BENCHCHK=$CACHE/bench-check
USERDIR=$CACHE/user
IRDIR=$CACHE/initramfs
INITRD=$CACHE/initramfs.cpio.gz
LOGS=$CACHE/logs
KBUILD_LOCK=${KBUILD_LOCK:-/tmp/dmabuf-kbuild.lock}
JOBS=${JOBS:-$(nproc)}
BASE_CONFIG=${BASE_CONFIG:-tinyconfig}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-1500}
QEMU_MEM=${QEMU_MEM:-4G}
QEMU_SMP=${QEMU_SMP:-2}
KCC=${KCC:-ccache gcc}
PYTHON=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
FRAGMENT=$TOOLS/configs/test.config

# Kernel makes must not inherit the jobserver or flags of the make that
# called us (make test -> make -C tools test -> this script).
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES GNUMAKEFLAGS
export PYTHONDONTWRITEBYTECODE=1
export LC_ALL=C

# fd 3: the terminal, for messages from inside redirected commands
exec 3>&1
STAGE_T0=$SECONDS
stage() { printf '==> [%4ds] %s\n' $((SECONDS - STAGE_T0)) "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf 'harness: error: %s\n' "$*" >&2; exit 2; }

# One harness run per cache: hold an flock on $CACHE_LOCK (fd 9) until we
# exit, so two runs sharing a $DMABUF_CACHE cannot clobber each other's
# build tree and logs; a second run waits, saying so.  Lock order: this
# per-cache lock is taken once, first, and never while holding
# $KBUILD_LOCK, which is only held around single kernel makes -- no cycle.
# A harness started from inside this one (same cache; DMABUF_CACHE_LOCKED
# is inherited) runs under its parent's lock instead of waiting for it.
CACHE_LOCK=$CACHE/harness.lock
lock_cache() {
	local me
	me=$(realpath -m "$CACHE")
	[ "${DMABUF_CACHE_LOCKED:-}" = "$me" ] && return 0
	mkdir -p "$CACHE" || die "cannot create $CACHE"
	exec 9>>"$CACHE_LOCK" || die "cannot open $CACHE_LOCK"
	if ! flock -n 9; then
		note "waiting for $CACHE_LOCK (another harness run uses this cache:" \
			"$(cat "$CACHE_LOCK.owner" 2>/dev/null || echo '?')) ..."
		flock 9 || die "flock $CACHE_LOCK failed"
	fi
	echo "pid $$, harness.sh $cmd, since $(date '+%F %T')" >"$CACHE_LOCK.owner"
	export DMABUF_CACHE_LOCKED=$me
}

# Run a command under the global kernel-build lock, saying so if we wait.
locked() {
	if ! flock -n "$KBUILD_LOCK" true 2>/dev/null; then
		note "waiting for $KBUILD_LOCK (another kernel build is running) ..." >&3
	fi
	flock "$KBUILD_LOCK" "$@"
}

# Run a kernel make under the global lock, output to a log file.  On failure
# print the log's tail (the interesting part) and return non-zero.
kmake_log() {
	kmake_log_in "$TREE" "$@"
}

# kmake_log_in SRCTREE LOG ARGS...: the same in another source tree
# (pristine, for the bench kernel).
kmake_log_in() {
	local src=$1 log=$2; shift 2
	# -L: a re-pointed symlink counts as changed even if its target is old
	if ! locked make -L -C "$src" CC="$KCC" -j"$JOBS" "$@" >>"$log" 2>&1; then
		echo "---- last 40 lines of $log ----"
		grep -v '^make\[[0-9]*\]: \(Entering\|Leaving\)' "$log" | tail -n 40
		echo "----"
		return 1
	fi
}

# ---------------------------------------------------------------- setup ---

need_packages() {
	# Debian package -> why
	local pkgs=(
		linux-source-6.12	# pristine kernel sources (tarball)
		build-essential gcc make flex bison bc	# kernel build
		libelf-dev libssl-dev dwarves kmod cpio	# objtool, certs, pahole, modinfo
		ccache sparse perl xz-utils gzip
		util-linux	# flock
		coreutils findutils git
		python3	# kunit.py parse, report
		qemu-system-x86 busybox-static
		libc6-dev	# static userspace programs
		gcc-multilib libc6-dev-i386	# 32-bit uAPI ABI check, static -m32 sync_test
	)
	local missing=() p
	for p in "${pkgs[@]}"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	stage "installing missing packages: ${missing[*]}"
	[ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}) and not root"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || die "apt-get update failed"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed"
	PYTHON=$(command -v /usr/bin/python3 || command -v python3)
}

setup_pristine() {
	mkdir -p "$CACHE" "$LOGS"
	if [ ! -f "$PRISTINE/Makefile" ]; then
		[ -f "$TARBALL" ] || die "$TARBALL not found (package linux-source-6.12)"
		stage "unpacking $TARBALL (once)"
		rm -rf "$PRISTINE.tmp"
		mkdir -p "$PRISTINE.tmp"
		tar -xf "$TARBALL" -C "$PRISTINE.tmp" --strip-components=1 ||
			die "unpacking $TARBALL failed"
		# read-only files: nothing can write through a hard link by mistake
		find "$PRISTINE.tmp" -type f -exec chmod a-w {} +
		mv "$PRISTINE.tmp" "$PRISTINE"
	fi
	if [ ! -f "$TREE/Makefile" ]; then
		stage "creating build tree (hard-link copy of pristine)"
		rm -rf "$TREE" "$TREE.tmp"
		mkdir -p "$TREE.tmp"
		cp -al "$PRISTINE/." "$TREE.tmp/" || die "cp -al failed"
		mv "$TREE.tmp" "$TREE"
		rm -f "$CACHE/overlay.manifest"
	fi
}

# ---------------------------------------------------------------- overlay -

# Files of the repo that go into the kernel tree, repo-relative.
repo_files() {
	(
		cd "$REPO" || exit 1
		if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
			git ls-files -z --cached --others --exclude-standard
		else
			find . -path ./.git -prune -o \( -type f -o -type l \) -printf '%P\0'
		fi
	) | tr '\0' '\n' | while IFS= read -r f; do
		case "$f" in
		tools/* | .ci/* | README* | .git* | */.git*) continue ;;
		esac
		[ -f "$REPO/$f" ] && printf '%s\n' "$f"
	done | sort -u
}

# repo-relative path -> kernel-tree-relative path
kpath() {
	case "$1" in
	include/* | Documentation/*) printf '%s\n' "$1" ;;
	*) printf 'drivers/dma-buf/%s\n' "$1" ;;
	esac
}

# Overlay the repo onto $TREE as symlinks.  Idempotent and incremental; never
# writes through a hard link into pristine (destinations are removed first).
overlay() {
	local manifest=$CACHE/overlay.manifest new=$CACHE/overlay.manifest.new
	local f k dst cur changed=0 restored=0 dropped=0
	repo_files | while IFS= read -r f; do kpath "$f"; done | sort -u >"$new.k"
	repo_files >"$new.r"
	: >"$new"
	while IFS= read -r f; do
		k=$(kpath "$f")
		dst=$TREE/$k
		printf '%s\n' "$k" >>"$new"
		cur=$(readlink "$dst" 2>/dev/null || true)
		[ "$cur" = "$REPO/$f" ] && continue
		mkdir -p "$(dirname "$dst")"
		rm -rf "$dst"
		ln -s "$REPO/$f" "$dst"
		changed=$((changed + 1))
	done <"$new.r"
	sort -u -o "$new" "$new"
	# Files we overlaid before but that left the repo: back to pristine.
	if [ -f "$manifest" ]; then
		while IFS= read -r k; do
			dst=$TREE/$k
			[ -L "$dst" ] || continue
			rm -f "$dst"
			if [ -e "$PRISTINE/$k" ]; then
				cp --remove-destination "$PRISTINE/$k" "$dst"
				chmod u+w "$dst"
			fi
			restored=$((restored + 1))
		done < <(comm -23 "$manifest" "$new")
	fi
	mv "$new" "$manifest"
	# drivers/dma-buf is ours as a whole: upstream's files there that the
	# repo does not have (its in-kernel selftests, which the harness builds
	# from $PRISTINE) leave the tree, as they leave it in `make patch`.
	while IFS= read -r k; do
		rm -f "$TREE/$k"
		dropped=$((dropped + 1))
	done < <(cd "$PRISTINE" && find drivers/dma-buf -type f | sort | comm -23 - "$new.k")
	rm -f "$new.k" "$new.r"
	note "overlay: $(wc -l <"$manifest") repo files linked ($changed (re)linked, $restored restored to pristine, $dropped of upstream's dropped)"
}

# ---------------------------------------------------------------- config --

configure() {
	configure_dir "$TREE" "$BUILD" "$FRAGMENT"
}

# configure_dir SRCTREE BUILDDIR FRAGMENT: $BASE_CONFIG + FRAGMENT into
# BUILDDIR/.config, verified; redone only when the fragment or our Kconfig
# files change (a stamp in BUILDDIR).
configure_dir() {
	local src=$1 out=$2 frag=$3
	mkdir -p "$out"
	local stamp=$out/.harness-config-stamp want
	want=$( {
		echo "base=$BASE_CONFIG cc=$KCC"
		[ "$out" = "$BUILD" ] || echo "src=$src"
		cat "$frag"
		# our Kconfig decides what the fragment resolves to
		[ "$src" = "$TREE" ] && cat "$REPO/Kconfig" "$REPO"/heaps/Kconfig 2>/dev/null
	} | sha256sum | cut -d' ' -f1)
	if [ -f "$out/.config" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
		note "config of ${out##*/} unchanged (stamp), keeping .config"
		return 0
	fi
	stage "configuring ${out##*/}: $BASE_CONFIG + ${frag#"$REPO"/}"
	local log=$LOGS/config-${out##*/}.log
	[ "$out" = "$BUILD" ] && log=$LOGS/config.log
	: >"$log"
	rm -f "$stamp"
	# (make -L only on our tree: the pristine one has no symlinks)
	locked make -L -C "$src" O="$out" CC="$KCC" "$BASE_CONFIG" >>"$log" 2>&1 ||
		{ echo "error: make $BASE_CONFIG failed" | tee -a "$log"; return 1; }
	(cd "$out" && "$src/scripts/kconfig/merge_config.sh" -m \
		-O "$out" "$out/.config" "$frag") >>"$log" 2>&1 ||
		{ echo "error: merge_config.sh failed" | tee -a "$log"; return 1; }
	locked make -L -C "$src" O="$out" CC="$KCC" olddefconfig >>"$log" 2>&1 ||
		{ echo "error: olddefconfig failed" | tee -a "$log"; return 1; }
	verify_config "$out/.config" "$frag" >"$log.verify"
	local vrc=$?
	cat "$log.verify" | tee -a "$log"
	rm -f "$log.verify"
	if [ $vrc -ne 0 ]; then
		echo "error: kernel config does not satisfy ${frag#"$REPO"/}" | tee -a "$log"
		return 1
	fi
	echo "$want" >"$stamp"
}

# Every =y/=m line of the fragment must be in the final config, every
# "is not set" line must not be =y/=m.
verify_config() {
	local cfg=$1 frag=${2:-$FRAGMENT} bad=0 line sym val
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=y | CONFIG_*=m)
			sym=${line%%=*}; val=${line#*=}
			if ! grep -qx "$sym=$val" "$cfg"; then
				echo "config: $line requested, got: $(grep -E "^$sym=|^# $sym is not set" "$cfg" || echo 'absent (unmet dependency?)')"
				bad=1
			fi ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }; sym=${sym%% *}
			if grep -qE "^$sym=[ym]" "$cfg"; then
				echo "config: $sym requested off, got: $(grep -E "^$sym=" "$cfg")"
				bad=1
			fi ;;
		esac
	done <"$frag"
	return $bad
}

# ---------------------------------------------------------------- builds --

build_kernel() {
	stage "building kernel (log: $LOGS/build.log)"
	local log=$LOGS/build.log t0=$SECONDS
	: >"$log"
	if ! kmake_log "$log" O="$BUILD"; then
		echo "harness: kernel build FAILED" >&2
		return 1
	fi
	note "kernel built in $((SECONDS - t0))s: $BUILD/arch/x86/boot/bzImage"
}

# Upstream's in-kernel dma-buf selftests, from the PRISTINE sources, built
# as an external module against our tree.
build_upstream_selftests() {
	stage "building upstream dma-buf selftests module (pristine st-*.c)"
	local log=$LOGS/upstream-st.log f objs=""
	: >"$log"
	mkdir -p "$STDIR"
	for f in selftest.c selftest.h selftests.h st-dma-fence.c st-dma-fence-chain.c \
		st-dma-fence-unwrap.c st-dma-resv.c; do
		cmp -s "$PRISTINE/drivers/dma-buf/$f" "$STDIR/$f" ||
			cp "$PRISTINE/drivers/dma-buf/$f" "$STDIR/$f"
	done
	for f in selftest st-dma-fence st-dma-fence-chain st-dma-fence-unwrap st-dma-resv; do
		objs="$objs $f.o"
	done
	printf '# generated by tools/harness.sh\nobj-m := dmabuf_selftests.o\ndmabuf_selftests-y :=%s\n' \
		"$objs" >"$STDIR/Kbuild.new"
	cmp -s "$STDIR/Kbuild.new" "$STDIR/Kbuild" || mv "$STDIR/Kbuild.new" "$STDIR/Kbuild"
	rm -f "$STDIR/Kbuild.new"
	kmake_log "$log" O="$BUILD" M="$STDIR" modules || return 1
	# which module parameter enables which selftest group (igt__<line>__<name>)
	/sbin/modinfo -F parm "$STDIR/dmabuf_selftests.ko" 2>/dev/null |
		sed -n 's/^\(igt__[0-9]*__\([a-z_0-9]*\)\):.*/\2 \1/p' >"$STDIR/groups"
	[ -s "$STDIR/groups" ] || { echo "no selftest groups found in module" >&2; return 1; }
}

# Our dmabuf_selftests module, built with the kernel (selftests/st-*.c), and
# its groups as IGT finds them: the igt__<N>__<group> parameters, by N.
collect_our_selftests() {
	local ko=$BUILD/drivers/dma-buf/selftests/dmabuf_selftests.ko
	mkdir -p "$OURST"
	rm -f "$OURST/dmabuf_selftests.ko" "$OURST/groups"
	[ -f "$ko" ] || { echo "harness: $ko not built (CONFIG_DMABUF_SELFTESTS=m?)" >&2; return 1; }
	cp "$ko" "$OURST/"
	/sbin/modinfo -F parmtype "$ko" 2>/dev/null |
		sed -n 's/^\(igt__\([0-9]*\)__\([a-z_0-9]*\)\):.*/\2 \3 \1/p' |
		sort -n | cut -d' ' -f2- >"$OURST/groups"
	[ -s "$OURST/groups" ] || { echo "harness: no igt__N__ parameters in $ko" >&2; return 1; }
}

# build_bench_module SRCTREE BUILDDIR MODDIR LOG: tools/bench/dmabuf_bench.c
# as an external module of that kernel build (the same source on pristine
# and ours: it uses the public API only).
build_bench_module() {
	local src=$1 out=$2 dir=$3 log=$4
	mkdir -p "$dir"
	cmp -s "$TOOLS/bench/dmabuf_bench.c" "$dir/dmabuf_bench.c" ||
		cp "$TOOLS/bench/dmabuf_bench.c" "$dir/dmabuf_bench.c"
	[ -f "$dir/Kbuild" ] || printf '# generated by tools/harness.sh\nobj-m := dmabuf_bench.o\n' >"$dir/Kbuild"
	kmake_log_in "$src" "$log" O="$out" M="$dir" modules
}

# ubench (tools/bench/ubench.c), static, against the uapi headers in INC
build_ubench() {
	gcc -static -O2 -Wall -Wextra -Werror -I"$1" "$TOOLS/bench/ubench.c" -o "$2" \
		>>"$LOGS/userspace-gcc.log" 2>&1 || { tail -n 20 "$LOGS/userspace-gcc.log"; return 1; }
}

# bench-check: the bench module and ubench for the test kernel
build_bench_check() {
	stage "building the bench module and ubench for bench-check"
	local log=$LOGS/bench-module.log
	: >"$log"
	build_bench_module "$TREE" "$BUILD" "$BENCHCHK" "$log" &&
		build_ubench "$BUILD/usr/include" "$USERDIR/ubench"
}

build_userspace() {
	stage "building userspace (uapi headers, sync_test 64/32-bit, sw_sync_demo)"
	local log=$LOGS/userspace.log
	: >"$log"
	# uapi headers from our tree, so the programs use our uapi headers
	kmake_log "$log" O="$BUILD" headers || return 1
	mkdir -p "$USERDIR"
	local inc=$BUILD/usr/include sync=$PRISTINE/tools/testing/selftests/sync
	local srcs="sync_test.c sync.c sync_alloc.c sync_fence.c sync_merge.c sync_wait.c
		sync_stress_parallelism.c sync_stress_consumer.c sync_stress_merge.c" s args=()
	for s in $srcs; do args+=("$sync/$s"); done
	local glog=$LOGS/userspace-gcc.log
	: >"$glog"
	# sync_test twice: native, and -m32 for the kernel's compat ioctl paths
	# (only ever run in the guest)
	gcc -static -O2 -std=gnu89 -pthread -w -I"$inc" -I"$PRISTINE/tools/testing/selftests" \
		"${args[@]}" -o "$USERDIR/sync_test" >>"$glog" 2>&1 &&
	gcc -m32 -static -O2 -std=gnu89 -pthread -w -I"$inc" -I"$PRISTINE/tools/testing/selftests" \
		"${args[@]}" -o "$USERDIR/sync_test32" >>"$glog" 2>&1 &&
	gcc -static -O2 -Wall -Wextra -Werror -I"$inc" "$TOOLS/demo/sw_sync_demo.c" \
		-o "$USERDIR/sw_sync_demo" >>"$glog" 2>&1 &&
	gcc -static -O2 -Wall -Wextra -Werror "$TOOLS/guest/modload.c" \
		-o "$USERDIR/modload" >>"$glog" 2>&1 &&
	build_tap_programs "$inc" "$TAPDIR" &&
	build_fuzz "$inc" "$FUZZDIR" ||
		{ head -n 30 "$glog"; return 1; }
}

# TAP programs: every tools/guest/tests/NAME.c, static, 64-bit and (unless
# it says "harness: 64-bit only") -m32 as NAME-32, plus upstream's kernel
# selftests for udmabuf and the dma-buf heaps from the pristine tree.  The
# guest runs each once (tools/guest/init, run_tap_programs); every TAP line
# is a test case, in a section named after the program.  The list, one
# "program section" per line, is $USERDIR/tap/list.
TAPDIR=$USERDIR/tap
FUZZDIR=$USERDIR/fuzz
build_tap_programs() {
	local inc=$1 out=$2 glog=$LOGS/userspace-gcc.log f name ks=$PRISTINE/tools/testing/selftests
	local cflags=(-static -O2 -Wall -Wextra -Werror -pthread -I"$inc")
	rm -rf "$out"
	mkdir -p "$out"
	: >"$out/list"
	for f in "$TOOLS"/guest/tests/*.c; do
		name=$(basename "$f" .c)
		gcc "${cflags[@]}" "$f" -o "$out/$name" >>"$glog" 2>&1 || return 1
		echo "$name $name" >>"$out/list"
		grep -q 'harness: 64-bit only' "$f" && continue
		gcc -m32 "${cflags[@]}" "$f" -o "$out/$name-32" >>"$glog" 2>&1 || return 1
		echo "$name-32 $name (32-bit)" >>"$out/list"
	done
	# upstream's own suites, built from the tarball, never copied in
	gcc -static -O2 -w -I"$inc" -I"$ks" "$ks/dmabuf-heaps/dmabuf-heap.c" \
		-o "$out/upstream-dmabuf-heaps" >>"$glog" 2>&1 || return 1
	echo "upstream-dmabuf-heaps upstream dmabuf-heaps" >>"$out/list"
	gcc -static -O2 -w -I"$inc" -I"$ks" "$ks/drivers/dma-buf/udmabuf.c" \
		-o "$out/upstream-udmabuf" >>"$glog" 2>&1 || return 1
	echo "upstream-udmabuf upstream udmabuf" >>"$out/list"
	# and their -m32 builds: the compat paths of the heaps' and udmabuf's ioctls
	gcc -m32 -static -O2 -w -I"$inc" -I"$ks" "$ks/dmabuf-heaps/dmabuf-heap.c" \
		-o "$out/upstream-dmabuf-heaps-32" >>"$glog" 2>&1 || return 1
	echo "upstream-dmabuf-heaps-32 upstream dmabuf-heaps (32-bit)" >>"$out/list"
	# 64-bit file offsets: its last case truncates a memfd to 2 GiB, which
	# a 32-bit off_t cannot say (ftruncate() fails with EINVAL before the
	# kernel's udmabuf is reached)
	gcc -m32 -D_FILE_OFFSET_BITS=64 -static -O2 -w -I"$inc" -I"$ks" "$ks/drivers/dma-buf/udmabuf.c" \
		-o "$out/upstream-udmabuf-32" >>"$glog" 2>&1 || return 1
	echo "upstream-udmabuf-32 upstream udmabuf (32-bit)" >>"$out/list"
}

# The fuzzer (tools/fuzz/*.c), static, 64-bit and -m32, into DIR with a
# list in the TAP list's format: the debug kernel's initramfs appends it
# to the TAP programs (its defaults are make test's bounded round), make
# fuzz runs the 64-bit one with the asked-for operations and seed.
build_fuzz() {
	local inc=$1 out=$2 glog=$LOGS/userspace-gcc.log f name
	local cflags=(-static -O2 -Wall -Wextra -Werror -pthread -I"$inc")
	rm -rf "$out"
	mkdir -p "$out"
	: >"$out/list"
	for f in "$TOOLS"/fuzz/*.c; do
		name=$(basename "$f" .c)
		gcc "${cflags[@]}" -I"$TOOLS/guest/tests" "$f" -o "$out/$name" >>"$glog" 2>&1 || return 1
		gcc -m32 "${cflags[@]}" -I"$TOOLS/guest/tests" "$f" -o "$out/$name-32" >>"$glog" 2>&1 || return 1
		printf '%s fuzz\n%s fuzz (32-bit)\n' "$name" "$name-32" >>"$out/list"
	done
}

# initramfs_root DIR: busybox with its applet links and our /init in a
# fresh DIR, with an empty /harness for the programs of the run
initramfs_root() {
	local ir=$1 bb a
	bb=$(command -v busybox || echo /bin/busybox)
	rm -rf "$ir"
	mkdir -p "$ir"/{bin,sbin,dev,proc,sys,tmp,root,etc,harness}
	cp "$bb" "$ir/bin/busybox"
	for a in $("$bb" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$ir/bin/$a"
	done
	cp "$TOOLS/guest/init" "$ir/init"
	chmod 755 "$ir/init"
}

# initramfs_pack DIR OUT: DIR as a gzipped newc cpio, reproducibly
initramfs_pack() {
	(cd "$1" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --owner=0:0 --quiet | gzip -1 >"$2.tmp") &&
		mv "$2.tmp" "$2"
}

build_initramfs() {
	stage "building initramfs"
	initramfs_root "$IRDIR"
	cp "$USERDIR/sync_test" "$USERDIR/sync_test32" "$USERDIR/sw_sync_demo" "$USERDIR/modload" "$IRDIR/harness/"
	cp "$STDIR/dmabuf_selftests.ko" "$STDIR/groups" "$IRDIR/harness/"
	mkdir -p "$IRDIR/harness/ours"
	cp "$OURST/dmabuf_selftests.ko" "$OURST/groups" "$IRDIR/harness/ours/"
	cp -r "$TAPDIR" "$IRDIR/harness/tap"
	cp -r "$FUZZDIR" "$IRDIR/harness/fuzz"
	if [ "$KIND" = debug ]; then
		# the fuzzer's bounded round runs as the last TAP programs; no
		# bench (timings of a KASAN kernel say nothing).  Every program
		# once, 64-bit: the -m32 builds' compat paths are thin and run on
		# the test kernel; doubling the slowest guest would not fit CI.
		cat "$TAPDIR/list" "$FUZZDIR/list" | grep -v '^[^ ]*-32 ' >"$IRDIR/harness/tap/list"
		[ -s "$FUZZDIR/list" ] && cp "$FUZZDIR"/dmabuf-* "$IRDIR/harness/tap/"
		rm -f "$IRDIR"/harness/tap/*-32
	else
		mkdir -p "$IRDIR/harness/bench"
		cp "$BENCHCHK/dmabuf_bench.ko" "$USERDIR/ubench" "$IRDIR/harness/bench/"
		echo "quick=1" >"$IRDIR/harness/bench/module.args"
		echo "--quick --all" >"$IRDIR/harness/bench/ubench.args"
	fi
	# make fuzz: the long run's arguments
	[ -n "${FUZZ_ARGS:-}" ] && echo "$FUZZ_ARGS" >"$IRDIR/harness/fuzz.args"
	initramfs_pack "$IRDIR" "$INITRD" || return 1
	note "initramfs: $INITRD ($(du -h "$INITRD" | cut -f1))"
}

# -------------------------------------------------------------- static ----

# Files we own: .c/.h of the repo outside tools/ and .ci/ (repo-relative).
owned_sources() {
	repo_files | grep -E '\.[ch]$'
}

static_checks() {
	stage "static checks: sparse C=2 + W=1, checkpatch --strict, kernel-doc"
	local out=$LOGS/static
	rm -rf "$out"
	mkdir -p "$out" "$CHECK"
	# (1) sparse + W=1: build all of drivers/dma-buf in a separate O= dir,
	# forcing a recompile of the objects of our .c files so that gcc's W=1
	# warnings are seen (ccache replays them).  C=2 runs sparse on every
	# source of the directory.  Warnings are attributed by file path.
	cp "$BUILD/.config" "$CHECK/.config.new"
	cmp -s "$CHECK/.config.new" "$CHECK/.config" || mv "$CHECK/.config.new" "$CHECK/.config"
	rm -f "$CHECK/.config.new"
	local f k
	while IFS= read -r f; do
		case "$f" in *.c) k=$(kpath "$f"); rm -f "$CHECK/${k%.c}.o" ;; esac
	done < <(owned_sources)
	local log=$out/kbuild-C2-W1.log
	: >"$log"
	local targets=(drivers/dma-buf/)
	locked make -L -C "$TREE" O="$CHECK" CC="$KCC" -j"$JOBS" C=2 W=1 \
		olddefconfig >/dev/null 2>&1
	locked make -L -C "$TREE" O="$CHECK" CC="$KCC" -j"$JOBS" C=2 W=1 \
		CHECK="sparse" "${targets[@]}" >"$log" 2>&1
	echo "exit=$?" >>"$log"
	# (2) checkpatch and (3) kernel-doc, per file, from the tree (paths as
	# the kernel sees them)
	local cp_files
	cp_files=$( (owned_sources; repo_files | grep -E '(^|/)(Kconfig|Makefile)$') | sort -u)
	while IFS= read -r f; do
		[ -n "$f" ] || continue
		k=$(kpath "$f")
		local name=${f//\//__}
		(cd "$TREE" && perl scripts/checkpatch.pl --strict --no-tree -f --terse \
			--no-summary --show-types "$k") >"$out/checkpatch.$name.log" 2>&1
		echo "$?" >"$out/checkpatch.$name.rc"
		case "$f" in *.c | *.h)
			(cd "$TREE" && perl scripts/kernel-doc -none "$k") >"$out/kerneldoc.$name.log" 2>&1
			echo "$?" >"$out/kerneldoc.$name.rc" ;;
		esac
	done <<<"$cp_files"
	owned_sources >"$out/owned.list"
	printf '%s\n' "$cp_files" >"$out/checkpatch.list"
}

originality() {
	stage "originality check (../shared/originality)"
	local tool=$REPO/../shared/originality log=$LOGS/originality.log
	if [ ! -f "$tool" ]; then
		echo "missing: $tool" >"$log"
		echo 127 >"$log.rc"
		return
	fi
	(cd "$REPO" && "$PYTHON" "$tool") >"$log" 2>&1
	echo $? >"$log.rc"
}

# ------------------------------------------------------- compat gates -----
# Issue 3's gates against pristine 6.12, each written as result lines
# "section<TAB>case<TAB>passed|failed<TAB>detail file" into $LOGS/gates/,
# which report.py turns into test cases.

PRISTINE_BUILD=$CACHE/build-pristine

gate_result() {
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}" >>"$LOGS/gates/results"
}

# uAPI ABI: the layout tools/abi/uapi_abi.c describes, compiled (gcc -S,
# never run: tools/abi/abi_layout.sh) against pristine's and our exported
# headers, 64- and 32-bit; every header's section of the text must match.
abi_gate() {
	local out=$LOGS/gates/abi hdr_ours=$BUILD/usr/include hdr_up=$PRISTINE_BUILD/usr/include
	mkdir -p "$out"
	if ! kmake_log "$out/headers.log" O="$BUILD" headers ||
	   ! locked make -C "$PRISTINE" O="$PRISTINE_BUILD" -j"$JOBS" headers \
		>>"$out/headers.log" 2>&1; then
		gate_result abi "uapi headers install" failed "$out/headers.log"
		return
	fi
	local bits side hdr h
	for bits in 64 32; do
		for side in ours pristine; do
			hdr=$hdr_ours
			[ $side = pristine ] && hdr=$hdr_up
			# abi$bits.$side.txt, .s (the assembly) and .log (gcc)
			bash "$TOOLS/abi/abi_layout.sh" "$bits" "$hdr" "$out/abi$bits.$side.txt"
		done
		for h in linux/dma-buf.h linux/sync_file.h linux/dma-heap.h linux/udmabuf.h; do
			local a b
			a=$(sed -n "\\|^== $h\$|,/^== /p" "$out/abi$bits.ours.txt" | grep -v '^== ')
			b=$(sed -n "\\|^== $h\$|,/^== /p" "$out/abi$bits.pristine.txt" | grep -v '^== ')
			if [ -n "$b" ] && [ "$a" = "$b" ]; then
				gate_result abi "$h ${bits}-bit layout and ioctl numbers" passed
			else
				diff <(echo "$b") <(echo "$a") >"$out/diff$bits.${h//\//_}" 2>&1
				gate_result abi "$h ${bits}-bit layout and ioctl numbers" failed \
					"$out/diff$bits.${h//\//_}"
			fi
		done
	done
}

# Exports: drivers/dma-buf's exported symbols, licenses and namespaces
# must equal pristine's for the same config.  Only drivers/dma-buf/ is
# built on the pristine side.
exports_gate() {
	local out=$LOGS/gates/exports
	mkdir -p "$out" "$PRISTINE_BUILD"
	cp "$BUILD/.config" "$PRISTINE_BUILD/.config.new"
	cmp -s "$PRISTINE_BUILD/.config.new" "$PRISTINE_BUILD/.config.ours" ||
		cp "$PRISTINE_BUILD/.config.new" "$PRISTINE_BUILD/.config"
	mv "$PRISTINE_BUILD/.config.new" "$PRISTINE_BUILD/.config.ours"
	if ! locked make -C "$PRISTINE" O="$PRISTINE_BUILD" CC="$KCC" -j"$JOBS" \
		olddefconfig drivers/dma-buf/ >"$out/pristine-build.log" 2>&1; then
		gate_result exports "pristine drivers/dma-buf builds" failed "$out/pristine-build.log"
		return
	fi
	if "$PYTHON" "$TOOLS/exports.py" "$BUILD" "$PRISTINE_BUILD" >"$out/compare.log" 2>&1; then
		gate_result exports "$(tail -n 1 "$out/compare.log"), Module.symvers agrees" passed
	else
		gate_result exports "exported symbols match pristine 6.12" failed "$out/compare.log"
	fi
}

compat_gates() {
	stage "compat gates: uAPI ABI (64/32-bit) and exports vs pristine 6.12, docs, patch"
	rm -rf "$LOGS/gates"
	mkdir -p "$LOGS/gates"
	: >"$LOGS/gates/results"
	abi_gate
	exports_gate
	docs_gate
	patch_gate
}

# Documentation: our pages rendered by the tree's Sphinx setup (make docs,
# tools/docs.sh); any Sphinx or kernel-doc warning in our files fails.
docs_gate() {
	local log=$LOGS/gates/docs.log
	if bash "$TOOLS/docs.sh" "$TREE" "$CACHE/docs" >"$log" 2>&1; then
		gate_result docs "make docs: $(grep -c . <<<"$(cd "$REPO" && find Documentation -name '*.rst')") pages render, no Sphinx or kernel-doc warning" passed
	else
		gate_result docs "make docs renders our pages without a warning" failed "$log"
	fi
}

# The packager's patch (make patch, tools/patch.sh): applies with patch -p1
# to a fresh copy of pristine 6.12 and gives exactly the tree tested here.
patch_gate() {
	local log=$LOGS/gates/patch.log
	if bash "$TOOLS/patch.sh" check "$CACHE/dma-buf-rewrite.patch" >"$log" 2>&1; then
		gate_result patch "$(tail -n 1 "$log" | sed 's/^patch-check: //')" passed
	else
		gate_result patch "make patch applies to pristine 6.12 and equals the overlay" failed "$log"
	fi
}

# -------------------------------------------------------------- boot ------

# boot MODE: boot the guest with /init running MODE (test|run).
boot() {
	local mode=$1 extra=""
	local console=$LOGS/console.log results=$LOGS/results.log pidf=$LOGS/qemu.pid
	rm -f "$console" "$results" "$pidf"
	[ -n "${KUNIT_FILTER:-}" ] && extra="kunit.filter_glob=$KUNIT_FILTER"
	case "$mode" in run | bench-check | fuzz) extra="$extra kunit.enable=0" ;; esac
	# Everything runs several times slower on the debug kernel (KASAN,
	# kmemleak, lockdep under TCG): upstream's dma_fence_chain/wait_backward
	# keeps its waiter in D state for about 84 s on the test kernel and
	# 210 s there.  A deadlock still shows, well within QEMU_TIMEOUT.
	case "$mode" in debug | fuzz) extra="$extra sysctl.kernel.hung_task_timeout_secs=600" ;; esac
	# upstream's udmabuf selftest needs 1024 free 2-MiB pages; after the
	# debug kernel's KUnit suites /init could find only 884 (no
	# CONFIG_COMPACTION), so that boot reserves them before anything runs
	case "$mode" in debug | fuzz) extra="$extra hugepages=1024" ;; esac
	stage "booting guest ($mode mode, qemu tcg, timeout ${QEMU_TIMEOUT}s; console: $console)"
	local t0=$SECONDS rc
	# ttyS0 = kernel console (+ init's progress), ttyS1 = init's results.
	# A watchdog ends qemu if the guest reached the end of /init but did
	# not end within 30s; `timeout` bounds the whole boot.
	: >"$results"
	(
		while [ ! -s "$pidf" ] || kill -0 "$(cat "$pidf")" 2>/dev/null; do
			if grep -q '^@@HARNESS-END' "$results" 2>/dev/null; then
				sleep 30
				[ -s "$pidf" ] && kill "$(cat "$pidf")" 2>/dev/null &&
					echo "harness: guest did not power off, qemu stopped by the harness"
				break
			fi
			sleep 2
		done
	) &
	local watchdog=$!
	sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$pidf" \
		timeout --foreground -k 10 "$QEMU_TIMEOUT" \
		qemu-system-x86_64 -accel tcg -smp "$QEMU_SMP" -m "$QEMU_MEM" \
		-nographic -no-reboot -serial mon:stdio -serial "file:$results" \
		-device virtio-gpu-pci \
		-kernel "$BUILD/arch/x86/boot/bzImage" -initrd "$INITRD" \
		-append "console=ttyS0 panic=-1 cma=64M harness=$mode $extra ${KERNEL_CMDLINE:-}" \
		</dev/null 2>&1 | sed -u 's/\r$//; s/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' |
		tee "$console" | progress_filter "$mode"
	rc=${PIPESTATUS[0]}
	kill "$watchdog" 2>/dev/null
	wait "$watchdog" 2>/dev/null
	echo "$((SECONDS - t0))" >"$LOGS/boot.seconds"
	[ "$rc" = 124 ] && echo "harness: guest TIMED OUT after ${QEMU_TIMEOUT}s" | tee -a "$console"
	note "guest finished in $((SECONDS - t0))s (qemu exit $rc)"
	return 0
}

# Compact live view of the console: init's "@@" progress lines, KUnit
# suites and failures, kernel splats.  V=1 shows the whole console.
progress_filter() {
	if [ "${V:-0}" = 1 ]; then cat; return; fi
	local awk=(awk)
	# mawk reads its input in blocks unless told otherwise
	awk -W version 2>&1 | grep -q mawk && awk=(awk -W interactive)
	"${awk[@]}" '
	function show(s) { print "    | " s; fflush() }
	{ line = $0; sub(/^\[ *[0-9]+\.[0-9]+\] ?/, "", line) }
	line ~ /^@@ / { show(substr(line, 4)); next }
	line ~ /^    # Subtest: / { show("kunit suite " substr(line, 16)); next }
	line ~ /^ *not ok / { sub(/^ */, "", line); show("kunit FAILED: " line); next }
	line ~ /^ok [0-9]+ / { show("kunit " line); next }
	line ~ /^# Totals: / { show("kunit " substr(line, 3)); next }
	line ~ /^(BUG:|WARNING:|Oops|Kernel panic|INFO: |general protection|watchdog: )/ { show("kernel: " line); next }
	line ~ /^Linux version/ { show("kernel booting: " substr(line, 1, 40)); next }
	line ~ /^Run \/init as init process/ { show("userspace starting"); next }
	line ~ /^harness: / { show(line); next }
	'
}

# -------------------------------------------------------------- report ----

upstream_files_report() {
	"$PYTHON" "$TOOLS/report.py" upstream-files --pristine "$PRISTINE" --manifest "$CACHE/overlay.manifest"
}

report() {
	"$PYTHON" "$TOOLS/report.py" report --tree "$TREE" --pristine "$PRISTINE" \
		--logs "$LOGS" --stdir "$STDIR" --ourst "$OURST" --manifest "$CACHE/overlay.manifest" --check-dir "$CHECK" \
		--repo "$REPO" --tap-list "$TAPDIR/list" "$@"
}

# -------------------------------------------------------------- compat ----
# make compat: compile, under x86_64 allmodconfig, every in-tree object
# whose source includes one of our headers (directly or through other
# files), against our tree; for each failure, the same object against
# pristine 6.12 decides whether it is our regression.  Object files only;
# not part of `make test` (about half an hour cold on 2 cores).
#   $CACHE/build-compat           O= dir on $TREE (allmodconfig)
#   $CACHE/build-compat-pristine  O= dir on pristine, prepared only if
#                                 something fails against ours
#   $LOGS/compat/                 lists, per-batch and per-failure logs
COMPAT_BUILD=$CACHE/build-compat
COMPAT_PBUILD=$CACHE/build-compat-pristine
COMPAT_BATCH=${COMPAT_BATCH:-40}
# COMPAT_ONLY=regex: only the sources matching it (e.g. drivers/media/)
# Our header set (the whole rewrite's, plus any header the repo adds).
COMPAT_HEADERS="include/linux/dma-buf.h include/linux/dma-fence.h
	include/linux/dma-fence-array.h include/linux/dma-fence-chain.h
	include/linux/dma-fence-unwrap.h include/linux/dma-resv.h
	include/linux/dma-heap.h include/linux/sync_file.h
	include/uapi/linux/dma-buf.h include/uapi/linux/dma-heap.h
	include/uapi/linux/sync_file.h include/uapi/linux/udmabuf.h
	include/trace/events/dma_fence.h"

# compat_configure SRCTREE BUILDDIR: allmodconfig + prepare, redone only
# when the compiler or the repo's Kconfig files change.
compat_configure() {
	local src=$1 out=$2 log=$LOGS/compat/config-${2##*/}.log want
	mkdir -p "$out"
	want=$( {
		echo "allmodconfig cc=$KCC"
		gcc --version | head -n 1
		[ "$src" = "$TREE" ] && find "$REPO" -path "$REPO/tools" -prune -o \
			-name 'Kconfig*' -type f -print0 | sort -z | xargs -0r cat
	} | sha256sum | cut -d' ' -f1)
	if [ -f "$out/.config" ] && [ "$(cat "$out/.harness-compat-stamp" 2>/dev/null)" = "$want" ]; then
		return 0
	fi
	stage "configuring ${out##*/}: allmodconfig + prepare (log: $log)"
	rm -f "$out/.harness-compat-stamp"
	: >"$log"
	locked make -L -C "$src" O="$out" CC="$KCC" allmodconfig >>"$log" 2>&1 &&
	locked make -L -C "$src" O="$out" CC="$KCC" -j"$JOBS" prepare >>"$log" 2>&1 ||
		{ tail -n 30 "$log"; return 1; }
	echo "$want" >"$out/.harness-compat-stamp"
}

# Every C object allmodconfig builds, as kbuild names it: the "CC" lines of
# a dry run (make -n) of the whole build; cached per .config.  The extra
# KCFLAGS changes every compile command, so kbuild lists the objects that
# are up to date too (nothing runs: -n).
compat_all_objects() {
	local list=$COMPAT_BUILD/.harness-cc-objects want
	want=$(sha256sum <"$COMPAT_BUILD/.config" | cut -d' ' -f1)
	if [ -s "$list" ] && [ "$(head -n 1 "$list")" = "# $want" ]; then
		return 0
	fi
	stage "listing the objects allmodconfig builds (make -n of the whole tree, ~2 min)"
	local log=$LOGS/compat/dry-run.log
	{
		echo "# $want"
		locked make -L -n -k -C "$TREE" O="$COMPAT_BUILD" CC="$KCC" -j"$JOBS" \
			KCFLAGS="${KCFLAGS:-} -DHARNESS_DRY_RUN" all 2>"$log" |
			grep -o "echo '  CC\( \[M\]\)\? *[^' ]*\.o'"
	} >"$list.tmp"
	[ "$(wc -l <"$list.tmp")" -gt 1000 ] || { tail -n 20 "$log"; return 1; }
	mv "$list.tmp" "$list"
}

# compat_make SRCTREE BUILDDIR LOG JOBS GOAL...: make -k of object goals;
# print the goals whose object does not exist afterwards (kbuild deletes
# the target of a failed rule: .DELETE_ON_ERROR).
compat_make() {
	local src=$1 out=$2 log=$3 j=$4 g
	shift 4
	# the time spent holding the lock (not waiting for it) goes to $log.secs
	locked bash -c 't=$SECONDS; "$@"; echo $((SECONDS - t)) >"$0.secs"' "$log" \
		make -L -k -C "$src" O="$out" CC="$KCC" -j"$j" "$@" >"$log" 2>&1
	for g in "$@"; do
		[ -f "$out/$g" ] || printf '%s\n' "$g"
	done
}

# compat_first_error LOG GOAL: first error line of GOAL in a -j1 make log
# (the lines from its "CC" line to the next one).
compat_first_error() {
	awk -v g="$2" '
		/^  [A-Z]+( \[M\])? +/ { on = ($NF == g); next }
		on && /(error|Error)[: ]/ { print; exit }
	' "$1" | sed "s|$TREE/||g; s|$PRISTINE/||g"
}

compat() {
	local t0=$SECONDS out=$LOGS/compat
	rm -rf "$out"
	mkdir -p "$out/batches"
	compat_configure "$TREE" "$COMPAT_BUILD" || die "allmodconfig/prepare of build-compat failed"
	compat_all_objects || die "dry run of the allmodconfig build failed (see $out/dry-run.log)"

	stage "finding the sources that include our headers"
	local h
	for h in $COMPAT_HEADERS; do echo "$h"; done >"$out/headers.list"
	repo_files | grep '^include/.*\.h$' >>"$out/headers.list"
	sort -u -o "$out/headers.list" "$out/headers.list"
	local counts
	counts=$("$PYTHON" "$TOOLS/compat.py" scan "$TREE" "$out/headers.list" "$out/candidates.list") ||
		die "compat.py scan failed"
	set -- $counts
	local direct=$2 trans=$4
	"$PYTHON" "$TOOLS/compat.py" objects "$COMPAT_BUILD/.harness-cc-objects" \
		"$out/candidates.list" "$out/objects.list" >/dev/null || die "compat.py objects failed"
	cut -d' ' -f1 "$out/objects.list" | comm -23 "$out/candidates.list" - >"$out/not-built.list"
	local nobj notbuilt
	nobj=$(wc -l <"$out/objects.list")
	notbuilt=$(wc -l <"$out/not-built.list")
	note "sources including our headers: $direct directly, $trans directly or" \
		"transitively (include closure: $6 headers)"
	note "$nobj of them built by allmodconfig, $notbuilt not ($out/not-built.list)"
	if [ -n "${COMPAT_ONLY:-}" ]; then
		# a subset, for trying things out: sources matching the regex
		grep -E "^[^ ]*($COMPAT_ONLY)" "$out/objects.list" >"$out/objects.only"
		mv "$out/objects.only" "$out/objects.list"
		nobj=$(wc -l <"$out/objects.list")
		note "COMPAT_ONLY=$COMPAT_ONLY: only the $nobj of them matching it"
	fi

	# against our tree, in batches (the lock is taken per batch)
	cut -d' ' -f2 "$out/objects.list" >"$out/goals.list"
	split -l "$COMPAT_BATCH" -d -a 4 "$out/goals.list" "$out/batches/goals."
	local b n=0 nb i=0 failed=0 busy=0
	nb=$(ls "$out"/batches/goals.[0-9][0-9][0-9][0-9] | wc -l)
	stage "compiling $nobj objects against our tree: $nb batches of $COMPAT_BATCH, -j$JOBS"
	: >"$out/failed-first.list"
	for b in "$out"/batches/goals.[0-9][0-9][0-9][0-9]; do
		i=$((i + 1))
		# shellcheck disable=SC2046
		compat_make "$TREE" "$COMPAT_BUILD" "$b.log" "$JOBS" $(cat "$b") >>"$out/failed-first.list"
		n=$((n + $(wc -l <"$b")))
		failed=$(wc -l <"$out/failed-first.list")
		busy=$((busy + $(cat "$b.log.secs" 2>/dev/null || echo 0)))
		note "batch $i/$nb: $n/$nobj objects, $failed failed, $((SECONDS - t0))s elapsed" \
			"(${busy}s of them in make, not counting waits for the lock)" >&3
	done

	# failures: again one at a time (a clean log, and no flake counted),
	# then against pristine
	local regress=$out/regressions.txt pfail=$out/failing-on-pristine.txt
	: >"$regress"; : >"$pfail"; : >"$out/failed-ours.list"
	if [ -s "$out/failed-first.list" ]; then
		stage "re-compiling the $failed failed objects one by one (-j1) against our tree"
		# shellcheck disable=SC2046
		compat_make "$TREE" "$COMPAT_BUILD" "$out/failed-ours.log" 1 \
			$(cat "$out/failed-first.list") >"$out/failed-ours.list"
	fi
	local nfail
	nfail=$(wc -l <"$out/failed-ours.list")
	if [ "$nfail" -gt 0 ]; then
		compat_configure "$PRISTINE" "$COMPAT_PBUILD" ||
			die "allmodconfig/prepare of build-compat-pristine failed"
		stage "compiling the $nfail failed objects against pristine 6.12"
		# shellcheck disable=SC2046
		compat_make "$PRISTINE" "$COMPAT_PBUILD" "$out/failed-pristine.log" 1 \
			$(cat "$out/failed-ours.list") >"$out/failed-pristine.list"
		local g
		while IFS= read -r g; do
			if grep -qxF "$g" "$out/failed-pristine.list"; then
				printf '%s: %s\n    pristine: %s\n' "$g" \
					"$(compat_first_error "$out/failed-ours.log" "$g")" \
					"$(compat_first_error "$out/failed-pristine.log" "$g")" >>"$pfail"
			else
				printf '%s: %s\n' "$g" "$(compat_first_error "$out/failed-ours.log" "$g")" >>"$regress"
			fi
		done <"$out/failed-ours.list"
	fi

	# objects that compiled: does the preprocessor really reach our headers
	# (the scan counts conditional and guessed includes)?  Kbuild's
	# dependency files tell.
	grep -vxF -f "$out/failed-ours.list" "$out/goals.list" >"$out/compiled.list"
	"$PYTHON" "$TOOLS/compat.py" confirm "$COMPAT_BUILD" "$out/headers.list" \
		"$out/compiled.list" "$out/not-including.list" >/dev/null ||
		die "compat.py confirm failed"
	local k p ok notinc m
	k=$(grep -c '^[^ ]' "$regress")
	p=$(grep -c '^[^ ]' "$pfail")
	notinc=$(wc -l <"$out/not-including.list")
	ok=$(($(wc -l <"$out/compiled.list") - notinc))
	m=$((nobj - p - notinc))
	if [ "$k" -gt 0 ]; then
		stage "OUR REGRESSIONS ($k): object: first error (logs: $out/failed-ours.log)"
		sed 's/^/    /' "$regress"
	fi
	if [ "$p" -gt 0 ]; then
		stage "also failing on pristine 6.12 ($p, not counted):"
		sed 's/^/    /' "$pfail" | head -n 40
		[ "$p" -gt 20 ] && note "... all in $pfail"
	fi
	stage "compat done in $((SECONDS - t0))s (batches: ${busy}s building); logs and lists in $out"
	note "$notinc compiled objects never reach our headers once preprocessed" \
		"(conditional or guessed includes; not counted: $out/not-including.list)"
	echo "compat: compiled $ok of $m (our regressions: $k; also failing on pristine: $p;" \
		"not built under allmodconfig: $notbuilt)" | tee "$out/summary"
	[ "$k" -eq 0 ]
}

# ------------------------------------------------------- debug kernel -----
# The same tree built a second time with tools/configs/debug.config on top
# of test.config (KASAN, UBSAN, KFENCE, kmemleak, failslab, ...), in its own
# build dir, with its own modules, initramfs and logs; the userspace
# programs are shared.  use_debug_kernel switches this script's globals
# over, so callers run it in a subshell.
KIND=test
use_debug_kernel() {
	KIND=debug
	BUILD=$CACHE/build-debug
	STDIR=$CACHE/upstream-st-debug
	OURST=$CACHE/ours-st-debug
	IRDIR=$CACHE/initramfs-debug
	INITRD=$CACHE/initramfs-debug.cpio.gz
	LOGS=$CACHE/logs/debug
	# KASAN's shadow is an eighth of memory; 2 GiB go to huge pages
	QEMU_MEM=${QEMU_MEM_DEBUG:-6G}
	QEMU_TIMEOUT=${QEMU_TIMEOUT_DEBUG:-3000}
	FRAGMENT=$CACHE/test+debug.config
	mkdir -p "$LOGS"
	cat "$TOOLS/configs/test.config" "$TOOLS/configs/debug.config" >"$FRAGMENT.new"
	cmp -s "$FRAGMENT.new" "$FRAGMENT" && rm -f "$FRAGMENT.new" || mv "$FRAGMENT.new" "$FRAGMENT"
}

# Build the debug kernel and what goes in its initramfs (after do_build:
# the userspace programs come from there).
do_build_debug() {
	rm -f "$LOGS/build.failed" "$LOGS/config.failed"
	configure || { touch "$LOGS/config.failed"; return 1; }
	if ! build_kernel || ! collect_our_selftests || ! build_upstream_selftests ||
	   ! build_initramfs; then
		touch "$LOGS/build.failed"
		return 1
	fi
}

# -------------------------------------------------------------- main ------

do_prepare() {
	need_packages
	setup_pristine
	stage "overlaying repo ($REPO) on $TREE"
	overlay
	rm -f "$LOGS/config.failed"
	configure || { touch "$LOGS/config.failed"; return 1; }
}

do_build() {
	do_prepare || return 1
	rm -f "$LOGS/build.failed"
	if ! build_kernel || ! collect_our_selftests || ! build_upstream_selftests ||
	   ! build_userspace || ! build_bench_check || ! build_initramfs; then
		touch "$LOGS/build.failed"
		return 1
	fi
}

# tools/bench.sh sources this file for its functions and settings
[ "${HARNESS_LIB:-0}" = 1 ] && return 0

cmd=${1:-test}
case "$cmd" in
build | test | run | bench-check | static | overlay | config | compat | clean-cache | fuzz | patch) lock_cache ;;
esac
case "$cmd" in
build)
	do_build || exit 1
	stage "build done" ;;
test)
	T0=$SECONDS
	mkdir -p "$LOGS"
	# results of an earlier run must not leak into this report
	rm -rf "$LOGS"/console.log "$LOGS"/results.log "$LOGS"/boot.seconds "$LOGS"/static \
		"$LOGS"/originality.log*
	built=1
	do_build || built=0
	[ -f "$LOGS/config.failed" ] || static_checks
	originality
	[ $built = 1 ] && compat_gates
	[ $built = 1 ] && boot test
	# DEBUG_KERNEL=0: the normal kernel only (a quicker loop while working)
	debug=()
	if [ "${DEBUG_KERNEL:-1}" != 0 ]; then
		dbuilt=0
		[ $built = 1 ] && (
			use_debug_kernel
			rm -f "$LOGS"/console.log "$LOGS"/results.log "$LOGS"/boot.seconds
			stage "debug kernel: tools/configs/debug.config on top of test.config"
			do_build_debug && boot debug
		) && dbuilt=1
		debug=(--debug-logs "$CACHE/logs/debug" --debug-built $dbuilt
		       --debug-stdir "$CACHE/upstream-st-debug" --debug-ourst "$CACHE/ours-st-debug"
		       --debug-tap-list "$CACHE/initramfs-debug/harness/tap/list")
	fi
	stage "report"
	report --mode test --built $built "${debug[@]}" --seconds $((SECONDS - T0))
	exit $? ;;
fuzz)
	# make fuzz [N=ops] [SEED=n] [FUZZ_TIME=s] [FUZZ_KERNEL=debug|test]
	T0=$SECONDS
	do_build || exit 1
	FUZZ_ARGS="-n ${N:-1000000} -s ${SEED:-$(date +%s)} -t ${FUZZ_TIME:-86400} ${FUZZ_OPTS:-}"
	(
		[ "${FUZZ_KERNEL:-debug}" = debug ] && use_debug_kernel
		LOGS=$CACHE/logs/fuzz
		mkdir -p "$LOGS"
		QEMU_TIMEOUT=$(( ${FUZZ_TIME:-86400} + 900 ))
		stage "make fuzz: dmabuf-fuzz $FUZZ_ARGS on the ${FUZZ_KERNEL:-debug} kernel"
		if [ "$KIND" = debug ]; then do_build_debug || exit 1; else build_initramfs || exit 1; fi
		boot fuzz
	) || exit 1
	report --mode fuzz --logs "$CACHE/logs/fuzz" --seconds $((SECONDS - T0))
	exit $? ;;
run)
	do_build || exit 1
	boot run
	report --mode run --built 1
	exit $? ;;
bench-check)
	# what make test runs of tools/bench, alone: one loop of each case
	T0=$SECONDS
	mkdir -p "$LOGS"
	rm -f "$LOGS"/console.log "$LOGS"/results.log
	built=1
	do_build || built=0
	[ $built = 1 ] && boot bench-check
	report --mode bench-check --built $built --seconds $((SECONDS - T0))
	exit $? ;;
static)
	rm -rf "$LOGS"/static "$LOGS"/originality.log*
	do_prepare || exit 1
	static_checks
	originality
	report --mode static --built 0 ;;
overlay)
	setup_pristine
	overlay ;;
patch)
	# make patch [PATCH=file]: write it, and check it as make test does
	setup_pristine
	overlay
	bash "$TOOLS/patch.sh" check "${PATCH:-$CACHE/dma-buf-rewrite.patch}" ;;
config)
	do_prepare || exit 1 ;;
upstream-files)
	upstream_files_report ;;
compat)
	need_packages
	setup_pristine
	stage "overlaying repo ($REPO) on $TREE"
	overlay
	compat
	exit $? ;;
clean-cache)
	stage "removing $TREE $BUILD $CHECK $STDIR $OURST $BENCHCHK $USERDIR $IRDIR $LOGS (pristine kept)"
	rm -rf "$TREE" "$BUILD" "$CHECK" "$STDIR" "$OURST" "$BENCHCHK" "$USERDIR" "$IRDIR" "$INITRD" "$LOGS" \
		"$CACHE/overlay.manifest"
	use_debug_kernel
	rm -rf "$BUILD" "$STDIR" "$OURST" "$IRDIR" "$INITRD" "$FRAGMENT" ;;
*)
	die "unknown command '$cmd' (build|test|run|bench-check|static|overlay|config|upstream-files|compat|clean-cache|fuzz)" ;;
esac
