# syntax=docker/dockerfile:1
# seedance-flow worker / simulator image.
#   docker build -t seedance-flow .
#   docker run --rm seedance-flow                       # worker (default command)
#   docker run --rm seedance-flow node bin/seedance-flow.js simulator
#
# node:20-slim is glibc-based, which the prebuilt Temporal core-bridge binary
# (a native addon shipped in @temporalio/core-bridge) needs; alpine/musl would not load it.
ARG NODE_IMAGE=node:20-slim

# ---- build: full dependency tree, compile TypeScript, then drop dev deps ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first so the npm ci layer is cached until dependencies change (and the
# `prepare` script npm ci runs, which builds nothing here: see scripts/prepare.js).
COPY package.json package-lock.json ./
COPY scripts/prepare.js scripts/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# ---- runtime ----
FROM ${NODE_IMAGE}
# SEEDANCE_USE_DIST: bin/seedance-flow.js runs the compiled dist/ (tsx, a dev
# dependency, is pruned anyway; this just makes the choice explicit).
ENV NODE_ENV=production SEEDANCE_USE_DIST=1
WORKDIR /app
# Files stay root-owned and read-only for the app user: the worker writes
# renders to object storage (STORAGE_URL), never to its own filesystem.
COPY --from=build /app /app
# The "node" user (uid 1000) ships with the official node images.
USER node
CMD ["node", "bin/seedance-flow.js", "worker"]
