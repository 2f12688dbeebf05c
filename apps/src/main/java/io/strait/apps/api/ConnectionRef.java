package io.strait.apps.api;

/**
 * A connection named from any thread: its core and handle (the handle's generation catches a connection that has
 * since closed and whose slot was reused). Writes and closes are copied and carried to the core through its
 * command queue ({@link StraitCore#execute}), where they go through {@link Connection#send} and its outbound queue.
 * Immutable and thread-safe; allocates per call (a copy of the bytes and a command): for control traffic and
 * replies produced off the core, not for the hot path.
 */
public record ConnectionRef(StraitCore core, long handle) {
    /**
     * Sends a copy of {@code data[offset, offset + length)} on the core, through the connection's outbound queue.
     *
     * @return completes on the core with the bytes accepted: all of them, fewer when the outbound queue is at its
     *     limit (send the rest later: this is the backpressure), or -1 when the connection is closed; completes
     *     with -2 at once when the core's command queue is full
     */
    public java.util.concurrent.CompletableFuture<Integer> send(byte[] data, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, data.length);
        final byte[] copy = java.util.Arrays.copyOfRange(data, offset, offset + length);
        final java.util.concurrent.CompletableFuture<Integer> accepted = new java.util.concurrent.CompletableFuture<>();
        final boolean queued = core.execute(() -> {
            final Connection c = core.connection(handle);
            accepted.complete(c.isOpen() ? c.send(copy, 0, copy.length) : -1);
        });
        if (!queued) {
            accepted.complete(-2);
        }
        return accepted;
    }

    /** Graceful close on the core (FIN after everything queued). @return false when the command queue is full */
    public boolean close() {
        return core.execute(() -> {
            final Connection c = core.connection(handle);
            if (c.isOpen()) {
                c.close();
            }
        });
    }
}
