# The gateway (and the bundled simulator) as a container image.

# GraphiQL's browser bundles (pinned in gateway/graphiql), so GraphiQL works offline.
FROM node:20-slim AS graphiql
WORKDIR /graphiql
COPY gateway/graphiql/package.json gateway/graphiql/package-lock.json gateway/graphiql/vendor.mjs ./
RUN npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && node vendor.mjs /assets

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY gateway ./gateway
COPY --from=graphiql /assets ./gateway/static/graphiql
COPY schema ./schema
RUN pip install -c constraints.txt . \
    && useradd --system --uid 10001 --no-create-home gateway

USER gateway
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
ENTRYPOINT ["pieces-gateway"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
