/**
 * Deterministic simulation support, usable by any module's tests: {@link io.strait.tcp.sim.VirtualClock},
 * {@link io.strait.tcp.sim.SimWire} (two engines over a seeded {@link io.strait.tcp.sim.FaultPlan}: delay, jitter
 * and reordering, loss, duplication, corruption, partitions), {@link io.strait.tcp.sim.PcapWriter} (classic pcap,
 * any link type; raw IPv4 for the sim, Ethernet for the dataplane), {@link io.strait.tcp.sim.SegmentBuilder} and
 * {@link io.strait.tcp.sim.CaptureSink} / {@link io.strait.tcp.sim.CapturedSegment} for scripted tests.
 */
package io.strait.tcp.sim;
