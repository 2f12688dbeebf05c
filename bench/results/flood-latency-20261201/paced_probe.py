import socket, time, sys
# Paced latency probe: one keep-alive connection, one GET every INTERVAL, RTT per request.
n = int(sys.argv[1]); interval = float(sys.argv[2])
s = socket.create_connection(('198.18.0.2', 80), timeout=5)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
req = b'GET / HTTP/1.1\r\nHost: strait\r\n\r\n'
lat = []; errors = 0; nxt = time.perf_counter()
for i in range(n):
    nxt += interval
    t = time.perf_counter_ns()
    try:
        s.sendall(req); got = b''
        while not got.endswith(b'hello\n'):
            b = s.recv(4096)
            if not b: raise OSError('eof')
            got += b
        lat.append(time.perf_counter_ns() - t)
    except OSError:
        errors += 1
        s = socket.create_connection(('198.18.0.2', 80), timeout=5)
    d = nxt - time.perf_counter()
    if d > 0: time.sleep(d)
lat.sort(); q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] / 1000
print(f'n {len(lat)} errors {errors} p50 {q(.5):.0f} p99 {q(.99):.0f} p99.9 {q(.999):.0f} max {lat[-1]/1000:.0f} us')
