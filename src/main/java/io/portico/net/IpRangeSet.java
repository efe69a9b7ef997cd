package io.portico.net;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * An immutable set of IP ranges whose {@link #contains} check takes O(log n) time and allocates nothing. The
 * ranges are merged into sorted, disjoint intervals of 128-bit numbers at construction, and {@link #contains} is
 * a binary search over them.
 *
 * <p>IPv4 addresses match IPv4 ranges and ranges written in IPv4-mapped form ({@code ::ffff:192.0.2.0/120}).
 * Other IPv6 ranges never match an IPv4 address, even when their numbers cover the IPv4-mapped block: to most
 * readers {@code ::/0} means every IPv6 address, not every address.
 */
public final class IpRangeSet {

    private static final IpRangeSet EMPTY = new IpRangeSet(new long[0], new long[0], new long[0], new long[0]);
    private static final IpAddress MAPPED_FIRST = new IpAddress(IpAddress.MAPPED_HIGH, IpAddress.MAPPED_LOW);
    private static final IpAddress MAPPED_LAST = new IpAddress(IpAddress.MAPPED_HIGH, IpAddress.MAPPED_LOW
            | 0xffff_ffffL);

    private final long[] firstHigh;
    private final long[] firstLow;
    private final long[] lastHigh;
    private final long[] lastLow;

    private IpRangeSet(long[] firstHigh, long[] firstLow, long[] lastHigh, long[] lastLow) {
        this.firstHigh = firstHigh;
        this.firstLow = firstLow;
        this.lastHigh = lastHigh;
        this.lastLow = lastLow;
    }

    public static IpRangeSet empty() {
        return EMPTY;
    }

    /** Returns the set of every address in {@code ranges}. */
    public static IpRangeSet of(Collection<IpRange> ranges) {
        List<IpAddress[]> intervals = new ArrayList<>(ranges.size() + 1);
        for (IpRange range : ranges) {
            addExcludingMapped(range, intervals);
        }
        intervals.sort(Comparator.comparing((IpAddress[] interval) -> interval[0], IpRangeSet::compare));
        List<IpAddress[]> merged = new ArrayList<>(intervals.size());
        for (IpAddress[] interval : intervals) {
            IpAddress[] previous = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (previous != null && touches(previous[1], interval[0])) {
                if (compare(interval[1], previous[1]) > 0) {
                    previous[1] = interval[1];
                }
            } else {
                merged.add(new IpAddress[] {interval[0], interval[1]});
            }
        }
        int size = merged.size();
        long[] firstHigh = new long[size];
        long[] firstLow = new long[size];
        long[] lastHigh = new long[size];
        long[] lastLow = new long[size];
        for (int i = 0; i < size; i++) {
            firstHigh[i] = merged.get(i)[0].high();
            firstLow[i] = merged.get(i)[0].low();
            lastHigh[i] = merged.get(i)[1].high();
            lastLow[i] = merged.get(i)[1].low();
        }
        return new IpRangeSet(firstHigh, firstLow, lastHigh, lastLow);
    }

    /** Parses each entry with {@link IpRange#parse} and returns the set of them all. */
    public static IpRangeSet parse(Collection<String> ranges) {
        List<IpRange> parsed = new ArrayList<>(ranges.size());
        for (String range : ranges) {
            parsed.add(IpRange.parse(range));
        }
        return of(parsed);
    }

    /** Returns true when {@code address} lies in one of the ranges; false for null. */
    public boolean contains(IpAddress address) {
        if (address == null) {
            return false;
        }
        long high = address.high();
        long low = address.low();
        int lowIndex = 0;
        int highIndex = firstHigh.length - 1;
        int candidate = -1;
        while (lowIndex <= highIndex) {
            int middle = (lowIndex + highIndex) >>> 1;
            if (compare(firstHigh[middle], firstLow[middle], high, low) <= 0) {
                candidate = middle;
                lowIndex = middle + 1;
            } else {
                highIndex = middle - 1;
            }
        }
        return candidate >= 0 && compare(high, low, lastHigh[candidate], lastLow[candidate]) <= 0;
    }

    public boolean isEmpty() {
        return firstHigh.length == 0;
    }

    /** Number of disjoint intervals the ranges were merged into. */
    public int intervals() {
        return firstHigh.length;
    }

    /**
     * Adds the interval of {@code range}. A range written in IPv6 notation that covers the IPv4-mapped block
     * without lying inside it loses that block, so it matches no IPv4 address.
     */
    private static void addExcludingMapped(IpRange range, List<IpAddress[]> intervals) {
        IpAddress first = range.first();
        IpAddress last = range.last();
        boolean insideMapped = compare(first, MAPPED_FIRST) >= 0 && compare(last, MAPPED_LAST) <= 0;
        boolean overlapsMapped = compare(first, MAPPED_LAST) <= 0 && compare(last, MAPPED_FIRST) >= 0;
        if (!range.writtenAsIpv6() || insideMapped || !overlapsMapped) {
            intervals.add(new IpAddress[] {first, last});
            return;
        }
        // A CIDR range that overlaps the /96 block without lying inside it contains the whole block.
        if (compare(first, MAPPED_FIRST) < 0) {
            intervals.add(new IpAddress[] {first, new IpAddress(MAPPED_FIRST.high(), MAPPED_FIRST.low() - 1)});
        }
        if (compare(last, MAPPED_LAST) > 0) {
            intervals.add(new IpAddress[] {new IpAddress(MAPPED_LAST.high(), MAPPED_LAST.low() + 1), last});
        }
    }

    /** Returns true when {@code next} is at most one above {@code last}, so the two intervals form one. */
    private static boolean touches(IpAddress last, IpAddress next) {
        if (compare(next, last) <= 0) {
            return true;
        }
        long low = last.low() + 1;
        long high = low == 0 ? last.high() + 1 : last.high();
        return high == next.high() && low == next.low();
    }

    private static int compare(IpAddress a, IpAddress b) {
        return compare(a.high(), a.low(), b.high(), b.low());
    }

    private static int compare(long aHigh, long aLow, long bHigh, long bLow) {
        int byHigh = Long.compareUnsigned(aHigh, bHigh);
        return byHigh != 0 ? byHigh : Long.compareUnsigned(aLow, bLow);
    }
}
