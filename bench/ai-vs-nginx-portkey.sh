#!/usr/bin/env bash
# Measures Portico's AI gateway against nginx and the Portkey gateway in front of the same mock provider, on
# loopback only.
#
# The request is a non-streamed OpenAI chat completion. The mock provider is nginx returning a fixed
# chat.completion document with usage for POST /v1/chat/completions. Systems under test:
#   - nginx proxying the request to the mock unchanged (no parsing: the floor any proxy pays);
#   - Portico with an `ai: {}` route, a virtual model "bench" and an openai-compatible provider at the mock;
#   - the Portkey gateway (Node.js), routed with x-portkey-provider: openai and x-portkey-custom-host.
# Each runs pinned to SUT_CPUS; wrk, fixed-rate and the mock share LOAD_CPUS. The script checks that every
# system returns 200 with the mock's completion, warms Portico up, then measures:
#   1. full load with wrk -t1 -c$CONNECTIONS, alternating the systems for ROUNDS rounds and keeping each one's
#      best round. Each system's CPU time per request is read from /proc, which stays comparable when other
#      load on the machine lowers every rate;
#   2. p50 and p99 at a fixed rate of half Portico's best with bench/loadgen/fixed-rate (open loop), for the
#      mock alone, nginx, Portico and Portkey. Portkey is measured at half its own best when it cannot sustain
#      that rate, and the output states it.
# Needs: nginx, wrk, gcc, curl, taskset, ss, java, mvn, node and npm. The Portkey gateway is installed with npm
# into PORTKEY_DIR when missing. Every process the script starts is stopped by PID when it exits.
# PORTICO_TRANSPORT (auto, epoll, io_uring or nio) sets Portico's network transport, the node default when
# unset; the "Machine:" line names the transport Portico ran on.
set -euo pipefail

DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-30s}
PORTKEY_WARMUP=${PORTKEY_WARMUP:-10s}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-3}
RATE_CONNECTIONS=${RATE_CONNECTIONS:-64}
SUT_CPUS=${SUT_CPUS:-0}
LOAD_CPUS=${LOAD_CPUS:-1}
MOCK_PORT=${MOCK_PORT:-18461}
NGINX_PORT=${NGINX_PORT:-18462}
PORTICO_PORT=${PORTICO_PORT:-18463}
PORTKEY_PORT=${PORTKEY_PORT:-18464}
ADMIN_PORT=${ADMIN_PORT:-19463}
PORTKEY_VERSION=${PORTKEY_VERSION:-1.15.2}
PORTKEY_DIR=${PORTKEY_DIR:-/tmp/portico-bench-portkey}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/transport.sh
source "$root/bench/lib/transport.sh"
# shellcheck source=lib/nginx.sh
source "$root/bench/lib/nginx.sh"
work="$(mktemp -d /tmp/portico-ai-bench.XXXXXX)"
pids=()

cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap cleanup EXIT

fail() {
    echo "$*" >&2
    exit 1
}

for tool in nginx wrk java mvn curl taskset gcc node npm ss pgrep getconf; do
    command -v "$tool" >/dev/null || fail "missing tool: $tool"
done
for port in "$MOCK_PORT" "$NGINX_PORT" "$PORTICO_PORT" "$PORTKEY_PORT" "$ADMIN_PORT"; do
    [[ -z "$(ss -Hltn "sport = :$port")" ]] || fail "port $port is already in use; choose other ports (see the variables at the top)"
done

# ---- Request, mock response and the systems' configuration ----

reply="Hello! This is the benchmark mock."
body_file="$work/request.json"
printf '%s' '{"model":"bench","messages":[{"role":"user","content":"Hello"}]}' > "$body_file"
completion='{"id":"chatcmpl-bench","object":"chat.completion","created":1764806400,"model":"bench-model",'
completion+='"choices":[{"index":0,"message":{"role":"assistant","content":"'"$reply"'"},"logprobs":null,'
completion+='"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":9,"total_tokens":18}}'

portkey_headers=(-H "x-portkey-provider: openai" -H "x-portkey-custom-host: http://127.0.0.1:$MOCK_PORT/v1")
auth_header=(-H "Authorization: Bearer bench-key")

write_nginx_conf mock "server { listen 127.0.0.1:$MOCK_PORT;
    location = /v1/chat/completions { default_type application/json; return 200 '$completion'; } }"
write_nginx_conf proxy "upstream mock { server 127.0.0.1:$MOCK_PORT; keepalive 64; }
    server { listen 127.0.0.1:$NGINX_PORT; location / { proxy_pass http://mock; proxy_http_version 1.1;
    proxy_set_header Connection \"\"; proxy_set_header Host \$host; proxy_set_header X-Forwarded-For \$remote_addr; } }"

cat > "$work/node.yaml" <<YAML
http: {host: 127.0.0.1, port: $PORTICO_PORT}
https: {host: 127.0.0.1, port: 0}
admin: {host: 127.0.0.1, port: $ADMIN_PORT}
dataDirectory: $work/portico-data
accessLog: false
YAML
cat > "$work/ai.yaml" <<YAML
providers:
  - name: mock
    type: openai-compatible
    baseUrl: http://127.0.0.1:$MOCK_PORT/v1
models:
  - name: bench
    strategy: fallback
    targets:
      - {provider: mock, model: bench-model}
routes:
  - name: ai
    paths: [/v1]
    ai: {}
YAML

# ---- Builds and installs ----

jar="$root/target/portico.jar"
if [[ ! -f "$jar" || -n "$(find "$root/pom.xml" "$root/src/main" -newer "$jar" -print -quit)" ]]; then
    echo "Building Portico (mvn package, tests skipped)..."
    (cd "$root" && mvn -q -B -DskipTests package)
fi
portkey_server="$PORTKEY_DIR/node_modules/@portkey-ai/gateway/build/start-server.js"
if [[ ! -f "$portkey_server" ]]; then
    echo "Installing the Portkey gateway $PORTKEY_VERSION into $PORTKEY_DIR..."
    mkdir -p "$PORTKEY_DIR"
    npm install --prefix "$PORTKEY_DIR" --no-audit --no-fund --loglevel=error "@portkey-ai/gateway@$PORTKEY_VERSION"
fi
portkey_version=$(node -p "require('$PORTKEY_DIR/node_modules/@portkey-ai/gateway/package.json').version")
gcc -O2 -o "$work/fixed-rate" "$root/bench/loadgen/fixed-rate.c" -lm

# ---- Start everything ----

taskset -c "$LOAD_CPUS" nginx -c "$work/mock/nginx.conf" & pids+=($!)
mock_pid=$!
taskset -c "$SUT_CPUS" nginx -c "$work/proxy/nginx.conf" & pids+=($!)
nginx_pid=$!

token="bench-$(date +%s)-$RANDOM"
PORTICO_ADMIN_TOKEN="$token" taskset -c "$SUT_CPUS" java ${PORTICO_JAVA_OPTS:--Xms512m -Xmx512m} -jar "$jar" \
    serve --config "$work/node.yaml" > "$work/portico.log" 2>&1 & pids+=($!)
portico_pid=$!

# start-server.js has no option for its listen address, so loopback-only.cjs makes it bind to 127.0.0.1.
(cd "$work" && NODE_ENV=production exec taskset -c "$SUT_CPUS" node -r "$root/bench/ai/loopback-only.cjs" \
    "$portkey_server" --port="$PORTKEY_PORT" --headless) > "$work/portkey.log" 2>&1 & pids+=($!)
portkey_pid=$!

for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$ADMIN_PORT/health/ready" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fs "http://127.0.0.1:$ADMIN_PORT/health/ready" >/dev/null || fail "Portico did not become ready; see $work/portico.log"
PORTICO_ADMIN_TOKEN="$token" java -jar "$jar" apply -f "$work/ai.yaml" --admin-url "http://127.0.0.1:$ADMIN_PORT" \
    > "$work/apply.out" || fail "portico apply failed: $(cat "$work/apply.out")"

for _ in $(seq 1 100); do
    ss -Hltn "sport = :$PORTKEY_PORT" | grep -q . && break
    sleep 0.2
done
listeners=$(ss -Hltn "sport = :$PORTKEY_PORT" | awk '{print $4}')
[[ -n "$listeners" ]] || fail "the Portkey gateway is not listening on port $PORTKEY_PORT; see $work/portkey.log"
[[ "$listeners" == "127.0.0.1:$PORTKEY_PORT" ]] || fail "the Portkey gateway listens on $listeners, not on loopback only"

# ---- Check the responses before measuring anything ----

# Prints the body of one chat completion sent to `port`, failing unless it is a 200 with the mock's reply.
check_completion() {
    local name=$1 port=$2
    shift 2
    local status
    status=$(curl -sS -o "$work/check.json" -D "$work/check.headers" -w '%{http_code}' \
        "http://127.0.0.1:$port/v1/chat/completions" -H "Content-Type: application/json" "${auth_header[@]}" "$@" \
        --data-binary "@$body_file") || fail "$name: the request failed"
    [[ "$status" == 200 ]] || fail "$name: expected status 200, got $status: $(head -c 500 "$work/check.json")"
    grep -q '"chat.completion"' "$work/check.json" && grep -qF "$reply" "$work/check.json" \
        && grep -q '"total_tokens"' "$work/check.json" \
        || fail "$name: the body is not the mock's chat completion: $(head -c 500 "$work/check.json")"
    echo "$name: 200, $(wc -c < "$work/check.json") bytes"
}
echo
check_completion "mock" "$MOCK_PORT"
check_completion "nginx" "$NGINX_PORT"
check_completion "portico" "$PORTICO_PORT"
grep -qi '^x-portico-provider: mock' "$work/check.headers" || fail "portico: the response did not come from the mock"
echo "portico: $(grep -i '^x-portico-\(provider\|model\|input-tokens\|output-tokens\)' "$work/check.headers" \
    | tr -d '\r' | paste -sd ' ')"
check_completion "portkey" "$PORTKEY_PORT" "${portkey_headers[@]}"

# ---- Full load ----

clock_ticks=$(getconf CLK_TCK)

# Prints the CPU time, in clock ticks, used so far by process `pid` and its children (the nginx workers).
cpu_ticks() {
    local pid=$1 total=0 process
    for process in "$pid" $(pgrep -P "$pid" || true); do
        # Fields 14 and 15 of /proc/PID/stat are the user and system time of all the process's threads.
        [[ -r "/proc/$process/stat" ]] && total=$(( total + $(awk '{ print $14 + $15 }' "/proc/$process/stat") ))
    done
    echo "$total"
}

# Prints "requests_per_second p50_ms p99_ms non_2xx socket_errors cpu_us_per_request" for one wrk run against
# `port`; the CPU time is that of process `pid`.
run_wrk() {
    local port=$1 duration=$2 pid=$3
    shift 3
    local ticks_before ticks
    ticks_before=$(cpu_ticks "$pid")
    BENCH_BODY_FILE="$body_file" taskset -c "$LOAD_CPUS" wrk -t1 -c"$CONNECTIONS" -d"$duration" --latency \
        -s "$root/bench/ai/chat.lua" "${auth_header[@]}" "$@" "http://127.0.0.1:$port/v1/chat/completions" \
        > "$work/wrk.out"
    ticks=$(( $(cpu_ticks "$pid") - ticks_before ))
    awk -v ticks="$ticks" -v hz="$clock_ticks" '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /Requests\/sec/ { rps = $2 }
        / requests in / { requests = $1 }
        $1 == "50.000%" || $1 == "50%" { p50 = ms($2) }
        $1 == "99.000%" || $1 == "99%" { p99 = ms($2) }
        /Non-2xx or 3xx responses:/ { non2xx = $NF }
        /Socket errors:/ { gsub(",", ""); errors = $4 + $6 + $8 + $10 }
        END { printf "%.0f %.3f %.3f %d %d %.1f\n", rps, p50, p99, non2xx, errors,
                     (requests > 0 ? ticks / hz * 1e6 / requests : 0) }' "$work/wrk.out"
}

echo
echo "Warming up Portico for $WARMUP and Portkey for $PORTKEY_WARMUP..."
run_wrk "$PORTICO_PORT" "$WARMUP" "$portico_pid" > /dev/null
run_wrk "$PORTKEY_PORT" "$PORTKEY_WARMUP" "$portkey_pid" "${portkey_headers[@]}" > /dev/null

best() { sort -n -k1 | tail -1; }
nginx_runs=(); portico_runs=(); portkey_runs=()
for round in $(seq 1 "$ROUNDS"); do
    nginx_runs+=("$(run_wrk "$NGINX_PORT" "$DURATION" "$nginx_pid")")
    portico_runs+=("$(run_wrk "$PORTICO_PORT" "$DURATION" "$portico_pid")")
    portkey_runs+=("$(run_wrk "$PORTKEY_PORT" "$DURATION" "$portkey_pid" "${portkey_headers[@]}")")
    echo "round $round: nginx ${nginx_runs[-1]%% *}, portico ${portico_runs[-1]%% *}," \
        "portkey ${portkey_runs[-1]%% *} requests/s"
done
nginx_max=$(printf '%s\n' "${nginx_runs[@]}" | best)
portico_max=$(printf '%s\n' "${portico_runs[@]}" | best)
portkey_max=$(printf '%s\n' "${portkey_runs[@]}" | best)
mock_max=$(run_wrk "$MOCK_PORT" "$DURATION" "$mock_pid")

# ---- Fixed rate ----

rate=$(( ${portico_max%% *} / 2 ))
(( rate >= 1 )) || fail "Portico's best throughput was ${portico_max%% *} requests/s; no fixed rate to measure at"
portkey_rate=$rate
(( ${portkey_max%% *} >= rate )) || portkey_rate=$(( ${portkey_max%% *} / 2 ))
(( portkey_rate >= 1 )) || portkey_rate=1
rate_seconds=${DURATION%s}

# Prints "achieved_rate p50_ms p99_ms non_2xx errors" for one fixed-rate run against `port` at `target_rate`.
run_fixed_rate() {
    local port=$1 target_rate=$2
    shift 2
    local extra=() header
    for header in "$@"; do
        [[ "$header" == -H ]] || extra+=(-e "$header")
    done
    taskset -c "$LOAD_CPUS" "$work/fixed-rate" -a "127.0.0.1:$port" -p /v1/chat/completions -r "$target_rate" \
        -c "$RATE_CONNECTIONS" -d "$rate_seconds" -w 3 -b "$body_file" -e "Content-Type: application/json" \
        -e "Authorization: Bearer bench-key" "${extra[@]}" > "$work/fixed.out" 2> "$work/fixed.err" || true
    tail -n 1 "$work/fixed.out" | tr ' ' '\n' | awk -F= '
        $1 == "achieved_rate" { rps = $2 } $1 == "p50_ms" { p50 = $2 } $1 == "p99_ms" { p99 = $2 }
        $1 == "non_2xx" { non2xx = $2 } $1 == "errors" { errors = $2 }
        END { printf "%.0f %.3f %.3f %d %d\n", rps, p50, p99, non2xx, errors }'
}
echo "Fixed rate: $rate requests/s (Portkey: $portkey_rate requests/s)..."
mock_rate=$(run_fixed_rate "$MOCK_PORT" "$rate")
nginx_rate=$(run_fixed_rate "$NGINX_PORT" "$rate")
portico_rate=$(run_fixed_rate "$PORTICO_PORT" "$rate")
portkey_fixed=$(run_fixed_rate "$PORTKEY_PORT" "$portkey_rate" "${portkey_headers[@]}")
mock_portkey_rate=$mock_rate
if (( portkey_rate != rate )); then
    mock_portkey_rate=$(run_fixed_rate "$MOCK_PORT" "$portkey_rate")
fi

# ---- Report ----

echo
transport=$(portico_transport "$work/portico.log")
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(uname -sr); $transport; $(date -u +%F)"
echo "Versions: $(nginx -v 2>&1 | cut -d' ' -f3), $(java -version 2>&1 | head -1), Portkey gateway $portkey_version," \
    "node $(node --version), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "Systems pinned to CPUs $SUT_CPUS; load generators and mock pinned to CPUs $LOAD_CPUS"
echo "Full load: wrk -t1 -c$CONNECTIONS -d$DURATION, best of $ROUNDS rounds; request: POST /v1/chat/completions," \
    "$(wc -c < "$body_file") bytes"
echo
row() { printf '%-34s %12s %10s %10s %9s %8s %11s\n' "$@"; }
row "full load" "requests/s" "p50 ms" "p99 ms" "non-2xx" "errors" "cpu us/req"
row "mock alone" $mock_max
row "nginx proxy" $nginx_max
row "portico ai" $portico_max
row "portkey gateway" $portkey_max
echo
row "fixed rate (open loop, $RATE_CONNECTIONS conns)" "achieved/s" "p50 ms" "p99 ms" "non-2xx" "errors"
row "mock alone at $rate/s" $mock_rate
row "nginx proxy at $rate/s" $nginx_rate
row "portico ai at $rate/s" $portico_rate
if (( portkey_rate != rate )); then
    row "mock alone at $portkey_rate/s" $mock_portkey_rate
    row "portkey gateway at $portkey_rate/s" $portkey_fixed
    echo "Portkey's best (${portkey_max%% *}/s) is below $rate/s, so it was measured at half its own best."
else
    row "portkey gateway at $rate/s" $portkey_fixed
fi
echo "cpu us/req: CPU time (user and system, all threads) of the system under test per request in its best round."
echo
read -r p_rps _ <<< "$portico_max"
read -r n_rps _ <<< "$nginx_max"
read -r k_rps _ <<< "$portkey_max"
read -r _ m_p50 _ <<< "$mock_rate"
read -r _ n_p50 _ <<< "$nginx_rate"
read -r _ pr_p50 _ <<< "$portico_rate"
read -r _ mk_p50 _ <<< "$mock_portkey_rate"
read -r _ k_p50 _ <<< "$portkey_fixed"
awk -v p="$p_rps" -v n="$n_rps" -v k="$k_rps" -v mp="$m_p50" -v np="$n_p50" -v pp="$pr_p50" \
    -v mkp="$mk_p50" -v kp="$k_p50" 'BEGIN {
    printf "throughput ratio portico/nginx:   %.3f\n", p / n
    printf "throughput ratio portico/portkey: %.1f\n", (k > 0 ? p / k : 0)
    printf "median added latency over the mock at the fixed rate: portico %.3f ms, nginx %.3f ms, portkey %.3f ms\n",
        pp - mp, np - mp, kp - mkp
}'
for result in "$mock_max" "$nginx_max" "$portico_max" "$portkey_max" "$mock_rate" "$nginx_rate" "$portico_rate" \
    "$portkey_fixed"; do
    read -r _ _ _ non2xx errors _ <<< "$result"
    if (( non2xx > 0 || errors > 0 )); then
        echo "WARNING: some runs had non-2xx responses or errors (see the tables); their numbers are suspect."
        break
    fi
done
