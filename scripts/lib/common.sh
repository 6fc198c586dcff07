# Shared helpers of the start and test commands: dependencies, PostgreSQL and Redis.
# Every wait is bounded; when a service cannot be started, say exactly what to run.

PROCO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/proco}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"

say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
fail() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# Installs npm dependencies when node_modules is missing or older than the lockfile.
ensure_dependencies() {
  if [ ! -d "$PROCO_ROOT/node_modules" ] || [ "$PROCO_ROOT/package-lock.json" -nt "$PROCO_ROOT/node_modules/.package-lock.json" ]; then
    say "Installing dependencies (npm ci)"
    # No dependency needs its install script (binaries come as optional packages), and some
    # scripts try to download engines, which fails offline.
    (cd "$PROCO_ROOT" && npm ci --no-audit --no-fund --ignore-scripts) || fail "npm ci failed"
  fi
}

# host and port of a URL such as postgresql://user@host:5432/db
url_host() { node -e 'const u=new URL(process.argv[1]);process.stdout.write(u.hostname)' "$1"; }
url_port() { node -e 'const u=new URL(process.argv[1]);process.stdout.write(u.port||process.argv[2])' "$1" "$2"; }

# Succeeds when a TCP connection to host:port opens within 2 seconds.
port_open() {
  node -e '
    const s=require("node:net").connect({host:process.argv[1],port:Number(process.argv[2])});
    const t=setTimeout(()=>process.exit(1),2000);
    s.on("connect",()=>{clearTimeout(t);s.end();process.exit(0)});
    s.on("error",()=>process.exit(1));' "$1" "$2"
}

# Waits up to $3 seconds for host:port to accept connections.
wait_for_port() {
  local host=$1 port=$2 seconds=$3
  for _ in $(seq 1 "$seconds"); do
    port_open "$host" "$port" && return 0
    sleep 1
  done
  return 1
}

# Tries a real login to the server's `postgres` database (the target may not exist yet) and prints
# "ok", "auth" (the server refused the credentials) or "error: …".
postgres_login() {
  (cd "$PROCO_ROOT" && node -e '
    const { Client } = require("pg");
    const url = new URL(process.argv[1]); url.pathname = "/postgres";
    const client = new Client({ connectionString: url.toString(), connectionTimeoutMillis: 5000 });
    client.connect().then(
      () => client.end().then(() => process.stdout.write("ok")),
      (error) => {
        const auth = error.code === "28P01" || /password|SASL/i.test(error.message);
        process.stdout.write(auth ? "auth" : `error: ${error.message}`);
      });' "$DATABASE_URL")
}

# A stock Debian cluster asks TCP clients for a password, and a fresh role has none. As root on a
# local server we give the postgres role one and use it; otherwise we say exactly what to run.
ensure_postgres_login() {
  local host result
  host=$(url_host "$DATABASE_URL")
  result=$(postgres_login)
  [ "$result" = "ok" ] && return 0
  if [ "$result" = "auth" ] && [ "$(id -u)" = 0 ] && { [ "$host" = "127.0.0.1" ] || [ "$host" = "localhost" ]; } \
    && command -v psql >/dev/null 2>&1 && id postgres >/dev/null 2>&1; then
    say "PostgreSQL wants a password over TCP: setting one for the postgres role (local server, running as root)"
    local port
    port=$(url_port "$DATABASE_URL" 5432)
    su postgres -c "psql -q -p $port -c \"ALTER ROLE postgres PASSWORD 'postgres'\"" >/dev/null
    export DATABASE_URL="postgresql://postgres:postgres@$host:$port/$(node -e 'process.stdout.write(new URL(process.argv[1]).pathname.slice(1))' "$DATABASE_URL")"
    [ "$(postgres_login)" = "ok" ] && return 0
  fi
  if [ "$result" = "auth" ]; then
    fail "PostgreSQL refused the login in DATABASE_URL. Give the role a password and use it, e.g.:
  sudo -u postgres psql -c \"ALTER ROLE postgres PASSWORD 'postgres'\"
  export DATABASE_URL=postgresql://postgres:postgres@127.0.0.1:5432/proco"
  fi
  fail "cannot log in to PostgreSQL: ${result#error: }"
}

ensure_postgres() {
  local host port
  host=$(url_host "$DATABASE_URL"); port=$(url_port "$DATABASE_URL" 5432)
  port_open "$host" "$port" && { ensure_postgres_login; return 0; }
  if [ "$host" = "127.0.0.1" ] || [ "$host" = "localhost" ]; then
    if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
      say "Starting the local PostgreSQL cluster"
      for version in /etc/postgresql/*; do
        pg_ctlcluster --skip-systemctl-redirect "$(basename "$version")" main start >/dev/null 2>&1 || true
      done
      wait_for_port "$host" "$port" 30 && { ensure_postgres_login; return 0; }
    fi
  fi
  fail "PostgreSQL is not reachable at $host:$port. Start it (Debian: apt-get install -y postgresql && pg_ctlcluster 15 main start; or: docker compose up -d postgres) or set DATABASE_URL."
}

ensure_redis() {
  local host port
  host=$(url_host "$REDIS_URL"); port=$(url_port "$REDIS_URL" 6379)
  port_open "$host" "$port" && return 0
  if { [ "$host" = "127.0.0.1" ] || [ "$host" = "localhost" ]; } && command -v redis-server >/dev/null 2>&1; then
    say "Starting a local Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no >/dev/null
    wait_for_port "$host" "$port" 15 && return 0
  fi
  fail "Redis is not reachable at $host:$port. Start it (Debian: apt-get install -y redis-server && redis-server --daemonize yes; or: docker compose up -d redis) or set REDIS_URL."
}

# Generates the Prisma client. Generation needs no native engine; pointing the engine variable at
# any executable keeps the CLI from trying to download one on offline machines.
generate_prisma_client() {
  (cd "$PROCO_ROOT" && PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-$(type -P true)}" npx prisma generate >/dev/null) \
    || fail "prisma generate failed"
}
