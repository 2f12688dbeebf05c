package io.strait.dataplane;

/** Told of ICMP echo replies addressed to this stack (for {@code strait ping}); called on the core's thread. */
public interface IcmpListener {
    void onEchoReply(int srcIp, int id, int sequence, int payloadLength, long nowNs);
}
