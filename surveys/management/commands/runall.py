"""`make run`: the web server, a Celery worker and beat in one command (honcho + Procfile).

When no Redis answers at the broker URL, the worker and beat use kombu's filesystem transport
under var/ instead, so the surveys still go out on a machine without Redis.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

FILESYSTEM_BROKER = "filesystem://"


def redis_answers(url: str, timeout: float = 1.0) -> bool:
    """Whether a Redis server answers PING at ``url`` within ``timeout`` seconds."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        return bool(client.ping())
    except (redis.RedisError, OSError, ValueError):
        return False


def without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username or ''}:***@{parts.hostname}"
        if parts.port:
            netloc += f":{parts.port}"
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)


def choose_broker(url: str) -> tuple[str, str]:
    """The broker URL to run with, and a line that says which it is."""
    if url.startswith(FILESYSTEM_BROKER):
        return url, "Celery broker: kombu's filesystem transport under var/celery-broker/."
    if url.startswith(("redis://", "rediss://")) and not redis_answers(url):
        return FILESYSTEM_BROKER, (
            f"No Redis answers at {without_password(url)}: the worker and beat use kombu's "
            "filesystem broker under var/celery-broker/ instead (fine for development; start "
            "Redis to use it)."
        )
    return url, f"Celery broker: {without_password(url)}"


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and Celery beat together (honcho + Procfile)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="web server port")
        parser.add_argument(
            "--dry-run", action="store_true", help="say what would run, start nothing"
        )

    def handle(self, *args: object, port: int, dry_run: bool, **options: object) -> None:
        base = Path(settings.BASE_DIR)
        procfile = base / "Procfile"
        if not procfile.exists():
            raise CommandError(f"There is no Procfile at {procfile}.")
        broker, line = choose_broker(settings.CELERY_BROKER_URL)
        style = self.style.WARNING if broker == FILESYSTEM_BROKER else self.style.SUCCESS
        self.stdout.write(style(line))
        bin_dir = Path(sys.executable).parent
        honcho = shutil.which("honcho", path=str(bin_dir)) or shutil.which("honcho")
        if honcho is None:
            raise CommandError("honcho is not installed: run `make install`.")
        env = {
            **os.environ,
            "CELERY_BROKER_URL": broker,
            "KB_PORT": str(port),
            # The Procfile's `python` and `celery` are the virtualenv's.
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",
        }
        self.stdout.write(
            f"Web server on http://127.0.0.1:{port}, with a Celery worker and beat "
            "(Ctrl+C stops all three)."
        )
        if dry_run:
            return
        sys.stdout.flush()
        os.execvpe(honcho, [honcho, "start", "-f", str(procfile), "-d", str(base)], env)
