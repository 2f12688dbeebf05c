package io.strait.tcp;

import io.strait.tcp.sim.CapturedSegment;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.strait.tcp.Harness.*;
import static io.strait.tcp.wire.TcpHeader.*;
import static org.junit.jupiter.api.Assertions.*;

/** FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK and TIME_WAIT, each reached by a real exchange. */
class ClosingStatesTest {
    Harness h = new Harness();

    /** Active close: ESTABLISHED -> FIN_WAIT_1 with the FIN checked. */
    void finWait1() {
        h.passiveOpen();
        h.engine.close(h.handle);
        expect(one(h.poll()), FIN | ACK, h.iss + 1, h.peerSeq);
        assertEquals(TcpState.FIN_WAIT_1, h.engine.state(h.handle));
    }

    void timeWait() {
        finWait1();
        h.peerAck = h.iss + 2;
        expect(one(h.send(h.seg().flags(FIN | ACK))), ACK, h.iss + 2, h.peerSeq + 1);
        h.peerSeq++;
        assertEquals(TcpState.TIME_WAIT, h.engine.state(h.handle));
    }

    @Nested
    class FinWait1Test {
        @Test
        @DisplayName("RFC 9293 §3.10.7.4 fifth: the ACK of our FIN moves FIN-WAIT-1 to FIN-WAIT-2")
        void ackOfFin() {
            finWait1();
            h.peerAck = h.iss + 2;
            assertEquals(List.of(), h.send(h.seg()));
            assertEquals(TcpState.FIN_WAIT_2, h.engine.state(h.handle));
            h.finishAndCheckLeaks();
        }

        @Test
        @DisplayName("RFC 9293 §3.10.7.4 eighth: FIN,ACK acking our FIN -> TIME-WAIT, onClose(normal)")
        void finAckToTimeWait() {
            timeWait();
            assertEquals(List.of("open", "close:normal"), h.app.events);
            h.finishAndCheckLeaks();
        }

        @Test
        @DisplayName("RFC 6298 §5.4: an unacknowledged FIN is retransmitted at the RTO")
        void finRetransmitted() {
            finWait1();
            expect(one(h.nextEvent(10_000 * MS)), FIN | ACK, h.iss + 1, h.peerSeq);
            h.finishAndCheckLeaks();
        }
    }

    @Nested
    class FinWait2Test {
        @Test
        @DisplayName("RFC 9293 §3.10.7.4 eighth: FIN in FIN-WAIT-2 is ACKed, TIME-WAIT")
        void finToTimeWait() {
            finWait1();
            h.peerAck = h.iss + 2;
            h.send(h.seg());
            expect(one(h.send(h.seg().flags(FIN | ACK))), ACK, h.iss + 2, h.peerSeq + 1);
            assertEquals(TcpState.TIME_WAIT, h.engine.state(h.handle));
            h.finishAndCheckLeaks();
        }

        @Test
        @DisplayName("Deviation, as Linux tcp_fin_timeout: an orphaned FIN-WAIT-2 times out")
        void orphanTimesOut() {
            finWait1();
            h.peerAck = h.iss + 2;
            h.send(h.seg());
            assertEquals(List.of(), h.advance(4999 * MS));
            assertEquals(TcpState.FIN_WAIT_2, h.engine.state(h.handle));
            assertEquals(List.of(), h.advance(MS));
            assertEquals(TcpState.CLOSED, h.engine.state(h.handle));
            assertEquals(List.of("open", "close:timeout"), h.app.events);
            h.finishAndCheckLeaks();
        }

        @Test
        @DisplayName("RFC 9293 §3.10.7.4 seventh: half-close — data still arrives in FIN-WAIT-2 after shutdownOutput")
        void halfCloseReceives() {
            h.passiveOpen();
            h.engine.shutdownOutput(h.handle);
            expect(one(h.poll()), FIN | ACK, h.iss + 1, h.peerSeq);
            h.peerAck = h.iss + 2;
            h.send(h.seg());
            h.advance(6000 * MS);
            assertEquals(TcpState.FIN_WAIT_2, h.engine.state(h.handle), "not orphaned: no timeout");
            h.send(h.seg().payload(bytes(100, 1)));
            assertEquals(100, h.app.received.size());
            h.finishAndCheckLeaks();
        }
    }

    @Nested
    class CloseWaitTest {
        @Test
        @DisplayName("RFC 9293 §3.10.7.4 eighth: FIN in ESTABLISHED -> ACK at once, CLOSE-WAIT, onPeerFin; writes still go out")
        void peerFin() {
            h.passiveOpen();
            expect(one(h.send(h.seg().flags(FIN | ACK))), ACK, h.iss + 1, h.peerSeq + 1);
            h.peerSeq++;
            assertEquals(TcpState.CLOSE_WAIT, h.engine.state(h.handle));
            assertEquals(List.of("open", "peerFin"), h.app.events);
            h.write(bytes(50, 1));
            expect(one(h.poll()), ACK | PSH, h.iss + 1, h.peerSeq);
            h.engine.close(h.handle);
            expect(one(h.poll()), FIN | ACK, h.iss + 51, h.peerSeq);
            assertEquals(TcpState.LAST_ACK, h.engine.state(h.handle));
            h.finishAndCheckLeaks();
        }
    }

    @Nested
    class ClosingTest {
        @Test
        @DisplayName("RFC 9293 §3.5 Figure 13: simultaneous close, FIN-WAIT-1 -> CLOSING -> TIME-WAIT")
        void simultaneousClose() {
            finWait1();
            h.peerAck = h.iss + 1; // the peer's FIN crossed ours
            expect(one(h.send(h.seg().flags(FIN | ACK))), ACK, h.iss + 2, h.peerSeq + 1);
            h.peerSeq++;
            assertEquals(TcpState.CLOSING, h.engine.state(h.handle));
            h.peerAck = h.iss + 2;
            assertEquals(List.of(), h.send(h.seg()));
            assertEquals(TcpState.TIME_WAIT, h.engine.state(h.handle));
            h.finishAndCheckLeaks();
        }
    }

    @Nested
    class LastAckTest {
        void lastAck() {
            h.passiveOpen();
            h.send(h.seg().flags(FIN | ACK));
            h.peerSeq++;
            h.engine.close(h.handle);
            expect(one(h.poll()), FIN | ACK, h.iss + 1, h.peerSeq);
        }

        @Test
        @DisplayName("RFC 9293 §3.10.7.4 fifth: the ACK of our FIN in LAST-ACK deletes the TCB, onClose(peer-fin)")
        void ackCloses() {
            lastAck();
            h.peerAck = h.iss + 2;
            assertEquals(List.of(), h.send(h.seg()));
            assertEquals(TcpState.CLOSED, h.engine.state(h.handle));
            assertEquals(List.of("open", "peerFin", "close:peer-fin"), h.app.events);
            h.finishAndCheckLeaks();
        }

        @Test
        @DisplayName("RFC 6298 §5.4-5.5: the FIN in LAST-ACK is retransmitted with backoff")
        void finRetransmitted() {
            lastAck();
            final long t0 = h.now();
            expect(one(h.nextEvent(10_000 * MS)), FIN | ACK, h.iss + 1, h.peerSeq);
            final long first = h.now() - t0;
            expect(one(h.nextEvent(10_000 * MS)), FIN | ACK, h.iss + 1, h.peerSeq);
            assertEquals(2 * first, h.now() - t0 - first);
            h.finishAndCheckLeaks();
        }
    }

    @Nested
    class TimeWaitTest {
        @Test
        @DisplayName("RFC 9293 §3.10.7.4 eighth: TIME-WAIT lasts 2 MSL, then the TCB is deleted")
        void expiresAfterTwoMsl() {
            timeWait();
            final long t0 = h.now();
            assertEquals(List.of(), h.advance(1999 * MS));
            assertEquals(TcpState.TIME_WAIT, h.engine.state(h.handle));
            assertEquals(List.of(), h.advance(MS));
            assertEquals(t0 + 2000 * MS, h.now());
            assertEquals(TcpState.CLOSED, h.engine.state(h.handle));
            h.finishAndCheckLeaks();
        }

        @Test
        @DisplayName("RFC 9293 §3.10.7.4 eighth: a retransmitted FIN in TIME-WAIT is ACKed and restarts 2 MSL")
        void retransmittedFinRestartsTimer() {
            timeWait();
            h.advance(1500 * MS);
            h.peerSeq--;
            expect(one(h.send(h.seg().flags(FIN | ACK))), ACK, h.iss + 2, h.peerSeq + 1);
            final long t1 = h.now();
            h.advance(1999 * MS);
            assertEquals(TcpState.TIME_WAIT, h.engine.state(h.handle));
            h.advance(MS);
            assertEquals(t1 + 2000 * MS, h.now());
            assertEquals(TcpState.CLOSED, h.engine.state(h.handle));
            h.finishAndCheckLeaks();
        }

        @Test
        @DisplayName("Deviation, as Linux (tcp_max_tw_buckets): with the TCB pool full, the oldest TIME-WAIT is recycled")
        void timeWaitRecycledWhenThePoolIsFull() {
            final Harness one = new Harness(Harness.base().maxConnections(1).synCookies(false).build());
            h = one;
            timeWait();
            final CapturedSegment synAck = one(h.send(h.seg().ports(PEER_PORT + 1, SERVER_PORT).flags(SYN).ack(0)
                .seq(PEER_ISS).mss(1000)));
            assertEquals(SYN | ACK, synAck.flags(), "the new connection gets the recycled slot");
            assertEquals(1, h.counter("time_wait_recycled"));
            assertEquals(TcpState.CLOSED, h.engine.state(h.handle), "the TIME-WAIT connection is gone");
            h.handle = -1; // the new connection, still in SYN-RECEIVED, times out during the leak check
            h.finishAndCheckLeaks();
        }

        @Test
        @DisplayName("RFC 1122 §4.2.2.13: without timestamps, a SYN above RCV.NXT reopens a TIME-WAIT four-tuple")
        void synWithHigherSequenceReopens() {
            timeWait();
            final CapturedSegment again = one(h.send(h.seg().flags(SYN).seq(h.peerSeq + 100_000).ack(0).mss(1000)));
            expect(again, SYN | ACK, again.seq(), h.peerSeq + 100_001);
            assertEquals(1, h.counter("time_wait_reused"));
            h.finishAndCheckLeaks();
        }

        @Test
        @DisplayName("RFC 6191 §2: a SYN with a newer timestamp reopens a TIME-WAIT four-tuple; an older one does not")
        void synWithNewerTimestampReopens() {
            final Harness t = new Harness(Harness.base().timestamps(true).build());
            t.engine.listen(SERVER_PORT, t.app);
            final CapturedSegment synAck = one(t.send(t.seg().flags(SYN).ack(0).mss(1000).timestamps(100, 0)));
            t.iss = synAck.seq();
            t.peerSeq = PEER_ISS + 1;
            t.peerAck = t.iss + 1;
            t.send(t.seg().timestamps(101, synAck.tsVal()));
            t.handle = t.app.handle;
            t.engine.close(t.handle);
            final CapturedSegment fin = one(t.poll());
            t.peerAck = t.iss + 2;
            t.send(t.seg().flags(FIN | ACK).timestamps(102, fin.tsVal()));
            t.peerSeq++;
            assertEquals(TcpState.TIME_WAIT, t.engine.state(t.handle));
            // Older timestamp: PAWS drops it, an ACK answers (RFC 7323 §5.3).
            final CapturedSegment paws = one(t.send(t.seg().flags(SYN).seq(PEER_ISS + 50_000).ack(0).timestamps(50, 0)));
            expect(paws, ACK, t.iss + 2, t.peerSeq);
            // Newer timestamp: a new incarnation.
            final CapturedSegment again = one(t.send(t.seg().flags(SYN).seq(PEER_ISS + 50_000).ack(0).mss(1000)
                .timestamps(200, 0)));
            expect(again, SYN | ACK, again.seq(), PEER_ISS + 50_001);
            assertEquals(1, t.counter("time_wait_reused"));
            assertEquals(1, t.engine.connectionCount());
            t.finishAndCheckLeaks();
        }
    }
}
