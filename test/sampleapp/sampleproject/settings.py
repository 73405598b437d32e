"""Settings of zdcd's sample project.

The database comes from DATABASE_URL, as on Heroku. dj-database-url is not a dependency: the URL is
parsed with urllib.parse (postgres:// and postgresql://, sslmode and other libpq parameters in the
query string).
"""
import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("SECRET_KEY", "sample-project-insecure-secret-key")
DEBUG = os.environ.get("DEBUG", "") == "1"
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.postgres",
    "accounts",
    "shop",
    "blog",
]

MIDDLEWARE = []
ROOT_URLCONF = "sampleproject.urls"


def database_from_url(url):
    """Return a Django DATABASES entry for a postgres:// or postgresql:// URL."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if "%" in host:
        # A percent-encoded Unix-socket directory as host (postgres://%2Fvar%2Frun%2Fpostgresql/db),
        # read as dj-database-url reads it: from the netloc, case kept, decoded.
        host = unquote(parts.netloc.rsplit("@", 1)[-1].rsplit(":", 1)[0])
    if parts.scheme not in ("postgres", "postgresql"):
        raise ImproperlyConfigured(
            "DATABASE_URL must start with postgres:// or postgresql://, not %s://" % parts.scheme
        )
    config = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": str(parts.port or ""),
        "OPTIONS": {},
    }
    for key, value in parse_qsl(parts.query):
        config["OPTIONS"][key] = value
    return config


if not os.environ.get("DATABASE_URL"):
    raise ImproperlyConfigured(
        "DATABASE_URL is not set: set it to postgres://user:password@host:port/dbname"
    )
DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"])}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
