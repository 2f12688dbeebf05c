
delay = function() return 10 end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d seconds=%f connect=%d read=%d write=%d status=%d timeout=%d p50=%f p99=%f max=%f\n",
    summary.requests, summary.duration / 1e6, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
