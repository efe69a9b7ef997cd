#!/usr/bin/env bash
# Measures how close an AI gateway on Portico's stack can come to nginx on this machine, next to Portico, on
# loopback only.
#
# Three systems run in front of the same nginx mock provider, which returns a fixed chat.completion document for
# POST /v1/chat/completions, each pinned to SUT_CPUS, while wrk and the mock share LOAD_CPUS. They are nginx proxying
# the request unchanged (one worker, keep-alive pool of 64), bench/floor/VertxAiProxy.java (Vert.x's HTTP server,
# Jackson trees for the request and the completion, and Portico's upstream client, nothing else) and Portico (an
# `ai: {}` route, a virtual model and an openai-compatible provider at the mock, access log off). The load is the
# 64-byte OpenAI chat request of bench/ai-vs-nginx-portkey.sh. After warming up the JVMs, the script runs
# `wrk -t1 -cCONNECTIONS` against each system in turn for ROUNDS rounds. It prints each round's requests/s and CPU
# time per request (user and system time of the process, from /proc). It then prints each system's best round and
# its ratio to nginx's best. Needs: nginx, wrk, java, mvn, curl, taskset. Every process it starts is stopped by PID when it
# exits.
set -euo pipefail

DURATION=${DURATION:-8s}
WARMUP=${WARMUP:-30s}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-3}
SUT_CPUS=${SUT_CPUS:-0}
LOAD_CPUS=${LOAD_CPUS:-1}
MOCK_PORT=${MOCK_PORT:-18381}
NGINX_PORT=${NGINX_PORT:-18382}
VERTX_PORT=${VERTX_PORT:-18383}
PORTICO_PORT=${PORTICO_PORT:-18384}
ADMIN_PORT=${ADMIN_PORT:-19384}
JAR=${JAR:-}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/nginx.sh
source "$root/bench/lib/nginx.sh"
work="$(mktemp -d /tmp/portico-ai-floor.XXXXXX)"
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

reply="Hello! This is the benchmark mock."
body_file="$work/request.json"
printf '%s' '{"model":"bench","messages":[{"role":"user","content":"Hello"}]}' > "$body_file"
export BENCH_BODY_FILE="$body_file"
completion='{"id":"chatcmpl-bench","object":"chat.completion","created":1764806400,"model":"bench-model",'
completion+='"choices":[{"index":0,"message":{"role":"assistant","content":"'"$reply"'"},"logprobs":null,'
completion+='"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":9,"total_tokens":18}}'
write_nginx_conf mock "server { listen 127.0.0.1:$MOCK_PORT;
    location = /v1/chat/completions { default_type application/json; return 200 '$completion'; } }"
write_nginx_conf proxy "upstream mock { server 127.0.0.1:$MOCK_PORT; keepalive 64; }
    server { listen 127.0.0.1:$NGINX_PORT; location / { proxy_pass http://mock; proxy_http_version 1.1;
    proxy_set_header Connection \"\"; proxy_set_header Host \$host; proxy_set_header X-Forwarded-For \$remote_addr; } }"

jar="${JAR:-$root/target/portico.jar}"
if [[ ! -f "$jar" ]]; then
    (cd "$root" && mvn -q -B -DskipTests package)
fi

taskset -c "$LOAD_CPUS" nginx -c "$work/mock/nginx.conf" & pids+=($!)
taskset -c "$SUT_CPUS" nginx -c "$work/proxy/nginx.conf" & nginx_pid=$!; pids+=($nginx_pid)
# With "daemon off" and one worker, nginx runs a master and a worker, and the worker does the proxying.
taskset -c "$SUT_CPUS" java -Xms512m -Xmx512m -cp "$jar" "$root/bench/floor/VertxAiProxy.java" "$VERTX_PORT" \
    "$MOCK_PORT" > "$work/VertxAiProxy.log" 2>&1 &
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
    -H "Content-Type: application/json" -d "{\"providers\":[{\"name\":\"mock\",\"type\":\"openai-compatible\",
    \"baseUrl\":\"http://127.0.0.1:$MOCK_PORT/v1\"}],
    \"models\":[{\"name\":\"bench\",\"strategy\":\"fallback\",
    \"targets\":[{\"provider\":\"mock\",\"model\":\"bench-model\"}]}],
    \"routes\":[{\"name\":\"ai\",\"paths\":[\"/v1\"],\"ai\":{}}]}" > /dev/null

names=(nginx Vert.x Portico)
ports=("$NGINX_PORT" "$VERTX_PORT" "$PORTICO_PORT")
sleep 1
# The nginx worker is the master's only child.
nginx_worker=$(pgrep -P "$nginx_pid" | head -1)
procs=("$nginx_worker" "$vertx_pid" "$portico_pid")

# Prints the response of the system on port $1 to the benchmark request.
ask() {
    curl -fs "http://127.0.0.1:$1/v1/chat/completions" -H "Content-Type: application/json" \
        -H "Authorization: Bearer bench-key" --data-binary "@$body_file"
}
for i in "${!ports[@]}"; do
    for _ in $(seq 1 100); do
        ask "${ports[$i]}" | grep -qF "$reply" && break
        sleep 0.2
    done
    ask "${ports[$i]}" | grep -qF "$reply" || { echo "${names[$i]} does not return the mock's completion" >&2; exit 1; }
done
wrk_options=(-s "$root/bench/ai/chat.lua" -H "Authorization: Bearer bench-key")
for i in 1 2; do
    taskset -c "$LOAD_CPUS" wrk -t1 -c"$CONNECTIONS" -d"$WARMUP" "${wrk_options[@]}" \
        "http://127.0.0.1:${ports[$i]}/v1/chat/completions" > /dev/null
done

cpu_ticks() {
    awk '{print $14 + $15}' "/proc/$1/stat"
}

echo "Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),"\
    "Linux $(uname -r), $(java -version 2>&1 | head -1), $(nginx -v 2>&1 | cut -d/ -f2)"
echo "Command: DURATION=$DURATION WARMUP=$WARMUP CONNECTIONS=$CONNECTIONS ROUNDS=$ROUNDS bench/ai-floor.sh"
best=(0 0 0)
ticks_per_second=$(getconf CLK_TCK)
for round in $(seq 1 "$ROUNDS"); do
    for i in "${!ports[@]}"; do
        before=$(cpu_ticks "${procs[$i]}")
        out=$(taskset -c "$LOAD_CPUS" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" "${wrk_options[@]}" \
            "http://127.0.0.1:${ports[$i]}/v1/chat/completions")
        after=$(cpu_ticks "${procs[$i]}")
        requests=$(echo "$out" | awk '/requests in/ {print $1}')
        rate=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
        errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
        micros=$(awk -v t="$((after - before))" -v r="$requests" -v hz="$ticks_per_second" \
            'BEGIN { printf "%.2f", t * 1000000 / hz / r }')
        printf 'round %d  %-8s %10.0f requests/s  %6s us CPU/request  %s\n' "$round" "${names[$i]}" "$rate" \
            "$micros" "$errors"
        if awk -v a="$rate" -v b="${best[$i]}" 'BEGIN { exit !(a > b) }'; then
            best[$i]=$rate
        fi
    done
done
echo
for i in "${!ports[@]}"; do
    awk -v n="${names[$i]}" -v r="${best[$i]}" -v base="${best[0]}" \
        'BEGIN { printf "best %-8s %10.0f requests/s  ratio to nginx %.3f\n", n, r, r / base }'
done
