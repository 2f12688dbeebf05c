package io.strait.bindings;

/** A DPDK or shim call failed, or DPDK is not available on this machine. The message is one clear line. */
public final class DpdkException extends RuntimeException {
    public DpdkException(String message) {
        super(message);
    }
}
