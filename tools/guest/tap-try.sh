#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tools/guest/tap-try.sh [PROG.c ...]: try TAP programs in the guest without
# a kernel build.  Builds the given programs (default: every
# tools/guest/tests/*.c, plus upstream's udmabuf and heap selftests) the
# way make test does, packs them in a scratch initramfs and boots a copy
# of the last test kernel ($CACHE/build) in harness=tap mode; prints the
# guest's results channel.  Does not take the harness lock and writes only
# under $TRY (default /tmp/tap-try.$USER): safe next to a running build.
set -o pipefail
HARNESS_LIB=1 . "$(dirname "$0")/../harness.sh"
TRY=${TRY:-/tmp/tap-try.${USER:-root}}
mkdir -p "$TRY"
LOGS=$TRY
: >"$LOGS/userspace-gcc.log"
inc=$BUILD/usr/include
# TAP_KERNEL: another bzImage (e.g. a saved pristine-core kernel)
KIMG=${TAP_KERNEL:-$BUILD/arch/x86/boot/bzImage}
[ -f "$KIMG" ] || die "no kernel at $KIMG: run make build once"
cp "$KIMG" "$TRY/bzImage"
if [ $# -gt 0 ]; then
	TOOLS_TESTS=$(mktemp -d "$TRY/tests.XXXX")
	mkdir -p "$TOOLS_TESTS/guest/tests"
	cp "$@" "$TOOLS_TESTS/guest/tests/"
	# the headers they share (tap.h)
	cp "$TOOLS"/guest/tests/*.h "$TOOLS_TESTS/guest/tests/"
	(TOOLS=$TOOLS_TESTS build_tap_programs "$inc" "$TRY/tap") ||
		{ tail -n 30 "$LOGS/userspace-gcc.log"; exit 1; }
	grep -v '^upstream-' "$TRY/tap/list" >"$TRY/tap/list.new" && mv "$TRY/tap/list.new" "$TRY/tap/list"
else
	build_tap_programs "$inc" "$TRY/tap" || { tail -n 30 "$LOGS/userspace-gcc.log"; exit 1; }
fi
initramfs_root "$TRY/ir"
cp -r "$TRY/tap" "$TRY/ir/harness/tap"
initramfs_pack "$TRY/ir" "$TRY/initrd.gz" || exit 1
: >"$TRY/results.log"
timeout --foreground -k 10 "${QEMU_TIMEOUT:-900}" \
	qemu-system-x86_64 -accel tcg -smp "$QEMU_SMP" -m "$QEMU_MEM" \
	-nographic -no-reboot -serial "file:$TRY/console.log" -serial "file:$TRY/results.log" \
	-device virtio-gpu-pci -kernel "$TRY/bzImage" -initrd "$TRY/initrd.gz" \
	-append "console=ttyS0 panic=-1 cma=64M harness=tap kunit.enable=0 ${KERNEL_CMDLINE:-}" </dev/null >/dev/null 2>&1
echo "qemu exit $?; console: $TRY/console.log"
cat "$TRY/results.log"
