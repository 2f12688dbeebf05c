package io.strait.dataplane;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import java.io.File;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The counters of one Strait process in a memory-mapped file, as Aeron's CnC file: a header, Agrona's counter
 * metadata, then the values. The process writes them (single writer per counter, release stores); {@code strait
 * stat}, another process, maps the same file and reads them live.
 * <pre>
 * +--------------------------------------------------+
 * | magic "STRC" | version | pid (8) | start ms (8)  |  header, 64 bytes
 * | metadata length (4) | values length (4) | ...    |
 * +--------------------------------------------------+
 * | counter metadata (Agrona CountersManager)        |
 * +--------------------------------------------------+
 * | counter values (128 bytes per counter)           |
 * +--------------------------------------------------+
 * </pre>
 */
public final class CountersFile implements AutoCloseable {
    /** Folder of the live counters files, one per running process. */
    public static final Path DIRECTORY = Path.of(System.getProperty("strait.counters.dir", "/dev/shm/strait"));
    private static final int MAGIC = 0x43525453; // "STRC" little-endian
    private static final int VERSION = 1;
    private static final int HEADER_LENGTH = 64;
    private static final int PID_OFFSET = 8;
    private static final int START_OFFSET = 16;
    private static final int METADATA_LENGTH_OFFSET = 24;
    private static final int VALUES_LENGTH_OFFSET = 28;

    private final Path path;
    private final MappedByteBuffer mapped;
    private final CountersManager manager;

    private CountersFile(Path path, MappedByteBuffer mapped, CountersManager manager) {
        this.path = path;
        this.mapped = mapped;
        this.manager = manager;
    }

    /** Creates this process's counters file with room for {@code maxCounters} counters. */
    public static CountersFile create(int maxCounters) {
        final long pid = ProcessHandle.current().pid();
        final Path path = DIRECTORY.resolve("strait-" + pid + ".counters");
        final int valuesLength = maxCounters * CountersReader.COUNTER_LENGTH;
        final int metadataLength = maxCounters * CountersReader.METADATA_LENGTH;
        try {
            Files.createDirectories(DIRECTORY);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create " + DIRECTORY + ": " + e.getMessage());
        }
        final File file = path.toFile();
        file.delete();
        final MappedByteBuffer mapped = IoUtil.mapNewFile(file, HEADER_LENGTH + metadataLength + valuesLength);
        final UnsafeBuffer header = new UnsafeBuffer(mapped, 0, HEADER_LENGTH);
        header.putLong(PID_OFFSET, pid);
        header.putLong(START_OFFSET, System.currentTimeMillis());
        header.putInt(METADATA_LENGTH_OFFSET, metadataLength);
        header.putInt(VALUES_LENGTH_OFFSET, valuesLength);
        header.putInt(4, VERSION);
        final UnsafeBuffer metadata = new UnsafeBuffer(mapped, HEADER_LENGTH, metadataLength);
        final UnsafeBuffer values = new UnsafeBuffer(mapped, HEADER_LENGTH + metadataLength, valuesLength);
        final CountersManager manager = new CountersManager(metadata, values, StandardCharsets.US_ASCII);
        header.putIntVolatile(0, MAGIC); // last: readers see a complete header
        return new CountersFile(path, mapped, manager);
    }

    public CountersManager manager() {
        return manager;
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() {
        IoUtil.unmap(mapped);
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // best effort: a later stat skips files whose process is gone
        }
    }

    /** A counters file of a live process, mapped read-only. */
    public record Live(long pid, long startMs, CountersReader reader) {
    }

    /** The counters files of running Strait processes; files left by dead processes are removed. */
    public static List<Live> live() {
        final List<Live> out = new ArrayList<>();
        if (!Files.isDirectory(DIRECTORY)) {
            return out;
        }
        try (var files = Files.list(DIRECTORY)) {
            for (Path p : (Iterable<Path>) files.sorted()::iterator) {
                if (!p.getFileName().toString().endsWith(".counters")) {
                    continue;
                }
                final Live live = open(p);
                if (live != null) {
                    out.add(live);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + DIRECTORY + ": " + e.getMessage());
        }
        return out;
    }

    private static Live open(Path p) {
        try (FileChannel ch = FileChannel.open(p)) {
            if (ch.size() < HEADER_LENGTH) {
                return null;
            }
            final MappedByteBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
            final UnsafeBuffer header = new UnsafeBuffer(mapped, 0, HEADER_LENGTH);
            if (header.getIntVolatile(0) != MAGIC || header.getInt(4) != VERSION) {
                return null;
            }
            final long pid = header.getLong(PID_OFFSET);
            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) == Boolean.FALSE) {
                Files.deleteIfExists(p);
                return null;
            }
            final int metadataLength = header.getInt(METADATA_LENGTH_OFFSET);
            final int valuesLength = header.getInt(VALUES_LENGTH_OFFSET);
            final CountersReader reader = new CountersReader(
                new UnsafeBuffer(mapped, HEADER_LENGTH, metadataLength),
                new UnsafeBuffer(mapped, HEADER_LENGTH + metadataLength, valuesLength),
                StandardCharsets.US_ASCII);
            return new Live(pid, header.getLong(START_OFFSET), reader);
        } catch (IOException e) {
            return null;
        }
    }
}
