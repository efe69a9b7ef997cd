/*
 * fixed-rate: an open-loop HTTP/1.1 load generator that measures latency percentiles at a fixed request rate.
 *
 * Request i is scheduled at start + i / rate. It is sent on any idle keep-alive connection at or after that
 * time. When no connection is idle, the request waits in a queue. Its latency is always measured from its
 * scheduled time, not from the time it was sent (see schedule_ns()).
 *
 * Requests are GET by default. A body read from a file (-b), another method (-X) and extra header fields (-e)
 * turn it into, for example, a POST of a JSON document. Every request of a run carries the same bytes.
 *
 * Single-threaded: one epoll loop drives every connection. Linux only, IPv4 only, no name resolution.
 * Meant for benchmarks on loopback, and it connects only to the address given with -a.
 *
 * Build: gcc -O2 -o fixed-rate fixed-rate.c -lm
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_US 1000ULL
#define NS_PER_MS 1000000ULL
#define NS_PER_S 1000000000ULL

#define MAX_RATE 200000L
#define MAX_CONNECTIONS 4096L
#define MAX_DURATION_S 600L
#define MAX_WARMUP_S 600L
#define MAX_TIMEOUT_MS 60000L
#define MAX_HOST_HEADER 255
#define MAX_PATH 2048
#define MAX_BODY (1024L * 1024L)
#define MAX_EXTRA_HEADERS 32
#define MAX_HEADER_FIELD 8192

/* Maximum time spent after the measured window waiting for responses that are still outstanding. */
#define DRAIN_NS (2 * NS_PER_S)
#define RECONNECT_DELAY_NS (100 * NS_PER_MS)
/* Interval between scans for response timeouts, connect timeouts and pending reconnects. */
#define HOUSEKEEPING_INTERVAL_NS (10 * NS_PER_MS)
/* Per-connection receive buffer. A response header block larger than this is a protocol error. */
#define READ_BUFFER_SIZE 16384
/* Maximum length of a chunk-size line, extensions included. */
#define MAX_CHUNK_LINE 1024
/* The exit code is 1 when errors exceed this fraction of the requests in the measured window. */
#define MAX_ERROR_RATIO 0.001
/* Number of error messages printed per kind. Further errors of that kind are only counted. */
#define MAX_PRINTED_ERRORS 5

#define EXIT_TOO_MANY_ERRORS 1
#define EXIT_USAGE_OR_SETUP 2

/*
 * Latency histogram in microseconds. Values below 256 us have one bucket each. Above that, every power of two
 * is split into 128 buckets of equal width, so a bucket is at most 1/128 (0.8%) of its lower bound wide.
 * The 64-bit range needs 256 + 56 * 128 buckets (about 59 KB), so no value is ever clamped.
 */
#define HISTOGRAM_EXACT 256
#define HISTOGRAM_SUB_BITS 7
#define HISTOGRAM_SUB_BUCKETS (1U << HISTOGRAM_SUB_BITS)
#define HISTOGRAM_BUCKETS (HISTOGRAM_EXACT + (64 - 8) * HISTOGRAM_SUB_BUCKETS)

enum connection_state {
    CONNECTION_WAITING,    /* closed, reconnects at deadline_ns */
    CONNECTION_CONNECTING, /* non-blocking connect in progress, times out at deadline_ns */
    CONNECTION_IDLE,       /* connected, no request in flight */
    CONNECTION_BUSY,       /* one request in flight, times out at deadline_ns */
};

enum parse_state {
    PARSE_HEADERS,
    PARSE_BODY_LENGTH,
    PARSE_BODY_UNTIL_CLOSE,
    PARSE_CHUNK_SIZE,
    PARSE_CHUNK_DATA,
    PARSE_CHUNK_DATA_END,
    PARSE_TRAILERS,
};

enum parse_result { PARSE_NEED_MORE, PARSE_COMPLETE, PARSE_ERROR };

enum error_kind { ERROR_CONNECT, ERROR_TIMEOUT, ERROR_SOCKET, ERROR_PROTOCOL, ERROR_KIND_COUNT };

static const char *const error_kind_names[ERROR_KIND_COUNT] = {"connect", "timeout", "socket", "protocol"};

struct connection {
    int fd;
    enum connection_state state;
    uint64_t deadline_ns;
    uint64_t request;       /* index of the request in flight, valid while CONNECTION_BUSY */
    size_t written;         /* bytes of the request written so far */
    bool waiting_for_write; /* EPOLLOUT is registered because send() would block */
    enum parse_state parse;
    int status;
    bool close_after_response;
    uint64_t body_remaining; /* bytes left in a Content-Length body or in the current chunk */
    char *buffer;
    size_t read_start; /* first byte not yet parsed */
    size_t read_end;   /* one past the last byte received */
};

struct options {
    struct sockaddr_in address;
    char address_text[64];
    char host_header[MAX_HOST_HEADER + 1];
    const char *path;
    const char *method;
    const char *body_file;
    const char *extra_headers[MAX_EXTRA_HEADERS]; /* "Name: value" fields added to every request */
    int extra_header_count;
    uint64_t rate;
    int connections;
    uint64_t duration_s;
    uint64_t warmup_s;
    uint64_t timeout_ns;
};

/*
 * Per-request outcomes (completed, non_2xx, timeouts, socket and protocol errors of a request in flight) are
 * counted only for requests scheduled in the measured window. Connection-level errors that belong to no
 * request (failed connects, unexpected data on an idle connection) are counted for the whole run.
 */
struct stats {
    uint64_t completed;
    uint64_t non_2xx;
    uint64_t timeouts;
    uint64_t socket_errors;
    uint64_t protocol_errors;
    uint64_t connect_errors;
    uint64_t resolved;         /* measured requests with a final outcome */
    uint64_t window_responses; /* responses received inside the measured window, any request */
    uint64_t max_latency_us;
    uint64_t histogram[HISTOGRAM_BUCKETS];
    unsigned printed_errors[ERROR_KIND_COUNT];
};

struct run {
    struct options options;
    int epoll_fd;
    bool use_epoll_pwait2;
    struct connection *connections;
    int *idle;  /* stack of indexes of idle connections */
    int idle_count;
    int busy_count;
    char *request; /* the bytes of every request: request line, header fields and body */
    size_t request_length;
    size_t body_length;
    uint64_t start_ns;
    uint64_t total_requests;  /* warm-up and measured requests */
    uint64_t first_measured;  /* index of the first request in the measured window */
    uint64_t next_request;    /* index of the next request to send */
    uint64_t window_start_ns;
    uint64_t window_end_ns;
    struct stats stats;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

/*
 * Returns the time at which request `index` is due. Latency is measured from this time, not from the send
 * time, to avoid coordinated omission. When the server stalls, the requests that pile up in the queue are
 * charged with the time they waited, as a client sending at this rate would experience it. A closed-loop
 * tool such as wrk sends fewer requests during a stall instead, so its percentiles leave that time out.
 * The product index * NS_PER_S stays below 2^63 because index < (600 + 600) s * 200000 requests/s.
 */
static uint64_t schedule_ns(const struct run *run, uint64_t index)
{
    return run->start_ns + index * NS_PER_S / run->options.rate;
}

static bool is_measured(const struct run *run, uint64_t index)
{
    return index >= run->first_measured;
}

static void report_error(struct run *run, enum error_kind kind, const char *format, ...)
{
    unsigned *printed = &run->stats.printed_errors[kind];
    if (*printed > MAX_PRINTED_ERRORS) {
        return;
    }
    (*printed)++;
    if (*printed > MAX_PRINTED_ERRORS) {
        fprintf(stderr, "%s error: further errors of this kind are counted but not printed\n",
                error_kind_names[kind]);
        return;
    }
    va_list args;
    va_start(args, format);
    fprintf(stderr, "%s error: ", error_kind_names[kind]);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
}

/* ---- Histogram ---- */

static size_t histogram_index(uint64_t value)
{
    if (value < HISTOGRAM_EXACT) {
        return (size_t)value;
    }
    int exponent = 63 - __builtin_clzll(value); /* >= 8 */
    uint64_t sub_bucket = (value >> (exponent - HISTOGRAM_SUB_BITS)) - HISTOGRAM_SUB_BUCKETS;
    return HISTOGRAM_EXACT + (size_t)(exponent - 8) * HISTOGRAM_SUB_BUCKETS + (size_t)sub_bucket;
}

/* Returns the largest value that falls into bucket `index`. */
static uint64_t histogram_upper_bound(size_t index)
{
    if (index < HISTOGRAM_EXACT) {
        return index;
    }
    size_t offset = index - HISTOGRAM_EXACT;
    int shift = (int)(offset / HISTOGRAM_SUB_BUCKETS) + 8 - HISTOGRAM_SUB_BITS;
    uint64_t sub_bucket = offset % HISTOGRAM_SUB_BUCKETS;
    uint64_t lower = (HISTOGRAM_SUB_BUCKETS + sub_bucket) << shift;
    return lower + ((1ULL << shift) - 1);
}

static void record_latency(struct stats *stats, uint64_t latency_us)
{
    stats->histogram[histogram_index(latency_us)]++;
    if (latency_us > stats->max_latency_us) {
        stats->max_latency_us = latency_us;
    }
}

/*
 * Returns the latency in microseconds at `percentile` (0-100): the upper bound of the bucket that contains the
 * sample at that rank, capped at the exact maximum. It overstates the true value by at most 0.8%.
 */
static uint64_t latency_percentile_us(const struct stats *stats, double percentile)
{
    uint64_t rank = (uint64_t)ceil(percentile / 100.0 * (double)stats->completed);
    if (rank < 1) {
        rank = 1;
    }
    uint64_t seen = 0;
    for (size_t i = 0; i < HISTOGRAM_BUCKETS; i++) {
        seen += stats->histogram[i];
        if (seen >= rank) {
            uint64_t upper = histogram_upper_bound(i);
            return upper < stats->max_latency_us ? upper : stats->max_latency_us;
        }
    }
    return stats->max_latency_us;
}

/* ---- Connections ---- */

static void update_events(struct run *run, struct connection *connection, uint32_t events)
{
    struct epoll_event event = {.events = events, .data.u32 = (uint32_t)(connection - run->connections)};
    if (epoll_ctl(run->epoll_fd, EPOLL_CTL_MOD, connection->fd, &event) != 0) {
        perror("epoll_ctl(EPOLL_CTL_MOD)");
        exit(EXIT_USAGE_OR_SETUP);
    }
}

static void push_idle(struct run *run, struct connection *connection)
{
    connection->state = CONNECTION_IDLE;
    run->idle[run->idle_count++] = (int)(connection - run->connections);
}

static void remove_idle(struct run *run, struct connection *connection)
{
    int index = (int)(connection - run->connections);
    for (int i = 0; i < run->idle_count; i++) {
        if (run->idle[i] == index) {
            run->idle[i] = run->idle[--run->idle_count];
            return;
        }
    }
}

static void schedule_reconnect(struct connection *connection, uint64_t at_ns)
{
    connection->state = CONNECTION_WAITING;
    connection->deadline_ns = at_ns;
}

static void connect_failed(struct run *run, struct connection *connection, int error, uint64_t now)
{
    run->stats.connect_errors++;
    report_error(run, ERROR_CONNECT, "connecting to %s failed: %s", run->options.address_text, strerror(error));
    if (connection->fd >= 0) {
        close(connection->fd);
        connection->fd = -1;
    }
    schedule_reconnect(connection, now + RECONNECT_DELAY_NS);
}

static void open_connection(struct run *run, struct connection *connection, uint64_t now)
{
    connection->fd = -1;
    connection->waiting_for_write = false;
    connection->read_start = 0;
    connection->read_end = 0;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        connect_failed(run, connection, errno, now);
        return;
    }
    connection->fd = fd;
    int enable = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &enable, sizeof(enable));
    int result = connect(fd, (const struct sockaddr *)&run->options.address, sizeof(run->options.address));
    if (result != 0 && errno != EINPROGRESS) {
        connect_failed(run, connection, errno, now);
        return;
    }
    struct epoll_event event = {.events = EPOLLOUT, .data.u32 = (uint32_t)(connection - run->connections)};
    if (epoll_ctl(run->epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) {
        perror("epoll_ctl(EPOLL_CTL_ADD)");
        exit(EXIT_USAGE_OR_SETUP);
    }
    connection->state = CONNECTION_CONNECTING;
    connection->deadline_ns = now + run->options.timeout_ns;
}

/* Closes the connection, removing it from the idle stack if needed, and opens a new one at once. */
static void reopen_connection(struct run *run, struct connection *connection, uint64_t now)
{
    if (connection->state == CONNECTION_IDLE) {
        remove_idle(run, connection);
    }
    if (connection->fd >= 0) {
        close(connection->fd);
        connection->fd = -1;
    }
    open_connection(run, connection, now);
}

static void finish_connect(struct run *run, struct connection *connection, uint64_t now)
{
    int error = 0;
    socklen_t length = sizeof(error);
    if (getsockopt(connection->fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
        error = errno;
    }
    if (error != 0) {
        connect_failed(run, connection, error, now);
        return;
    }
    update_events(run, connection, EPOLLIN);
    push_idle(run, connection);
}

/* Records the final outcome of the request in flight, if it is measured, and marks the connection not busy. */
static void end_request(struct run *run, struct connection *connection)
{
    connection->state = CONNECTION_WAITING;
    run->busy_count--;
    if (is_measured(run, connection->request)) {
        run->stats.resolved++;
    }
}

/* Fails the request in flight (if any) with `kind`, then replaces the connection. */
static void fail_connection(struct run *run, struct connection *connection, enum error_kind kind,
                            const char *reason, uint64_t now)
{
    bool busy = connection->state == CONNECTION_BUSY;
    if (busy) {
        bool measured = is_measured(run, connection->request);
        end_request(run, connection);
        if (measured && kind == ERROR_TIMEOUT) {
            run->stats.timeouts++;
        } else if (measured && kind == ERROR_SOCKET) {
            run->stats.socket_errors++;
        } else if (measured && kind == ERROR_PROTOCOL) {
            run->stats.protocol_errors++;
        }
    } else if (kind == ERROR_SOCKET) {
        run->stats.socket_errors++;
    } else if (kind == ERROR_PROTOCOL) {
        run->stats.protocol_errors++;
    }
    report_error(run, kind, "%s (connection %d)", reason, (int)(connection - run->connections));
    reopen_connection(run, connection, now);
}

/* ---- Requests ---- */

/* Writes the rest of the request. Returns false if the connection failed and was replaced. */
static bool write_request(struct run *run, struct connection *connection, uint64_t now)
{
    while (connection->written < run->request_length) {
        ssize_t sent = send(connection->fd, run->request + connection->written,
                            run->request_length - connection->written, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) {
            continue;
        }
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!connection->waiting_for_write) {
                connection->waiting_for_write = true;
                update_events(run, connection, EPOLLIN | EPOLLOUT);
            }
            return true;
        }
        if (sent < 0) {
            char reason[128];
            snprintf(reason, sizeof(reason), "sending the request failed: %s", strerror(errno));
            fail_connection(run, connection, ERROR_SOCKET, reason, now);
            return false;
        }
        connection->written += (size_t)sent;
    }
    if (connection->waiting_for_write) {
        connection->waiting_for_write = false;
        update_events(run, connection, EPOLLIN);
    }
    return true;
}

static void send_request(struct run *run, struct connection *connection, uint64_t index, uint64_t now)
{
    connection->state = CONNECTION_BUSY;
    connection->request = index;
    connection->deadline_ns = now + run->options.timeout_ns;
    connection->written = 0;
    connection->parse = PARSE_HEADERS;
    connection->status = 0;
    connection->close_after_response = false;
    connection->body_remaining = 0;
    run->busy_count++;
    write_request(run, connection, now);
}

/* Sends every request that is due while an idle connection is available. */
static void send_due_requests(struct run *run, uint64_t now)
{
    while (run->next_request < run->total_requests && run->idle_count > 0
           && schedule_ns(run, run->next_request) <= now) {
        struct connection *connection = &run->connections[run->idle[--run->idle_count]];
        send_request(run, connection, run->next_request, now);
        run->next_request++;
    }
}

/* ---- Response parsing ---- */

static bool header_name_is(const char *name, size_t length, const char *expected)
{
    return length == strlen(expected) && strncasecmp(name, expected, length) == 0;
}

/* Returns true if the comma-separated list `value` contains `token`, compared case-insensitively. */
static bool list_contains_token(const char *value, size_t length, const char *token)
{
    size_t token_length = strlen(token);
    size_t i = 0;
    while (i < length) {
        while (i < length && (value[i] == ' ' || value[i] == '\t' || value[i] == ',')) {
            i++;
        }
        size_t start = i;
        while (i < length && value[i] != ',') {
            i++;
        }
        size_t end = i;
        while (end > start && (value[end - 1] == ' ' || value[end - 1] == '\t')) {
            end--;
        }
        if (end - start == token_length && strncasecmp(value + start, token, token_length) == 0) {
            return true;
        }
    }
    return false;
}

/* Returns true if the last transfer coding in `value` is chunked. */
static bool last_coding_is_chunked(const char *value, size_t length)
{
    size_t end = length;
    while (end > 0 && (value[end - 1] == ' ' || value[end - 1] == '\t')) {
        end--;
    }
    size_t start = end;
    while (start > 0 && value[start - 1] != ',' && value[start - 1] != ' ' && value[start - 1] != '\t') {
        start--;
    }
    return end - start == 7 && strncasecmp(value + start, "chunked", 7) == 0;
}

static bool parse_content_length(const char *value, size_t length, uint64_t *result)
{
    if (length == 0 || length > 18) {
        return false;
    }
    uint64_t number = 0;
    for (size_t i = 0; i < length; i++) {
        if (value[i] < '0' || value[i] > '9') {
            return false;
        }
        number = number * 10 + (uint64_t)(value[i] - '0');
    }
    *result = number;
    return true;
}

/*
 * Parses the status line and the header fields of one response and sets the body framing. `block` ends with
 * the empty line. Returns NULL on success, or a description of the error.
 */
static const char *parse_header_block(struct connection *connection, const char *block, size_t length)
{
    if (length < 16 || memcmp(block, "HTTP/1.", 7) != 0 || (block[7] != '0' && block[7] != '1')
        || block[8] != ' ' || block[9] < '1' || block[9] > '5' || block[10] < '0' || block[10] > '9'
        || block[11] < '0' || block[11] > '9' || (block[12] != ' ' && block[12] != '\r')) {
        return "invalid status line";
    }
    bool http_1_0 = block[7] == '0';
    connection->status = (block[9] - '0') * 100 + (block[10] - '0') * 10 + (block[11] - '0');

    bool close = http_1_0;
    bool has_content_length = false;
    bool has_transfer_encoding = false;
    bool chunked = false;
    uint64_t content_length = 0;

    const char *line = memchr(block, '\n', length) + 1;
    const char *end = block + length - 2; /* start of the final empty line */
    while (line < end) {
        const char *line_end = memchr(line, '\r', (size_t)(end - line) + 1);
        if (line_end == NULL || line_end[1] != '\n') {
            return "header line without CRLF";
        }
        if (*line == ' ' || *line == '\t') {
            return "obsolete header line folding";
        }
        const char *colon = memchr(line, ':', (size_t)(line_end - line));
        if (colon == NULL || colon == line) {
            return "header line without a field name";
        }
        const char *value = colon + 1;
        const char *value_end = line_end;
        while (value < value_end && (*value == ' ' || *value == '\t')) {
            value++;
        }
        while (value_end > value && (value_end[-1] == ' ' || value_end[-1] == '\t')) {
            value_end--;
        }
        size_t name_length = (size_t)(colon - line);
        size_t value_length = (size_t)(value_end - value);

        if (header_name_is(line, name_length, "content-length")) {
            uint64_t parsed;
            if (!parse_content_length(value, value_length, &parsed)) {
                return "invalid Content-Length";
            }
            if (has_content_length && parsed != content_length) {
                return "conflicting Content-Length headers";
            }
            has_content_length = true;
            content_length = parsed;
        } else if (header_name_is(line, name_length, "transfer-encoding")) {
            has_transfer_encoding = true;
            chunked = last_coding_is_chunked(value, value_length);
        } else if (header_name_is(line, name_length, "connection")) {
            if (list_contains_token(value, value_length, "close")) {
                close = true;
            } else if (http_1_0 && list_contains_token(value, value_length, "keep-alive")) {
                close = false;
            }
        }
        line = line_end + 2;
    }

    connection->close_after_response = close;
    int status = connection->status;
    if (status == 101) {
        return "unexpected 101 Switching Protocols";
    }
    if (status < 200) {
        connection->parse = PARSE_HEADERS; /* interim response: the final response follows */
    } else if (status == 204 || status == 304) {
        connection->parse = PARSE_BODY_LENGTH;
        connection->body_remaining = 0;
    } else if (has_transfer_encoding && chunked) {
        connection->parse = PARSE_CHUNK_SIZE;
    } else if (has_transfer_encoding) {
        /* RFC 9112 section 6.3: a response whose final coding is not chunked ends when the connection closes. */
        connection->parse = PARSE_BODY_UNTIL_CLOSE;
        connection->close_after_response = true;
    } else if (has_content_length) {
        connection->parse = PARSE_BODY_LENGTH;
        connection->body_remaining = content_length;
    } else if (close) {
        connection->parse = PARSE_BODY_UNTIL_CLOSE;
    } else {
        return "response has neither Content-Length, chunked Transfer-Encoding nor Connection: close";
    }
    return NULL;
}

/* Parses a chunk-size line (hex size, optional extensions, CRLF) into `size`. Returns false if invalid. */
static bool parse_chunk_size(const char *line, size_t length, uint64_t *size)
{
    size_t i = 0;
    uint64_t number = 0;
    while (i < length && isxdigit((unsigned char)line[i])) {
        if (i >= 15) {
            return false;
        }
        char c = line[i];
        int digit = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
        number = number * 16 + (uint64_t)digit;
        i++;
    }
    if (i == 0) {
        return false;
    }
    while (i < length && (line[i] == ' ' || line[i] == '\t')) {
        i++;
    }
    if (i < length && line[i] != ';') {
        return false;
    }
    *size = number;
    return true;
}

/* Consumes up to `body_remaining` bytes from the buffer. Returns true when `body_remaining` reaches 0. */
static bool consume_body(struct connection *connection)
{
    size_t available = connection->read_end - connection->read_start;
    size_t take = connection->body_remaining < available ? (size_t)connection->body_remaining : available;
    connection->read_start += take;
    connection->body_remaining -= take;
    return connection->body_remaining == 0;
}

/* Parses as much of the buffered response as possible. On PARSE_ERROR, `*error` describes the problem. */
static enum parse_result parse_response(struct connection *connection, const char **error)
{
    for (;;) {
        char *data = connection->buffer + connection->read_start;
        size_t available = connection->read_end - connection->read_start;
        char *line_end;
        switch (connection->parse) {
        case PARSE_HEADERS: {
            char *header_end = memmem(data, available, "\r\n\r\n", 4);
            if (header_end == NULL) {
                if (available >= READ_BUFFER_SIZE) {
                    *error = "response header block is larger than the 16384-byte read buffer";
                    return PARSE_ERROR;
                }
                return PARSE_NEED_MORE;
            }
            size_t header_length = (size_t)(header_end - data) + 4;
            *error = parse_header_block(connection, data, header_length);
            if (*error != NULL) {
                return PARSE_ERROR;
            }
            connection->read_start += header_length;
            break;
        }
        case PARSE_BODY_LENGTH:
            return consume_body(connection) ? PARSE_COMPLETE : PARSE_NEED_MORE;
        case PARSE_BODY_UNTIL_CLOSE:
            connection->read_start = connection->read_end; /* the caller completes the response on EOF */
            return PARSE_NEED_MORE;
        case PARSE_CHUNK_SIZE:
            line_end = memmem(data, available, "\r\n", 2);
            if (line_end == NULL) {
                if (available > MAX_CHUNK_LINE) {
                    *error = "chunk-size line is longer than 1024 bytes";
                    return PARSE_ERROR;
                }
                return PARSE_NEED_MORE;
            }
            if (!parse_chunk_size(data, (size_t)(line_end - data), &connection->body_remaining)) {
                *error = "invalid chunk-size line";
                return PARSE_ERROR;
            }
            connection->read_start += (size_t)(line_end - data) + 2;
            connection->parse = connection->body_remaining == 0 ? PARSE_TRAILERS : PARSE_CHUNK_DATA;
            break;
        case PARSE_CHUNK_DATA:
            if (!consume_body(connection)) {
                return PARSE_NEED_MORE;
            }
            connection->parse = PARSE_CHUNK_DATA_END;
            break;
        case PARSE_CHUNK_DATA_END:
            if (available < 2) {
                return PARSE_NEED_MORE;
            }
            if (data[0] != '\r' || data[1] != '\n') {
                *error = "chunk data is not followed by CRLF";
                return PARSE_ERROR;
            }
            connection->read_start += 2;
            connection->parse = PARSE_CHUNK_SIZE;
            break;
        case PARSE_TRAILERS:
            line_end = memmem(data, available, "\r\n", 2);
            if (line_end == NULL) {
                if (available >= READ_BUFFER_SIZE) {
                    *error = "trailer field is larger than the 16384-byte read buffer";
                    return PARSE_ERROR;
                }
                return PARSE_NEED_MORE;
            }
            connection->read_start += (size_t)(line_end - data) + 2;
            if (line_end == data) {
                return PARSE_COMPLETE;
            }
            break;
        }
    }
}

static void complete_response(struct run *run, struct connection *connection, uint64_t now)
{
    uint64_t index = connection->request;
    if (now >= run->window_start_ns && now < run->window_end_ns) {
        run->stats.window_responses++;
    }
    if (is_measured(run, index)) {
        record_latency(&run->stats, (now - schedule_ns(run, index)) / NS_PER_US);
        run->stats.completed++;
        if (connection->status < 200 || connection->status > 299) {
            run->stats.non_2xx++;
        }
    }
    end_request(run, connection);

    if (connection->close_after_response) {
        reopen_connection(run, connection, now);
    } else if (connection->read_start != connection->read_end) {
        fail_connection(run, connection, ERROR_PROTOCOL, "unexpected bytes after the end of a response", now);
    } else {
        connection->read_start = 0;
        connection->read_end = 0;
        push_idle(run, connection);
    }
}

/* Handles EOF on a connection: it completes a response that is delimited by the close, or fails the request. */
static void handle_eof(struct run *run, struct connection *connection, uint64_t now)
{
    if (connection->state == CONNECTION_BUSY && connection->parse == PARSE_BODY_UNTIL_CLOSE) {
        connection->close_after_response = true;
        complete_response(run, connection, now);
    } else if (connection->state == CONNECTION_BUSY) {
        fail_connection(run, connection, ERROR_SOCKET, "server closed the connection before the response was complete",
                        now);
    } else {
        reopen_connection(run, connection, now); /* the server closed an idle keep-alive connection */
    }
}

static void handle_readable(struct run *run, struct connection *connection, uint64_t now)
{
    if (connection->read_start == connection->read_end) {
        connection->read_start = 0;
        connection->read_end = 0;
    } else if (connection->read_start > 0) {
        memmove(connection->buffer, connection->buffer + connection->read_start,
                connection->read_end - connection->read_start);
        connection->read_end -= connection->read_start;
        connection->read_start = 0;
    }
    ssize_t received = recv(connection->fd, connection->buffer + connection->read_end,
                            READ_BUFFER_SIZE - connection->read_end, 0);
    if (received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        return;
    }
    if (received < 0) {
        char reason[128];
        snprintf(reason, sizeof(reason), "receiving the response failed: %s", strerror(errno));
        fail_connection(run, connection, ERROR_SOCKET, reason, now);
        return;
    }
    if (received == 0) {
        handle_eof(run, connection, now);
        return;
    }
    if (connection->state != CONNECTION_BUSY) {
        fail_connection(run, connection, ERROR_PROTOCOL, "unexpected data on an idle connection", now);
        return;
    }
    connection->read_end += (size_t)received;

    const char *error = NULL;
    switch (parse_response(connection, &error)) {
    case PARSE_COMPLETE:
        complete_response(run, connection, now);
        break;
    case PARSE_ERROR:
        fail_connection(run, connection, ERROR_PROTOCOL, error, now);
        break;
    case PARSE_NEED_MORE:
        break;
    }
}

static void handle_event(struct run *run, const struct epoll_event *event, uint64_t now)
{
    struct connection *connection = &run->connections[event->data.u32];
    if (connection->state == CONNECTION_CONNECTING) {
        finish_connect(run, connection, now);
        return;
    }
    if ((event->events & EPOLLOUT) && connection->state == CONNECTION_BUSY && connection->waiting_for_write) {
        if (!write_request(run, connection, now)) {
            return;
        }
    }
    if (event->events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        handle_readable(run, connection, now);
    }
}

/* Fails requests and connects that passed their deadline, and reopens connections whose retry time came. */
static void check_deadlines(struct run *run, uint64_t now)
{
    for (int i = 0; i < run->options.connections; i++) {
        struct connection *connection = &run->connections[i];
        if (now < connection->deadline_ns) {
            continue;
        }
        if (connection->state == CONNECTION_BUSY) {
            fail_connection(run, connection, ERROR_TIMEOUT, "no complete response within the timeout", now);
        } else if (connection->state == CONNECTION_CONNECTING) {
            connect_failed(run, connection, ETIMEDOUT, now);
        } else if (connection->state == CONNECTION_WAITING) {
            open_connection(run, connection, now);
        }
    }
}

/* Waits for socket events until `wake_ns` at the latest, then handles them. */
static void poll_events(struct run *run, uint64_t wake_ns)
{
    struct epoll_event events[256];
    uint64_t now = now_ns();
    uint64_t wait_ns = wake_ns > now ? wake_ns - now : 0;
    int count;
    if (run->use_epoll_pwait2) {
        struct timespec timeout = {.tv_sec = (time_t)(wait_ns / NS_PER_S), .tv_nsec = (long)(wait_ns % NS_PER_S)};
        count = epoll_pwait2(run->epoll_fd, events, 256, &timeout, NULL);
        if (count < 0 && errno == ENOSYS) {
            fprintf(stderr, "warning: epoll_pwait2 is not available, so send times are rounded up to 1 ms\n");
            run->use_epoll_pwait2 = false;
            return;
        }
    } else {
        count = epoll_wait(run->epoll_fd, events, 256, (int)((wait_ns + NS_PER_MS - 1) / NS_PER_MS));
    }
    if (count < 0) {
        if (errno == EINTR) {
            return;
        }
        perror("epoll_wait");
        exit(EXIT_USAGE_OR_SETUP);
    }
    now = now_ns();
    for (int i = 0; i < count; i++) {
        handle_event(run, &events[i], now);
    }
}

/* ---- Run phases ---- */

/* Opens all connections and waits until every one is connected or the timeout passes. Returns the number open. */
static int connect_all(struct run *run)
{
    uint64_t now = now_ns();
    uint64_t deadline = now + run->options.timeout_ns;
    for (int i = 0; i < run->options.connections; i++) {
        open_connection(run, &run->connections[i], now);
    }
    while (run->idle_count < run->options.connections && now < deadline) {
        uint64_t wake = now + HOUSEKEEPING_INTERVAL_NS;
        poll_events(run, wake < deadline ? wake : deadline);
        now = now_ns();
        check_deadlines(run, now);
    }
    return run->idle_count;
}

/* Sends the scheduled requests, then waits at most DRAIN_NS for the outstanding ones. */
static void run_schedule(struct run *run)
{
    run->start_ns = now_ns();
    run->window_start_ns = run->start_ns + run->options.warmup_s * NS_PER_S;
    run->window_end_ns = run->window_start_ns + run->options.duration_s * NS_PER_S;
    uint64_t drain_end_ns = run->window_end_ns + DRAIN_NS;
    uint64_t next_housekeeping = run->start_ns + HOUSEKEEPING_INTERVAL_NS;

    for (;;) {
        uint64_t now = now_ns();
        if (now >= next_housekeeping) {
            check_deadlines(run, now);
            next_housekeeping = now + HOUSEKEEPING_INTERVAL_NS;
        }
        send_due_requests(run, now);
        bool all_done = run->next_request == run->total_requests && run->busy_count == 0;
        if ((now >= run->window_end_ns && all_done) || now >= drain_end_ns) {
            return;
        }
        uint64_t wake = next_housekeeping;
        if (run->next_request < run->total_requests && run->idle_count > 0) {
            uint64_t due = schedule_ns(run, run->next_request);
            wake = due < wake ? due : wake;
        }
        poll_events(run, wake);
    }
}

/* Returns the latency at `percentile` in milliseconds, or NaN when no response completed. */
static double latency_percentile_ms(const struct stats *stats, double percentile)
{
    if (stats->completed == 0) {
        return NAN;
    }
    return (double)latency_percentile_us(stats, percentile) / 1000.0;
}

/* Prints the human-readable block, then one line of key=value pairs. Returns the total error count. */
static uint64_t print_summary(const struct run *run)
{
    const struct options *options = &run->options;
    const struct stats *stats = &run->stats;
    uint64_t requests = run->total_requests - run->first_measured;
    uint64_t unfinished = requests - stats->resolved;
    uint64_t errors = stats->connect_errors + stats->non_2xx + stats->timeouts + stats->socket_errors
                      + stats->protocol_errors + unfinished;
    double error_ratio = (double)errors / (double)requests;
    double achieved = (double)stats->window_responses / (double)options->duration_s;
    double p50 = latency_percentile_ms(stats, 50.0);
    double p90 = latency_percentile_ms(stats, 90.0);
    double p99 = latency_percentile_ms(stats, 99.0);
    double p999 = latency_percentile_ms(stats, 99.9);
    double max = latency_percentile_ms(stats, 100.0);

    printf("target      %s http://%s%s (Host: %s)\n", options->method, options->address_text, options->path,
           options->host_header);
    if (options->body_file != NULL) {
        printf("body        %zu bytes from %s\n", run->body_length, options->body_file);
    }
    printf("schedule    %llu requests/s on %d connections, %llu s warm-up, %llu s measured\n",
           (unsigned long long)options->rate, options->connections, (unsigned long long)options->warmup_s,
           (unsigned long long)options->duration_s);
    printf("achieved    %.1f responses/s received during the measured window\n", achieved);
    printf("requests    %llu scheduled in the measured window, %llu completed\n", (unsigned long long)requests,
           (unsigned long long)stats->completed);
    printf("errors      %llu (%.3f%%): connect %llu, non-2xx %llu, timeouts %llu, socket %llu, protocol %llu, "
           "unfinished %llu\n",
           (unsigned long long)errors, error_ratio * 100.0, (unsigned long long)stats->connect_errors,
           (unsigned long long)stats->non_2xx, (unsigned long long)stats->timeouts,
           (unsigned long long)stats->socket_errors, (unsigned long long)stats->protocol_errors,
           (unsigned long long)unfinished);
    printf("latency ms  p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  (from scheduled time)\n", p50, p90, p99,
           p999, max);
    printf("fixed-rate target=%s method=%s path=%s body_bytes=%zu target_rate=%llu connections=%d warmup_s=%llu "
           "duration_s=%llu achieved_rate=%.1f "
           "requests=%llu completed=%llu errors=%llu error_ratio=%.6f connect_errors=%llu non_2xx=%llu "
           "timeouts=%llu socket_errors=%llu protocol_errors=%llu unfinished=%llu "
           "p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f\n",
           options->address_text, options->method, options->path, run->body_length,
           (unsigned long long)options->rate, options->connections,
           (unsigned long long)options->warmup_s, (unsigned long long)options->duration_s, achieved,
           (unsigned long long)requests,
           (unsigned long long)stats->completed, (unsigned long long)errors, error_ratio,
           (unsigned long long)stats->connect_errors, (unsigned long long)stats->non_2xx,
           (unsigned long long)stats->timeouts, (unsigned long long)stats->socket_errors,
           (unsigned long long)stats->protocol_errors, (unsigned long long)unfinished, p50, p90, p99, p999, max);
    return errors;
}

/* ---- Command line ---- */

static void print_usage(FILE *out)
{
    fprintf(out,
            "Usage: fixed-rate -r RATE [options]\n"
            "Sends HTTP/1.1 keep-alive requests at a fixed rate (open loop) and prints latency percentiles\n"
            "measured from each request's scheduled send time. Meant for loopback benchmarks: it connects only\n"
            "to the IPv4 address given with -a.\n"
            "\n"
            "  -a HOST:PORT  IPv4 address and port of the server (default 127.0.0.1:8080; a bare PORT uses\n"
            "                127.0.0.1)\n"
            "  -p PATH       request path, starting with / (default /)\n"
            "  -r RATE       requests per second, 1 to %ld (required)\n"
            "  -c COUNT      keep-alive connections, 1 to %ld (default 64)\n"
            "  -d SECONDS    measured duration, 1 to %ld (default 10)\n"
            "  -w SECONDS    warm-up before the measured window, excluded from the results, 0 to %ld (default 2)\n"
            "  -t MS         connect and response timeout in milliseconds, 1 to %ld (default 2000)\n"
            "  -H HOST       value of the Host header (default: the -a value)\n"
            "  -X METHOD     request method: GET, POST, PUT, PATCH or DELETE (default GET, or POST with -b)\n"
            "  -b FILE       send the contents of FILE as the body of every request, with Content-Length;\n"
            "                at most %ld bytes. Set its type with -e 'Content-Type: ...'\n"
            "  -e 'NAME: VALUE'\n"
            "                add this header field to every request; repeat for up to %d fields. A User-Agent\n"
            "                or Accept field replaces the default one. Host, Content-Length, Transfer-Encoding\n"
            "                and Connection are rejected because fixed-rate sets them or relies on them\n"
            "  -h            print this help\n"
            "\n"
            "Exit code: 0 on success, 1 when errors exceed 0.1%% of the measured requests, 2 on invalid\n"
            "options or setup failure.\n",
            MAX_RATE, MAX_CONNECTIONS, MAX_DURATION_S, MAX_WARMUP_S, MAX_TIMEOUT_MS, MAX_BODY, MAX_EXTRA_HEADERS);
}

static void usage_error(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fputs("fixed-rate: ", stderr);
    vfprintf(stderr, format, args);
    fputs("\nRun fixed-rate -h for the options.\n", stderr);
    va_end(args);
    exit(EXIT_USAGE_OR_SETUP);
}

static long parse_number(char option, const char *text, long min, long max)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < min || value > max) {
        usage_error("invalid value '%s' for -%c: expected an integer from %ld to %ld", text, option, min, max);
    }
    return value;
}

static bool is_header_safe(const char *text)
{
    for (const unsigned char *c = (const unsigned char *)text; *c != '\0'; c++) {
        if (*c <= ' ' || *c == 0x7f) {
            return false;
        }
    }
    return true;
}

/* Returns true for the characters of an HTTP token (RFC 9110 section 5.6.2), which names header fields. */
static bool is_token_char(unsigned char c)
{
    return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Exits with a usage error unless `field` is "Name: value" with a token name and a value without controls. */
static void check_extra_header(const char *field)
{
    static const char *const reserved[] = {"host", "content-length", "transfer-encoding", "connection"};
    const char *colon = strchr(field, ':');
    size_t name_length = colon == NULL ? 0 : (size_t)(colon - field);
    if (name_length == 0 || strlen(field) > MAX_HEADER_FIELD) {
        usage_error("invalid header field '%s' for -e: expected 'Name: value', at most %d bytes", field,
                    MAX_HEADER_FIELD);
    }
    for (size_t i = 0; i < name_length; i++) {
        if (!is_token_char((unsigned char)field[i])) {
            usage_error("invalid header field '%s' for -e: the name may contain only letters, digits and "
                        "!#$%%&'*+-.^_`|~",
                        field);
        }
    }
    for (const unsigned char *c = (const unsigned char *)colon + 1; *c != '\0'; c++) {
        if ((*c < ' ' && *c != '\t') || *c == 0x7f) {
            usage_error("invalid header field '%s' for -e: the value contains a control character", field);
        }
    }
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        if (header_name_is(field, name_length, reserved[i])) {
            usage_error("header field '%.*s' cannot be set with -e: fixed-rate sets it or relies on its absence "
                        "(use -H for Host)",
                        (int)name_length, field);
        }
    }
}

/*
 * Sets the default method and checks the one given. HEAD is not offered because its response has a
 * Content-Length but no body, which the response parser does not expect.
 */
static void check_method(struct options *options)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    if (options->method == NULL) {
        options->method = options->body_file != NULL ? "POST" : "GET";
    }
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        if (strcmp(options->method, methods[i]) == 0) {
            return;
        }
    }
    usage_error("invalid method '%s' for -X: expected GET, POST, PUT, PATCH or DELETE", options->method);
}

static void parse_address(const char *text, struct options *options)
{
    char host[64] = "127.0.0.1";
    const char *port_text = text;
    const char *colon = strrchr(text, ':');
    if (colon != NULL) {
        size_t host_length = (size_t)(colon - text);
        if (host_length >= sizeof(host)) {
            usage_error("invalid address '%s' for -a: expected HOST:PORT with an IPv4 HOST", text);
        }
        if (host_length > 0) {
            memcpy(host, text, host_length);
            host[host_length] = '\0';
        }
        port_text = colon + 1;
    }
    long port = parse_number('a', port_text, 1, 65535);
    memset(&options->address, 0, sizeof(options->address));
    options->address.sin_family = AF_INET;
    options->address.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &options->address.sin_addr) != 1) {
        usage_error("invalid address '%s' for -a: HOST must be an IPv4 address such as 127.0.0.1 (names are not "
                    "resolved)",
                    text);
    }
    snprintf(options->address_text, sizeof(options->address_text), "%s:%ld", host, port);
}

static void parse_options(int argc, char **argv, struct options *options)
{
    const char *address = "127.0.0.1:8080";
    const char *host_header = NULL;
    long rate = 0;
    options->path = "/";
    options->connections = 64;
    options->duration_s = 10;
    options->warmup_s = 2;
    options->timeout_ns = 2000 * NS_PER_MS;

    int option;
    while ((option = getopt(argc, argv, "a:p:r:c:d:w:t:H:X:b:e:h")) != -1) {
        switch (option) {
        case 'a':
            address = optarg;
            break;
        case 'p':
            options->path = optarg;
            break;
        case 'r':
            rate = parse_number('r', optarg, 1, MAX_RATE);
            break;
        case 'c':
            options->connections = (int)parse_number('c', optarg, 1, MAX_CONNECTIONS);
            break;
        case 'd':
            options->duration_s = (uint64_t)parse_number('d', optarg, 1, MAX_DURATION_S);
            break;
        case 'w':
            options->warmup_s = (uint64_t)parse_number('w', optarg, 0, MAX_WARMUP_S);
            break;
        case 't':
            options->timeout_ns = (uint64_t)parse_number('t', optarg, 1, MAX_TIMEOUT_MS) * NS_PER_MS;
            break;
        case 'H':
            host_header = optarg;
            break;
        case 'X':
            options->method = optarg;
            break;
        case 'b':
            options->body_file = optarg;
            break;
        case 'e':
            if (options->extra_header_count == MAX_EXTRA_HEADERS) {
                usage_error("too many -e header fields: at most %d are accepted", MAX_EXTRA_HEADERS);
            }
            check_extra_header(optarg);
            options->extra_headers[options->extra_header_count++] = optarg;
            break;
        case 'h':
            print_usage(stdout);
            exit(0);
        default:
            usage_error("invalid option");
        }
    }
    if (optind < argc) {
        usage_error("unexpected argument '%s'", argv[optind]);
    }
    if (rate == 0) {
        usage_error("missing request rate: set it with -r RATE (requests per second)");
    }
    options->rate = (uint64_t)rate;
    check_method(options);
    parse_address(address, options);
    if (options->path[0] != '/' || strlen(options->path) > MAX_PATH || !is_header_safe(options->path)) {
        usage_error("invalid path '%s' for -p: it must start with /, contain no spaces or control characters "
                    "and be at most %d bytes",
                    options->path, MAX_PATH);
    }
    if (host_header == NULL) {
        host_header = options->address_text;
    }
    if (strlen(host_header) > MAX_HOST_HEADER || host_header[0] == '\0' || !is_header_safe(host_header)) {
        usage_error("invalid Host header '%s' for -H: it must be 1 to %d bytes without spaces or control "
                    "characters",
                    host_header, MAX_HOST_HEADER);
    }
    snprintf(options->host_header, sizeof(options->host_header), "%s", host_header);
    if ((ntohl(options->address.sin_addr.s_addr) >> 24) != 127) {
        fprintf(stderr, "warning: %s is not a loopback address. fixed-rate is meant for loopback benchmarks\n",
                options->address_text);
    }
}

/* Raises the soft limit on open files if the connections need more than it allows. */
static void ensure_file_limit(int connections)
{
    struct rlimit limit;
    rlim_t needed = (rlim_t)connections + 16;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= needed) {
        return;
    }
    if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed) {
        fprintf(stderr, "fixed-rate: %d connections need %llu open files, but the hard limit is %llu. "
                        "Lower -c or raise the limit with ulimit -n\n",
                connections, (unsigned long long)needed, (unsigned long long)limit.rlim_max);
        exit(EXIT_USAGE_OR_SETUP);
    }
    limit.rlim_cur = needed;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
        perror("setrlimit(RLIMIT_NOFILE)");
        exit(EXIT_USAGE_OR_SETUP);
    }
}

/* Reads the whole body file into a new buffer and stores its length. Exits when it cannot be read or is too large. */
static char *read_body(const char *path, size_t *length)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        fprintf(stderr, "fixed-rate: cannot open the body file %s for -b: %s\n", path, strerror(errno));
        exit(EXIT_USAGE_OR_SETUP);
    }
    char *body = malloc((size_t)MAX_BODY + 1);
    if (body == NULL) {
        fprintf(stderr, "fixed-rate: out of memory for the body file %s\n", path);
        exit(EXIT_USAGE_OR_SETUP);
    }
    *length = fread(body, 1, (size_t)MAX_BODY + 1, file);
    if (ferror(file)) {
        fprintf(stderr, "fixed-rate: reading the body file %s failed\n", path);
        exit(EXIT_USAGE_OR_SETUP);
    }
    fclose(file);
    if (*length > (size_t)MAX_BODY) {
        fprintf(stderr, "fixed-rate: the body file %s is larger than %ld bytes, the maximum for -b\n", path,
                MAX_BODY);
        exit(EXIT_USAGE_OR_SETUP);
    }
    return body;
}

static bool has_extra_header(const struct options *options, const char *name)
{
    for (int i = 0; i < options->extra_header_count; i++) {
        const char *field = options->extra_headers[i];
        if (header_name_is(field, (size_t)(strchr(field, ':') - field), name)) {
            return true;
        }
    }
    return false;
}

/* Appends `text` at `*end` and advances `*end`. The caller has sized the buffer for everything appended. */
static void append(char **end, const char *text, size_t length)
{
    memcpy(*end, text, length);
    *end += length;
}

static void append_text(char **end, const char *text)
{
    append(end, text, strlen(text));
}

/*
 * Builds the bytes sent for every request. Content-Length is sent with a body, and also as 0 for POST, PUT
 * and PATCH without one, since servers may otherwise reject the request with 411 Length Required.
 */
static void build_request(struct run *run)
{
    const struct options *options = &run->options;
    char *body = NULL;
    if (options->body_file != NULL) {
        body = read_body(options->body_file, &run->body_length);
    }
    size_t capacity = strlen(options->method) + strlen(options->path) + strlen(options->host_header) + 256
                      + run->body_length;
    for (int i = 0; i < options->extra_header_count; i++) {
        capacity += strlen(options->extra_headers[i]) + 2;
    }
    run->request = malloc(capacity);
    if (run->request == NULL) {
        fprintf(stderr, "fixed-rate: out of memory for a request of %zu bytes\n", capacity);
        exit(EXIT_USAGE_OR_SETUP);
    }

    char *end = run->request;
    end += sprintf(end, "%s %s HTTP/1.1\r\nHost: %s\r\n", options->method, options->path, options->host_header);
    if (!has_extra_header(options, "user-agent")) {
        append_text(&end, "User-Agent: fixed-rate\r\n");
    }
    if (!has_extra_header(options, "accept")) {
        append_text(&end, "Accept: */*\r\n");
    }
    for (int i = 0; i < options->extra_header_count; i++) {
        append_text(&end, options->extra_headers[i]);
        append_text(&end, "\r\n");
    }
    bool method_expects_body = strcmp(options->method, "POST") == 0 || strcmp(options->method, "PUT") == 0
                               || strcmp(options->method, "PATCH") == 0;
    if (body != NULL || method_expects_body) {
        end += sprintf(end, "Content-Length: %zu\r\n", run->body_length);
    }
    append_text(&end, "\r\n");
    if (body != NULL) {
        append(&end, body, run->body_length);
        free(body);
    }
    run->request_length = (size_t)(end - run->request);
}

static void init_run(struct run *run)
{
    struct options *options = &run->options;
    build_request(run);
    run->total_requests = (options->warmup_s + options->duration_s) * options->rate;
    run->first_measured = options->warmup_s * options->rate;

    run->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (run->epoll_fd < 0) {
        perror("epoll_create1");
        exit(EXIT_USAGE_OR_SETUP);
    }
    run->use_epoll_pwait2 = true;
    run->connections = calloc((size_t)options->connections, sizeof(*run->connections));
    run->idle = calloc((size_t)options->connections, sizeof(*run->idle));
    /* Untouched pages of this allocation are not resident, so memory grows with the response sizes. */
    char *buffers = calloc((size_t)options->connections, READ_BUFFER_SIZE);
    if (run->connections == NULL || run->idle == NULL || buffers == NULL) {
        fprintf(stderr, "fixed-rate: out of memory for %d connections\n", options->connections);
        exit(EXIT_USAGE_OR_SETUP);
    }
    for (int i = 0; i < options->connections; i++) {
        run->connections[i].fd = -1;
        run->connections[i].buffer = buffers + (size_t)i * READ_BUFFER_SIZE;
    }
}

int main(int argc, char **argv)
{
    static struct run run;
    parse_options(argc, argv, &run.options);
    ensure_file_limit(run.options.connections);
    /* The default timer slack of 50 us (prctl(2)) would delay wake-ups by one request interval at 20000 requests/s. */
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
    init_run(&run);

    int connected = connect_all(&run);
    if (connected == 0) {
        fprintf(stderr, "fixed-rate: no connection to %s could be established within %llu ms. Check that the "
                        "server is running and listening on that address\n",
                run.options.address_text, (unsigned long long)(run.options.timeout_ns / NS_PER_MS));
        return EXIT_USAGE_OR_SETUP;
    }
    if (connected < run.options.connections) {
        fprintf(stderr, "warning: only %d of %d connections are open at the start, and the others keep retrying\n",
                connected, run.options.connections);
    }
    run_schedule(&run);

    uint64_t errors = print_summary(&run);
    uint64_t requests = run.total_requests - run.first_measured;
    return (double)errors > MAX_ERROR_RATIO * (double)requests ? EXIT_TOO_MANY_ERRORS : 0;
}
