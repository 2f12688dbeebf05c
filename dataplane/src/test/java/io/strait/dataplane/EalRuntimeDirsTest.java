package io.strait.dataplane;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DPDK runtime folders (issue 10, item 8): a temporary directory stands for /var/run/dpdk. */
class EalRuntimeDirsTest {
    @TempDir
    Path base;

    /** A runtime folder as DPDK leaves it: config and an fbarray file. */
    Path folder(String name) throws IOException {
        final Path f = Files.createDirectory(base.resolve(name));
        Files.write(f.resolve("config"), new byte[64]);
        Files.write(f.resolve("fbarray_memzone"), new byte[128]);
        return f;
    }

    @Test
    @DisplayName("At start: folders strait-<pid> of processes gone are removed; live ones and other names stay")
    void removesOnlyStaleStraitFolders() throws IOException {
        folder("strait-101");                       // gone
        folder("strait-102");                       // gone
        final Path live = folder("strait-200");     // running
        final Path leadingZero = folder("strait-0101");
        final Path suffix = folder("strait-101x");
        final Path otherPrefix = folder("rte-101");
        final Path bare = folder("strait-");
        final Path named = folder("strait-abc");
        final Path huge = folder("strait-99999999999999999999"); // beyond a long
        final Path plainFile = Files.write(base.resolve("strait-103"), new byte[1]);
        // A link named like a stale folder, pointing at a folder that must survive (never followed).
        final Path target = folder("keep");
        final Path link = Files.createSymbolicLink(base.resolve("strait-104"), target);

        final int removed = new EalRuntimeDirs(base).removeStale(Set.of(200L)::contains);

        assertEquals(2, removed);
        assertFalse(Files.exists(base.resolve("strait-101"), LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(base.resolve("strait-102"), LinkOption.NOFOLLOW_LINKS));
        for (Path kept : new Path[] {live, leadingZero, suffix, otherPrefix, bare, named, huge, plainFile, link}) {
            assertTrue(Files.exists(kept, LinkOption.NOFOLLOW_LINKS), "kept: " + kept.getFileName());
        }
        assertTrue(Files.exists(target.resolve("config")), "the link's target untouched");
        assertTrue(Files.exists(live.resolve("fbarray_memzone")), "a live process's files untouched");
    }

    @Test
    @DisplayName("At start, with /proc: this process's folder is live, a pid above pid_max is gone")
    void liveProcessesFromProc() throws IOException {
        final long self = ProcessHandle.current().pid();
        final Path mine = folder("strait-" + self);
        folder("strait-999999999"); // above the kernel's largest pid_max (2^22)
        assertEquals(1, new EalRuntimeDirs(base).removeStale());
        assertTrue(Files.exists(mine));
        assertFalse(Files.exists(base.resolve("strait-999999999")));
    }

    @Test
    @DisplayName("At a clean stop: this process's own folder is removed, nothing else")
    void removesOwnFolder() throws IOException {
        final EalRuntimeDirs dirs = new EalRuntimeDirs(base);
        final long self = ProcessHandle.current().pid();
        assertEquals(base.resolve("strait-" + self), dirs.folder(self));
        final Path mine = folder(EalRuntimeDirs.filePrefix(self));
        Files.createDirectory(mine.resolve("sub"));
        Files.write(mine.resolve("sub").resolve("f"), new byte[1]);
        final Path other = folder("strait-1");
        assertTrue(dirs.removeOwn());
        assertFalse(Files.exists(mine));
        assertTrue(Files.exists(other.resolve("config")));
        assertFalse(dirs.removeOwn(), "already gone: nothing to do, no error");
    }

    @Test
    @DisplayName("A missing base (DPDK never ran here) is nothing to clean, no error")
    void missingBase() {
        final EalRuntimeDirs dirs = new EalRuntimeDirs(base.resolve("absent"));
        assertEquals(0, dirs.removeStale());
        assertFalse(dirs.removeOwn());
    }

    @Test
    @DisplayName("The EAL file prefix names the folder DPDK creates")
    void filePrefixMatchesEalArguments() {
        final String prefix = "--file-prefix=" + EalRuntimeDirs.filePrefix(ProcessHandle.current().pid());
        assertTrue(Dataplane.ealArguments(new DataplaneConfig()).contains(prefix));
    }
}
