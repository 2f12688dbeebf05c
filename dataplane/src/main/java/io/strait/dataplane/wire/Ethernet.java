package io.strait.dataplane.wire;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Ethernet II header (IEEE 802.3 clause 3.2.6), fields at named offsets from the frame's first byte.
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    destination MAC (6 bytes)                  |
 * +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                               |                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 * |                      source MAC (6 bytes)                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           EtherType           |  payload ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * MAC addresses travel in a {@code long}'s low 48 bits, most significant byte first on the wire.
 */
public final class Ethernet {
    public static final int DST = 0;
    public static final int SRC = 6;
    public static final int TYPE = 12;
    public static final int HEADER_LENGTH = 14;

    public static final int TYPE_IPV4 = 0x0800;
    public static final int TYPE_ARP = 0x0806;
    public static final int TYPE_VLAN = 0x8100;
    public static final int TYPE_IPV6 = 0x86DD;

    public static final long BROADCAST = 0xFFFF_FFFF_FFFFL;

    private Ethernet() {
    }

    /** Reads a 48-bit MAC at {@code offset}. */
    public static long mac(DirectBuffer b, int offset) {
        return ((long) (b.getShort(offset, java.nio.ByteOrder.BIG_ENDIAN) & 0xFFFF) << 32)
            | (b.getInt(offset + 2, java.nio.ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL);
    }

    /** Writes a 48-bit MAC at {@code offset}. */
    public static void putMac(MutableDirectBuffer b, int offset, long mac) {
        b.putShort(offset, (short) (mac >>> 32), java.nio.ByteOrder.BIG_ENDIAN);
        b.putInt(offset + 2, (int) mac, java.nio.ByteOrder.BIG_ENDIAN);
    }

    public static int type(DirectBuffer b, int frame) {
        return b.getShort(frame + TYPE, java.nio.ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    /** Writes a whole header. */
    public static void put(MutableDirectBuffer b, int frame, long dst, long src, int type) {
        putMac(b, frame + DST, dst);
        putMac(b, frame + SRC, src);
        b.putShort(frame + TYPE, (short) type, java.nio.ByteOrder.BIG_ENDIAN);
    }

    /** "aa:bb:cc:dd:ee:ff" (off the hot path). */
    public static String macToString(long mac) {
        final StringBuilder sb = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8) {
            final int v = (int) (mac >>> shift) & 0xFF;
            sb.append(Character.forDigit(v >>> 4, 16)).append(Character.forDigit(v & 0xF, 16));
            if (shift > 0) {
                sb.append(':');
            }
        }
        return sb.toString();
    }
}
