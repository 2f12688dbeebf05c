package io.strait.dataplane;

/**
 * The Toeplitz hash NICs use for RSS (Microsoft, "Verifying the RSS Hash Calculation"), over the IPv4/TCP input
 * a NIC hashes for a received segment: source address, destination address, source port, destination port
 * (12 bytes, network order). Computed from a per-byte table built once from the port's key: 12 lookups per hash,
 * no allocation. Immutable after construction, so every core may read it.
 *
 * <pre>
 *   hash = XOR over every set input bit b (MSB first) of key[b .. b+31]   (the 32-bit window starting at bit b)
 * </pre>
 */
public final class Toeplitz {
    /** Bytes of the IPv4/TCP input: 4 + 4 + 2 + 2. */
    static final int INPUT_BYTES = 12;

    /** The key of Microsoft's RSS verification suite, also many NICs' default. */
    public static final byte[] MICROSOFT_KEY = {
        0x6d, 0x5a, 0x56, (byte) 0xda, 0x25, 0x5b, 0x0e, (byte) 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, (byte) 0xa3,
        (byte) 0x8f, (byte) 0xb0, (byte) 0xd0, (byte) 0xca, 0x2b, (byte) 0xcb, (byte) 0xae, 0x7b, 0x30, (byte) 0xb4,
        0x77, (byte) 0xcb, 0x2d, (byte) 0xa3, (byte) 0x80, 0x30, (byte) 0xf2, 0x0c, 0x6a, 0x42, (byte) 0xb7, 0x3b,
        (byte) 0xbe, (byte) 0xac, 0x01, (byte) 0xfa,
    };

    /** table[i * 256 + v]: the hash contribution of input byte i having value v. */
    private final int[] table = new int[INPUT_BYTES * 256];

    /** @param key the port's RSS key; at least 16 bytes (12 input bytes + the 32-bit window) */
    public Toeplitz(byte[] key) {
        if (key.length < INPUT_BYTES + 4) {
            throw new IllegalArgumentException("RSS key of " + key.length + " bytes; IPv4/TCP needs at least 16");
        }
        for (int i = 0; i < INPUT_BYTES; i++) {
            for (int bit = 0; bit < 8; bit++) {
                final int window = window(key, i * 8 + bit);
                final int mask = 0x80 >>> bit;
                for (int v = 0; v < 256; v++) {
                    if ((v & mask) != 0) {
                        table[i * 256 + v] ^= window;
                    }
                }
            }
        }
    }

    /** The 32 key bits starting at bit {@code b} (MSB of byte 0 is bit 0). */
    private static int window(byte[] key, int b) {
        final int byteIndex = b >>> 3;
        final int shift = b & 7;
        long bits = 0;
        for (int i = 0; i < 5; i++) {
            bits = (bits << 8) | (byteIndex + i < key.length ? key[byteIndex + i] & 0xFF : 0);
        }
        return (int) (bits >>> (8 - shift));
    }

    /** The hash of a segment from {@code srcIp:srcPort} to {@code dstIp:dstPort} (addresses big-endian ints). */
    public int hashTcp4(int srcIp, int dstIp, int srcPort, int dstPort) {
        int h = 0;
        h ^= table[(srcIp >>> 24) & 0xFF];
        h ^= table[256 + ((srcIp >>> 16) & 0xFF)];
        h ^= table[2 * 256 + ((srcIp >>> 8) & 0xFF)];
        h ^= table[3 * 256 + (srcIp & 0xFF)];
        h ^= table[4 * 256 + ((dstIp >>> 24) & 0xFF)];
        h ^= table[5 * 256 + ((dstIp >>> 16) & 0xFF)];
        h ^= table[6 * 256 + ((dstIp >>> 8) & 0xFF)];
        h ^= table[7 * 256 + (dstIp & 0xFF)];
        h ^= table[8 * 256 + ((srcPort >>> 8) & 0xFF)];
        h ^= table[9 * 256 + (srcPort & 0xFF)];
        h ^= table[10 * 256 + ((dstPort >>> 8) & 0xFF)];
        h ^= table[11 * 256 + (dstPort & 0xFF)];
        return h;
    }

    /** The hash over the addresses only (the IPv4 input type, for non-TCP traffic). */
    public int hashIp4(int srcIp, int dstIp) {
        int h = 0;
        for (int i = 0; i < 4; i++) {
            h ^= table[i * 256 + ((srcIp >>> (24 - 8 * i)) & 0xFF)];
            h ^= table[(4 + i) * 256 + ((dstIp >>> (24 - 8 * i)) & 0xFF)];
        }
        return h;
    }
}
