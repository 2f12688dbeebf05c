package io.strait.dataplane;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.function.LongPredicate;
import java.util.regex.Pattern;

/**
 * The DPDK runtime folders of Strait processes, {@code <base>/strait-<pid>/} (config, fbarray files: about 6 MB
 * each). Every process gets its own {@code --file-prefix=strait-<pid>}, and DPDK 22.11 leaves that folder behind
 * at exit, {@code rte_eal_cleanup} included. So a clean stop removes its own folder after the EAL cleanup, and a
 * start removes the folders of Strait processes that are gone (killed, crashed).
 *
 * <p>Only directories named exactly {@code strait-<pid>} (decimal, no leading zero) are ever touched, and only when
 * no process {@code <pid>} runs ({@code /proc/<pid>} absent). A symbolic link of that name is left alone, and none
 * is followed while deleting. Best effort: a folder that cannot be removed is left, never an error.
 *
 * <p>The base is DPDK's ({@code eal_create_runtime_dir}): {@code /var/run/dpdk} for root, else
 * {@code $XDG_RUNTIME_DIR/dpdk}, else {@code /tmp/dpdk}. Tests pass their own. Not thread-safe; off the hot path.
 */
public final class EalRuntimeDirs {
    /** The EAL file prefix of every Strait process, followed by its pid. */
    static final String PREFIX = "strait-";
    private static final Pattern NAME = Pattern.compile("strait-[1-9][0-9]{0,18}");
    private static final Path PROC = Path.of("/proc");

    private final Path base;

    public EalRuntimeDirs(Path base) {
        this.base = base;
    }

    /** The runtime folders DPDK uses for this process's user (see the class comment). */
    public static EalRuntimeDirs forCurrentUser() {
        final String xdg = System.getenv("XDG_RUNTIME_DIR");
        final Path directory = new com.sun.security.auth.module.UnixSystem().getUid() == 0 ? Path.of("/var/run")
            : xdg != null ? Path.of(xdg) : Path.of("/tmp");
        return new EalRuntimeDirs(directory.resolve("dpdk"));
    }

    /** The EAL {@code --file-prefix} of process {@code pid}, which names its runtime folder. */
    public static String filePrefix(long pid) {
        return PREFIX + pid;
    }

    public Path base() {
        return base;
    }

    /** The runtime folder of process {@code pid}. */
    public Path folder(long pid) {
        return base.resolve(filePrefix(pid));
    }

    /** Removes the calling process's own folder (after {@code rte_eal_cleanup}); false if it was not there or stays. */
    public boolean removeOwn() {
        return removeFolder(folder(ProcessHandle.current().pid()));
    }

    /** Removes the folders of Strait processes no longer running; returns how many were removed. */
    public int removeStale() {
        final long self = ProcessHandle.current().pid();
        return removeStale(pid -> pid == self || Files.exists(PROC.resolve(Long.toString(pid))));
    }

    /** As {@link #removeStale()}, with {@code running} telling whether a pid is a live process (for tests). */
    int removeStale(LongPredicate running) {
        if (!Files.isDirectory(base, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        int removed = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(base)) {
            for (Path entry : entries) {
                final String name = entry.getFileName().toString();
                if (!NAME.matcher(name).matches()) {
                    continue;
                }
                final long pid;
                try {
                    pid = Long.parseLong(name, PREFIX.length(), name.length(), 10);
                } catch (NumberFormatException e) {
                    continue; // beyond a long: no process of ours
                }
                if (!running.test(pid) && removeFolder(entry)) {
                    removed++;
                }
            }
        } catch (IOException e) {
            // base unreadable: nothing to do
        }
        return removed;
    }

    /** Deletes a real directory and what it holds, following no link; false if it was absent or not emptied. */
    private static boolean removeFolder(Path folder) {
        if (!Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try {
            Files.walkFileTree(folder, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (e instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE; // removed meanwhile (another process's sweep)
                    }
                    throw e;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    if (e != null && !(e instanceof NoSuchFileException)) {
                        throw e;
                    }
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
