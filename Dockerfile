# Parley in one container: the embedded storage (one SQLite file plus secret.key) on the /data
# volume, no other server needed. README "One container" shows how to build and run it;
# docker-compose.yml uses the same image for the scale-out setup.

# ---- build: compile TypeScript with the dev dependencies -------------------------------------
FROM node:24-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 is native: npm downloads a prebuilt binary when one exists for this Node and
# platform, and compiles it with these tools when none does.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies and the compiled code only ------------------------------
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PARLEY_DATA_DIR=/data \
    PORT=3000 \
    SMTP_PORT=2525
WORKDIR /app
COPY package.json package-lock.json ./
# The compilers are needed only while better-sqlite3 installs; removed in the same layer.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && npm ci --omit=dev \
 && npm cache clean --force \
 && apt-get purge -y --auto-remove python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /app/dist ./dist
# The image's own user (uid 1000), not root. A named volume starts out owned by it; a host folder
# mounted on /data must be writable by uid 1000.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000 2525
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Memory under sustained ingest (bench/README.md, issue 17): a 16 MB young generation keeps short-lived
# request garbage out of old space, old space is collected once it grows 25 % past what survived the
# last full collection, and glibc keeps two malloc arenas instead of one per thread. Together: peak RSS
# at 128 connections 456 -> 244-259 MB at the same CPU per message.
ENV MALLOC_ARENA_MAX=2
CMD ["node", "--max-semi-space-size=8", "--heap-growing-percent=25", "dist/main.js"]
