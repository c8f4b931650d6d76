# The Functions app with R: the Azure Functions Node 20 image, the R packages CI tests
# with (r-handler/apt-packages.txt), and the built app. The app starts its R workers
# inside the container.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --omit=optional
COPY tsconfig.json host.json ./
COPY functions ./functions
RUN npx tsc -p tsconfig.json && npm prune --omit=dev --omit=optional

FROM mcr.microsoft.com/azure-functions/node:4-node20
COPY r-handler/apt-packages.txt /tmp/apt-packages.txt
RUN apt-get update \
 && grep -v '^\s*#' /tmp/apt-packages.txt | xargs apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/apt-packages.txt

ENV AzureWebJobsScriptRoot=/home/site/wwwroot \
    AzureFunctionsJobHost__Logging__Console__IsEnabled=true \
    MODEL_CACHE_DIR=/tmp/r-scoring/models
WORKDIR /home/site/wwwroot
COPY --from=build /src/package.json /src/host.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY r-handler/main.R r-handler/worker.R r-handler/describe.R ./r-handler/
COPY r-handler/R ./r-handler/R
