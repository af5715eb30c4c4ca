# One image for every Mailroom process; the command picks the app.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY prisma.config.ts ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:22-bookworm-slim
ENV NODE_ENV=production BIND_ADDRESS=0.0.0.0
# Two malloc arenas instead of up to 8 per core: the signing and libuv threads' arenas held
# 20-25 MiB of the all-in-one process's peak (BENCHMARKS.md, eighth session).
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/prisma ./prisma
COPY package.json ./
USER node
EXPOSE 3000 2525 2587 2465 1143 1993
# Default: everything in one process (migrates first). Override with dist/apps/<app>/src/main.js.
CMD ["node", "--enable-source-maps", "--max-semi-space-size=4", "dist/apps/mailroom/src/main.js"]
