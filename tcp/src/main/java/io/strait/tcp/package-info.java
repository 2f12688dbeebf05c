/**
 * Strait's per-core TCP engine (RFC 9293 and friends; the reading list opens {@link io.strait.tcp.TcpEngine}).
 *
 * <h2>Use</h2>
 * <pre>{@code
 * TcpConfig config = TcpConfig.builder().maxConnections(4096).sendBufferBytes(256 << 10)
 *     .receiveBufferBytes(256 << 10).congestionControl(TcpConfig.CC_CUBIC).build();
 * TcpEngine engine = new TcpEngine(config, entropy, countersManager, "core0.tcp.");
 * engine.listen(7, handler);                                // passive opens on any local address
 * // per poll-loop cycle, on the engine's own thread:
 * engine.onSegment(buf, off, len, srcIp, dstIp, nicVerifiedChecksum, nowNs, sink);   // for each TCP segment
 * engine.poll(nowNs, sink);                                  // timers, onReadComplete, pending output
 * long wake = engine.nextDeadlineNs();                       // for an idle strategy
 * }</pre>
 * Handles are {@code long}s: slot in the low 32 bits ({@link io.strait.tcp.TcpEngine#slot(long)}), generation in
 * the high 32. Counters are Agrona counters labelled {@code prefix + name}, see {@link io.strait.tcp.TcpCounters}.
 * Test support (virtual clock, simulated wire, pcap, segment builder) lives in {@code io.strait.tcp.sim}.
 */
package io.strait.tcp;
