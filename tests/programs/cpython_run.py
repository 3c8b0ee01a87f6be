"""Runs one CPython regression-test module and reports each test on a line.

Usage: python3 cpython_run.py MODULE [--exclude FILE] [--only FILE]
                                     [--out FILE] [--durations]

MODULE is a dotted name such as test.test_signal, or MODULE:Class[,Class...]
to run only those test classes of it.  --exclude names a file of test ids
(one per line, "# reason" after it) that are not run; an id may also be a
class (test.test_x.SomeTests) to leave out all of its tests.  --only names a
file of test ids: just those are run.

Prints, in the order run:
    ok - ID                      passed
    ok - ID # SKIP reason        skipped by the test itself
    ok - ID # EXCLUDED reason    not run: listed in the exclusion file
    not ok - ID                  failed, errored or unexpectedly passed
    # unused exclusion: ID       an id of MODULE in the file names no test
followed by the tracebacks of the failures and a last line
    cpython_run: MODULE: N passed, N failed, N skipped, N excluded
to --out FILE (default: stdout; a file keeps the lines apart from what the
tests and their child processes print).  --durations adds each test's time.
The exit status is 0 when nothing failed.
"""

import argparse
import sys
import time
import unittest


def read_ids(path):
    ids = {}
    if not path:
        return ids
    with open(path, encoding="utf-8") as f:
        for line in f:
            text, _, reason = line.partition("#")
            text = text.strip()
            if text:
                ids[text] = reason.strip() or "excluded"
    return ids


def flatten(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from flatten(item)
        else:
            yield item


def excluded_reason(test_id, excluded):
    # The id itself, or any dotted prefix of it (a class or the module).
    name = test_id
    while name:
        if name in excluded:
            return excluded[name]
        name = name.rpartition(".")[0]
    return None


class LineResult(unittest.TestResult):
    """Prints one line per test as soon as it is decided."""

    def __init__(self, out, durations):
        super().__init__()
        self.out = out
        self.durations = durations
        self.verdict = {}
        self.details = []
        self.started = {}

    def _line(self, text):
        self.out.write(text + "\n")
        self.out.flush()

    def startTest(self, test):
        super().startTest(test)
        self.started[test.id()] = time.monotonic()

    def _suffix(self, test):
        if not self.durations:
            return ""
        t0 = self.started.get(test.id())
        return "" if t0 is None else " (%.2fs)" % (time.monotonic() - t0)

    def _fail(self, test, kind, err):
        tid = test.id()
        if self.verdict.get(tid) == "fail":
            return  # a second failing subtest of the same test
        self.verdict[tid] = "fail"
        text = kind if err is None else self._exc_info_to_string(err, test)
        self.details.append((tid, text))

    def addSuccess(self, test):
        super().addSuccess(test)
        self.verdict.setdefault(test.id(), "ok")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._fail(test, "FAIL", err)

    def addError(self, test, err):
        super().addError(test, err)
        # setUpClass/tearDownClass errors come as a _ErrorHolder "test".
        self._fail(test, "ERROR", err)
        if not isinstance(test, unittest.TestCase):
            self._line("not ok - %s" % test.id())

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            if issubclass(err[0], test.failureException):
                self._fail(test, "FAIL", err)
            else:
                self._fail(test, "ERROR", err)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.verdict[test.id()] = "skip"
        self._line("ok - %s # SKIP %s" % (test.id(), " ".join(reason.split())))

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self.verdict.setdefault(test.id(), "ok")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._fail(test, "unexpected success", None)

    def stopTest(self, test):
        super().stopTest(test)
        tid = test.id()
        v = self.verdict.get(tid)
        if v == "ok":
            self._line("ok - %s%s" % (tid, self._suffix(test)))
        elif v == "fail":
            self._line("not ok - %s%s" % (tid, self._suffix(test)))
        elif v is None:
            # Neither passed nor failed (e.g. interrupted): a failure.
            self.verdict[tid] = "fail"
            self.details.append((tid, "no result"))
            self._line("not ok - %s" % tid)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("module")
    ap.add_argument("--exclude")
    ap.add_argument("--only")
    ap.add_argument("--out")
    ap.add_argument("--durations", action="store_true")
    args = ap.parse_args()

    modname, _, classes = args.module.partition(":")
    loader = unittest.TestLoader()
    if classes:
        names = ["%s.%s" % (modname, c) for c in classes.split(",")]
        suite = loader.loadTestsFromNames(names)
    else:
        suite = loader.loadTestsFromName(modname)
    excluded = read_ids(args.exclude)
    only = read_ids(args.only)

    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout
    run = unittest.TestSuite()
    n_excluded = 0
    used = set()
    for test in flatten(suite):
        tid = test.id()
        if only and tid not in only:
            continue
        reason = excluded_reason(tid, excluded)
        if reason is not None:
            used.update(n for n in excluded if tid == n or
                        tid.startswith(n + "."))
            out.write("ok - %s # EXCLUDED %s\n" % (tid, reason))
            n_excluded += 1
            continue
        run.addTest(test)
    # Ids of this module in the exclusion file that name no test here.
    for tid in sorted(excluded):
        if classes or only:
            break  # only part of the module was loaded
        if tid.startswith(modname + ".") and tid not in used:
            out.write("# unused exclusion: %s\n" % tid)
    out.flush()

    result = LineResult(out, args.durations)
    t0 = time.monotonic()
    run(result)
    elapsed = time.monotonic() - t0

    for tid, text in result.details:
        out.write("\n== %s\n" % tid)
        for line in text.rstrip("\n").split("\n"):
            out.write("    %s\n" % line)
    v = list(result.verdict.values())
    out.write("cpython_run: %s: %d passed, %d failed, %d skipped, "
              "%d excluded (%.1fs)\n"
              % (args.module, v.count("ok"), v.count("fail"), v.count("skip"),
                 n_excluded, elapsed))
    out.flush()
    return 1 if v.count("fail") else 0


if __name__ == "__main__":
    sys.exit(main())
