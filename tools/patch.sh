#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make patch: the rewrite as one patch against the 6.12 tree, for a kernel
# packager; and the check make test runs on it.
#
#   patch.sh write [OUT]   write the patch (default $CACHE/dma-buf-rewrite.patch)
#   patch.sh check [OUT]   write it, apply it with `patch -p1` to a fresh
#                          copy of the pristine tree's dma-buf directories
#                          and compare the result with the overlay the
#                          tests ran on: byte for byte, file for file
#
# The patch covers exactly what the overlay changes: every repo file at its
# kernel path (created or replacing upstream's) and upstream's files in
# drivers/dma-buf that the repo does not have (deleted: the directory is
# ours as a whole).  It is a git-style diff (`git diff --no-index`): GNU
# patch and `git apply` both take it, creations and deletions included.
# Nothing outside drivers/dma-buf, include/ and Documentation/ is touched.

TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HARNESS_LIB=1
# shellcheck source=harness.sh
. "$TOOLS/harness.sh"

PATCH_DIRS="drivers/dma-buf include Documentation"
STAGE=$CACHE/patch

# upstream's files in drivers/dma-buf that the overlay drops, one per line
dropped_files() {
	(cd "$PRISTINE" && find drivers/dma-buf -type f | sort) |
		comm -23 - <(repo_files | while IFS= read -r f; do kpath "$f"; done | sort)
}

# the cover text: what the patch is, its base, how to apply it, a diffstat
cover() {
	local base=$1 patch=$2
	cat <<EOF
dma-buf, rewritten: drivers/dma-buf, its headers and documentation for Linux 6.12

Replaces drivers/dma-buf (dma-buf, dma-fence and its containers, dma-resv,
sync_file, sw_sync, the dma-buf heaps, udmabuf), their include/linux and
include/uapi headers and their Documentation pages with a rewrite that keeps
6.12's in-kernel API, exported symbols and namespaces, uAPI layouts and ioctl
numbers, Kconfig symbols and debugfs/fdinfo formats.

Base: $base
Source: $(cd "$REPO" && git describe --always --dirty 2>/dev/null || echo "(not a git checkout)")

Apply from the top of a 6.12 tree:

    patch -p1 < ${patch##*/}      # or: git apply ${patch##*/}

then configure and build as usual; no Kconfig symbol changes name or
meaning.  Upstream's in-kernel selftests (st-*.c, selftest.c) are removed:
the rewrite's own suites are under drivers/dma-buf/selftests
(CONFIG_DMABUF_KUNIT_TEST, CONFIG_DMABUF_SELFTESTS).

EOF
	git apply --stat "$patch.diff" | sed 's/^/ /'
	echo
}

write_patch() {
	local out=$1 f k base
	base=$(dpkg-query -W -f='linux-source-6.12 ${Version}' linux-source-6.12 2>/dev/null ||
		echo "linux-source-6.12 (${TARBALL##*/})")
	rm -rf "$STAGE/a" "$STAGE/b"
	mkdir -p "$STAGE/a" "$STAGE/b"
	# a/: pristine's version of every path the patch touches; b/: ours
	while IFS= read -r f; do
		k=$(kpath "$f")
		mkdir -p "$STAGE/b/$(dirname "$k")"
		cp -L "$REPO/$f" "$STAGE/b/$k"
		if [ -e "$PRISTINE/$k" ]; then
			mkdir -p "$STAGE/a/$(dirname "$k")"
			cp "$PRISTINE/$k" "$STAGE/a/$k"
		fi
	done < <(repo_files)
	while IFS= read -r k; do
		mkdir -p "$STAGE/a/$(dirname "$k")"
		cp "$PRISTINE/$k" "$STAGE/a/$k"
	done < <(dropped_files)
	# git diff --no-index exits 1 when the trees differ: that is the point.
	# --no-prefix on "a" and "b" gives a/... and b/... paths, as -p1 wants.
	(cd "$STAGE" && git -c core.quotepath=off diff --no-index --no-prefix --binary \
		--no-renames a b) >"$out.diff"
	grep -q '^diff --git a/' "$out.diff" || { rm -f "$out.diff"; die "empty patch"; }
	{ cover "$base" "$out" && cat "$out.diff"; } >"$out.tmp" && mv "$out.tmp" "$out"
	rm -f "$out.diff"
	note "patch: $out ($(grep -c '^diff --git' "$out") files, $(du -h "$out" | cut -f1))"
}

# check_patch PATCH: apply to a fresh pristine copy, compare with the overlay
check_patch() {
	local patch=$1 chk=$STAGE/check d rc=0
	rm -rf "$chk"
	mkdir -p "$chk"
	# a real copy, not hard links: patch must never reach pristine's inodes
	for d in $PATCH_DIRS; do
		mkdir -p "$chk/$(dirname "$d")"
		cp -a "$PRISTINE/$d" "$chk/$d"
	done
	if ! (cd "$chk" && patch -p1 -s -f <"$patch") >"$STAGE/apply.log" 2>&1; then
		echo "patch-check: patch -p1 failed:"
		head -n 20 "$STAGE/apply.log"
		return 1
	fi
	# no rejects, no backups, no files of patch's own left behind
	if [ -n "$(cd "$chk" && find . -name '*.rej' -o -name '*.orig' | head -n 1)" ]; then
		echo "patch-check: patch left .rej/.orig files"
		return 1
	fi
	# the overlay tree resolves its symlinks into the repo: diff follows them
	for d in $PATCH_DIRS; do
		if ! diff -r "$chk/$d" "$TREE/$d" >"$STAGE/diff-${d//\//_}.log" 2>&1; then
			echo "patch-check: $d differs from the overlay:"
			head -n 20 "$STAGE/diff-${d//\//_}.log"
			rc=1
		fi
	done
	[ $rc = 0 ] && echo "patch-check: applies with patch -p1 to pristine 6.12; result identical" \
		"to the overlay ($(grep -c '^diff --git' "$patch") files)"
	return $rc
}

case "${1:-write}" in
write)
	setup_pristine
	write_patch "${2:-$CACHE/dma-buf-rewrite.patch}" ;;
check)
	setup_pristine
	out=${2:-$CACHE/dma-buf-rewrite.patch}
	write_patch "$out" && check_patch "$out" ;;
*)
	die "usage: patch.sh write|check [OUT]" ;;
esac
