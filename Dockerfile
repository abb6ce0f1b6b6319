# syntax=docker/dockerfile:1
#
# wsbridge images. The last stage, `runtime`, is the default target: the daemon (`wsbridge run`).
# The `devstack` target is the one-shot bootstrap and sample sender of docker-compose.yml (the
# runtime environment plus boto3), and `sandbox` is its WS sandbox (`wsbridge-sandbox`, a
# distribution of its own that the runtime image does not carry).
#
#   docker build -t wsbridge .
#   docker build --target devstack -t wsbridge-devstack .
#   docker build --target sandbox -t wsbridge-sandbox .
#
# All run as an unprivileged user, write nothing outside /tmp (fit for a read-only root
# filesystem) and carry neither pip nor a compiler. Both base images are the same pinned tag.

# build: a virtual environment without pip, filled by the base image's pip from the runtime lock
# (wheels only: every locked package ships one; every pin carries its hashes, so pip checks them),
# then the project itself without dependencies.
FROM python:3.11.14-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
RUN python -m venv --without-pip /opt/wsbridge
COPY requirements.lock ./
RUN python -m pip --python /opt/wsbridge/bin/python install --no-cache-dir --only-binary=:all: -r requirements.lock
COPY pyproject.toml README.md ./
COPY wsbridge/ wsbridge/
COPY consumer/ consumer/
COPY handlers/ handlers/
RUN python -m pip --python /opt/wsbridge/bin/python install --no-cache-dir --no-deps . \
    && python -m pip --python /opt/wsbridge/bin/python check

# sandbox-build: the runtime set plus the WS sandbox distribution.
FROM build AS sandbox-build
COPY sandbox/ sandbox/
RUN python -m pip --python /opt/wsbridge/bin/python install --no-cache-dir --no-deps ./sandbox \
    && python -m pip --python /opt/wsbridge/bin/python check

# devstack-build: boto3 (and s3transfer), at the versions of the dev lock, on top of the runtime set.
FROM build AS devstack-build
COPY requirements-dev.lock ./
RUN awk '/^(boto3|s3transfer)==/ { keep = 1 } keep { print } !/\\$/ { keep = 0 }' requirements-dev.lock \
        > devstack-requirements.txt \
    && python -m pip --python /opt/wsbridge/bin/python install --no-cache-dir --no-deps -r devstack-requirements.txt \
    && python -m pip --python /opt/wsbridge/bin/python check

# base: the Python image without its packaging tools, plus the unprivileged user.
FROM python:3.11.14-slim-bookworm AS base
RUN python -m pip uninstall --yes --no-cache-dir pip setuptools wheel \
    && groupadd --system --gid 10001 wsbridge \
    && useradd --system --uid 10001 --gid wsbridge --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin wsbridge
ENV PATH=/opt/wsbridge/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# devstack: `python -m devstack.bootstrap` and `python -m devstack send` against the compose services.
# The sources live in /app because devstack finds config/, the sandbox seed and the sample events
# beside its own package; /app/.stack is where the bootstrap leaves what the sample sender reads.
FROM base AS devstack
COPY --from=devstack-build /opt/wsbridge /opt/wsbridge
WORKDIR /app
COPY devstack/ devstack/
COPY config/ config/
COPY sandbox/wsbridge_sandbox/seed/ sandbox/wsbridge_sandbox/seed/
COPY tests/fixtures/events/ tests/fixtures/events/
RUN mkdir .stack && chown 10001:10001 .stack
USER 10001:10001
HEALTHCHECK NONE
CMD ["python", "-m", "devstack", "--help"]

# sandbox: the WS sandbox of docker-compose.yml.
FROM base AS sandbox
COPY --from=sandbox-build /opt/wsbridge /opt/wsbridge
USER 10001:10001
EXPOSE 4580
HEALTHCHECK NONE
ENTRYPOINT ["wsbridge-sandbox"]
CMD ["--host", "0.0.0.0", "--port", "4580"]

# runtime: the daemon.
FROM base AS runtime
COPY --from=build /opt/wsbridge /opt/wsbridge
ENV WSBRIDGE_METRICS_PORT=9102 \
    WSBRIDGE_LOG_FORMAT=json
USER 10001:10001
EXPOSE 9102
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('WSBRIDGE_METRICS_PORT', '9102'), timeout=4).close()"]
ENTRYPOINT ["wsbridge"]
CMD ["run"]
