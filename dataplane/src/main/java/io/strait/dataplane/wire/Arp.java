package io.strait.dataplane.wire;

/**
 * ARP for IPv4 over Ethernet (RFC 826), offsets from the start of the ARP packet (after the Ethernet header).
 * <pre>
 * +-------------------------------+-------------------------------+
 * |  hardware type (1)            |  protocol type (0x0800)       |  0
 * +---------------+---------------+-------------------------------+
 * | hw len (6)    | proto len (4) |  operation (1 req, 2 reply)   |  4
 * +---------------+---------------+-------------------------------+
 * |  sender hardware address (6)                                  |  8
 * +                               +-------------------------------+
 * |                               |  sender protocol address (4)  | 14
 * +-------------------------------+-------------------------------+
 * |                               |  target hardware address (6)  | 18
 * +-------------------------------+                               +
 * |                                                               |
 * +---------------------------------------------------------------+
 * |  target protocol address (4)                                  | 24
 * +---------------------------------------------------------------+
 * </pre>
 */
public final class Arp {
    public static final int HTYPE = 0;
    public static final int PTYPE = 2;
    public static final int HLEN = 4;
    public static final int PLEN = 5;
    public static final int OPER = 6;
    public static final int SHA = 8;
    public static final int SPA = 14;
    public static final int THA = 18;
    public static final int TPA = 24;
    public static final int LENGTH = 28;

    public static final int HTYPE_ETHERNET = 1;
    public static final int OP_REQUEST = 1;
    public static final int OP_REPLY = 2;

    private Arp() {
    }
}
