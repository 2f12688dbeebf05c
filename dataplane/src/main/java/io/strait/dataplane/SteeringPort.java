package io.strait.dataplane;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.ringbuffer.RingBuffer;

/**
 * One core's end of the rings between cores ({@link Steering}, more than one core): hands a received TCP frame
 * another core owns to that core's inbound ring, tells the other cores an ARP mapping this one learnt, and drains
 * its own inbound ring each cycle (frames to {@link Ipv4Input}, mappings to {@link ArpResolver}).
 *
 * <p>A steered frame's mbuf travels with it and is freed by the core that processes it. Nothing here allocates.
 * Called on the owning core's thread only (the rings are many-to-one).
 */
final class SteeringPort implements MessageHandler {
    /** Steered frames one cycle takes from this core's inbound ring (capped work). */
    static final int STEER_DRAIN = 2 * FrameIo.BURST;

    private final Steering steering;
    private final int core;
    private final RingBuffer inbound;
    private final FrameIo io;
    private final DataplaneCounters c;
    private final NetAgent agent;
    private final Ipv4Input ipv4In;
    private final ArpResolver arp;
    private final long[] steeredFree = new long[STEER_DRAIN];
    private int steeredFreeCount;
    private long nowNs;

    SteeringPort(Steering steering, int core, FrameIo io, DataplaneCounters counters, NetAgent agent,
                 Ipv4Input ipv4In, ArpResolver arp) {
        this.steering = steering;
        this.core = core;
        this.inbound = steering.inbound(core);
        this.io = io;
        this.c = counters;
        this.agent = agent;
        this.ipv4In = ipv4In;
        this.arp = arp;
    }

    int core() {
        return core;
    }

    /** The core owning the flow (see {@link Steering#owner}). */
    int owner(int localIp, int localPort, int remoteIp, int remotePort) {
        return steering.owner(localIp, localPort, remoteIp, remotePort);
    }

    /** Writes a received frame into core {@code owner}'s ring; false (counted) when the ring is full. */
    boolean steer(int owner, long buf, long addr, int length, int flags) {
        final RingBuffer ring = steering.inbound(owner);
        final int index = ring.tryClaim(Steering.MSG_FRAME, Steering.MSG_BYTES);
        if (index <= 0) {
            c.tcpSteerFull.incrementRelease();
            return false;
        }
        final AtomicBuffer b = ring.buffer();
        b.putLong(index + Steering.MSG_BUF, buf);
        b.putLong(index + Steering.MSG_ADDR, addr);
        b.putInt(index + Steering.MSG_LENGTH, length);
        b.putInt(index + Steering.MSG_FLAGS, flags);
        ring.commit(index);
        c.tcpSteered.incrementRelease();
        return true;
    }

    /** Sends a learnt ARP mapping to every other core (a message, no buffer); a full ring skips that core. */
    void shareArp(int ip, long mac) {
        for (int other = 0; other < steering.cores(); other++) {
            if (other == core) {
                continue;
            }
            final RingBuffer ring = steering.inbound(other);
            final int index = ring.tryClaim(Steering.MSG_ARP, Steering.MSG_ARP_BYTES);
            if (index > 0) {
                ring.buffer().putInt(index + Steering.MSG_ARP_IP, ip);
                ring.buffer().putLong(index + Steering.MSG_ARP_MAC, mac);
                ring.commit(index);
            }
        }
    }

    /** Processes up to {@link #STEER_DRAIN} messages other cores sent, then frees the frames' mbufs. */
    int drain(long nowNs) {
        this.nowNs = nowNs;
        steeredFreeCount = 0;
        final int n = inbound.read(this, STEER_DRAIN);
        if (steeredFreeCount > 0) {
            io.free(steeredFree, steeredFreeCount);
        }
        return n;
    }

    /**
     * One message: an ARP mapping is merged into this core's table (held frames sent); a frame's TCP segment goes
     * to this core's transport, an exception there contained like one around a received frame.
     */
    @Override
    public void onMessage(int msgTypeId, MutableDirectBuffer buffer, int index, int length) {
        if (msgTypeId == Steering.MSG_ARP) {
            arp.learn(buffer.getInt(index + Steering.MSG_ARP_IP), buffer.getLong(index + Steering.MSG_ARP_MAC), true,
                nowNs);
            return;
        }
        final long buf = buffer.getLong(index + Steering.MSG_BUF);
        final long addr = buffer.getLong(index + Steering.MSG_ADDR);
        final int frameLength = buffer.getInt(index + Steering.MSG_LENGTH);
        final int flags = buffer.getInt(index + Steering.MSG_FLAGS);
        steeredFree[steeredFreeCount++] = buf; // freed by drain whatever happens below
        try {
            ipv4In.onSteered(addr, frameLength, flags, nowNs);
        } catch (Throwable t) {
            agent.contain(t, "steered receive");
        }
    }
}
