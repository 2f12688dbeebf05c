package io.strait.it;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 4: the README's embedding example runs as written and serves a real client. */
class EmbeddingIT {
    @Test
    void readmeEchoExampleServesNc() throws Exception {
        final String jdk = Cmd.run(30, "bash", "-c", "source setup/lib.sh && find_jdk").out().strip();
        final String flags = Cmd.run(30, "bash", "-c", "source setup/lib.sh && jvm_flags").out().strip();
        final List<String> argv = new ArrayList<>(List.of(jdk + "/bin/java"));
        argv.addAll(List.of(flags.split(" ")));
        argv.addAll(List.of("-Dstrait.shim=" + Cmd.ROOT.resolve("bindings/target/native/libstrait_shim.so"),
            "-cp", Cmd.ROOT.resolve("apps/target/strait-apps-0.1.0-SNAPSHOT.jar") + ":"
                + Cmd.ROOT.resolve("apps/target/lib/*"), "io.strait.apps.examples.EchoExample", "30000"));
        final Process p = new ProcessBuilder(argv).directory(Cmd.ROOT.toFile()).redirectErrorStream(true).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            final StringBuilder seen = new StringBuilder();
            while ((line = r.readLine()) != null && !line.startsWith("READY")) {
                seen.append(line).append('\n');
            }
            assertTrue(line != null, "example printed READY: " + seen);
            final Cmd.Result echo = Cmd.peer(30, "sh", "-c", "printf 'embedded\\n' | nc -q 2 198.18.0.2 7");
            assertEquals("embedded\n", echo.out(), echo.toString());
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
