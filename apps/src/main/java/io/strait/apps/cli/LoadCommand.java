package io.strait.apps.cli;

import java.io.PrintStream;
import java.util.List;

/** {@code strait load}: active opens from Strait itself (CONTRACT.md "Load"). */
final class LoadCommand {
    private LoadCommand() {
    }

    static int run(List<String> argv, PrintStream out, PrintStream err) {
        throw new IllegalStateException("load is not built yet (issue 4); use wrk or h2load from the peer namespace");
    }
}
