#!/usr/bin/env bash
# Measures the CPU time that Portico and nginx each spend per proxied request, on loopback only.
#
# Throughput taken on a busy machine depends on what else runs, and CPU time per request depends less. Both
# proxies run pinned to SUT_CPUS in front of the same nginx upstream (pinned to LOAD_CPUS with wrk). For each
# round, the script reads the proxy's utime+stime from /proc/PID/stat, runs wrk for DURATION, reads it again and
# divides by the number of requests wrk completed. For Portico it also reports the event-loop thread alone, which
# leaves out JIT compilation and garbage collection threads. On one saturated core the throughput ratio of two
# proxies is close to the inverse ratio of their CPU time per request. The last lines give each proxy's median.
#
# RATE, when set, replaces wrk in the measured rounds with bench/loadgen/fixed-rate sending RATE requests/s on
# CONNECTIONS connections for DURATION. Below saturation each request is handled on its own rather than in
# batches, so the cost per request at that rate includes a wake-up of the event loop for most requests.
#
# ALLOCATION=1 adds one more wrk run of DURATION per Portico under a JFR recording and prints the bytes its
# event-loop thread allocated per request (from jdk.ThreadAllocationStatistics, which counts every allocation).
# Unlike CPU time, that number does not depend on what else the machine runs. Needs jcmd and jfr from the JDK.
#
# Warm-up runs wrk against each Portico in WARMUP_STEP runs until its JIT compiler threads used less than 2 % of
# its CPU time in the last run, or for at most WARMUP_MAX_SECONDS. NICE (for example -10, which needs root) runs
# every process of the benchmark at that priority, so other work on a shared machine interferes less.
#
# BASELINE_JAR, when set, names a second Portico jar (for example a build of an earlier commit) that runs beside
# the first on the same CPUs and is measured in the same rounds, so a change is compared under the same load. The
# two jars take turns at going first in a round. Two processes of one jar differed by up to 1 us per request in
# the same rounds, so a smaller difference needs repeated runs, each with new processes.
#
# Needs: nginx, wrk, java, mvn, curl, taskset, and gcc for RATE. Every process it starts is stopped by PID when it
# exits.
# PORTICO_TRANSPORT (auto, epoll, io_uring or nio) sets Portico's network transport, the node default when
# unset; the "Machine:" line names the transport Portico ran on.
#
# PATH_KIND selects the request path. "proxy" (the default) sends GET / through a plain proxy route to an nginx
# upstream that returns a short text. "ai" sets up what bench/ai-vs-nginx-portkey.sh measures: the upstream is an
# nginx mock provider returning a fixed chat.completion document for POST /v1/chat/completions, Portico has an
# `ai: {}` route with a virtual model "bench" and an openai-compatible provider at the mock, and the load is a POST
# of a 64-byte OpenAI chat request (bench/ai/chat.lua for wrk, -b and -e for fixed-rate). nginx proxies the same
# POST to the mock unchanged.
set -euo pipefail

DURATION=${DURATION:-10s}
WARMUP_STEP=${WARMUP_STEP:-5s}
WARMUP_MAX_SECONDS=${WARMUP_MAX_SECONDS:-180}
NICE=${NICE:-0}
RATE=${RATE:-}
ALLOCATION=${ALLOCATION:-0}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-3}
SUT_CPUS=${SUT_CPUS:-0}
LOAD_CPUS=${LOAD_CPUS:-1}
UPSTREAM_PORT=${UPSTREAM_PORT:-18181}
NGINX_PORT=${NGINX_PORT:-18182}
PORTICO_PORT=${PORTICO_PORT:-18183}
ADMIN_PORT=${ADMIN_PORT:-19183}
BASELINE_PORT=${BASELINE_PORT:-18184}
BASELINE_ADMIN_PORT=${BASELINE_ADMIN_PORT:-19184}
JAR=${JAR:-}
BASELINE_JAR=${BASELINE_JAR:-}
PATH_KIND=${PATH_KIND:-proxy}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/transport.sh
source "$root/bench/lib/transport.sh"
# shellcheck source=lib/nginx.sh
source "$root/bench/lib/nginx.sh"
work="$(mktemp -d /tmp/portico-cpu.XXXXXX)"
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
case "$PATH_KIND" in
    proxy | ai) ;;
    *) echo "invalid PATH_KIND: $PATH_KIND (expected proxy or ai)" >&2; exit 1 ;;
esac
if [[ -n "$RATE" ]] && ! command -v gcc >/dev/null; then
    echo "missing tool: gcc, which builds bench/loadgen/fixed-rate for RATE" >&2
    exit 1
fi

# The request path, the options that turn wrk's and fixed-rate's GET into the request of PATH_KIND, and the
# Portico configuration that serves it.
request_path=/
wrk_options=()
fixed_rate_options=()
token="bench-$(date +%s)-$RANDOM"
if [[ "$PATH_KIND" == ai ]]; then
    request_path=/v1/chat/completions
    body_file="$work/request.json"
    printf '%s' '{"model":"bench","messages":[{"role":"user","content":"Hello"}]}' > "$body_file"
    export BENCH_BODY_FILE="$body_file"
    reply="Hello! This is the benchmark mock."
    completion='{"id":"chatcmpl-bench","object":"chat.completion","created":1764806400,"model":"bench-model",'
    completion+='"choices":[{"index":0,"message":{"role":"assistant","content":"'"$reply"'"},"logprobs":null,'
    completion+='"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":9,"total_tokens":18}}'
    wrk_options=(-s "$root/bench/ai/chat.lua" -H "Authorization: Bearer bench-key")
    fixed_rate_options=(-b "$body_file" -e "Content-Type: application/json" -e "Authorization: Bearer bench-key")
    write_nginx_conf upstream "server { listen 127.0.0.1:$UPSTREAM_PORT;
        location = /v1/chat/completions { default_type application/json; return 200 '$completion'; } }"
    config="{\"providers\":[{\"name\":\"mock\",\"type\":\"openai-compatible\",
                             \"baseUrl\":\"http://127.0.0.1:$UPSTREAM_PORT/v1\"}],
             \"models\":[{\"name\":\"bench\",\"strategy\":\"fallback\",
                          \"targets\":[{\"provider\":\"mock\",\"model\":\"bench-model\"}]}],
             \"routes\":[{\"name\":\"ai\",\"paths\":[\"/v1\"],\"ai\":{}}]}"
else
    write_nginx_conf upstream "server { listen 127.0.0.1:$UPSTREAM_PORT;
        location / { return 200 'hello from upstream\n'; } }"
    config="{\"services\":[{\"name\":\"app\",\"targets\":[{\"host\":\"127.0.0.1\",\"port\":$UPSTREAM_PORT}]}],
             \"routes\":[{\"name\":\"app\",\"service\":\"app\",\"paths\":[\"/\"]}]}"
fi
write_nginx_conf proxy "upstream app { server 127.0.0.1:$UPSTREAM_PORT; keepalive 64; }
    server { listen 127.0.0.1:$NGINX_PORT; location / { proxy_pass http://app; proxy_http_version 1.1;
    proxy_set_header Connection \"\"; proxy_set_header Host \$host; proxy_set_header X-Forwarded-For \$remote_addr; } }"

# With "daemon off" and one worker, nginx runs a master and a worker; the worker does the proxying.
nice -n "$NICE" taskset -c "$LOAD_CPUS" nginx -c "$work/upstream/nginx.conf" & pids+=($!)
nice -n "$NICE" taskset -c "$SUT_CPUS" nginx -c "$work/proxy/nginx.conf" & nginx_pid=$!; pids+=($nginx_pid)

jar="${JAR:-$root/target/portico.jar}"
if [[ ! -f "$jar" ]]; then
    (cd "$root" && mvn -q -B -DskipTests package)
fi

# Starts Portico from jar $1 on port $2 with admin port $3 and data directory $4, and prints its PID.
start_portico() {
    PORTICO_ADMIN_TOKEN="$token" PORTICO_ACCESS_LOG_LEVEL=WARN nice -n "$NICE" taskset -c "$SUT_CPUS" \
        java ${PORTICO_JAVA_OPTS:--Xms512m -Xmx512m} -jar "$1" serve --http-port "$2" --https-port 0 \
        --admin-port "$3" --data-dir "$4" > "$4.log" 2>&1 &
    echo $!
}

# Waits for the Portico with admin port $1 to be ready and applies the benchmark configuration.
configure_portico() {
    for _ in $(seq 1 300); do
        curl -fs "http://127.0.0.1:$1/health/ready" >/dev/null 2>&1 && break
        sleep 0.2
    done
    curl -fsS -X POST "http://127.0.0.1:$1/admin/v1/config/apply" -H "Authorization: Bearer $token" \
        -H "Content-Type: application/json" -d "$config" > /dev/null
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

portico_pid=$(start_portico "$jar" "$PORTICO_PORT" "$ADMIN_PORT" "$work/portico")
pids+=($portico_pid)
configure_portico "$ADMIN_PORT"
ports=("$UPSTREAM_PORT" "$NGINX_PORT" "$PORTICO_PORT")
if [[ -n "$BASELINE_JAR" ]]; then
    baseline_pid=$(start_portico "$BASELINE_JAR" "$BASELINE_PORT" "$BASELINE_ADMIN_PORT" "$work/baseline")
    pids+=($baseline_pid)
    configure_portico "$BASELINE_ADMIN_PORT"
    ports+=("$BASELINE_PORT")
fi
# Fails unless the server on port $1 returns 200 for the benchmark request and, on the AI path, the mock's chat
# completion.
check_response() {
    if [[ "$PATH_KIND" == proxy ]]; then
        curl -fs "http://127.0.0.1:$1/" > /dev/null || { echo "nothing responds on port $1" >&2; exit 1; }
        return
    fi
    curl -fsS -o "$work/check.json" "http://127.0.0.1:$1$request_path" -H "Content-Type: application/json" \
        -H "Authorization: Bearer bench-key" --data-binary "@$body_file" \
        || { echo "the chat completion through port $1 failed" >&2; exit 1; }
    grep -q '"chat.completion"' "$work/check.json" && grep -qF "$reply" "$work/check.json" \
        || { echo "port $1 did not return the mock's chat completion: $(head -c 500 "$work/check.json")" >&2; exit 1; }
}
for port in "${ports[@]}"; do
    check_response "$port"
done

nginx_worker=$(pgrep -P "$nginx_pid" | head -1)
portico_loop=$(event_loop_thread "$portico_pid")
[[ -n "$BASELINE_JAR" ]] && baseline_loop=$(event_loop_thread "$baseline_pid")

# Prints utime+stime in clock ticks of a process (one argument) or one of its threads (PID and TID).
cpu_ticks() {
    local stat=/proc/$1/stat
    [[ $# -eq 2 ]] && stat=/proc/$1/task/$2/stat
    # Fields 14 and 15 after the command name, which is in parentheses and may contain spaces.
    sed 's/^.*) //' "$stat" | awk '{ print $12 + $13 }'
}

# Prints stime alone in clock ticks of a process: the time the kernel spent on its system calls.
system_ticks() {
    sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $13 }'
}

# Prints utime+stime in clock ticks of the JIT compiler threads of the JVM with PID $1.
compiler_ticks() {
    local total=0 task
    for task in /proc/"$1"/task/*; do
        if [[ "$(cat "$task/comm")" == C[12]\ CompilerThre* ]]; then
            total=$((total + $(cpu_ticks "$1" "${task##*/}")))
        fi
    done
    echo "$total"
}

# Loads the Portico on port $1 with PID $2 until its JIT compiler threads go quiet.
warm_up() {
    local port=$1 pid=$2 start=$SECONDS compiler process
    while ((SECONDS - start < WARMUP_MAX_SECONDS)); do
        compiler=$(compiler_ticks "$pid")
        process=$(cpu_ticks "$pid")
        run_wrk "$port" "$WARMUP_STEP" > /dev/null
        compiler=$(($(compiler_ticks "$pid") - compiler))
        process=$(($(cpu_ticks "$pid") - process))
        if ((compiler * 50 < process)); then
            echo "Portico on port $port warmed up in $((SECONDS - start)) s"
            return
        fi
    done
    echo "Portico on port $port still compiles after $WARMUP_MAX_SECONDS s; results include JIT work" >&2
}

# Prints the number of requests and the requests/s of one wrk run against port $1.
run_wrk() {
    nice -n "$NICE" taskset -c "$LOAD_CPUS" wrk -t1 -c"$CONNECTIONS" -d"$2" "${wrk_options[@]}" \
        "http://127.0.0.1:$1$request_path" > "$work/wrk.out"
    awk '/requests in/ { n = $1 } /Requests\/sec/ { rps = $2 } /Non-2xx/ { bad = $5 }
         END { if (bad > 0) { print "non-2xx responses: " bad > "/dev/stderr"; exit 1 } printf "%d %.0f\n", n, rps }' \
        "$work/wrk.out"
}

# Prints the number of responses and the responses/s of one fixed-rate run of DURATION against port $1.
run_fixed_rate() {
    local seconds=${DURATION%s}
    nice -n "$NICE" taskset -c "$LOAD_CPUS" "$work/fixed-rate" -a "127.0.0.1:$1" -p "$request_path" -r "$RATE" \
        -c "$CONNECTIONS" -d "$seconds" -w 0 "${fixed_rate_options[@]}" > "$work/fixed.out" || true
    tail -n 1 "$work/fixed.out" | tr ' ' '\n' | awk -F= -v seconds="$seconds" '
        $1 == "completed" { n = $2 } $1 == "errors" { bad = $2 }
        END { if (bad > 0) { print "failed responses: " bad > "/dev/stderr"; exit 1 }
              printf "%d %.0f\n", n, n / seconds }'
}

# Prints "requests requests_per_second process_us_per_request system_us_per_request [thread_us_per_request]" for
# one measured run.
measure() {
    local port=$1 pid=$2 tid=${3:-}
    local before after system_before system_after thread_before=0 thread_after=0 requests rps
    before=$(cpu_ticks "$pid")
    system_before=$(system_ticks "$pid")
    [[ -n "$tid" ]] && thread_before=$(cpu_ticks "$pid" "$tid")
    if [[ -n "$RATE" ]]; then
        read -r requests rps < <(run_fixed_rate "$port")
    else
        read -r requests rps < <(run_wrk "$port" "$DURATION")
    fi
    after=$(cpu_ticks "$pid")
    system_after=$(system_ticks "$pid")
    [[ -n "$tid" ]] && thread_after=$(cpu_ticks "$pid" "$tid")
    awk -v n="$requests" -v r="$rps" -v b="$before" -v a="$after" -v tb="$thread_before" -v ta="$thread_after" \
        -v sb="$system_before" -v sa="$system_after" -v hz="$(getconf CLK_TCK)" -v thread="$tid" 'BEGIN {
            printf "%d %d %.2f %.2f", n, r, (a - b) / hz * 1e6 / n, (sa - sb) / hz * 1e6 / n
            if (thread != "") printf " %.2f", (ta - tb) / hz * 1e6 / n
            printf "\n"
        }'
}

[[ -n "$RATE" ]] && gcc -O2 -o "$work/fixed-rate" "$root/bench/loadgen/fixed-rate.c" -lm
warm_up "$PORTICO_PORT" "$portico_pid"
[[ -n "$BASELINE_JAR" ]] && warm_up "$BASELINE_PORT" "$baseline_pid"
run_wrk "$NGINX_PORT" 2s > /dev/null

echo
transport=$(portico_transport "$work/portico.log")
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $transport; $(date -u +%F)"
echo "Proxies pinned to CPUs $SUT_CPUS; load generator and upstream pinned to CPUs $LOAD_CPUS"
request="GET / through a proxy route"
[[ "$PATH_KIND" == ai ]] && request="POST $request_path through an ai route to the mock provider"
echo "Path: $PATH_KIND ($request)"
load="wrk -t1 -c$CONNECTIONS at full load"
[[ -n "$RATE" ]] && load="fixed-rate at $RATE requests/s on $CONNECTIONS connections"
echo "nice $NICE; load: $load for $DURATION per round"
echo "CPU time per request in microseconds (utime+stime from /proc, and stime alone as system time);"
echo "requests/s is only indicative when the machine is shared."
echo
row() {
    printf '%-6s %-8s %10s %12s %14s %14s %14s\n' "$@"
}
row round proxy requests requests/s "process us/req" "system us/req" "loop us/req" | tee "$work/rounds"
for round in $(seq 1 "$ROUNDS"); do
    read -r n r cpu system <<< "$(measure "$NGINX_PORT" "$nginx_worker")"
    row "$round" nginx "$n" "$r" "$cpu" "$system" "-" | tee -a "$work/rounds"
    # With a baseline, the two jars take turns at going first, so that neither profits from its place in a round.
    order=(portico baseline)
    (( round % 2 == 0 )) && order=(baseline portico)
    for proxy in "${order[@]}"; do
        if [[ "$proxy" == portico ]]; then
            read -r n r cpu system loop <<< "$(measure "$PORTICO_PORT" "$portico_pid" "$portico_loop")"
        elif [[ -n "$BASELINE_JAR" ]]; then
            read -r n r cpu system loop <<< "$(measure "$BASELINE_PORT" "$baseline_pid" "$baseline_loop")"
        else
            continue
        fi
        row "$round" "$proxy" "$n" "$r" "$cpu" "$system" "$loop" | tee -a "$work/rounds"
    done
done

# Prints the median of column $2 over the rounds of proxy $1.
median() {
    awk -v proxy="$1" -v column="$2" '$2 == proxy { print $column }' "$work/rounds" | sort -g \
        | awk '{ v[NR] = $1 } END { if (NR == 0 || v[1] == "-") print "-"; else if (NR % 2) print v[(NR + 1) / 2];
                 else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
echo
for proxy in nginx portico baseline; do
    [[ "$proxy" == baseline && -z "$BASELINE_JAR" ]] && continue
    row median "$proxy" "$(median "$proxy" 3)" "$(median "$proxy" 4)" "$(median "$proxy" 5)" "$(median "$proxy" 6)" \
        "$(median "$proxy" 7)"
done

# Prints the bytes that the event loop of the Portico with PID $2 allocated per request during one wrk run
# against port $1.
allocation_per_request() {
    local port=$1 pid=$2 recording="$work/allocation-$2.jfr" requests
    jcmd "$pid" JFR.start name=allocation settings=default filename="$recording" > /dev/null
    read -r requests _ < <(run_wrk "$port" "$DURATION")
    jcmd "$pid" JFR.stop name=allocation > /dev/null
    # The event is written when the recording starts and stops; "allocated" precedes the thread's name.
    jfr print --json --events jdk.ThreadAllocationStatistics "$recording" | awk -v n="$requests" '
        /"allocated":/ { gsub(/[^0-9]/, "", $2); allocated = $2 }
        /"javaName": "vert.x-eventloop-thread-0"/ { if (first == "") first = allocated; last = allocated }
        END { printf "%.0f\n", (last - first) / n }'
}

if [[ "$ALLOCATION" == 1 ]]; then
    echo
    echo "Event-loop allocation per request (bytes): portico $(allocation_per_request "$PORTICO_PORT" "$portico_pid")"
    if [[ -n "$BASELINE_JAR" ]]; then
        echo "Event-loop allocation per request (bytes): baseline $(allocation_per_request "$BASELINE_PORT" \
            "$baseline_pid")"
    fi
fi
