package io.strait.dataplane;

import io.strait.tcp.FlowFilter;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * Which core owns a TCP flow, known to every core without shared mutable state, and the rings that carry
 * misdirected frames to their owner (software steering).
 *
 * <p>The ownership rule is a pure function of the four-tuple, immutable after construction:
 * <ul>
 *   <li><b>RSS</b> (the port hashes TCP/IPv4 over several queues and Strait knows its key and redirection table):
 *       the owner is the queue the NIC delivers the flow's inbound segments to, {@code reta[toeplitz(remote ->
 *       local) % retaSize]}. Passive flows stay where RSS puts them; {@link #flowFilter(int)} makes
 *       {@code connect()} pick only local ports whose reply lands on the calling core (as Seastar). No software
 *       steering is needed.</li>
 *   <li><b>Software</b> (af_packet fanout, no RSS, or a table Strait cannot read): a flow whose local port is
 *       ephemeral belongs to core {@code localPort % cores} (the flow filter makes {@code connect()} keep to it);
 *       any other flow (passive: the local port is a listening port) to {@code mix(four-tuple) % cores}. The port
 *       delivers a flow to whichever queue it likes; the receiving {@link NetAgent} hands a segment whose owner is
 *       another core to that core's inbound ring.</li>
 * </ul>
 *
 * <p>Every core keeps its own ARP table; a mapping one core learns is sent to the others through the same rings.
 *
 * <p>One Agrona {@link ManyToOneRingBuffer} per core (lock-free; every other core may write, the owner reads),
 * allocated off-heap once. A message carries one received frame: {@code (mbuf, data address, frame length, rx
 * flags)}; the owner processes it as if received and frees the mbuf (DPDK mempools accept frees from any
 * registered thread).
 */
public final class Steering {
    /** Ring message type of a steered frame. */
    static final int MSG_FRAME = 1;
    /** Message layout: mbuf (8), data address (8), frame length (4), rx flags (4). */
    static final int MSG_BUF = 0;
    static final int MSG_ADDR = 8;
    static final int MSG_LENGTH = 16;
    static final int MSG_FLAGS = 20;
    static final int MSG_BYTES = 24;
    /**
     * Ring message type of an ARP mapping one core learnt (ARP reaches one queue only: af_packet's fanout hashes
     * it to one socket, RSS NICs put non-IP traffic on queue 0): IPv4 address (4, padded to 8), MAC (8).
     */
    static final int MSG_ARP = 2;
    static final int MSG_ARP_IP = 0;
    static final int MSG_ARP_MAC = 8;
    static final int MSG_ARP_BYTES = 16;
    /** Ring capacity in bytes (a power of two): 2048 messages of 24 bytes plus the 8-byte record header. */
    static final int RING_BYTES = 64 * 1024;

    private final int cores;
    private final boolean rss;
    private final Toeplitz toeplitz;
    private final int[] reta;
    private final int ephemeralMin;
    private final int ephemeralMax;
    private final ManyToOneRingBuffer[] inbound;

    private Steering(int cores, Toeplitz toeplitz, int[] reta, int ephemeralMin, int ephemeralMax) {
        if (cores < 1) {
            throw new IllegalArgumentException("cores " + cores);
        }
        this.cores = cores;
        this.rss = toeplitz != null;
        this.toeplitz = toeplitz;
        this.reta = reta;
        this.ephemeralMin = ephemeralMin;
        this.ephemeralMax = ephemeralMax;
        this.inbound = new ManyToOneRingBuffer[cores];
        if (cores > 1) {
            for (int i = 0; i < cores; i++) {
                inbound[i] = new ManyToOneRingBuffer(new UnsafeBuffer(BufferUtil.allocateDirectAligned(
                    RING_BYTES + RingBufferDescriptor.TRAILER_LENGTH, 64)));
            }
        }
    }

    /**
     * Ownership by the port's RSS: {@code key} and {@code reta} as the port reports them (queue q is core q).
     */
    public static Steering rss(int cores, byte[] key, int[] reta) {
        if (reta.length == 0) {
            throw new IllegalArgumentException("empty RSS redirection table");
        }
        return new Steering(cores, new Toeplitz(key), reta.clone(), 0, -1);
    }

    /**
     * Ownership by rule, with software steering between cores; {@code ephemeralMin..ephemeralMax} is the engines'
     * ephemeral port range (RFC 6056; a mismatch only changes which rule applies, never consistency).
     */
    public static Steering software(int cores, int ephemeralMin, int ephemeralMax) {
        return new Steering(cores, null, null, ephemeralMin, ephemeralMax);
    }

    public int cores() {
        return cores;
    }

    /** True when segments may arrive on a core that does not own them and must be handed over. */
    public boolean softwareSteering() {
        return !rss && cores > 1;
    }

    public boolean rssMode() {
        return rss;
    }

    /** Core {@code core}'s inbound ring (null with one core). */
    RingBuffer inbound(int core) {
        return inbound[core];
    }

    /**
     * The core owning the flow {@code local <-> remote} (addresses big-endian ints, ports 0..65535). Any thread;
     * allocation-free.
     */
    public int owner(int localIp, int localPort, int remoteIp, int remotePort) {
        if (cores == 1) {
            return 0;
        }
        if (rss) {
            // The NIC hashes what it receives: source = remote, destination = local.
            final int h = toeplitz.hashTcp4(remoteIp, localIp, remotePort, localPort);
            return reta[Integer.remainderUnsigned(h, reta.length)] % cores;
        }
        if (localPort >= ephemeralMin && localPort <= ephemeralMax) {
            return localPort % cores;
        }
        return Integer.remainderUnsigned(mix(localIp, localPort, remoteIp, remotePort), cores);
    }

    /** A cheap, well-spread mix of the four-tuple (murmur3's finaliser over the folded fields). */
    static int mix(int localIp, int localPort, int remoteIp, int remotePort) {
        int h = remoteIp * 0x9E3779B1 ^ localIp;
        h ^= (remotePort << 16 | localPort) * 0x85EBCA6B;
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        h ^= h >>> 16;
        return h;
    }

    /** For core {@code core}'s engine: {@code connect()} takes only local ports this core owns. */
    public FlowFilter flowFilter(int core) {
        return (localIp, localPort, remoteIp, remotePort) -> owner(localIp, localPort, remoteIp, remotePort) == core;
    }
}
