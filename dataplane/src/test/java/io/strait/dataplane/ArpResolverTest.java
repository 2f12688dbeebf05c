package io.strait.dataplane;

import io.strait.dataplane.wire.Ipv4;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static io.strait.dataplane.NetAgentTest.OUR_IP;
import static io.strait.dataplane.NetAgentTest.OUR_MAC;
import static io.strait.dataplane.NetAgentTest.PEER_IP;
import static io.strait.dataplane.NetAgentTest.PEER_MAC;
import static io.strait.dataplane.NetAgentTest.arp;
import static io.strait.dataplane.NetAgentTest.mac;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ARP on its own: learning (RFC 826 merge rule), frames held until resolution, retries and timeouts (RFC 1122). */
class ArpResolverTest {
    static final long BROADCAST = 0xFFFF_FFFF_FFFFL;
    static final int OTHER_IP = Ipv4.parse("198.18.0.3");
    static final long OTHER_MAC = 0x02_00_00_00_00_03L;

    final Layers l = new Layers();
    long nowNs = 1_000_000_000L;

    @AfterEach
    void leakCheck() {
        l.leakCheck();
    }

    /** An IPv4 frame in a pool buffer, as Ipv4Output hands it on: its first byte after Ethernet is {@code tag}. */
    long[] ipFrame(int tag) {
        assertTrue(l.tx.take());
        l.tx.out().putByte(14, (byte) tag);
        final long addr = l.tx.claimAddr();
        return new long[] {l.tx.release(), addr};
    }

    void send(int nextHop, int tag) {
        final long[] f = ipFrame(tag);
        l.arp.send(nextHop, f[0], f[1], 60, nowNs);
    }

    /** The next frame sent, asserted to be a broadcast ARP request for {@code target}. */
    void expectRequest(int target) {
        final ByteBuffer r = ByteBuffer.wrap(l.io.sent());
        assertEquals(60, r.capacity(), "padded to the Ethernet minimum");
        assertEquals(BROADCAST, mac(r, 0));
        assertEquals(0x0806, r.getShort(12) & 0xFFFF);
        assertEquals(1, r.getShort(20), "request");
        assertEquals(OUR_MAC, mac(r, 22));
        assertEquals(OUR_IP, r.getInt(28));
        assertEquals(target, r.getInt(38));
    }

    @Test
    @DisplayName("One learn(): an unknown address is added only when asked to create; a known one is updated")
    void learnCreatesOnlyWhenAsked() {
        assertFalse(l.arp.learn(PEER_IP, PEER_MAC, false, nowNs));
        assertEquals(-1, l.arp.table().find(PEER_IP));
        assertEquals(0, l.counter("arp.entries"));
        assertTrue(l.arp.learn(PEER_IP, PEER_MAC, true, nowNs));
        assertEquals(1, l.counter("arp.entries"));
        assertTrue(l.arp.learn(PEER_IP, OTHER_MAC, false, nowNs), "RFC 826 merge: an entry we hold is updated");
        final int slot = l.arp.table().find(PEER_IP);
        assertEquals(ArpTable.RESOLVED, l.arp.table().state(slot));
        assertEquals(OTHER_MAC, l.arp.table().mac(slot));
        assertEquals(1, l.counter("arp.entries"), "updated, not added twice");
    }

    @Test
    @DisplayName("RFC 1122 §2.3.2.2: frames to an unresolved address are held, one request per second, then sent in order")
    void heldFramesGoOutWhenResolved() {
        send(PEER_IP, 1);
        send(PEER_IP, 2);
        send(PEER_IP, 3);
        assertEquals(1, l.flush(), "one request, the frames held");
        expectRequest(PEER_IP);
        assertEquals(1, l.counter("arp.requests_out"));
        assertEquals(3, l.arp.table().pendingCount(l.arp.table().find(PEER_IP)));

        l.arp.learn(PEER_IP, PEER_MAC, false, nowNs);
        assertEquals(3, l.flush());
        for (int tag = 1; tag <= 3; tag++) {
            final ByteBuffer f = ByteBuffer.wrap(l.io.sent());
            assertEquals(PEER_MAC, mac(f, 0), "Ethernet header written on resolution");
            assertEquals(OUR_MAC, mac(f, 6));
            assertEquals(0x0800, f.getShort(12) & 0xFFFF);
            assertEquals(tag, f.get(14), "order kept");
        }
        send(PEER_IP, 4);
        assertEquals(1, l.flush(), "resolved: straight to the TX queue");
        assertEquals(PEER_MAC, mac(ByteBuffer.wrap(l.io.sent()), 0));
    }

    @Test
    @DisplayName("RFC 1122 §2.3.2.2: more than ARP_PENDING_PER_ENTRY held frames are dropped and counted")
    void pendingQueueOverflow() {
        for (int i = 0; i < ArpResolver.ARP_PENDING_PER_ENTRY + 2; i++) {
            send(PEER_IP, i);
        }
        assertEquals(2, l.counter("drop.arp_pending_overflow"));
        assertEquals(ArpResolver.ARP_PENDING_PER_ENTRY, l.arp.table().pendingCount(l.arp.table().find(PEER_IP)));
        l.flush();
        expectRequest(PEER_IP);
        assertNull(l.io.sent());
    }

    @Test
    @DisplayName("RFC 1122 §2.3.2.1: unanswered requests are retried each second; after the last the held frames go")
    void unansweredRequestsTimeOut() {
        send(PEER_IP, 1);
        send(PEER_IP, 2);
        l.flush();
        expectRequest(PEER_IP);
        l.arp.sweep(nowNs + ArpResolver.ARP_RETRY_NS / 2);
        assertEquals(0, l.flush(), "not before a second");
        for (int retry = 1; retry < ArpResolver.ARP_MAX_REQUESTS; retry++) {
            nowNs += ArpResolver.ARP_RETRY_NS + 1;
            l.arp.sweep(nowNs);
            assertEquals(1, l.flush());
            expectRequest(PEER_IP);
        }
        nowNs += ArpResolver.ARP_RETRY_NS + 1;
        l.arp.sweep(nowNs);
        assertEquals(0, l.flush());
        assertEquals(2, l.counter("drop.arp_unresolved"), "each held frame counted");
        assertEquals(0, l.counter("arp.entries"));
        assertEquals(-1, l.arp.table().find(PEER_IP));
        assertEquals(TxQueue.STASH - 5, l.io.outstanding(), "only the stash is out: 2 held frames freed, 3 requests sent");
    }

    @Test
    @DisplayName("RFC 1122 §2.3.2.1: a stale entry is still used and refreshed; an unused one stays while the table has room")
    void staleEntryRefreshedAndKeptWhileTheTableHasRoom() {
        l.arp.learn(PEER_IP, PEER_MAC, true, nowNs);
        nowNs += ArpResolver.ARP_REACHABLE_NS + 1;
        send(PEER_IP, 1);
        assertEquals(2, l.flush(), "the frame and a fresh request");
        assertEquals(PEER_MAC, mac(ByteBuffer.wrap(l.io.sent()), 0));
        expectRequest(PEER_IP);
        send(PEER_IP, 2);
        assertEquals(1, l.flush(), "one refresh per second at most");
        l.discardSent();
        nowNs += ArpResolver.ARP_RETRY_NS + 1;
        send(PEER_IP, 3);
        assertEquals(2, l.flush(), "unanswered: asked again a second later");
        l.discardSent();
        l.receive(arp(2, PEER_MAC, PEER_IP, OUR_MAC, OUR_IP, OUR_MAC));
        l.arp.onArp(42, nowNs); // the answer confirms the entry
        send(PEER_IP, 4);
        assertEquals(1, l.flush(), "fresh again: no request");
        l.discardSent();
        // Idle connections for ten minutes: the entry stays, so their next segments go out at once (a table that
        // forgot it would hold 8 frames and drop the rest of the burst while resolving).
        nowNs += 10 * ArpResolver.ARP_REACHABLE_NS;
        l.arp.sweep(nowNs);
        assertEquals(1, l.counter("arp.entries"));
        for (int i = 0; i < 20; i++) {
            send(PEER_IP, 10 + i);
        }
        assertEquals(21, l.flush(), "all 20 frames at once, and one refresh request");
        assertEquals(0, l.counter("drop.arp_pending_overflow"));
        l.discardSent();
    }

    @Test
    @DisplayName("A table over a quarter full forgets entries unconfirmed for twice the reachable time, down to a quarter")
    void crowdedTableForgetsOldEntries() {
        final int many = l.arp.table().capacity() / 4 + 1;
        for (int i = 0; i < many; i++) {
            l.arp.learn(PEER_IP + 100 + i, PEER_MAC + i, true, nowNs);
        }
        l.arp.learn(PEER_IP, PEER_MAC, true, nowNs + ArpResolver.ARP_REACHABLE_NS);
        nowNs += 2 * ArpResolver.ARP_REACHABLE_NS + 1;
        l.arp.sweep(nowNs);
        // old entries go until the table is a quarter full again; the one confirmed more recently stays
        assertEquals(l.arp.table().capacity() / 4, l.arp.table().size());
        assertEquals(l.arp.table().capacity() / 4, l.counter("arp.entries"));
        assertTrue(l.arp.table().find(PEER_IP) >= 0, "confirmed more recently: kept");
    }

    @Test
    @DisplayName("Linux NUD_FAILED: a stale entry in use whose refreshes all go unanswered is forgotten")
    void staleEntryWhoseRefreshFailsIsForgotten() {
        l.arp.learn(PEER_IP, PEER_MAC, true, nowNs);
        nowNs += ArpResolver.ARP_REACHABLE_NS + 1;
        for (int r = 0; r < ArpResolver.ARP_MAX_REQUESTS; r++) {
            send(PEER_IP, r);
            assertEquals(2, l.flush(), "still sent to the old MAC, with a refresh request");
            l.discardSent();
            l.arp.sweep(nowNs);
            assertTrue(l.arp.table().find(PEER_IP) >= 0, "request " + (r + 1) + " may still be answered");
            nowNs += ArpResolver.ARP_RETRY_NS + 1;
        }
        l.arp.sweep(nowNs);
        assertEquals(-1, l.arp.table().find(PEER_IP), "three refreshes unanswered: the host is gone");
        assertEquals(0, l.counter("arp.entries"));
        send(PEER_IP, 9);
        assertEquals(1, l.flush(), "the next frame is held and the address resolved afresh");
        expectRequest(PEER_IP);
    }

    @Test
    @DisplayName("poll() sweeps once per ARP_SWEEP_NS: a retry falling due between sweeps waits for the next")
    void pollSweepsPeriodically() {
        final long t0 = nowNs;
        send(PEER_IP, 1);
        l.flush();
        expectRequest(PEER_IP);
        l.arp.poll(t0 + ArpResolver.ARP_RETRY_NS - ArpResolver.ARP_SWEEP_NS / 2); // swept: nothing due yet
        assertEquals(0, l.flush());
        l.arp.poll(t0 + ArpResolver.ARP_RETRY_NS + 1); // due, but within ARP_SWEEP_NS of the last sweep
        assertEquals(0, l.flush());
        l.arp.poll(t0 + ArpResolver.ARP_RETRY_NS + ArpResolver.ARP_SWEEP_NS / 2);
        assertEquals(1, l.flush(), "the retry, at the next sweep");
        expectRequest(PEER_IP);
    }

    @Test
    @DisplayName("RFC 826: a reply to us teaches the sender and sends what was held for it")
    void replyResolvesHeldFrames() {
        send(PEER_IP, 9);
        l.flush();
        expectRequest(PEER_IP);
        l.receive(arp(2, PEER_MAC, PEER_IP, OUR_MAC, OUR_IP, OUR_MAC));
        assertEquals(NetAgent.VERDICT_FREE, l.arp.onArp(42, nowNs));
        assertEquals(1, l.counter("arp.replies_in"));
        assertEquals(1, l.flush());
        final ByteBuffer f = ByteBuffer.wrap(l.io.sent());
        assertEquals(PEER_MAC, mac(f, 0));
        assertEquals(9, f.get(14));
    }

    @Test
    @DisplayName("RFC 826 merge rule: a request for another address updates an entry we hold, adds none")
    void requestForOthersOnlyUpdates() {
        l.receive(arp(1, OTHER_MAC, OTHER_IP, 0, PEER_IP, BROADCAST));
        assertEquals(NetAgent.VERDICT_FREE, l.arp.onArp(42, nowNs));
        assertEquals(-1, l.arp.table().find(OTHER_IP));
        assertEquals(1, l.counter("arp.not_for_us"));
        l.arp.learn(OTHER_IP, 0x02_00_00_00_00_77L, true, nowNs);
        l.receive(arp(1, OTHER_MAC, OTHER_IP, 0, PEER_IP, BROADCAST));
        l.arp.onArp(42, nowNs);
        assertEquals(OTHER_MAC, l.arp.table().mac(l.arp.table().find(OTHER_IP)));
    }

    @Test
    @DisplayName("RFC 826: a request for us is turned into the reply in place, and its sender learnt")
    void requestForUsAnsweredInPlace() {
        final byte[] f = arp(1, PEER_MAC, PEER_IP, 0, OUR_IP, BROADCAST);
        l.receive(f);
        assertEquals(42, l.arp.onArp(42, nowNs));
        final ByteBuffer r = ByteBuffer.wrap(f);
        assertEquals(PEER_MAC, mac(r, 0));
        assertEquals(OUR_MAC, mac(r, 6));
        assertEquals(2, r.getShort(20));
        assertEquals(OUR_MAC, mac(r, 22));
        assertEquals(OUR_IP, r.getInt(28));
        assertEquals(PEER_MAC, mac(r, 32));
        assertEquals(PEER_IP, r.getInt(38));
        assertEquals(PEER_MAC, l.arp.table().mac(l.arp.table().find(PEER_IP)));
        assertEquals(1, l.counter("arp.replies_out"));
    }

    @Test
    @DisplayName("RFC 5227: a probe (sender 0.0.0.0) for us is answered, not learnt; a claim on our address is not learnt")
    void probesAndConflicts() {
        l.receive(arp(1, PEER_MAC, 0, 0, OUR_IP, BROADCAST));
        assertEquals(42, l.arp.onArp(42, nowNs), "probe answered (RFC 5227 §2.1.1)");
        assertEquals(0, l.counter("arp.entries"));
        l.receive(arp(2, OTHER_MAC, OUR_IP, OUR_MAC, OUR_IP, OUR_MAC));
        assertEquals(NetAgent.VERDICT_FREE, l.arp.onArp(42, nowNs));
        assertEquals(1, l.counter("drop.arp_malformed"), "conflict counted");
        assertEquals(-1, l.arp.table().find(OUR_IP));
        l.receive(arp(1, 0x01_00_5E_00_00_01L, PEER_IP, 0, OUR_IP, BROADCAST));
        assertEquals(NetAgent.VERDICT_FREE, l.arp.onArp(42, nowNs), "multicast sender teaches nothing");
        assertEquals(0, l.counter("arp.entries"));
    }

    @Test
    @DisplayName("Malformed ARP: short, wrong operation")
    void malformed() {
        l.receive(arp(1, PEER_MAC, PEER_IP, 0, OUR_IP, BROADCAST));
        assertEquals(NetAgent.VERDICT_FREE, l.arp.onArp(41, nowNs));
        l.receive(arp(3, PEER_MAC, PEER_IP, 0, OUR_IP, BROADCAST));
        assertEquals(NetAgent.VERDICT_FREE, l.arp.onArp(42, nowNs));
        assertEquals(2, l.counter("drop.arp_malformed"));
        assertEquals(0, l.counter("arp.entries"));
    }

    @Test
    @DisplayName("RFC 5227 §3: the announcement is a request with sender and target both our address")
    void announce() {
        assertTrue(l.arp.announce());
        l.flush();
        expectRequest(OUR_IP);
        l.io.exhausted = true;
        assertFalse(new ArpResolver(l.io, new TxQueue(l.io, l.c), l.c, OUR_MAC, OUR_IP, l.frame, 16).announce(),
            "no buffer: false, tried again next cycle");
        l.io.exhausted = false;
    }
}
