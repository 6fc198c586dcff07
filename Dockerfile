# One image for the API, the worker, migrations and the local chain (docker-compose picks the command).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
# No dependency needs its install script; some try to download engines at install time.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN PRISMA_SCHEMA_ENGINE_BINARY=/bin/true npx prisma generate && npx nest build api
# Production unless told otherwise: a master key is then required (no generated development key)
# and the faucet is off. docker-compose sets PROCO_ENV=development for the laptop stack.
ENV NODE_ENV=production PROCO_ENV=production
EXPOSE 3000
CMD ["node", "dist/apps/api/src/main.js"]
