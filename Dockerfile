# mwgbot: the Open edX Marketing Working Group's Slack bot.
#   docker build -t mwgbot .
#   docker run --env-file .env -v mwgbot-data:/data mwgbot                 # Socket Mode
#   docker run --env-file .env -v mwgbot-data:/data -p 3000:3000 mwgbot \
#       mwgbot serve --host 0.0.0.0 --port 3000                             # HTTP
# .ci/run repeats these install steps (same files, same pip command) on every change,
# since Docker cannot run in CI.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin mwgbot \
    && mkdir -p /data \
    && chown mwgbot:mwgbot /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY mwgbot/ ./mwgbot/
COPY migrations/ ./migrations/
RUN pip install --no-cache-dir '.[postgres]'

# SQLite by default, on the volume; set DATABASE_URL=postgresql://… for PostgreSQL.
ENV DATABASE_URL=sqlite:////data/mwgbot.db
VOLUME /data

USER mwgbot
WORKDIR /data

# Only `mwgbot serve` listens; `mwgbot run` (Socket Mode, the default) needs no port.
EXPOSE 3000

# Applies to `mwgbot serve` on port 3000 only: under the default `mwgbot run` there is no
# HTTP server, so override or disable it there (docker run --no-healthcheck).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4).status == 200 else 1)"]

# Logs go to stderr: `docker logs`.
CMD ["mwgbot", "run"]
