#!/usr/bin/env bash
# Measures the throughput cost of authentication policies over plain proxying, in one run, on loopback only.
#
# One Portico node (pinned to SUT_CPUS) serves four routes in front of the same nginx upstream (pinned to
# LOAD_CPUS with wrk): /plain with no policy, /key with key-auth, /hs with a jwt policy checking HS256 tokens and
# /rs with a jwt policy checking RS256 tokens (RSA 2048). Each jwt route maps the token's `sub` claim to the
# consumer, so every request is authenticated and reaches the upstream. The rounds alternate the routes so that
# drift of the machine affects each alike; the script prints the best requests/s of each route and its ratio to
# /plain. Needs: nginx, wrk, java, mvn, curl, openssl, taskset. Every process it starts is stopped by PID on exit.
# PORTICO_TRANSPORT (auto, epoll, io_uring or nio) sets Portico's network transport, the node default when
# unset; the "Machine:" line names the transport Portico ran on.
set -euo pipefail

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-30s}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-3}
SUT_CPUS=${SUT_CPUS:-0}
LOAD_CPUS=${LOAD_CPUS:-1}
UPSTREAM_PORT=${UPSTREAM_PORT:-18281}
PORTICO_PORT=${PORTICO_PORT:-18283}
ADMIN_PORT=${ADMIN_PORT:-19283}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/transport.sh
source "$root/bench/lib/transport.sh"
work="$(mktemp -d /tmp/portico-auth-bench.XXXXXX)"
pids=()

cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap cleanup EXIT

for tool in nginx wrk java mvn curl openssl taskset; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done

mkdir -p "$work/upstream"
cat > "$work/upstream/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/upstream/nginx.pid;
error_log $work/upstream/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $work/upstream/body;
    proxy_temp_path $work/upstream/proxy;
    fastcgi_temp_path $work/upstream/fastcgi;
    uwsgi_temp_path $work/upstream/uwsgi;
    scgi_temp_path $work/upstream/scgi;
    keepalive_requests 1000000;
    server { listen 127.0.0.1:$UPSTREAM_PORT; location / { return 200 'hello from upstream\n'; } }
}
CONF
taskset -c "$LOAD_CPUS" nginx -c "$work/upstream/nginx.conf" & pids+=($!)

# Tokens: header and claims in base64url, signed with openssl. They expire in a day and name consumer "bench".
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
hs_secret="bench-secret-of-at-least-thirty-two-bytes"
now=$(date +%s)
claims=$(printf '{"sub":"bench","iat":%d,"exp":%d}' "$now" $((now + 86400)) | b64url)
hs_input="$(printf '{"alg":"HS256","typ":"JWT"}' | b64url).$claims"
hs_token="$hs_input.$(printf '%s' "$hs_input" | openssl dgst -sha256 -hmac "$hs_secret" -binary | b64url)"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/rsa.pem" 2>/dev/null
openssl pkey -in "$work/rsa.pem" -pubout -out "$work/rsa.pub" 2>/dev/null
rs_input="$(printf '{"alg":"RS256","typ":"JWT"}' | b64url).$claims"
rs_token="$rs_input.$(printf '%s' "$rs_input" | openssl dgst -sha256 -sign "$work/rsa.pem" -binary | b64url)"
api_key="pk_bench_$(openssl rand -hex 24)"

jar="$root/target/portico.jar"
if [[ ! -f "$jar" ]]; then
    (cd "$root" && mvn -q -B -DskipTests package)
fi
token="bench-$(date +%s)-$RANDOM"
PORTICO_ADMIN_TOKEN="$token" PORTICO_ACCESS_LOG_LEVEL=WARN taskset -c "$SUT_CPUS" \
    java ${PORTICO_JAVA_OPTS:--Xms512m -Xmx512m} -jar "$jar" serve --http-port "$PORTICO_PORT" --https-port 0 \
    --admin-port "$ADMIN_PORT" --data-dir "$work/portico-data" > "$work/portico.log" 2>&1 & pids+=($!)
for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$ADMIN_PORT/health/ready" >/dev/null 2>&1 && break
    sleep 0.2
done

pem_json=$(awk '{printf "%s\\n", $0}' "$work/rsa.pub")
cat > "$work/config.json" <<JSON
{"teams": [{"name": "bench"}],
 "services": [{"name": "app", "targets": [{"host": "127.0.0.1", "port": $UPSTREAM_PORT}]}],
 "consumers": [{"name": "bench", "team": "bench"}],
 "credentials": [{"name": "bench-key", "consumer": "bench", "type": "key-auth", "key": "$api_key"}],
 "routes": [
   {"name": "plain", "service": "app", "paths": ["/plain"]},
   {"name": "key", "service": "app", "paths": ["/key"], "policies": [{"name": "key-auth"}]},
   {"name": "hs", "service": "app", "paths": ["/hs"], "policies": [{"name": "jwt", "config":
     {"algorithms": ["HS256"], "keys": [{"secret": "$hs_secret"}], "consumerClaim": "sub"}}]},
   {"name": "rs", "service": "app", "paths": ["/rs"], "policies": [{"name": "jwt", "config":
     {"algorithms": ["RS256"], "keys": [{"pem": "$pem_json"}], "consumerClaim": "sub"}}]}]}
JSON
curl -fsS -X POST "http://127.0.0.1:$ADMIN_PORT/admin/v1/config/apply" \
    -H "Authorization: Bearer $token" -H "Content-Type: application/json" --data-binary "@$work/config.json" \
    > /dev/null

declare -A header=(
    [plain]="X-Bench: plain"
    [key]="apikey: $api_key"
    [hs]="Authorization: Bearer $hs_token"
    [rs]="Authorization: Bearer $rs_token")
for route in plain key hs rs; do
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "${header[$route]}" "http://127.0.0.1:$PORTICO_PORT/$route")
    [[ "$status" == 200 ]] || { echo "route /$route answered $status, not 200" >&2; exit 1; }
done

# Prints the requests per second of one wrk run against route $1.
run_wrk() {
    local route=$1 duration=$2
    taskset -c "$LOAD_CPUS" wrk -t1 -c"$CONNECTIONS" -d"$duration" -H "${header[$route]}" \
        "http://127.0.0.1:$PORTICO_PORT/$route" | awk '/Requests\/sec/ { printf "%.0f\n", $2 }'
}

echo "Warming up each route for $WARMUP..."
for route in plain key hs rs; do
    run_wrk "$route" "$WARMUP" > /dev/null
done

declare -A best=([plain]=0 [key]=0 [hs]=0 [rs]=0)
for round in $(seq 1 "$ROUNDS"); do
    for route in plain key hs rs; do
        rps=$(run_wrk "$route" "$DURATION")
        (( rps > best[$route] )) && best[$route]=$rps
    done
done

echo
transport=$(portico_transport "$work/portico.log")
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $transport; $(date -u +%F)"
echo "Portico pinned to CPUs $SUT_CPUS; wrk and upstream pinned to CPUs $LOAD_CPUS; wrk -t1 -c$CONNECTIONS -d$DURATION,"
echo "best of $ROUNDS rounds"
echo
printf '%-24s %12s %18s\n' "route" "requests/s" "ratio to plain"
for route in plain key hs rs; do
    awk -v r="$route" -v n="${best[$route]}" -v p="${best[plain]}" \
        'BEGIN { printf "%-24s %12d %18.3f\n", r, n, n / p }'
done
