# Watchbot: slim Python, non-root user, data volume, health check.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    WATCHBOT_CONFIG=/app/config/watchbot.toml \
    WATCHBOT_HTTP_HOST=0.0.0.0 \
    WATCHBOT_HTTP_PORT=8080

WORKDIR /app
RUN groupadd --system --gid 10001 watchbot && useradd --system --uid 10001 --gid watchbot --home-dir /app watchbot

# Same install as `make`: the project's own pyproject.toml, editable, no extras.
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install -e . && mkdir -p /app/data && chown watchbot:watchbot /app/data
COPY config ./config
COPY seeds ./seeds

USER 10001:10001
VOLUME ["/app/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"]
ENTRYPOINT ["watchbot"]
CMD ["run"]
