# One image for the web server, the Celery worker and Celery beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY klantbinding ./klantbinding
COPY scoring ./scoring
COPY surveys ./surveys
RUN pip install .
COPY . .

# Static files and translations are built into the image; the secret is only for this step.
RUN DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput -v0 \
    && python manage.py compilemessages --ignore=.venv --ignore=var -v0

RUN useradd --create-home klantbinding && mkdir -p var && chown -R klantbinding var
USER klantbinding
EXPOSE 8000
CMD ["gunicorn", "klantbinding.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
