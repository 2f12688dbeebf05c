package io.strait.dataplane;

import io.strait.dataplane.sim.MemoryFrameIo;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;

import java.nio.charset.StandardCharsets;

import static io.strait.dataplane.NetAgentTest.OUR_IP;
import static io.strait.dataplane.NetAgentTest.OUR_MAC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The layers below {@link NetAgent}, wired as the agent wires them, over an in-memory port, without the agent: a
 * test calls one layer directly and looks at the TX queue ({@link #flush()} then {@code io.sent()}), the counters and
 * the pool. {@link #leakCheck()} puts everything back as {@code NetAgent.onClose} does and checks the pool.
 */
final class Layers {
    final MemoryFrameIo io;
    final CountersManager counters;
    final DataplaneCounters c;
    /** The received frame being handled, as the agent's. */
    final UnsafeBuffer frame = new UnsafeBuffer(0, 0);
    final TxQueue tx;
    final ArpResolver arp;
    final Ipv4Output ipv4Out;
    final IcmpEcho icmp;

    /**
     * Our address 198.18.0.2/24 and a gateway (0 for none), on a port with offload capabilities {@code caps} and a
     * pool of {@code buffers}.
     */
    Layers(int caps, int gateway, int buffers) {
        io = new MemoryFrameIo(buffers, 2048, OUR_MAC, caps);
        counters = new CountersManager(new UnsafeBuffer(BufferUtil.allocateDirectAligned(512 * 256, 64)),
            new UnsafeBuffer(BufferUtil.allocateDirectAligned(128 * 256, 64)), StandardCharsets.US_ASCII);
        c = new DataplaneCounters(counters, 0);
        tx = new TxQueue(io, c);
        arp = new ArpResolver(io, tx, c, OUR_MAC, OUR_IP, frame, 64);
        ipv4Out = new Ipv4Output(io, tx, arp, c, OUR_IP, -1 << 8, gateway);
        icmp = new IcmpEcho(tx, ipv4Out, c, OUR_MAC, OUR_IP, frame);
    }

    Layers(int caps, int gateway) {
        this(caps, gateway, 256);
    }

    Layers() {
        this(0, 0);
    }

    long counter(String name) {
        final long[] v = {-1};
        counters.forEach((id, type, key, label) -> {
            if (label.equals("core0." + name)) {
                v[0] = counters.getCounterValue(id);
            }
        });
        assertTrue(v[0] >= 0, "counter " + name + " exists");
        return v[0];
    }

    /** Points the shared frame buffer at {@code bytes} (as the agent does at a received frame). */
    UnsafeBuffer receive(byte[] bytes) {
        frame.wrap(bytes);
        return frame;
    }

    /** Transmits what is queued; returns how many frames went out (read them with {@code io.sent()}). */
    int flush() {
        return tx.flush();
    }

    /** Drops whatever was sent without looking. */
    void discardSent() {
        while (io.sent() != null) {
            // the wire takes everything
        }
    }

    /** As NetAgent.onClose: flush, free held frames, the queue and the stash; then every buffer is in the pool. */
    void leakCheck() {
        tx.flush();
        arp.close();
        tx.close();
        discardSent();
        assertEquals(0, io.outstanding(), "every buffer back in the pool");
    }
}
