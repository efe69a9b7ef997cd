package io.portico.admin;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts failed password sign-ins to the admin API in memory, per account name and per client address, and locks
 * one out for the rest of a fixed window once it reaches its limit. The window starts with the first failure, and
 * the lock ends with the window, so an attacker who keeps guessing cannot keep a real user out longer than one
 * window after the last guess. Names that match no user are counted the same way, so a lock reveals nothing about
 * which users exist. A successful sign-in clears its account's count; the address count stays.
 *
 * <p>Each node counts on its own. The counts live in bounded caches, so a flood of distinct names or addresses
 * evicts old entries instead of growing memory.
 */
final class SignInThrottle {

    /** Failed sign-ins per account name within one window, before the account is locked. */
    static final int ACCOUNT_FAILURES = 5;
    /** Failed sign-ins per client address within one window, over all names, before the address is locked. */
    static final int ADDRESS_FAILURES = 30;
    /** The counting window, which is also the longest lock. */
    static final Duration WINDOW = Duration.ofMinutes(1);

    private static final Logger LOG = LoggerFactory.getLogger(SignInThrottle.class);
    private static final int MAX_TRACKED = 100_000;
    private static final int MAX_LOGGED_NAME = 64;

    /** The failures of one account or address since the window began. Guarded by the cache's compute. */
    private static final class Window {
        private final long startMillis;
        private volatile int failures;

        Window(long startMillis) {
            this.startMillis = startMillis;
        }
    }

    private final int accountFailures;
    private final int addressFailures;
    private final long windowMillis;
    private final LongSupplier clock;
    private final Cache<String, Window> accounts;
    private final Cache<String, Window> addresses;

    SignInThrottle() {
        this(ACCOUNT_FAILURES, ADDRESS_FAILURES, WINDOW, System::currentTimeMillis);
    }

    /** @param clock the current time in milliseconds */
    SignInThrottle(int accountFailures, int addressFailures, Duration window, LongSupplier clock) {
        this.accountFailures = accountFailures;
        this.addressFailures = addressFailures;
        this.windowMillis = window.toMillis();
        this.clock = requireNonNull(clock, "clock");
        this.accounts = Caffeine.newBuilder().maximumSize(MAX_TRACKED).expireAfterWrite(window).build();
        this.addresses = Caffeine.newBuilder().maximumSize(MAX_TRACKED).expireAfterWrite(window).build();
    }

    /**
     * Returns how long sign-ins for {@code account} from {@code address} stay rejected, or {@link Duration#ZERO}
     * when they may be tried.
     */
    Duration lockedFor(String account, String address) {
        long now = clock.getAsLong();
        long remaining = Math.max(remaining(accounts.getIfPresent(account), accountFailures, now),
                remaining(addresses.getIfPresent(address), addressFailures, now));
        return Duration.ofMillis(remaining);
    }

    /** Counts a failed sign-in, and logs a WARN line when it locks the account or the address. */
    void failed(String account, String address) {
        if (count(accounts, account) == accountFailures) {
            LOG.warn("Locked password sign-ins to the admin account '{}' for {} s after {} failures; check for a"
                    + " password-guessing client, last from {}", printable(account), windowMillis / 1000,
                    accountFailures, address);
        }
        if (count(addresses, address) == addressFailures) {
            LOG.warn("Locked password sign-ins from {} for {} s after {} failures, last for the account '{}'",
                    address, windowMillis / 1000, addressFailures, printable(account));
        }
    }

    /** Clears the failures of {@code account} after it signed in. */
    void succeeded(String account) {
        accounts.invalidate(account);
    }

    /** Adds one failure to the window of {@code key}, starting a new window after the last one ended. */
    private int count(Cache<String, Window> windows, String key) {
        long now = clock.getAsLong();
        Window window = windows.asMap().compute(key, (unused, current) -> {
            Window next = current == null || now - current.startMillis >= windowMillis ? new Window(now) : current;
            next.failures++;
            return next;
        });
        return window.failures;
    }

    private long remaining(Window window, int limit, long now) {
        if (window == null || window.failures < limit) {
            return 0;
        }
        return Math.max(0, window.startMillis + windowMillis - now);
    }

    /** Returns the name as it may be logged: control characters replaced, and at most 64 characters. */
    private static String printable(String name) {
        String shortened = name.length() > MAX_LOGGED_NAME ? name.substring(0, MAX_LOGGED_NAME) + "..." : name;
        return shortened.replaceAll("\\p{Cntrl}", "?");
    }
}
