package io.strait.tcp;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

/**
 * The engine's named counters, allocated from an Agrona {@link CountersManager} with labels
 * {@code prefix + name} (for example {@code "core0.tcp.segments_in"}). Single writer (the engine's thread),
 * incremented with {@code incrementRelease()} so an external reader (a stat tool over the counters file) sees
 * them. Gauges (connections per state, timers scheduled, TCBs and large buffers in use) are set with {@code setRelease()}.
 */
public final class TcpCounters {
    public final AtomicCounter segmentsIn;
    public final AtomicCounter segmentsOut;
    public final AtomicCounter bytesIn;
    public final AtomicCounter bytesOut;
    public final AtomicCounter rstsOut;
    // Drops by reason.
    public final AtomicCounter dropBadChecksum;
    public final AtomicCounter dropTooShort;
    public final AtomicCounter dropBadOffset;
    public final AtomicCounter dropBadOption;
    public final AtomicCounter dropNoListener;
    public final AtomicCounter dropNotAcceptable;
    public final AtomicCounter dropPaws;
    public final AtomicCounter dropBacklogFull;
    public final AtomicCounter dropNoTcb;
    public final AtomicCounter dropCookieRejected;
    public final AtomicCounter dropOooOverflow;
    public final AtomicCounter dropNoSinkRoom;
    public final AtomicCounter dropBadAck;
    public final AtomicCounter dropInvalidState;
    public final AtomicCounter dropAfterClose;
    public final AtomicCounter dropRstQueueFull;
    // Recovery and timers.
    public final AtomicCounter retransmits;
    public final AtomicCounter fastRetransmits;
    public final AtomicCounter sackRetransmits;
    /** RFC 8985 §7 tail loss probes sent. */
    public final AtomicCounter tlpProbes;
    /** Retransmissions found lost in recovery (RFC 8985 §6.2 time rule) and sent again without waiting for the RTO. */
    public final AtomicCounter lostRetransmits;
    public final AtomicCounter rtoExpiries;
    /** Bytes sent again (all causes). */
    public final AtomicCounter retransmittedBytes;
    /** Bytes RACK marked lost by time (RFC 8985 §6.2). */
    public final AtomicCounter rackLost;
    /** D-SACK blocks received (RFC 2883) and sent. */
    public final AtomicCounter dsacksIn;
    public final AtomicCounter dsacksOut;
    /** Window reductions undone as spurious (D-SACK or Eifel). */
    public final AtomicCounter undos;
    /** Window reductions after a retransmitted loss probe repaired a loss (RFC 8985 §7.4). */
    public final AtomicCounter tlpRecoveries;
    /** RACK reordering-timer expiries (RFC 8985 §6.3). */
    public final AtomicCounter reorderTimeouts;
    /** Application handlers that threw: each aborted its own connection (RST), nothing else. */
    public final AtomicCounter handlerErrors;
    /** Buffer autotuning: rings moved to a large chunk, and growths refused because the budget was spent. */
    public final AtomicCounter buffersGrown;
    public final AtomicCounter buffersBudgetSpent;
    /** The configured floors (gauges, microseconds): RTO minimum and TLP floor. */
    public final AtomicCounter rtoMinUs;
    public final AtomicCounter tlpMinUs;
    public final AtomicCounter persistProbes;
    public final AtomicCounter keepaliveProbes;
    /** Connections closed because keep-alive probes went unanswered (RFC 1122 §4.2.3.6); also in {@link #timeouts}. */
    public final AtomicCounter keepaliveTimeouts;
    public final AtomicCounter timeouts;
    public final AtomicCounter delayedAcks;
    // Defences.
    public final AtomicCounter challengeAcks;
    public final AtomicCounter challengeAcksRateLimited;
    public final AtomicCounter synCookiesSent;
    public final AtomicCounter synCookiesAccepted;
    public final AtomicCounter synCookiesRejected;
    public final AtomicCounter timeWaitReused;
    public final AtomicCounter timeWaitRecycled;
    // ICMP errors (RFC 1122 §4.2.3.9, RFC 1191, RFC 5927).
    /** ICMP errors the dataplane handed over (destination unreachable, time exceeded). */
    public final AtomicCounter icmpErrorsIn;
    /** Quoting a four-tuple with no connection. */
    public final AtomicCounter icmpDropNoConnection;
    /** Quoting a sequence number outside SND.UNA..SND.NXT (RFC 5927 §4.1: blind or stale). */
    public final AtomicCounter icmpDropOutOfWindow;
    /** Soft errors recorded (never an abort). */
    public final AtomicCounter icmpSoftErrors;
    /** Active opens aborted by protocol or port unreachable (hard errors in SYN-SENT). */
    public final AtomicCounter icmpConnectAborts;
    /** Send MSS lowered by "fragmentation needed" (RFC 1191). */
    public final AtomicCounter pmtuReductions;
    /** "Fragmentation needed" that named no usable, lower MTU, or came in a state without data. */
    public final AtomicCounter pmtuIgnored;
    /** Black holes suspected (RFC 4821 §7.7): repeated timeouts of full-size segments lowered the send MSS. */
    public final AtomicCounter pmtuBlackholes;
    /** RFC 4821 probes sent, acknowledged (the MSS rose) and lost (the search range shrank). */
    public final AtomicCounter pmtuProbes;
    public final AtomicCounter pmtuProbeSuccesses;
    public final AtomicCounter pmtuProbeFailures;
    // Connections.
    public final AtomicCounter activeOpens;
    public final AtomicCounter passiveOpens;
    public final AtomicCounter connectFailures;
    public final AtomicCounter resetsIn;
    public final AtomicCounter timersScheduled;
    /** Gauge: TCB slots out of the pool (any state but CLOSED), set on every allocation and release. */
    public final AtomicCounter tcbsInUse;
    /** Gauge: large buffer chunks borrowed by autotuning, out of the per-core budget. */
    public final AtomicCounter largeBuffersInUse;
    public final AtomicCounter[] connectionsByState = new AtomicCounter[TcpState.COUNT];
    private final long[] stateCounts = new long[TcpState.COUNT];

    public TcpCounters(final CountersManager m, final String p) {
        segmentsIn = m.newCounter(p + "segments_in");
        segmentsOut = m.newCounter(p + "segments_out");
        bytesIn = m.newCounter(p + "bytes_in");
        bytesOut = m.newCounter(p + "bytes_out");
        rstsOut = m.newCounter(p + "rsts_out");
        dropBadChecksum = m.newCounter(p + "drop_bad_checksum");
        dropTooShort = m.newCounter(p + "drop_too_short");
        dropBadOffset = m.newCounter(p + "drop_bad_offset");
        dropBadOption = m.newCounter(p + "drop_bad_option");
        dropNoListener = m.newCounter(p + "drop_no_listener_rst");
        dropNotAcceptable = m.newCounter(p + "drop_not_acceptable_seq");
        dropPaws = m.newCounter(p + "drop_paws");
        dropBacklogFull = m.newCounter(p + "drop_backlog_full");
        dropNoTcb = m.newCounter(p + "drop_no_tcb_slot");
        dropCookieRejected = m.newCounter(p + "drop_cookie_rejected");
        dropOooOverflow = m.newCounter(p + "drop_ooo_overflow");
        dropNoSinkRoom = m.newCounter(p + "drop_no_sink_room");
        dropBadAck = m.newCounter(p + "drop_bad_ack");
        dropInvalidState = m.newCounter(p + "drop_invalid_state");
        dropAfterClose = m.newCounter(p + "drop_data_after_close");
        dropRstQueueFull = m.newCounter(p + "drop_rst_queue_full");
        retransmits = m.newCounter(p + "retransmits");
        fastRetransmits = m.newCounter(p + "fast_retransmits");
        sackRetransmits = m.newCounter(p + "sack_retransmits");
        tlpProbes = m.newCounter(p + "tlp_probes");
        lostRetransmits = m.newCounter(p + "lost_retransmits");
        rtoExpiries = m.newCounter(p + "rto_expiries");
        retransmittedBytes = m.newCounter(p + "retransmitted_bytes");
        rackLost = m.newCounter(p + "rack_lost_bytes");
        dsacksIn = m.newCounter(p + "dsacks_in");
        dsacksOut = m.newCounter(p + "dsacks_out");
        undos = m.newCounter(p + "undos");
        tlpRecoveries = m.newCounter(p + "tlp_recoveries");
        reorderTimeouts = m.newCounter(p + "rack_reorder_timeouts");
        handlerErrors = m.newCounter(p + "handler_errors");
        buffersGrown = m.newCounter(p + "buffers_grown");
        buffersBudgetSpent = m.newCounter(p + "buffers_budget_spent");
        rtoMinUs = m.newCounter(p + "rto_min_us");
        tlpMinUs = m.newCounter(p + "tlp_min_us");
        persistProbes = m.newCounter(p + "persist_probes");
        keepaliveProbes = m.newCounter(p + "keepalive_probes");
        keepaliveTimeouts = m.newCounter(p + "keepalive_timeouts");
        timeouts = m.newCounter(p + "timeouts");
        delayedAcks = m.newCounter(p + "delayed_acks");
        challengeAcks = m.newCounter(p + "challenge_acks");
        challengeAcksRateLimited = m.newCounter(p + "challenge_acks_rate_limited");
        synCookiesSent = m.newCounter(p + "syn_cookies_sent");
        synCookiesAccepted = m.newCounter(p + "syn_cookies_accepted");
        synCookiesRejected = m.newCounter(p + "syn_cookies_rejected");
        timeWaitReused = m.newCounter(p + "time_wait_reused");
        timeWaitRecycled = m.newCounter(p + "time_wait_recycled");
        icmpErrorsIn = m.newCounter(p + "icmp_errors_in");
        icmpDropNoConnection = m.newCounter(p + "icmp_drop_no_connection");
        icmpDropOutOfWindow = m.newCounter(p + "icmp_drop_out_of_window");
        icmpSoftErrors = m.newCounter(p + "icmp_soft_errors");
        icmpConnectAborts = m.newCounter(p + "icmp_connect_aborts");
        pmtuReductions = m.newCounter(p + "pmtu_reductions");
        pmtuIgnored = m.newCounter(p + "pmtu_ignored");
        pmtuBlackholes = m.newCounter(p + "pmtu_blackholes");
        pmtuProbes = m.newCounter(p + "pmtu_probes");
        pmtuProbeSuccesses = m.newCounter(p + "pmtu_probe_successes");
        pmtuProbeFailures = m.newCounter(p + "pmtu_probe_failures");
        activeOpens = m.newCounter(p + "active_opens");
        passiveOpens = m.newCounter(p + "passive_opens");
        connectFailures = m.newCounter(p + "connect_failures");
        resetsIn = m.newCounter(p + "resets_in");
        timersScheduled = m.newCounter(p + "timers_scheduled");
        tcbsInUse = m.newCounter(p + "tcbs_in_use");
        largeBuffersInUse = m.newCounter(p + "large_buffers_in_use");
        for (int s = 0; s < TcpState.COUNT; s++) {
            connectionsByState[s] = m.newCounter(p + "conn_" + TcpState.name(s).toLowerCase());
        }
    }

    void stateChange(final int from, final int to) {
        if (from != TcpState.CLOSED) {
            connectionsByState[from].setRelease(--stateCounts[from]);
        }
        if (to != TcpState.CLOSED) {
            connectionsByState[to].setRelease(++stateCounts[to]);
        }
    }

    public long connections(final int state) {
        return stateCounts[state];
    }
}
