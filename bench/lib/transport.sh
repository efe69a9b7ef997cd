# Sourced by the benchmark scripts. PORTICO_TRANSPORT (auto, epoll, io_uring or nio) reaches the Portico they
# start through the environment. When it is unset or empty, the node default (auto) applies.
PORTICO_TRANSPORT=${PORTICO_TRANSPORT:-}
export PORTICO_TRANSPORT

# Prints the transport named in the ready line of the Portico log $1, which differs from PORTICO_TRANSPORT when
# the requested native transport was unavailable, followed by the requested one when they differ.
portico_transport() {
    local used
    used=$(grep -m1 -o '([a-z_]* transport)' "$1" | tr -d '()' | cut -d' ' -f1 || true)
    used=${used:-unknown}
    if [[ -n "$PORTICO_TRANSPORT" && "$PORTICO_TRANSPORT" != "auto" && "$PORTICO_TRANSPORT" != "$used" ]]; then
        echo "$used transport (requested $PORTICO_TRANSPORT)"
    else
        echo "$used transport"
    fi
}
