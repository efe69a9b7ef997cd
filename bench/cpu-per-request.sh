#!/usr/bin/env bash
# Measures the CPU time that Portico and nginx each spend per proxied request, on loopback only.
#
# Throughput taken on a busy machine depends on what else runs; CPU time per request does much less. Both
# proxies run pinned to SUT_CPUS in front of the same nginx upstream (pinned to LOAD_CPUS with wrk). For each
# round, the script reads the proxy's utime+stime from /proc/PID/stat, runs wrk for DURATION, reads it again and
# divides by the number of requests wrk completed. For Portico it also reports the event-loop thread alone, which
# leaves out JIT compilation and garbage collection threads. On one saturated core the throughput ratio of two
# proxies is close to the inverse ratio of their CPU time per request.
#
# Needs: nginx, wrk, java, mvn, curl, taskset. Every process it starts is stopped by PID when it exits.
set -euo pipefail

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-20s}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-3}
SUT_CPUS=${SUT_CPUS:-0}
LOAD_CPUS=${LOAD_CPUS:-1}
UPSTREAM_PORT=${UPSTREAM_PORT:-18181}
NGINX_PORT=${NGINX_PORT:-18182}
PORTICO_PORT=${PORTICO_PORT:-18183}
ADMIN_PORT=${ADMIN_PORT:-19183}
JAR=${JAR:-}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
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

write_nginx_conf() {
    local name=$1 body=$2
    mkdir -p "$work/$name"
    cat > "$work/$name/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/$name/nginx.pid;
error_log $work/$name/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $work/$name/body;
    proxy_temp_path $work/$name/proxy;
    fastcgi_temp_path $work/$name/fastcgi;
    uwsgi_temp_path $work/$name/uwsgi;
    scgi_temp_path $work/$name/scgi;
    keepalive_requests 1000000;
    $body
}
CONF
}

write_nginx_conf upstream "server { listen 127.0.0.1:$UPSTREAM_PORT; location / { return 200 'hello from upstream\n'; } }"
write_nginx_conf proxy "upstream app { server 127.0.0.1:$UPSTREAM_PORT; keepalive 64; }
    server { listen 127.0.0.1:$NGINX_PORT; location / { proxy_pass http://app; proxy_http_version 1.1;
    proxy_set_header Connection \"\"; proxy_set_header Host \$host; proxy_set_header X-Forwarded-For \$remote_addr; } }"

# With "daemon off" and one worker, nginx runs a master and a worker; the worker does the proxying.
taskset -c "$LOAD_CPUS" nginx -c "$work/upstream/nginx.conf" & pids+=($!)
taskset -c "$SUT_CPUS" nginx -c "$work/proxy/nginx.conf" & nginx_pid=$!; pids+=($nginx_pid)

jar="${JAR:-$root/target/portico.jar}"
if [[ ! -f "$jar" ]]; then
    (cd "$root" && mvn -q -B -DskipTests package)
fi
token="bench-$(date +%s)-$RANDOM"
PORTICO_ADMIN_TOKEN="$token" PORTICO_ACCESS_LOG_LEVEL=WARN taskset -c "$SUT_CPUS" \
    java ${PORTICO_JAVA_OPTS:--Xms512m -Xmx512m} -jar "$jar" serve --http-port "$PORTICO_PORT" --https-port 0 \
    --admin-port "$ADMIN_PORT" --data-dir "$work/portico-data" > "$work/portico.log" 2>&1 & portico_pid=$!
pids+=($portico_pid)

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

nginx_worker=$(pgrep -P "$nginx_pid" | head -1)
portico_loop=""
for task in /proc/"$portico_pid"/task/*; do
    if [[ "$(cat "$task/comm")" == vert.x-eventloo* ]]; then
        portico_loop=${task##*/}
        break
    fi
done

# Prints utime+stime in clock ticks of a process (one argument) or one of its threads (PID and TID).
cpu_ticks() {
    local stat=/proc/$1/stat
    [[ $# -eq 2 ]] && stat=/proc/$1/task/$2/stat
    # Fields 14 and 15 after the command name, which is in parentheses and may contain spaces.
    sed 's/^.*) //' "$stat" | awk '{ print $12 + $13 }'
}

# Prints the number of requests and the requests/s of one wrk run against port $1.
run_wrk() {
    taskset -c "$LOAD_CPUS" wrk -t1 -c"$CONNECTIONS" -d"$2" "http://127.0.0.1:$1/" > "$work/wrk.out"
    awk '/requests in/ { n = $1 } /Requests\/sec/ { rps = $2 } /Non-2xx/ { bad = $5 }
         END { if (bad > 0) { print "non-2xx responses: " bad > "/dev/stderr"; exit 1 } printf "%d %.0f\n", n, rps }' \
        "$work/wrk.out"
}

# Prints "requests requests_per_second process_us_per_request [thread_us_per_request]" for one measured run.
measure() {
    local port=$1 pid=$2 tid=${3:-}
    local before after thread_before=0 thread_after=0 requests rps
    before=$(cpu_ticks "$pid")
    [[ -n "$tid" ]] && thread_before=$(cpu_ticks "$pid" "$tid")
    read -r requests rps < <(run_wrk "$port" "$DURATION")
    after=$(cpu_ticks "$pid")
    [[ -n "$tid" ]] && thread_after=$(cpu_ticks "$pid" "$tid")
    awk -v n="$requests" -v r="$rps" -v b="$before" -v a="$after" -v tb="$thread_before" -v ta="$thread_after" \
        -v hz="$(getconf CLK_TCK)" -v thread="$tid" 'BEGIN {
            printf "%d %d %.2f", n, r, (a - b) / hz * 1e6 / n
            if (thread != "") printf " %.2f", (ta - tb) / hz * 1e6 / n
            printf "\n"
        }'
}

echo "Warming up Portico for $WARMUP..."
run_wrk "$PORTICO_PORT" "$WARMUP" > /dev/null
run_wrk "$NGINX_PORT" 2s > /dev/null

echo
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%F)"
echo "Proxies pinned to CPUs $SUT_CPUS; wrk and upstream pinned to CPUs $LOAD_CPUS; wrk -t1 -c$CONNECTIONS -d$DURATION"
echo "CPU time per request in microseconds (utime+stime from /proc); requests/s is only indicative when the"
echo "machine is shared."
echo
printf '%-6s %-8s %10s %12s %14s %14s\n' round proxy requests requests/s "process us/req" "loop us/req"
for round in $(seq 1 "$ROUNDS"); do
    read -r n r cpu <<< "$(measure "$NGINX_PORT" "$nginx_worker")"
    printf '%-6s %-8s %10s %12s %14s %14s\n' "$round" nginx "$n" "$r" "$cpu" "-"
    read -r n r cpu loop <<< "$(measure "$PORTICO_PORT" "$portico_pid" "$portico_loop")"
    printf '%-6s %-8s %10s %12s %14s %14s\n' "$round" portico "$n" "$r" "$cpu" "${loop:--}"
done
