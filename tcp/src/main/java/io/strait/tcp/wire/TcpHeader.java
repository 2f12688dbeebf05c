package io.strait.tcp.wire;

/**
 * TCP header layout (RFC 9293 §3.1, Figure 1) and option kinds; offsets relative to the start of the header.
 *
 * <pre>
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  0 |          Source Port          |       Destination Port        |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  4 |                        Sequence Number                        |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  8 |                    Acknowledgment Number                      |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * 12 |  Data |       |C|E|U|A|P|R|S|F|                               |
 *    | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 *    |       |       |R|E|G|K|H|T|N|N|                               |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * 16 |           Checksum            |         Urgent Pointer        |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * 20 |                    Options (0..40 bytes)      |    Padding    |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                             Data                              |
 * </pre>
 * All multi-byte fields are big-endian (network order).
 */
public final class TcpHeader {
    private TcpHeader() {
    }

    public static final int SRC_PORT_OFFSET = 0;
    public static final int DST_PORT_OFFSET = 2;
    public static final int SEQ_OFFSET = 4;
    public static final int ACK_OFFSET = 8;
    /** High nibble: data offset in 32-bit words (RFC 9293 §3.1 "Data Offset"). */
    public static final int DATA_OFFSET_OFFSET = 12;
    public static final int FLAGS_OFFSET = 13;
    public static final int WINDOW_OFFSET = 14;
    public static final int CHECKSUM_OFFSET = 16;
    public static final int URGENT_OFFSET = 18;
    /** RFC 9293 §3.1: the header without options is 5 words. */
    public static final int MIN_LENGTH = 20;
    /** RFC 9293 §3.1: data offset is 4 bits, so at most 15 words. */
    public static final int MAX_LENGTH = 60;

    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;
    public static final int URG = 0x20;
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;

    /** RFC 9293 §3.2: End of Option List. */
    public static final int OPT_EOL = 0;
    /** RFC 9293 §3.2: No-Operation. */
    public static final int OPT_NOP = 1;
    /** RFC 9293 §3.2 / §3.7.1: Maximum Segment Size, length 4, SYN only. */
    public static final int OPT_MSS = 2;
    public static final int OPT_MSS_LENGTH = 4;
    /** RFC 7323 §2.2: Window Scale, length 3, SYN only. */
    public static final int OPT_WSCALE = 3;
    public static final int OPT_WSCALE_LENGTH = 3;
    /** RFC 2018 §2: SACK-Permitted, length 2, SYN only. */
    public static final int OPT_SACK_PERMITTED = 4;
    public static final int OPT_SACK_PERMITTED_LENGTH = 2;
    /** RFC 2018 §3: SACK, length 2 + 8n. */
    public static final int OPT_SACK = 5;
    /** RFC 7323 §3.2: Timestamps, length 10. */
    public static final int OPT_TIMESTAMPS = 8;
    public static final int OPT_TIMESTAMPS_LENGTH = 10;
    /** RFC 7323 §2.3: the shift is at most 14. */
    public static final int MAX_WSCALE = 14;
    /** RFC 2018 §3: at most 4 blocks fit; 3 when timestamps are also present. */
    public static final int MAX_SACK_BLOCKS = 4;
    /** RFC 9293 §3.7.1: the default send MSS when the peer sends no MSS option. */
    public static final int DEFAULT_MSS = 536;

    public static String flagsToString(final int flags) {
        final StringBuilder sb = new StringBuilder();
        if ((flags & SYN) != 0) sb.append('S');
        if ((flags & FIN) != 0) sb.append('F');
        if ((flags & RST) != 0) sb.append('R');
        if ((flags & PSH) != 0) sb.append('P');
        if ((flags & ACK) != 0) sb.append('.');
        if ((flags & URG) != 0) sb.append('U');
        return sb.toString();
    }
}
