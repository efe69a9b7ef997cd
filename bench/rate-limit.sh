#!/usr/bin/env bash
# Measures what a rate limit costs, on loopback only. One run measures Portico's throughput on a route with a
# local rate limit and on a route with a cluster-wide rate limit in Redis, and prints both as ratios to the same
# route without a policy. Both limits are never reached.
#
# Portico runs pinned to SUT_CPUS; wrk, the nginx upstream and Redis share LOAD_CPUS. Each route is warmed up,
# then measured ROUNDS times, alternating, with the order of the routes reversed every other round. The script
# prints two ratios per limit: that of the best rounds, and the median of the ratios within each round. The
# second compares rounds a few seconds apart, so a slow drift of the machine's speed affects it less. Every
# request of a run carries the same key (the client address), the worst case for contention on one counter. The run takes about
# 3 * (WARMUP + ROUNDS * DURATION). Needs: nginx, wrk, java, mvn, curl, taskset, unzip; redis-server when
# installed, otherwise the Redis binary inside the embedded-redis test dependency. Every process it starts is
# stopped by PID when it exits.
# PORTICO_TRANSPORT (auto, epoll, io_uring or nio) sets Portico's network transport, the node default when
# unset; the "Machine:" line names the transport Portico ran on.
set -euo pipefail

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-10s}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-3}
SUT_CPUS=${SUT_CPUS:-0}
LOAD_CPUS=${LOAD_CPUS:-1}
UPSTREAM_PORT=${UPSTREAM_PORT:-18091}
REDIS_PORT=${REDIS_PORT:-18092}
PORTICO_PORT=${PORTICO_PORT:-18093}
ADMIN_PORT=${ADMIN_PORT:-19093}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/transport.sh
source "$root/bench/lib/transport.sh"
work="$(mktemp -d /tmp/portico-bench.XXXXXX)"
pids=()

cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap cleanup EXIT

for tool in nginx wrk java mvn curl taskset unzip; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool (apt-get install nginx-light wrk unzip)" >&2; exit 1; }
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

redis_server=$(command -v redis-server || true)
if [[ -z "$redis_server" ]]; then
    (cd "$root" && mvn -q -B dependency:get -Dartifact=com.github.codemonstur:embedded-redis:1.4.3 >/dev/null)
    jar_file="$HOME/.m2/repository/com/github/codemonstur/embedded-redis/1.4.3/embedded-redis-1.4.3.jar"
    case "$(uname -m)" in
        x86_64) binary=redis-server-6.2.6-v5-linux-amd64 ;;
        aarch64) binary=redis-server-6.2.7-linux-arm64 ;;
        *) echo "no embedded Redis binary for $(uname -m); install redis-server" >&2; exit 1 ;;
    esac
    unzip -p "$jar_file" "$binary" > "$work/redis-server"
    chmod +x "$work/redis-server"
    redis_server="$work/redis-server"
fi
taskset -c "$LOAD_CPUS" "$redis_server" --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir "$work" > "$work/redis.log" 2>&1 & pids+=($!)

jar="$root/target/portico.jar"
if [[ ! -f "$jar" ]]; then
    (cd "$root" && mvn -q -B -DskipTests package)
fi
token="bench-$(date +%s)-$RANDOM"
PORTICO_ADMIN_TOKEN="$token" PORTICO_ACCESS_LOG_LEVEL=WARN PORTICO_REDIS_URL="redis://127.0.0.1:$REDIS_PORT" \
    taskset -c "$SUT_CPUS" java ${PORTICO_JAVA_OPTS:--Xms512m -Xmx512m} -jar "$jar" serve \
    --http-port "$PORTICO_PORT" --https-port 0 --admin-port "$ADMIN_PORT" --data-dir "$work/portico-data" \
    > "$work/portico.log" 2>&1 & pids+=($!)

for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$ADMIN_PORT/health/ready" >/dev/null 2>&1 && break
    sleep 0.2
done
# A billion requests per second is never reached, so every request is counted and admitted.
limit='{"name":"rate-limit","config":{"key":["client-address"],"mode":"MODE",
        "limits":[{"name":"per-second","max":1000000000,"window":"1s"}]}}'
curl -fsS -X POST "http://127.0.0.1:$ADMIN_PORT/admin/v1/config/apply" \
    -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
    -d "{\"services\":[{\"name\":\"app\",\"targets\":[{\"host\":\"127.0.0.1\",\"port\":$UPSTREAM_PORT}]}],
         \"routes\":[{\"name\":\"plain\",\"service\":\"app\",\"paths\":[\"/plain\"]},
                     {\"name\":\"local\",\"service\":\"app\",\"paths\":[\"/local\"],\"policies\":[${limit/MODE/local}]},
                     {\"name\":\"redis\",\"service\":\"app\",\"paths\":[\"/redis\"],\"policies\":[${limit/MODE/cluster}]}]}" \
    > /dev/null
for path in plain local redis; do
    curl -fs "http://127.0.0.1:$PORTICO_PORT/$path" > /dev/null || { echo "/$path does not respond" >&2; exit 1; }
done
curl -fsI "http://127.0.0.1:$PORTICO_PORT/redis" | grep -qi '^ratelimit:' \
    || { echo "/redis responds without a RateLimit field" >&2; exit 1; }
if grep -q "Redis at .* is unavailable" "$work/portico.log"; then
    echo "Portico cannot use Redis; see $work/portico.log" >&2
    exit 1
fi

# Prints "requests_per_second p50_ms p99_ms" for one wrk run.
run_wrk() {
    local path=$1 duration=$2
    taskset -c "$LOAD_CPUS" wrk -t1 -c"$CONNECTIONS" -d"$duration" --latency \
        "http://127.0.0.1:$PORTICO_PORT/$path" > "$work/wrk.out"
    awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /Requests\/sec/ { rps = $2 }
        /Non-2xx or 3xx responses/ { errors = $NF }
        $1 == "50.000%" || $1 == "50%" { p50 = ms($2) }
        $1 == "99.000%" || $1 == "99%" { p99 = ms($2) }
        END { if (errors > 0) { print "non-2xx responses: " errors > "/dev/stderr"; exit 1 }
              printf "%.0f %.3f %.3f\n", rps, p50, p99 }' "$work/wrk.out"
}

for path in plain local redis; do
    echo "Warming up /$path for $WARMUP..."
    run_wrk "$path" "$WARMUP" > /dev/null
done

best() { sort -n -k1 | tail -1; }
plain_runs=(); local_runs=(); redis_runs=()
for round in $(seq 1 "$ROUNDS"); do
    if (( round % 2 == 1 )); then order=(plain local redis); else order=(redis local plain); fi
    for path in "${order[@]}"; do
        result=$(run_wrk "$path" "$DURATION")
        case $path in
            plain) plain_runs+=("$result") ;;
            local) local_runs+=("$result") ;;
            redis) redis_runs+=("$result") ;;
        esac
    done
done
read -r plain_rps plain_p50 plain_p99 <<< "$(printf '%s\n' "${plain_runs[@]}" | best)"
read -r local_rps local_p50 local_p99 <<< "$(printf '%s\n' "${local_runs[@]}" | best)"
read -r redis_rps redis_p50 redis_p99 <<< "$(printf '%s\n' "${redis_runs[@]}" | best)"
# Prints the ratio of each round's first field in $2 to that in $1, one line per round.
round_ratios() {
    paste -d' ' <(printf '%s\n' "${!1}" | cut -d' ' -f1) <(printf '%s\n' "${!2}" | cut -d' ' -f1) \
        | awk '{ printf "%.3f\n", $2 / $1 }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
local_ratios=$(round_ratios 'plain_runs[@]' 'local_runs[@]')
redis_ratios=$(round_ratios 'plain_runs[@]' 'redis_runs[@]')
if grep -q "Redis at .* is unavailable" "$work/portico.log"; then
    echo "Redis became unavailable during the run, so /redis counted locally for a while; see $work/portico.log" >&2
    exit 1
fi

echo
transport=$(portico_transport "$work/portico.log")
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $transport; $(date -u +%F)"
echo "Portico pinned to CPUs $SUT_CPUS; wrk, upstream and Redis pinned to CPUs $LOAD_CPUS;" \
    "wrk -t1 -c$CONNECTIONS -d$DURATION, $ROUNDS rounds"
echo
printf '%-32s %12s %10s %10s\n' "route (best round)" "requests/s" "p50 ms" "p99 ms"
printf '%-32s %12s %10s %10s\n' "no policy" "$plain_rps" "$plain_p50" "$plain_p99"
printf '%-32s %12s %10s %10s\n' "rate-limit, local" "$local_rps" "$local_p50" "$local_p99"
printf '%-32s %12s %10s %10s\n' "rate-limit, cluster (Redis)" "$redis_rps" "$redis_p50" "$redis_p99"
echo
echo "local/no policy per round: $(echo "$local_ratios" | xargs)"
echo "Redis/no policy per round: $(echo "$redis_ratios" | xargs)"
awk -v p="$plain_rps" -v l="$local_rps" -v r="$redis_rps" \
    -v lm="$(echo "$local_ratios" | median)" -v rm="$(echo "$redis_ratios" | median)" 'BEGIN {
    printf "throughput ratio local/no policy: %.3f of the best rounds, %.3f median of the rounds\n", l / p, lm
    printf "throughput ratio Redis/no policy: %.3f of the best rounds, %.3f median of the rounds\n", r / p, rm
}'
