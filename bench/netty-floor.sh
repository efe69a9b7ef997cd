#!/usr/bin/env bash
# Measures how close a JVM proxy on Netty can come to nginx on this machine, next to Portico, on loopback only.
#
# Five reverse proxies run in front of the same nginx upstream, each pinned to SUT_CPUS, while wrk and the upstream
# share LOAD_CPUS. They are nginx (one worker, keep-alive pool of 64), bench/floor/ByteProxy.java (Netty's transport
# without an HTTP codec), bench/floor/CodecProxy.java (Netty's HTTP/1.1 codec and nothing else),
# bench/floor/VertxProxy.java (Vert.x's HTTP server and Portico's upstream client, nothing else) and Portico (one
# route, access log off). The Netty floor proxies use the Netty version of Portico's build, the Vert.x one runs
# from Portico's jar. After warming up the
# JVMs, the script runs `wrk -t1 -cCONNECTIONS` against each proxy in turn for ROUNDS rounds. It prints each round's
# requests/s and CPU time per request (user and system time of the process, from /proc). It then prints each
# proxy's best round and its ratio to nginx's best. Needs: nginx, wrk, java, mvn, curl, taskset. Every process it
# starts is stopped by PID when it exits.
set -euo pipefail

DURATION=${DURATION:-8s}
WARMUP=${WARMUP:-30s}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-3}
SUT_CPUS=${SUT_CPUS:-0}
LOAD_CPUS=${LOAD_CPUS:-1}
UPSTREAM_PORT=${UPSTREAM_PORT:-18281}
NGINX_PORT=${NGINX_PORT:-18282}
BYTE_PORT=${BYTE_PORT:-18283}
CODEC_PORT=${CODEC_PORT:-18284}
VERTX_PORT=${VERTX_PORT:-18286}
PORTICO_PORT=${PORTICO_PORT:-18285}
ADMIN_PORT=${ADMIN_PORT:-19285}
JAR=${JAR:-}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/nginx.sh
source "$root/bench/lib/nginx.sh"
work="$(mktemp -d /tmp/portico-floor.XXXXXX)"
pids=()

cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap cleanup EXIT

for tool in nginx wrk java mvn curl taskset; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool (apt-get install nginx-light wrk)" >&2; exit 1; }
done

write_nginx_conf upstream "server { listen 127.0.0.1:$UPSTREAM_PORT;
    location / { return 200 'hello from upstream\n'; } }"
write_nginx_conf proxy "upstream app { server 127.0.0.1:$UPSTREAM_PORT; keepalive 64; }
    server { listen 127.0.0.1:$NGINX_PORT; location / { proxy_pass http://app; proxy_http_version 1.1;
    proxy_set_header Connection \"\"; proxy_set_header Host \$host; proxy_set_header X-Forwarded-For \$remote_addr; } }"

jar="${JAR:-$root/target/portico.jar}"
if [[ ! -f "$jar" ]]; then
    (cd "$root" && mvn -q -B -DskipTests package)
fi
(cd "$root" && mvn -q -B dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile="$work/classpath")

taskset -c "$LOAD_CPUS" nginx -c "$work/upstream/nginx.conf" & pids+=($!)
taskset -c "$SUT_CPUS" nginx -c "$work/proxy/nginx.conf" & nginx_pid=$!; pids+=($nginx_pid)
# With "daemon off" and one worker, nginx runs a master and a worker, and the worker does the proxying.
for floor in ByteProxy:"$BYTE_PORT" CodecProxy:"$CODEC_PORT"; do
    taskset -c "$SUT_CPUS" java -Xms512m -Xmx512m -cp "$(cat "$work/classpath")" \
        "$root/bench/floor/${floor%%:*}.java" "${floor##*:}" "$UPSTREAM_PORT" > "$work/${floor%%:*}.log" 2>&1 &
    pids+=($!)
done
byte_pid=${pids[-2]}
codec_pid=${pids[-1]}
taskset -c "$SUT_CPUS" java -Xms512m -Xmx512m -cp "$jar" "$root/bench/floor/VertxProxy.java" "$VERTX_PORT" \
    "$UPSTREAM_PORT" > "$work/VertxProxy.log" 2>&1 &
vertx_pid=$!; pids+=($vertx_pid)

token="bench-$(date +%s)-$RANDOM"
PORTICO_ADMIN_TOKEN="$token" PORTICO_ACCESS_LOG_LEVEL=WARN taskset -c "$SUT_CPUS" \
    java ${PORTICO_JAVA_OPTS:--Xms512m -Xmx512m} -jar "$jar" serve --http-port "$PORTICO_PORT" --https-port 0 \
    --admin-port "$ADMIN_PORT" --data-dir "$work/portico" > "$work/portico.log" 2>&1 &
portico_pid=$!; pids+=($portico_pid)
for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$ADMIN_PORT/health/ready" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fsS -X POST "http://127.0.0.1:$ADMIN_PORT/admin/v1/config/apply" -H "Authorization: Bearer $token" \
    -H "Content-Type: application/json" -d "{\"services\":[{\"name\":\"app\",
    \"targets\":[{\"host\":\"127.0.0.1\",\"port\":$UPSTREAM_PORT}]}],
    \"routes\":[{\"name\":\"app\",\"service\":\"app\",\"paths\":[\"/\"]}]}" > /dev/null

names=(nginx byte-level codec Vert.x Portico)
ports=("$NGINX_PORT" "$BYTE_PORT" "$CODEC_PORT" "$VERTX_PORT" "$PORTICO_PORT")
# The nginx worker is the master's only child.
sleep 1
nginx_worker=$(pgrep -P "$nginx_pid" | head -1)
procs=("$nginx_worker" "$byte_pid" "$codec_pid" "$vertx_pid" "$portico_pid")

for i in "${!ports[@]}"; do
    for _ in $(seq 1 100); do
        curl -fs "http://127.0.0.1:${ports[$i]}/" | grep -q 'hello from upstream' && break
        sleep 0.2
    done
    curl -fs "http://127.0.0.1:${ports[$i]}/" | grep -q 'hello from upstream' \
        || { echo "${names[$i]} does not relay the upstream's response" >&2; exit 1; }
done
for i in 1 2 3 4; do
    taskset -c "$LOAD_CPUS" wrk -t1 -c"$CONNECTIONS" -d"$WARMUP" "http://127.0.0.1:${ports[$i]}/" > /dev/null
done

cpu_ticks() {
    awk '{print $14 + $15}' "/proc/$1/stat"
}

echo "Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),"\
    "Linux $(uname -r), $(java -version 2>&1 | head -1), $(nginx -v 2>&1 | cut -d/ -f2)"
echo "Command: DURATION=$DURATION WARMUP=$WARMUP CONNECTIONS=$CONNECTIONS ROUNDS=$ROUNDS bench/netty-floor.sh"
best=(0 0 0 0 0)
ticks_per_second=$(getconf CLK_TCK)
for round in $(seq 1 "$ROUNDS"); do
    for i in "${!ports[@]}"; do
        before=$(cpu_ticks "${procs[$i]}")
        out=$(taskset -c "$LOAD_CPUS" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" "http://127.0.0.1:${ports[$i]}/")
        after=$(cpu_ticks "${procs[$i]}")
        requests=$(echo "$out" | awk '/requests in/ {print $1}')
        rate=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
        errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
        micros=$(awk -v t="$((after - before))" -v r="$requests" -v hz="$ticks_per_second" \
            'BEGIN { printf "%.2f", t * 1000000 / hz / r }')
        printf 'round %d  %-10s %10.0f requests/s  %6s us CPU/request  %s\n' "$round" "${names[$i]}" "$rate" \
            "$micros" "$errors"
        if awk -v a="$rate" -v b="${best[$i]}" 'BEGIN { exit !(a > b) }'; then
            best[$i]=$rate
        fi
    done
done
echo
for i in "${!ports[@]}"; do
    awk -v n="${names[$i]}" -v r="${best[$i]}" -v base="${best[0]}" \
        'BEGIN { printf "best %-10s %10.0f requests/s  ratio to nginx %.3f\n", n, r, r / base }'
done
