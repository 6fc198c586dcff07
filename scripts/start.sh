#!/usr/bin/env bash
# One command for a laptop: installs dependencies, makes sure PostgreSQL and Redis run, starts a
# local anvil chain with the test USDC token, applies migrations, creates demo data (an org, an
# admin key, a funded agent with a token), then runs the API and the worker until Ctrl-C.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$PROCO_ROOT"

API_PORT="${PROCO_API_PORT:-3000}"
CHAIN_PORT="${PROCO_CHAIN_PORT:-8545}"
LOG_DIRECTORY="$PROCO_ROOT/.proco/logs"
READY_TIMEOUT_SECONDS=60

for port in "$API_PORT" "$CHAIN_PORT"; do
  port_open 127.0.0.1 "$port" && fail "port $port is already in use (another Proco stack?). Stop it, or set PROCO_API_PORT / PROCO_CHAIN_PORT."
done

ensure_dependencies
ensure_postgres
ensure_redis
generate_prisma_client
say "Building"
npx nest build api >/dev/null
mkdir -p "$LOG_DIRECTORY"

children=()
stop_children() {
  trap - EXIT INT TERM
  if [ "${#children[@]}" -gt 0 ]; then
    say "Stopping"
    kill "${children[@]}" 2>/dev/null || true
    wait "${children[@]}" 2>/dev/null || true
  fi
}
trap stop_children EXIT INT TERM

say "Starting the local chain on 127.0.0.1:$CHAIN_PORT (log: .proco/logs/chain.log)"
PROCO_CHAIN_PORT="$CHAIN_PORT" node --import tsx scripts/chain.ts >"$LOG_DIRECTORY/chain.log" 2>&1 &
children+=($!)
wait_for_port 127.0.0.1 "$CHAIN_PORT" 30 || { cat "$LOG_DIRECTORY/chain.log" >&2; fail "the chain did not start"; }
# The RPC answers before the contracts are deployed; the chain script prints its summary after.
for _ in $(seq 1 30); do grep -q 'Multicall3' "$LOG_DIRECTORY/chain.log" && break; sleep 1; done
grep -q 'Multicall3' "$LOG_DIRECTORY/chain.log" || { cat "$LOG_DIRECTORY/chain.log" >&2; fail "contracts were not deployed"; }
export PROCO_RPC_URL_EIP155_84532="http://127.0.0.1:$CHAIN_PORT"

say "Applying migrations"
npx tsx scripts/db/cli.ts deploy

say "Creating demo data"
demo_output=$(node dist/apps/api/src/cli.js demo)

say "Starting the API on http://127.0.0.1:$API_PORT and the worker (logs: .proco/logs/)"
PROCO_API_PORT="$API_PORT" node dist/apps/api/src/main.js >"$LOG_DIRECTORY/api.log" 2>&1 &
children+=($!)
node dist/apps/worker/src/main.js >"$LOG_DIRECTORY/worker.log" 2>&1 &
children+=($!)

ready=0
for _ in $(seq 1 "$READY_TIMEOUT_SECONDS"); do
  if node -e 'fetch(process.argv[1],{signal:AbortSignal.timeout(2000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' \
    "http://127.0.0.1:$API_PORT/readyz"; then ready=1; break; fi
  sleep 1
done
[ "$ready" = 1 ] || { tail -n 50 "$LOG_DIRECTORY/api.log" >&2; fail "the API did not become ready in ${READY_TIMEOUT_SECONDS}s"; }

cat <<SUMMARY

Proco is running.
  API        http://127.0.0.1:$API_PORT   (OpenAPI UI: http://127.0.0.1:$API_PORT/docs)
  Chain      http://127.0.0.1:$CHAIN_PORT (chain id 84532, test USDC at 0x8A5E73A9e2A8B9d0D60EE4E150E9FDf030C7Bdf8)
  Logs       .proco/logs/

Demo data (secrets are shown once; run this command again for fresh ones):
$demo_output

Press Ctrl-C to stop.
SUMMARY

# Exit (and stop everything) as soon as any of the three processes ends.
wait -n "${children[@]}"
fail "a process stopped unexpectedly; see .proco/logs/"
