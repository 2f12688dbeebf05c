package io.strait.tcp;

/** The eleven connection states of RFC 9293 §3.3.2, as small ints (index of the per-state gauges). */
public final class TcpState {
    private TcpState() {
    }

    public static final int CLOSED = 0;
    public static final int LISTEN = 1;
    public static final int SYN_SENT = 2;
    public static final int SYN_RECEIVED = 3;
    public static final int ESTABLISHED = 4;
    public static final int FIN_WAIT_1 = 5;
    public static final int FIN_WAIT_2 = 6;
    public static final int CLOSE_WAIT = 7;
    public static final int CLOSING = 8;
    public static final int LAST_ACK = 9;
    public static final int TIME_WAIT = 10;
    public static final int COUNT = 11;

    private static final String[] NAMES = {
        "CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT",
        "CLOSING", "LAST_ACK", "TIME_WAIT"};

    public static String name(final int state) {
        return state >= 0 && state < COUNT ? NAMES[state] : "UNKNOWN(" + state + ")";
    }

    /** RFC 9293 §3.3.2: the synchronized states are ESTABLISHED and every state after it. */
    public static boolean isSynchronized(final int state) {
        return state >= ESTABLISHED;
    }
}
