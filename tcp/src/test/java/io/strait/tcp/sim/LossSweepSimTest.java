package io.strait.tcp.sim;

import io.strait.tcp.CloseReason;
import io.strait.tcp.EngineInvariants;
import io.strait.tcp.EntropySource;
import io.strait.tcp.TcpConfig;
import io.strait.tcp.TcpCounters;
import io.strait.tcp.TcpEngine;
import io.strait.tcp.wire.TcpHeader;
import io.strait.tcp.wire.TcpSegment;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;

import static io.strait.tcp.sim.TwoEngineSimTest.App;
import static io.strait.tcp.sim.TwoEngineSimTest.IP_A;
import static io.strait.tcp.sim.TwoEngineSimTest.IP_B;
import static io.strait.tcp.sim.TwoEngineSimTest.PORT;
import static io.strait.tcp.sim.TwoEngineSimTest.counters;
import static io.strait.tcp.sim.TwoEngineSimTest.leaks;
import static io.strait.tcp.sim.TwoEngineSimTest.stream;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Loss-rate sweep: a one-way bulk transfer ({@link #BYTES}, B to A) between two engines with the default options
 * (SACK, timestamps, window scale), NewReno and CUBIC, over a wire with a fixed 1 ms one-way delay (RTT 2 ms) and
 * independent random loss in both directions, at 0, 0.1%, 0.5%, 2%, 5%, 10% and 20%, several seeds per rate. The
 * assertions come from the RFCs:
 * <ol>
 *   <li>RFC 9293: every byte arrives exactly once and in order, both sides close (one through TIME_WAIT), no leak.
 *   <li>RFC 8985 §6.2 / §7 (with RFC 6298 §5.3): no RTO while ACKs keep reporting progress. An ACK is
 *       <em>progress</em> when it advances SND.UNA (RFC 6298 §5.3 restarts the timer) or newly SACKs data whose last
 *       transmission was no earlier than that of the oldest outstanding segment (the RACK condition of RFC 8985
 *       §6.2: that segment is then marked lost within RACK.rtt + RACK.reo_wnd, here a few ms, and sent again, and
 *       RACK repeats this for a lost retransmission). With RTT 2 ms and RTO.min 200 ms, the head would have to be
 *       lost some fifty times in a row before a timeout could fall within RTO.min/2 of a progress ACK, so any RTO
 *       that does is a missed repair. Checked at each expiry, seen as the sender's {@code rto_expiries} counter
 *       rising across one step of the wire; the wire's {@link SimWire.Tap} rebuilds the sender's scoreboard from
 *       the segments themselves.
 *   <li>RFC 8985 §7 / RFC 6298 §5: RTOs are rare. Each one needs the last segment sent before it (or every ACK it
 *       drew) dropped, since its ACK would otherwise be progress within one RTT plus the delayed-ACK time; so RTOs
 *       &le; segments dropped in both directions, at every rate. At loss &le; 2% an RTO needs the tail of a flight
 *       and the TLP probe (or their ACKs) lost, or a lost retransmission with nothing sent after it: &le; 1 per MB.
 *   <li>RFC 6675 §4-5 / RFC 8985 §6.2 (no go-back-N): the sender resends only what is marked lost, so retransmitted
 *       bytes &le; 3 &times; payload bytes the wire dropped in that direction + 4 segments (a loss probe or an RTO
 *       retransmission whose ACK was lost is resent without a data loss). Checked on both the engine's
 *       {@code retransmitted_bytes} counter and the bytes seen going out a second time on the wire.
 * </ol>
 * The sweep runs once per (congestion control, loss) pair and is shared by the four assertion tests; a table of
 * the results (median virtual transfer time, RTOs per MB, retransmitted / lost) is printed at the end. A failing
 * run is re-run with a pcap written under {@code tcp/target/sim-failures/}. {@code -Dstrait.sim.sweep.seeds=N}
 * runs N seeds per rate (default 5).
 */
class LossSweepSimTest {
    /** Bytes B sends to A per run: 3 MB. */
    static final int BYTES = 3 << 20;
    static final double[] LOSS = {0, 0.001, 0.005, 0.02, 0.05, 0.10, 0.20};
    static final int SEEDS = Integer.getInteger("strait.sim.sweep.seeds", 5);
    /** Fixed one-way delay, no jitter: RTT 2 ms. */
    static final long DELAY_NS = 1_000_000L;
    static final int MSS = 1460;
    /** Virtual time limit per run. */
    static final long LIMIT_NS = 3_000_000_000_000L;

    /** All runs so far, by "cc loss"; filled on first use by whichever assertion test comes first. */
    private static final Map<String, List<Run>> RUNS = new TreeMap<>();

    static Stream<Arguments> cases() {
        final List<Arguments> out = new ArrayList<>();
        for (final int cc : new int[] {TcpConfig.CC_NEWRENO, TcpConfig.CC_CUBIC, TcpConfig.CC_BBR}) {
            for (final double loss : LOSS) {
                out.add(Arguments.of(ccName(cc), loss));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}, loss {1}")
    @MethodSource("cases")
    @DisplayName("RFC 9293 §3.10.7.4: every byte exactly once and in order, clean close (one side via TIME_WAIT), no leak")
    void deliversEveryByteOnceInOrder(final String cc, final double loss) {
        final List<String> failures = new ArrayList<>();
        for (final Run r : runs(cc, loss)) {
            if (r.error != null) {
                failures.add(r.id() + ": " + r.error + " pcap: " + r.pcap());
            }
        }
        check("RFC 9293 exactly-once delivery and clean close", failures);
    }

    @ParameterizedTest(name = "{0}, loss {1}")
    @MethodSource("cases")
    @DisplayName("RFC 8985 §6.2, §7 + RFC 6298 §5.3: no RTO while ACKs keep acking or SACKing data sent after the hole")
    void noRtoWhileSacksArrive(final String cc, final double loss) {
        final List<String> failures = new ArrayList<>();
        for (final Run r : runs(cc, loss)) {
            for (final String v : r.rtoViolations) {
                failures.add(r.id() + ": " + v + " pcap: " + r.pcap());
            }
        }
        check("RFC 8985 §6.2/§7: RTO fired less than RTO.min/2 after a progress ACK", failures);
    }

    @ParameterizedTest(name = "{0}, loss {1}")
    @MethodSource("cases")
    @DisplayName("RFC 8985 §7 / RFC 6298 §5: RTOs <= segments dropped, and <= 1 per MB at loss <= 2%")
    void rtoCountBounded(final String cc, final double loss) {
        final List<String> failures = new ArrayList<>();
        for (final Run r : runs(cc, loss)) {
            if (r.rtos > r.rtoBound()) {
                failures.add(r.id() + ": " + r.rtos + " RTOs for " + (BYTES >> 20) + " MB, bound " + r.rtoBound()
                    + " (" + (r.droppedData + r.droppedAcks) + " segments dropped) " + r.counters + " pcap: "
                    + r.pcap());
            }
        }
        check("RFC 8985 §7: RTO count bound", failures);
    }

    @ParameterizedTest(name = "{0}, loss {1}")
    @MethodSource("cases")
    @DisplayName("RFC 6675 §4-5 / RFC 8985 §6.2: retransmitted bytes <= 3 x bytes lost + 4 segments (no go-back-N)")
    void retransmissionsBoundedByLosses(final String cc, final double loss) {
        final List<String> failures = new ArrayList<>();
        for (final Run r : runs(cc, loss)) {
            final long bound = r.retransmitBound();
            if (r.retransmittedBytes > bound) {
                failures.add(r.id() + ": retransmitted_bytes " + r.retransmittedBytes + " > 3 x " + r.lostBytes
                    + " lost + 4 MSS = " + bound + " " + r.counters + " pcap: " + r.pcap());
            }
            if (r.wireRetransmittedBytes > bound) {
                failures.add(r.id() + ": " + r.wireRetransmittedBytes + " bytes sent again on the wire > 3 x "
                    + r.lostBytes + " lost + 4 MSS = " + bound + " pcap: " + r.pcap());
            }
        }
        check("RFC 6675/8985: retransmissions bounded by losses", failures);
    }

    @AfterAll
    static void printTable() {
        final StringBuilder sb = new StringBuilder();
        sb.append(String.format("%nloss sweep: %d MB B->A per run, one-way delay %.1f ms, SACK+TS+WS%n",
            BYTES >> 20, DELAY_NS / 1e6));
        sb.append(String.format("%-8s %6s %5s %12s %12s %9s %11s %8s %8s %8s %8s%n", "cc", "loss", "seeds",
            "median ms", "max ms", "RTO/MB", "retx/lost", "tlp", "fastRtx", "lostRtx", "undos"));
        for (final List<Run> runs : RUNS.values()) {
            final Run first = runs.get(0);
            final long[] t = runs.stream().mapToLong(r -> r.transferNs).sorted().toArray();
            long rtos = 0;
            long retx = 0;
            long lost = 0;
            long tlp = 0;
            long fast = 0;
            long lostRtx = 0;
            long undos = 0;
            for (final Run r : runs) {
                rtos += r.rtos;
                retx += r.retransmittedBytes;
                lost += r.lostBytes;
                tlp += r.tlpProbes;
                fast += r.fastRetransmits;
                lostRtx += r.lostRetransmits;
                undos += r.undos;
            }
            final double mb = runs.size() * (double) BYTES / (1 << 20);
            sb.append(String.format("%-8s %5.1f%% %5d %12.1f %12.1f %9.2f %11s %8d %8d %8d %8d%n", first.cc,
                first.loss * 100, runs.size(), median(t) / 1e6, t[t.length - 1] / 1e6, rtos / mb,
                lost == 0 ? (retx == 0 ? "-" : "inf") : String.format("%.2f", (double) retx / lost), tlp, fast,
                lostRtx, undos));
        }
        System.out.print(sb);
    }

    static double median(final long[] sorted) {
        final int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    }

    static void check(final String what, final List<String> failures) {
        if (!failures.isEmpty()) {
            failures.forEach(f -> System.err.println("LOSS SWEEP FAILURE " + what + ": " + f));
            fail(what + ": " + failures.size() + " failure(s):\n  " + String.join("\n  ", failures));
        }
    }

    static String ccName(final int cc) {
        return cc == TcpConfig.CC_CUBIC ? "cubic" : cc == TcpConfig.CC_BBR ? "bbr" : "newreno";
    }

    static synchronized List<Run> runs(final String cc, final double loss) {
        final String key = cc + " " + String.format("%06.3f", loss);
        List<Run> runs = RUNS.get(key);
        if (runs == null) {
            runs = new ArrayList<>();
            final int ccId = cc.equals("cubic") ? TcpConfig.CC_CUBIC
                : cc.equals("bbr") ? TcpConfig.CC_BBR : TcpConfig.CC_NEWRENO;
            final int lossIndex = Arrays.binarySearch(LOSS, loss);
            for (int i = 1; i <= SEEDS; i++) {
                final long seed = 1000L * i + 10L * lossIndex + ccId;
                Run r = run(seed, ccId, loss, null);
                if (!r.ok()) {
                    final Path pcap = Path.of("target", "sim-failures",
                        "loss-sweep-" + cc + "-" + loss + "-seed-" + seed + ".pcap");
                    final PcapWriter w = PcapWriter.inMemory(PcapWriter.LINKTYPE_RAW);
                    run(seed, ccId, loss, w);
                    w.writeTo(pcap);
                    r = r.withPcap(pcap.toAbsolutePath().toString());
                }
                runs.add(r);
            }
            RUNS.put(key, runs);
        }
        return runs;
    }

    /** One run's outcome; {@code error} covers delivery, close and leaks; {@code rtoViolations} assertion 2. */
    record Run(long seed, String cc, double loss, String error, long transferNs, long rtos, List<String> rtoViolations,
        long retransmittedBytes, long wireRetransmittedBytes, long lostBytes, long droppedData, long droppedAcks,
        long tlpProbes, long fastRetransmits, long lostRetransmits, long undos, String counters, String pcapPath) {

        String id() {
            return cc + " loss=" + loss + " seed=" + seed;
        }

        String pcap() {
            return pcapPath == null ? "-" : pcapPath;
        }

        /** Assertion 4's bound: 3 x payload bytes dropped sender to receiver + 4 segments. */
        long retransmitBound() {
            return 3 * lostBytes + 4L * MSS;
        }

        /** Assertion 3's bound: the segments dropped in both directions, and 1 per MB at loss <= 2%. */
        long rtoBound() {
            final long perMb = (long) Math.ceil((double) BYTES / (1 << 20));
            return loss <= 0.02 ? Math.min(perMb, droppedData + droppedAcks) : droppedData + droppedAcks;
        }

        boolean ok() {
            return error == null && rtoViolations.isEmpty() && retransmittedBytes <= retransmitBound()
                && wireRetransmittedBytes <= retransmitBound() && rtos <= rtoBound();
        }

        Run withPcap(final String p) {
            return new Run(seed, cc, loss, error, transferNs, rtos, rtoViolations, retransmittedBytes,
                wireRetransmittedBytes, lostBytes, droppedData, droppedAcks, tlpProbes, fastRetransmits,
                lostRetransmits, undos, counters, p);
        }
    }

    static Run run(final long seed, final int cc, final double loss, final PcapWriter pcap) {
        final VirtualClock clock = new VirtualClock(1_000_000_000L);
        final FaultPlan plan = FaultPlan.builder().delayNs(DELAY_NS).loss(loss).build();
        // The orphaned receiver's FIN_WAIT_2 limit (a Linux deviation, 60 s by default) must outlast RFC 6298's
        // largest backed-off RTO (60 s) a few times over, or a run of lost retransmissions at 20% loss ends the
        // connection by design rather than by a fault of recovery.
        final TcpConfig config = TcpConfig.builder().maxConnections(4).congestionControl(cc)
            .finWait2TimeoutNs(600_000_000_000L).build();
        final TcpEngine a = new TcpEngine(config, EntropySource.seeded(seed), counters(), "a.");
        final TcpEngine b = new TcpEngine(config, EntropySource.seeded(~seed), counters(), "b.");
        final SimWire wire = new SimWire(seed, plan, clock);
        if (pcap != null) {
            wire.pcap(pcap);
        }
        wire.attach(a, IP_A, b, IP_B);
        final SenderView view = new SenderView(IP_B, BYTES);
        wire.tap(view);
        final byte[] data = stream(seed, BYTES);
        final App receiver = new App(a, new byte[0], data, new SplittableRandom(seed + 1));
        final App sender = new App(b, data, new byte[0], new SplittableRandom(seed + 2));
        a.listen(PORT, receiver);
        final long startNs = clock.nowNs();
        final long h = b.connect(IP_B, IP_A, PORT, sender, startNs);
        final TcpCounters sc = b.counters();
        final List<String> violations = new ArrayList<>();
        final long rtoMinNs = config.rtoMinNs;
        long doneNs = -1;
        long rtos = 0;
        long rtoSeen = sc.rtoExpiries.get();
        long fastSeen = 0;
        long recoveryEntryNs = Long.MIN_VALUE / 2;
        String error = h < 0 ? "connect failed" : null;
        while (error == null && !(receiver.closed && sender.closed && a.connectionCount() == 0
            && b.connectionCount() == 0)) {
            // ACKs delivered in this step arrive at the same instant the timers are polled: the silence before an
            // RTO is measured up to the start of the step.
            final long progressBeforeNs = view.lastProgressNs;
            final long anyAckBeforeNs = view.lastAckNs;
            if (clock.nowNs() > startNs + LIMIT_NS || !wire.step()) {
                break;
            }
            final long now = clock.nowNs();
            final String broken = EngineInvariants.violation(b);
            if (broken != null) {
                error = String.format("invariant at %.3f ms: %s", (now - startNs) / 1e6, broken);
                break;
            }
            if (doneNs < 0 && receiver.received == BYTES) {
                doneNs = now;
            }
            final long r = sc.rtoExpiries.get();
            final long f = sc.fastRetransmits.get();
            if (r != rtoSeen) {
                if (view.sndMax > 0) { // handshake timeouts (a lost SYN) are not data-phase RTOs
                    rtos += r - rtoSeen;
                    final long silenceNs = now - progressBeforeNs;
                    if (silenceNs < rtoMinNs / 2) {
                        violations.add(String.format("RTO #%d at %.3f ms (virtual, from connect) only %.3f ms after"
                                + " a progress ACK (last ACK of any kind %.3f ms before); snd.una=%d hole=%d"
                                + " hole last sent %.3f ms before, snd.max=%d, SACKed above una %d bytes; recovery"
                            + " entered %.3f ms before; RTO now %.1f ms (backed off)", r,
                            (now - startNs) / 1e6, silenceNs / 1e6, (now - anyAckBeforeNs) / 1e6, view.una,
                            view.hole(), (now - view.holeSentNs()) / 1e6, view.sndMax, view.sackedAboveUna(),
                            (now - recoveryEntryNs) / 1e6, b.rtoNs(h) / 1e6));
                    }
                }
                rtoSeen = r;
            }
            if (f != fastSeen) { // after the RTO check: an entry in this very step is not "before" the RTO
                fastSeen = f;
                recoveryEntryNs = now;
            }
        }
        if (error == null) {
            error = outcome(a, b, receiver, sender, clock);
        }
        return new Run(seed, ccName(cc), loss, error, doneNs < 0 ? clock.nowNs() - startNs : doneNs - startNs,
            rtos, violations, sc.retransmittedBytes.get(), view.retransmittedBytes, wire.lostPayloadBytesFromB,
            view.droppedData, view.droppedAcks, sc.tlpProbes.get(), sc.fastRetransmits.get(),
            sc.lostRetransmits.get(), sc.undos.get(), summary(sc), null);
    }

    static String outcome(final TcpEngine a, final TcpEngine b, final App receiver, final App sender,
        final VirtualClock clock) {
        if (receiver.error != null || sender.error != null) {
            return "data error receiver: " + receiver.error + " sender: " + sender.error;
        }
        if (!receiver.closed || !sender.closed) {
            return "not closed at " + clock.nowNs() + " receiver{" + receiver + "} sender{" + sender + "}";
        }
        if (receiver.received != BYTES) {
            return "receiver got " + receiver.received + " of " + BYTES + " bytes, close reasons "
                + CloseReason.name(receiver.closeReason) + "/" + CloseReason.name(sender.closeReason);
        }
        if (!TwoEngineSimTest.Scenario.okReason(receiver.closeReason)
            || !TwoEngineSimTest.Scenario.okReason(sender.closeReason)) {
            return "close reasons " + CloseReason.name(receiver.closeReason) + "/"
                + CloseReason.name(sender.closeReason);
        }
        if (receiver.closeReason != CloseReason.NORMAL && sender.closeReason != CloseReason.NORMAL) {
            return "no side went through TIME_WAIT";
        }
        final String la = leaks(a);
        final String lb = leaks(b);
        return la != null || lb != null ? "leak receiver: " + la + " sender: " + lb : null;
    }

    static String summary(final TcpCounters c) {
        return "{rto_expiries=" + c.rtoExpiries.get() + " retransmits=" + c.retransmits.get() + " retransmitted_bytes="
            + c.retransmittedBytes.get() + " rack_lost_bytes=" + c.rackLost.get() + " tlp_probes=" + c.tlpProbes.get()
            + " fast_retransmits=" + c.fastRetransmits.get() + " lost_retransmits=" + c.lostRetransmits.get()
            + " dsacks_in=" + c.dsacksIn.get() + " undos=" + c.undos.get() + "}";
    }

    /**
     * The sender's scoreboard rebuilt from the wire: when each byte of its stream was last sent, what the receiver
     * has acknowledged and SACKed, and when the last ACK that showed progress (in the sense of the class comment)
     * arrived. Offsets are relative to ISS + 1.
     */
    static final class SenderView implements SimWire.Tap {
        final int senderIp;
        final int bytes;
        final TcpSegment seg = new TcpSegment();
        /** Last transmission time of each byte, microseconds since the first transmission. */
        final int[] sentUs;
        final BitSet sacked;
        long baseNs = -1;
        int iss;
        boolean issKnown;
        /** Highest stream offset sent + 1 (data only), SND.UNA as offset (clipped to the data). */
        int sndMax;
        int una;
        int acked;
        long lastAckNs = Long.MIN_VALUE / 2;
        long lastProgressNs = Long.MIN_VALUE / 2;
        long retransmittedBytes;
        long droppedData;
        long droppedAcks;

        SenderView(final int senderIp, final int bytes) {
            this.senderIp = senderIp;
            this.bytes = bytes;
            this.sentUs = new int[bytes];
            this.sacked = new BitSet(bytes);
        }

        @Override
        public void onTransmit(final long nowNs, final int srcIp, final int dstIp, final DirectBuffer s,
            final int length, final boolean dropped) {
            if (srcIp != senderIp) {
                if (dropped) {
                    droppedAcks++;
                }
                return;
            }
            if (dropped) {
                droppedData++;
            }
            if (seg.parse(s, 0, length) != TcpSegment.OK) {
                return;
            }
            if (seg.has(TcpHeader.SYN)) {
                iss = seg.seq;
                issKnown = true;
                return;
            }
            if (!issKnown || seg.payloadLength == 0) {
                return;
            }
            if (baseNs < 0) {
                baseNs = nowNs;
            }
            final int from = seg.seq - (iss + 1);
            final int to = Math.min(from + seg.payloadLength, bytes);
            if (from < sndMax) {
                retransmittedBytes += Math.min(to, sndMax) - from;
            }
            sndMax = Math.max(sndMax, to);
            Arrays.fill(sentUs, from, to, (int) ((nowNs - baseNs) / 1000));
        }

        @Override
        public void onDeliver(final long nowNs, final int srcIp, final int dstIp, final DirectBuffer s,
            final int length) {
            if (dstIp != senderIp || !issKnown || seg.parse(s, 0, length) != TcpSegment.OK
                || !seg.has(TcpHeader.ACK)) {
                return;
            }
            lastAckNs = nowNs;
            boolean progress = false;
            final int ackOffset = Math.min(seg.ack - (iss + 1), bytes + 1); // bytes + 1: the FIN acknowledged
            if (ackOffset > acked) {
                acked = ackOffset;
                una = Math.min(acked, bytes);
                progress = true; // RFC 6298 §5.3: restarts the retransmission timer
            }
            // RFC 8985 §6.2: a segment newly SACKed that was sent no earlier than the oldest outstanding segment
            // (ties broken by sequence, as RACK does) lets RACK mark that segment lost.
            final int hole = hole();
            final long holeSentUs = hole < sndMax ? sentUs[hole] : Long.MAX_VALUE;
            for (int i = 0; i < seg.sackCount; i++) {
                final int l = Math.max(seg.sackLeft[i] - (iss + 1), una);
                final int r = Math.min(seg.sackRight[i] - (iss + 1), sndMax);
                for (int x = sacked.nextClearBit(l); x < r; ) {
                    final int end = Math.min(r, nextSet(x));
                    for (int k = x; k < end; k++) {
                        if (sentUs[k] >= holeSentUs) {
                            progress = true;
                            break;
                        }
                    }
                    sacked.set(x, end);
                    x = sacked.nextClearBit(end);
                }
            }
            if (progress) {
                lastProgressNs = nowNs;
            }
        }

        private int nextSet(final int from) {
            final int n = sacked.nextSetBit(from);
            return n < 0 ? Integer.MAX_VALUE : n;
        }

        /** The oldest outstanding byte: the first at or above SND.UNA not SACKed. */
        int hole() {
            return sacked.nextClearBit(una);
        }

        long holeSentNs() {
            final int h = hole();
            return h < sndMax ? baseNs + sentUs[h] * 1000L : Long.MIN_VALUE / 2;
        }

        int sackedAboveUna() {
            return sacked.get(una, Math.max(una, sndMax)).cardinality();
        }
    }
}
