# syntax=docker/dockerfile:1
#
# tugboat production image.
#   docker build -t tugboat .
#   docker run -p 3000:3000 -v $PWD/tugboat.yml:/app/tugboat.yml:ro \
#     -e SLACK_BOT_TOKEN -e SLACK_SIGNING_SECRET -e GITHUB_TOKEN -e GITHUB_WEBHOOK_SECRET \
#     -e DATABASE_URL tugboat
# Without DATABASE_URL the app uses embedded PGlite in /app/.tugboat (mount a
# volume there to keep state across restarts).
#
# test/production.test.ts takes the same path: npm run build, then dist/ and
# package*.json alone with production dependencies, started as CMD starts it.

# ---- build: compile TypeScript to dist/ -------------------------------------
FROM node:22-bookworm-slim AS build
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci

COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY commands ./commands
COPY migrations ./migrations
COPY examples ./examples
# tsc into dist/ (dist/src/main.js, dist/commands/…), then the files the code reads at run time
# (dist/migrations, the sandbox's page and examples): scripts/copy-runtime-files.mjs.
RUN npm run build

# ---- runtime: production dependencies + compiled output, non-root ----------
FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

COPY --from=build /app/dist ./dist

# PGlite data folder (TUGBOAT_DATA_DIR default ./.tugboat) must be writable by the app user.
RUN mkdir -p /app/.tugboat && chown node:node /app/.tugboat

USER node
ENV PORT=3000
EXPOSE 3000

# Slim images have no curl: probe /healthz with Node's global fetch.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"

CMD ["node", "dist/src/main.js"]
