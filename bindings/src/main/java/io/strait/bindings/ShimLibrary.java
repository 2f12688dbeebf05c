package io.strait.bindings;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds and loads {@code libstrait_shim.so} (built by the bindings module from {@code src/main/c}). The shim links
 * the DPDK libraries it needs, so loading it also makes DPDK's symbols visible to the generated bindings, which
 * resolve through the class loader's lookup.
 *
 * <p>Search order: system property {@code strait.shim}; the copy inside this jar
 * ({@code META-INF/native/linux-x86_64}, extracted to a temporary file: what a library user gets);
 * {@code $STRAIT_HOME/bindings/target/native}; the working directory's {@code bindings/target/native}. The shim
 * links the system's DPDK 22.11 shared libraries (Debian's {@code dpdk} package).
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

    static final String RESOURCE = "/META-INF/native/linux-x86_64/" + NAME;

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
        final Path packaged = extractPackaged();
        if (packaged != null) {
            return packaged;
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

    /** The jar's own copy of the shim, written to a temporary file (removed at exit); null when not packaged. */
    private static Path extractPackaged() {
        try (java.io.InputStream in = ShimLibrary.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return null;
            }
            final Path tmp = Files.createTempFile("libstrait_shim", ".so");
            tmp.toFile().deleteOnExit();
            Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return tmp;
        } catch (java.io.IOException e) {
            throw new DpdkException("cannot extract the packaged " + NAME + " to a temporary file ("
                + e.getMessage() + "); set -Dstrait.shim=PATH");
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "no reason given";
        }
        final int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
