package io.portico.policy.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The gate's counting under contention, without a gateway around it. */
class ConcurrencyGateTest {

    private final ConcurrentHashMap<String, ConcurrencyGate> gates = new ConcurrentHashMap<>();

    @Test
    void idleGateLeavesMap() {
        ConcurrencyGate gate = ConcurrencyGate.of("key", gates);

        ConcurrencyGate.Result acquired = gate.tryAcquire(1);
        ConcurrencyGate.Result full = gate.tryAcquire(1);
        gate.release();

        assertThat(acquired).isEqualTo(ConcurrencyGate.Result.ACQUIRED);
        assertThat(full).isEqualTo(ConcurrencyGate.Result.FULL);
        assertThat(gates).isEmpty();
        assertThat(gate.tryAcquire(1)).isEqualTo(ConcurrencyGate.Result.RETIRED);
    }

    @Test
    void waitersAreServedInOrder() {
        ConcurrencyGate gate = ConcurrencyGate.of("key", gates);
        gate.tryAcquire(1);
        List<String> granted = new ArrayList<>();

        gate.enqueue(waiter(granted, "first"), 2);
        gate.enqueue(waiter(granted, "second"), 2);
        ConcurrencyGate.Result third = gate.enqueue(waiter(granted, "third"), 2);
        gate.release();
        gate.release();

        assertThat(third).isEqualTo(ConcurrencyGate.Result.FULL);
        assertThat(granted).containsExactly("first", "second");
        assertThat(gate.inFlight()).isEqualTo(1);
    }

    @Test
    void slotOfWaiterThatGaveUpGoesToNext() {
        ConcurrencyGate gate = ConcurrencyGate.of("key", gates);
        gate.tryAcquire(1);
        List<String> granted = new ArrayList<>();
        gate.enqueue(new ConcurrencyGate.Waiter() {
            @Override
            public int max() {
                return 1;
            }

            @Override
            public boolean grant() {
                return false;
            }
        }, 2);
        gate.enqueue(waiter(granted, "patient"), 2);

        gate.release();

        assertThat(granted).containsExactly("patient");
        assertThat(gate.inFlight()).isEqualTo(1);
    }

    @Test
    void contendedGateNeverExceedsMax() throws Exception {
        int max = 3;
        AtomicInteger highest = new AtomicInteger();
        AtomicInteger completed = new AtomicInteger();
        ExecutorService threads = Executors.newFixedThreadPool(6);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            long seed = t;
            workers.add(threads.submit(() -> {
                Random random = new Random(seed);
                start.await();
                for (int i = 0; i < 2000; i++) {
                    ConcurrencyGate gate = ConcurrencyGate.of("hot", gates);
                    ConcurrencyGate.Result result = gate.tryAcquire(max);
                    if (result == ConcurrencyGate.Result.ACQUIRED) {
                        highest.accumulateAndGet(gate.inFlight(), Math::max);
                        if (random.nextInt(10) == 0) {
                            Thread.yield();
                        }
                        gate.release();
                        completed.incrementAndGet();
                    } else if (result == ConcurrencyGate.Result.FULL && random.nextBoolean()) {
                        CountDownLatch done = new CountDownLatch(1);
                        ConcurrencyGate.Result queued = gate.enqueue(new ConcurrencyGate.Waiter() {
                            @Override
                            public int max() {
                                return max;
                            }

                            @Override
                            public boolean grant() {
                                highest.accumulateAndGet(gate.inFlight(), Math::max);
                                done.countDown();
                                return true;
                            }
                        }, 100);
                        if (queued == ConcurrencyGate.Result.QUEUED) {
                            assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
                            gate.release();
                            completed.incrementAndGet();
                        }
                    }
                }
                return null;
            }));
        }
        start.countDown();
        for (Future<?> worker : workers) {
            worker.get(60, TimeUnit.SECONDS);
        }
        threads.shutdown();

        assertThat(highest.get()).isLessThanOrEqualTo(max);
        assertThat(completed.get()).isGreaterThan(0);
        assertThat(gates).isEmpty();
    }

    private static ConcurrencyGate.Waiter waiter(List<String> granted, String name) {
        return new ConcurrencyGate.Waiter() {
            @Override
            public int max() {
                return 1;
            }

            @Override
            public boolean grant() {
                granted.add(name);
                return true;
            }
        };
    }
}
