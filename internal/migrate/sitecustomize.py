# zdcd's session guard. zdcd-release writes this file to a temporary directory that it puts first
# on the migrate command's PYTHONPATH, so every Python process the command starts imports it at
# start-up (the `site` module imports `sitecustomize`:
# https://docs.python.org/3/library/site.html#module-sitecustomize). It does nothing unless
# ZDCD_SESSION_NONCE is set.
#
# Why: zdcd used to send lock_timeout and statement_timeout in PGOPTIONS, which libpq ignores when
# the connection sets `options` itself (Django's DATABASES[...]["OPTIONS"]["options"], or
# `?options=` in the URL: "options ... PGOPTIONS behaves the same as the options connection
# parameter", https://www.postgresql.org/docs/current/libpq-envars.html, and a connection
# parameter wins over its environment variable), and that PgBouncer drops when
# `ignore_startup_parameters` lists `options`
# (https://www.pgbouncer.org/config.html#ignore_startup_parameters).
#
# What: a receiver of Django's connection_created signal
# (https://docs.djangoproject.com/en/stable/ref/signals/#connection-created), sent by
# BaseDatabaseWrapper.connect() right after the connection is opened and its autocommit set,
# before any statement of the caller, runs set_config() for lock_timeout, statement_timeout and
# application_name on every new PostgreSQL connection. A SET run after the connection is up wins
# over the startup packet's options and the role's defaults; it is run in autocommit mode (or
# committed at once), so no later ROLLBACK of Django's atomic blocks undoes it; in PgBouncer's
# session mode the client keeps the same server connection for its lifetime, so it holds. Then it
# reads the values back from pg_settings, with where the session's values came from before the
# SET, and writes one line to stderr:
#
#   ZDCD-SESSION <nonce> {"pid": ..., "before": {...}, "after": {...}, "ok": true}
#
# The report also names the settings module Django runs with (django.conf.settings.SETTINGS_MODULE,
# None under settings.configure()) and the identity of the database the session reached (zdcd
# passes its own query for it, database.IdentityQuery, in ZDCD_SESSION_IDENTITY_QUERY, so that both
# sides compute it alike). zdcd reads the report (and refuses when the values are not the ones it
# asked for, or the settings module or database are not the ones it judged the plan with:
# ZDCD_SESSION_SETTINGS, and ZDCD_SESSION_DATABASE for the alias ZDCD_SESSION_ALIAS). When the
# values read back are not the expected ones the process exits at once (status 70), before its
# caller runs anything: this holds even where zdcd's gate cannot (a first deploy).
#
# Probe mode (ZDCD_SESSION_PROBE=<status>, zdcd's pre-flight before the backup): after a good report
# the process exits at once with that status, before its caller runs a single query, so that
# `migrate` started exactly as the release will start it goes no further than opening its first
# connection. set_config() is used rather than SET because a SET cannot take a bound parameter with
# psycopg 3's server-side binding.
import os
import sys


def _zdcd_guard():
    nonce = os.environ.get("ZDCD_SESSION_NONCE")
    if not nonce:
        return
    want = {
        "lock_timeout": os.environ.get("ZDCD_SESSION_LOCK_TIMEOUT", ""),
        "statement_timeout": os.environ.get("ZDCD_SESSION_STATEMENT_TIMEOUT", ""),
        "application_name": os.environ.get("ZDCD_SESSION_APPLICATION_NAME", ""),
    }
    try:
        from django.db.backends.signals import connection_created
    except Exception:
        return  # not a Django process; zdcd's gate notices a session that reports nothing

    read = (
        "SELECT name, setting, source FROM pg_settings"
        " WHERE name IN ('lock_timeout', 'statement_timeout', 'application_name')"
    )
    identity_query = os.environ.get("ZDCD_SESSION_IDENTITY_QUERY", "")
    want_settings = os.environ.get("ZDCD_SESSION_SETTINGS", "")
    want_database = os.environ.get("ZDCD_SESSION_DATABASE", "")
    want_alias = os.environ.get("ZDCD_SESSION_ALIAS", "") or "default"
    probe = os.environ.get("ZDCD_SESSION_PROBE", "")

    def report(payload):
        import json

        sys.stderr.write("ZDCD-SESSION %s %s\n" % (nonce, json.dumps(payload, sort_keys=True)))
        sys.stderr.flush()

    def guard(sender, connection, **kwargs):
        if getattr(connection, "vendor", "") != "postgresql":
            return
        raw = connection.connection
        payload = {"alias": getattr(connection, "alias", "")}
        try:
            cur = raw.cursor()
            try:
                cur.execute(read)
                payload["before"] = {n: [v, s] for n, v, s in cur.fetchall()}
                for name in ("lock_timeout", "statement_timeout", "application_name"):
                    cur.execute("SELECT set_config(%s, %s, false)", [name, want[name]])
                    cur.fetchall()
                if not raw.autocommit:
                    raw.commit()  # AUTOCOMMIT=False: keep the settings past any rollback
                cur.execute(read)
                payload["after"] = {n: v for n, v, s in cur.fetchall()}
                cur.execute("SELECT pg_backend_pid()")
                payload["pid"] = cur.fetchone()[0]
                if identity_query:
                    cur.execute(identity_query)
                    payload["database"] = cur.fetchone()[0]
                if not raw.autocommit:
                    raw.commit()
            finally:
                cur.close()
        except Exception as e:  # reported, then refused below
            payload["error"] = "%s: %s" % (type(e).__name__, str(e).strip().splitlines()[0] if str(e).strip() else "")
        try:
            from django.conf import settings

            payload["settings"] = getattr(settings, "SETTINGS_MODULE", None)
        except Exception as e:
            payload["settings"] = None
            payload.setdefault("error", "settings: %s" % type(e).__name__)
        ok = "error" not in payload and payload.get("after") == want
        if want_settings and payload.get("settings") != want_settings:
            ok = False
        if want_database and payload["alias"] == want_alias and payload.get("database") != want_database:
            ok = False
        if ok and probe and payload["alias"] == want_alias:
            pooling = _pooling(connection, raw, payload.get("pid"))
            if pooling:
                payload["pooling"] = pooling
                ok = False
        payload["ok"] = ok
        report(payload)
        if not ok:
            os._exit(70)
        if probe:
            os._exit(int(probe))

    # weak=False: the receiver is a closure that nothing else references.
    connection_created.connect(guard, weak=False, dispatch_uid="zdcd-session-guard")


def _pooling(connection, raw, pid):
    """Why this connection goes through a transaction or statement pooler ("" when it does not).

    Run in probe mode only, for the migrated alias; the process exits right after, so a thread
    left waiting does not matter. The settings set and read back above hold only as long as the
    client keeps its server session, which a transaction pooler (PgBouncer pool_mode=transaction,
    Heroku's DATABASE_CONNECTION_POOL_URL) does not promise: it hands the server connection to
    another client between transactions (https://www.pgbouncer.org/features.html). So: a second
    session B of the same settings opens a transaction and reads its backend pid while this one
    (A) is idle, then A reads its pid again. Connected directly, or through a session pooler, every
    client keeps its own backend (B's pid differs, A's stays). Through a transaction pooler,
    PgBouncer gives B the server connection A just left idle (it reuses the most recently used
    idle one first: https://www.pgbouncer.org/faq.html), or moves A to another one. B is opened
    with connection.get_new_connection(), which does not send connection_created.
    """
    import threading

    if not pid:
        return ""

    def a_pid():
        cur = raw.cursor()
        try:
            cur.execute("SELECT pg_backend_pid()")
            value = cur.fetchone()[0]
        finally:
            cur.close()
        if not raw.autocommit:
            raw.commit()
        return value

    got, done, b = threading.Event(), threading.Event(), {}

    def second():
        conn = None
        try:
            conn = connection.get_new_connection(connection.get_connection_params())
            cur = conn.cursor()
            cur.execute("SELECT pg_backend_pid()")  # not autocommit: opens a transaction
            b["pid"] = cur.fetchone()[0]
        except Exception as e:
            b["error"] = "%s: %s" % (type(e).__name__, (str(e).strip().splitlines() or [""])[0])
        got.set()
        done.wait(30)
        try:
            if conn is not None:
                conn.rollback()
                conn.close()
        except Exception:
            pass

    threading.Thread(target=second, daemon=True).start()
    try:
        # Only what a pooler alone can do is a verdict. A wait is not: a session pooler with a
        # full pool makes the second session wait too (and keeps the settings), and so does a
        # loaded machine.
        if not got.wait(10):
            return ""
        if "error" in b:
            if "pooling mode" in b["error"]:  # PgBouncer: "... not allowed in statement pooling mode"
                return "statement pooling (%s)" % b["error"]
            return ""  # not a pooling verdict; the release's own connections fail loudly if it matters
        if b["pid"] == pid:
            return "transaction pooling: a second session was given this session's server backend (pid %d) while this one was idle" % pid
        again = {}
        t = threading.Thread(target=lambda: again.update(pid=a_pid()), daemon=True)
        t.start()
        t.join(10)
        if "pid" not in again:
            return ""
        if again["pid"] != pid:
            return "transaction pooling: this session moved from server backend pid %d to pid %d between two statements" % (pid, again["pid"])
        return ""
    finally:
        done.set()


def _zdcd_chain():
    # Run the sitecustomize this file shadows (Debian's, a virtualenv's), if there is one.
    import importlib.machinery
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    path = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", path)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)


try:
    _zdcd_chain()
except Exception:
    pass
_zdcd_guard()
