#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Turn the harness logs into test cases and a summary.

    report.py report --mode test|run|static --tree T --pristine P --logs L ...
    report.py upstream-files --pristine P --manifest M

Test cases, each passed / failed / skipped:
  build         the kernel, module, userspace and initramfs built
  boot          the guest reached the end of /init (test mode)
  kunit         every KTAP leaf of the built-in KUnit suites (console, ttyS0),
                parsed with the base tree's tools/testing/kunit/kunit_parser.py
  upstream-st   every SUBTEST() of pristine st-*.c, from the kernel log of
                one insmod per selftest group (results channel, ttyS1)
  ours-st       our dmabuf_selftests module (selftests/st-*.c), loaded the
                way IGT does: one case per igt__N__<group> load, one for an
                st_filter load and one for a planted failure (ttyS1)
  sync_test     every TAP line of tools/testing/selftests/sync (ttyS1)
  sync_test (32-bit)  the same for its static -m32 build (compat ioctls)
  bench-check   one loop of every case of tools/bench (dmabuf_bench.ko and
                ubench), each checking its own results, on the test kernel
  kernel-log    no lockdep report, BUG, Oops, panic, stall or WARNING on the
                console, except WARN()s raised by a KUnit test case thread
  static        per owned file: sparse C=2 + gcc W=1, checkpatch --strict,
                kernel-doc -none
  originality   ../shared/originality exits 0
The last line is "N passed, N failed, N skipped"; exit 1 on any failure.
"""
import argparse
import io
import os
import re
import sys

PASS, FAIL, SKIP = "passed", "failed", "skipped"
TS = re.compile(r"^\[\s*\d+\.\d+\]\s?")


class Results:
    def __init__(self):
        self.cases = []  # (section, name, status, details)
        self.notes = {}  # section -> [lines]
        self.suites = []  # KUnit suites: (name, passed, failed, skipped)

    def add(self, section, name, status, details=None):
        self.cases.append((section, name, status, details or []))

    def note(self, section, line):
        self.notes.setdefault(section, []).append(line)

    def count(self, section=None, status=None):
        return sum(1 for c in self.cases
                   if (section is None or c[0] == section) and (status is None or c[2] == status))


class Prefixed:
    """The Results of a second guest run (the debug kernel): the same checks,
    every section named with a prefix, in the same report and count."""

    def __init__(self, res, prefix):
        self.res, self.prefix, self.suites = res, prefix, []

    def add(self, section, name, status, details=None):
        self.res.add(self.prefix + section, name, status, details)

    def note(self, section, line):
        self.res.note(self.prefix + section, line)

    def count(self, section=None, status=None):
        return self.res.count(section and self.prefix + section, status)

    @property
    def cases(self):
        # the shared list: check_kunit() slices it to count one suite's cases
        return self.res.cases


def read_lines(path):
    try:
        with open(path, errors="replace") as f:
            return [l.rstrip("\r\n") for l in f]
    except OSError:
        return None


def strip_ts(line):
    return TS.sub("", line)


def tail(lines, n=25):
    return lines[-n:] if lines else []


NOISE = re.compile(r"^\s*(RIP|RSP|RAX|RDX|RBP|R\d\d|FS|CS|CR2|Code|Modules linked in|Tainted|"
                   r"Hardware name|irq event stamp|hardirqs|softirqs|<TASK>|</TASK>|\? )|"
                   r"^\s*---\[ end trace|^\s*-+\[ cut here \]-+$")


def condense(lines):
    """Drop register dumps and other splat noise, keep messages and call chains."""
    return [l for l in lines if l.strip() and not NOISE.match(l)]


def without_splats(lines):
    """Drop WARN() splat blocks (reported by the kernel-log check) from a test log."""
    out, inside = [], False
    for l in lines:
        t = l.strip()
        if re.match(r"-+\[ cut here \]-+$", t) or t.startswith("WARNING: CPU:"):
            inside = True
        if not inside and t:
            out.append(l)
        if inside and t.startswith("---[ end trace"):
            inside = False
    return out


# ------------------------------------------------------------------ build --

def check_build(args, res):
    if args.built:
        res.add("build", "kernel + upstream selftests module + userspace + initramfs", PASS)
        return
    log = None
    names = ["build.log", "upstream-st.log", "userspace.log", "userspace-gcc.log", "bench-module.log"]
    if os.path.exists(os.path.join(args.logs, "config.failed")):
        names = ["config.log"]
    for name in names:
        lines = read_lines(os.path.join(args.logs, name))
        if lines and any(re.search(r"error|Error|requested", l) for l in lines):
            log = (name, lines)
            break
    details = []
    if log:
        errs = [l for l in log[1] if re.search(r"\berror\b|Error \d|No rule|^config: ", l)]
        details = ["from logs/%s:" % log[0]] + (errs[:20] or tail(log[1]))
    res.add("build", "kernel + upstream selftests module + userspace + initramfs", FAIL, details)


# ------------------------------------------------------------------ kunit --

def check_kunit(args, res, console):
    kdir = os.path.join(args.tree, "tools/testing/kunit")
    sys.path.insert(0, kdir)
    try:
        import kunit_parser
        import kunit_printer
    except Exception as e:  # noqa: BLE001 - report any import problem as a failure
        res.add("kunit", "kunit_parser import", FAIL, ["%s: %s" % (kdir, e)])
        return
    human = io.StringIO()
    kunit_parser.stdout = kunit_printer.Printer(human)
    try:
        root = kunit_parser.parse_run_tests(console)
    except Exception as e:  # noqa: BLE001
        res.add("kunit", "KTAP parse", FAIL, ["kunit_parser raised %r" % e])
        return
    TS_ = kunit_parser.TestStatus
    if root.status == TS_.NO_TESTS or not root.subtests:
        res.add("kunit", "KTAP output on the console", FAIL,
                ["no KUnit results found (CONFIG_DMABUF_KUNIT_TEST built in? kernel crashed early?)"])
        return

    def walk(test, path):
        name = "%s.%s" % (path, test.name) if path else test.name
        if test.subtests:
            for sub in test.subtests:
                walk(sub, name)
            if test.status == TS_.TEST_CRASHED or (
                    test.status == TS_.FAILURE and not any(
                        s.status == TS_.FAILURE for s in test.subtests)):
                # a suite/case failed on its own (crash, missing results)
                res.add("kunit", name, FAIL, ["%s: %s" % (name, test.status.name)] + test.log[-20:])
            return
        if test.status == TS_.SUCCESS:
            res.add("kunit", name, PASS)
        elif test.status == TS_.SKIPPED:
            why = [r for r in skip_reasons.get(test.name, []) if r][:1]
            if not why and kfilter:
                # kunit.filter_action=skip marks filtered cases "# SKIP" without a reason
                why = ["filtered out by kunit.filter=%s" % kfilter]
            res.add("kunit", name, SKIP, why)
        else:
            res.add("kunit", name, FAIL, without_splats(test.log)[-15:])

    skip_reasons, kfilter = {}, None
    for line in console:
        m = re.search(r"\bok \d+ (\S+) # SKIP ?(.*)$", line)
        if m:
            skip_reasons.setdefault(m.group(1), []).append(m.group(2).strip())
        elif "Kernel command line:" in line:
            # the built-in CONFIG_CMDLINE comes first; the last kunit.filter wins
            for m in re.finditer(r"\bkunit\.filter=(\S+)", line):
                kfilter = m.group(1)
    for suite in root.subtests:
        first = len(res.cases)
        walk(suite, "")
        mine = res.cases[first:]
        res.suites.append((suite.name, sum(1 for c in mine if c[2] == PASS),
                           sum(1 for c in mine if c[2] == FAIL), sum(1 for c in mine if c[2] == SKIP)))
    for err in getattr(root, "errors", []) or []:
        res.note("kunit", "parser: %s" % err)


# ------------------------------------------------------- upstream selftests --

def expected_subtests(pristine):
    """{group: [subtest names]} from the SUBTEST() lists of pristine st-*.c"""
    groups = {}
    d = os.path.join(pristine, "drivers/dma-buf")
    for fn in sorted(os.listdir(d)):
        if not (fn.startswith("st-") and fn.endswith(".c")):
            continue
        src = open(os.path.join(d, fn), errors="replace").read()
        # int group(void) { static const struct subtest tests[] = { SUBTEST(x), ... }
        for m in re.finditer(r"^int\s+(\w+)\(void\)\s*\{(.*?)^\}", src, re.S | re.M):
            names = re.findall(r"SUBTEST\((\w+)\)", m.group(2))
            if names:
                groups[m.group(1)] = names
    return groups


def parse_st_runs(results):
    """[(group, try, filter, rc, [log lines])] from the results channel"""
    runs, cur = [], None
    for line in results:
        if line.startswith("@@ST-RUN "):
            parts = line.split()
            cur = [parts[1], int(parts[2]), parts[3] if len(parts) > 3 else "-", None, []]
            runs.append(cur)
        elif line.startswith("@@ST-LOG ") and cur:
            cur[4].append(strip_ts(line[len("@@ST-LOG "):]))
        elif line.startswith("@@ST-DONE ") and cur:
            m = re.search(r"rc=(-?\d+)", line)
            cur[3] = int(m.group(1)) if m else None
            cur = None
    return runs


def check_upstream_st(args, res, results):
    groups_file = os.path.join(args.stdir, "groups")
    groups = [l.split()[0] for l in (read_lines(groups_file) or []) if l.strip()]
    expected = expected_subtests(args.pristine)
    runs = parse_st_runs(results or [])
    if not groups:
        res.add("upstream-st", "selftest groups", FAIL, ["%s missing or empty" % groups_file])
        return
    for group in groups:
        gruns = [r for r in runs if r[0] == group]
        subs = expected.get(group)
        if not subs:  # a group without subtests (sanitycheck): the insmod verdict
            ok = any(r[3] == 0 for r in gruns)
            det = [] if ok else (["never ran"] if not gruns else
                                 ["insmod rc=%s" % gruns[-1][3]] + condense(gruns[-1][4])[-15:])
            res.add("upstream-st", group, PASS if ok else FAIL, det)
            continue
        ran, passed, failed = {}, {}, {}
        for _, _, _, rc, log in gruns:
            last = None  # subtest currently running in this insmod
            for i, line in enumerate(log):
                m = re.search(r"dma-buf: Running (\w+)/(\w+)", line)
                if m and m.group(1) == group:
                    if last:
                        passed[last] = passed.get(last, 0) + 1
                    last = m.group(2)
                    ran[last] = ran.get(last, 0) + 1
                    start = i
                    continue
                m = re.search(r"dma-buf/(\w+): (\w+) failed with error (-?\d+)", line)
                if m and m.group(1) == group:
                    name = m.group(2)
                    if name not in failed:
                        failed[name] = (["error %s; kernel log of the subtest:" % m.group(3)] +
                                        without_splats(log[start + 1:i])[-12:])
                    last = None
            if last:
                if rc == 0:
                    passed[last] = passed.get(last, 0) + 1
                elif last not in failed:
                    failed[last] = (["did not complete: insmod rc=%s, last log lines:" % rc] +
                                    condense(log)[-15:])
        for name in subs:
            case = "%s/%s" % (group, name)
            if name in failed:
                res.add("upstream-st", case, FAIL, failed[name])
            elif ran.get(name) and passed.get(name) == ran[name]:
                res.add("upstream-st", case + (" (x%d)" % ran[name] if ran[name] > 1 else ""), PASS)
            else:
                why = "never ran" if not ran.get(name) else (
                    "ran %d time(s), completed %d" % (ran[name], passed.get(name, 0)))
                det = [why]
                if gruns and gruns[-1][3] not in (0, None):
                    det += ["last insmod rc=%s:" % gruns[-1][3]] + condense(gruns[-1][4])[-10:]
                res.add("upstream-st", case, FAIL, det)
        for name in sorted(set(ran) - set(subs)):
            res.note("upstream-st", "subtest %s/%s ran but is not in the SUBTEST lists" % (group, name))


# ------------------------------------------------ our dmabuf_selftests --

OUR_FAIL = re.compile(r"dma-buf/(\w+): (\w+) failed with error (-?\d+)")
OUR_RUN = re.compile(r"dma-buf: Running (\w+)/(\w+)$")


def parse_our_runs(results):
    """{case: (rc, [log lines])} from the @@OST- lines of the results channel"""
    runs, cur = {}, None
    for line in results:
        if line.startswith("@@OST-RUN "):
            cur = line.split()[1]
            runs[cur] = [None, []]
        elif line.startswith("@@OST-LOG ") and cur:
            runs[cur][1].append(strip_ts(line[len("@@OST-LOG "):]))
        elif line.startswith("@@OST-DONE ") and cur:
            m = re.search(r"rc=(-?\d+)", line)
            runs[cur][0] = int(m.group(1)) if m else None
            cur = None
    return runs


def check_our_st(args, res, results):
    sec = "ours-st"
    groups = [l.split() for l in (read_lines(os.path.join(args.ourst, "groups")) or []) if l.strip()]
    runs = parse_our_runs(results or [])
    if not groups:
        res.add(sec, "igt__N__ groups of our dmabuf_selftests.ko", FAIL,
                ["%s/groups missing or empty" % args.ourst])
        return

    def verdict(case, rc, log, ok, why):
        det = [] if ok else [why, "module load rc=%s; kernel log:" % rc] + condense(log)[-15:]
        res.add(sec, case, PASS if ok else FAIL, det)

    for group, param in groups:
        rc, log = runs.get(param, (None, []))
        subs = [m.group(2) for m in (OUR_RUN.search(l) for l in log) if m and m.group(1) == group]
        fails = [l for l in log if OUR_FAIL.search(l)]
        started = any(l.endswith("dma-buf: Running %s" % group) for l in log)
        # every group but sanitycheck has subtests
        ok = rc == 0 and started and not fails and (subs or group == "sanitycheck")
        why = ("never ran" if rc is None else "a subtest failed" if fails else
               "load failed" if rc else "no subtest ran" if started else "group did not start")
        verdict("%s=1 (%d subtests)" % (param, len(subs)), rc, log, ok, why)

    rc, log = runs.get("st_filter", (None, []))
    subs = ["%s/%s" % m.groups() for m in (OUR_RUN.search(l) for l in log) if m]
    verdict("st_filter=dma_fence/fence_stub_signalled runs that subtest only", rc, log,
            rc == 0 and subs == ["dma_fence/fence_stub_signalled"],
            "never ran" if rc is None else "ran: %s" % (" ".join(subs) or "nothing"))

    rc, log = runs.get("planted-enomem", (None, []))
    hits = [m for m in (OUR_FAIL.search(l) for l in log) if m]
    ok = rc not in (0, None) and any(m.group(1) == "dma_resv" and m.group(3) == "-12" for m in hits)
    name = "planted ENOMEM (fail-nth=1, dma_resv) fails the load"
    if ok:
        name += ": %s/%s error %s, rc=%d" % (hits[0].group(1), hits[0].group(2), hits[0].group(3), rc)
    verdict(name, rc, log, ok,
            "never ran" if rc is None else "the load succeeded" if rc == 0 else
            "no 'dma-buf/dma_resv: <subtest> failed with error -12' line")


# ----------------------------------------------------------- lockdep order --

# Each pair: lockdep must know a path from the first class to the second
# (dma-resv.c primes it at boot).
LOCKDEP_ORDER = [
    ("&mm->mmap_lock", "reservation_ww_class_mutex"),
    ("reservation_ww_class_mutex", "fs_reclaim"),
    ("fs_reclaim", "dma_fence_map"),
]


def results_section(results, tag):
    """The lines between the last @@<tag>-BEGIN and its @@<tag>-END in the
    results channel, and that END line (None if the guest never got there)."""
    lines, inside, end = [], False, None
    for line in results or []:
        if line.startswith("@@%s-BEGIN" % tag):
            inside, lines, end = True, [], None
        elif line.startswith("@@%s-END" % tag):
            inside, end = False, line
        elif inside:
            lines.append(line)
    return lines, end


def check_lockdep_order(args, res, results):
    lines, ended = results_section(results, "LOCKDEP")
    if ended is None:
        res.add("lockdep", "dma-resv lock order primed", FAIL, ["no /proc/lockdep dump from the guest"])
        return
    edges, cur = {}, None
    for line in lines:
        m = re.match(r"^\S.*: (.*)$", line)
        if m:
            cur = m.group(1).strip()
            edges.setdefault(cur, set())
            continue
        m = re.match(r"^ -> \[[^\]]*\] (.*)$", line)
        if m and cur:
            edges[cur].add(m.group(1).strip())

    def reaches(a, b):
        seen, todo = set(), [n for n in edges if n == a]
        while todo:
            n = todo.pop()
            if n == b:
                return True
            if n not in seen:
                seen.add(n)
                todo.extend(edges.get(n, ()))
        return False

    for a, b in LOCKDEP_ORDER:
        ok = reaches(a, b)
        res.add("lockdep", "lockdep knows %s -> %s" % (a, b), PASS if ok else FAIL,
                [] if ok else ["classes dumped: %s" % ", ".join(sorted(edges)) or "none"])


# ---------------------------------------------------------------- sync_test --

def check_bench(args, res, results, section="bench-check"):
    """One loop of every bench case (tools/bench): the module's and
    ubench's "dmabuf-bench|case|..." lines; "na" slots are no cases."""
    for tag, what in (("BENCHMOD", "dmabuf_bench.ko"), ("UBENCH", "ubench")):
        out, end = results_section(results, tag)
        if end is None:
            res.add(section, "%s ran" % what, FAIL, ["no output (guest did not get there)"])
            continue
        m = re.search(r"rc=(-?\d+)", end)
        rc = int(m.group(1)) if m else None
        seen = 0
        for line in out:
            f = line.split("|")
            if len(f) < 7 or f[0] != "dmabuf-bench" or f[1] not in ("case", "series", "ref"):
                continue
            seen += 1
            name = "%s: %s" % (what, f[2]) + (" n=%s" % f[3] if f[1] == "series" else "")
            if f[6].startswith("ok") and f[5].isdigit():
                res.add(section, name, PASS)
            else:
                res.add(section, name, FAIL, [line])
        finished = any(l.startswith("dmabuf-bench|end|") for l in out) if what.endswith(".ko") else True
        if not seen or not finished or rc != 0:
            res.add(section, "%s ran to its end" % what, FAIL,
                    ["exit %s, %d cases, end line %s" % (rc, seen, "seen" if finished else "missing")] + out[-10:])


def check_sync_test(args, res, results, tag="SYNC", section="sync_test", prog="sync_test"):
    """One run of a TAP program (sync_test by default): the TAP lines
    between @@<tag>-BEGIN and -END."""
    out, end = results_section(results, tag)
    m = re.search(r"rc=(-?\d+)", end or "")
    rc = int(m.group(1)) if m else None
    if rc is None and not out:
        res.add(section, "%s ran" % prog, FAIL, ["no %s output (guest did not get there)" % prog])
        return
    plan, seen = None, 0
    for i, line in enumerate(out):
        m = re.match(r"^1\.\.(\d+)", line)
        if m:
            plan = int(m.group(1))
            if plan == 0:
                res.add(section, prog, FAIL, ["skipped itself:", line] + out[-5:])
                return
            continue
        m = re.match(r"^(not ok|ok) (\d+) ?(.*)$", line)
        if not m:
            continue
        seen += 1
        desc = m.group(3).replace("[RUN]", "").strip()
        name = "%s %s" % (m.group(2), re.sub(r"\s*#\s*SKIP.*", "", desc) or "?")
        if "# SKIP" in desc:
            res.add(section, name, SKIP)
        elif m.group(1) == "ok":
            res.add(section, name, PASS)
        else:
            res.add(section, name, FAIL, [l for l in out[max(0, i - 10):i] if l.startswith("#")])
    for n in range(seen + 1, (plan or 0) + 1):
        res.add(section, "%d (no result)" % n, FAIL, ["planned but never reported; exit %s" % rc] + out[-8:])
    if seen == 0 and not plan:
        res.add(section, prog, FAIL, ["no TAP output; exit %s" % rc] + out[-10:])
    elif rc not in (0, None) and not res.count(section, FAIL):
        res.add(section, "exit status", FAIL, ["%s exited %s" % (prog, rc)] + out[-5:])


def check_tap_programs(args, res, results):
    """Each program of the TAP list (tools/guest/tests, upstream's udmabuf
    and heap selftests, on the debug kernel the fuzzer too): its TAP lines
    between @@TAP:<prog>-BEGIN/-END."""
    lines = read_lines(args.tap_list) if args.tap_list else None
    if lines is None:
        res.add("tap", "program list", FAIL, ["no TAP program list at %s" % args.tap_list])
        return
    for line in lines:
        if not line.strip():
            continue
        prog, section = line.split(" ", 1)
        if section not in SECTIONS:
            SECTIONS.insert(SECTIONS.index("lockdep"), section)
        check_sync_test(args, res, results, "TAP:" + prog, section, prog)


# --------------------------------------------------------------- kernel log --

FATAL = [
    (re.compile(r"^BUG: |^kernel BUG at |^Oops|^general protection fault|^Kernel panic"), "BUG/Oops/panic"),
    # WARN() splats ("WARNING: CPU: n PID: m at ...") are handled as blocks;
    # every other "WARNING:" header is lockdep/RCU-lockdep and always fatal.
    (re.compile(r"^WARNING: (?!CPU: \d+ PID: )|^INFO: |^DEBUG_LOCKS_WARN_ON"), "lockdep/kernel warning"),
    (re.compile(r"rcu: INFO: .* detected stall|"
                r"^watchdog: BUG: soft lockup|^NMI watchdog"), "hang/stall"),
    (re.compile(r"^UBSAN:|^BUG: KASAN|^ODEBUG:|^list_(add|del) corruption|^slab .* corruption|"
                r"^=+ BUG |^INFO: Slab"), "memory debugging"),
]
WARN_START = re.compile(r"^-+\[ cut here \]-+$|^WARNING: CPU: \d+ PID: \d+ at ")
WARN_END = re.compile(r"^---\[ end trace [0-9a-f]+ \]---")


# DMA-API debug's complaints that 6.12 draws the same way: vgem sets no
# dma_parms, so the 64 KiB default limits a segment below what the heaps
# hand it; each vgem file attaches and maps a foreign buffer anew, so two
# files (or a udmabuf listing a page twice) map one cacheline twice; and
# udmabuf maps its CPU table for its one misc device, so two udmabufs over
# the same memfd pages do too.  Only these devices and messages;
# tools/fuzz/dmabuf-fuzz.c excuses the same lines.
KNOWN_DMA_DEBUG = re.compile(r"DMA-API: platform vgem: (mapping sg segment longer than device claims to support|"
                             r"cacheline tracking EEXIST, overlapping mappings aren't supported)|"
                             r"DMA-API: misc udmabuf: cacheline tracking EEXIST, overlapping mappings aren't supported")


def check_kernel_log(args, res, console):
    lines = [strip_ts(l) for l in console]
    problems, ignored, overlaps = [], [], []
    i, last_fatal = 0, -1000
    while i < len(lines):
        line = lines[i]
        if WARN_START.match(line):
            j = i
            block = []
            while j < len(lines) and j - i < 300:
                block.append(lines[j])
                if WARN_END.match(lines[j]):
                    break
                j += 1
            where = next((b for b in block if b.startswith("WARNING: CPU:")), line)
            comm = next((m.group(1) for m in (re.search(r" Comm: (\S+)", b) for b in block) if m), "?")
            lockdep = any(re.search(r"DEBUG_LOCKS_WARN_ON|at kernel/locking/|lockdep", b) for b in block[:4])
            if comm == "kunit_try_catch" and not lockdep:
                ignored.append(re.sub(r"^WARNING: CPU: \d+ PID: \d+ at ", "", where))
            elif any(KNOWN_DMA_DEBUG.search(b) for b in block[:4]):
                overlaps.append(comm)
            else:
                problems.append(("WARNING in task %s" % comm, condense(block)[:16]))
            i = j + 1
            continue
        for rx, kind in FATAL:
            if rx.search(line):
                problems.append((kind, condense(lines[i:i + 40])[:25]))
                last_fatal = i
                break
        else:
            if line.startswith("Call Trace:") and i - last_fatal > 80:
                problems.append(("stack dump", lines[max(0, i - 8):i + 15]))
                last_fatal = i
        i += 1
    seen = {}
    for w in ignored:
        seen[w] = seen.get(w, 0) + 1
    for w, n in seen.items():
        res.note("kernel-log", "not counted: WARN in a KUnit test thread%s at %s" %
                 (" (x%d)" % n if n > 1 else "", w))
    if overlaps:
        res.note("kernel-log", "not counted: DMA-API debug report(s) that 6.12 draws too (vgem's "
                 "imports, udmabuf's CPU tables; x%d, by %s)" % (len(overlaps), ", ".join(sorted(set(overlaps)))))
    # the same splat from the same place is shown once, with a count
    grouped = {}
    for kind, block in problems:
        key = (kind, re.sub(r"CPU: \d+ PID: \d+ ", "", " ".join(block[:2])))
        if key in grouped:
            grouped[key][2] += 1
        else:
            grouped[key] = [kind, block, 1]
    shown = [(k if n == 1 else "%s (x%d)" % (k, n), b) for k, b, n in grouped.values()]
    if problems:
        det = []
        for kind, block in shown[:4]:
            det += ["-- %s:" % kind] + block
        if len(shown) > 4:
            det.append("... and %d more (see console.log)" % (len(shown) - 4))
        res.add("kernel-log", "console free of lockdep/BUG/Oops/panic/WARNING (%d found)" % len(problems),
                FAIL, det)
    else:
        res.add("kernel-log", "console free of lockdep/BUG/Oops/panic/WARNING", PASS)


# ---------------------------------------------------------------- kmemleak --

# A leak is ours when a frame of its allocation's backtrace is in our code.
OUR_FRAME = re.compile(r"\b(dma_buf|dma_fence|dma_resv|sync_file|sw_sync|sync_timeline|sync_pt|"
                       r"dma_heap|system_heap|cma_heap|udmabuf|dmabuf)\w*\+0x")


def kmemleak_blocks(lines):
    blocks = []
    for line in lines:
        if line.startswith("unreferenced object"):
            blocks.append([line])
        elif blocks:
            blocks[-1].append(line)
    return blocks


FOREIGN_CALLER = re.compile(r"^\s*(ttm_|drm_|vb2_|v4l2_|vgem_|virtio_gpu_)\w*\+0x")


def check_kmemleak(args, res, results):
    """/init's kmemleak scans (the debug kernel): after the boot's KUnit
    suites, leaks from our code fail and the rest (other subsystems' KUnit
    suites) are listed; at the end, after the userspace tests and the fuzzer,
    which run nothing but our uAPI, every leak fails."""
    for tag, when in (("boot", "after boot and the KUnit suites"),
                      ("end", "after the selftests, guest programs and fuzzer")):
        lines, end = results_section(results, "KMEMLEAK:" + tag)
        name = "kmemleak scan %s" % when
        if end is None:
            res.add("kmemleak", name, FAIL, ["no scan result (the guest did not get there)"])
            continue
        if "rc=0" not in end:
            res.add("kmemleak", name, FAIL, lines[:3] or [end])
            continue
        blocks = kmemleak_blocks(lines)
        # At boot, an object our code allocated for another subsystem's
        # KUnit case (TTM's tests reserve fences on a kunit_kzalloc()ed
        # object and free it without dma_resv_fini()) is that case's leak:
        # a caller frame of theirs decides.  Our own suites never call them.
        ours = [b for b in blocks if any(OUR_FRAME.search(x) for x in b) and
                (tag == "end" or not any(FOREIGN_CALLER.search(x) for x in b))]
        counted = blocks if tag == "end" else ours
        for b in blocks:
            if b not in counted:
                frame = next((x.strip() for x in b if "+0x" in x and not re.search(
                    r"kmalloc|kmem_cache|__alloc|alloc_pages|kmemleak|slab", x)), b[0])
                res.note("kmemleak", "not counted (not our code): %s" % frame)
        if counted:
            det = []
            for b in counted[:3]:
                det += b[:20]
            if len(counted) > 3:
                det.append("... and %d more" % (len(counted) - 3))
            res.add("kmemleak", "%s: %d leak(s)" % (name, len(counted)), FAIL, det)
        else:
            res.add("kmemleak", "%s: no leak" % name, PASS)


# ------------------------------------------------------------------ static --

def kpath(repo_rel):
    if repo_rel.startswith(("include/", "Documentation/")):
        return repo_rel
    return "drivers/dma-buf/" + repo_rel


def iterator_arg_reuse(tree, f, line):
    """checkpatch's MACRO_ARG_REUSE on an x_for_each() macro: such macros
    must name their cursors in the init, the test and the step, by design."""
    m = re.search(r":(\d+): CHECK:MACRO_ARG_REUSE:", line)
    if not m:
        return False
    try:
        src = open(os.path.join(tree, kpath(f)), errors="replace").read().splitlines()
    except OSError:
        return False
    n = int(m.group(1))
    return 0 < n <= len(src) and re.match(r"#define\s+\w*_for_each\w*\(", src[n - 1]) is not None


def check_static(args, res):
    sdir = os.path.join(args.logs, "static")
    owned = [l for l in (read_lines(os.path.join(sdir, "owned.list")) or []) if l]
    cp_files = [l for l in (read_lines(os.path.join(sdir, "checkpatch.list")) or []) if l]
    klog = read_lines(os.path.join(sdir, "kbuild-C2-W1.log"))
    if klog is None:
        if owned or cp_files:
            res.add("static", "static checks ran", FAIL, ["no static check logs in %s" % sdir])
        return
    by_k = {kpath(f): f for f in owned}
    tree = os.path.realpath(args.tree)
    diag = re.compile(r"^(\S+?):(\d+)(?::\d+)?: (warning|error|fatal error): (.*)$")
    hits = {f: [] for f in owned}
    other_errors = []
    exit_line = [l for l in klog if l.startswith("exit=")]
    for line in klog:
        m = diag.match(line)
        if not m:
            continue
        path = m.group(1)
        for prefix in (args.tree.rstrip("/") + "/", tree + "/", "../", "./"):
            if path.startswith(prefix):
                path = path[len(prefix):]
                break
        if path in by_k:
            hits[by_k[path]].append(line)
        elif m.group(3) != "warning":
            other_errors.append(line)
    # which headers did the compiled objects include (.cmd dependency lists)?
    included = set()
    for root, _, files in os.walk(os.path.join(args.check_dir, "drivers/dma-buf")):
        for fn in files:
            if fn.endswith(".o.cmd"):
                txt = open(os.path.join(root, fn), errors="replace").read()
                for f in owned:
                    if f.endswith(".h") and ("/" + kpath(f)) in txt:
                        included.add(f)
    built_ok = exit_line and exit_line[-1] == "exit=0"
    if not built_ok:
        res.add("static", "drivers/dma-buf/ builds with C=2 W=1", FAIL,
                other_errors[:15] or [l for l in klog if "rror" in l][:15] or tail(klog, 15))
    else:
        res.add("static", "drivers/dma-buf/ builds with C=2 W=1", PASS)
    for f in owned:
        name = "sparse+W=1 %s" % f
        if hits[f]:
            res.add("static", name, FAIL, hits[f][:30])
        elif f.endswith(".c"):
            objcmd = os.path.join(args.check_dir, os.path.dirname(kpath(f)),
                                  "." + os.path.basename(kpath(f))[:-2] + ".o.cmd")
            if os.path.exists(objcmd):
                res.add("static", name, PASS)
            else:
                res.add("static", name, SKIP if built_ok else FAIL,
                        ["not compiled: not in the kbuild Makefile / config?"])
        elif f in included:
            res.add("static", name, PASS)
        else:
            res.add("static", name, SKIP, ["no drivers/dma-buf object includes it"])
    for f in cp_files:
        name = f.replace("/", "__")
        out = read_lines(os.path.join(sdir, "checkpatch.%s.log" % name)) or []
        rc = (read_lines(os.path.join(sdir, "checkpatch.%s.rc" % name)) or ["?"])[0]
        bad = [l for l in out if re.search(r"\b(ERROR|WARNING|CHECK):", l)]
        waived = [l for l in bad if iterator_arg_reuse(tree, f, l)]
        bad = [l for l in bad if l not in waived]
        if waived and not bad:
            rc = "0"    # checkpatch's exit status only reflected the waived lines
        res.add("static", "checkpatch %s" % f, FAIL if bad or rc != "0" else PASS,
                (bad[:30] or ([] if rc == "0" else ["checkpatch exit %s" % rc] + out[-10:]))
                + ["waived (iterator macro): %s" % l for l in waived])
        if f.endswith((".c", ".h")):
            out = read_lines(os.path.join(sdir, "kerneldoc.%s.log" % name)) or []
            rc = (read_lines(os.path.join(sdir, "kerneldoc.%s.rc" % name)) or ["?"])[0]
            res.add("static", "kernel-doc %s" % f, FAIL if out or rc != "0" else PASS, out[:30])


def check_originality(args, res):
    log = read_lines(os.path.join(args.logs, "originality.log"))
    rc = (read_lines(os.path.join(args.logs, "originality.log.rc")) or ["?"])[0]
    if log is None:
        return
    if rc == "0":
        res.add("originality", "../shared/originality", PASS)
    else:
        bad = [l for l in log if re.search(r"FAIL|exceed|run of|>", l)]
        res.add("originality", "../shared/originality", FAIL, ["exit %s" % rc] + (bad or log)[-30:])


# ---------------------------------------------------------- upstream files --

UPSTREAM_HEADERS = re.compile(
    r"^include/linux/(dma-buf.*|dma-fence.*|dma-resv|dma-heap|sync_file)\.h$|"
    r"^include/uapi/linux/(dma-buf|dma-heap|sync_file|udmabuf)\.h$|"
    r"^include/trace/events/dma_fence\.h$")


def upstream_files(pristine, manifest):
    overlaid = set(l for l in (read_lines(manifest) or []) if l)
    used = []
    for sub in ("drivers/dma-buf", "include/linux", "include/uapi/linux", "include/trace/events"):
        base = os.path.join(pristine, sub)
        for root, _, files in os.walk(base):
            for fn in files:
                rel = os.path.relpath(os.path.join(root, fn), pristine)
                if sub == "drivers/dma-buf":
                    if re.match(r"(st-|selftest)", fn) and root == base:
                        continue
                elif not UPSTREAM_HEADERS.match(rel):
                    continue
                if rel not in overlaid:
                    used.append(rel)
    return sorted(used)


def print_upstream_files(pristine, manifest):
    used = upstream_files(pristine, manifest)
    print("upstream files still used: %d: %s" % (len(used), " ".join(used)))


def check_gates(args, res):
    """Result lines the harness's compat gates wrote: section, case, status, log."""
    lines = read_lines(os.path.join(args.logs, "gates", "results"))
    if not lines:
        res.add("abi", "compat gates produced results", FAIL,
                ["no %s/gates/results: the gates did not run" % args.logs])
        return
    for line in lines:
        section, name, status, detail = (line.split("\t") + [""] * 4)[:4]
        details = []
        if status != PASS and detail:
            details = tail(read_lines(detail) or ["(no log: %s)" % detail], 25)
        res.add(section, name, status if status in (PASS, FAIL, SKIP) else FAIL, details)


# ------------------------------------------------------------------ output --

SECTIONS = ["build", "static", "originality", "abi", "exports", "docs", "patch", "boot", "kunit", "upstream-st", "ours-st",
            "sync_test", "sync_test (32-bit)", "lockdep", "bench-check", "kernel-log", "kmemleak"]


def summarize(res, args):
    print()
    print("=" * 72)
    failed = [c for c in res.cases if c[2] == FAIL]
    if failed:
        print("FAILURES")
        for section, name, _, details in failed:
            print("-- [%s] %s" % (section, name))
            for d in details:
                print("     " + d)
        print("=" * 72)
    # the debug kernel's sections (Prefixed) after the normal kernel's
    extra = []
    for c in res.cases:
        if c[0] not in SECTIONS and c[0] not in extra:
            extra.append(c[0])
    extra += [s for s in res.notes if s not in SECTIONS and s not in extra]
    for section in SECTIONS + extra:
        n = res.count(section)
        if not n and section not in res.notes:
            continue
        print("%-24s %4d passed, %3d failed, %3d skipped" % (
            section, res.count(section, PASS), res.count(section, FAIL), res.count(section, SKIP)))
        skipped = [c for c in res.cases if c[0] == section and c[2] == SKIP]
        if len(skipped) > 10 and section == "kunit":
            # many skips: one line per suite and reason
            groups = {}
            for _, name, _, details in skipped:
                key = (name.split(".")[0], details[0] if details else "")
                groups[key] = groups.get(key, 0) + 1
            skipped = [(None, "%s: %d case(s)" % (k[0], n), None, [k[1]] if k[1] else [])
                       for k, n in groups.items()]
        for _, name, _, details in skipped[:10]:
            print("                         skipped: %s%s" % (name, (" (%s)" % details[0]) if details else ""))
        if len(skipped) > 10:
            print("                         skipped: ... and %d more" % (len(skipped) - 10))
        for line in res.notes.get(section, [])[:12]:
            print("                         " + line)
        if section == "kunit" and res.suites:
            print("                         per suite (passed/failed/skipped):")
            for name, p, f, s in res.suites:
                print("                           %-44s %4d %4d %4d" % (name, p, f, s))


def check_debug_kernel(args, res):
    """The second guest run, on the debug kernel: its build, the same checks
    as the normal kernel's but the bench, and kmemleak."""
    dres = Prefixed(res, "debug ")
    dargs = argparse.Namespace(**vars(args))
    dargs.logs, dargs.stdir, dargs.ourst = args.debug_logs, args.debug_stdir, args.debug_ourst
    dargs.tap_list, dargs.built = args.debug_tap_list, args.debug_built
    check_build(dargs, dres)
    if not args.debug_built:
        return
    console = read_lines(os.path.join(dargs.logs, "console.log"))
    results = read_lines(os.path.join(dargs.logs, "results.log"))
    if console is None:
        dres.add("boot", "guest booted", FAIL, ["no console log"])
        return
    done = any(l.startswith("@@HARNESS-END debug") for l in results or [])
    secs = (read_lines(os.path.join(dargs.logs, "boot.seconds")) or ["?"])[0]
    nsecs = (read_lines(os.path.join(args.logs, "boot.seconds")) or ["?"])[0]
    dres.add("boot", "guest ran /init to the end (%ss)" % secs, PASS if done else FAIL,
             [] if done else ["the guest did not finish; last console lines:"] + tail(console, 30))
    dres.note("boot", "guest time: debug kernel %ss, normal kernel %ss" % (secs, nsecs))
    check_kunit(dargs, dres, console)
    check_upstream_st(dargs, dres, results)
    check_our_st(dargs, dres, results)
    # 64-bit only there (its initramfs's TAP list has no -m32 builds)
    check_sync_test(dargs, dres, results)
    check_tap_programs(dargs, dres, results)
    check_lockdep_order(dargs, dres, results)
    check_kernel_log(dargs, dres, console)
    check_kmemleak(dargs, dres, results)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["report", "upstream-files"])
    ap.add_argument("--mode", default="test")
    ap.add_argument("--tree")
    ap.add_argument("--pristine", required=True)
    ap.add_argument("--logs")
    ap.add_argument("--stdir")
    ap.add_argument("--ourst")
    ap.add_argument("--check-dir")
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--repo")
    ap.add_argument("--built", type=int, default=1)
    ap.add_argument("--seconds", type=int)
    ap.add_argument("--tap-list")
    ap.add_argument("--debug-logs")
    ap.add_argument("--debug-built", type=int, default=0)
    ap.add_argument("--debug-stdir")
    ap.add_argument("--debug-ourst")
    ap.add_argument("--debug-tap-list")
    args = ap.parse_args()
    if args.cmd == "upstream-files":
        print_upstream_files(args.pristine, args.manifest)
        return 0
    args.check_dir = args.check_dir or os.path.join(os.path.dirname(args.logs), "build-check")

    res = Results()
    console = read_lines(os.path.join(args.logs, "console.log"))
    results = read_lines(os.path.join(args.logs, "results.log"))

    if args.mode == "fuzz":
        # make fuzz: the fuzzer's rounds, the kernel log and kmemleak
        out, _ = results_section(results, "TAP:dmabuf-fuzz")
        print()
        print("\n".join(l for l in out if l.startswith(("# total", "# seed", "not ok")) or
                        "reproduce" in l))
        if console is None:
            res.add("boot", "guest booted", FAIL, ["no console log"])
        else:
            done = any(l.startswith("@@HARNESS-END fuzz") for l in results or [])
            secs = (read_lines(os.path.join(args.logs, "boot.seconds")) or ["?"])[0]
            res.add("boot", "guest ran /init to the end (%ss)" % secs, PASS if done else FAIL,
                    [] if done else tail(console, 30))
            SECTIONS.insert(SECTIONS.index("kernel-log"), "fuzz")
            check_sync_test(args, res, results, "TAP:dmabuf-fuzz", "fuzz", "dmabuf-fuzz")
            check_kernel_log(args, res, console)
            lines, end = results_section(results, "KMEMLEAK:end")
            blocks = kmemleak_blocks(lines)
            res.add("kmemleak", "kmemleak scan after the fuzzer: %d leak(s)" % len(blocks),
                    PASS if end and "rc=0" in end and not blocks else FAIL,
                    [l for b in blocks[:3] for l in b[:20]] or lines[:3])
        summarize(res, args)
        p, f, s = res.count(status=PASS), res.count(status=FAIL), res.count(status=SKIP)
        print("%d passed, %d failed, %d skipped" % (p, f, s))
        return 1 if f else 0

    if args.mode == "run":
        demo, end = results_section(results, "DEMO")
        m = re.search(r"rc=(-?\d+)", end or "")
        rc = int(m.group(1)) if m else None
        print()
        print("----- demo transcript (guest userspace) -----")
        print("\n".join(demo) if demo else "(no demo output: see %s/console.log)" % args.logs)
        print("---------------------------------------------")
        if console is not None:
            check_kernel_log(args, res, console)
        for _, name, status, details in res.cases:
            print("kernel log: %s: %s" % (name, status))
            for d in details:
                print("     " + d)
        ok = rc == 0 and not res.count(status=FAIL)
        print("demo %s (exit %s)" % ("succeeded" if ok else "FAILED", rc))
        return 0 if ok else 1

    if args.mode == "static":
        check_static(args, res)
        check_originality(args, res)
    elif args.mode == "bench-check":
        check_build(args, res)
        if args.built:
            if console is None:
                res.add("boot", "guest booted", FAIL, ["no console log"])
            else:
                done = any(l.startswith("@@HARNESS-END bench-check") for l in results or [])
                res.add("boot", "guest ran /init to the end", PASS if done else FAIL,
                        [] if done else tail(console, 30))
                check_bench(args, res, results)
                check_kernel_log(args, res, console)
    else:
        check_build(args, res)
        check_static(args, res)
        check_originality(args, res)
        if args.built:
            check_gates(args, res)
            if console is None:
                res.add("boot", "guest booted", FAIL, ["no console log"])
            else:
                done = any(l.startswith("@@HARNESS-END test") for l in results or [])
                secs = (read_lines(os.path.join(args.logs, "boot.seconds")) or ["?"])[0]
                res.add("boot", "guest ran /init to the end (%ss)" % secs, PASS if done else FAIL,
                        [] if done else ["the guest did not finish; last console lines:"] + tail(console, 30))
                check_kunit(args, res, console)
                check_upstream_st(args, res, results)
                check_our_st(args, res, results)
                check_sync_test(args, res, results)
                check_sync_test(args, res, results, "SYNC32", "sync_test (32-bit)")
                check_tap_programs(args, res, results)
                check_lockdep_order(args, res, results)
                check_bench(args, res, results)
                check_kernel_log(args, res, console)
            if args.debug_logs:
                check_debug_kernel(args, res)

    summarize(res, args)
    print()
    print_upstream_files(args.pristine, args.manifest)
    if args.seconds is not None:
        print("logs: %s   (took %ds)" % (args.logs, args.seconds))
    p, f, s = res.count(status=PASS), res.count(status=FAIL), res.count(status=SKIP)
    print("%d passed, %d failed, %d skipped" % (p, f, s))
    return 1 if f or (args.mode in ("test", "bench-check") and not args.built) else 0


if __name__ == "__main__":
    sys.exit(main())
