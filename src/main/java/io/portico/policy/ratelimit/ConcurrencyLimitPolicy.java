package io.portico.policy.ratelimit;

import static java.util.Objects.requireNonNull;

import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyChain;
import io.portico.pipeline.RequestContext;
import io.portico.problem.ProblemType;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code concurrency-limit} policy: at most {@code max} requests of one key in flight on this node. A request
 * beyond that waits in a queue of bounded length for a bounded time, or gets 503 at once when the queue is full
 * or configured empty. A slot is held from admission until the response ends: just before the write that completes
 * the response for the client (see {@link RequestContext#onResponseEnding}), or when the client connection closed
 * first. By then the upstream has finished its response, so the next request cannot over-commit it, and a
 * client that sends its next request once it has read a response finds the slot free. Upstream failures end in a
 * gateway response, so they return the slot too.
 */
final class ConcurrencyLimitPolicy implements Policy {

    /** The kinds of key the limit counts per. */
    enum KeyKind { ROUTE, SERVICE, CONSUMER }

    private final int max;
    private final int maxWaiting;
    private final long maxWaitMillis;
    private final KeyKind keyKind;
    /** The prefix length that IPv6 addresses of anonymous requests are counted by, with {@code key: consumer}. */
    private final int ipv6Prefix;
    private final String namespace;
    private final ConcurrentHashMap<String, ConcurrencyGate> gates;
    /** The problem details of a rejection without a queue and with a full queue, built once. */
    private final String busyDetail;
    private final String queueFullDetail;
    /**
     * The {@code Retry-After} of a rejection, in seconds. Without a queue it is 1, the shortest delay the field
     * can state, because a slot frees up whenever a request in progress ends. With a queue it is
     * {@code queueTimeout}, rounded up: by then every request that waits now has got a slot or given up.
     */
    private final String retryAfter;

    /**
     * Creates the policy.
     *
     * @param maxWaiting requests that may wait per key; 0 rejects at once
     * @param ipv6Prefix the prefix length that IPv6 addresses of anonymous requests are counted by, from 1 to 128
     * @param namespace the policy's place in the configuration; gates keyed by service ignore it, so every policy
     *     that limits a service shares the service's count
     * @param gates the node's gates, shared by every concurrency-limit policy
     */
    ConcurrencyLimitPolicy(int max, int maxWaiting, long maxWaitMillis, KeyKind keyKind, int ipv6Prefix,
                           String namespace, ConcurrentHashMap<String, ConcurrencyGate> gates) {
        this.max = max;
        this.maxWaiting = maxWaiting;
        this.maxWaitMillis = maxWaitMillis;
        this.busyDetail = "at most " + max + (max == 1 ? " request" : " requests")
                + " may be in progress here at once";
        this.queueFullDetail = busyDetail + ", and " + maxWaiting + " waiting";
        this.retryAfter = maxWaiting == 0 ? "1" : Long.toString(Math.max(1, (maxWaitMillis + 999) / 1000));
        this.keyKind = requireNonNull(keyKind, "keyKind");
        this.ipv6Prefix = ipv6Prefix;
        this.namespace = requireNonNull(namespace, "namespace");
        this.gates = requireNonNull(gates, "gates");
    }

    @Override
    public void handle(RequestContext ctx, PolicyChain chain) {
        String key = key(ctx);
        while (true) {
            ConcurrencyGate gate = ConcurrencyGate.of(key, gates);
            ConcurrencyGate.Result acquired = gate.tryAcquire(max);
            if (acquired == ConcurrencyGate.Result.ACQUIRED) {
                ctx.onResponseEnding(gate::release);
                chain.proceed(ctx);
                return;
            }
            if (acquired == ConcurrencyGate.Result.RETIRED) {
                continue;
            }
            if (maxWaiting == 0) {
                reject(ctx, busyDetail);
                return;
            }
            QueuedRequest waiter = new QueuedRequest(ctx, chain, gate);
            ctx.pauseBody();
            ConcurrencyGate.Result queued = gate.enqueue(waiter, maxWaiting);
            if (queued == ConcurrencyGate.Result.RETIRED) {
                ctx.resumeBody();
                continue;
            }
            if (queued == ConcurrencyGate.Result.FULL) {
                ctx.resumeBody();
                reject(ctx, queueFullDetail);
                return;
            }
            waiter.watch();
            return;
        }
    }

    private String key(RequestContext ctx) {
        return switch (keyKind) {
            case ROUTE -> namespace + "|route=" + ctx.route().name();
            case SERVICE -> ctx.route().spec().service() != null ? "service=" + ctx.route().spec().service()
                    : namespace + "|route=" + ctx.route().name();
            case CONSUMER -> namespace + "|" + (ctx.consumer() != null ? "consumer=" + ctx.consumer()
                    : "client-address=" + ctx.clientNetwork(ipv6Prefix));
        };
    }

    private void reject(RequestContext ctx, String detail) {
        ctx.logField("concurrency_limit", "rejected");
        ctx.response().putHeader(HttpHeaders.RETRY_AFTER, retryAfter);
        ctx.fail(ProblemType.CONCURRENCY_LIMITED, detail);
    }

    /** A request waiting on its event loop for a slot of a gate. */
    private final class QueuedRequest implements ConcurrencyGate.Waiter {
        private static final int WAITING = 0;
        private static final int GRANTED = 1;
        private static final int GAVE_UP = 2;

        private final RequestContext ctx;
        private final PolicyChain chain;
        private final ConcurrencyGate gate;
        private final Context context = Vertx.currentContext();
        private final AtomicInteger state = new AtomicInteger(WAITING);
        private long timer = -1;

        QueuedRequest(RequestContext ctx, PolicyChain chain, ConcurrencyGate gate) {
            this.ctx = ctx;
            this.chain = chain;
            this.gate = gate;
        }

        /** Starts the wait's timer and watches for the end of the exchange; runs on the request's event loop. */
        void watch() {
            ctx.onEnd(this::exchangeEnded);
            if (state.get() == WAITING) {
                timer = context.owner().setTimer(maxWaitMillis, id -> timedOut());
            }
        }

        @Override
        public int max() {
            return max;
        }

        @Override
        public boolean grant() {
            if (!state.compareAndSet(WAITING, GRANTED)) {
                return false;
            }
            if (Vertx.currentContext() == context) {
                proceed();
            } else {
                context.runOnContext(ignored -> proceed());
            }
            return true;
        }

        private void proceed() {
            if (timer >= 0) {
                context.owner().cancelTimer(timer);
            }
            // Runs at once when the exchange has ended already, which returns the slot just granted.
            ctx.onResponseEnding(gate::release);
            ctx.resumeBody();
            if (!ctx.response().closed() && !ctx.response().ended()) {
                chain.proceed(ctx);
            }
        }

        private void timedOut() {
            if (state.compareAndSet(WAITING, GAVE_UP)) {
                gate.remove(this);
                ctx.resumeBody();
                reject(ctx, "no request slot became free within " + maxWaitMillis + " ms");
            }
        }

        /** Leaves the queue when the exchange ends while waiting; a granted request returns its slot in proceed. */
        private void exchangeEnded() {
            if (state.compareAndSet(WAITING, GAVE_UP)) {
                if (timer >= 0) {
                    context.owner().cancelTimer(timer);
                }
                gate.remove(this);
            }
        }
    }
}
