package io.portico.redis;

import static java.util.Objects.requireNonNull;

import io.portico.config.Durations;
import io.portico.node.NodeConfig;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.RedisRole;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's connection to Redis, shared by every feature that keeps state there (cluster-wide rate limits, a
 * shared response cache). Works with a standalone server, a master found through Redis Sentinel, or Redis
 * Cluster.
 *
 * <p>Every command is bounded by the configured timeout, so a hung server delays a request by at most that
 * long; a command that has to wait for a new connection gets the connect timeout on top. The first failure that
 * shows the server unusable marks Redis unavailable and is logged once at WARN. Such failures are a refused or lost
 * connection, a timeout, a failed authentication, or a reply such as {@code LOADING}, {@code CLUSTERDOWN},
 * {@code READONLY} or {@code OOM}, also when a script's {@code redis.call} got it. From then on, commands fail at
 * once with {@link RedisUnavailableException}, without network traffic, while a probe writes a short-lived key
 * every retry interval. A write, unlike {@code PING}, also fails while the server is out of memory or read-only.
 * The first successful probe marks Redis available again, logged once at INFO. Other error replies, such as an
 * error raised by a script, fail only their command and are logged at WARN at most once a minute.
 *
 * <p>Each event loop keeps one connection of its own, on which commands are pipelined, so replies arrive on the
 * event loop that sent the command.
 */
public final class RedisClient {

    private static final Logger LOG = LoggerFactory.getLogger(RedisClient.class);
    /**
     * Error codes that mean the server cannot serve commands now, rather than that a command was wrong. OOM,
     * MISCONF and NOREPLICAS reject writes: the server is full under {@code maxmemory-policy noeviction}, cannot
     * persist, or lacks the replicas that {@code min-replicas-to-write} requires.
     */
    private static final Set<String> UNAVAILABLE_CODES = Set.of("LOADING", "MASTERDOWN", "CLUSTERDOWN",
            "READONLY", "TRYAGAIN", "NOAUTH", "WRONGPASS", "NOPERM", "BUSY", "OOM", "MISCONF", "NOREPLICAS");
    /** The start of the error reply that Redis 6 sends for a script whose {@code redis.call} failed. */
    private static final String SCRIPT_ERROR = "ERR Error running script";
    /** Minimum time between two WARN lines about error replies to commands. */
    private static final long ERROR_LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
    /**
     * Maximum wait for the first reply when the node starts, because loading the client's classes and resolving the
     * address for the first time can take longer than a command timeout of a few milliseconds.
     */
    private static final long STARTUP_WAIT_MILLIS = 10_000;
    /** The key that probes write, after the key prefix, and how long it lives. */
    private static final String PROBE_KEY = "probe";
    private static final long PROBE_TTL_MILLIS = 10_000;
    /** Keys a {@code SCAN} call examines at most, as its {@code COUNT} hint. */
    private static final int SCAN_COUNT = 500;
    /** Connection key of callers that are not on an event loop. */
    private static final Object SHARED = new Object();

    private final Vertx vertx;
    private final NodeConfig.Redis settings;
    private final Redis redis;
    private final long timeoutMillis;
    private final long connectTimeoutMillis;
    private final RedisUnavailableException unavailable;
    private final Map<Object, Future<RedisConnection>> connections = new ConcurrentHashMap<>();
    private final Set<RedisScript> scripts = ConcurrentHashMap.newKeySet();
    /** The timeouts of the commands each event loop sent on its established connection. */
    private final ThreadLocal<CommandDeadlines> deadlines;
    private final AtomicBoolean available = new AtomicBoolean(true);
    /** Whether {@link #warnIfEvicting} has read the server's eviction policy, or is reading it. */
    private final AtomicBoolean evictionChecked = new AtomicBoolean();
    private final AtomicLong lastErrorLog = new AtomicLong(System.nanoTime() - ERROR_LOG_INTERVAL_NANOS);
    private volatile long probeTimer = -1;
    private volatile boolean closed;

    private RedisClient(Vertx vertx, NodeConfig.Redis settings) {
        this.vertx = requireNonNull(vertx, "vertx");
        this.settings = requireNonNull(settings, "settings");
        this.redis = Redis.createClient(vertx, options(settings));
        this.timeoutMillis = Math.max(1, settings.timeout().toMillis());
        this.connectTimeoutMillis = Math.max(1, settings.connectTimeout().toMillis());
        this.unavailable = new RedisUnavailableException("Redis at " + settings.redactedUrl() + " is unavailable");
        this.deadlines = ThreadLocal.withInitial(() -> new CommandDeadlines(vertx, timeoutMillis));
    }

    /**
     * Creates the client of {@code settings} without connecting; call {@link #start()} to connect.
     *
     * @throws IllegalArgumentException when the settings lack the URL, or the master name in sentinel mode
     */
    public static RedisClient create(Vertx vertx, NodeConfig.Redis settings) {
        if (!settings.enabled()) {
            throw new IllegalArgumentException("redis.url is required to use Redis");
        }
        if (settings.mode().equals("sentinel") && (settings.masterName() == null || settings.masterName().isBlank())) {
            throw new IllegalArgumentException("redis.masterName is required in sentinel mode");
        }
        return new RedisClient(vertx, settings);
    }

    static RedisOptions options(NodeConfig.Redis settings) {
        NetClientOptions net = new NetClientOptions()
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, settings.connectTimeout().toMillis()))
                .setTcpNoDelay(true)
                .setTcpKeepAlive(true)
                // For rediss:// URLs: the server certificate must name the host.
                // NOTE: no test connects to Redis over TLS.
                .setHostnameVerificationAlgorithm("HTTPS");
        RedisOptions options = new RedisOptions()
                .setType(switch (settings.mode()) {
                    case "sentinel" -> RedisClientType.SENTINEL;
                    case "cluster" -> RedisClientType.CLUSTER;
                    default -> RedisClientType.STANDALONE;
                })
                .setEndpoints(Arrays.stream(settings.url().split(",")).map(String::trim)
                        .filter(url -> !url.isEmpty()).toList())
                .setNetClientOptions(net)
                // One connection per event loop plus, in cluster mode, one per master and event loop.
                .setMaxPoolSize(256)
                .setMaxPoolWaiting(1024)
                .setMaxWaitingHandlers(8192);
        if (settings.mode().equals("sentinel")) {
            options.setMasterName(settings.masterName()).setRole(RedisRole.MASTER);
        }
        if (settings.username() != null) {
            options.setUser(settings.username());
        }
        if (settings.password() != null) {
            options.setPassword(settings.password());
        }
        return options;
    }

    /**
     * Connects and loads the registered scripts. The returned future always succeeds: when Redis cannot be reached,
     * it is marked unavailable (logged once) and probed until it replies.
     */
    public Future<Void> start() {
        Future<Response> pong = execute(connection -> connection.send(Request.cmd(Command.PING)),
                Math.max(STARTUP_WAIT_MILLIS, connectTimeoutMillis + timeoutMillis), true);
        return pong.<Void>map(reply -> {
            LOG.info("Redis: {} ({} mode), commands time out after {}", settings.redactedUrl(), settings.mode(),
                    Durations.format(settings.timeout()));
            return null;
        }).otherwiseEmpty();
    }

    /** Returns whether commands are sent: false from a failure that showed Redis unusable until a probe succeeds. */
    public boolean available() {
        return available.get() && !closed;
    }

    /** Returns the prefix that every key of this node starts with. */
    public String keyPrefix() {
        return settings.keyPrefix();
    }

    /**
     * Logs one WARN line when the server evicts keys once it is full, that is when {@code maxmemory} is set and
     * {@code maxmemory-policy} is not {@code noeviction}, because an evicted rate limit counter starts again from
     * zero. Features whose keys must not be lost call it when they start to use Redis. The policy is read with
     * {@code INFO memory} once per client, and again on the next call when that failed.
     *
     * <p>NOTE: in cluster mode, {@code INFO} reaches one master, so another master's policy goes unchecked.
     */
    public void warnIfEvicting() {
        if (!evictionChecked.compareAndSet(false, true)) {
            return;
        }
        send(Request.cmd(Command.INFO).arg("memory")).onComplete(result -> {
            if (result.failed()) {
                evictionChecked.set(false);
                LOG.debug("Reading the eviction policy of Redis at {} failed: {}", description(),
                        describe(result.cause()));
                return;
            }
            String info = String.valueOf(result.result());
            String policy = infoField(info, "maxmemory_policy");
            String maxMemory = infoField(info, "maxmemory");
            if (policy != null && !policy.equals("noeviction") && maxMemory != null && !maxMemory.equals("0")) {
                LOG.warn("Redis at {} evicts keys when it is full (maxmemory-policy {}, maxmemory {} bytes), so "
                        + "cluster-wide limit counters and HMAC nonces can be evicted, which resets them; set "
                        + "maxmemory-policy noeviction, and give cache policies with store: redis a Redis of their "
                        + "own with cache.redis.url", description(), policy, maxMemory);
            }
        });
    }

    /** Returns the value of {@code name} in the text of an {@code INFO} reply, or null when it has none. */
    private static String infoField(String info, String name) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith(name + ":")) {
                return line.substring(name.length() + 1).trim();
            }
        }
        return null;
    }

    /** Returns the server URLs with passwords hidden, for messages. */
    public String description() {
        return settings.redactedUrl() + " (" + settings.mode() + " mode)";
    }

    /**
     * Loads {@code script} with {@code SCRIPT LOAD} now, and again each time Redis becomes available after an
     * outage. A server that lost the script (restart, failover, {@code SCRIPT FLUSH}, another cluster node) is
     * handled by {@link #eval} anyway.
     */
    public void load(RedisScript script) {
        if (scripts.add(script) && available()) {
            loadScript(script);
        }
    }

    /**
     * Runs {@code script} with {@code EVALSHA}. When the server replies {@code NOSCRIPT}, sends it with
     * {@code EVAL}, which also caches it on that server. In cluster mode every key must hash to the same slot.
     *
     * @return the script's reply; fails with {@link RedisUnavailableException} when Redis is unavailable or does not
     *     answer within the timeout, or with the error reply of the server
     */
    public Future<Response> eval(RedisScript script, List<String> keys, List<String> args) {
        return execute(connection -> connection.send(evalRequest(Command.EVALSHA, script.sha1Bytes(), keys, args))
                .recover(cause -> isNoScript(cause)
                        ? connection.send(evalRequest(Command.EVAL, script.source().getBytes(StandardCharsets.UTF_8),
                                keys, args))
                        : Future.failedFuture(cause)));
    }

    /** Sends one command, with the same timeout and failure handling as {@link #eval}. */
    public Future<Response> send(Request request) {
        return execute(connection -> connection.send(request));
    }

    /**
     * Sends a write that the caller can afford to lose, such as a cached response, like {@link #send}, except that
     * an {@code OOM} reply fails only this command. A full server still serves reads, and Redis counts a command's
     * own arguments against {@code maxmemory}, so a large value can be rejected while small writes still fit.
     */
    public Future<Response> sendBestEffort(Request request) {
        return execute(connection -> connection.send(request), -1, false);
    }

    /**
     * Iterates with {@code SCAN} over the keys that match the glob {@code pattern} and hands each batch of keys to
     * {@code batch}; the next batch is read once the returned future completes, so a long iteration keeps few
     * commands in flight. In cluster mode every master is scanned in turn, each through a connection of its own,
     * since a keyless command reaches only one node; {@code batch} may send commands for the keys with
     * {@link #send}, which routes them to their master. A key that is written or removed during the iteration may
     * be missed or seen twice, as with {@code SCAN} itself.
     *
     * @return the sum of the counts {@code batch} returned; fails on the first failed command
     */
    public Future<Long> scan(String pattern, Function<List<String>, Future<Long>> batch) {
        if (!settings.mode().equals("cluster")) {
            return scanFrom("0", pattern, batch, this::send, 0);
        }
        return send(Request.cmd(Command.CLUSTER).arg("SLOTS")).compose(slots -> {
            Future<Long> total = Future.succeededFuture(0L);
            for (String master : masters(slots)) {
                total = total.compose(sum -> scanNode(master, pattern, batch).map(count -> sum + count));
            }
            return total;
        });
    }

    private Future<Long> scanFrom(String cursor, String pattern, Function<List<String>, Future<Long>> batch,
                                  Function<Request, Future<Response>> sender, long sum) {
        Request scan = Request.cmd(Command.SCAN).arg(cursor).arg("MATCH").arg(pattern).arg("COUNT").arg(SCAN_COUNT);
        return sender.apply(scan).compose(reply -> {
            String next = reply.get(0).toString();
            List<String> keys = new ArrayList<>();
            for (Response key : reply.get(1)) {
                keys.add(key.toString());
            }
            Future<Long> handled = keys.isEmpty() ? Future.succeededFuture(0L) : batch.apply(keys);
            return handled.compose(count -> next.equals("0") ? Future.succeededFuture(sum + count)
                    : scanFrom(next, pattern, batch, sender, sum + count));
        });
    }

    /** Scans one cluster master, given as {@code host:port}, through a standalone connection to it. */
    private Future<Long> scanNode(String master, String pattern, Function<List<String>, Future<Long>> batch) {
        String scheme = settings.url().trim().startsWith("rediss://") ? "rediss://" : "redis://";
        RedisOptions options = options(settings).setType(RedisClientType.STANDALONE)
                .setEndpoints(List.of(scheme + master)).setMaxPoolSize(1);
        Redis node = Redis.createClient(vertx, options);
        return node.connect().compose(connection -> scanFrom("0", pattern, batch,
                request -> withTimeout(connection.send(request), master), 0)
                .andThen(done -> connection.close()))
                .andThen(done -> node.close());
    }

    /** Fails {@code reply} with {@link RedisUnavailableException} when it takes longer than the command timeout. */
    private Future<Response> withTimeout(Future<Response> reply, String server) {
        Promise<Response> promise = Promise.promise();
        long timer = vertx.setTimer(timeoutMillis, id -> promise.tryFail(new RedisUnavailableException(
                "Redis at " + server + " did not reply within " + timeoutMillis + " ms")));
        reply.onComplete(result -> {
            vertx.cancelTimer(timer);
            if (result.succeeded()) {
                promise.tryComplete(result.result());
            } else {
                promise.tryFail(result.cause());
            }
        });
        return promise.future();
    }

    /** Returns the masters in a {@code CLUSTER SLOTS} reply as {@code host:port}, each once. */
    private static List<String> masters(Response slots) {
        Set<String> masters = new LinkedHashSet<>();
        for (Response range : slots) {
            Response master = range.get(2);
            masters.add(master.get(0).toString() + ":" + master.get(1).toInteger());
        }
        return List.copyOf(masters);
    }

    /** Closes every connection; commands fail from now on. */
    public Future<Void> close() {
        closed = true;
        long timer = probeTimer;
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        dropConnections();
        return redis.close();
    }

    private Future<Response> execute(Function<RedisConnection, Future<Response>> command) {
        return execute(command, -1, true);
    }

    /**
     * Sends a command on this event loop's connection and waits for its reply at most {@code waitMillis}, or,
     * when that is negative, the command timeout plus, for a connection still being opened, the connect timeout.
     *
     * @param outOfMemoryIsOutage whether an {@code OOM} reply marks Redis unavailable, rather than failing only
     *     this command
     */
    private Future<Response> execute(Function<RedisConnection, Future<Response>> command, long waitMillis,
                                     boolean outOfMemoryIsOutage) {
        if (!available()) {
            return Future.failedFuture(unavailable);
        }
        Future<RedisConnection> connection = connection();
        if (waitMillis < 0 && connection.succeeded() && Vertx.currentContext() != null
                && Context.isOnEventLoopThread()) {
            PendingCommand pending = new PendingCommand(timeoutMillis, outOfMemoryIsOutage);
            deadlines.get().add(pending);
            command.apply(connection.result()).onComplete(pending);
            return pending.promise.future();
        }
        long wait = waitMillis >= 0 ? waitMillis
                : connection.isComplete() ? timeoutMillis : timeoutMillis + connectTimeoutMillis;
        PendingCommand pending = new PendingCommand(wait, outOfMemoryIsOutage);
        pending.timer = vertx.setTimer(wait, id -> pending.expire());
        connection.compose(command).onComplete(pending);
        return pending.promise.future();
    }

    /** A command waiting for its reply, which turns the outcome into the command's result. */
    private final class PendingCommand extends CommandDeadlines.Entry implements Handler<AsyncResult<Response>> {
        private final Promise<Response> promise = Promise.promise();
        private final long waitMillis;
        private final boolean outOfMemoryIsOutage;
        /** The command's own timer, or -1 when the event loop's {@link CommandDeadlines} keeps its timeout. */
        private long timer = -1;

        PendingCommand(long waitMillis, boolean outOfMemoryIsOutage) {
            this.waitMillis = waitMillis;
            this.outOfMemoryIsOutage = outOfMemoryIsOutage;
        }

        @Override
        boolean completed() {
            return promise.future().isComplete();
        }

        @Override
        void expire() {
            RedisUnavailableException timeout = new RedisUnavailableException("Redis at " + settings.redactedUrl()
                    + " did not reply within " + waitMillis + " ms");
            if (promise.tryFail(timeout)) {
                markUnavailable(timeout);
            }
        }

        @Override
        public void handle(AsyncResult<Response> result) {
            if (timer >= 0) {
                vertx.cancelTimer(timer);
            }
            if (result.succeeded()) {
                promise.tryComplete(result.result());
                return;
            }
            Throwable cause = result.cause();
            if (isUnavailable(cause, outOfMemoryIsOutage)) {
                markUnavailable(cause);
                promise.tryFail(new RedisUnavailableException("Redis at " + settings.redactedUrl()
                        + " failed: " + cause.getMessage()));
            } else {
                logErrorReply(cause);
                promise.tryFail(cause);
            }
        }
    }

    private Future<RedisConnection> connection() {
        Object key = Context.isOnEventLoopThread() ? Thread.currentThread() : SHARED;
        Future<RedisConnection> cached = connections.get(key);
        if (cached != null && !cached.failed()) {
            return cached;
        }
        Promise<RedisConnection> created = Promise.promise();
        Future<RedisConnection> future = created.future();
        // Threads off the event loops share one key, so only the caller whose future went into the map connects.
        Future<RedisConnection> current = connections.compute(key,
                (ignored, existing) -> existing != null && !existing.failed() ? existing : future);
        if (current != future) {
            return current;
        }
        redis.connect().onComplete(result -> {
            if (result.failed()) {
                connections.remove(key, future);
                created.fail(result.cause());
                return;
            }
            RedisConnection connection = result.result();
            connection.exceptionHandler(cause -> forget(key, future, connection));
            connection.endHandler(end -> forget(key, future, connection));
            if (closed) {
                connection.close();
            }
            created.complete(connection);
        });
        return future;
    }

    private void forget(Object key, Future<RedisConnection> future, RedisConnection connection) {
        if (connections.remove(key, future)) {
            connection.close();
        }
    }

    private void dropConnections() {
        for (Map.Entry<Object, Future<RedisConnection>> entry : connections.entrySet()) {
            if (connections.remove(entry.getKey(), entry.getValue())) {
                entry.getValue().onSuccess(RedisConnection::close);
            }
        }
    }

    private void markUnavailable(Throwable cause) {
        if (closed || !available.compareAndSet(true, false)) {
            return;
        }
        LOG.warn("Redis at {} is unavailable ({}); features that keep state in Redis fall back as configured, and "
                + "the server is probed every {} until it accepts a write", description(), describe(cause),
                Durations.format(settings.retryInterval()));
        dropConnections();
        scheduleProbe();
    }

    private void scheduleProbe() {
        if (closed) {
            return;
        }
        probeTimer = vertx.setTimer(Math.max(1, settings.retryInterval().toMillis()), id -> probe());
    }

    private void probe() {
        Promise<Void> answered = Promise.promise();
        long timer = vertx.setTimer(timeoutMillis + connectTimeoutMillis,
                id -> answered.tryFail("no reply"));
        redis.connect().onComplete(connected -> {
            if (connected.failed()) {
                answered.tryFail(connected.cause());
                return;
            }
            RedisConnection connection = connected.result();
            Request write = Request.cmd(Command.SET).arg(settings.keyPrefix() + PROBE_KEY).arg("1").arg("PX")
                    .arg(PROBE_TTL_MILLIS);
            connection.send(write).onComplete(written -> {
                connection.close();
                if (written.succeeded()) {
                    answered.tryComplete();
                } else {
                    answered.tryFail(written.cause());
                }
            });
        });
        answered.future().onComplete(result -> {
            vertx.cancelTimer(timer);
            if (result.succeeded()) {
                markAvailable();
            } else {
                LOG.debug("Redis at {} is still unavailable: {}", description(), describe(result.cause()));
                scheduleProbe();
            }
        });
    }

    private void markAvailable() {
        if (closed || !available.compareAndSet(false, true)) {
            return;
        }
        probeTimer = -1;
        LOG.info("Redis at {} is available again; features that keep state in Redis use it again", description());
        scripts.forEach(this::loadScript);
    }

    private void loadScript(RedisScript script) {
        send(Request.cmd(Command.SCRIPT).arg("LOAD").arg(script.source())).onComplete(result -> {
            if (result.failed()) {
                LOG.debug("Loading Redis script {} failed: {}", script, describe(result.cause()));
            } else if (!script.sha1().equals(String.valueOf(result.result()))) {
                LOG.warn("Redis returned the digest {} for script {}; EVALSHA calls fall back to EVAL",
                        result.result(), script);
            }
        });
    }

    private void logErrorReply(Throwable cause) {
        long last = lastErrorLog.get();
        long now = System.nanoTime();
        if (now - last >= ERROR_LOG_INTERVAL_NANOS && lastErrorLog.compareAndSet(last, now)) {
            LOG.warn("Redis at {} rejected a command: {}; further rejections within a minute are logged at DEBUG",
                    description(), cause.getMessage());
        } else {
            LOG.debug("Redis at {} rejected a command: {}", description(), cause.getMessage());
        }
    }

    private static Request evalRequest(Command command, byte[] script, List<String> keys, List<String> args) {
        Request request = Request.cmd(command).arg(script).arg(keys.size());
        keys.forEach(request::arg);
        args.forEach(request::arg);
        return request;
    }

    private static boolean isNoScript(Throwable cause) {
        return isErrorReply(cause) && String.valueOf(cause.getMessage()).startsWith("NOSCRIPT");
    }

    /** Returns whether {@code cause} shows the server unusable, rather than one command wrong. */
    static boolean isUnavailable(Throwable cause, boolean outOfMemoryIsOutage) {
        if (cause instanceof RedisUnavailableException) {
            return true;
        }
        if (!isErrorReply(cause)) {
            // Refused, reset or closed connections, exhausted pools and failed handshakes.
            return true;
        }
        String code = errorCode(String.valueOf(cause.getMessage()));
        return UNAVAILABLE_CODES.contains(code) && (outOfMemoryIsOutage || !code.equals("OOM"));
    }

    /**
     * Returns the error code of an error reply: its first word, such as {@code OOM}. For the reply of a script whose
     * {@code redis.call} failed, Redis 6 writes {@code ERR Error running script (call to f_SHA):
     * @user_script:LINE: @user_script: LINE: -CODE message}, and the code returned is that of the inner error.
     */
    static String errorCode(String message) {
        String error = message;
        if (error.startsWith(SCRIPT_ERROR)) {
            int inner = error.lastIndexOf(": -");
            if (inner >= 0) {
                error = error.substring(inner + 3);
            }
        }
        int space = error.indexOf(' ');
        return space < 0 ? error : error.substring(0, space);
    }

    private static boolean isErrorReply(Throwable cause) {
        return cause instanceof Response reply && reply.type() == ResponseType.ERROR;
    }

    private static String describe(Throwable cause) {
        String message = cause.getMessage();
        return message == null || message.isBlank() ? cause.getClass().getSimpleName() : message;
    }
}
