# The Functions app with R: the Azure Functions Node 22 image, the R packages CI tests
# with (r-handler/apt-packages.txt), and the built app. The app starts its R workers
# inside the container.
#
# Both stages are Debian 12 (bookworm), the Debian CI runs on, so the image's R and R
# packages are the ones the tests ran against. mcr.microsoft.com/azure-functions/node:4-node22
# is built from host/4/bookworm/node/node22/ in Azure/azure-functions-docker; the Node 20
# image (4-node20) is Debian 11, whose R is 4.0.4 and which has no r-cran-palmerpenguins.
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --omit=optional
COPY tsconfig.json host.json ./
COPY functions ./functions
COPY scripts/buildPages.ts ./scripts/
COPY pages ./pages
# The pages are bundled from node_modules into dist/pages/ (esbuild's install script fetches
# its platform binary itself when optional packages are left out).
RUN npx tsc -p tsconfig.json && node dist/scripts/buildPages.js && npm prune --omit=dev --omit=optional

FROM mcr.microsoft.com/azure-functions/node:4-node22
COPY r-handler/apt-packages.txt /tmp/apt-packages.txt
RUN apt-get update \
 && grep -v '^\s*#' /tmp/apt-packages.txt | xargs apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/apt-packages.txt

# The host listens on port 80 (ASPNETCORE_URLS in the base image): the container app's
# ingress targets it.
ENV AzureWebJobsScriptRoot=/home/site/wwwroot \
    AzureFunctionsJobHost__Logging__Console__IsEnabled=true \
    MODEL_CACHE_DIR=/tmp/r-scoring/models
WORKDIR /home/site/wwwroot
COPY --from=build /src/package.json /src/host.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY r-handler/main.R r-handler/worker.R r-handler/describe.R ./r-handler/
COPY r-handler/R ./r-handler/R
