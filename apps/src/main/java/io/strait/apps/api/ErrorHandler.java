package io.strait.apps.api;

/**
 * Where a core reports an exception thrown by app code it ran (a command given to {@link StraitCore#execute}, a
 * {@link StraitCore.Task}); the core carries on. Runs on the core's thread.
 */
@FunctionalInterface
public interface ErrorHandler {
    /** Prints one line and the stack on stderr. */
    ErrorHandler PRINT = (core, error) -> {
        System.err.println("strait: core " + core.index() + ": " + error);
        error.printStackTrace();
    };

    void onError(StraitCore core, Throwable error);
}
