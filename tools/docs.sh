#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tools/docs.sh [TREE [OUT]]: render our Documentation/ pages to HTML with
# the kernel's own Sphinx machinery, and fail on any warning.
#
#   TREE  kernel tree with the repo overlaid (default $DOCS_TREE, else
#         /root/.cache/dmabuf/tree, the harness's tree: `make overlay`
#         first so that new or renamed pages are linked into it)
#   OUT   output directory (default $DOCS_OUT, else
#         /root/.cache/dmabuf/docs); the HTML is in OUT/html
#   PRISTINE (env) pristine 6.12 tree for the cross-reference checks
#         (default /root/.cache/dmabuf/linux-source-6.12; skipped if absent)
#
# Only our pages are rendered: a whole-Documentation build takes tens of
# minutes on this machine, SPHINXDIRS=driver-api still several, and it
# would drown our warnings in everyone else's.  So the pages (every .rst
# under the repo's Documentation/, taken from TREE) are linked into a
# scratch source directory with an index of their own, and sphinx-build
# runs on it with TREE/Documentation as the configuration directory: the
# tree's conf.py and its extensions (kerneldoc, kfigure, automarkup,
# cdomain, ...) exactly as `make htmldocs` uses them, kernel-doc run on
# TREE's sources.
#
# Fails (exit 1) on: any Sphinx warning, any kernel-doc warning, a
# reference to one of our symbols that does not resolve, a page of ours
# that TREE does not have or has stale, a DOC: section or exported symbol
# of ours that no page renders, and a cross-reference into our pages, a
# symbol or a glossary term that 6.12's pages provide and ours do not.
# Exit 2: setup problems (no tree, packages cannot be installed).

set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TREE=${1:-${DOCS_TREE:-/root/.cache/dmabuf/tree}}
OUT=${2:-${DOCS_OUT:-/root/.cache/dmabuf/docs}}
PRISTINE=${PRISTINE:-/root/.cache/dmabuf/linux-source-6.12}
# Debian's interpreter: python3-sphinx installs into it, and a python3
# earlier on PATH (pyenv) would not see it.
PY=/usr/bin/python3

die() { echo "docs: $*" >&2; exit 2; }

if [ ! -f "$TREE/Documentation/conf.py" ] || [ ! -x "$TREE/scripts/kernel-doc" ]; then
	die "$TREE is not a kernel tree (no Documentation/conf.py, scripts/kernel-doc)"
fi
TREE=$(cd "$TREE" && pwd)

# ---------------------------------------------------------------- packages
# python3-sphinx: sphinx-build and docutils (alabaster, conf.py's default
# theme, comes with it).  graphviz: kfigure warns at start-up without dot(1),
# and that warning would fail every run.
need=()
for p in python3-sphinx graphviz; do
	dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	echo "docs: installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1 &&
		  apt-get install -y -qq "${need[@]}" >/dev/null 2>&1; } ||
		die "apt-get install ${need[*]} failed"
fi

# ------------------------------------------------------------------- pages
# Our pages are the repo's; TREE must have each of them, with our content
# (a stale overlay would render someone else's text without a word).
mapfile -t PAGES < <(cd "$REPO" && find Documentation -name '*.rst' | sort)
[ ${#PAGES[@]} -gt 0 ] || die "no .rst files under $REPO/Documentation"
stale=0
for p in "${PAGES[@]}"; do
	if ! cmp -s "$REPO/$p" "$TREE/$p"; then
		echo "docs: $TREE/$p is missing or not ours" >&2
		stale=1
	fi
done
[ $stale = 0 ] || die "the tree's overlay is stale: run \`make overlay\` (or pass a tree)"

# Scratch source dir: links to the tree's pages at their Documentation/
# paths (so docnames, :doc: and :ref: targets are those of a full build)
# and an index that lists them.  Rebuilt each run: pages come and go.
SRC=$OUT/.src
rm -rf "$SRC" "$OUT/html" "$OUT/.doctrees"
mkdir -p "$SRC" "$OUT"
{
	echo "dma-buf documentation"
	echo "====================="
	echo
	echo "Our pages only, rendered by tools/docs.sh from $TREE."
	echo
	echo ".. toctree::"
	echo "   :maxdepth: 2"
	echo
	for p in "${PAGES[@]}"; do
		d=${p#Documentation/}
		echo "   ${d%.rst}"
		mkdir -p "$SRC/$(dirname "$d")"
		ln -s "$TREE/$p" "$SRC/$d"
	done
} >"$SRC/index.rst"

# ------------------------------------------------------------------ render
# As Documentation/Makefile calls it, plus:
#  -E     fresh environment: an incremental build would not repeat the
#         warnings of pages it does not re-read, and the whole run takes
#         seconds anyway;
#  -n     nitpicky, to catch references to our own symbols that do not
#         resolve (the others are filtered below: they point outside
#         dma-buf, at pages a partial build does not have).
# No -j: with four documents the parallel build is slower (7.5 s against
# 6.3 s measured), most of the time is kernel-doc and Sphinx start-up.
# PYTHONDONTWRITEBYTECODE: no __pycache__ in TREE/Documentation/sphinx.
WARN=$OUT/sphinx-warnings.log
ERR=$OUT/sphinx-stderr.log
# the version from the tree's Makefile (no make run in a shared tree)
version=$(awk -F' *= *' '$1 == "VERSION" { v = $2 } $1 == "PATCHLEVEL" { p = $2 }
	$1 == "SUBLEVEL" { s = $2; print v "." p "." s; exit }' "$TREE/Makefile")
start=$(date +%s%N)
PYTHONDONTWRITEBYTECODE=1 "$PY" -m sphinx -b html -q -E -n \
	-c "$TREE/Documentation" -d "$OUT/.doctrees" \
	-D kerneldoc_srctree="$TREE" -D kerneldoc_bin="$TREE/scripts/kernel-doc" \
	-D version="$version" \
	-w "$WARN" "$SRC" "$OUT/html" >"$OUT/sphinx-stdout.log" 2>"$ERR"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
secs=$((ms / 1000)).$(printf %03d $((ms % 1000)))

# ------------------------------------------------------------------ checks
# One Python pass: classify the warnings, then the coverage and the
# cross-reference checks against the built inventory (objects.inv).
SPHINX_RC=$rc TREE=$TREE SRC=$SRC OUT=$OUT REPO=$REPO PRISTINE=$PRISTINE \
PAGES="${PAGES[*]}" PYTHONDONTWRITEBYTECODE=1 "$PY" - <<'EOF'
import glob, os, re, subprocess, sys

import sphinx
from sphinx.util.inventory import InventoryFile

E = os.environ
TREE, SRC, OUT, REPO, PRISTINE = (E[k] for k in
                                  ("TREE", "SRC", "OUT", "REPO", "PRISTINE"))
PAGES = E["PAGES"].split()
DOCNAMES = {p[len("Documentation/"):-len(".rst")] for p in PAGES}
errors, notes = [], []

# Names that are ours: what the dma-buf files declare.  A reference to
# one of them that does not resolve is a bug in our kernel-doc or pages.
OURS = re.compile(r"dma_buf|dma_fence|dma_resv|dma_heap|sync_file|sync_pt|"
                  r"sync_timeline|sw_sync|udmabuf|reservation_ww_class|"
                  r"sync_merge_data|sync_fence_info|sync_set_deadline|"
                  r"DMA_BUF|DMA_HEAP|DMA_RESV|SYNC_IOC|SW_SYNC|UDMABUF|"
                  r"dmabuf|cma_heap|system_heap")

def tidy(line):
    """Paths as a reader of the repo knows them."""
    return line.replace(SRC + "/", "Documentation/").replace(TREE + "/", "")

# --- Sphinx and kernel-doc warnings ---------------------------------------
skipped = 0
raw = open(os.path.join(OUT, "sphinx-warnings.log"), errors="replace").read()
# a warning is one line, or several when Sphinx quotes the offending text
for w in re.split(r"\n(?=\S)", raw.strip()) if raw.strip() else []:
    m = re.search(r"reference target not found: (.*)", w)
    if m and not OURS.search(m.group(1)):
        skipped += 1            # outside dma-buf: not ours to resolve
        continue
    if "unknown document: '/translations/" in w:
        skipped += 1            # translations.py links every page to its
        continue                # translations; a partial build has none
    errors.append("sphinx: " + tidy(w))
for line in open(os.path.join(OUT, "sphinx-stderr.log"), errors="replace"):
    line = line.rstrip()
    if not line or line.startswith("Using ") or "WARNING:" in line:
        continue                # theme banner; warnings are in the log
    errors.append("stderr: " + tidy(line))  # kernel-doc warnings, tracebacks
if int(E["SPHINX_RC"]):
    errors.append("sphinx-build exited with %s" % E["SPHINX_RC"])

inv_path = os.path.join(OUT, "html", "objects.inv")
if not os.path.exists(inv_path):
    for e in errors:
        print(e)
    print("docs: FAILED, nothing rendered")
    sys.exit(1)
with open(inv_path, "rb") as f:
    inv = InventoryFile.load(f, "", os.path.join)
csyms = {name for kind, objs in inv.items() if kind.startswith("c:")
         for name in objs}
labels = set(inv.get("std:label", {}))
docs = set(inv.get("std:doc", {}))
terms = {t.lower() for t in inv.get("std:term", {})}

# --- the kernel-doc directives of a set of pages --------------------------
DIRECTIVE = re.compile(r"^\.\. kernel-doc::\s*(\S+)\s*$")
OPTION = re.compile(r"^\s+:([a-z-]+):\s*(.*)$")

def directives(path):
    out, cur = [], None
    for line in open(path, errors="replace"):
        m = DIRECTIVE.match(line)
        if m:
            cur = [m.group(1), {}]
            out.append(cur)
            continue
        m = OPTION.match(line)
        if cur and m:
            cur[1][m.group(1)] = m.group(2).strip()
        elif line.strip():
            cur = None
    return out

def kerneldoc_symbols(root, src, opts):
    """What kernel-doc declares for one directive, as kerneldoc.py runs it."""
    cmd = [os.path.join(root, "scripts/kernel-doc"), "-rst",
           "-sphinx-version", sphinx.__version__]
    pats = []
    if "export" in opts:
        cmd.append("-export"); pats = opts["export"].split()
    elif "internal" in opts:
        cmd.append("-internal"); pats = opts["internal"].split()
    elif "doc" in opts:
        cmd += ["-function", opts["doc"]]
    elif "identifiers" in opts or "functions" in opts:
        ids = (opts.get("identifiers") or opts.get("functions") or "").split()
        for i in ids:
            cmd += ["-function", i]
        if not ids:
            cmd.append("-no-doc-sections")
    for p in pats:
        for f in glob.glob(os.path.join(root, p)):
            cmd += ["-export-file", f]
    cmd.append(os.path.join(root, src))
    rst = subprocess.run(cmd, capture_output=True, text=True).stdout
    names = set()
    for m in re.finditer(r"^\.\. c:(\w+)::\s*(.*)$", rst, re.M):
        kind, sig = m.groups()
        if kind == "function" and "(" in sig:
            ids = re.findall(r"\w+", sig.split("(")[0])
            name = ids[-1] if ids else sig
        else:
            name = (re.findall(r"\w+", sig.replace("struct ", "")
                               .replace("union ", "").replace("enum ", ""))
                    or [sig])[0]
        names.add(name)
    return names

ours = {p: directives(os.path.join(REPO, p)) for p in PAGES}

# --- every DOC: section of ours is rendered, and exists -------------------
doc_pulled = {(src, o["doc"]) for ds in ours.values() for src, o in ds
              if "doc" in o}
def kpath(rel):
    return rel if rel.startswith(("include/", "Documentation/")) \
        else "drivers/dma-buf/" + rel
our_sources = []
for dirpath, dirs, files in os.walk(REPO):
    rel = os.path.relpath(dirpath, REPO)
    if rel.split(os.sep)[0] in ("tools", ".ci", ".git", "selftests"):
        dirs[:] = []
        continue
    for f in files:
        if f.endswith((".c", ".h")):
            our_sources.append(kpath(os.path.normpath(os.path.join(rel, f))))
for src in sorted(our_sources):
    text = open(os.path.join(TREE, src), errors="replace").read()
    for m in re.finditer(r"/\*\*\s*\n\s*\*\s*DOC:\s*(.*?)\s*\n", text):
        if (src, m.group(1)) not in doc_pulled:
            errors.append("coverage: %s: DOC: %s is on no page"
                          % (src, m.group(1)))
    for m in re.finditer(r"^EXPORT_SYMBOL\w*\(\s*(\w+)", text, re.M):
        # exported data (ops tables, the ww_class): 6.12's kernel-doc
        # cannot document variables, so only functions are held to it
        if re.search(r"^[^(\n]*\b%s\s*(=|;|\[)" % m.group(1), text, re.M):
            continue
        if m.group(1) not in csyms:
            errors.append("coverage: %s: exported %s is not documented on "
                          "any page" % (src, m.group(1)))
for src, title in sorted(doc_pulled):
    text = open(os.path.join(TREE, src), errors="replace").read()
    if not re.search(r"^\s*\*\s*DOC:\s*" + re.escape(title) + r"\s*$",
                     text, re.M):
        errors.append("directive: %s has no 'DOC: %s'" % (src, title))

# --- cross-references from the rest of Documentation/ ---------------------
# :doc: targets into our pages must name one of them.
rest = [f for f in glob.glob(os.path.join(TREE, "Documentation/**/*.rst"),
                             recursive=True)
        if os.path.relpath(f, TREE) not in PAGES]
ref_re = re.compile(r":(doc|ref|term):`(?:[^`<]*<([^>`]+)>|([^`]+))`", re.S)
refs = []                       # (file, role, target)
for f in rest:
    if "/translations/" in f:
        continue
    text = open(f, errors="replace").read()
    for m in ref_re.finditer(text):
        refs.append((os.path.relpath(f, TREE), m.group(1),
                     " ".join((m.group(2) or m.group(3)).split())))
for f, role, target in refs:
    if role != "doc":
        continue
    base = os.path.dirname(f[len("Documentation/"):])
    name = target.lstrip("/") if target.startswith("/") \
        else os.path.normpath(os.path.join(base, target))
    if any(name == d for d in DOCNAMES) and name not in docs:
        errors.append("xref: %s: :doc:`%s` does not resolve" % (f, target))

# Labels, terms and C symbols that 6.12's versions of our pages provide
# must still exist: other pages (and other drivers' kernel-doc) use them.
if os.path.isdir(os.path.join(PRISTINE, "Documentation")):
    up_labels, up_terms, up_syms = set(), set(), set()
    for p in PAGES:
        path = os.path.join(PRISTINE, p)
        if not os.path.exists(path):
            continue
        doc = p[len("Documentation/"):-len(".rst")]
        lines = open(path, errors="replace").read().splitlines()
        for i, line in enumerate(lines):
            m = re.match(r"^\.\. _([^:]+):\s*$", line)
            if m:
                up_labels.add(m.group(1).lower())
            # autosectionlabel: document title and first-level sections
            if i and re.fullmatch(r"([=\-~^\"'`#*+])\1{2,}", line) and \
                    lines[i - 1].strip() and \
                    not re.fullmatch(r"([=\-~^\"'`#*+])\1{2,}", lines[i - 1]):
                up_labels.add((doc + ":" + lines[i - 1].strip()).lower())
        gloss = re.search(r"^\.\. glossary::\n((?:\n|[ \t].*\n)*)",
                          "\n".join(lines) + "\n", re.M)
        if gloss:
            body = gloss.group(1).splitlines()
            ind = min(len(l) - len(l.lstrip()) for l in body if l.strip())
            up_terms |= {l.strip().rstrip(":").lower() for l in body
                         if l.strip() and len(l) - len(l.lstrip()) == ind}
        for src, opts in directives(path):
            up_syms |= kerneldoc_symbols(PRISTINE, src, opts)
    for f, role, target in refs:
        t = target.lower()
        if role == "ref" and t in up_labels and t not in labels:
            errors.append("xref: %s: :ref:`%s` (a label of 6.12's page) "
                          "does not resolve" % (f, target))
        if role == "term" and t in up_terms and t not in terms:
            errors.append("xref: %s: :term:`%s` (a term of 6.12's page) "
                          "does not resolve" % (f, target))
    lost = sorted(up_syms - csyms)
    if lost:
        errors.append("xref: documented by 6.12's pages but not by ours "
                      "(links to them from other pages would break): " + " ".join(lost))
    notes.append("6.12's pages document %d C symbols, ours %d"
                 % (len(up_syms), len(csyms)))
else:
    notes.append("no pristine tree at %s: 6.12 cross-reference checks "
                 "skipped" % PRISTINE)

# Our explicit labels and glossary terms must not clash with the rest of
# the tree in a full build (duplicate label / term warnings).
other_labels = set()
for f in rest:
    for m in re.finditer(r"^\.\. _([^:]+):\s*$",
                         open(f, errors="replace").read(), re.M):
        other_labels.add(m.group(1).lower())
for p in PAGES:
    for m in re.finditer(r"^\.\. _([^:]+):\s*$",
                         open(os.path.join(REPO, p)).read(), re.M):
        if m.group(1).lower() in other_labels:
            errors.append("label: %s: '%s' is also defined elsewhere in "
                          "Documentation/" % (p, m.group(1)))

# --- the result -----------------------------------------------------------
html = os.path.join(OUT, "html")
for d in sorted(DOCNAMES):
    if not os.path.exists(os.path.join(html, d + ".html")):
        errors.append("render: %s.html missing" % d)
for e in errors:
    print(e)
for n in notes:
    print("docs: note: " + n)
print("docs: %d references outside dma-buf left to the full build"
      % skipped)
if errors:
    print("docs: FAILED, %d problem(s)" % len(errors))
    sys.exit(1)
EOF
status=$?

echo "docs: rendered ${#PAGES[@]} pages in ${secs}s"
for p in "${PAGES[@]}"; do
	d=${p#Documentation/}
	echo "docs:   $OUT/html/${d%.rst}.html"
done
echo "docs: index: $OUT/html/index.html"
exit $status
