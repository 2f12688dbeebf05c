package io.strait.apps.examples;

import io.strait.apps.api.Connection;
import io.strait.apps.api.ConnectionHandler;
import io.strait.apps.api.Strait;
import org.agrona.DirectBuffer;

/** The README's example: an echo server on port 7 of the embedded default port. Run as root. */
public final class EchoExample {
    public static void main(String[] args) throws InterruptedException {
        try (Strait strait = Strait.builder().dev("net_af_packet0,iface=strait0").ip("198.18.0.2/24").start()) {
            strait.listen(7, new ConnectionHandler() {
                public void onOpen(Connection c) { }

                public int onData(Connection c, DirectBuffer buf, int offset, int length) {
                    return Math.max(0, c.write(buf, offset, length)); // unconsumed bytes wait in TCP's window
                }

                public void onWritable(Connection c) {
                    c.resumeRead(); // backpressure released: offer the rest again
                }

                public void onClose(Connection c, int reason) { }
            });
            System.out.println("READY echo on 198.18.0.2:7"); // listen() returned: every core accepts
            Thread.sleep(Long.parseLong(args.length > 0 ? args[0] : "3600000"));
        }
    }
}
