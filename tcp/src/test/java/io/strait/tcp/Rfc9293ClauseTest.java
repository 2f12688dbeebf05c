package io.strait.tcp;

import io.strait.tcp.sim.CapturedSegment;
import io.strait.tcp.sim.SegmentBuilder;
import io.strait.tcp.wire.Checksum;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static io.strait.tcp.Harness.*;
import static io.strait.tcp.wire.TcpHeader.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * RFC 9293 Appendix B, one scripted test per clause that no older test already covers (the index of all of them,
 * with the clauses that do not apply or where Strait deviates, is {@code tcp/RFC-CLAUSES.md}). Each test names its
 * clause: {@code mustN_...} for MUST-N, {@code shldN_...} for SHLD-N.
 */
class Rfc9293ClauseTest {

    /** Delivers a segment without polling (one burst of several segments, then one poll). */
    private static void deliver(final Harness h, final SegmentBuilder b) {
        b.build(REMOTE_IP, LOCAL_IP);
        h.engine.onSegment(b.buffer(), 0, b.length(), REMOTE_IP, LOCAL_IP, false, h.now(), h.out);
    }

    /**
     * Delivers a hand-made segment whose options are the raw bytes given (padded with zeros to a 4-byte multiple),
     * then polls: options a {@link SegmentBuilder} cannot express (unaligned, unknown, illegal lengths).
     */
    private static List<CapturedSegment> sendRawOptions(final Harness h, final int seq, final int ack,
        final int flags, final int window, final byte[] options, final byte[] payload) {
        final int optLen = (options.length + 3) & ~3;
        final int hl = MIN_LENGTH + optLen;
        final UnsafeBuffer b = new UnsafeBuffer(new byte[hl + payload.length]);
        b.putShort(SRC_PORT_OFFSET, (short) h.remotePort, ByteOrder.BIG_ENDIAN);
        b.putShort(DST_PORT_OFFSET, (short) h.localPort, ByteOrder.BIG_ENDIAN);
        b.putInt(SEQ_OFFSET, seq, ByteOrder.BIG_ENDIAN);
        b.putInt(ACK_OFFSET, ack, ByteOrder.BIG_ENDIAN);
        b.putByte(DATA_OFFSET_OFFSET, (byte) ((hl / 4) << 4));
        b.putByte(FLAGS_OFFSET, (byte) flags);
        b.putShort(WINDOW_OFFSET, (short) window, ByteOrder.BIG_ENDIAN);
        b.putBytes(MIN_LENGTH, options);
        b.putBytes(hl, payload);
        b.putShort(CHECKSUM_OFFSET, (short) Checksum.tcp(REMOTE_IP, LOCAL_IP, b, 0, b.capacity()),
            ByteOrder.BIG_ENDIAN);
        h.engine.onSegment(b, 0, b.capacity(), REMOTE_IP, LOCAL_IP, false, h.now(), h.out);
        h.engine.poll(h.now(), h.out);
        return h.out.drain();
    }

    /** The app's events without the onData calls (an app that consumes nothing is offered the data again). */
    private static List<String> controlEvents(final Harness h) {
        return h.app.events.stream().filter(e -> !e.startsWith("data:")).toList();
    }

    private static byte[] ob(final int... v) {
        final byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Window (§3.1, §3.8.6)
    // ---------------------------------------------------------------------------------------------------------

    @Test
    @DisplayName("MUST-1 / REC-1 (RFC 9293 §3.1): a window field above 32767 is an unsigned number, not a negative one")
    void must1_windowIsUnsigned() {
        final Harness h = new Harness();
        h.passiveOpen();
        assertEquals(List.of(), h.send(h.seg().window(40_000)));
        h.write(bytes(3000, 1));
        final List<CapturedSegment> sent = h.poll();
        assertEquals(3, sent.size(), () -> "a 40000-byte window lets 3000 bytes go: " + sent);
        expect(sent.get(0), ACK, h.iss + 1, h.peerSeq);
        expect(sent.get(2), ACK | PSH, h.iss + 1 + 2000, h.peerSeq);
        h.ackAllAndCheckLeaks(h.iss + 1 + 3000);
    }

    @Test
    @DisplayName("MUST-34 / SHLD-15 / SHLD-16 (RFC 9293 §3.8.6): a window shrunk below SND.NXT sends no new data; the RTO resends SND.UNA")
    void must34_shrunkWindowSendsNoNewDataAndRetransmitsInsideIt() {
        final Harness h = new Harness(Harness.base().tailLossProbe(false).build());
        h.passiveOpen();
        h.write(bytes(5000, 1));
        assertEquals(5, h.poll().size());
        // The peer acknowledges 1000 and moves the right edge left: SND.UNA + SND.WND = ISS+1+2000 < SND.NXT.
        h.peerAck = h.iss + 1 + 1000;
        assertEquals(List.of(), h.send(h.seg().window(1000)), "SHLD-15: no new data into a negative usable window");
        h.write(bytes(1000, 2));
        assertEquals(List.of(), h.poll(), "SHLD-15: still none after another write");
        assertEquals(TcpState.ESTABLISHED, h.engine.state(h.handle));
        // SHLD-16: at the RTO the oldest unacknowledged data, inside SND.UNA..SND.UNA+SND.WND, goes again.
        final CapturedSegment rtx = one(h.nextEvent(10_000 * MS));
        expect(rtx, ACK, h.iss + 1 + 1000, h.peerSeq);
        assertEquals(1000, rtx.payload().length);
        h.ackAllAndCheckLeaks(h.iss + 1 + 6000);
    }

    @Test
    @DisplayName("MUST-37 / MUST-36 / SHLD-29 / SHLD-30 (RFC 9293 §3.8.6.1): a zero window answered for 30 minutes keeps the connection; probes back off x2 from the RTO to the maximum")
    void must37_zeroWindowAnsweredStaysOpenIndefinitely() {
        final Harness h = new Harness(Harness.base().rtoMaxNs(60_000 * MS).build());
        h.passiveOpen();
        assertEquals(List.of(), h.send(h.seg().window(0)));
        h.write(bytes(100, 1));
        assertEquals(List.of(), h.poll());
        final long start = h.now();
        long last = start;
        long expectGap = 200 * MS; // SHLD-29: the first probe after one RTO (200 ms after a 0 ms handshake RTT)
        int probes = 0;
        while (h.now() - start < 1_800_000 * MS) {
            final CapturedSegment probe = one(h.nextEvent(120_000 * MS));
            expect(probe, ACK, h.iss, h.peerSeq);
            assertEquals(0, probe.payload().length);
            assertEquals(expectGap, h.now() - last, "SHLD-30: exponential backoff, capped at the maximum RTO");
            last = h.now();
            expectGap = Math.min(2 * expectGap, 60_000 * MS);
            probes++;
            assertEquals(List.of(), h.send(h.seg().window(0)), "the peer answers each probe, window still zero");
        }
        assertEquals(TcpState.ESTABLISHED, h.engine.state(h.handle), "MUST-37: never timed out while answered");
        assertEquals(probes, h.counter("persist_probes"));
        final CapturedSegment data = one(h.send(h.seg().window(1000)));
        expect(data, ACK | PSH, h.iss + 1, h.peerSeq);
        h.ackAllAndCheckLeaks(h.iss + 101);
    }

    @Test
    @DisplayName("SHLD-14 (RFC 9293 §3.8.6): the receiver never moves its right window edge to the left")
    void shld14_receiverNeverShrinksWindow() {
        final Harness h = new Harness(Harness.base().receiveBufferBytes(4000).build());
        h.passiveOpen();
        h.app.consumeLimit = 0;
        int edge = PEER_ISS + 1 + 4000;
        int acks = 0;
        for (int i = 0; i < 5; i++) {
            final List<CapturedSegment> replies = new ArrayList<>(h.send(h.seg().payload(bytes(1000, i))));
            replies.addAll(h.advance(40 * MS));
            h.peerSeq += Math.min(1000, Math.max(0, edge - h.peerSeq));
            for (final CapturedSegment a : replies) {
                assertTrue(a.has(ACK));
                final int right = a.ack() + a.window();
                assertTrue(Seq.ge(right, edge), () -> "right edge moved left: " + a);
                edge = right;
                acks++;
            }
        }
        assertTrue(acks >= 3, "the segments were acknowledged");
        assertEquals(PEER_ISS + 1 + 4000, edge);
        h.finishAndCheckLeaks();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Options (§3.1, §3.2, §3.7.1)
    // ---------------------------------------------------------------------------------------------------------

    @Test
    @DisplayName("MUST-4 / MUST-64 (RFC 9293 §3.1, §3.2): options at odd offsets are parsed; nothing after EOL is read")
    void must64_optionsNotWordAlignedAndEol() {
        final Harness h = new Harness(Harness.base().windowScale(true).windowScaleShift(7).build());
        h.engine.listen(SERVER_PORT, h.app);
        // NOP, MSS 400 at offset 1, WS 2 at offset 5, EOL, then garbage that would be an MSS of 100 if read.
        final byte[] opts = ob(1, 2, 4, 0x01, 0x90, 3, 3, 2, 0, 2, 4, 0, 100);
        final CapturedSegment synAck = one(sendRawOptions(h, PEER_ISS, 0, SYN, 65535, opts, new byte[0]));
        expect(synAck, SYN | ACK, synAck.seq(), PEER_ISS + 1);
        assertEquals(7, synAck.wscale(), "the unaligned window scale option was read");
        h.iss = synAck.seq();
        h.peerSeq = PEER_ISS + 1;
        h.peerAck = h.iss + 1;
        assertEquals(List.of(), h.send(h.seg().window(1000)));
        h.handle = h.app.handle;
        h.write(bytes(1000, 1));
        final List<CapturedSegment> sent = h.poll();
        assertEquals(List.of(400, 400, 200), sent.stream().map(s -> s.payload().length).toList(),
            "MSS 400 from the unaligned option, not 100 from past the EOL");
        h.ackAllAndCheckLeaks(h.iss + 1001);
    }

    @Test
    @DisplayName("MUST-6 (RFC 9293 §3.1): an option the engine does not implement is skipped by its length, without error")
    void must6_unknownOptionIgnored() {
        final Harness h = new Harness();
        h.engine.listen(SERVER_PORT, h.app);
        // Kind 254 (experimental), length 6, then MSS 700.
        final byte[] opts = ob(254, 6, 0xF9, 0x89, 0xAA, 0xBB, 2, 4, 0x02, 0xBC);
        final CapturedSegment synAck = one(sendRawOptions(h, PEER_ISS, 0, SYN, 65535, opts, new byte[0]));
        expect(synAck, SYN | ACK, synAck.seq(), PEER_ISS + 1);
        h.iss = synAck.seq();
        h.peerSeq = PEER_ISS + 1;
        h.peerAck = h.iss + 1;
        assertEquals(List.of(), sendRawOptions(h, h.peerSeq, h.peerAck, ACK, 65535, opts, bytes(10, 1)));
        h.handle = h.app.handle;
        assertEquals(10, h.app.received.size(), "MUST-5: options on a data segment are fine too");
        h.write(bytes(800, 1));
        assertEquals(List.of(700, 100), h.poll().stream().map(s -> s.payload().length).toList());
        h.ackAllAndCheckLeaks(h.iss + 801);
    }

    @Test
    @DisplayName("MUST-7 (RFC 9293 §3.1): an illegal option length (0, 1, past the header) drops the segment, counted; the connection lives")
    void must7_illegalOptionLengthDropped() {
        final Harness h = new Harness();
        h.passiveOpen();
        assertEquals(List.of(), sendRawOptions(h, h.peerSeq, h.peerAck, ACK, 65535, ob(8, 0), bytes(10, 1)));
        assertEquals(List.of(), sendRawOptions(h, h.peerSeq, h.peerAck, ACK, 65535, ob(1, 1, 1, 5, 1), bytes(10, 1)));
        assertEquals(List.of(), sendRawOptions(h, h.peerSeq, h.peerAck, ACK, 65535, ob(2, 40, 0, 0), bytes(10, 1)));
        assertEquals(3, h.counter("drop_bad_option"));
        assertEquals(0, h.app.received.size());
        assertEquals(TcpState.ESTABLISHED, h.engine.state(h.handle));
        assertEquals(List.of(), h.send(h.seg().payload(bytes(10, 1))));
        assertEquals(10, h.app.received.size());
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("MUST-15 (RFC 9293 §3.7.1): without an MSS option the send MSS is 536 (IPv4)")
    void must15_defaultSendMss536() {
        final Harness h = new Harness();
        h.engine.listen(SERVER_PORT, h.app);
        final CapturedSegment synAck = one(h.send(h.seg().flags(SYN).ack(0)));
        assertEquals(1000, synAck.mss(), "SHLD-5: our MSS option in the SYN-ACK");
        h.iss = synAck.seq();
        h.peerSeq = PEER_ISS + 1;
        h.peerAck = h.iss + 1;
        h.send(h.seg());
        h.handle = h.app.handle;
        h.write(bytes(1000, 1));
        assertEquals(List.of(536, 464), h.poll().stream().map(s -> s.payload().length).toList());
        h.ackAllAndCheckLeaks(h.iss + 1001);
    }

    @Test
    @DisplayName("MUST-16 (RFC 9293 §3.7.1, RFC 6691): the effective send MSS is the peer's MSS less the timestamp option")
    void must16_effectiveSendMssLessOptions() {
        final Harness h = new Harness(Harness.base().timestamps(true).build());
        h.engine.listen(SERVER_PORT, h.app);
        final CapturedSegment synAck = one(h.send(h.seg().flags(SYN).ack(0).mss(1000).timestamps(100, 0)));
        assertTrue(synAck.timestamps());
        h.iss = synAck.seq();
        h.peerSeq = PEER_ISS + 1;
        h.peerAck = h.iss + 1;
        h.send(h.seg().timestamps(101, synAck.tsVal()));
        h.handle = h.app.handle;
        h.write(bytes(2000, 1));
        final List<CapturedSegment> sent = h.poll();
        assertEquals(List.of(988, 988, 24), sent.stream().map(s -> s.payload().length).toList());
        assertTrue(sent.stream().allMatch(s -> s.timestamps() && 20 + 12 + s.payload().length <= 20 + 1000));
        h.peerAck = h.iss + 2001;
        h.send(h.seg().timestamps(102, sent.get(2).tsVal()));
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("MUST-65 (RFC 9293 §3.2) with RFC 7323 §2.2 and RFC 2018 §2: MSS, window scale and SACK-permitted only in SYNs")
    void must65_mssOnlyInSyn() {
        final Harness h = new Harness(Harness.base().windowScale(true).sack(true).timestamps(true).build());
        h.engine.listen(SERVER_PORT, h.app);
        final CapturedSegment synAck = one(h.send(h.seg().flags(SYN).ack(0).mss(1000).wscale(2).sackPermitted()
            .timestamps(100, 0)));
        assertEquals(1000, synAck.mss());
        assertTrue(synAck.wscale() >= 0 && synAck.sackPermitted());
        h.iss = synAck.seq();
        h.peerSeq = PEER_ISS + 1;
        h.peerAck = h.iss + 1;
        h.send(h.seg().timestamps(101, synAck.tsVal()).window(1000));
        h.handle = h.app.handle;
        h.write(bytes(1500, 1));
        final List<CapturedSegment> sent = new ArrayList<>(h.poll());
        sent.add(one(h.send(h.seg().timestamps(102, 0).seq(h.peerSeq + 100).payload(bytes(10, 1)))));
        assertEquals(3, sent.size());
        for (final CapturedSegment s : sent) {
            assertEquals(-1, s.mss(), () -> "MSS on a non-SYN segment: " + s);
            assertEquals(-1, s.wscale(), () -> "window scale on a non-SYN segment: " + s);
            assertFalse(s.sackPermitted(), () -> "SACK-permitted on a non-SYN segment: " + s);
        }
        assertEquals(2, sent.get(2).sackBlocks().length, "the out-of-order data is SACKed");
        h.peerAck = h.iss + 1501;
        h.send(h.seg().timestamps(103, 0));
        h.finishAndCheckLeaks();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Opening and closing (§3.5, §3.6, §3.9.1)
    // ---------------------------------------------------------------------------------------------------------

    @Test
    @DisplayName("MUST-11 (RFC 9293 §3.5, §3.10.7.4 second): a RST in SYN-RECEIVED reached by an active OPEN is 'connection refused'")
    void must11_rstInActiveSynReceivedIsRefused() {
        final Harness h = new Harness();
        final long handle = h.engine.connect(LOCAL_IP, REMOTE_IP, PEER_PORT, h.app, h.now());
        final CapturedSegment syn = one(h.poll());
        h.localPort = syn.srcPort();
        expect(one(h.send(h.seg().flags(SYN).ack(0).mss(1000))), SYN | ACK, syn.seq(), PEER_ISS + 1);
        assertEquals(TcpState.SYN_RECEIVED, h.engine.state(handle));
        h.peerSeq = PEER_ISS + 1;
        assertEquals(List.of(), h.send(h.seg().flags(RST).ack(0)));
        assertEquals(List.of("close:refused"), h.app.events, "active OPEN: the user is told 'connection refused'");
        assertEquals(TcpState.CLOSED, h.engine.state(handle), "and the TCB is deleted, not returned to LISTEN");
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("MUST-41 (RFC 9293 §3.9.1.1): a passive OPEN (again, or its removal) does not affect existing connections")
    void must41_passiveOpenLeavesExistingConnections() {
        final Harness h = new Harness();
        h.passiveOpen();
        final Harness.App other = new Harness.App();
        h.engine.listen(SERVER_PORT, other);
        assertEquals(List.of(), h.send(h.seg().payload(bytes(10, 1))));
        h.engine.unlisten(SERVER_PORT);
        h.peerSeq += 10;
        assertEquals(List.of(), h.send(h.seg().payload(bytes(10, 2))));
        assertEquals(20, h.app.received.size(), "the first listener's connection keeps its handler and state");
        assertEquals(List.of(), other.events);
        assertEquals(TcpState.ESTABLISHED, h.engine.state(h.handle));
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("MUST-42 (RFC 9293 §3.9.1.1): LISTEN on a port while a connection from that local port is in SYN-SENT")
    void must42_listenOnPortOfSynSentConnection() {
        final Harness h = new Harness();
        final long active = h.engine.connect(LOCAL_IP, REMOTE_IP, PEER_PORT, h.app, h.now());
        final CapturedSegment syn = one(h.poll());
        final int port = syn.srcPort();
        final Harness.App listener = new Harness.App();
        h.engine.listen(port, listener);
        // A different peer port opens a connection to the listener on that same local port.
        h.localPort = port;
        h.remotePort = PEER_PORT + 1;
        final CapturedSegment synAck = one(h.send(h.seg().flags(SYN).ack(0).mss(1000)));
        expect(synAck, SYN | ACK, synAck.seq(), PEER_ISS + 1);
        // The active open still completes.
        h.remotePort = PEER_PORT;
        h.peerAck = syn.seq() + 1;
        expect(one(h.send(h.seg().flags(SYN | ACK).mss(1000))), ACK, syn.seq() + 1, PEER_ISS + 1);
        assertEquals(TcpState.ESTABLISHED, h.engine.state(active));
        assertEquals(2, h.engine.connectionCount());
        h.handle = active;
        h.engine.unlisten(port);
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("MUST-43 / MUST-45 (RFC 9293 §3.9.1.1): the local address given to OPEN is used for every segment of the connection")
    void must43_localAddressOfOpenUsedThroughout() {
        final Harness h = new Harness();
        final int local = LOCAL_IP + 7;
        final long handle = h.engine.connect(local, REMOTE_IP, PEER_PORT, h.app, h.now());
        final CapturedSegment syn = one(h.poll());
        assertEquals(local, syn.srcIp());
        final SegmentBuilder b = h.builder.reset().ports(PEER_PORT, syn.srcPort()).seq(PEER_ISS).ack(syn.seq() + 1)
            .flags(SYN | ACK).mss(1000).window(65535).build(REMOTE_IP, local);
        h.engine.onSegment(b.buffer(), 0, b.length(), REMOTE_IP, local, false, h.now(), h.out);
        h.engine.poll(h.now(), h.out);
        final CapturedSegment ack = one(h.out.drain());
        expect(ack, ACK, syn.seq() + 1, PEER_ISS + 1);
        assertEquals(local, ack.srcIp());
        h.engine.write(handle, new UnsafeBuffer(bytes(10, 1)), 0, 10);
        final CapturedSegment data = one(h.poll());
        assertEquals(local, data.srcIp());
        assertEquals(REMOTE_IP, data.dstIp());
        h.handle = handle;
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("MUST-46 (RFC 9293 §3.9.1.1): an active OPEN to a broadcast, multicast or unspecified address is rejected")
    void must46_openToBroadcastOrMulticastRejected() {
        final Harness h = new Harness();
        for (final int bad : new int[] {0xFFFFFFFF, 0xE0000001, 0xEFFFFFFA, 0x00000000, 0xF0000001}) {
            assertEquals(-1, h.engine.connect(LOCAL_IP, bad, PEER_PORT, h.app, h.now()),
                () -> "connect to " + Integer.toHexString(bad));
        }
        assertEquals(5, h.counter("connect_failures"));
        assertEquals(List.of(), h.poll(), "no SYN went out");
        assertEquals(0, h.engine.connectionCount());
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("SHLD-2 (RFC 9293 §3.5.3): a RST carrying data is processed as a RST")
    void shld2_rstWithDataAccepted() {
        final Harness h = new Harness();
        h.passiveOpen();
        assertEquals(List.of(), h.send(h.seg().flags(RST | ACK).payload("reason: going away".getBytes())));
        assertEquals(List.of("open", "close:reset"), h.app.events);
        assertEquals(0, h.app.received.size(), "the RST's data is not delivered as stream data");
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("SHLD-3 (RFC 9293 §3.6.1): CLOSE with received data still unread sends a RST to show data was lost")
    void shld3_closeWithUnreadDataSendsRst() {
        final Harness h = new Harness();
        h.passiveOpen();
        h.app.consumeLimit = 0;
        h.send(h.seg().payload(bytes(100, 1)));
        assertEquals(100, h.engine.receiveQueueBytes(h.handle));
        h.engine.close(h.handle);
        expect(one(h.poll()), RST, h.iss + 1, 0);
        assertEquals(List.of("open", "close:local-abort"), controlEvents(h));
        h.finishAndCheckLeaks();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Sending (§3.7.4, §3.8.6.2.1, §3.9.1.2)
    // ---------------------------------------------------------------------------------------------------------

    @Test
    @DisplayName("MUST-17 / SHLD-7 (RFC 9293 §3.7.4): Nagle holds a runt while data is unacknowledged; the application can turn it off per connection")
    void must17_nagleCanBeDisabledPerConnection() {
        final Harness h = new Harness(Harness.base().nagle(true).build());
        h.passiveOpen();
        h.write(bytes(100, 1));
        expect(one(h.poll()), ACK | PSH, h.iss + 1, h.peerSeq);
        h.write(bytes(100, 2));
        assertEquals(List.of(), h.poll(), "SHLD-7: the second runt waits for the ACK");
        h.engine.setNagle(h.handle, false);
        final CapturedSegment runt = one(h.poll());
        expect(runt, ACK | PSH, h.iss + 101, h.peerSeq);
        assertEquals(100, runt.payload().length);
        h.ackAllAndCheckLeaks(h.iss + 201);
    }

    @Test
    @DisplayName("MUST-38 / MUST-60 (RFC 9293 §3.8.6.2.1, §3.9.1.2): a window-limited runt is held (sender SWS avoidance), then the override timer sends it")
    void must38_senderSwsAvoidanceAndOverrideTimer() {
        final Harness h = new Harness();
        h.passiveOpen();
        assertEquals(List.of(), h.send(h.seg().window(500)));
        h.write(bytes(1000, 1));
        assertEquals(List.of(), h.poll(), "MUST-38: 500 bytes < Eff.snd.MSS and < max window / 2: wait");
        assertEquals(List.of(), h.advance(199 * MS));
        final CapturedSegment forced = one(h.advance(MS));
        expect(forced, ACK, h.iss + 1, h.peerSeq);
        assertEquals(500, forced.payload().length, "MUST-60: the override timeout sends what the window allows");
        h.peerAck = h.iss + 501;
        final CapturedSegment rest = one(h.send(h.seg().window(1000)));
        expect(rest, ACK | PSH, h.iss + 501, h.peerSeq);
        assertEquals(500, rest.payload().length);
        h.ackAllAndCheckLeaks(h.iss + 1001);
    }

    @Test
    @DisplayName("MUST-61 / SHLD-27 / SHLD-28 (RFC 9293 §3.9.1.2): writes are packed into full segments, PSH only on the last")
    void must61_pshOnLastSegmentOnly() {
        final Harness h = new Harness();
        h.passiveOpen();
        h.write(bytes(1200, 1));
        h.write(bytes(1300, 2));
        final List<CapturedSegment> sent = h.poll();
        assertEquals(3, sent.size());
        expect(sent.get(0), ACK, h.iss + 1, h.peerSeq);
        expect(sent.get(1), ACK, h.iss + 1001, h.peerSeq);
        expect(sent.get(2), ACK | PSH, h.iss + 2001, h.peerSeq);
        assertEquals(List.of(1000, 1000, 500), sent.stream().map(s -> s.payload().length).toList());
        h.ackAllAndCheckLeaks(h.iss + 2501);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Retransmission and failures (§3.8.1, §3.8.3)
    // ---------------------------------------------------------------------------------------------------------

    @Test
    @DisplayName("MUST-18 (RFC 9293 §3.8.1, RFC 6298 §3 and §5.7): Karn: no RTT sample from a retransmitted segment; the backed-off RTO is kept until new data is acknowledged")
    void must18_karnNoSampleFromRetransmission() {
        final Harness h = new Harness(Harness.base().tailLossProbe(false).build());
        h.passiveOpen();
        assertEquals(200 * MS, h.engine.rtoNs(h.handle));
        h.write(bytes(500, 1));
        one(h.poll());
        expect(one(h.advance(200 * MS)), ACK | PSH, h.iss + 1, h.peerSeq);
        assertEquals(400 * MS, h.engine.rtoNs(h.handle));
        h.advance(50 * MS);
        h.peerAck = h.iss + 501;
        assertEquals(List.of(), h.send(h.seg()));
        assertEquals(400 * MS, h.engine.rtoNs(h.handle), "the ACK of a retransmission gives no sample");
        h.write(bytes(100, 2));
        one(h.poll());
        h.advance(10 * MS);
        h.peerAck = h.iss + 601;
        h.send(h.seg());
        assertEquals(200 * MS, h.engine.rtoNs(h.handle), "new data acknowledged without retransmission: sampled");
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("MUST-20 / SHLD-11 (RFC 9293 §3.8.3): with the default R2 (15 retransmissions) a silent peer is given up only after more than 100 s")
    void shld11_r2AtLeast100Seconds() {
        final TcpConfig defaults = TcpConfig.builder().build();
        final Harness h = new Harness(Harness.base().tailLossProbe(false).maxRetransmits(defaults.maxRetransmits)
            .rtoMinNs(defaults.rtoMinNs).rtoMaxNs(defaults.rtoMaxNs).build());
        h.passiveOpen();
        h.write(bytes(100, 1));
        one(h.poll());
        final long start = h.now();
        int retransmissions = 0;
        while (h.engine.state(h.handle) == TcpState.ESTABLISHED) {
            final List<CapturedSegment> segs = h.nextEvent(Long.MAX_VALUE);
            for (final CapturedSegment s : segs) {
                expect(s, ACK | PSH, h.iss + 1, h.peerSeq);
                retransmissions++;
            }
        }
        assertEquals(15, retransmissions);
        // 200 ms doubling to the 60 s maximum: 0.2 * (2^9 - 1) = 102.2 s, then seven intervals of 60 s.
        assertEquals(102_200 * MS + 7 * 60_000 * MS, h.now() - start);
        assertEquals(List.of("open", "close:timeout"), h.app.events, "R2: closed and the application told");
        h.finishAndCheckLeaks();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Keep-alives (§3.8.4)
    // ---------------------------------------------------------------------------------------------------------

    @Test
    @DisplayName("MUST-26 (RFC 9293 §3.8.4): no keep-alive while sent data is outstanding")
    void must26_noKeepaliveWhileDataOutstanding() {
        final Harness h = new Harness(Harness.base().keepalive(true).keepaliveIdleNs(3000 * MS)
            .keepaliveIntervalNs(1000 * MS).keepaliveCount(3).tailLossProbe(false).maxRetransmits(10)
            .rtoMaxNs(4000 * MS).build());
        h.passiveOpen();
        h.write(bytes(100, 1));
        one(h.poll());
        final long start = h.now();
        while (h.now() - start < 20_000 * MS && h.engine.state(h.handle) == TcpState.ESTABLISHED) {
            for (final CapturedSegment s : h.nextEvent(Long.MAX_VALUE)) {
                expect(s, ACK | PSH, h.iss + 1, h.peerSeq);
                assertEquals(100, s.payload().length, () -> "only retransmissions, no keep-alive probe: " + s);
            }
        }
        assertEquals(0, h.counter("keepalive_probes"));
        // Once everything is acknowledged the idle time counts from the last segment received.
        h.peerAck = h.iss + 101;
        assertEquals(List.of(), h.send(h.seg()));
        assertEquals(List.of(), h.advance(2999 * MS));
        expect(one(h.advance(MS)), ACK, h.iss + 100, h.peerSeq);
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("MUST-28 / SHLD-12 (RFC 9293 §3.8.4): the default keep-alive idle time is two hours; the probe carries no data")
    void must28_keepaliveDefaultIdleTwoHours() {
        final Harness h = new Harness(Harness.base().keepalive(true).build());
        h.passiveOpen();
        assertEquals(List.of(), h.advance(7_200_000 * MS - 1));
        final CapturedSegment probe = one(h.advance(1));
        expect(probe, ACK, h.iss, h.peerSeq);
        assertEquals(0, probe.payload().length, "SHLD-12: no garbage octet");
        h.finishAndCheckLeaks();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Receiving and acknowledging (§3.4, §3.8.6.3, §3.10.7.4)
    // ---------------------------------------------------------------------------------------------------------

    @Test
    @DisplayName("MUST-40 (RFC 9293 §3.8.6.3): the ACK delay is below 0.5 s; a configuration of 0.5 s or more is refused")
    void must40_delayedAckBelowHalfSecond() {
        assertThrows(IllegalArgumentException.class, () -> Harness.base().delayedAckNs(500 * MS).build());
        final Harness h = new Harness(Harness.base().delayedAckNs(499 * MS).build());
        h.passiveOpen();
        assertEquals(List.of(), h.send(h.seg().payload(bytes(10, 1))));
        assertEquals(List.of(), h.advance(498 * MS));
        expect(one(h.advance(MS)), ACK, h.iss + 1, h.peerSeq + 10);
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("MUST-58 / MUST-59 (RFC 9293 §3.10.7.4): a burst of in-order segments is processed whole, then one ACK")
    void must59_burstProcessedBeforeOneAck() {
        final Harness h = new Harness();
        h.passiveOpen();
        for (int i = 0; i < 4; i++) {
            deliver(h, h.seg().payload(bytes(1000, i)));
            h.peerSeq += 1000;
        }
        assertEquals(List.of(), h.out.drain(), "nothing sent while the burst is processed");
        expect(one(h.poll()), ACK, h.iss + 1, PEER_ISS + 1 + 4000);
        assertEquals(4000, h.app.received.size());
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("MUST-66 (RFC 9293 §3.4): with a zero receive window a RST at RCV.NXT is still processed")
    void must66_rstProcessedWithZeroWindow() {
        final Harness h = new Harness(Harness.base().receiveBufferBytes(2000).build());
        h.passiveOpen();
        h.app.consumeLimit = 0;
        h.send(h.seg().payload(bytes(1000, 1)));
        h.peerSeq += 1000;
        final CapturedSegment ack = one(h.send(h.seg().payload(bytes(1000, 2))));
        h.peerSeq += 1000;
        assertEquals(0, ack.window());
        assertEquals(List.of(), h.send(h.seg().flags(RST).seq(h.peerSeq + 1)), "not at RCV.NXT: not acceptable");
        assertEquals(TcpState.ESTABLISHED, h.engine.state(h.handle));
        assertEquals(List.of(), h.send(h.seg().flags(RST)));
        assertEquals(List.of("open", "close:reset"), controlEvents(h));
        h.finishAndCheckLeaks();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Deviations pinned down, so a change is noticed
    // ---------------------------------------------------------------------------------------------------------

    @Test
    @DisplayName("MUST-30..33 (deviation, RFC 6093 §3 / as Linux SO_OOBINLINE): URG data is delivered inline, in order, the pointer ignored")
    void must30_deviation_urgentDataDeliveredInline() {
        final Harness h = new Harness();
        h.passiveOpen();
        final byte[] data = bytes(20, 3);
        assertEquals(List.of(), h.send(h.seg().flags(ACK | URG | PSH).payload(data)));
        assertArrayEquals(data, h.app.received.toByteArray());
        assertEquals(List.of("open", "data:20"), h.app.events);
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("SHLD-8 (deviation): no ECN; a SYN asking for ECN (ECE, CWR) gets a SYN-ACK without ECE (RFC 3168 §6.1.1)")
    void shld8_deviation_ecnNotNegotiated() {
        final Harness h = new Harness();
        h.engine.listen(SERVER_PORT, h.app);
        final CapturedSegment synAck = one(h.send(h.seg().flags(SYN | ECE | CWR).ack(0).mss(1000)));
        expect(synAck, SYN | ACK, synAck.seq(), PEER_ISS + 1);
        h.iss = synAck.seq();
        h.peerSeq = PEER_ISS + 1;
        h.peerAck = h.iss + 1;
        h.send(h.seg());
        h.handle = h.app.handle;
        h.finishAndCheckLeaks();
    }
}
