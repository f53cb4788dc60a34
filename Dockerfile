# okta-elt as a container image. No build step: Node 24 runs the TypeScript sources directly.
#   docker build -t okta-elt .
#   docker run --rm -e OKTA_ORG_URL -e OKTA_API_TOKEN -e OKTA_ELT_DESTINATION okta-elt run
# The entrypoint is the CLI: arguments are an okta-elt command (`run`, `status`, `--help`, …).

FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Runtime dependencies exactly as locked. --omit=optional leaves out the bundled Node 24 (the
# `node` package, 120 MB), which is for hosts with an older node: this image is Node 24 already.
# Without it no runtime dependency needs an install script (better-sqlite3 loads its prebuilt
# binary), so --ignore-scripts holds whatever npm version the base image ships: the slim image has
# no compiler for the node-gyp rebuild an older npm would try.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY migrations ./migrations
# The image's unprivileged `node` user (uid 1000). /data is its working directory: relative
# `sqlite:` paths and the default ./pipeline.config.json resolve there.
RUN mkdir /data && chown node:node /data
USER node
WORKDIR /data
ENTRYPOINT ["node", "/app/bin/okta-elt.js"]
CMD ["--help"]
