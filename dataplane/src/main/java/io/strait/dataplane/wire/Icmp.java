package io.strait.dataplane.wire;

/**
 * ICMP header (RFC 792), offsets from its first byte; echo messages carry identifier and sequence number.
 * <pre>
 * +---------------+---------------+-------------------------------+
 * |     Type      |     Code      |          Checksum             |  0
 * +---------------+---------------+-------------------------------+
 * |           Identifier          |        Sequence Number        |  4
 * +-------------------------------+-------------------------------+
 * </pre>
 */
public final class Icmp {
    public static final int TYPE = 0;
    public static final int CODE = 1;
    public static final int CHECKSUM = 2;
    public static final int ID = 4;
    public static final int SEQUENCE = 6;
    public static final int HEADER_LENGTH = 8;

    public static final int TYPE_ECHO_REPLY = 0;
    public static final int TYPE_DEST_UNREACHABLE = 3;
    public static final int TYPE_ECHO_REQUEST = 8;
    public static final int TYPE_TIME_EXCEEDED = 11;

    private Icmp() {
    }
}
