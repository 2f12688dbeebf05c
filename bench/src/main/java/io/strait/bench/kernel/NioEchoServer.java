package io.strait.bench.kernel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.Set;

/**
 * The Linux-kernel echo anchor in plain java.nio: one selector thread writes back every byte it reads, in order,
 * until the client closes; then it closes too. Each connection owns one direct buffer (pooled); when the client does
 * not read its echo, reading pauses until the buffer drains (backpressure, no unbounded queue).
 */
public final class NioEchoServer extends SelectorServer {
    static final String HELP = """
        usage: java -cp bench/target/benchmarks.jar io.strait.bench.kernel.NioEchoServer --port N [--bind ADDR]
          Echo server on the Linux kernel stack (java.nio, one selector thread): writes back every byte it receives,
          in order, until the peer closes; then closes. Prints a line starting with READY when listening;
          SIGTERM/SIGINT stop it (exit 0). --bind defaults to 0.0.0.0.
        """;

    private static final int BUFFER_BYTES = 64 * 1024;
    private static final int POOL_MAX = 4096;

    private final ArrayDeque<Conn> pool = new ArrayDeque<>();
    private long bytes;

    private NioEchoServer() {
        super("NioEchoServer");
    }

    public static void main(String[] argv) {
        KernelArgs.main("NioEchoServer", HELP, argv, args -> {
            final KernelArgs a = new KernelArgs("NioEchoServer", args, Set.of("--port", "--bind"), Set.of());
            return new NioEchoServer().serve(a.listenAddress());
        });
    }

    @Override
    String summary() {
        return accepted + " connections, " + bytes + " bytes echoed";
    }

    @Override
    void opened(Selector selector, SocketChannel channel) throws IOException {
        Conn c = pool.pollFirst();
        if (c == null) {
            c = new Conn();
        }
        c.channel = channel;
        c.key = channel.register(selector, SelectionKey.OP_READ, c);
        c.interest = SelectionKey.OP_READ;
    }

    @Override
    void ready(SelectionKey key) {
        final Conn c = (Conn) key.attachment();
        try {
            if (key.isReadable() && !c.eof) {
                if (c.channel.read(c.buffer) < 0) {
                    c.eof = true;
                }
            }
            if (c.buffer.position() > 0) { // write mode: [0, position) waits to go back
                c.buffer.flip();
                bytes += c.channel.write(c.buffer);
                c.buffer.compact();
            }
            final boolean pending = c.buffer.position() > 0;
            if (c.eof && !pending) {
                c.close();
                return;
            }
            // Read while there is room; write interest only while something is left over.
            final int want = (pending ? SelectionKey.OP_WRITE : 0)
                | (!c.eof && c.buffer.hasRemaining() ? SelectionKey.OP_READ : 0);
            if (want != c.interest) {
                c.interest = want;
                key.interestOps(want);
            }
        } catch (IOException | RuntimeException e) {
            c.close();
        }
    }

    private final class Conn {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES);
        SocketChannel channel;
        SelectionKey key;
        int interest;
        boolean eof;

        void close() {
            if (channel == null) {
                return;
            }
            SelectorServer.closeQuietly(channel);
            channel = null;
            key = null;
            buffer.clear();
            interest = 0;
            eof = false;
            if (pool.size() < POOL_MAX) {
                pool.addFirst(this);
            }
        }
    }
}
