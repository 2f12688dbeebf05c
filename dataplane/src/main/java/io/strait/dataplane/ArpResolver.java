package io.strait.dataplane;

import io.strait.dataplane.wire.Arp;
import io.strait.dataplane.wire.Ethernet;
import org.agrona.concurrent.UnsafeBuffer;

import static io.strait.dataplane.NetAgent.VERDICT_FREE;
import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * ARP for one core (RFC 826, timers of RFC 1122 §2.3.2.1, announcement of RFC 5227 §3): the input side (requests
 * answered in place, the merge rule), the one place a mapping is learnt (from the wire or from another core), the
 * resolution of a next hop for output with frames held while a request is outstanding, and the periodic sweep
 * (retries, timeouts, forgetting). The cache itself is {@link ArpTable}.
 *
 * <p>Nothing here allocates; time is the cycle's {@code nowNs}, passed in. Called on the owning core's thread only.
 */
final class ArpResolver {
    /** RFC 1122 §2.3.2.1: flush stale entries; 60 s as a reachable time, re-requested when older. */
    static final long ARP_REACHABLE_NS = 60_000_000_000L;
    /** RFC 1122 §2.3.2.1: at most one request per second per address. */
    static final long ARP_RETRY_NS = 1_000_000_000L;
    /** Requests without reply before pending frames are dropped. */
    static final int ARP_MAX_REQUESTS = 3;
    /** RFC 1122 §2.3.2.2: "SHOULD save at least one (the latest) packet"; more than this are dropped. */
    static final int ARP_PENDING_PER_ENTRY = 8;
    /** How often (ns) the table is swept for timeouts. */
    static final long ARP_SWEEP_NS = 100_000_000L;
    /** Ethernet minimum frame without FCS (IEEE 802.3): ARP requests are padded to it. */
    private static final int MIN_FRAME = 60;

    private final TxQueue tx;
    private final DataplaneCounters c;
    private final long mac;
    private final int localIp;
    /** The received frame being handled (shared with the agent, which points it at each frame). */
    private final UnsafeBuffer frame;
    /** A held frame's Ethernet header, written when its next hop resolves. */
    private final UnsafeBuffer header = new UnsafeBuffer(0, 0);
    private final ArpTable table;
    private final long[] dropBufs = new long[ARP_PENDING_PER_ENTRY];
    private final FrameIo io;
    /** Where learnt mappings are told to the other cores; null with one core. */
    private SteeringPort port;
    private long nextSweepNs;

    ArpResolver(FrameIo io, TxQueue tx, DataplaneCounters counters, long mac, int localIp, UnsafeBuffer frame,
                int capacity) {
        this.io = io;
        this.tx = tx;
        this.c = counters;
        this.mac = mac;
        this.localIp = localIp;
        this.frame = frame;
        this.table = new ArpTable(capacity, ARP_PENDING_PER_ENTRY);
    }

    void port(SteeringPort port) {
        this.port = port;
    }

    ArpTable table() {
        return table;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Input

    /**
     * RFC 826 "Packet Reception", with the merge rule, for the ARP packet in the shared frame buffer; a request for
     * our address is turned into the reply in place. Returns {@link NetAgent#VERDICT_FREE} or the reply's length.
     */
    int onArp(int length, long nowNs) {
        final int a = Ethernet.HEADER_LENGTH;
        if (length < a + Arp.LENGTH
            || (frame.getShort(a + Arp.HTYPE, BIG_ENDIAN) & 0xFFFF) != Arp.HTYPE_ETHERNET
            || (frame.getShort(a + Arp.PTYPE, BIG_ENDIAN) & 0xFFFF) != Ethernet.TYPE_IPV4
            || frame.getByte(a + Arp.HLEN) != 6 || frame.getByte(a + Arp.PLEN) != 4) {
            c.arpMalformed.incrementRelease();
            return VERDICT_FREE;
        }
        final int op = frame.getShort(a + Arp.OPER, BIG_ENDIAN) & 0xFFFF;
        final long senderMac = Ethernet.mac(frame, a + Arp.SHA);
        final int senderIp = frame.getInt(a + Arp.SPA, BIG_ENDIAN);
        final int targetIp = frame.getInt(a + Arp.TPA, BIG_ENDIAN);
        if (op == Arp.OP_REQUEST) {
            c.arpRequestsIn.incrementRelease();
        } else if (op == Arp.OP_REPLY) {
            c.arpRepliesIn.incrementRelease();
        } else {
            c.arpMalformed.incrementRelease();
            return VERDICT_FREE;
        }
        if (senderIp == localIp && senderMac != mac) {
            // Someone else claims our address (RFC 5227 conflict): count, do not learn.
            c.arpMalformed.incrementRelease();
            return VERDICT_FREE;
        }
        if (senderIp == 0 || senderMac == Ethernet.BROADCAST || (senderMac & 0x0100_0000_0000L) != 0) {
            // ARP probes (sender 0.0.0.0) and multicast senders teach nothing.
            if (op == Arp.OP_REQUEST && targetIp == localIp && senderIp == 0) {
                return reply(senderMac, senderIp);
            }
            c.arpNotForUs.incrementRelease();
            return VERDICT_FREE;
        }
        // RFC 826: "If the pair <protocol type, sender protocol address> is already in my translation table,
        // update the sender hardware address field"; "Am I the target protocol address? If so, add the triplet".
        if (learn(senderIp, senderMac, targetIp == localIp, nowNs) && port != null) {
            // The port delivers ARP to one queue only (af_packet fanout, RSS's default queue): tell the other
            // cores' tables what this one learnt.
            port.shareArp(senderIp, senderMac);
        }
        if (targetIp != localIp) {
            c.arpNotForUs.incrementRelease();
            return VERDICT_FREE;
        }
        return op == Arp.OP_REQUEST ? reply(senderMac, senderIp) : VERDICT_FREE;
    }

    /** Turns the request in the frame buffer into our reply, in place; returns its length. */
    private int reply(long requesterMac, int requesterIp) {
        final int a = Ethernet.HEADER_LENGTH;
        Ethernet.put(frame, 0, requesterMac, mac, Ethernet.TYPE_ARP);
        frame.putShort(a + Arp.OPER, (short) Arp.OP_REPLY, BIG_ENDIAN);
        Ethernet.putMac(frame, a + Arp.THA, requesterMac);
        frame.putInt(a + Arp.TPA, requesterIp, BIG_ENDIAN);
        Ethernet.putMac(frame, a + Arp.SHA, mac);
        frame.putInt(a + Arp.SPA, localIp, BIG_ENDIAN);
        c.arpRepliesOut.incrementRelease();
        return a + Arp.LENGTH;
    }

    /**
     * The one place a mapping is learnt: {@code ip} is at {@code ipMac} as of {@code nowNs}. An existing entry is
     * updated (RFC 826 merge); an absent one is created only when {@code create} (we were the target, or another
     * core learnt it) and the table has room. Frames held for the address are sent. Returns true when learnt.
     */
    boolean learn(int ip, long ipMac, boolean create, long nowNs) {
        int slot = table.find(ip);
        if (slot < 0) {
            if (!create) {
                return false;
            }
            slot = table.findOrCreate(ip);
            if (slot < 0) {
                return false;
            }
            c.arpEntries.incrementRelease();
        }
        table.resolve(slot, ipMac, nowNs);
        sendHeld(slot);
        return true;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Output

    /**
     * Sends the IPv4 frame in {@code buf} (data at {@code addr}, Ethernet header not yet written) to
     * {@code nextHop}: straight to the TX queue when resolved (a stale entry is still used and refreshed, RFC 1122
     * §2.3.2.1), otherwise held in the entry (created if needed) while a request is outstanding. A frame that
     * cannot be held is freed and counted.
     */
    void send(int nextHop, long buf, long addr, int lenFlags, long nowNs) {
        int slot = table.find(nextHop);
        if (slot >= 0 && table.state(slot) == ArpTable.RESOLVED) {
            header.wrap(addr, Ethernet.HEADER_LENGTH);
            Ethernet.put(header, 0, table.mac(slot), mac, Ethernet.TYPE_IPV4);
            tx.enqueue(buf, addr, lenFlags);
            // Stale: still used, refreshed. requestedNs is Long.MIN_VALUE until the first refresh (resolve() resets
            // it), which a subtraction would overflow: requests == 0 says "none yet", as for an unresolved entry.
            if (nowNs - table.confirmedNs(slot) > ARP_REACHABLE_NS
                && (table.requests(slot) == 0 || nowNs - table.requestedNs(slot) > ARP_RETRY_NS)) {
                sendRequest(nextHop);
                table.markRequested(slot, nowNs);
            }
            return;
        }
        if (slot < 0) {
            slot = table.findOrCreate(nextHop);
            if (slot < 0) {
                c.arpPendingDropped.incrementRelease();
                tx.free(buf);
                return;
            }
            c.arpEntries.incrementRelease();
        }
        if (!table.hold(slot, buf, addr, lenFlags)) {
            c.arpPendingDropped.incrementRelease();
            tx.free(buf);
        }
        if (table.requests(slot) == 0 || nowNs - table.requestedNs(slot) > ARP_RETRY_NS) {
            sendRequest(nextHop);
            table.markRequested(slot, nowNs);
        }
    }

    /** The frames held in a just-resolved slot get their Ethernet header and join the TX queue, in order. */
    private void sendHeld(int slot) {
        final int n = table.pendingCount(slot);
        final long dstMac = table.mac(slot);
        for (int i = 0; i < n; i++) {
            // The held frame's memory: its Ethernet header is the first 14 bytes of the buffer.
            final long addr = table.pendingAddr(slot, i);
            header.wrap(addr, Ethernet.HEADER_LENGTH);
            Ethernet.put(header, 0, dstMac, mac, Ethernet.TYPE_IPV4);
            tx.enqueue(table.pendingBuf(slot, i), addr, table.pendingLen(slot, i));
        }
        table.clearPending(slot);
    }

    /** Frees the frames held in a slot. */
    private void releaseHeld(int slot) {
        final int n = table.pendingCount(slot);
        for (int i = 0; i < n; i++) {
            dropBufs[i] = table.pendingBuf(slot, i);
        }
        if (n > 0) {
            io.free(dropBufs, n);
        }
        table.clearPending(slot);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Timers and requests

    /** Once per cycle: every {@link #ARP_SWEEP_NS}, sweeps the table. */
    void poll(long nowNs) {
        if (nowNs - nextSweepNs >= 0) {
            nextSweepNs = nowNs + ARP_SWEEP_NS;
            sweep(nowNs);
        }
    }

    /**
     * Times out unanswered requests (dropping their held frames), re-requests, forgets entries whose refresh failed.
     * An entry merely unused and unconfirmed for twice the reachable time is forgotten only when the table is over a
     * quarter full (as Linux's neighbour GC, which leaves a table under gc_thresh1 alone): a few peers whose
     * connections sat idle for minutes must not have their next burst of segments held and dropped while they are
     * resolved again. A stale entry that is used is refreshed by request and still used meanwhile (RFC 1122
     * §2.3.2.1).
     */
    void sweep(long nowNs) {
        for (int slot = 0; slot < table.capacity(); slot++) {
            final int state = table.state(slot);
            if (state == ArpTable.INCOMPLETE && nowNs - table.requestedNs(slot) > ARP_RETRY_NS) {
                if (table.requests(slot) >= ARP_MAX_REQUESTS) {
                    c.arpTimeouts.getAndAddRelease(table.pendingCount(slot));
                    releaseHeld(slot);
                    table.remove(slot);
                    c.arpEntries.decrementRelease();
                    slot--; // backward shift may have moved another entry here
                } else {
                    sendRequest(table.ip(slot));
                    table.markRequested(slot, nowNs);
                }
            } else if (state == ArpTable.RESOLVED && (refreshFailed(slot, nowNs)
                || nowNs - table.confirmedNs(slot) > 2 * ARP_REACHABLE_NS && table.size() > table.capacity() / 4)) {
                table.remove(slot);
                c.arpEntries.decrementRelease();
                slot--;
            }
        }
    }

    /**
     * A stale entry in use was re-requested {@link #ARP_MAX_REQUESTS} times and the last request went unanswered
     * for {@link #ARP_RETRY_NS}: the host is gone (Linux's NUD_FAILED), so the next frame for it is held while it is
     * resolved afresh, not sent to a MAC that no longer answers.
     */
    private boolean refreshFailed(int slot, long nowNs) {
        return table.requests(slot) >= ARP_MAX_REQUESTS && nowNs - table.requestedNs(slot) > ARP_RETRY_NS;
    }

    /** Gratuitous ARP at start (RFC 5227 §3 announcement: a request with sender and target both our address). */
    boolean announce() {
        return sendRequest(localIp);
    }

    /** A broadcast request for {@code targetIp}; false when no buffer was free. */
    private boolean sendRequest(int targetIp) {
        if (!tx.take()) {
            return false;
        }
        final UnsafeBuffer out = tx.out();
        final int a = Ethernet.HEADER_LENGTH;
        Ethernet.put(out, 0, Ethernet.BROADCAST, mac, Ethernet.TYPE_ARP);
        out.putShort(a + Arp.HTYPE, (short) Arp.HTYPE_ETHERNET, BIG_ENDIAN);
        out.putShort(a + Arp.PTYPE, (short) Ethernet.TYPE_IPV4, BIG_ENDIAN);
        out.putByte(a + Arp.HLEN, (byte) 6);
        out.putByte(a + Arp.PLEN, (byte) 4);
        out.putShort(a + Arp.OPER, (short) Arp.OP_REQUEST, BIG_ENDIAN);
        Ethernet.putMac(out, a + Arp.SHA, mac);
        out.putInt(a + Arp.SPA, localIp, BIG_ENDIAN);
        Ethernet.putMac(out, a + Arp.THA, 0);
        out.putInt(a + Arp.TPA, targetIp, BIG_ENDIAN);
        out.setMemory(a + Arp.LENGTH, MIN_FRAME - a - Arp.LENGTH, (byte) 0);
        c.arpRequestsOut.incrementRelease();
        final long addr = tx.claimAddr();
        tx.enqueue(tx.release(), addr, MIN_FRAME);
        return true;
    }

    /** Frees every held frame (at close). */
    void close() {
        for (int slot = 0; slot < table.capacity(); slot++) {
            if (table.state(slot) != ArpTable.EMPTY) {
                releaseHeld(slot);
            }
        }
    }
}
