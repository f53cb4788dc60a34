# okta-elt as a container image: the CLI compiled to JavaScript (dist/, see bin/compiled.js), on Node 24.
#   docker build -t okta-elt .
#   docker run --rm -e OKTA_ORG_URL -e OKTA_API_TOKEN -e OKTA_ELT_DESTINATION okta-elt run
# The entrypoint is the CLI: arguments are an okta-elt command (`run`, `status`, `--help`, …).

FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Runtime dependencies exactly as locked, optional ones included: DuckDB's prebuilt binary is an
# optional per-platform package. --ignore-scripts leaves out the bundled Node 24 all the same (the
# `node` package fetches its 120 MB binary in an install script; this image is Node 24 already), and
# no other runtime dependency needs a script (better-sqlite3 loads its prebuilt binary), whatever
# npm version the base image ships: the slim image has no compiler for a node-gyp rebuild.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# The compiled CLI (what `npm run build` does: src/ and migrations/ to dist/), with the dev
# dependencies (TypeScript) this stage alone needs. The image's own node runs it: with
# --ignore-scripts the bundled Node's binary is absent (and not wanted).
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY migrations ./migrations
RUN node bin/build.js

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY migrations ./migrations
# dist/ is dated when the build stage ran, after every source's own date (COPY keeps the build
# context's), so the launcher finds it current and runs it.
COPY --from=build /app/dist ./dist
# The image's unprivileged `node` user (uid 1000). /data is its working directory: relative
# `sqlite:` paths and the default ./pipeline.config.json resolve there.
RUN mkdir /data && chown node:node /data
USER node
WORKDIR /data
ENTRYPOINT ["node", "/app/bin/okta-elt.js"]
CMD ["--help"]
