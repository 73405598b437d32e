"""zdcd's Django helper: print the plan of pending migrations as JSON.

The Go package internal/django embeds this file and runs it with the project's own interpreter,
once per plan, from the project directory:

    <python> -B -c <bootstrap> --project-dir DIR --alias ALIAS    (this file on stdin)
        [--offline --pg-version N] [--command-settings MODULE] [--settings-only]

The bootstrap (django.go) exits 12 on a Python older than 3.8 and 11 when `import django` fails,
so that the Go side can try the next candidate interpreter. This file then:

  * keeps the result stream clean: the real stdout is duplicated for the JSON and fd 1 /
    sys.stdout point at stderr, so prints in settings or apps cannot corrupt the result;
  * finds the DJANGO_SETTINGS_MODULE migrate will use (--settings of the migrate command, the
    environment, manage.py read with ast; an ambiguity is an error up front), runs
    django.setup() and opens the alias's connection read-only;
  * computes the plan exactly as `manage.py migrate` with no arguments would, and renders each
    operation's SQL with a collect_sql schema editor, state advanced operation by operation;
  * prints the plan (the JSON model of internal/plan) and exits 0, or prints
    {"error": {"kind", "message", "file", "line", "subject"}} and exits 10 on a problem of the
    project, or prints a traceback on stderr and exits 13 on a bug of its own.

It never writes to the database: it only reads django_migrations and the catalog, and turns the
session's default_transaction_read_only on before reading.

Supports Django 3.2 through 5.x by feature detection. Python 3.8 syntax only.
"""

import argparse
import ast
import datetime
import decimal
import enum
import functools
import hashlib
import importlib
import importlib.util
import inspect
import json
import math
import os
import platform
import re
import sys
import traceback
import uuid

EXIT_OK = 0
EXIT_USER_ERROR = 10
EXIT_INTERNAL = 13


class UserError(Exception):
    """A problem of the project (settings, migrations, database) the user must fix."""

    def __init__(self, kind, message, file="", line=0, subject=""):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.file = file or ""
        self.line = line or 0
        self.subject = subject or ""

    def as_json(self):
        return {
            "error": {
                "kind": self.kind,
                "message": self.message,
                "file": self.file,
                "line": self.line,
                "subject": self.subject,
            }
        }


class MigrationImportError(Exception):
    """Raised by the guarded import_module when a migration module fails to import."""

    def __init__(self, module_name, exc):
        super().__init__(module_name)
        self.module_name = module_name
        self.exc = exc


# ---------------------------------------------------------------------------------------------
# Small utilities


_URL_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)([^@\s]*)@")


class Scrubber:
    """Removes database passwords from messages."""

    def __init__(self):
        self.secrets = []

    def add(self, secret):
        if secret and isinstance(secret, str) and len(secret) >= 4 and secret not in self.secrets:
            self.secrets.append(secret)

    def __call__(self, text):
        text = _URL_PASSWORD.sub(r"\1xxxxx@", text)
        for secret in self.secrets:
            text = text.replace(secret, "xxxxx")
        return text


scrub = Scrubber()


def one_line(text):
    """Collapse a possibly multi-line message into one line."""
    parts = [p.strip() for p in str(text).splitlines()]
    return "; ".join(p for p in parts if p)


def exception_line(exc):
    """The last line Python prints for an exception: 'ModuleNotFoundError: No module named x'."""
    try:
        lines = traceback.format_exception_only(type(exc), exc)
    except Exception:
        return one_line("%s: %s" % (type(exc).__name__, exc))
    text = "".join(lines).strip().splitlines()
    return scrub(text[-1].strip() if text else type(exc).__name__)


def relpath(path, project_dir):
    """path relative to project_dir when inside it, else absolute; '/' separators."""
    if not path:
        return ""
    try:
        full = os.path.realpath(os.path.abspath(path))
        root = os.path.realpath(project_dir)
        rel = os.path.relpath(full, root)
    except ValueError:
        return path
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return full.replace(os.sep, "/")
    return rel.replace(os.sep, "/")


def _is_inside(path, project_dir):
    return not relpath(path, project_dir).startswith("/")


def exception_location(exc, project_dir, prefer_file=None):
    """(file, line) of an exception: the SyntaxError's position, else the innermost frame in
    prefer_file, else the innermost frame inside the project, else ("", 0)."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return relpath(exc.filename, project_dir), exc.lineno or 0
    try:
        frames = traceback.extract_tb(exc.__traceback__)
    except Exception:
        frames = []
    if prefer_file:
        want = os.path.realpath(prefer_file)
        for frame in reversed(frames):
            if frame.filename and os.path.realpath(frame.filename) == want:
                return relpath(frame.filename, project_dir), frame.lineno or 0
    for frame in reversed(frames):
        name = frame.filename or ""
        if name.startswith("<") or not os.path.isabs(name) and not os.path.exists(name):
            continue
        if _is_inside(name, project_dir):
            return relpath(name, project_dir), frame.lineno or 0
    return "", 0


def qualname(obj):
    """'module.qualname' of a function, class or callable object."""
    if isinstance(obj, functools.partial):
        return qualname(obj.func)
    func = getattr(obj, "__func__", obj)
    module = getattr(func, "__module__", None)
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None)
    if name is None:
        cls = type(obj)
        module, name = cls.__module__, cls.__qualname__
    return "%s.%s" % (module, name) if module else name


# ---------------------------------------------------------------------------------------------
# JSON encoding of deconstructed values


class Encoder:
    """Turns deconstructed Django values into JSON-safe values."""

    def __init__(self, connection):
        self.connection = connection
        from django.db import models
        from django.db.migrations.operations.base import Operation

        self.Field = models.Field
        self.Index = models.Index
        self.Model = models.Model
        try:
            from django.db.models.constraints import BaseConstraint
        except ImportError:  # pragma: no cover
            BaseConstraint = ()
        self.BaseConstraint = BaseConstraint
        self.Operation = Operation
        try:
            from django.utils.functional import Promise
        except ImportError:  # pragma: no cover
            Promise = ()
        self.Promise = Promise
        try:
            from django.db.models.fields import NOT_PROVIDED
        except ImportError:  # pragma: no cover
            NOT_PROVIDED = object()
        self.NOT_PROVIDED = NOT_PROVIDED
        try:
            from django.db.models import Value
        except ImportError:  # pragma: no cover
            Value = ()
        self.Value = Value

    def value(self, v, depth=0):
        if depth > 20:
            return repr(v)
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, int):
            return v
        if isinstance(v, float):
            return v if math.isfinite(v) else repr(v)
        if isinstance(v, (decimal.Decimal, datetime.date, datetime.time, datetime.timedelta,
                          uuid.UUID)):
            return str(v)
        if self.Promise and isinstance(v, self.Promise):
            return str(v)
        if isinstance(v, enum.Enum):
            return self.value(v.value, depth + 1)
        if isinstance(v, bytes):
            return repr(v)
        if isinstance(v, (list, tuple)):
            return [self.value(x, depth + 1) for x in v]
        if isinstance(v, (set, frozenset)):
            items = [self.value(x, depth + 1) for x in v]
            return sorted(items, key=lambda x: json.dumps(x, sort_keys=True))
        if isinstance(v, dict):
            return {str(k): self.value(x, depth + 1) for k, x in v.items()}
        if isinstance(v, self.Field):
            return self.field(v)
        if isinstance(v, self.Operation):
            return self.operation(v, depth + 1)
        if hasattr(v, "resolve_expression"):  # Q objects, F(), expressions
            return str(v)
        if isinstance(v, type) or inspect.isroutine(v) or isinstance(v, functools.partial):
            return qualname(v)
        deconstruct = getattr(v, "deconstruct", None)
        if callable(deconstruct) and not isinstance(v, type):
            try:
                path, args, kwargs = deconstruct()
                return {
                    "path": path,
                    "args": self.value(list(args), depth + 1),
                    "kwargs": self.value(kwargs, depth + 1),
                }
            except Exception:
                pass
        if callable(v):
            return qualname(v)
        return repr(v)

    def operation(self, op, depth=0):
        try:
            _, args, kwargs = op.deconstruct()
        except Exception:
            args, kwargs = (), {}
        out = {"class": type(op).__name__, "module": type(op).__module__,
               "args": self.value(kwargs, depth + 1)}
        if args:
            out["positional"] = self.value(list(args), depth + 1)
        return out

    def default(self, v):
        if callable(v) and not hasattr(v, "resolve_expression"):
            return {"repr": qualname(v), "callable": True}
        if hasattr(v, "resolve_expression"):
            return {"repr": str(v), "callable": False, "expression": True}
        return {"repr": repr(v), "callable": False}

    def db_default(self, v):
        if self.Value and isinstance(v, self.Value):
            return {"repr": repr(v.value), "callable": False}
        if hasattr(v, "resolve_expression"):
            return {"repr": str(v), "callable": False, "expression": True}
        return {"repr": repr(v), "callable": False}

    def field(self, field, name=None):
        """plan.Field for a model field (bound to a rendered model when possible)."""
        try:
            dname, path, _, kwargs = field.deconstruct()
        except Exception:
            dname, path, kwargs = None, qualname(type(field)), {}
        fname = getattr(field, "name", None) or name or dname or ""
        column = getattr(field, "column", None)
        if column is None and fname:
            try:
                _, column = field.get_attname_column() if field.name else (None, None)
            except Exception:
                column = None
            if column is None:
                column = fname + ("_id" if getattr(field, "many_to_one", False)
                                  or getattr(field, "one_to_one", False) else "")
        out = {
            "name": fname,
            "column": column or "",
            "class": type(field).__name__,
            "path": path,
            "null": bool(getattr(field, "null", False)),
            "unique": bool(getattr(field, "unique", False)),
            "db_index": bool(getattr(field, "db_index", False)),
            "primary_key": bool(getattr(field, "primary_key", False)),
        }
        try:
            db_type = field.db_type(self.connection)
        except Exception:
            db_type = None
        if db_type:
            out["db_type"] = db_type
        try:
            if field.has_default():
                out["default"] = self.default(field.default)
        except Exception:
            pass
        if hasattr(field, "db_default"):  # Django >= 5.0
            dbd = getattr(field, "db_default")
            if dbd is not self.NOT_PROVIDED:
                out["db_default"] = self.db_default(dbd)
        remote = getattr(field, "remote_field", None)
        if remote is not None:
            target = getattr(remote, "model", None)
            if isinstance(target, str):
                out["related"] = target
            elif target is not None:
                meta = getattr(target, "_meta", None)
                if meta is not None:
                    out["related"] = meta.label
                    out["related_table"] = meta.db_table
            if hasattr(field, "db_constraint"):
                out["db_constraint"] = bool(field.db_constraint)
            on_delete = getattr(remote, "on_delete", None)
            if on_delete is not None:
                out["on_delete"] = getattr(on_delete, "__name__", repr(on_delete))
        if getattr(field, "many_to_many", False):
            out["many_to_many"] = True
        out["kwargs"] = self.value(kwargs)
        return out


# ---------------------------------------------------------------------------------------------
# Locating operations in migration files


class LineNode:
    """Where an operation is written: its line, and its nested operation lists."""

    def __init__(self, call):
        self.line = getattr(call, "lineno", 0) or 0
        self.keywords = {}
        self.positional = []
        if isinstance(call, ast.Call):
            self.positional = list(call.args)
            for kw in call.keywords:
                if kw.arg:
                    self.keywords[kw.arg] = kw.value

    def nested(self, keyword, position, count):
        """LineNodes of a nested list argument, or None when it does not match count."""
        node = self.keywords.get(keyword)
        if node is None and position < len(self.positional):
            node = self.positional[position]
        if not isinstance(node, (ast.List, ast.Tuple)) or len(node.elts) != count:
            return None
        return [LineNode(e) for e in node.elts]


def locate(path, count):
    """(class_line, [LineNode] for `operations` of class Migration, or None)."""
    try:
        with open(path, "rb") as f:
            tree = ast.parse(f.read(), path)
    except Exception:
        return 0, None
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Migration":
            for stmt in node.body:
                value = None
                if isinstance(stmt, ast.Assign):
                    if any(isinstance(t, ast.Name) and t.id == "operations" for t in stmt.targets):
                        value = stmt.value
                elif isinstance(stmt, ast.AnnAssign):
                    if isinstance(stmt.target, ast.Name) and stmt.target.id == "operations":
                        value = stmt.value
                if value is not None:
                    if isinstance(value, (ast.List, ast.Tuple)) and len(value.elts) == count:
                        return node.lineno, [LineNode(e) for e in value.elts]
                    return node.lineno, None
            return node.lineno, None
    return 0, None


# ---------------------------------------------------------------------------------------------
# Settings
#
# Which DJANGO_SETTINGS_MODULE will `migrate` use? Django reads os.environ when settings are first
# touched (django/conf/__init__.py, LazySettings._setup), after manage.py ran its own code:
#
#   * os.environ.setdefault(KEY, v) keeps a value the environment (a Heroku config var) already
#     has; os.environ[KEY] = v, os.environ.update({KEY: v}) replace it.
#   * `--settings X` on the command line wins over both: ManagementUtility.execute() parses it
#     (exactly `--settings`, allow_abbrev=False) and handle_default_options() assigns
#     os.environ[KEY] = X before settings are first read, i.e. after manage.py's own code
#     (https://github.com/django/django/blob/stable/3.2.x/django/core/management/__init__.py,
#     ManagementUtility.execute; .../django/core/management/base.py, handle_default_options).
#     The Go side reads it from ZDCD_MIGRATE_COMMAND and passes it as --command-settings.
#
# manage.py is read with ast, never run: every write of the key is collected with its line, its
# value (a string constant, or None when computed at run time) and whether it sits under a
# condition (if, try, loop, match, conditional expression, and/or). Resolution
# (resolve_settings) refuses what zdcd cannot tell statically: an ambiguity is exit 2 up front.

SETTINGS_KEY = "DJANGO_SETTINGS_MODULE"


class SettingsWrite:
    """One write of DJANGO_SETTINGS_MODULE in manage.py."""

    # kind: "setdefault" (kept when the environment has a value), "assign" (os.environ[...] = v,
    # os.environ.update, os.putenv), "remove" (del os.environ[...], os.environ.pop).
    def __init__(self, kind, line, value, conditional, text=""):
        self.kind = kind
        self.line = line
        self.value = value  # a str, or None when not a string constant
        self.conditional = conditional
        self.text = text  # the source of a non-constant value, shortened

    def overrides(self):
        return self.kind != "setdefault"

    def describe(self):
        if self.kind == "remove":
            return "line %d: removed" % self.line
        if self.value is not None:
            return "line %d: %s" % (self.line, self.value)
        return "line %d: %s (computed at run time)" % (self.line, self.text or "not a constant")

    def as_json(self):
        return {"kind": self.kind, "line": self.line, "value": self.value,
                "conditional": self.conditional}


def _str_const(node):
    if hasattr(ast, "Index") and isinstance(node, getattr(ast, "Index")):  # Python 3.8 slices
        node = node.value
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


class _WriteFinder(ast.NodeVisitor):
    """Collects the SettingsWrites of a module. A function or class body is not a condition (a
    `def main():` is how manage.py is written); if/try/loops/match/conditional expressions and
    boolean short-circuits are."""

    CONDITIONAL = tuple(getattr(ast, name) for name in (
        "If", "Try", "TryStar", "For", "AsyncFor", "While", "Match", "IfExp", "BoolOp",
        "ListComp", "SetComp", "DictComp", "GeneratorExp") if hasattr(ast, name))

    def __init__(self, source):
        self.source = source
        self.depth = 0
        self.writes = []
        # Names bound to os.environ (`from os import environ as env`, `env = os.environ`).
        self.environ_names = {"environ"}
        self.putenv_names = {"putenv"}

    def generic_visit(self, node):
        conditional = isinstance(node, self.CONDITIONAL)
        if conditional:
            self.depth += 1
        super().generic_visit(node)
        if conditional:
            self.depth -= 1

    def is_environ(self, node):
        return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
            isinstance(node, ast.Name) and node.id in self.environ_names)

    def add(self, kind, node, value_node):
        value, text = None, ""
        if value_node is not None:
            value = _str_const(value_node)
            if value is None:
                text = ast.get_source_segment(self.source, value_node) or ""
                text = " ".join(text.split())
                if len(text) > 60:
                    text = text[:57] + "..."
        self.writes.append(SettingsWrite(kind, node.lineno, value, self.depth > 0, text))

    def visit_ImportFrom(self, node):
        if node.module == "os":
            for alias in node.names:
                if alias.name == "environ":
                    self.environ_names.add(alias.asname or alias.name)
                elif alias.name == "putenv":
                    self.putenv_names.add(alias.asname or alias.name)
        self.generic_visit(node)

    def visit_Assign(self, node):
        if self.is_environ(node.value):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.environ_names.add(target.id)
        for target in node.targets:
            self.assign_target(target, node, node.value)
        self.generic_visit(node)

    def assign_target(self, target, node, value):
        if isinstance(target, ast.Subscript) and self.is_environ(target.value) and (
                _str_const(target.slice) == SETTINGS_KEY):
            self.add("assign", node, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                # Unpacking: the value of each element is not read here.
                self.assign_target(elt, node, ast.Tuple(elts=[], ctx=ast.Load()))

    def visit_Delete(self, node):
        for target in node.targets:
            if isinstance(target, ast.Subscript) and self.is_environ(target.value) and (
                    _str_const(target.slice) == SETTINGS_KEY):
                self.add("remove", node, None)
        self.generic_visit(node)

    def visit_Call(self, node):
        func = node.func
        args = node.args
        if isinstance(func, ast.Attribute) and self.is_environ(func.value):
            key = _str_const(args[0]) if args else None
            if func.attr == "setdefault" and key == SETTINGS_KEY:
                self.add("setdefault", node, args[1] if len(args) > 1 else ast.Tuple(elts=[], ctx=ast.Load()))
            elif func.attr == "pop" and key == SETTINGS_KEY:
                self.add("remove", node, None)
            elif func.attr == "update":
                if args and isinstance(args[0], ast.Dict):
                    for k, v in zip(args[0].keys, args[0].values):
                        if k is not None and _str_const(k) == SETTINGS_KEY:
                            self.add("assign", node, v)
                for kw in node.keywords:
                    if kw.arg == SETTINGS_KEY:
                        self.add("assign", node, kw.value)
        # os.putenv does not update os.environ, which Django reads; but a process migrate starts
        # would see it. zdcd cannot tell, so it counts as an assignment (conservative).
        if ((isinstance(func, ast.Attribute) and func.attr == "putenv")
                or (isinstance(func, ast.Name) and func.id in self.putenv_names)):
            if args and _str_const(args[0]) == SETTINGS_KEY:
                self.add("assign", node, args[1] if len(args) > 1 else ast.Tuple(elts=[], ctx=ast.Load()))
        self.generic_visit(node)


def settings_writes(source, filename="manage.py"):
    """Every write of DJANGO_SETTINGS_MODULE in source (manage.py), in source order."""
    tree = ast.parse(source, filename)
    if isinstance(source, bytes):
        source = source.decode("utf-8", "replace")
    finder = _WriteFinder(source)
    finder.visit(tree)
    return sorted(finder.writes, key=lambda w: w.line)


def read_manage_py(project_dir):
    """The SettingsWrites of the project's manage.py."""
    path = os.path.join(project_dir, "manage.py")
    try:
        with open(path, "rb") as f:
            source = f.read()
        return settings_writes(source, path)
    except SyntaxError as e:
        raise UserError("no_settings", "manage.py has a syntax error: %s" % exception_line(e),
                        "manage.py", e.lineno or 0)
    except OSError as e:
        raise UserError("no_settings", "cannot read manage.py: %s" % e, "manage.py")


def resolve_settings(writes, env_value, command_value=""):
    """(module, source) that migrate will use, source being "command", "environment" or
    "manage.py"; raises UserError("ambiguous_settings") when zdcd cannot tell, and
    UserError("no_settings") when nothing sets it."""
    if command_value:
        # --settings on the migrate command: applied after manage.py ran, over everything.
        return command_value, "command"
    if env_value:
        # setdefault keeps the environment's value; any other write replaces it at run time.
        bad = [w for w in writes if w.overrides() and w.value != env_value]
        if bad:
            raise UserError(
                "ambiguous_settings",
                "manage.py overrides DJANGO_SETTINGS_MODULE=%s at run time (%s): zdcd cannot tell "
                "which one migrate will use; make manage.py set it with os.environ.setdefault, so "
                "that the config var wins, or pass --settings=<module> in ZDCD_MIGRATE_COMMAND"
                % (env_value, ", ".join(w.describe() for w in bad)),
                "manage.py", bad[0].line, env_value)
        return env_value, "environment"
    if not writes:
        raise UserError(
            "no_settings",
            "DJANGO_SETTINGS_MODULE is not set and manage.py does not set it",
            "manage.py")
    values = []
    for w in writes:
        if w.value not in values:
            values.append(w.value)
    if len(values) == 1 and values[0] is not None:
        return values[0], "manage.py"
    fix = "set it as a config var: heroku config:set DJANGO_SETTINGS_MODULE=<module>"
    if any(w.overrides() for w in writes):
        # A config var would not win over an assignment.
        fix = ("set it as a config var (heroku config:set DJANGO_SETTINGS_MODULE=<module>) and in "
               "manage.py with os.environ.setdefault, or pass --settings=<module> in "
               "ZDCD_MIGRATE_COMMAND")
    raise UserError(
        "ambiguous_settings",
        "manage.py chooses DJANGO_SETTINGS_MODULE at run time (%s): zdcd cannot tell which one "
        "migrate will use; %s" % (", ".join(w.describe() for w in writes), fix),
        "manage.py", writes[0].line)


def settings_only(project_dir, command_value):
    """The --settings-only answer."""
    env_value = os.environ.get(SETTINGS_KEY, "")
    writes = [] if command_value else read_manage_py(project_dir)
    module, source = resolve_settings(writes, env_value, command_value)
    return {"settings_module": module, "source": source, "writes": [w.as_json() for w in writes]}


def settings_for(project_dir, env_value, command_value=""):
    """resolve_settings for the project's manage.py (not read when command_value is set)."""
    if command_value:
        return resolve_settings([], env_value, command_value)
    return resolve_settings(read_manage_py(project_dir), env_value, command_value)


# ---------------------------------------------------------------------------------------------
# The plan


class OfflineError(Exception):
    """Raised when rendering needs the database in offline mode (lint)."""


class Planner:
    def __init__(self, project_dir, alias, offline=False, pg_version=0, command_settings=""):
        self.project_dir = project_dir
        self.alias = alias
        self.settings_module = ""
        # The --settings of the migrate command (ZDCD_MIGRATE_COMMAND), which wins over all.
        self.command_settings = command_settings
        self.connection = None
        self.reset_read_only = False
        # Offline (lint): no database at all. Every migration is pending (as on a fresh
        # database), and anything that would need a connection fails that operation only.
        self.offline = offline
        self.pg_version = pg_version

    # -- set-up ------------------------------------------------------------------------------

    def setup(self):
        # The module migrate will use (see Settings above), or a UserError up front.
        module, _ = settings_for(
            self.project_dir, os.environ.get(SETTINGS_KEY, ""), self.command_settings)
        os.environ[SETTINGS_KEY] = module
        self.settings_module = module
        try:
            importlib.import_module(module)
        except KeyboardInterrupt:
            raise
        except BaseException as e:
            file, line = exception_location(e, self.project_dir)
            raise UserError("settings", exception_line(e), file, line, module)

        import django

        try:
            django.setup()
        except (KeyboardInterrupt, UserError):
            raise
        except BaseException as e:
            file, line = exception_location(e, self.project_dir)
            raise UserError("setup", exception_line(e), file, line, module)

    def connect(self):
        from django.conf import settings
        from django.db import connections

        databases = getattr(settings, "DATABASES", {}) or {}
        for conf in databases.values():
            if isinstance(conf, dict):
                scrub.add(conf.get("PASSWORD"))
                options = conf.get("OPTIONS") or {}
                if isinstance(options, dict):
                    scrub.add(options.get("password"))
        if self.alias not in databases:
            raise UserError(
                "database_alias",
                "DATABASES has %s" % (", ".join(sorted(databases)) or "no alias"),
                subject=self.alias)
        try:
            connection = connections[self.alias]
            vendor = connection.vendor
        except Exception as e:  # e.g. the backend's driver (psycopg2) is not installed
            raise UserError("database", exception_line(e), subject=self.alias)
        if vendor != "postgresql":
            raise UserError("not_postgresql", vendor, subject=self.alias)
        if self.offline:
            self.go_offline(connection)
            self.connection = connection
            return connection
        try:
            connection.ensure_connection()
            with connection.cursor() as cursor:
                # The Go side sets PGOPTIONS="-c default_transaction_read_only=on", but an
                # "options" entry in the settings' OPTIONS overrides PGOPTIONS: then set it here,
                # and reset it before closing (a pooler may hand the session to someone else).
                cursor.execute("SHOW default_transaction_read_only")
                if cursor.fetchone()[0] != "on":
                    cursor.execute("SET default_transaction_read_only = on")
                    self.reset_read_only = True
        except Exception as e:
            raise UserError("database", scrub(one_line(e)), subject=self.alias)
        self.connection = connection
        return connection

    def go_offline(self, connection):
        """Make sure nothing reaches a database: every attempt to connect fails (and is
        reported on the operation that needed it), the server version is the one given, and
        the migration recorder sees nothing applied."""
        from django.db.migrations.recorder import MigrationRecorder

        def refuse(*args, **kwargs):
            raise OfflineError(
                "needs the database (Django introspects the live schema here); "
                "run zdcd-release check against a database to render it")

        connection.ensure_connection = refuse
        connection.connect = refuse
        # Feature flags that ask the server its version read this cached property.
        connection.__dict__["pg_version"] = self.pg_version or 150000
        MigrationRecorder.applied_migrations = lambda recorder: {}
        MigrationRecorder.has_table = lambda recorder: False

    def close(self):
        connection = self.connection
        if connection is None:
            return
        try:
            if self.reset_read_only and connection.connection is not None:
                with connection.cursor() as cursor:
                    cursor.execute("RESET default_transaction_read_only")
        except Exception:
            pass
        try:
            connection.close()
        except Exception:
            pass

    def load(self):
        from django.db.migrations import loader as loader_module
        from django.db.migrations.exceptions import (
            BadMigrationError, InconsistentMigrationHistory, NodeNotFoundError)
        from django.db.migrations.executor import MigrationExecutor
        from django.db.utils import DatabaseError

        real_import = loader_module.import_module

        def guarded_import(name, package=None):
            try:
                return real_import(name, package)
            except ModuleNotFoundError as e:
                if e.name and (name == e.name or name.startswith(e.name + ".")):
                    raise  # the module itself is missing: the loader decides (no migrations)
                raise MigrationImportError(name, e)
            except Exception as e:
                raise MigrationImportError(name, e)

        loader_module.import_module = guarded_import
        try:
            executor = MigrationExecutor(self.connection)
        except MigrationImportError as e:
            raise self.migration_import_error(e.module_name, e.exc)
        except BadMigrationError as e:
            raise UserError("migration_import", one_line(e))
        except NodeNotFoundError as e:
            raise UserError("migration_graph", one_line(e))
        except DatabaseError as e:
            raise UserError("database", scrub(one_line(e)), subject=self.alias)
        except (SyntaxError, ImportError) as e:
            # Only if the import_module hook above no longer sees the loader's imports.
            file, line = exception_location(e, self.project_dir)
            kind = "migration_syntax" if isinstance(e, SyntaxError) else "migration_import"
            raise UserError(kind, exception_line(e), file, line)
        finally:
            loader_module.import_module = real_import
        loader = executor.loader
        # The checks `migrate` makes, in its order.
        try:
            loader.check_consistent_history(self.connection)
        except InconsistentMigrationHistory as e:
            raise UserError("inconsistent_history", one_line(e), subject=self.alias)
        conflicts = loader.detect_conflicts()
        if conflicts:
            apps = sorted(conflicts)
            raise UserError(
                "conflict",
                "; ".join("%s: %s" % (app, ", ".join(sorted(conflicts[app]))) for app in apps),
                subject=", ".join(apps))
        self.executor = executor
        self.loader = loader
        return executor

    def migration_import_error(self, module_name, exc):
        path = ""
        try:
            spec = importlib.util.find_spec(module_name)
            if spec is not None and spec.origin and os.path.exists(spec.origin):
                path = spec.origin
        except Exception:
            pass
        if isinstance(exc, SyntaxError) and exc.filename:
            file, line = exception_location(exc, self.project_dir)
            if path and os.path.realpath(exc.filename) == os.path.realpath(path):
                return UserError("migration_syntax", exception_line(exc), file, line, module_name)
            # The syntax error is in a module the migration imports.
            return UserError("migration_import", exception_line(exc), file, line, module_name)
        file, line = exception_location(exc, self.project_dir, prefer_file=path)
        if path and not file:
            file = relpath(path, self.project_dir)
        return UserError("migration_import", exception_line(exc), file, line, module_name)

    # -- the plan ------------------------------------------------------------------------------

    def pending(self):
        """Pending migrations in the order `migrate` (no arguments) applies them."""
        executor, graph = self.executor, self.loader.graph
        targets = graph.leaf_nodes()
        plan = executor.migration_plan(targets)
        backwards = [m for m, back in plan if back]
        if backwards:
            raise RuntimeError("unexpected backwards migrations in the plan: %r" % backwards)
        to_run = {(m.app_label, m.name) for m, _ in plan}
        full_plan = executor.migration_plan(targets, clean_start=True)
        ordered = [m for m, _ in full_plan if (m.app_label, m.name) in to_run]
        if len(ordered) != len(to_run):  # defensive: keep migrate's own order
            ordered = [m for m, _ in plan]
        return ordered

    def initial_state(self):
        executor = self.executor
        create = getattr(executor, "_create_project_state", None)
        if create is not None:
            try:
                return create(with_applied_migrations=True)
            except TypeError:
                pass
        # Fallback: what _create_project_state(with_applied_migrations=True) does.
        from django.db.migrations.state import ProjectState

        loader = self.loader
        state = ProjectState(real_apps=set(loader.unmigrated_apps))
        applied = {loader.graph.nodes[key] for key in loader.applied_migrations
                   if key in loader.graph.nodes}
        for migration, _ in executor.migration_plan(loader.graph.leaf_nodes(), clean_start=True):
            if migration in applied:
                migration.mutate_state(state, preserve=False)
        return state

    def applied(self):
        try:
            keys = list(self.executor.recorder.applied_migrations())
        except Exception:
            keys = list(self.loader.applied_migrations)
        return sorted([list(k) for k in keys])

    def ahead(self):
        """Applied migrations (django_migrations rows) that are not migrations of this code: not
        a node of the loader's graph, and not replaced by a squashed migration on disk (Django
        keeps the replaced migrations' rows). The schema may be ahead of the code (a rollback
        ran older code), or the code moved past them (an app removed from INSTALLED_APPS,
        migrations deleted once squashed): after_code tells the two apart, being true when the
        row was recorded after every applied migration this code knows (by django_migrations'
        id). Rows of apps this project does not install are included (app_installed false)."""
        from django.apps import apps

        try:
            records = self.executor.recorder.applied_migrations()
        except Exception:
            records = self.loader.applied_migrations
        if not records:
            return []
        known = set(self.loader.graph.nodes)
        for migration in self.loader.disk_migrations.values():
            for key in getattr(migration, "replaces", None) or ():
                known.add(tuple(key))
        installed = {config.label for config in apps.get_app_configs()}

        def row_id(key):
            # Django 3.0+ maps each key to its MigrationRecorder.Migration row; anything else
            # (no ids) makes every unknown row count as recorded after the code's.
            return getattr(records[key], "id", None) if isinstance(records, dict) else None

        known_ids = [row_id(k) for k in records if tuple(k) in known]
        known_max = max([i for i in known_ids if i is not None], default=None)
        out = []
        for key in records:
            key = tuple(key)
            if key in known:
                continue
            rid = row_id(key)
            after = rid is None or known_max is None or rid > known_max
            out.append((rid if rid is not None else 0, key, after))
        out.sort(key=lambda t: (t[0], t[1]))
        return [{"app": key[0], "name": key[1], "app_installed": key[0] in installed,
                 "after_code": after} for _, key, after in out]

    def run(self):
        import django

        self.setup()
        connection = self.connect()
        self.load()
        self.encoder = Encoder(connection)
        pending = self.pending()
        migrations = []
        if pending:
            # Replaying the applied migrations' state is the costly part: only when needed.
            state = self.initial_state()
            state.apps  # render once, as migrate does
            for migration in pending:
                migrations.append(self.render_migration(migration, state))
        return {
            "django_version": django.get_version(),
            "python": sys.executable,
            "python_version": platform.python_version(),
            "settings_module": self.settings_module,
            "database_alias": self.alias,
            "vendor": connection.vendor,
            "applied": self.applied(),
            "ahead": self.ahead(),
            "migrations": migrations,
        }

    # -- one migration -----------------------------------------------------------------------

    def resolve(self, key, app_label):
        key = tuple(key)
        if len(key) == 2 and key[1] in ("__first__", "__latest__"):
            try:
                resolved = self.loader.check_key(key, app_label)
                if resolved:
                    return [resolved[0], resolved[1]]
            except Exception:
                pass
        return [str(k) for k in key]

    def render_migration(self, migration, state):
        from django.db.utils import DatabaseError

        app_label = migration.app_label
        module = sys.modules.get(type(migration).__module__)
        path = getattr(module, "__file__", "") or ""
        operations = list(migration.operations)
        class_line, lines = locate(path, len(operations)) if path else (0, None)
        attributes = {}
        for name in dir(type(migration)):
            if name.startswith("zdcd_"):
                try:
                    attributes[name] = self.encoder.value(getattr(type(migration), name))
                except Exception:
                    attributes[name] = repr(getattr(type(migration), name, None))
        record = {
            "app": app_label,
            "name": migration.name,
            "file": relpath(path, self.project_dir),
            "class_line": class_line,
            "atomic": bool(migration.atomic),
            "initial": bool(getattr(migration, "initial", False)),
            "replaces": [list(k) for k in (migration.replaces or [])],
            "dependencies": [self.resolve(k, app_label) for k in migration.dependencies],
            "run_before": [list(k) for k in (getattr(migration, "run_before", None) or [])],
            "operations": [],
        }
        if attributes:
            record["attributes"] = attributes
        try:
            # Offline, never open the migration's transaction: it would connect.
            with self.connection.schema_editor(
                    collect_sql=True,
                    atomic=migration.atomic and not self.offline) as editor:
                collector = Collector(self, editor)
                for index, operation in enumerate(operations):
                    node = lines[index] if lines else None
                    record["operations"].append(
                        self.render_operation(app_label, operation, index, node, state,
                                              collector))
                remaining = list(editor.deferred_sql)
                before_exit = len(editor.collected_sql)
            collector.attribute_deferred(remaining, editor.collected_sql[before_exit:],
                                         record["operations"])
        except DatabaseError as e:
            raise UserError("database", scrub(one_line(e)), subject=self.alias)
        return record

    # -- one operation -----------------------------------------------------------------------

    def base_record(self, operation, index, node):
        enc = self.encoder
        try:
            describe = operation.describe()
        except Exception:
            describe = repr(operation)
        rec = {
            "index": index,
            "class": type(operation).__name__,
            "module": type(operation).__module__,
            "describe": str(describe),
            "line": node.line if node is not None else 0,
            "args": {},
            "reduces_to_sql": bool(getattr(operation, "reduces_to_sql", True)),
            "reversible": bool(getattr(operation, "reversible", True)),
            "sql": [],
        }
        if getattr(operation, "elidable", False):
            rec["elidable"] = True
        try:
            _, args, kwargs = operation.deconstruct()
        except Exception:
            args, kwargs = (), {}
        rec["_kwargs"] = kwargs
        if args:
            rec["args"]["_positional"] = enc.value(list(args))
        return rec

    def render_operation(self, app_label, operation, index, node, state, collector):
        """Advance state by operation, as Migration.apply does, collecting its SQL."""
        rec = self.base_record(operation, index, node)
        old_state = state.clone()
        try:
            operation.state_forwards(app_label, state)
        except Exception as e:
            rec["sql_error"] = "state_forwards failed: %s" % exception_line(e)
            self.finish(rec, operation, app_label, old_state, state, node)
            return rec
        if rec["reduces_to_sql"]:
            self.database_forwards(app_label, operation, rec, [rec], old_state, state, node,
                                   collector)
        self.finish(rec, operation, app_label, old_state, state, node)
        return rec

    def database_forwards(self, app_label, operation, rec, owners, from_state, to_state, node,
                          collector):
        from django.db.migrations.operations.special import SeparateDatabaseAndState

        if isinstance(operation, SeparateDatabaseAndState):
            # Its own loop (SeparateDatabaseAndState.database_forwards), one record per database
            # operation so each gets its own SQL; the parent's SQL is the concatenation.
            db_ops = list(operation.database_operations)
            nodes = node.nested("database_operations", 0, len(db_ops)) if node else None
            records = []
            for j, db_op in enumerate(db_ops):
                sub_node = nodes[j] if nodes else None
                sub = self.base_record(db_op, j, sub_node)
                sub_to = from_state.clone()
                try:
                    db_op.state_forwards(app_label, sub_to)
                except Exception as e:
                    sub["sql_error"] = "state_forwards failed: %s" % exception_line(e)
                else:
                    if sub["reduces_to_sql"]:
                        self.database_forwards(app_label, db_op, sub, [sub] + owners, from_state,
                                               sub_to, sub_node, collector)
                self.finish(sub, db_op, app_label, from_state, sub_to, sub_node)
                if sub.get("sql_error") and not rec.get("sql_error"):
                    rec["sql_error"] = "database operation %d (%s): %s" % (
                        j, sub["class"], sub["sql_error"])
                records.append(sub)
                from_state = sub_to
            rec["database_operations"] = records
            return
        error = collector.run(owners, lambda: operation.database_forwards(
            app_label, collector.editor, from_state, to_state))
        if error:
            rec["sql_error"] = error

    def state_operations(self, app_label, ops, from_state, nodes):
        records = []
        for j, op in enumerate(ops):
            node = nodes[j] if nodes else None
            sub = self.base_record(op, j, node)
            to_state = from_state.clone()
            try:
                op.state_forwards(app_label, to_state)
            except Exception as e:
                sub["sql_error"] = "state_forwards failed: %s" % exception_line(e)
            self.finish(sub, op, app_label, from_state, to_state, node)
            records.append(sub)
            from_state = to_state
        return records

    def finish(self, rec, operation, app_label, from_state, to_state, node):
        """Fill in args, model, fields and the RunSQL/RunPython/SeparateDatabaseAndState parts."""
        from django.db.migrations.operations.special import (
            RunPython, RunSQL, SeparateDatabaseAndState)

        enc = self.encoder
        model = self.model_info(operation, app_label, from_state, to_state)
        if model is not None:
            rec["model"] = model
        old_field, new_field = self.fields(operation, app_label, from_state, to_state)
        if old_field is not None:
            rec["old_field"] = enc.field(old_field)
        if new_field is not None:
            rec["new_field"] = enc.field(new_field)
        kwargs = rec.pop("_kwargs", {}) or {}
        args = rec["args"]
        for key, value in kwargs.items():
            try:
                args[key] = self.encode_arg(key, value, app_label, operation, new_field,
                                            to_state)
            except Exception:
                args[key] = repr(value)
        if isinstance(operation, RunPython):
            rec["python"] = self.python_code(operation.code)
            if operation.reverse_code is not None:
                rec["python"]["reverse"] = self.python_code(operation.reverse_code)
        if isinstance(operation, RunSQL):
            run_sql = {
                "sql": self.run_sql_text(operation.sql),
                "has_reverse": operation.reverse_sql is not None,
            }
            ops = list(operation.state_operations or [])
            if ops:
                nodes = node.nested("state_operations", 2, len(ops)) if node else None
                run_sql["state_operations"] = self.state_operations(app_label, ops, from_state,
                                                                    nodes)
            rec["run_sql"] = run_sql
        if isinstance(operation, SeparateDatabaseAndState):
            ops = list(operation.state_operations)
            nodes = node.nested("state_operations", 1, len(ops)) if node else None
            rec["state_operations"] = self.state_operations(app_label, ops, from_state, nodes)
            rec.setdefault("database_operations", [])

    def encode_arg(self, key, value, app_label, operation, new_field, to_state):
        enc = self.encoder
        if key == "field" and isinstance(value, enc.Field):
            if new_field is not None:
                return enc.field(new_field)
            return enc.field(value, getattr(operation, "name", None))
        if key == "fields" and isinstance(value, (list, tuple)):
            model = self.get_model(to_state, app_label, getattr(operation, "name", None))
            out = []
            for item in value:
                if isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(
                        item[1], enc.Field):
                    name, field = item
                    bound = None
                    if model is not None:
                        try:
                            bound = model._meta.get_field(name)
                        except Exception:
                            bound = None
                    out.append(enc.field(bound if bound is not None else field, name))
                else:
                    out.append(enc.value(item))
            return out
        return enc.value(value)

    # -- model and fields ----------------------------------------------------------------------

    @staticmethod
    def get_model(state, app_label, name):
        if not name:
            return None
        if (app_label, name.lower()) not in state.models:
            return None
        try:
            return state.apps.get_model(app_label, name)
        except (LookupError, ValueError):
            return None

    def model_names(self, operation):
        """(name before, name after) of the model an operation works on, or None."""
        from django.db.migrations.operations import RenameModel
        from django.db.migrations.operations.models import ModelOperation

        if isinstance(operation, RenameModel):
            return operation.old_name, operation.new_name
        model_name = getattr(operation, "model_name", None)
        if isinstance(model_name, str):
            return model_name, model_name
        if isinstance(operation, ModelOperation) and isinstance(
                getattr(operation, "name", None), str):
            return operation.name, operation.name
        return None

    def model_info(self, operation, app_label, from_state, to_state):
        names = self.model_names(operation)
        if names is None:
            return None
        before = self.get_model(from_state, app_label, names[0])
        after = self.get_model(to_state, app_label, names[1])
        present = after if after is not None else before
        if present is not None:
            name = present._meta.object_name
        else:
            model_state = to_state.models.get((app_label, names[1].lower())) or \
                from_state.models.get((app_label, names[0].lower()))
            name = model_state.name if model_state is not None else names[1]
        info = {"app": app_label, "name": name,
                "managed": bool(present._meta.managed) if present is not None else True}
        if present is not None and present._meta.proxy:
            info["proxy"] = True
        if before is not None:
            info["table_before"] = before._meta.db_table
        if after is not None:
            info["table_after"] = after._meta.db_table
        return info

    def fields(self, operation, app_label, from_state, to_state):
        from django.db.migrations.operations import RenameField
        from django.db.migrations.operations.fields import FieldOperation

        if not isinstance(operation, FieldOperation):
            return None, None
        if isinstance(operation, RenameField):
            old_name, new_name = operation.old_name, operation.new_name
        else:
            old_name = new_name = operation.name

        def get(state, name):
            model = self.get_model(state, app_label, operation.model_name)
            if model is None:
                return None
            try:
                return model._meta.get_field(name)
            except Exception:
                return None

        return get(from_state, old_name), get(to_state, new_name)

    # -- RunPython and RunSQL ------------------------------------------------------------------

    def python_code(self, code):
        from django.db.migrations.operations.special import RunPython

        out = {"function": qualname(code)}
        if code is RunPython.noop or getattr(code, "__func__", None) is RunPython.noop:
            return out
        target = code
        while isinstance(target, functools.partial):
            target = target.func
        target = getattr(target, "__func__", target)
        try:
            source = inspect.getsourcefile(target) or inspect.getfile(target)
        except TypeError:
            source = None
            try:
                source = inspect.getsourcefile(type(target))
            except TypeError:
                pass
        if source:
            out["file"] = relpath(source, self.project_dir)
        code_obj = getattr(target, "__code__", None)
        # The function's source text, hashed: an approval of the plan (its digest) must not
        # survive an edit of the function's body under the same name.
        try:
            text = inspect.getsource(target if code_obj is not None else type(target))
            out["source_sha256"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
        except (OSError, TypeError):
            pass
        if code_obj is not None:
            out["line"] = code_obj.co_firstlineno
        else:
            try:
                out["line"] = inspect.getsourcelines(type(target))[1]
            except (OSError, TypeError):
                pass
        return out

    def run_sql_text(self, sqls):
        """RunSQL.sql as written: the string, or the list's elements with params rendered."""
        from django.db.migrations.operations.special import RunSQL

        if isinstance(sqls, (list, tuple)):
            out = []
            for item in sqls:
                if isinstance(item, (list, tuple)) and len(item) == 2:
                    sql, params = item
                    if params is None:
                        out.append(str(sql))
                        continue
                    try:
                        out.append(str(sql) % tuple(map(self.quote_value, params)))
                    except Exception:
                        out.append(str(sql))
                else:
                    out.append(str(item))
            return out
        if sqls == RunSQL.noop or sqls is None:
            return []
        return [str(sqls)]

    def quote_value(self, value):
        return self.connection.schema_editor(collect_sql=True, atomic=False).quote_value(value)


class Collector:
    """Attributes the schema editor's collected and deferred SQL to operations."""

    def __init__(self, planner, editor):
        self.planner = planner
        self.editor = editor
        self.owners = {}  # id(deferred item) -> (item, [records]); holding item keeps id unique

    def run(self, owners, forwards):
        """Run forwards(); append the SQL it collected to every owner; return an error or ""."""
        from django.db import transaction

        editor = self.editor
        connection = self.planner.connection
        start = len(editor.collected_sql)
        error = ""
        try:
            if connection.in_atomic_block:
                # A savepoint, so that a failed introspection query cannot poison the
                # migration's transaction for the operations that follow.
                with transaction.atomic(using=connection.alias):
                    forwards()
            else:
                forwards()
        except Exception as e:
            error = exception_line(e)
        for sql in editor.collected_sql[start:]:
            for rec in owners:
                rec["sql"].append({"sql": sql})
        for item in editor.deferred_sql:
            if id(item) not in self.owners:
                self.owners[id(item)] = (item, owners)
        return error

    def attribute_deferred(self, remaining, statements, operations):
        """The schema editor ran the remaining deferred items at exit, one statement each."""
        fallback = [operations[-1]] if operations else []
        if len(statements) != len(remaining):
            for sql in statements:
                for rec in fallback:
                    rec["sql"].append({"sql": sql, "deferred": True})
            return
        for item, sql in zip(remaining, statements):
            owner = self.owners.get(id(item))
            for rec in (owner[1] if owner else fallback):
                rec["sql"].append({"sql": sql, "deferred": True})


# ---------------------------------------------------------------------------------------------


def clean_stdout():
    """Keep fd 1 for the result; send everything else written to stdout to stderr."""
    sys.stdout.flush()
    result_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(result_fd, "w", encoding="utf-8")


def main(argv):
    parser = argparse.ArgumentParser(prog="zdcd-helper")
    parser.add_argument("--project-dir", default=".")
    parser.add_argument("--alias", default="default")
    parser.add_argument("--offline", action="store_true")
    parser.add_argument("--pg-version", type=int, default=0)
    parser.add_argument("--command-settings", default="")
    # --settings-only: resolve the settings module from manage.py and the environment, print
    # {"settings_module", "source", "writes"} and stop (no django.setup(), no database).
    parser.add_argument("--settings-only", action="store_true")
    args = parser.parse_args(argv)

    result = clean_stdout()
    project_dir = os.path.abspath(args.project_dir)
    os.chdir(project_dir)
    # As for `python manage.py`: the project directory is sys.path[0].
    if sys.path and sys.path[0] in ("", "."):
        sys.path[0] = project_dir
    else:
        sys.path.insert(0, project_dir)

    code = EXIT_OK
    planner = Planner(project_dir, args.alias or "default", args.offline, args.pg_version,
                      args.command_settings)
    try:
        if args.settings_only:
            out = settings_only(project_dir, args.command_settings)
        else:
            out = planner.run()
    except UserError as e:
        out, code = e.as_json(), EXIT_USER_ERROR
    except KeyboardInterrupt:
        raise
    except BaseException:
        traceback.print_exc()
        out, code = None, EXIT_INTERNAL
    if out is not None:
        try:
            text = json.dumps(out, ensure_ascii=True, allow_nan=False, sort_keys=False)
        except Exception:
            traceback.print_exc()
            text, code = None, EXIT_INTERNAL
        if text is not None:
            result.write(text)
            result.write("\n")
    result.flush()
    planner.close()
    try:
        sys.stderr.flush()
    except Exception:
        pass
    # Do not wait for threads user code may have started.
    os._exit(code)


if __name__ == "__main__":
    main(sys.argv[1:])
