package io.strait.dataplane;

import io.strait.dataplane.wire.Ipv4;

/**
 * What the dataplane is built from: the port, the address, the cores, memory and queue sizes. A mutable builder,
 * read once at start; every setter returns {@code this}.
 */
public final class DataplaneConfig {
    /** The embedded default of ../shared/CONTRACT.md: af_packet on the veth end strait0. */
    public static final String DEFAULT_DEV = "net_af_packet0,iface=strait0";

    String dev = DEFAULT_DEV;
    int ip = Ipv4.parse("198.18.0.2");
    int prefixLength = 24;
    int gateway;
    int cores = 1;
    int[] cpus;
    int memoryMb = 512;
    boolean hugepages;
    boolean preferFirstCpus;
    int mbufsPerQueue = 16383;
    int mbufCache = 256;
    int rxDescriptors = 1024;
    int txDescriptors = 1024;
    int arpCapacity = 1024;
    boolean offloads = true;
    String idle = "spin";
    String ealExtra = "";
    String logLevel = "error";
    String pcap;
    ImpairSpec impair;

    public DataplaneConfig dev(String dev) {
        this.dev = dev;
        return this;
    }

    /** Address and prefix, "A.B.C.D/LEN". */
    public DataplaneConfig ip(String cidr) {
        final int slash = cidr.indexOf('/');
        if (slash < 0) {
            this.ip = Ipv4.parse(cidr);
            this.prefixLength = 24;
        } else {
            this.ip = Ipv4.parse(cidr.substring(0, slash));
            final int len;
            try {
                len = Integer.parseInt(cidr.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + cidr + "' has no valid prefix length (want A.B.C.D/LEN)");
            }
            if (len < 1 || len > 32) {
                throw new IllegalArgumentException("prefix length of '" + cidr + "' must be 1..32");
            }
            this.prefixLength = len;
        }
        return this;
    }

    public DataplaneConfig gateway(String gw) {
        this.gateway = gw == null || gw.isEmpty() ? 0 : Ipv4.parse(gw);
        return this;
    }

    public DataplaneConfig cores(int cores) {
        if (cores < 1 || cores > 64) {
            throw new IllegalArgumentException("--cores must be 1..64, not " + cores);
        }
        this.cores = cores;
        return this;
    }

    /** CPUs to pin the poll threads to, one per core; default: the last {@code cores} CPUs. */
    public DataplaneConfig cpus(int... cpus) {
        this.cpus = cpus;
        return this;
    }

    public DataplaneConfig memoryMb(int mb) {
        this.memoryMb = mb;
        return this;
    }

    /**
     * Without explicit {@link #cpus}, take the first free CPUs of the process's mask instead of the last (a load
     * generator beside a server that takes the last ones).
     */
    public DataplaneConfig preferFirstCpus(boolean on) {
        this.preferFirstCpus = on;
        return this;
    }

    public DataplaneConfig hugepages(boolean on) {
        this.hugepages = on;
        return this;
    }

    public DataplaneConfig mbufsPerQueue(int n) {
        this.mbufsPerQueue = n;
        return this;
    }

    public DataplaneConfig descriptors(int rx, int tx) {
        this.rxDescriptors = rx;
        this.txDescriptors = tx;
        return this;
    }

    public DataplaneConfig offloads(boolean on) {
        this.offloads = on;
        return this;
    }

    /** Idle strategy of the poll threads: spin (default), yield, backoff, sleep. */
    public DataplaneConfig idle(String idle) {
        this.idle = idle;
        return this;
    }

    public DataplaneConfig ealExtra(String extra) {
        this.ealExtra = extra == null ? "" : extra;
        return this;
    }

    /** Capture every frame in and out to this pcap file (core N > 0 writes FILE.N). */
    public DataplaneConfig pcap(String file) {
        this.pcap = file;
        return this;
    }

    /** Fault injection on the port, both directions ({@code --impair SPEC}); null for none. */
    public DataplaneConfig impair(String spec) {
        this.impair = spec == null || spec.isBlank() ? null : ImpairSpec.parse(spec);
        return this;
    }

    public DataplaneConfig logLevel(String level) {
        this.logLevel = level;
        return this;
    }

    public int ip() {
        return ip;
    }

    public int prefixLength() {
        return prefixLength;
    }

    public int gateway() {
        return gateway;
    }

    public int cores() {
        return cores;
    }

    public String dev() {
        return dev;
    }

    /**
     * The device arguments given to DPDK: {@link #dev()}, with an af_packet ring of {@value #AF_PACKET_FRAMES}
     * frames unless it names {@code framecnt}. The PMD's default of 512 holds about 2.5 ms at the rate a flood
     * arrives over the test veth, so any pause of the poll thread (a GC, a page fault, the scheduler) overflows it
     * and the kernel drops legitimate segments with the flood; 4096 frames (8 MB of kernel ring per direction and
     * queue) absorbed every pause FloodIT met.
     */
    public String devArgs() {
        if (deviceName().startsWith("net_af_packet") && devArg("framecnt") == null) {
            return dev + ",framecnt=" + AF_PACKET_FRAMES;
        }
        return dev;
    }

    /** Frames in an af_packet ring (each direction, each queue) unless {@code --dev} says otherwise. */
    public static final int AF_PACKET_FRAMES = 4096;

    /** The ethdev name DPDK gives the device: the vdev name, or the PCI address. */
    public String deviceName() {
        final int comma = dev.indexOf(',');
        return comma < 0 ? dev : dev.substring(0, comma);
    }

    /** True for a virtual device (net_af_packet0, net_memif0, net_ring0, net_tap0, net_af_xdp0 ...). */
    public boolean isVirtual() {
        return deviceName().startsWith("net_") || deviceName().startsWith("eth_");
    }

    /** Value of a device argument such as {@code iface}, or null. */
    public String devArg(String key) {
        for (String part : dev.split(",")) {
            if (part.startsWith(key + "=")) {
                return part.substring(key.length() + 1);
            }
        }
        return null;
    }
}
