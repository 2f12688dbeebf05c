package io.strait.apps.load;

import io.strait.apps.api.Connection;
import io.strait.apps.api.ConnectionHandler;
import io.strait.apps.api.StraitCore;
import io.strait.tcp.CloseReason;
import org.HdrHistogram.Histogram;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One core's share of {@code strait load}: opens connections from Strait itself and keeps each busy with
 * request/response exchanges, recording each exchange's latency in an HdrHistogram.
 *
 * <ul>
 *   <li>Closed loop (no rate): a connection sends its next request as soon as the previous response is complete.
 *   <li>Open loop ({@code rate}): each connection has a schedule of intended send times (rate / connections per
 *       second each); latency is measured from the intended time, so a slow server is charged for the requests it
 *       delayed (no coordinated omission, as wrk2).
 * </ul>
 * Everything runs on the core's thread, allocation-free per request: state lives in arrays indexed by slot.
 */
public final class LoadGenerator implements ConnectionHandler, StraitCore.Task {
    public static final int ECHO = 0;
    public static final int HTTP = 1;
    private static final byte[] CONTENT_LENGTH = "\r\ncontent-length:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONNECTION_CLOSE = "\r\nconnection: close".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HTTP_10 = "HTTP/1.0".getBytes(StandardCharsets.US_ASCII);

    private final StraitCore core;
    private final int app;
    private final int targetIp;
    private final int targetPort;
    private final int connections;
    private final long intervalNs; // open loop: per-connection interval; 0 for closed loop
    private final UnsafeBuffer request;
    private final int requestLength;
    private final int echoSize;
    final Histogram histogram = new Histogram(1, 120_000_000_000L, 3);

    // per slot
    private final long[] handleOf;
    private final long[] sentAtNs;
    private final long[] nextIntendedNs;
    private final boolean[] awaiting;
    private final int[] requestOffset;
    private final long[] responseLeft;   // echo: bytes; http: body bytes once headers are done
    private final int[] headerState;      // http: matched length of "\r\n\r\n"
    private final int[] clMatch;          // http: matched length of "\r\ncontent-length:", then -1 while reading digits
    private final long[] clValue;
    private final boolean[] inBody;
    private final int[] closeMatch;       // http: matched length of "\r\nconnection: close"
    private final int[] responseIndex;    // http: bytes of the response seen (to read the version)
    private final boolean[] closeAfter;   // the server will close after this response (HTTP/1.0, Connection: close)
    private final int[] active;           // slots of open connections
    private int activeCount;
    private int opening;

    final AtomicLong requests = new AtomicLong();
    final AtomicLong bytesIn = new AtomicLong();
    final AtomicLong bytesOut = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final AtomicLong connectFailures = new AtomicLong();
    /** Active opens that completed the handshake. */
    final AtomicLong opened = new AtomicLong();
    /** Active opens the target refused (RST in SYN_SENT: nothing listening on the port). */
    final AtomicLong refused = new AtomicLong();
    private long requestsPlain;
    private long bytesInPlain;
    private long bytesOutPlain;
    private long errorsPlain;
    private long openedPlain;
    private long refusedPlain;
    private volatile boolean resetRequested;
    private volatile boolean stopping;
    private volatile boolean stopped;
    private boolean closesSent;
    private long startNs = -1;
    private long nextConnectNs;

    public LoadGenerator(StraitCore core, int app, int targetIp, int targetPort, int connections, double ratePerSecond,
                         int size, String host, int maxConnections) {
        this(core, app, targetIp, targetPort, connections, ratePerSecond, size, host, maxConnections, false);
    }

    /**
     * @param closeEach http only: every request carries {@code Connection: close}, so each connection serves one
     *                  request and the server closes it (connection-rate mode: connect, one request, close)
     */
    public LoadGenerator(StraitCore core, int app, int targetIp, int targetPort, int connections, double ratePerSecond,
                         int size, String host, int maxConnections, boolean closeEach) {
        this.core = core;
        this.app = app;
        this.targetIp = targetIp;
        this.targetPort = targetPort;
        this.connections = connections;
        this.intervalNs = ratePerSecond > 0 ? (long) (connections * 1e9 / ratePerSecond) : 0;
        if (app == ECHO) {
            final byte[] body = new byte[size];
            for (int i = 0; i < size; i++) {
                body[i] = (byte) ('a' + i % 26);
            }
            request = new UnsafeBuffer(body);
            requestLength = size;
            echoSize = size;
        } else {
            final String path = size > 0 ? "/bytes/" + size : "/";
            final byte[] req = ("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: strait-load\r\n"
                + (closeEach ? "Connection: close\r\n" : "") + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
            request = new UnsafeBuffer(req);
            requestLength = req.length;
            echoSize = 0;
        }
        handleOf = new long[maxConnections];
        sentAtNs = new long[maxConnections];
        nextIntendedNs = new long[maxConnections];
        awaiting = new boolean[maxConnections];
        requestOffset = new int[maxConnections];
        responseLeft = new long[maxConnections];
        headerState = new int[maxConnections];
        clMatch = new int[maxConnections];
        clValue = new long[maxConnections];
        inBody = new boolean[maxConnections];
        closeMatch = new int[maxConnections];
        responseIndex = new int[maxConnections];
        closeAfter = new boolean[maxConnections];
        active = new int[maxConnections];
    }

    /** Asks the core to stop sending and close its connections (any thread). */
    public void stop() {
        stopping = true;
    }

    /**
     * Ends the warm-up (any thread): the core thread clears the histogram and the counters at its next duty cycle,
     * so the report covers only what follows (JIT compilation and connection set-up stay out of it).
     */
    public void resetStats() {
        resetRequested = true;
    }

    /** True once every connection is closed after {@link #stop()}. */
    public boolean stopped() {
        return stopped;
    }

    @Override
    public int doWork(long nowNs) {
        if (startNs < 0) {
            startNs = nowNs;
        }
        if (resetRequested) {
            resetRequested = false;
            histogram.reset();
            requestsPlain = bytesInPlain = bytesOutPlain = 0; // errors stay: a warm-up failure still counts
            requests.set(0);
            bytesIn.set(0);
            bytesOut.set(0);
            startNs = nowNs;
        }
        if (stopping) {
            if (!stopped) {
                if (!closesSent) {
                    closesSent = true;
                    for (int i = activeCount - 1; i >= 0; i--) {
                        if (!awaiting[active[i]]) {
                            core.connection(handleOf[active[i]]).close();
                        }
                    }
                }
                if (activeCount == 0 && opening <= 0) {
                    stopped = true;
                }
            }
            return 0;
        }
        int work = 0;
        while (activeCount + opening < connections && nowNs - nextConnectNs >= 0) {
            if (core.connect(targetIp, targetPort, this) < 0) {
                connectFailures.incrementAndGet(); // no free port or slot: counted, retried in a millisecond
                nextConnectNs = nowNs + 1_000_000L;
                break;
            }
            opening++;
            work++;
        }
        if (intervalNs > 0) {
            for (int i = 0; i < activeCount; i++) {
                final int s = active[i];
                if (!awaiting[s] && nowNs - nextIntendedNs[s] >= 0) {
                    send(core.connection(handleOf[s]), s, nextIntendedNs[s]);
                    nextIntendedNs[s] += intervalNs;
                    work++;
                }
            }
        }
        return work;
    }

    @Override
    public void onOpen(Connection c) {
        opening--;
        openedPlain++;
        opened.lazySet(openedPlain);
        final int s = c.slot();
        handleOf[s] = c.handle();
        active[activeCount++] = s;
        awaiting[s] = false;
        if (stopping) {
            c.close();
            return;
        }
        final long now = core.nowNs();
        if (intervalNs > 0) {
            // Spread the connections' schedules evenly over one interval.
            nextIntendedNs[s] = now + (intervalNs * (activeCount - 1)) / connections;
        } else {
            send(c, s, now);
        }
    }

    private void send(Connection c, int s, long intendedNs) {
        awaiting[s] = true;
        sentAtNs[s] = intendedNs;
        responseLeft[s] = echoSize;
        headerState[s] = 0;
        clMatch[s] = 0;
        clValue[s] = 0;
        inBody[s] = false;
        closeMatch[s] = 0;
        responseIndex[s] = 0;
        closeAfter[s] = false;
        requestOffset[s] = 0;
        writeRequest(c, s);
    }

    private void writeRequest(Connection c, int s) {
        final int off = requestOffset[s];
        final int n = c.write(request, off, requestLength - off);
        if (n > 0) {
            requestOffset[s] = off + n;
            bytesOutPlain += n;
            bytesOut.lazySet(bytesOutPlain);
        }
    }

    @Override
    public void onWritable(Connection c) {
        final int s = c.slot();
        if (awaiting[s] && requestOffset[s] < requestLength) {
            writeRequest(c, s);
        }
    }

    @Override
    public int onData(Connection c, DirectBuffer buffer, int offset, int length) {
        final int s = c.slot();
        bytesInPlain += length;
        bytesIn.lazySet(bytesInPlain);
        if (!awaiting[s]) {
            return length; // unsolicited bytes: count and drop
        }
        if (app == ECHO) {
            responseLeft[s] -= length;
            if (responseLeft[s] <= 0) {
                complete(c, s);
            }
            return length;
        }
        for (int i = 0; i < length; i++) {
            if (inBody[s]) {
                final long take = Math.min(responseLeft[s], length - i);
                responseLeft[s] -= take;
                i += (int) take - 1;
                if (responseLeft[s] == 0) {
                    complete(c, s);
                    if (!awaiting[s]) {
                        // pipelining is not used: the rest (if any) belongs to no request
                        return length;
                    }
                }
                continue;
            }
            final int b = buffer.getByte(offset + i);
            final int at = responseIndex[s]++;
            if (at < HTTP_10.length && b != HTTP_10[at]) {
                responseIndex[s] = HTTP_10.length + 1; // not HTTP/1.0
            } else if (at == HTTP_10.length - 1) {
                closeAfter[s] = true; // HTTP/1.0 closes unless it says keep-alive; treated as closing
            }
            final int lowerByte = b >= 'A' && b <= 'Z' ? b | 0x20 : b;
            final int cm = closeMatch[s];
            if (cm < CONNECTION_CLOSE.length) {
                if (lowerByte == CONNECTION_CLOSE[cm]) {
                    closeMatch[s] = cm + 1;
                    if (cm + 1 == CONNECTION_CLOSE.length) {
                        closeAfter[s] = true;
                    }
                } else {
                    closeMatch[s] = lowerByte == '\r' ? 1 : 0;
                }
            }
            // Content-Length: match "\r\ncontent-length:" case-insensitively, then read digits.
            if (clMatch[s] >= 0) {
                final int m = clMatch[s];
                final int lower = b >= 'A' && b <= 'Z' ? b | 0x20 : b;
                if (lower == CONTENT_LENGTH[m]) {
                    clMatch[s] = m + 1 == CONTENT_LENGTH.length ? -1 : m + 1;
                } else {
                    clMatch[s] = lower == '\r' ? 1 : 0;
                }
            } else if (b >= '0' && b <= '9') {
                clValue[s] = clValue[s] * 10 + (b - '0');
            } else if (b == '\r') {
                clMatch[s] = -2; // value done
            }
            // End of headers: \r\n\r\n
            final int h = headerState[s];
            headerState[s] = (b == '\r' && (h == 0 || h == 2)) || (b == '\n' && (h == 1 || h == 3)) ? h + 1
                : (b == '\r' ? 1 : 0);
            if (headerState[s] == 4) {
                inBody[s] = true;
                responseLeft[s] = clValue[s];
                if (responseLeft[s] == 0) {
                    complete(c, s);
                    if (!awaiting[s]) {
                        return length;
                    }
                }
            }
        }
        return length;
    }

    private void complete(Connection c, int s) {
        final long now = core.nowNs();
        histogram.recordValue(Math.max(1, now - sentAtNs[s]));
        requestsPlain++;
        requests.lazySet(requestsPlain);
        awaiting[s] = false;
        if (stopping) {
            c.close();
        } else if (app == HTTP && closeAfter[s]) {
            // The server closes this one (its FIN follows; onPeerClosed closes ours, so TIME_WAIT stays on the
            // server's side, as RFC 9112 §9.6 expects); a fresh connection takes its place then.
            return;
        } else if (intervalNs == 0) {
            send(c, s, now);
        } else if (now - nextIntendedNs[s] >= 0) {
            // Late: the intended time has passed, send at once but charge latency from the intended time.
            send(c, s, nextIntendedNs[s]);
            nextIntendedNs[s] += intervalNs;
        }
    }

    @Override
    public void onPeerClosed(Connection c) {
        c.close();
    }

    @Override
    public void onClose(Connection c, int reason) {
        final int s = c.slot();
        boolean wasActive = false;
        for (int i = 0; i < activeCount; i++) {
            if (active[i] == s && handleOf[s] == c.handle()) {
                active[i] = active[--activeCount];
                wasActive = true;
                break;
            }
        }
        if (!wasActive) {
            opening--; // an active open that never completed
            if (reason == CloseReason.REFUSED) {
                refusedPlain++;
                refused.lazySet(refusedPlain);
            }
        }
        // A server may close an idle connection (HTTP/1.0, Connection: close): not an error; a new one is opened.
        if (!stopping && (awaiting[s] || !wasActive || reason == CloseReason.TIMEOUT)) {
            errorsPlain++;
            errors.lazySet(errorsPlain);
        }
        awaiting[s] = false;
    }

    public long elapsedStartNs() {
        return startNs;
    }
}
