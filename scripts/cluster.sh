#!/usr/bin/env bash
# Two opencode-kernel servers on one throwaway PostgreSQL server, on this machine:
#
#   scripts/cluster.sh [first port]     # nodes on 4096 and 4097 (or <first port> and the next)
#
# PostgreSQL comes from Debian's package (apt-get install postgresql): initdb in a temp dir,
# trust authentication on 127.0.0.1 only, a free port (as test/pg.ts does; as root, PostgreSQL
# runs as the `postgres` user, since initdb refuses root). The nodes share a generated cluster
# secret and serve the directory the script is run from. Ctrl-C stops the nodes (they hand their
# leases back), then PostgreSQL, and removes the temp dir.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
first=${1:-4096}
if ! [[ $first =~ ^[0-9]+$ ]] || [ "$first" -lt 1 ] || [ "$first" -gt 65534 ]; then
  echo "usage: scripts/cluster.sh [first port] (default 4096)" >&2
  exit 2
fi
ports=("$first" "$((first + 1))")

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "PostgreSQL binaries not found (/usr/lib/postgresql/<version>/bin/initdb): install Debian's postgresql package (apt-get install postgresql)" >&2
  exit 1
fi
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

node "$root/bin/build.js" --start

dir=$(mktemp -d "${TMPDIR:-/tmp}/opencode-kernel-cluster.XXXXXX")
pids=()
pg_running=0
stop() {
  trap - INT TERM EXIT
  echo
  echo "stopping the nodes…"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$pg_running" = 1 ]; then
    echo "stopping PostgreSQL…"
    as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
  fi
  rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] && chown postgres: "$dir"
as_postgres "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C --no-sync >/dev/null
pg_port=$(node -e "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close() })")
cat >>"$dir/data/postgresql.conf" <<CONF
# scripts/cluster.sh: loopback only, socket in the temp dir
port = $pg_port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
CONF
as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w start >/dev/null
pg_running=1
database="postgres://postgres@127.0.0.1:$pg_port/postgres"
echo "PostgreSQL: $database (log $dir/postgres.log)"

secret=$(node -e "console.log(require('crypto').randomBytes(24).toString('hex'))")
for port in "${ports[@]}"; do
  mkdir -p "$dir/node-$port"
  OPENCODE_KERNEL_DATA="$dir/node-$port" OPENCODE_KERNEL_CLUSTER_SECRET="$secret" LOG_LEVEL="${LOG_LEVEL:-warn}" \
    node "$root/bin/opencode-kernel.js" serve --port "$port" --database "$database" --node-url "http://127.0.0.1:$port" \
    > >(sed -u "s/^/[$port] /") 2>&1 &
  pids+=("$!")
done
for i in "${!ports[@]}"; do
  port=${ports[$i]}
  for _ in $(seq 1 300); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/global/health" && break
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "the node on port $port exited before serving (see its lines above)" >&2
      exit 1
    fi
    sleep 0.1
  done
  curl -sf -o /dev/null "http://127.0.0.1:$port/global/health" || { echo "the node on port $port did not answer within 30 s" >&2; exit 1; }
done

echo
echo "cluster of ${#ports[@]} nodes on one PostgreSQL database (secret in OPENCODE_KERNEL_CLUSTER_SECRET=$secret):"
for port in "${ports[@]}"; do echo "  http://127.0.0.1:$port"; done
echo "Ctrl-C stops everything."
# Until Ctrl-C, or until a node exits on its own.
code=0
wait -n "${pids[@]}" || code=$?
echo "a node exited on its own (exit code $code)" >&2
exit 1
