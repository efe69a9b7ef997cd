#!/usr/bin/env bash
# Measures what the rate-limit and authentication policies cost per request on Portico's event-loop thread, in
# numbers that depend less on the machine's other load than throughput does, on loopback only.
#
# One Portico node (pinned to SUT_CPUS) serves the routes of bench/rate-limit.sh and bench/auth-overhead.sh in
# front of one nginx upstream. Redis and wrk are pinned to LOAD_CPUS. The routes are:
#
#   plain  no policy                          local  rate-limit, local mode, key client-address
#   redis  rate-limit, cluster mode (Redis)   many   rate-limit, local mode, key header:X-Bench-Key
#   key    key-auth                           hs     jwt, HS256              rs  jwt, RS256 (RSA 2048)
#
# No limit is ever reached. On /many, bench/policy-cost.lua sends each request with one of 10,000 keys, so the
# counters are looked up in a large map instead of one hot entry.
#
# For each route and round it reads the event-loop thread's utime+stime from /proc, runs wrk for DURATION and
# divides by the number of requests: CPU microseconds per request. Then, per route, one more run under a JFR
# recording gives the bytes that thread allocated per request (jdk.ThreadAllocationStatistics), which does not
# depend on the machine's load at all. BASELINE_JAR, when set, starts a second Portico from that jar beside the
# first, on the same CPUs, and measures it in the same rounds, so two builds are compared under the same load.
#
# REDIS_TIMEOUT (default 1s) replaces Portico's Redis command timeout of 50 ms, which a loaded machine exceeds now
# and then; each time, the cluster-mode route counts in memory for a second. The script reports such periods.
#
# PROFILE=DIR adds one more run per route and build under a JFR recording with the "profile" settings (CPU and
# allocation sampling) and keeps it as DIR/BUILD-ROUTE.jfr, for `jfr print` or JDK Mission Control.
#
# Needs: nginx, wrk, java, jcmd, jfr, mvn, curl, openssl, taskset, unzip; redis-server when installed, otherwise
# the Redis binary inside the embedded-redis test dependency. Every process it starts is stopped by PID on exit.
set -euo pipefail

DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-20s}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-3}
ROUTES=${ROUTES:-plain local redis many key hs rs}
SUT_CPUS=${SUT_CPUS:-0}
LOAD_CPUS=${LOAD_CPUS:-1}
UPSTREAM_PORT=${UPSTREAM_PORT:-18391}
REDIS_PORT=${REDIS_PORT:-18392}
PORTICO_PORT=${PORTICO_PORT:-18393}
ADMIN_PORT=${ADMIN_PORT:-19393}
BASELINE_PORT=${BASELINE_PORT:-18394}
BASELINE_ADMIN_PORT=${BASELINE_ADMIN_PORT:-19394}
JAR=${JAR:-}
REDIS_TIMEOUT=${REDIS_TIMEOUT:-1s}
PROFILE=${PROFILE:-}
BASELINE_JAR=${BASELINE_JAR:-}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d /tmp/portico-policy-cost.XXXXXX)"
pids=()

cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap cleanup EXIT

for tool in nginx wrk java jcmd jfr mvn curl openssl taskset unzip; do
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
pem_json=$(awk '{printf "%s\\n", $0}' "$work/rsa.pub")

# Prints a rate-limit policy with key part $1 in mode $2 whose limit of a billion requests per second is never reached.
limit() {
    printf '{"name":"rate-limit","config":{"key":["%s"],"mode":"%s",%s}}' "$1" "$2" \
        '"limits":[{"name":"per-second","max":1000000000,"window":"1s"}]'
}
cat > "$work/config.json" <<JSON
{"teams": [{"name": "bench"}],
 "services": [{"name": "app", "targets": [{"host": "127.0.0.1", "port": $UPSTREAM_PORT}]}],
 "consumers": [{"name": "bench", "team": "bench"}],
 "credentials": [{"name": "bench-key", "consumer": "bench", "type": "key-auth", "key": "$api_key"}],
 "routes": [
   {"name": "plain", "service": "app", "paths": ["/plain"]},
   {"name": "local", "service": "app", "paths": ["/local"], "policies": [$(limit client-address local)]},
   {"name": "redis", "service": "app", "paths": ["/redis"], "policies": [$(limit client-address cluster)]},
   {"name": "many", "service": "app", "paths": ["/many"], "policies": [$(limit header:X-Bench-Key local)]},
   {"name": "key", "service": "app", "paths": ["/key"], "policies": [{"name": "key-auth"}]},
   {"name": "hs", "service": "app", "paths": ["/hs"], "policies": [{"name": "jwt", "config":
     {"algorithms": ["HS256"], "keys": [{"secret": "$hs_secret"}], "consumerClaim": "sub"}}]},
   {"name": "rs", "service": "app", "paths": ["/rs"], "policies": [{"name": "jwt", "config":
     {"algorithms": ["RS256"], "keys": [{"pem": "$pem_json"}], "consumerClaim": "sub"}}]}]}
JSON

declare -A header=(
    [plain]="X-Bench: plain"
    [local]="X-Bench: local"
    [redis]="X-Bench: redis"
    [many]="X-Bench: many"
    [key]="apikey: $api_key"
    [hs]="Authorization: Bearer $hs_token"
    [rs]="Authorization: Bearer $rs_token")

jar="${JAR:-$root/target/portico.jar}"
if [[ ! -f "$jar" ]]; then
    (cd "$root" && mvn -q -B -DskipTests package)
fi
token="bench-$(date +%s)-$RANDOM"

# Starts Portico from jar $1 on port $2 with admin port $3 and data directory $4, and prints its PID.
start_portico() {
    PORTICO_ADMIN_TOKEN="$token" PORTICO_ACCESS_LOG_LEVEL=WARN PORTICO_REDIS_URL="redis://127.0.0.1:$REDIS_PORT" \
        PORTICO_REDIS_TIMEOUT="$REDIS_TIMEOUT" taskset -c "$SUT_CPUS" java ${PORTICO_JAVA_OPTS:--Xms512m -Xmx512m} -jar "$1" serve --http-port "$2" \
        --https-port 0 --admin-port "$3" --data-dir "$4" > "$4.log" 2>&1 &
    echo $!
}

# Waits for the Portico with admin port $1 to be ready, applies the configuration and checks every route on port $2.
configure_portico() {
    for _ in $(seq 1 300); do
        curl -fs "http://127.0.0.1:$1/health/ready" >/dev/null 2>&1 && break
        sleep 0.2
    done
    curl -fsS -X POST "http://127.0.0.1:$1/admin/v1/config/apply" -H "Authorization: Bearer $token" \
        -H "Content-Type: application/json" --data-binary "@$work/config.json" > /dev/null
    for route in $ROUTES; do
        status=$(curl -s -o /dev/null -w '%{http_code}' -H "${header[$route]}" "http://127.0.0.1:$2/$route")
        [[ "$status" == 200 ]] || { echo "route /$route on port $2 returned $status, expected 200" >&2; exit 1; }
    done
}

# Prints the TID of the first event-loop thread of the JVM with PID $1.
event_loop_thread() {
    for task in /proc/"$1"/task/*; do
        if [[ "$(cat "$task/comm")" == vert.x-eventloo* ]]; then
            echo "${task##*/}"
            return
        fi
    done
}

# Prints utime+stime in clock ticks of thread $2 of process $1.
cpu_ticks() {
    sed 's/^.*) //' "/proc/$1/task/$2/stat" | awk '{ print $12 + $13 }'
}

# Prints the number of requests of one wrk run against route $2 on port $1 for $3.
run_wrk() {
    local script=()
    [[ "$2" == many ]] && script=(-s "$root/bench/policy-cost.lua")
    taskset -c "$LOAD_CPUS" wrk -t1 -c"$CONNECTIONS" -d"$3" "${script[@]}" -H "${header[$2]}" \
        "http://127.0.0.1:$1/$2" > "$work/wrk.out"
    awk '/requests in/ { n = $1 } /Non-2xx/ { bad = $5 }
         END { if (bad > 0) { print "non-2xx responses: " bad > "/dev/stderr"; exit 1 } print n }' "$work/wrk.out"
}

# Prints the event loop's CPU microseconds per request for one run against route $4 of the Portico on port $1.
cpu_per_request() {
    local port=$1 pid=$2 tid=$3 route=$4 before after requests
    before=$(cpu_ticks "$pid" "$tid")
    requests=$(run_wrk "$port" "$route" "$DURATION")
    after=$(cpu_ticks "$pid" "$tid")
    awk -v n="$requests" -v b="$before" -v a="$after" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { printf "%.2f\n", (a - b) / hz * 1e6 / n }'
}

# Prints the bytes the event loop allocated per request during one run against route $4 of the Portico on port $1.
allocation_per_request() {
    local port=$1 pid=$2 route=$4 recording="$work/allocation-$2-$4.jfr" requests
    jcmd "$pid" JFR.start name=allocation settings=default filename="$recording" > /dev/null
    requests=$(run_wrk "$port" "$route" "$DURATION")
    jcmd "$pid" JFR.stop name=allocation > /dev/null
    # The event is written when the recording starts and stops; "allocated" precedes the thread's name.
    jfr print --json --events jdk.ThreadAllocationStatistics "$recording" | awk -v n="$requests" '
        /"allocated":/ { gsub(/[^0-9]/, "", $2); allocated = $2 }
        /"javaName": "vert.x-eventloop-thread-0"/ { if (first == "") first = allocated; last = allocated }
        END { printf "%.0f\n", (last - first) / n }'
}

builds=(portico)
declare -A port=([portico]=$PORTICO_PORT) pid=() loop=()
pid[portico]=$(start_portico "$jar" "$PORTICO_PORT" "$ADMIN_PORT" "$work/portico")
pids+=(${pid[portico]})
configure_portico "$ADMIN_PORT" "$PORTICO_PORT"
if [[ -n "$BASELINE_JAR" ]]; then
    builds+=(baseline)
    port[baseline]=$BASELINE_PORT
    pid[baseline]=$(start_portico "$BASELINE_JAR" "$BASELINE_PORT" "$BASELINE_ADMIN_PORT" "$work/baseline")
    pids+=(${pid[baseline]})
    configure_portico "$BASELINE_ADMIN_PORT" "$BASELINE_PORT"
fi
for build in "${builds[@]}"; do
    loop[$build]=$(event_loop_thread "${pid[$build]}")
    echo "Warming up $build for $WARMUP per route..."
    for route in $ROUTES; do
        run_wrk "${port[$build]}" "$route" "$WARMUP" > /dev/null
    done
done

echo
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%F)"
echo "Load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Portico pinned to CPUs $SUT_CPUS; wrk, upstream and Redis to CPUs $LOAD_CPUS; wrk -t1 -c$CONNECTIONS -d$DURATION"
echo "Event-loop CPU per request in microseconds, median of $ROUNDS rounds; bytes allocated per request by the"
echo "event loop in one more run"
echo
: > "$work/rounds"
for round in $(seq 1 "$ROUNDS"); do
    for route in $ROUTES; do
        for build in "${builds[@]}"; do
            echo "$build $route $(cpu_per_request "${port[$build]}" "${pid[$build]}" "${loop[$build]}" "$route")" \
                >> "$work/rounds"
        done
    done
done

printf '%-8s %-10s %14s %14s %16s\n' route build "loop us/req" "rounds" "bytes/req"
for route in $ROUTES; do
    for build in "${builds[@]}"; do
        values=$(awk -v b="$build" -v r="$route" '$1 == b && $2 == r { print $3 }' "$work/rounds" | sort -g)
        median=$(echo "$values" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
        bytes=$(allocation_per_request "${port[$build]}" "${pid[$build]}" "${loop[$build]}" "$route")
        printf '%-8s %-10s %14s %14s %16s\n' "$route" "$build" "$median" "$(echo $values | tr ' ' ',')" "$bytes"
    done
done

if [[ -n "$PROFILE" ]]; then
    mkdir -p "$PROFILE"
    for route in $ROUTES; do
        for build in "${builds[@]}"; do
            recording="$(cd "$PROFILE" && pwd)/$build-$route.jfr"
            jcmd "${pid[$build]}" JFR.start name=profile settings=profile filename="$recording" > /dev/null
            run_wrk "${port[$build]}" "$route" "$DURATION" > /dev/null
            jcmd "${pid[$build]}" JFR.stop name=profile > /dev/null
        done
    done
    echo "JFR recordings in $PROFILE"
fi

for build in "${builds[@]}"; do
    outages=$(grep -c "Redis at .* is unavailable" "$work/$build.log" || true)
    if [[ "$outages" -gt 0 ]]; then
        echo "warning: $build found Redis unavailable $outages times, and counted /redis in memory meanwhile" >&2
    fi
done
