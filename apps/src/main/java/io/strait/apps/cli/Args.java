package io.strait.apps.cli;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** "--name value" and "--flag" options of one command; unknown options are a clear error. */
final class Args {
    private final String command;
    private final Map<String, String> values = new HashMap<>();

    Args(String command, List<String> argv, Set<String> valued, Set<String> flags) {
        this.command = command;
        for (int i = 0; i < argv.size(); i++) {
            final String a = argv.get(i);
            final int eq = a.indexOf('=');
            final String name = a.startsWith("--") && eq > 0 ? a.substring(0, eq) : a;
            if (valued.contains(name)) {
                if (eq > 0 && a.startsWith("--")) {
                    values.put(name, a.substring(eq + 1));
                } else {
                    if (i + 1 >= argv.size()) {
                        throw new UsageException(command + ": " + name + " needs a value (see strait " + command
                            + " --help)");
                    }
                    values.put(name, argv.get(++i));
                }
            } else if (flags.contains(a)) {
                values.put(a, "true");
            } else {
                throw new UsageException(command + ": unknown option '" + a + "' (see strait " + command
                    + " --help)");
            }
        }
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

    double getDouble(String name, double fallback) {
        final String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": " + name + " takes a number, not '" + v + "'");
        }
    }

    /** A mistake in the command line: printed as one line, exit status 2. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
