"""benchlib.py - what the Python parts of the benches in tests/bench/
share (the shell parts share common.sh). From a heredoc run at the top of
the tree:

    sys.path.insert(0, "tests/bench")
    import benchlib

Everything here is stdlib only (Debian's /usr/bin/python3)."""
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

PYTHON = os.environ.get("PYTHON", "/usr/bin/python3")


def psql(db, sql):
    """One statement through psql (PGHOST etc. from the environment); its
    output, unaligned and trimmed."""
    return subprocess.run(["psql", "-X", "-q", "-A", "-t", "-d", db, "-c",
                           sql], check=True, capture_output=True,
                          text=True).stdout.strip()


def control(base, path, body=None, timeout=120):
    """The fake's control API: GET base+path, or POST body as JSON; the
    answer decoded."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read().decode())


def start_fake(work, args, timeout=120, who=None):
    """tests/fake/magento.py --port 0 ARGS, logging to WORK/fake.log, once
    it listens: (Popen, base URL). Exits the bench when it does not start
    within timeout seconds."""
    log = open(os.path.join(work, "fake.log"), "w")
    p = subprocess.Popen([PYTHON, "tests/fake/magento.py", "--port", "0"] +
                         list(args), stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(log.name) as f:
            m = re.search(r"^listening on (\d+)", f.read(), re.M)
        if m:
            return p, "http://127.0.0.1:" + m.group(1)
        if p.poll() is not None:
            break
        time.sleep(0.1)
    p.kill()
    p.wait()
    with open(log.name) as f:
        sys.exit("%s: the fake did not start:\n%s"
                 % (who or os.path.basename(sys.argv[0]), f.read()))


def run_measured(argv, out_path):
    """Run argv with stdout and stderr into out_path. Returns (exit
    status, wall seconds, resource usage, output); the usage is that
    process's alone (wait4): its peak RSS (ru_maxrss, kB) and CPU, nobody
    else's."""
    with open(out_path, "w+") as out:
        t0 = time.time()
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.time() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        return p.returncode, wall, ru, out.read()
