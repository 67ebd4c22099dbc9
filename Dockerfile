# One build, one image per connector. Pick the connector with the build target:
#   docker build --target source-braze-currents -t braze-currents-mixpanel/source-braze-currents:0.1.0 .
#   docker build --target destination-mixpanel  -t braze-currents-mixpanel/destination-mixpanel:0.1.0 .
#   docker build --target source-mixpanel-cohorts -t braze-currents-mixpanel/source-mixpanel-cohorts:0.1.0 .
#   docker build --target destination-braze     -t braze-currents-mixpanel/destination-braze:0.1.0 .
# Each image runs the Airbyte verbs: `docker run --rm IMAGE spec`, `... check --config /secrets/config.json`.
# Labels and AIRBYTE_ENTRYPOINT must match <connector>/metadata.yaml (integration_tests/dockerfile.test.ts checks).

# --- build: compile TypeScript to dist/ ---------------------------------------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /build
COPY package.json package-lock.json tsconfig.json ./
COPY connector-kit ./connector-kit
COPY source-braze-currents ./source-braze-currents
COPY destination-mixpanel ./destination-mixpanel
COPY source-mixpanel-cohorts ./source-mixpanel-cohorts
COPY destination-braze ./destination-braze
COPY sync ./sync
COPY tools ./tools
COPY bench ./bench
COPY test-support ./test-support
COPY local-services ./local-services
COPY schemas ./schemas
# `npm ci` runs the `prepare` script, which is the build.
RUN npm ci --no-audit --no-fund

# --- runtime: production dependencies + compiled code, shared by both connectors ----------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /airbyte/integration_code
COPY package.json package-lock.json ./
# No build here (dist/ comes from the build stage), so skip `prepare`.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /build/dist ./dist
COPY bin ./bin
COPY schemas ./schemas
COPY source-braze-currents/spec.json ./source-braze-currents/spec.json
COPY destination-mixpanel/spec.json ./destination-mixpanel/spec.json
COPY destination-braze/spec.json ./destination-braze/spec.json
USER node

# --- the source image ---------------------------------------------------------------------------------------
FROM runtime AS source-braze-currents
ENV AIRBYTE_ENTRYPOINT="node /airbyte/integration_code/bin/source-braze-currents"
ENTRYPOINT ["node", "/airbyte/integration_code/bin/source-braze-currents"]
LABEL io.airbyte.name=braze-currents-mixpanel/source-braze-currents
LABEL io.airbyte.version=0.1.0

# --- the Mixpanel cohorts source image (its spec.json is compiled into dist/) ---------------------------------
FROM runtime AS source-mixpanel-cohorts
ENV AIRBYTE_ENTRYPOINT="node /airbyte/integration_code/bin/source-mixpanel-cohorts"
ENTRYPOINT ["node", "/airbyte/integration_code/bin/source-mixpanel-cohorts"]
LABEL io.airbyte.name=braze-currents-mixpanel/source-mixpanel-cohorts
LABEL io.airbyte.version=0.1.0

# --- the Braze destination image (Mixpanel cohorts → Braze) --------------------------------------------------
# The heap cap keeps a million-member cohort under 256 MB (see bin/destination-braze).
FROM runtime AS destination-braze
ENV AIRBYTE_ENTRYPOINT="node --max-old-space-size=96 /airbyte/integration_code/bin/destination-braze"
ENTRYPOINT ["node", "--max-old-space-size=96", "/airbyte/integration_code/bin/destination-braze"]
LABEL io.airbyte.name=braze-currents-mixpanel/destination-braze
LABEL io.airbyte.version=0.1.0

# --- the destination image (last stage: the default of a plain `docker build`) -------------------------------
FROM runtime AS destination-mixpanel
ENV AIRBYTE_ENTRYPOINT="node /airbyte/integration_code/bin/destination-mixpanel"
ENTRYPOINT ["node", "/airbyte/integration_code/bin/destination-mixpanel"]
LABEL io.airbyte.name=braze-currents-mixpanel/destination-mixpanel
LABEL io.airbyte.version=0.1.0
