#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# abi_layout.sh BITS INCLUDE_DIR OUT.txt
#
# The uAPI layout of tools/abi/uapi_abi.c for BITS-bit (64 or 32)
# userspace against the exported headers in INCLUDE_DIR, computed without
# running anything: the program is compiled to assembly (gcc -S -mBITS) and
# its "->KIND ..." .ascii markers are turned into text, one line per value:
#
#   abi for 64-bit userspace
#   == linux/dma-buf.h
#   struct dma_buf_sync                      size 8 align 8
#     dma_buf_sync.flags                          off 0 size 8
#   const DMA_BUF_SYNC_READ                  0x1
#
# OUT.s keeps the assembly, OUT.log the compiler's output.  Exit 1 if the
# program does not compile (OUT.txt then says so) or has no markers.

set -o pipefail

TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -eq 3 ] || { echo "usage: $0 64|32 INCLUDE_DIR OUT.txt" >&2; exit 2; }
bits=$1 inc=$2 out=$3
asm=${out%.txt}.s log=${out%.txt}.log

rm -f "$asm"
if ! gcc -S -O2 -m"$bits" -Wall -Werror -I"$inc" -o "$asm" \
	"$TOOLS/abi/uapi_abi.c" >"$log" 2>&1; then
	echo "== build failed: see $log" >"$out"
	exit 1
fi

# 32-bit halves as the assembler printed them (maybe negative) -> unsigned
u32() { echo $(($1 & 0xffffffff)); }

n=0
while read -r kind a b c d; do
	n=$((n + 1))
	case "$kind" in
	abi) printf 'abi for %d-bit userspace\n' "$a" ;;
	section) printf '== %s\n' "$a" ;;
	struct) printf 'struct %-33s size %d align %d\n' "$a" "$(u32 "$b")" "$(u32 "$c")" ;;
	field) printf '  %s.%-30s off %d size %d\n' "$a" "$b" "$(u32 "$c")" "$(u32 "$d")" ;;
	elem) printf '  %s.%s off %d elem %d\n' "$a" "$b" "$(u32 "$c")" "$(u32 "$d")" ;;
	const) printf 'const %-34s 0x%x\n' "$a" $(($(u32 "$b") << 32 | $(u32 "$c"))) ;;
	*) printf 'unknown marker: %s %s %s %s %s\n' "$kind" "$a" "$b" "$c" "$d" ;;
	esac
done < <(sed -n 's/^[[:space:]]*\.ascii[[:space:]]*"->\(.*\)"[[:space:]]*$/\1/p' "$asm") >"$out"
[ "$n" -gt 0 ] || { echo "== no layout markers in $asm" >"$out"; exit 1; }
