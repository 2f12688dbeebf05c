package io.strait.tcp;

/**
 * Tells {@link TcpEngine#connect} which four-tuples belong to this engine, for instance those whose RSS hash the
 * NIC steers to this core (as Seastar picks source ports). Called on the engine's thread; must not allocate.
 */
@FunctionalInterface
public interface FlowFilter {
    boolean ownsLocalPort(int localIp, int localPort, int remoteIp, int remotePort);
}
