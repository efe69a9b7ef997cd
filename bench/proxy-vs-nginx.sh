#!/usr/bin/env bash
# Measures Portico against nginx as reverse proxies in front of the same nginx upstream, on loopback only.
#
# Both proxies run pinned to the same CPU set (SUT_CPUS) with keep-alive to the upstream; wrk and the upstream
# share the other CPU set (LOAD_CPUS). The script prints requests/s and p50/p99 latency for each proxy at full
# load, then p50/p99 at a fixed rate of half nginx's maximum, and the ratios. Needs: nginx, wrk, java, mvn, curl.
# Every process it starts is stopped by PID when it exits.
# PORTICO_TRANSPORT (auto, epoll, io_uring or nio) sets Portico's network transport, the node default when
# unset; the "Machine:" line names the transport Portico ran on.
set -euo pipefail

DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-30s}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-2}
SUT_CPUS=${SUT_CPUS:-0}
LOAD_CPUS=${LOAD_CPUS:-1}
UPSTREAM_PORT=${UPSTREAM_PORT:-18081}
NGINX_PORT=${NGINX_PORT:-18082}
PORTICO_PORT=${PORTICO_PORT:-18083}
ADMIN_PORT=${ADMIN_PORT:-19083}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/transport.sh
source "$root/bench/lib/transport.sh"
# shellcheck source=lib/nginx.sh
source "$root/bench/lib/nginx.sh"
work="$(mktemp -d /tmp/portico-bench.XXXXXX)"
pids=()

cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap cleanup EXIT

for tool in nginx wrk java mvn curl taskset gcc; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool (apt-get install nginx-light wrk)" >&2; exit 1; }
done

write_nginx_conf upstream "server { listen 127.0.0.1:$UPSTREAM_PORT; location / { return 200 'hello from upstream\n'; } }"
write_nginx_conf proxy "upstream app { server 127.0.0.1:$UPSTREAM_PORT; keepalive 64; }
    server { listen 127.0.0.1:$NGINX_PORT; location / { proxy_pass http://app; proxy_http_version 1.1;
    proxy_set_header Connection \"\"; proxy_set_header Host \$host; proxy_set_header X-Forwarded-For \$remote_addr; } }"

taskset -c "$LOAD_CPUS" nginx -c "$work/upstream/nginx.conf" & pids+=($!)
taskset -c "$SUT_CPUS" nginx -c "$work/proxy/nginx.conf" & pids+=($!)

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
curl -fsS -X POST "http://127.0.0.1:$ADMIN_PORT/admin/v1/config/apply" \
    -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
    -d "{\"services\":[{\"name\":\"app\",\"targets\":[{\"host\":\"127.0.0.1\",\"port\":$UPSTREAM_PORT}]}],
         \"routes\":[{\"name\":\"app\",\"service\":\"app\",\"paths\":[\"/\"]}]}" > /dev/null
for port in "$UPSTREAM_PORT" "$NGINX_PORT" "$PORTICO_PORT"; do
    curl -fs "http://127.0.0.1:$port/" > /dev/null || { echo "nothing responds on port $port" >&2; exit 1; }
done

# Prints "requests_per_second p50_ms p99_ms" for one wrk run.
run_wrk() {
    local port=$1 connections=$2 script=${3:-}
    local args=(-t1 -c"$connections" -d"$DURATION" --latency)
    [[ -n "$script" ]] && args+=(-s "$script")
    taskset -c "$LOAD_CPUS" wrk "${args[@]}" "http://127.0.0.1:$port/" > "$work/wrk.out"
    awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /Requests\/sec/ { rps = $2 }
        $1 == "50.000%" || $1 == "50%" { p50 = ms($2) }
        $1 == "99.000%" || $1 == "99%" { p99 = ms($2) }
        END { printf "%.0f %.3f %.3f\n", rps, p50, p99 }' "$work/wrk.out"
}

echo "Warming up Portico for $WARMUP..."
DURATION=$WARMUP run_wrk "$PORTICO_PORT" "$CONNECTIONS" > /dev/null

best() { sort -n -k1 | tail -1; }
nginx_runs=(); portico_runs=()
for round in $(seq 1 "$ROUNDS"); do
    nginx_runs+=("$(run_wrk "$NGINX_PORT" "$CONNECTIONS")")
    portico_runs+=("$(run_wrk "$PORTICO_PORT" "$CONNECTIONS")")
done
nginx_max=$(printf '%s\n' "${nginx_runs[@]}" | best)
portico_max=$(printf '%s\n' "${portico_runs[@]}" | best)
direct_max=$(run_wrk "$UPSTREAM_PORT" "$CONNECTIONS")

# Fixed rate: bench/loadgen/fixed-rate sends requests on a schedule at half of nginx's maximum rate and measures
# each latency from its scheduled time, so a stalled proxy cannot hide its delay (no coordinated omission).
gcc -O2 -o "$work/fixed-rate" "$root/bench/loadgen/fixed-rate.c" -lm
rate=$(( ${nginx_max%% *} / 2 ))
rate_connections=${RATE_CONNECTIONS:-64}
rate_seconds=${DURATION%s}

# Prints "requests_per_second p50_ms p99_ms" for one fixed-rate run.
run_fixed_rate() {
    local port=$1
    taskset -c "$LOAD_CPUS" "$work/fixed-rate" -a "127.0.0.1:$port" -p / -r "$rate" -c "$rate_connections" \
        -d "$rate_seconds" -w 3 > "$work/fixed.out" || true
    tail -n 1 "$work/fixed.out" | tr ' ' '\n' | awk -F= '
        $1 == "achieved_rate" { rps = $2 } $1 == "p50_ms" { p50 = $2 } $1 == "p99_ms" { p99 = $2 }
        END { printf "%.0f %.3f %.3f\n", rps, p50, p99 }'
}
direct_rate=$(run_fixed_rate "$UPSTREAM_PORT")
nginx_rate=$(run_fixed_rate "$NGINX_PORT")
portico_rate=$(run_fixed_rate "$PORTICO_PORT")

read -r n_rps n_p50 n_p99 <<< "$nginx_max"
read -r p_rps p_p50 p_p99 <<< "$portico_max"
read -r d_rps d_p50 d_p99 <<< "$direct_max"
read -r dr_rps dr_p50 dr_p99 <<< "$direct_rate"
read -r nr_rps nr_p50 nr_p99 <<< "$nginx_rate"
read -r pr_rps pr_p50 pr_p99 <<< "$portico_rate"

echo
transport=$(portico_transport "$work/portico.log")
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $transport; $(date -u +%F)"
echo "Proxies pinned to CPUs $SUT_CPUS; wrk and upstream pinned to CPUs $LOAD_CPUS; wrk -t1 -c$CONNECTIONS -d$DURATION"
echo
printf '%-28s %12s %10s %10s\n' "full load" "requests/s" "p50 ms" "p99 ms"
printf '%-28s %12s %10s %10s\n' "upstream direct" "$d_rps" "$d_p50" "$d_p99"
printf '%-28s %12s %10s %10s\n' "nginx proxy" "$n_rps" "$n_p50" "$n_p99"
printf '%-28s %12s %10s %10s\n' "portico proxy" "$p_rps" "$p_p50" "$p_p99"
echo
printf '%-28s %12s %10s %10s\n' "fixed rate (~$rate/s)" "requests/s" "p50 ms" "p99 ms"
printf '%-28s %12s %10s %10s\n' "upstream direct" "$dr_rps" "$dr_p50" "$dr_p99"
printf '%-28s %12s %10s %10s\n' "nginx proxy" "$nr_rps" "$nr_p50" "$nr_p99"
printf '%-28s %12s %10s %10s\n' "portico proxy" "$pr_rps" "$pr_p50" "$pr_p99"
echo
awk -v p="$p_rps" -v n="$n_rps" -v pp="$pr_p99" -v np="$nr_p99" -v dp="$dr_p99" 'BEGIN {
    printf "throughput ratio portico/nginx: %.3f\n", p / n
    printf "p99 added by portico over the upstream at fixed rate: %.3f ms (nginx: %.3f ms)\n", pp - dp, np - dp
}'
