package io.strait.tcp.sim;

import io.strait.tcp.SegmentSink;
import io.strait.tcp.TcpEngine;
import io.strait.tcp.wire.TcpHeader;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/**
 * A seeded, simulated wire between two engines (A and B), with a {@link FaultPlan}. Each side's output goes
 * through {@link #sinkA()} / {@link #sinkB()}; {@link #step()} moves the {@link VirtualClock} to the next event
 * (the earliest of the next delivery and both engines' {@link TcpEngine#nextDeadlineNs()}), delivers what is due
 * and polls both engines. Same seed, same run: everything is deterministic. A {@link Tap} sees every segment put on
 * the wire (with its fate) and every delivery, so a test can check a protocol property from outside the engines.
 */
public final class SimWire {
    private static final int IPV4_HEADER_BYTES = 20;
    private final SplittableRandom random;
    private final FaultPlan plan;
    private final VirtualClock clock;
    private final PriorityQueue<Packet> inFlight = new PriorityQueue<>();
    private final Side sideA = new Side();
    private final Side sideB = new Side();
    private final UnsafeBuffer rxBuffer = new UnsafeBuffer(new byte[65536]);
    private PcapWriter pcap;
    private Tap tap;
    private long sequence;
    public long sent;
    public long lost;
    public long duplicated;
    public long corrupted;
    public long delivered;
    /** Segments, and TCP payload bytes in them, the fault plan dropped (loss or partition), per direction. */
    public long lostFromA;
    public long lostFromB;
    public long lostPayloadBytesFromA;
    public long lostPayloadBytesFromB;
    /** Segments dropped because their IP datagram exceeded {@link #mtu(int)} (counted in {@link #lost} too). */
    public long tooBig;
    private int mtu = Integer.MAX_VALUE;

    /**
     * Observes the wire, on the thread that steps it. The buffer is only valid during the call; segments start at
     * offset 0.
     */
    public interface Tap {
        /**
         * An engine put a segment on the wire (as written, before any corruption); {@code dropped}: the fault plan
         * lost it (loss or partition).
         */
        default void onTransmit(long nowNs, int srcIp, int dstIp, DirectBuffer segment, int length,
            boolean dropped) {
        }

        /** A segment is handed to the engine at {@code dstIp} now (after corruption, if any). */
        default void onDeliver(long nowNs, int srcIp, int dstIp, DirectBuffer segment, int length) {
        }
    }

    public SimWire(final long seed, final FaultPlan plan, final VirtualClock clock) {
        this.random = new SplittableRandom(seed);
        this.plan = plan;
        this.clock = clock;
    }

    /** Record every segment put on the wire (after corruption) as raw IPv4. */
    public void pcap(final PcapWriter writer) {
        this.pcap = writer;
    }

    /** Installs (or with null removes) the observer of every transmission and delivery. */
    public void tap(final Tap t) {
        this.tap = t;
    }

    public void attach(final TcpEngine a, final int ipA, final TcpEngine b, final int ipB) {
        sideA.engine = a;
        sideA.ip = ipA;
        sideB.engine = b;
        sideB.ip = ipB;
    }

    public SegmentSink sinkA() {
        return sideA;
    }

    public SegmentSink sinkB() {
        return sideB;
    }

    /**
     * From now on, every IP datagram (20 bytes of IPv4 header plus the TCP segment) longer than {@code ipBytes} is
     * dropped silently, in both directions: a path MTU black hole (RFC 2923 §2.1), a link that refuses the size and
     * a router whose ICMP "fragmentation needed" is filtered. {@link Integer#MAX_VALUE} (the default) drops none.
     */
    public void mtu(final int ipBytes) {
        this.mtu = ipBytes;
    }

    public VirtualClock clock() {
        return clock;
    }

    public int inFlight() {
        return inFlight.size();
    }

    /** One event: advance the clock, deliver due segments, poll both engines. @return false when nothing is left */
    public boolean step() {
        long next = Math.min(sideA.engine.nextDeadlineNs(), sideB.engine.nextDeadlineNs());
        final Packet head = inFlight.peek();
        if (head != null && head.deliverAtNs < next) {
            next = head.deliverAtNs;
        }
        if (next == Long.MAX_VALUE) {
            return false;
        }
        clock.advanceTo(next);
        final long now = clock.nowNs();
        Packet p;
        while ((p = inFlight.peek()) != null && p.deliverAtNs <= now) {
            inFlight.poll();
            rxBuffer.putBytes(0, p.data);
            final Side to = p.dstIp == sideB.ip ? sideB : sideA;
            delivered++;
            if (tap != null) {
                tap.onDeliver(now, p.srcIp, p.dstIp, rxBuffer, p.data.length);
            }
            to.engine.onSegment(rxBuffer, 0, p.data.length, p.srcIp, p.dstIp, false, now, to);
        }
        sideA.engine.poll(now, sideA);
        sideB.engine.poll(now, sideB);
        return true;
    }

    /** Steps until {@code done} holds, the clock passes {@code untilNs} or nothing is left. */
    public boolean runUntil(final BooleanSupplier done, final long untilNs) {
        while (!done.getAsBoolean()) {
            if (clock.nowNs() > untilNs || !step()) {
                return done.getAsBoolean();
            }
        }
        return true;
    }

    private void transmit(final int srcIp, final int dstIp, final UnsafeBuffer buf, final int length) {
        sent++;
        final long now = clock.nowNs();
        final boolean refused = IPV4_HEADER_BYTES + length > mtu;
        if (refused || plan.partitioned(now) || random.nextDouble() < plan.loss) {
            lost++;
            if (refused) {
                tooBig++;
            }
            final int payload = length - ((buf.getByte(TcpHeader.DATA_OFFSET_OFFSET) & 0xF0) >>> 2);
            if (srcIp == sideA.ip) {
                lostFromA++;
                lostPayloadBytesFromA += payload;
            } else {
                lostFromB++;
                lostPayloadBytesFromB += payload;
            }
            if (tap != null) {
                tap.onTransmit(now, srcIp, dstIp, buf, length, true);
            }
            return;
        }
        if (tap != null) {
            tap.onTransmit(now, srcIp, dstIp, buf, length, false);
        }
        final byte[] data = new byte[length];
        buf.getBytes(0, data);
        if (plan.corrupt > 0 && random.nextDouble() < plan.corrupt) {
            corrupted++;
            data[random.nextInt(length)] ^= (byte) (1 + random.nextInt(255));
        }
        if (pcap != null) {
            pcap.writeIpv4(now, srcIp, dstIp, 6, new UnsafeBuffer(data), 0, length);
        }
        enqueue(srcIp, dstIp, data, now);
        if (plan.duplicate > 0 && random.nextDouble() < plan.duplicate) {
            duplicated++;
            enqueue(srcIp, dstIp, data.clone(), now);
        }
    }

    private void enqueue(final int srcIp, final int dstIp, final byte[] data, final long now) {
        final long jitter = plan.jitterNs > 0 ? random.nextLong(plan.jitterNs + 1) : 0;
        inFlight.add(new Packet(now + plan.delayNs + jitter, sequence++, srcIp, dstIp, data));
    }

    private record Packet(long deliverAtNs, long order, int srcIp, int dstIp, byte[] data)
        implements Comparable<Packet> {
        @Override
        public int compareTo(final Packet o) {
            final int c = Long.compare(deliverAtNs, o.deliverAtNs);
            return c != 0 ? c : Long.compare(order, o.order);
        }
    }

    private final class Side implements SegmentSink {
        TcpEngine engine;
        int ip;
        private final UnsafeBuffer tx = new UnsafeBuffer(new byte[65536]);
        private int claimSrc;
        private int claimDst;
        private int claimLength = -1;

        @Override
        public int claim(final int localIp, final int remoteIp, final int tcpLength) {
            claimSrc = localIp;
            claimDst = remoteIp;
            claimLength = tcpLength;
            return 0;
        }

        @Override
        public MutableDirectBuffer buffer() {
            return tx;
        }

        @Override
        public void commit() {
            transmit(claimSrc, claimDst, tx, claimLength);
            claimLength = -1;
        }
    }
}
