# syntax=docker/dockerfile:1
# The rotator daemon's image: built with dev dependencies, run with production ones only.
# Node 24 LTS, as package.json's engines says (the current Azure packages need Node 22 or later).
# Pin a digest in your registry mirror
# with --build-arg NODE_IMAGE=node:24-bookworm-slim@sha256:...
ARG NODE_IMAGE=node:24-bookworm-slim

# 1. build: compile TypeScript with the full dependency tree.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# 1b. demo-tools (the compose stack's test OpenID issuer and access walkthrough, never shipped): the
#     build stage plus tools/ compiled into /src/build. Compose builds it with target: demo-tools.
FROM build AS demo-tools
COPY tools ./tools
RUN npm run build:tools

# 2. production-deps: the runtime dependency tree alone, from the same lock file.
FROM ${NODE_IMAGE} AS production-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# 3. runtime: slim Node, tini as PID 1, a non-root numeric user, writes only to /tmp and the
#    telemetry outbox.
FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /data /var/lib/rotator/telemetry \
    && chown 1000:1000 /data /var/lib/rotator/telemetry
# V8 sizes the young generation for the machine (up to 128 MB on a large node) though the daemon's
# live heap stays near 30 MB; a 1 MB semi-space keeps its resident memory near the live set and has
# no failure mode (BENCHMARKS.md, "Sweep at scale", measures the daemon with and without it).
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=1 \
    TMPDIR=/tmp \
    ROTATOR_HEALTH_PORT=8080 \
    ROTATOR_TELEMETRY_STORAGE_DIR=/var/lib/rotator/telemetry
WORKDIR /app
# Code and dependencies stay root-owned and read-only to the runtime user.
COPY --from=production-deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json README.md ./
COPY bin ./bin
RUN chmod 0755 /app/bin/rotator.js && ln -s /app/bin/rotator.js /usr/local/bin/rotator
# uid 1000 is the image's `node` user; numeric so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080
# Mount a writable emptyDir/tmpfs at /tmp when the root filesystem is read-only. /data is only used
# by `rotator emulator --data /data/vault.json` in the local stack. /var/lib/rotator/telemetry holds
# the telemetry Azure Monitor has not accepted yet (an ingestion outage): mount a volume that outlives
# the container there, so audit records survive a restart too.
VOLUME ["/tmp", "/var/lib/rotator/telemetry"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.ROTATOR_HEALTH_PORT || '8080') + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "rotator"]
CMD ["daemon"]
