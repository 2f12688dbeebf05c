package io.strait.bindings;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds and loads {@code libstrait_shim.so} (built by the bindings module from {@code src/main/c}). The shim links
 * the DPDK libraries it needs, so loading it also makes DPDK's symbols visible to the generated bindings, which
 * resolve through the class loader's lookup.
 *
 * <p>Search order: system property {@code strait.shim}; {@code $STRAIT_HOME/bindings/target/native}; the working
 * directory's {@code bindings/target/native}.
 */
final class ShimLibrary {
    static final String NAME = "libstrait_shim.so";
    private static volatile boolean loaded;

    private ShimLibrary() {
    }

    static synchronized void load() {
        if (loaded) {
            return;
        }
        final Path path = locate();
        try {
            System.load(path.toAbsolutePath().toString());
        } catch (UnsatisfiedLinkError e) {
            throw new DpdkException("cannot load " + path + " (" + firstLine(e.getMessage())
                + "); is DPDK installed? run setup/install");
        }
        loaded = true;
    }

    private static Path locate() {
        final String property = System.getProperty("strait.shim");
        if (property != null && !property.isBlank()) {
            final Path p = Path.of(property);
            if (Files.isRegularFile(p)) {
                return p;
            }
            throw new DpdkException("the DPDK shim " + p + " does not exist; build it with setup/build "
                + "(needs DPDK: setup/install)");
        }
        final String home = System.getenv("STRAIT_HOME");
        if (home != null) {
            final Path p = Path.of(home, "bindings", "target", "native", NAME);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        final Path p = Path.of("bindings", "target", "native", NAME);
        if (Files.isRegularFile(p)) {
            return p;
        }
        throw new DpdkException("cannot find " + NAME + "; set -Dstrait.shim=PATH or build with setup/build "
            + "(needs DPDK: setup/install)");
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "no reason given";
        }
        final int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
