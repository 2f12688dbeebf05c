package io.strait.bench.kernel;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.function.Consumer;

/**
 * The loop the java.nio anchors share: one thread, one {@link Selector} (epoll underneath), non-blocking accept and
 * connections. It prints {@code READY ...} once listening, and SIGTERM/SIGINT stop it: every connection is closed,
 * one summary line is printed, the process exits 0.
 *
 * <p>{@link Selector#select(Consumer, long)} hands each ready key to the handler without the selected-key set and its
 * iterator, so the loop itself allocates nothing per event.
 */
abstract class SelectorServer {
    private final String name;
    private volatile boolean stopping;
    private Selector selector;
    private ServerSocketChannel server;
    protected long accepted;

    SelectorServer(String name) {
        this.name = name;
    }

    /** A new connection (already non-blocking, TCP_NODELAY): register it with {@code selector}. */
    abstract void opened(Selector selector, SocketChannel channel) throws IOException;

    /** A connection's key is ready. Failures close the connection, never the loop. */
    abstract void ready(SelectionKey key);

    /** Called about once a second and after every round of events (timers). */
    void tick(long nowNs) {
    }

    /** The line printed on stop. */
    abstract String summary();

    final int serve(InetSocketAddress address) throws IOException {
        selector = Selector.open();
        server = ServerSocketChannel.open(NioLoadClient.family(address));
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.bind(address, 4096);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        KernelArgs.onTermination(() -> {
            stopping = true;
            selector.wakeup();
        });
        System.out.println("READY " + name + " listening on " + server.getLocalAddress());
        System.out.flush();
        final Consumer<SelectionKey> dispatch = this::dispatch;
        while (!stopping) {
            selector.select(dispatch, 1000);
            tick(System.nanoTime());
        }
        for (SelectionKey key : new ArrayList<>(selector.keys())) {
            closeQuietly(key.channel());
        }
        selector.close();
        System.out.println(name + " stopped: " + summary());
        return 0;
    }

    private void dispatch(SelectionKey key) {
        if (key.channel() == server) {
            accept();
        } else {
            ready(key);
        }
    }

    private void accept() {
        for (int i = 0; i < 256; i++) { // bounded: a SYN flood must not starve the established connections
            final SocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                // EMFILE and friends: leave the rest in the backlog for the next round.
                return;
            }
            if (ch == null) {
                return;
            }
            try {
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                opened(selector, ch);
                accepted++;
            } catch (IOException e) {
                closeQuietly(ch);
            }
        }
    }

    static void closeQuietly(java.io.Closeable ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
