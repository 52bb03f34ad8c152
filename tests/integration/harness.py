"""harness.py - what every integration test needs: a fresh database in the
throwaway cluster that tests/run.sh started, a scratch directory, the real
binaries, and a way to start the fake Magento.

A test is a function test_NAME(t) in tests/integration/test_*.py; t is a Case.
Tests assert with plain `assert` (with a message) or t.eq(a, b, what)."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
PYTHON = os.environ.get("PYTHON", "/usr/bin/python3")


class Fail(AssertionError):
    pass


class Proc:
    """A background process whose stderr goes to a file we can read."""

    def __init__(self, argv, env, cwd, log_path):
        self.argv = argv
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.p = subprocess.Popen(argv, env=env, cwd=cwd, stdout=self.log,
                                  stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)

    @property
    def pid(self):
        return self.p.pid

    def output(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, pattern, timeout=20.0):
        """Wait until a line matching regex pattern appears; return match."""
        deadline = time.time() + timeout
        rx = re.compile(pattern, re.M)
        while time.time() < deadline:
            m = rx.search(self.output())
            if m:
                return m
            if self.p.poll() is not None:
                m = rx.search(self.output())
                if m:
                    return m
                raise Fail("process exited (%s) before /%s/:\n%s" %
                           (self.p.returncode, pattern, self.output()[-4000:]))
            time.sleep(0.05)
        raise Fail("timeout waiting for /%s/ in:\n%s" %
                   (pattern, self.output()[-4000:]))

    def signal(self, sig):
        if self.p.poll() is None:
            self.p.send_signal(sig)

    def wait(self, timeout=30.0):
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Fail("%s did not exit within %ss:\n%s" %
                       (self.argv[0], timeout, self.output()[-4000:]))

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()

    def close(self):
        self.kill()
        self.log.close()


class Case:
    def __init__(self, name, build):
        self.name = name
        self.build = build
        self.dir = tempfile.mkdtemp(prefix="magsync-it-")
        os.chmod(self.dir, 0o755)
        self.dbname = "t_" + uuid.uuid4().hex[:12]
        self._procs = []
        self._db_created = False

    # -- database ---------------------------------------------------------
    @property
    def conninfo(self):
        return "host=%s port=%s user=%s dbname=%s" % (
            os.environ["PGHOST"], os.environ["PGPORT"],
            os.environ["PGUSER"], self.dbname)

    def createdb(self):
        if not self._db_created:
            self.psql("CREATE DATABASE %s" % self.dbname, db="postgres")
            self._db_created = True
        return self.conninfo

    def psql(self, query, db=None, check=True):
        """Run SQL with psql; return rows as lists of strings (NULL -> None)."""
        argv = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                "-P", "null=\\N", "-F", "\x1f", "-d", db or self.dbname,
                "-c", query]
        r = subprocess.run(argv, capture_output=True, text=True)
        if check and r.returncode != 0:
            raise Fail("psql failed: %s\n%s" % (query, r.stderr))
        rows = []
        for line in r.stdout.splitlines():
            rows.append([None if c == "\\N" else c for c in line.split("\x1f")])
        return rows

    def one(self, query):
        """The single value of a one-row, one-column query."""
        rows = self.psql(query)
        if len(rows) != 1 or len(rows[0]) != 1:
            raise Fail("expected one value from %s, got %r" % (query, rows))
        return rows[0][0]

    # -- files and binaries -------------------------------------------------
    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def write(self, name, text, mode=0o644):
        p = self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        return p

    def bin(self, name):
        return os.path.join(self.build, name)

    def env(self, extra=None):
        e = dict(os.environ)
        e.pop("NOTIFY_SOCKET", None)
        e.pop("MAGSYNC_CONFIG", None)
        e.pop("CREDENTIALS_DIRECTORY", None)
        e["TZ"] = "UTC"
        if extra:
            e.update(extra)
        return e

    def ctl(self, *args, config=None, env=None, timeout=120, input=None):
        argv = [self.bin("magsyncctl")]
        if config:
            argv += ["-c", config]
        argv += list(args)
        return subprocess.run(argv, capture_output=True, text=True,
                              env=self.env(env), cwd=self.dir,
                              timeout=timeout, input=input)

    def daemon(self, config, env=None, name="magsyncd"):
        argv = [self.bin("magsyncd"), "-c", config]
        p = Proc(argv, self.env(env), self.dir, self.path(name + ".log"))
        self._procs.append(p)
        return p

    def spawn(self, argv, env=None, name="proc"):
        p = Proc(argv, self.env(env), self.dir,
                 self.path("%s-%d.log" % (name, len(self._procs))))
        self._procs.append(p)
        return p

    def fake_magento(self, *args):
        """Start tests/fake/magento.py on a free port; return (proc, url)."""
        port = free_port()
        argv = [PYTHON, os.path.join(TOP, "tests", "fake", "magento.py"),
                "--port", str(port)] + list(args)
        p = self.spawn(argv, name="fake")
        p.wait_log(r"listening", timeout=30)
        return p, "http://127.0.0.1:%d" % port

    # -- assertions ---------------------------------------------------------
    def eq(self, got, want, what=""):
        if got != want:
            raise Fail("%s: got %r, want %r" % (what or "value", got, want))

    def wait_for(self, fn, timeout=20.0, what="condition"):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            last = fn()
            if last:
                return last
            time.sleep(0.1)
        raise Fail("timeout waiting for %s (last: %r)" % (what, last))

    def close(self):
        for p in self._procs:
            p.close()
        if os.environ.get("MAGSYNC_KEEP_TEST_DIRS") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)
        if self._db_created:
            self.psql("DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.dbname,
                      db="postgres", check=False)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def pg_ctl(action):
    """tests/pg.sh ACTION (halt, resume, restart) on the suite's own
    PostgreSQL, for the tests that take it away under a client."""
    pgdir = os.environ.get("MAGSYNC_PG_DIR")
    assert pgdir, "MAGSYNC_PG_DIR is not set (tests/run.sh sets it)"
    env = dict(os.environ, PGTEST_PORT=os.environ["PGPORT"])
    r = subprocess.run([os.path.join(TOP, "tests", "pg.sh"), action, pgdir],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, "pg.sh %s: %s" % (action, r.stderr)


FAKE_SCHEMA = os.path.join(TOP, "tests", "fake", "schema_subset.json")
_fake_schema = None


def fake_schema():
    """tests/fake/schema_subset.json: the Magento schema the fake and the
    requests we send are checked against (read once)."""
    global _fake_schema
    if _fake_schema is None:
        with open(FAKE_SCHEMA) as f:
            _fake_schema = json.load(f)
    return _fake_schema


def check_shape(value, sch, where="$", lenient=False):
    """value against a schema of fake_schema(): every key declared,
    required ones present, types right. lenient, for what Magento answers:
    null is accepted anywhere (Magento emits nulls Swagger 2 cannot
    declare) and custom_attributes values may be arrays (category_ids);
    what we send gets no such slack."""
    if "$ref" in sch:
        name = sch["$ref"].split("/")[-1]
        sch = dict(fake_schema()["definitions"][name], _name=name)
    if value is None and lenient:
        return
    typ = sch.get("type")
    if typ == "object" or "properties" in sch:
        assert isinstance(value, dict), "%s: want object, got %r" % (where, value)
        props = sch.get("properties", {})
        for k, v in value.items():
            assert k in props, "%s: %r is not in %s" % (
                where, k, sch.get("_name", "schema"))
            check_shape(v, props[k], "%s.%s" % (where, k), lenient)
        for k in sch.get("required", []):
            assert k in value, "%s: required %r missing (%s)" % (
                where, k, sch.get("_name"))
    elif typ == "array":
        assert isinstance(value, list), "%s: want array, got %r" % (where, value)
        for i, v in enumerate(value):
            check_shape(v, sch.get("items", {}), "%s[%d]" % (where, i),
                        lenient)
    elif typ == "string":
        if lenient and isinstance(value, list) and where.endswith(".value"):
            assert all(isinstance(x, str) for x in value), where
            return
        assert isinstance(value, str), "%s: want string, got %r" % (where, value)
    elif typ == "integer":
        assert isinstance(value, int) and not isinstance(value, bool), \
            "%s: want integer, got %r" % (where, value)
    elif typ == "number":
        assert isinstance(value, (int, float)) and \
            not isinstance(value, bool), \
            "%s: want number, got %r" % (where, value)
    elif typ == "boolean":
        assert isinstance(value, bool), "%s: want boolean, got %r" % (where, value)
