package io.strait.tcp;

/** Why a connection closed, as passed to {@link TcpHandler#onClose(long, int)}. */
public final class CloseReason {
    private CloseReason() {
    }

    /** Both sides closed normally (FIN exchanged). */
    public static final int NORMAL = 0;
    /** The peer sent FIN and the app closed (passive close completed). */
    public static final int PEER_FIN = 1;
    /** The peer reset the connection (RST accepted per RFC 5961 §3). */
    public static final int RESET = 2;
    /** Retransmissions, keepalive or FIN_WAIT_2 timed out (RFC 9293 §3.8.3 R2, RFC 1122 §4.2.3.6). */
    public static final int TIMEOUT = 3;
    /** The local app aborted (RST sent). */
    public static final int LOCAL_ABORT = 4;
    /** The active open was refused (RST in SYN_SENT). */
    public static final int REFUSED = 5;

    public static String name(int reason) {
        return switch (reason) {
            case NORMAL -> "normal";
            case PEER_FIN -> "peer-fin";
            case RESET -> "reset";
            case TIMEOUT -> "timeout";
            case LOCAL_ABORT -> "local-abort";
            case REFUSED -> "refused";
            default -> "unknown(" + reason + ")";
        };
    }
}
