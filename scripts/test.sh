#!/usr/bin/env bash
# The full test suite: static checks, migration/schema agreement, the build, then unit and
# integration tests (real PostgreSQL, Redis and an anvil chain the suite starts itself).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$PROCO_ROOT"

ensure_dependencies
ensure_postgres
ensure_redis
generate_prisma_client

say "Type check"
npx tsc -p tsconfig.json --noEmit
say "Lint and format"
npx eslint . --max-warnings 0
npx prettier --check . >/dev/null || { npx prettier --check . ; fail "prettier: run npm run format"; }
say "Migrations agree with schema.prisma"
npx tsx scripts/db/cli.ts check
say "Build"
npx nest build api >/dev/null
say "Unit and integration tests"
npx vitest run
