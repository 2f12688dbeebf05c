package io.strait.dataplane;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

/**
 * The dataplane's counters for one core, named {@code core<N>.<name>}. Each is written by its core's thread only
 * ({@code incrementRelease}: a plain add and a release store, read live by {@code strait stat}).
 * Every drop has its own reason.
 */
public final class DataplaneCounters {
    public final AtomicCounter rxPackets;
    public final AtomicCounter rxBytes;
    public final AtomicCounter txPackets;
    public final AtomicCounter txBytes;
    public final AtomicCounter rxBursts;
    public final AtomicCounter txFull;
    public final AtomicCounter txRetries;
    public final AtomicCounter mbufExhausted;
    /** Exceptions contained by the poll loop (thrown by the transport, its engine or a handler); see NetAgent. */
    public final AtomicCounter internalErrors;

    public final AtomicCounter dropRunt;
    public final AtomicCounter dropChained;
    public final AtomicCounter dropNotOurMac;
    public final AtomicCounter dropEtherType;
    public final AtomicCounter dropVlan;
    public final AtomicCounter dropIpv6;

    public final AtomicCounter arpRequestsIn;
    public final AtomicCounter arpRepliesIn;
    public final AtomicCounter arpRepliesOut;
    public final AtomicCounter arpRequestsOut;
    public final AtomicCounter arpMalformed;
    public final AtomicCounter arpNotForUs;
    public final AtomicCounter arpPendingDropped;
    public final AtomicCounter arpTimeouts;
    public final AtomicCounter arpEntries;

    public final AtomicCounter ipPackets;
    public final AtomicCounter dropIpTruncated;
    public final AtomicCounter dropIpVersion;
    public final AtomicCounter dropIpHeaderLength;
    public final AtomicCounter dropIpTotalLength;
    public final AtomicCounter dropIpChecksum;
    public final AtomicCounter dropIpTtl;
    public final AtomicCounter dropIpFragment;
    public final AtomicCounter dropIpNotForUs;
    public final AtomicCounter dropIpSourceInvalid;
    public final AtomicCounter dropIpProtocol;
    public final AtomicCounter dropNoRoute;

    public final AtomicCounter icmpEchoIn;
    public final AtomicCounter icmpEchoOut;
    public final AtomicCounter icmpEchoRepliesIn;
    public final AtomicCounter dropIcmpChecksum;
    public final AtomicCounter dropIcmpTruncated;
    public final AtomicCounter dropIcmpType;
    /** ICMP errors quoting a TCP segment of ours, handed to the transport (which checks them further). */
    public final AtomicCounter icmpErrorsToTransport;
    public final AtomicCounter dropIcmpErrorTruncated;
    public final AtomicCounter dropIcmpErrorMalformed;
    public final AtomicCounter dropIcmpErrorNotTcp;
    public final AtomicCounter dropIcmpErrorNotOurs;

    public final AtomicCounter tcpSegmentsIn;
    /** TCP segments whose checksum the port verified (RX offload): the engine did not sum them again. */
    public final AtomicCounter tcpChecksumByPort;
    public final AtomicCounter tcpSegmentsOut;
    public final AtomicCounter tcpSteered;
    public final AtomicCounter tcpSteerFull;

    /** The hiccup recorder's figures (CycleRecorder), in ns, published once a second. */
    public final AtomicCounter gapP50;
    public final AtomicCounter gapP99;
    public final AtomicCounter gapP999;
    public final AtomicCounter gapMax;
    public final AtomicCounter cycleP50;
    public final AtomicCounter cycleP99;
    public final AtomicCounter cycleP999;
    public final AtomicCounter cycleMax;
    public final AtomicCounter stalls;
    public final AtomicCounter longCycles;
    public final AtomicCounter longTx;

    public DataplaneCounters(CountersManager m, int core) {
        final String p = "core" + core + ".";
        gapP50 = m.newCounter(p + "hiccup.gap_p50_ns");
        gapP99 = m.newCounter(p + "hiccup.gap_p99_ns");
        gapP999 = m.newCounter(p + "hiccup.gap_p999_ns");
        gapMax = m.newCounter(p + "hiccup.gap_max_ns");
        cycleP50 = m.newCounter(p + "hiccup.cycle_p50_ns");
        cycleP99 = m.newCounter(p + "hiccup.cycle_p99_ns");
        cycleP999 = m.newCounter(p + "hiccup.cycle_p999_ns");
        cycleMax = m.newCounter(p + "hiccup.cycle_max_ns");
        stalls = m.newCounter(p + "hiccup.stalls_over_1ms");
        longCycles = m.newCounter(p + "hiccup.long_cycles_over_1ms");
        longTx = m.newCounter(p + "hiccup.long_tx_over_100us");
        rxPackets = m.newCounter(p + "rx_packets");
        rxBytes = m.newCounter(p + "rx_bytes");
        txPackets = m.newCounter(p + "tx_packets");
        txBytes = m.newCounter(p + "tx_bytes");
        rxBursts = m.newCounter(p + "rx_bursts");
        txFull = m.newCounter(p + "drop.tx_queue_full");
        txRetries = m.newCounter(p + "tx_partial_bursts");
        mbufExhausted = m.newCounter(p + "drop.mbuf_exhausted");
        internalErrors = m.newCounter(p + "internal_errors");

        dropRunt = m.newCounter(p + "drop.eth_runt");
        dropChained = m.newCounter(p + "drop.eth_chained_mbuf");
        dropNotOurMac = m.newCounter(p + "drop.eth_not_our_mac");
        dropEtherType = m.newCounter(p + "drop.eth_unknown_type");
        dropVlan = m.newCounter(p + "drop.eth_vlan");
        dropIpv6 = m.newCounter(p + "drop.eth_ipv6");

        arpRequestsIn = m.newCounter(p + "arp.requests_in");
        arpRepliesIn = m.newCounter(p + "arp.replies_in");
        arpRepliesOut = m.newCounter(p + "arp.replies_out");
        arpRequestsOut = m.newCounter(p + "arp.requests_out");
        arpMalformed = m.newCounter(p + "drop.arp_malformed");
        arpNotForUs = m.newCounter(p + "arp.not_for_us");
        arpPendingDropped = m.newCounter(p + "drop.arp_pending_overflow");
        arpTimeouts = m.newCounter(p + "drop.arp_unresolved");
        arpEntries = m.newCounter(p + "arp.entries");

        ipPackets = m.newCounter(p + "ip.packets_in");
        dropIpTruncated = m.newCounter(p + "drop.ip_truncated");
        dropIpVersion = m.newCounter(p + "drop.ip_version");
        dropIpHeaderLength = m.newCounter(p + "drop.ip_header_length");
        dropIpTotalLength = m.newCounter(p + "drop.ip_total_length");
        dropIpChecksum = m.newCounter(p + "drop.ip_checksum");
        dropIpTtl = m.newCounter(p + "drop.ip_ttl_zero");
        dropIpFragment = m.newCounter(p + "drop.ip_fragment");
        dropIpNotForUs = m.newCounter(p + "drop.ip_not_for_us");
        dropIpSourceInvalid = m.newCounter(p + "drop.ip_source_invalid");
        dropIpProtocol = m.newCounter(p + "drop.ip_protocol_unsupported");
        dropNoRoute = m.newCounter(p + "drop.ip_no_route");

        icmpEchoIn = m.newCounter(p + "icmp.echo_requests_in");
        icmpEchoOut = m.newCounter(p + "icmp.echo_replies_out");
        icmpEchoRepliesIn = m.newCounter(p + "icmp.echo_replies_in");
        dropIcmpChecksum = m.newCounter(p + "drop.icmp_checksum");
        dropIcmpTruncated = m.newCounter(p + "drop.icmp_truncated");
        dropIcmpType = m.newCounter(p + "drop.icmp_type_unhandled");
        icmpErrorsToTransport = m.newCounter(p + "icmp.errors_to_transport");
        dropIcmpErrorTruncated = m.newCounter(p + "drop.icmp_error_truncated");
        dropIcmpErrorMalformed = m.newCounter(p + "drop.icmp_error_malformed");
        dropIcmpErrorNotTcp = m.newCounter(p + "drop.icmp_error_not_tcp");
        dropIcmpErrorNotOurs = m.newCounter(p + "drop.icmp_error_not_ours");

        tcpSegmentsIn = m.newCounter(p + "tcp.segments_to_engine");
        tcpChecksumByPort = m.newCounter(p + "tcp.checksum_verified_by_port");
        tcpSegmentsOut = m.newCounter(p + "tcp.segments_from_engine");
        tcpSteered = m.newCounter(p + "tcp.steered_to_other_core");
        tcpSteerFull = m.newCounter(p + "drop.tcp_steer_ring_full");
    }
}
