#!/usr/bin/env python3
"""run.py - discover and run the integration tests against real binaries.

Prints "ok NAME (secs)" or "FAIL NAME" with the reason per test, then the
machine-read line "#integration-result PASSED FAILED" for tests/run.sh."""
import argparse
import glob
import importlib.util
import os
import signal
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


class Timeout(Exception):
    pass


def on_alarm(signum, frame):
    raise Timeout("test took longer than its limit")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--only", default="")
    ap.add_argument("--limit", type=int, default=240)
    args = ap.parse_args()
    signal.signal(signal.SIGALRM, on_alarm)
    passed = failed = 0
    here = os.path.dirname(os.path.abspath(__file__))
    for path in sorted(glob.glob(os.path.join(here, "test_*.py"))):
        modname = os.path.basename(path)[:-3]
        spec = importlib.util.spec_from_file_location(modname, path)
        mod = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(mod)
        except Exception:
            print("FAIL %s (import)\n%s" % (modname, traceback.format_exc()))
            failed += 1
            continue
        names = [n for n in dir(mod) if n.startswith("test_")
                 and callable(getattr(mod, n))]
        names.sort(key=lambda n: getattr(mod, n).__code__.co_firstlineno)
        for n in names:
            full = "%s.%s" % (modname, n)
            if args.only and args.only not in full:
                continue
            case = harness.Case(full, args.build)
            t0 = time.time()
            signal.alarm(getattr(getattr(mod, n), "limit", args.limit))
            try:
                getattr(mod, n)(case)
                signal.alarm(0)
                print("ok %s (%.1fs)" % (full, time.time() - t0), flush=True)
                passed += 1
            except BaseException as e:  # noqa: B902 - report everything
                signal.alarm(0)
                if isinstance(e, KeyboardInterrupt):
                    raise
                print("FAIL %s (%.1fs)\n%s" % (full, time.time() - t0,
                      traceback.format_exc()), flush=True)
                failed += 1
            finally:
                try:
                    case.close()
                except Exception:
                    traceback.print_exc()
    print("integration: %d tests ok, %d tests broken" % (passed, failed))
    print("#integration-result %d %d" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
