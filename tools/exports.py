#!/usr/bin/env python3
"""Compare what drivers/dma-buf exports in two kernel builds.

Usage: exports.py OURS_BUILD PRISTINE_BUILD

For each build, the objects linked into drivers/dma-buf (the members of
drivers/dma-buf/built-in.a, a thin archive) are read with binutils: every
__export_symbol_<name> label in .export_symbol is one export, followed in
that section by its license ("" or "GPL") and namespace, both
NUL-terminated.  The two sets of (name, license, namespace) must be equal.
Our set is also checked against OURS_BUILD/Module.symvers, so the parser
cannot drift from what modpost really recorded.

Prints one line per difference and a last line "exports: N same, N differ";
exits 1 on any difference.
"""
import os
import subprocess
import sys


def linked_objects(build):
    # Thin archive members are listed relative to the current directory.
    names = subprocess.run(["ar", "t", "drivers/dma-buf/built-in.a"], cwd=build,
                           check=True, capture_output=True, text=True).stdout.split()
    objs = []
    for n in names:
        path = n if os.path.isabs(n) else os.path.join(build, n)
        if "/selftests/" not in path:  # our KUnit suites export nothing
            objs.append(path)
    return objs


def section_bytes(obj, name):
    out = subprocess.run(["objcopy", "-O", "binary", "--only-section=" + name,
                          obj, "/dev/stdout"], check=True, capture_output=True).stdout
    return out


def cstr(data, off):
    end = data.index(b"\0", off)
    return data[off:end].decode(), end + 1


def exports_of(obj):
    syms = subprocess.run(["nm", obj], check=True, capture_output=True,
                          text=True).stdout.splitlines()
    found = {}
    data = None
    for line in syms:
        parts = line.split()
        if len(parts) != 3 or not parts[2].startswith("__export_symbol_"):
            continue
        if data is None:
            data = section_bytes(obj, ".export_symbol")
        off = int(parts[0], 16)
        lic, off = cstr(data, off)
        ns, _ = cstr(data, off)
        found[parts[2][len("__export_symbol_"):]] = (lic, ns)
    return found


def exports(build):
    table = {}
    for obj in linked_objects(build):
        for sym, (lic, ns) in exports_of(obj).items():
            table[sym] = (lic, ns, os.path.relpath(obj, build))
    return table


def symvers(build):
    table = {}
    with open(os.path.join(build, "Module.symvers")) as fh:
        for line in fh:
            f = line.rstrip("\n").split("\t")
            if len(f) >= 4:
                table[f[1]] = (f[3], f[4] if len(f) > 4 else "")
    return table


def main():
    ours, pristine = exports(sys.argv[1]), exports(sys.argv[2])
    kind = {"": "EXPORT_SYMBOL", "GPL": "EXPORT_SYMBOL_GPL"}
    bad = same = 0
    for sym in sorted(set(ours) | set(pristine)):
        a, b = ours.get(sym), pristine.get(sym)
        if a is None:
            print(f"missing  {sym} ({kind[b[0]]} ns='{b[1]}', upstream {b[2]})")
        elif b is None:
            print(f"extra    {sym} ({kind[a[0]]} ns='{a[1]}', ours {a[2]})")
        elif a[:2] != b[:2]:
            print(f"differs  {sym}: ours {kind[a[0]]} ns='{a[1]}', "
                  f"upstream {kind[b[0]]} ns='{b[1]}'")
        else:
            same += 1
            continue
        bad += 1
    recorded = symvers(sys.argv[1])
    for sym, (lic, ns, obj) in sorted(ours.items()):
        if recorded.get(sym) != (kind[lic], ns):
            print(f"symvers  {sym}: object says {kind[lic]} ns='{ns}', "
                  f"Module.symvers says {recorded.get(sym)}")
            bad += 1
    print(f"exports: {same} same, {bad} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
