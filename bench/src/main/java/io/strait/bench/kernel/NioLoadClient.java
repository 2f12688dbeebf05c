package io.strait.bench.kernel;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The Linux-kernel load client, for comparisons where both ends are the kernel (and to drive Strait from a kernel
 * peer). Closed loop, as {@code strait load} without {@code --rate}:
 * <ul>
 *   <li>{@code pingpong}: each connection sends one request, reads the whole response, sends the next; latency is
 *       from just before the request is written to the response's last byte.
 *   <li>{@code cps}: each iteration opens a connection, sends one request, reads the response, closes; latency is
 *       the whole cycle (open to close). HTTP asks {@code Connection: close}, so the server closes first and reads
 *       up to its FIN; echo closes from the client ({@code --reset}: with RST, leaving no TIME_WAIT).
 * </ul>
 * The connections are spread over {@code --threads} threads (default 1); a thread with several connections drives
 * them non-blocking with one {@link Selector}, a thread with a single connection (and a request of at most 32 KiB)
 * uses plain blocking calls, the lowest-latency way through the kernel. {@code --spin} busy-polls instead of
 * sleeping in the kernel. TCP_NODELAY everywhere. Latencies go to HdrHistograms (as {@code strait load}); the report
 * and its {@code --json} keys are {@code strait load}'s ({@code io.strait.apps.load.LoadReport}), plus flat
 * {@code rps}, {@code p50_us} ... {@code max_us}. Only the measured window ({@code --duration} after
 * {@code --warmup}) counts. Exits 1 if any request failed (as {@code strait load}).
 */
public final class NioLoadClient {
    static final String HELP = """
        usage: java -cp bench/target/benchmarks.jar io.strait.bench.kernel.NioLoadClient --target HOST:PORT
                    --app echo|http [--mode pingpong|cps] [--connections N] [--duration S] [--warmup S]
                    [--size BYTES] [--threads N] [--spin] [--reset] [--json]
          Closed-loop load over the Linux kernel stack. pingpong (default): each connection sends a request, waits
          for the whole response, repeats. cps: each iteration connects, sends one request, reads the response,
          closes. echo sends --size bytes (default 64) and waits for them back; http sends GET / (or
          GET /bytes/SIZE with --size). Defaults: --connections 16, --duration 10, --warmup 0, --threads 1.
          Prints a progress line every second on stderr, then requests/s and latency percentiles in microseconds
          (p50, p90, p99, p99.9, max) counted over --duration after --warmup; --json prints one JSON line with
          strait load's keys plus rps, p50_us, p90_us, p99_us, p999_us, max_us. Exits 1 if any request failed.
          --spin busy-polls (no sleeping in epoll/read); --reset closes cps echo connections with RST.
        """;

    private static final long MAX_NS = 120_000_000_000L;
    private static final int BLOCKING_MAX_REQUEST = 32 * 1024;
    private static final int RX_BYTES = 64 * 1024;

    private final InetSocketAddress target;
    private final int app;
    private final boolean cps;
    private final boolean spin;
    private final boolean reset;
    private final ByteBuffer request; // read-only; each connection reads it through its own duplicate
    private final int echoSize;
    private volatile long measureStartNs;
    private volatile long measureEndNs;

    private NioLoadClient(InetSocketAddress target, int app, boolean cps, boolean spin, boolean reset, byte[] request,
                          int echoSize) {
        this.target = target;
        this.app = app;
        this.cps = cps;
        this.spin = spin;
        this.reset = reset;
        this.request = ByteBuffer.allocateDirect(request.length).put(request).flip().asReadOnlyBuffer();
        this.echoSize = echoSize;
    }

    public static void main(String[] argv) {
        KernelArgs.main("NioLoadClient", HELP, argv, NioLoadClient::run);
    }

    private static int run(String[] argv) throws Exception {
        final KernelArgs a = new KernelArgs("NioLoadClient", argv, Set.of("--target", "--app", "--connections",
            "--duration", "--warmup", "--size", "--mode", "--threads"), Set.of("--json", "--spin", "--reset"));
        final String appName = a.get("--app", null);
        if (appName == null) {
            throw new KernelArgs.UsageException("NioLoadClient: --app echo|http is required");
        }
        final int app = switch (appName) {
            case "echo" -> ResponseParser.ECHO;
            case "http" -> ResponseParser.HTTP;
            default -> throw new KernelArgs.UsageException("NioLoadClient: unknown --app '" + appName
                + "' (echo, http)");
        };
        final String mode = a.get("--mode", "pingpong");
        if (!mode.equals("pingpong") && !mode.equals("cps")) {
            throw new KernelArgs.UsageException("NioLoadClient: unknown --mode '" + mode + "' (pingpong, cps)");
        }
        final InetSocketAddress target = a.hostPort("--target");
        final String targetText = a.get("--target", "");
        final int connections = a.getInt("--connections", 16, 1, 60_000);
        final double duration = a.getSeconds("--duration", 10, 0.1);
        final double warmup = a.getSeconds("--warmup", 0, 0);
        final int size = a.getInt("--size", app == ResponseParser.ECHO ? 64 : 0, 0, 1 << 24);
        if (app == ResponseParser.ECHO && size == 0) {
            throw new KernelArgs.UsageException("NioLoadClient: --size must be at least 1 for echo");
        }
        final int threads = Math.min(connections, a.getInt("--threads", 1, 1, 256));
        final boolean cps = mode.equals("cps");

        final byte[] req;
        if (app == ResponseParser.ECHO) {
            req = new byte[size];
            for (int i = 0; i < size; i++) {
                req[i] = ResponseParser.echoByte(i);
            }
        } else {
            req = ("GET " + (size > 0 ? "/bytes/" + size : "/") + " HTTP/1.1\r\nHost: " + targetText
                + "\r\nUser-Agent: strait-kernel-load\r\n" + (cps ? "Connection: close\r\n" : "") + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        }
        final NioLoadClient client = new NioLoadClient(target, app, cps, a.has("--spin"), a.has("--reset"), req,
            app == ResponseParser.ECHO ? size : 0);
        return client.drive(appName, mode, targetText, connections, threads, duration, warmup, size, a.has("--json"));
    }

    private int drive(String appName, String mode, String targetText, int connections, int threads, double duration,
                      double warmup, int size, boolean json) throws InterruptedException {
        final long startNs = System.nanoTime();
        measureStartNs = startNs + (long) (warmup * 1e9);
        measureEndNs = measureStartNs + (long) (duration * 1e9);
        final Worker[] workers = new Worker[threads];
        final Thread[] running = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            final int share = connections / threads + (i < connections % threads ? 1 : 0);
            workers[i] = share == 1 && request.capacity() <= BLOCKING_MAX_REQUEST ? new BlockingWorker()
                : new SelectorWorker(share);
            running[i] = new Thread(workers[i], "kernel-load-" + i);
            running[i].start();
        }
        // Progress once a second on stderr, as strait load.
        long last = 0;
        final long totalNs = measureEndNs - startNs;
        for (int second = 1; ; second++) {
            final long wakeNs = startNs + second * 1_000_000_000L;
            if (wakeNs - measureEndNs > 0) {
                break;
            }
            sleepUntil(wakeNs);
            long done = 0;
            long errs = 0;
            for (Worker w : workers) {
                done += w.progress.get();
                errs += w.progressErrors.get();
            }
            System.err.printf(Locale.ROOT, "kernel-load: %3d s  %10d requests  %9.0f req/s  %d errors%s%n", second,
                done, (double) (done - last), errs, wakeNs - measureStartNs <= 0 ? "  (warmup)" : "");
            last = done;
        }
        // The workers stop by themselves at measureEndNs; a worker stuck in a blocking call is unstuck after 2 s.
        final long joinDeadlineNs = startNs + totalNs + 2_000_000_000L;
        for (int i = 0; i < threads; i++) {
            final long leftMs = Math.max(1, (joinDeadlineNs - System.nanoTime()) / 1_000_000);
            running[i].join(leftMs);
        }
        for (int i = 0; i < threads; i++) {
            if (running[i].isAlive()) {
                workers[i].abort();
                running[i].join(5_000);
            }
        }
        final Histogram latency = new Histogram(1, MAX_NS, 3);
        long requests = 0;
        long errors = 0;
        long connectFailures = 0;
        long bytesIn = 0;
        long bytesOut = 0;
        for (Worker w : workers) {
            latency.add(w.histogram);
            requests += w.requests;
            errors += w.errors;
            connectFailures += w.connectFailures;
            bytesIn += w.bytesIn;
            bytesOut += w.bytesOut;
        }
        final double seconds = (measureEndNs - measureStartNs) / 1e9;
        final double rps = requests / seconds;
        final double p50 = latency.getValueAtPercentile(50) / 1000.0;
        final double p90 = latency.getValueAtPercentile(90) / 1000.0;
        final double p99 = latency.getValueAtPercentile(99) / 1000.0;
        final double p999 = latency.getValueAtPercentile(99.9) / 1000.0;
        final double max = latency.getMaxValue() / 1000.0;
        if (json) {
            System.out.println(String.format(Locale.ROOT, "{\"app\":\"%s\",\"target\":\"%s\",\"connections\":%d,"
                    + "\"rate\":%.1f,\"size\":%d,\"seconds\":%.3f,\"requests\":%d,\"requests_per_second\":%.1f,"
                    + "\"bytes_in\":%d,\"bytes_out\":%d,\"bytes_in_per_second\":%.1f,\"errors\":%d,"
                    + "\"connect_failures\":%d,\"latency_us\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,"
                    + "\"p99_9\":%.1f,\"max\":%.1f},\"rps\":%.1f,\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,"
                    + "\"p999_us\":%.1f,\"max_us\":%.1f,\"mode\":\"%s\",%s\"threads\":%d,\"warmup\":%.3f,"
                    + "\"stack\":\"kernel\"}",
                appName, targetText, connections, 0.0, size, seconds, requests, rps, bytesIn, bytesOut,
                bytesIn / seconds, errors, connectFailures, p50, p90, p99, p999, max, rps, p50, p90, p99, p999, max,
                mode, cps ? String.format(Locale.ROOT, "\"connections_per_second\":%.1f,", rps) : "", threads,
                warmup));
        } else {
            System.out.println(String.format(Locale.ROOT, """
                    kernel load: %s %s against %s, %d connections, %d threads, closed loop, %.1f s (after %.1f s warmup)
                      %-13s %d (%.0f %s/s)
                      bytes         in %d (%.1f MB/s), out %d (%.1f MB/s)
                      errors        %d (connect failures %d)
                      latency (us)  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f""",
                appName, mode, targetText, connections, threads, seconds, warmup,
                cps ? "connections" : "requests", requests, rps, cps ? "conn" : "req", bytesIn,
                bytesIn / seconds / 1e6, bytesOut, bytesOut / seconds / 1e6, errors, connectFailures, p50, p90, p99,
                p999, max));
        }
        return errors + connectFailures > 0 || requests == 0 ? 1 : 0;
    }

    private static void sleepUntil(long deadlineNs) throws InterruptedException {
        long left;
        while ((left = deadlineNs - System.nanoTime()) > 0) {
            Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
        }
    }

    /** One thread's share: its counters (measured window only) and histogram, read after it ended. */
    private abstract class Worker implements Runnable {
        final Histogram histogram = new Histogram(1, MAX_NS, 3);
        final AtomicLong progress = new AtomicLong();       // all completed exchanges, warmup included
        final AtomicLong progressErrors = new AtomicLong();
        final ByteBuffer rx = ByteBuffer.allocateDirect(RX_BYTES);
        long requests;
        long errors;
        long connectFailures;
        long bytesIn;
        long bytesOut;
        private long progressPlain;
        private long progressErrorsPlain;
        volatile boolean aborted;

        abstract void abort();

        final boolean measuring(long nowNs) {
            return nowNs - measureStartNs >= 0;
        }

        final void completed(long startNs, long endNs, boolean ok) {
            progress.lazySet(++progressPlain);
            if (measuring(endNs)) {
                if (ok) {
                    histogram.recordValue(Math.min(MAX_NS, Math.max(1, endNs - startNs)));
                    requests++;
                } else {
                    errors++;
                }
            }
            if (!ok) {
                progressErrors.lazySet(++progressErrorsPlain);
            }
        }

        final void failed(boolean connecting) {
            progressErrors.lazySet(++progressErrorsPlain);
            if (measuring(System.nanoTime())) {
                if (connecting) {
                    connectFailures++;
                } else {
                    errors++;
                }
            }
        }

        final void countIn(long nowNs, int n) {
            if (measuring(nowNs)) {
                bytesIn += n;
            }
        }

        final void countOut(long nowNs, int n) {
            if (measuring(nowNs)) {
                bytesOut += n;
            }
        }

        final SocketChannel open(boolean blocking) throws IOException {
            final SocketChannel ch = SocketChannel.open(family(target));
            ch.configureBlocking(blocking);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            if (reset) {
                ch.setOption(StandardSocketOptions.SO_LINGER, 0);
            }
            return ch;
        }
    }

    /** One connection on its own thread: blocking calls (or busy polling with --spin). */
    private final class BlockingWorker extends Worker {
        private final ByteBuffer out = request.duplicate();
        private final ResponseParser parser = new ResponseParser(app, echoSize);
        private volatile SocketChannel current;

        @Override
        void abort() {
            aborted = true;
            final SocketChannel ch = current;
            if (ch != null) {
                SelectorServer.closeQuietly(ch);
            }
        }

        @Override
        public void run() {
            SocketChannel ch = null;
            while (!aborted && System.nanoTime() - measureEndNs < 0) {
                final long startNs = System.nanoTime();
                boolean connecting = false;
                try {
                    if (ch == null) {
                        connecting = true;
                        ch = connect();
                        connecting = false;
                    }
                    exchange(ch, cps ? startNs : System.nanoTime());
                    if (cps || parser.closeAfter()) {
                        if (cps && parser.closeAfter()) {
                            awaitEof(ch);
                        }
                        ch.close();
                        current = null;
                        ch = null;
                    }
                    final long endNs = System.nanoTime();
                    if (endNs - measureEndNs < 0) {
                        completed(cps ? startNs : lastSendNs, endNs, parser.ok());
                    }
                } catch (IOException e) {
                    if (!aborted && System.nanoTime() - measureEndNs < 0) {
                        failed(connecting);
                    }
                    if (ch != null) {
                        SelectorServer.closeQuietly(ch);
                    }
                    current = null;
                    ch = null;
                    if (connecting) {
                        pause();
                    }
                }
            }
            if (ch != null) {
                SelectorServer.closeQuietly(ch);
            }
        }

        private long lastSendNs;

        private SocketChannel connect() throws IOException {
            final SocketChannel ch = open(true);
            current = ch;
            ch.connect(target);
            if (spin) {
                ch.configureBlocking(false);
            }
            return ch;
        }

        /** Writes the request (from sendNs) and reads the whole response. */
        private void exchange(SocketChannel ch, long sendNs) throws IOException {
            lastSendNs = sendNs;
            parser.reset();
            out.clear();
            while (out.hasRemaining()) {
                final int n = ch.write(out);
                countOut(sendNs, n);
            }
            while (!parser.done()) {
                rx.clear();
                final int n = ch.read(rx);
                if (n < 0) {
                    throw new IOException("the server closed the connection before the whole response");
                }
                if (n == 0) {
                    Thread.onSpinWait(); // --spin
                    continue;
                }
                countIn(sendNs, n);
                parser.feed(rx, 0, n);
            }
        }

        private void awaitEof(SocketChannel ch) throws IOException {
            while (true) {
                rx.clear();
                final int n = ch.read(rx);
                if (n < 0) {
                    return;
                }
                if (n == 0) {
                    Thread.onSpinWait();
                }
            }
        }
    }

    /** IPv4 sockets for IPv4 addresses (not IPv4-mapped IPv6 ones), as C servers and clients use. */
    static StandardProtocolFamily family(InetSocketAddress address) {
        return address.getAddress() instanceof Inet6Address ? StandardProtocolFamily.INET6
            : StandardProtocolFamily.INET;
    }

    private static void pause() {
        try {
            Thread.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Several connections on one thread: non-blocking, one selector. */
    private final class SelectorWorker extends Worker {
        private static final int IDLE = 0;
        private static final int CONNECTING = 1;
        private static final int AWAITING = 2;  // request written (maybe partly), response not complete
        private static final int DRAINING = 3;  // cps http: response complete, waiting for the server's FIN

        private final Conn[] conns;
        private Selector selector;
        private int retrying;

        SelectorWorker(int connections) {
            conns = new Conn[connections];
            for (int i = 0; i < connections; i++) {
                conns[i] = new Conn();
            }
        }

        private final class Conn {
            final ByteBuffer out = request.duplicate();
            final ResponseParser parser = new ResponseParser(app, echoSize);
            SocketChannel ch;
            SelectionKey key;
            int state;
            int interest;
            long startNs;
            long retryAtNs;
        }

        @Override
        void abort() {
            aborted = true;
            final Selector s = selector;
            if (s != null) {
                s.wakeup();
            }
        }

        @Override
        public void run() {
            try {
                selector = Selector.open();
            } catch (IOException e) {
                failed(false);
                return;
            }
            for (Conn c : conns) {
                start(c, System.nanoTime());
            }
            final Consumer<SelectionKey> handler = this::ready;
            try {
                while (!aborted) {
                    final long now = System.nanoTime();
                    if (now - measureEndNs >= 0) {
                        break;
                    }
                    if (spin) {
                        selector.selectNow(handler);
                    } else {
                        final long waitMs = retrying > 0 ? 1 : Math.min(100, (measureEndNs - now) / 1_000_000 + 1);
                        selector.select(handler, waitMs);
                    }
                    if (retrying > 0) {
                        retry(System.nanoTime());
                    }
                }
            } catch (IOException e) {
                failed(false);
            } finally {
                for (Conn c : conns) {
                    if (c.ch != null) {
                        SelectorServer.closeQuietly(c.ch);
                    }
                }
                SelectorServer.closeQuietly(selector);
            }
        }

        private void retry(long now) {
            for (Conn c : conns) {
                if (c.state == IDLE && c.retryAtNs != 0 && now - c.retryAtNs >= 0) {
                    c.retryAtNs = 0;
                    retrying--;
                    start(c, now);
                }
            }
        }

        /** Opens a connection (cps: a new cycle starts here). */
        private void start(Conn c, long now) {
            c.startNs = now;
            try {
                c.ch = open(false);
                if (c.ch.connect(target)) {
                    c.key = c.ch.register(selector, 0, c);
                    c.interest = 0;
                    send(c);
                } else {
                    c.state = CONNECTING;
                    c.key = c.ch.register(selector, SelectionKey.OP_CONNECT, c);
                    c.interest = SelectionKey.OP_CONNECT;
                }
            } catch (IOException e) {
                drop(c, true);
            }
        }

        /** Writes the request (pingpong: the latency starts here). */
        private void send(Conn c) throws IOException {
            final long now = System.nanoTime();
            if (!cps) {
                c.startNs = now;
            }
            c.parser.reset();
            c.out.clear();
            countOut(now, c.ch.write(c.out));
            c.state = AWAITING;
            interest(c, c.out.hasRemaining() ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        }

        private void interest(Conn c, int want) {
            if (want != c.interest) {
                c.interest = want;
                c.key.interestOps(want);
            }
        }

        private void ready(SelectionKey key) {
            final Conn c = (Conn) key.attachment();
            if (c.key != key) {
                return; // a key of a connection closed earlier in this round
            }
            try {
                if (c.state == CONNECTING) {
                    if (!key.isConnectable() || !c.ch.finishConnect()) {
                        return;
                    }
                    send(c);
                    return; // the response comes with a later event
                }
                if (key.isWritable() && c.out.hasRemaining()) {
                    countOut(System.nanoTime(), c.ch.write(c.out));
                    if (!c.out.hasRemaining()) {
                        interest(c, SelectionKey.OP_READ);
                    }
                }
                if (key.isReadable()) {
                    readable(c);
                }
            } catch (IOException e) {
                drop(c, c.state == CONNECTING);
            }
        }

        private void readable(Conn c) throws IOException {
            rx.clear();
            final int n = c.ch.read(rx);
            final long now = System.nanoTime();
            if (n < 0) {
                if (c.state == DRAINING) {
                    finishCycle(c);
                } else {
                    drop(c, false); // closed in the middle of a response
                }
                return;
            }
            countIn(now, n);
            if (c.state != AWAITING) {
                return; // DRAINING: anything before the FIN is dropped
            }
            c.parser.feed(rx, 0, n);
            if (!c.parser.done()) {
                return;
            }
            if (cps) {
                if (!c.parser.ok()) {
                    completed(c.startNs, now, false);
                    close(c);
                    start(c, System.nanoTime());
                } else if (c.parser.closeAfter()) {
                    c.state = DRAINING;
                } else {
                    finishCycle(c);
                }
                return;
            }
            if (now - measureEndNs < 0) {
                completed(c.startNs, now, c.parser.ok());
            }
            if (c.parser.closeAfter()) {
                close(c); // the server closes after this one: a new connection takes its place
                start(c, System.nanoTime());
            } else {
                send(c);
            }
        }

        private void finishCycle(Conn c) {
            close(c);
            final long end = System.nanoTime();
            if (end - measureEndNs < 0) {
                completed(c.startNs, end, c.parser.ok());
            }
            start(c, end);
        }

        private void close(Conn c) {
            if (c.ch != null) {
                SelectorServer.closeQuietly(c.ch);
            }
            c.ch = null;
            c.key = null;
            c.state = IDLE;
            c.interest = 0;
        }

        /** A failure: counted, the connection closed, a new one in a millisecond. */
        private void drop(Conn c, boolean connecting) {
            if (!aborted && System.nanoTime() - measureEndNs < 0) {
                failed(connecting);
            }
            close(c);
            c.retryAtNs = System.nanoTime() + 1_000_000L;
            if (c.retryAtNs == 0) {
                c.retryAtNs = 1;
            }
            retrying++;
        }
    }
}
