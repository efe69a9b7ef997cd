package io.portico.policy.tokenlimit;

/**
 * The tokens and requests of one subject in the current minute of the clock, on this node. Windows are fixed: they
 * start at each whole minute and forget everything when the next one starts.
 */
final class MinuteWindow {

    private long minute = Long.MIN_VALUE;
    private long tokens;
    private long requests;

    /** Moves the window to {@code minute} (minutes since the epoch), clearing the counts of an older one. */
    private void roll(long minute) {
        if (minute != this.minute) {
            this.minute = minute;
            tokens = 0;
            requests = 0;
        }
    }

    synchronized long tokens(long minute) {
        roll(minute);
        return tokens;
    }

    synchronized long requests(long minute) {
        roll(minute);
        return requests;
    }

    synchronized void reserve(long minute, long estimate) {
        roll(minute);
        tokens += estimate;
        requests++;
    }

    /** Adds {@code delta} tokens when the window is still at {@code minute}; a later minute starts afresh anyway. */
    synchronized void correct(long minute, long delta) {
        if (minute == this.minute) {
            tokens = Math.max(0, tokens + delta);
        }
    }
}
