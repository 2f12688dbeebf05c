/**
 * The embedding API: {@link io.strait.apps.api.Strait} (a builder; the port, address, cores, TCP options),
 * {@link io.strait.apps.api.ConnectionHandler} (events on the core's own thread), {@link io.strait.apps.api.Connection}
 * (write, shutdownOutput, close, abort, per-connection options) and {@link io.strait.apps.api.StraitCore} (one core:
 * listen, connect, tasks, and {@code execute} for work handed in from other threads through a bounded lock-free
 * queue).
 *
 * <p>Threads: handlers, tasks and Connection methods run on the owning core's thread; {@code Strait.listen},
 * {@code Strait.connect} and {@code StraitCore.execute} may be called from any thread. Units are in the names
 * ({@code nowNs}); buffers are Agrona {@code DirectBuffer}s valid during the call that hands them over.
 */
package io.strait.apps.api;
