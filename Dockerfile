# One image for the API, the worker, migrations and the local chain (docker-compose picks the command).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN PRISMA_SCHEMA_ENGINE_BINARY=/bin/true npx prisma generate && npx nest build api
ENV NODE_ENV=production
EXPOSE 3000
CMD ["node", "dist/apps/api/src/main.js"]
