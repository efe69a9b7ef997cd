# Sourced by the benchmark scripts that run nginx. Each script sets $work, its scratch directory, before calling.

# Writes $work/NAME/nginx.conf: one worker in the foreground, access log off, keep-alive without a request limit,
# and BODY inside the http block.
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
