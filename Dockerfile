# One image for both processes; compose picks the entry point. Node 24 LTS.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY libs/sdk/package.json libs/sdk/package.json
COPY apps/cli/package.json apps/cli/package.json
COPY apps/cli/bin apps/cli/bin
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
# git clones flows deployed from a repository (the dashboard's "from git"); CA certificates for https.
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/drizzle drizzle
COPY --from=build /app/package.json package.json
USER node
EXPOSE 3000
CMD ["node", "dist/apps/standalone/src/main.js"]
