#!/usr/bin/env python3
"""Helpers of `make compat` (harness.sh compat).

compat.py scan TREE ROOTS_FILE OUT_LIST
    Find every .c of the kernel tree TREE that includes one of the headers
    listed in ROOTS_FILE (tree-relative paths), directly or through other
    files.  Writes the tree-relative .c paths to OUT_LIST and prints
    "direct N transitive N".

    The include graph is built from the #include lines of every .c/.h/.inc
    outside Documentation/, tools/, samples/, scripts/, usr/ and the
    arch/ directories other than x86.  <x> resolves like x86's kbuild
    search path (arch/x86/include, include, arch/x86/include/uapi,
    include/uapi); "x" first relative to the including file.  A quoted
    include that resolves neither way comes from a Makefile's -I: it is
    matched by path suffix against the files sharing the longest directory
    prefix (at least two components) with the includer.  Conditional
    includes count as includes, so the set errs on the large side; which
    objects allmodconfig really builds is decided by kbuild afterwards.
    .c files under drivers/dma-buf/ (ours) are not listed.

compat.py objects BUILD_LOG CANDIDATES OUT_LIST
    From the output of `make -n` of a whole allmodconfig build, keep the
    candidates whose object kbuild would compile.  Writes "source goal"
    lines to OUT_LIST (goal: the object as kbuild names it) and prints
    their number.

compat.py confirm BUILD ROOTS_FILE GOALS OUT_LIST
    For the compiled objects GOALS (kbuild names), read kbuild's dependency
    file (BUILD/dir/.name.o.cmd) and write to OUT_LIST those that do not
    depend on any header of ROOTS_FILE; prints their number.
"""
import os
import re
import sys

SKIP_TOP = {"Documentation", "tools", "samples", "scripts", "usr", ".git"}
SEARCH = ["arch/x86/include", "include", "arch/x86/include/uapi", "include/uapi"]
INC_RE = re.compile(rb'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"\n]+)[>"]', re.M)
EXTS = (".c", ".h", ".inc")


def walk(tree):
    for top in sorted(os.listdir(tree)):
        p = os.path.join(tree, top)
        if top in SKIP_TOP or not os.path.isdir(p):
            continue
        for dirpath, dirnames, filenames in os.walk(p, followlinks=False):
            rel = os.path.relpath(dirpath, tree)
            parts = rel.split(os.sep)
            if parts[0] == "arch" and len(parts) > 1 and parts[1] != "x86":
                dirnames[:] = []
                continue
            for f in filenames:
                if f.endswith(EXTS):
                    yield os.path.join(rel, f)


def scan(tree, roots_file, out_list):
    files = set(walk(tree))
    roots = {r.strip() for r in open(roots_file) if r.strip()}
    missing = [r for r in roots if not os.path.exists(os.path.join(tree, r))]
    roots -= set(missing)
    by_suffix = {}
    for f in files:
        by_suffix.setdefault(os.path.basename(f), []).append(f)

    def resolve_suffix(inc, frm):
        cands = [c for c in by_suffix.get(os.path.basename(inc), [])
                 if c == inc or c.endswith("/" + inc)]
        best, bestn = [], 1
        fparts = frm.split("/")[:-1]
        for c in cands:
            cparts = c.split("/")
            n = 0
            while n < min(len(fparts), len(cparts) - 1) and fparts[n] == cparts[n]:
                n += 1
            if n > bestn:
                best, bestn = [c], n
            elif n == bestn and n >= 2:
                best.append(c)
        return best

    # reverse graph: header -> files including it
    rev = {}
    for f in files:
        try:
            with open(os.path.join(tree, f), "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        for m in INC_RE.finditer(data):
            kind, inc = m.group(1), m.group(2).decode("utf-8", "replace").strip()
            targets = []
            if kind == b'"':
                local = os.path.normpath(os.path.join(os.path.dirname(f), inc))
                if local in files:
                    targets = [local]
            if not targets:
                for d in SEARCH:
                    cand = os.path.normpath(os.path.join(d, inc))
                    if cand in files:
                        targets = [cand]
                        break
            if not targets and kind == b'"':
                targets = resolve_suffix(os.path.normpath(inc), f)
            for t in targets:
                rev.setdefault(t, set()).add(f)
    direct = set()
    for r in roots:
        direct |= {f for f in rev.get(r, ()) if f.endswith(".c")}
    seen = set(roots)
    todo = list(roots)
    while todo:
        h = todo.pop()
        for f in rev.get(h, ()):
            if f not in seen:
                seen.add(f)
                todo.append(f)

    def ours(f):
        return f.startswith("drivers/dma-buf/")
    direct = sorted(f for f in direct if not ours(f))
    trans = sorted(f for f in seen if f.endswith(".c") and not ours(f))
    with open(out_list, "w") as fh:
        fh.writelines(f + "\n" for f in trans)
    with open(out_list + ".direct", "w") as fh:
        fh.writelines(f + "\n" for f in direct)
    hdrs = sorted(f for f in seen if not f.endswith(".c"))
    with open(out_list + ".headers", "w") as fh:
        fh.writelines(f + "\n" for f in hdrs)
    for r in missing:
        print("note: root header %s not in tree" % r, file=sys.stderr)
    print("direct %d transitive %d headers %d" % (len(direct), len(trans), len(hdrs)))


def objects(log, cands, out_list):
    # kbuild echoes "  CC      path.o" / "  CC [M]  path.o" for every C
    # object; path is the goal to give make (it may contain "../", e.g.
    # drivers/gpu/drm/../../accel/drm_accel.o).
    want = {}
    for c in open(cands):
        c = c.strip()
        if c:
            want[c[:-2] + ".o"] = c
    cc_re = re.compile(r"echo '  CC(?: \[M\])? +(\S+\.o)'")
    built = {}
    with open(log, errors="replace") as fh:
        for line in fh:
            for m in cc_re.finditer(line):
                goal = m.group(1)
                o = os.path.normpath(goal)
                if o in want:
                    built.setdefault(want[o], goal)
    with open(out_list, "w") as fh:
        fh.writelines("%s %s\n" % (c, built[c]) for c in sorted(built))
    print(len(built))


def confirm(build, roots_file, goals, out_list):
    roots = ["/" + r.strip() for r in open(roots_file) if r.strip()]
    nope = []
    for g in open(goals):
        g = g.strip()
        if not g:
            continue
        o = os.path.normpath(g)
        cmd = os.path.join(build, os.path.dirname(o), "." + os.path.basename(o) + ".cmd")
        try:
            deps = open(cmd, errors="replace").read().split()
        except OSError:
            continue  # no dependency file: cannot tell, keep it
        if not any(d.endswith(r) for d in deps for r in roots):
            nope.append(g)
    with open(out_list, "w") as fh:
        fh.writelines(g + "\n" for g in nope)
    print(len(nope))


def main(argv):
    if len(argv) == 5 and argv[1] == "scan":
        scan(argv[2], argv[3], argv[4])
    elif len(argv) == 5 and argv[1] == "objects":
        objects(argv[2], argv[3], argv[4])
    elif len(argv) == 6 and argv[1] == "confirm":
        confirm(argv[2], argv[3], argv[4], argv[5])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
