package io.strait.dataplane;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

import java.io.PrintStream;

/**
 * The port's link state as {@code strait stat} shows it ({@code port.link_up}, 1 or 0, and
 * {@code port.link_down_events}), with one line on the log when the link goes down and one when it comes back.
 * While the link is down the driver cannot send: frames wait in the TX queue ({@code tx_partial_bursts}) and past
 * its size are dropped ({@code drop.tx_queue_full}); TCP's retransmission timers carry the connections over the
 * outage. Without this a down link looks like a silent spin on a full TX queue.
 *
 * <p>Sampled by {@link ResourceGauges}' thread (about once a second), never by a poll thread: a shorter outage may
 * go unseen. A port whose link starts down (a memif whose peer has not connected yet) is not reported until its
 * link has been up once.
 */
final class LinkWatch {
    private final AtomicCounter linkUp;
    private final AtomicCounter downEvents;
    private final String portName;
    private final PrintStream log;
    private boolean wasUp;
    private long downSinceMs;

    LinkWatch(CountersManager m, String portName, PrintStream log) {
        this.linkUp = m.newCounter("port.link_up");
        this.downEvents = m.newCounter("port.link_down_events");
        this.portName = portName;
        this.log = log;
    }

    /**
     * Where the link state comes from: the driver ({@code rte_eth_link_get_nowait}), except for the drivers over a
     * kernel interface, af_packet and af_xdp, whose interface's {@code operstate} in sysfs is read instead. DPDK
     * 22.11's af_packet reports its link up whatever the interface does (its {@code link_update} does nothing), so
     * an interface taken down, or a veth whose peer is down ({@code lowerlayerdown}), would go unseen.
     */
    static java.util.function.BooleanSupplier source(DataplaneConfig config, int port) {
        final String name = config.deviceName();
        final String iface = config.devArg("iface");
        if (iface != null && (name.startsWith("net_af_packet") || name.startsWith("net_af_xdp"))) {
            final java.nio.file.Path operstate = java.nio.file.Path.of("/sys/class/net", iface, "operstate");
            return () -> {
                try {
                    return operstateUp(java.nio.file.Files.readString(operstate));
                } catch (java.io.IOException | RuntimeException e) {
                    return io.strait.bindings.Dpdk.linkUp(port);
                }
            };
        }
        return () -> io.strait.bindings.Dpdk.linkUp(port);
    }

    /** RFC 2863's ifOperStatus as sysfs spells it: up, or unknown (drivers that do not track it), is up. */
    static boolean operstateUp(String operstate) {
        final String s = operstate.strip();
        return s.equals("up") || s.equals("unknown");
    }

    /** One sample of the link state at {@code nowMs} (a monotonic clock in ms). */
    void sample(boolean up, long nowMs) {
        linkUp.setRelease(up ? 1 : 0);
        if (wasUp && !up) {
            downEvents.incrementRelease();
            downSinceMs = nowMs;
            log.println("strait: port " + portName + ": link down; frames wait in the TX queue and TCP retransmits"
                + " until it returns (port.link_down_events " + downEvents.get() + ")");
        } else if (!wasUp && up && downEvents.get() > 0) {
            log.println("strait: port " + portName + ": link up again after about " + (nowMs - downSinceMs)
                + " ms");
        }
        wasUp = up;
    }
}
