# One image for the web server, the Celery worker and Celery beat (docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# The whole source tree, as .dockerignore leaves it: every app package comes along without
# being named here, so a new app needs no change to this file.
COPY . .
RUN pip install .

# Static files hashed and compressed (gzip and Brotli: the settings' default storage) and the
# translations compiled, at build time. KB_DEVELOPMENT only lets these two commands run without
# the production secret, which the image never holds.
RUN export KB_DEVELOPMENT=1 \
    && python manage.py collectstatic --noinput -v0 \
    && python manage.py compilemessages --ignore=.venv --ignore=var -v0 \
    && test -f var/staticfiles/staticfiles.json

RUN useradd --create-home klantbinding && mkdir -p var/uploads && chown -R klantbinding var
USER klantbinding
EXPOSE 8000
# docker-compose.yml runs migrations first; this is the web server on its own.
CMD ["gunicorn", "klantbinding.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
