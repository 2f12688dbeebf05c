package io.strait.bench.kernel;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The command lines of the kernel anchors: {@code --name value}, {@code --name=value} and {@code --flag}. Unknown
 * options and bad values are a {@link UsageException}: one line on stderr, exit status 2 (as {@code strait}'s own
 * commands).
 */
final class KernelArgs {
    private final String command;
    private final Map<String, String> values = new HashMap<>();

    KernelArgs(String command, String[] argv, Set<String> valued, Set<String> flags) {
        this.command = command;
        for (int i = 0; i < argv.length; i++) {
            final String a = argv[i];
            final int eq = a.indexOf('=');
            final String name = a.startsWith("--") && eq > 0 ? a.substring(0, eq) : a;
            if (valued.contains(name)) {
                if (eq > 0 && a.startsWith("--")) {
                    values.put(name, a.substring(eq + 1));
                } else {
                    if (i + 1 >= argv.length) {
                        throw new UsageException(command + ": " + name + " needs a value (see --help)");
                    }
                    values.put(name, argv[++i]);
                }
            } else if (flags.contains(a)) {
                values.put(a, "true");
            } else {
                throw new UsageException(command + ": unknown option '" + a + "' (see --help)");
            }
        }
    }

    static boolean wantsHelp(String[] argv) {
        for (String a : argv) {
            if (a.equals("--help") || a.equals("-h")) {
                return true;
            }
        }
        return false;
    }

    String get(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    int getInt(String name, int fallback, int min, int max) {
        final String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            final long n = Long.parseLong(v.trim());
            if (n < min || n > max) {
                throw new UsageException(command + ": " + name + " must be " + min + ".." + max + ", not " + v);
            }
            return (int) n;
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": " + name + " takes a whole number, not '" + v + "'");
        }
    }

    double getSeconds(String name, double fallback, double min) {
        final String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            final double d = Double.parseDouble(v.trim());
            if (!(d >= min) || d > 86_400) {
                throw new UsageException(command + ": " + name + " must be " + min + "..86400 seconds, not " + v);
            }
            return d;
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": " + name + " takes a number of seconds, not '" + v + "'");
        }
    }

    /** {@code --port} (required) and {@code --bind} (default 0.0.0.0) of the servers. */
    InetSocketAddress listenAddress() {
        if (!has("--port")) {
            throw new UsageException(command + ": --port N is required (1..65535)");
        }
        final int port = getInt("--port", 0, 1, 65535);
        return new InetSocketAddress(literal("--bind", get("--bind", "0.0.0.0")), port);
    }

    /** An address literal or a host name (resolved once, here). */
    InetAddress literal(String option, String text) {
        try {
            if (text.isEmpty()) {
                throw new UnknownHostException("empty");
            }
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new UsageException(command + ": " + option + " '" + text + "' is not an address");
        }
    }

    /** HOST:PORT (or [V6]:PORT). */
    InetSocketAddress hostPort(String option) {
        final String v = values.get(option);
        if (v == null) {
            throw new UsageException(command + ": " + option + " HOST:PORT is required");
        }
        final int colon = v.lastIndexOf(':');
        if (colon <= 0 || colon == v.length() - 1) {
            throw new UsageException(command + ": " + option + " takes HOST:PORT, not '" + v + "'");
        }
        String host = v.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        final int port;
        try {
            port = Integer.parseInt(v.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": " + option + " port must be a number, not '" + v + "'");
        }
        if (port < 1 || port > 65535) {
            throw new UsageException(command + ": " + option + " port must be 1..65535, not " + port);
        }
        return new InetSocketAddress(literal(option, host), port);
    }

    /** A mistake in the command line: printed as one line on stderr, exit status 2. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Runs a command's body: usage mistakes and start-up failures become one stderr line and a non-zero exit, so a
     * harness sees a clear reason and a clear status.
     */
    static void main(String command, String help, String[] argv, Body body) {
        if (wantsHelp(argv)) {
            System.out.print(help);
            System.out.flush();
            System.exit(0);
        }
        int status;
        try {
            status = body.run(argv);
        } catch (UsageException e) {
            System.err.println(e.getMessage());
            status = 2;
        } catch (java.net.BindException e) {
            System.err.println(command + ": cannot listen: " + e.getMessage()
                + " (is the port in use, or the --bind address not on this host?)");
            status = 1;
        } catch (Exception e) {
            System.err.println(command + ": " + e);
            status = 1;
        }
        System.out.flush();
        System.err.flush();
        System.exit(status);
    }

    @FunctionalInterface
    interface Body {
        int run(String[] argv) throws Exception;
    }

    /** SIGTERM and SIGINT run {@code onStop} (on the JVM's signal thread) instead of killing the JVM. */
    @SuppressWarnings("removal")
    static void onTermination(Runnable onStop) {
        for (String name : new String[] {"TERM", "INT"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), s -> onStop.run());
        }
    }
}
