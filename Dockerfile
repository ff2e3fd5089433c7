# Production image for every app service in docker-compose.yml (web, worker, beat, trapd).
FROM python:3.11-slim

# PYTHONPATH: run the code in /app, where settings find templates/ and static/ next to
# manage.py, rather than the copy that `pip install .` puts in site-packages.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    UNMS_DATA_DIR=/var/lib/unms \
    UNMS_STATIC_ROOT=/app/staticfiles \
    UNMS_STATIC_MANIFEST=1

WORKDIR /app

# Dependencies first, in their own layer: rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
RUN pip install --no-deps . \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin unms \
    && mkdir -p "$UNMS_DATA_DIR" \
    && chown unms:unms "$UNMS_DATA_DIR" \
    && DJANGO_SECRET_KEY=collectstatic-at-build python manage.py collectstatic --noinput

USER unms
EXPOSE 8000 162/udp
CMD ["uvicorn", "unms.asgi:application", "--host", "0.0.0.0", "--port", "8000"]
