/*
 * strait-pinger: the C client of the floor. With strait-reflector on the other end, both sides are C, pinned and
 * busy-polling, so their round trip is the port, the PMD and the CPUs and nothing else.
 *
 * One port, one lcore (the main one, pinned by EAL's -l), busy-poll. It resolves the reflector's MAC with one ARP
 * exchange (or takes --target-mac), then sends ICMP echo requests (RFC 792) one at a time: the next goes out once
 * the last is answered (or --timeout-ms passed, counted lost). Each round trip is read with rte_rdtsc around the TX
 * burst and the RX burst that brought the reply. --warmup requests are discarded, then rounds of --count requests
 * are measured until two consecutive rounds' p50 differ by less than --tolerance percent (or --rounds ran); each
 * round prints one line, and the last one is the result:
 *   result p50_us= p90_us= p99_us= p999_us= max_us= min_us= count= lost= rounds= stable=yes|no
 *
 * Usage: strait-pinger EAL_ARGS -- [--ip A.B.C.D] [--mac XX:XX:XX:XX:XX:XX] [--target A.B.C.D]
 *        [--target-mac XX:..] [--size BYTES] [--warmup N] [--count N] [--rounds N] [--tolerance PCT]
 *        [--timeout-ms MS] [--linger-ms MS]
 * Defaults: --ip 198.18.0.2, the port's MAC, --target 198.18.0.1, --size 64, --warmup 10000, --count 200000,
 * --rounds 10, --tolerance 5, --timeout-ms 100, --linger-ms 10000.
 *
 * Teardown: once the result is printed it stops polling and waits for the reflector to leave (link down), a signal,
 * or --linger-ms, and only then closes its port: DPDK 22.11's memif PMD unmaps the rings from its interrupt thread
 * when the peer leaves, under whichever lcore is still in a burst (see README.md). A signal while measuring stops
 * at once: no result, exit 1. Errors are one line on stderr and exit 1; a result exits 0.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#define PROG "strait-pinger"
#define BURST 32
#define NB_MBUFS 8191         /* 2^n - 1; enough to fill the RX ring and small enough for --no-huge -m 512 */
#define MBUF_CACHE 256
#define RING_SIZE 1024
#define MAX_SIZE 1400         /* ICMP payload bytes: one frame, one segment */
#define LINK_WAIT_MS 10000    /* memif: the server must accept us */
#define ARP_TRIES 50          /* one request every 100 ms */

static volatile sig_atomic_t signals;

static void on_signal(int sig) { (void)sig; signals++; }

struct opts {
    rte_be32_t ip, target;
    struct rte_ether_addr mac, target_mac;
    int have_mac, have_target_mac;
    uint32_t size, warmup, count, rounds, timeout_ms, linger_ms;
    double tolerance;
};

static int parse_u32(const char *name, const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, PROG ": bad %s '%s' (want %u..%u)\n", name, s, lo, hi);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

static int parse_ip(const char *name, const char *s, rte_be32_t *out)
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1) {
        fprintf(stderr, PROG ": bad %s '%s' (want A.B.C.D)\n", name, s);
        return -1;
    }
    *out = a.s_addr;
    return 0;
}

static int parse_mac(const char *name, const char *s, struct rte_ether_addr *out)
{
    if (rte_ether_unformat_addr(s, out) != 0) {
        fprintf(stderr, PROG ": bad %s '%s' (want XX:XX:XX:XX:XX:XX)\n", name, s);
        return -1;
    }
    return 0;
}

static int parse_app_args(int argc, char **argv, struct opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int r;
        if (v == NULL)
            r = -2;
        else if (strcmp(a, "--ip") == 0)
            r = parse_ip(a, v, &o->ip);
        else if (strcmp(a, "--target") == 0)
            r = parse_ip(a, v, &o->target);
        else if (strcmp(a, "--mac") == 0) {
            r = parse_mac(a, v, &o->mac);
            o->have_mac = 1;
        } else if (strcmp(a, "--target-mac") == 0) {
            r = parse_mac(a, v, &o->target_mac);
            o->have_target_mac = 1;
        }
        else if (strcmp(a, "--size") == 0)
            r = parse_u32(a, v, 0, MAX_SIZE, &o->size);
        else if (strcmp(a, "--warmup") == 0)
            r = parse_u32(a, v, 0, 100000000, &o->warmup);
        else if (strcmp(a, "--count") == 0)
            r = parse_u32(a, v, 1, 100000000, &o->count);
        else if (strcmp(a, "--rounds") == 0)
            r = parse_u32(a, v, 1, 1000, &o->rounds);
        else if (strcmp(a, "--timeout-ms") == 0)
            r = parse_u32(a, v, 1, 60000, &o->timeout_ms);
        else if (strcmp(a, "--linger-ms") == 0)
            r = parse_u32(a, v, 0, 3600000, &o->linger_ms);
        else if (strcmp(a, "--tolerance") == 0) {
            uint32_t pct;
            r = parse_u32(a, v, 1, 100, &pct);
            o->tolerance = pct / 100.0;
        } else
            r = -2;
        if (r == -2) {
            fprintf(stderr, PROG ": unknown or incomplete argument '%s'; usage: " PROG " EAL_ARGS -- [--ip A.B.C.D] "
                    "[--mac MAC] [--target A.B.C.D] [--target-mac MAC] [--size B] [--warmup N] [--count N] "
                    "[--rounds N] [--tolerance PCT] [--timeout-ms MS] [--linger-ms MS]\n", a);
            return -1;
        }
        if (r != 0)
            return -1;
        i++;
    }
    return 0;
}

/* One RX and one TX queue on `port`, started (as the reflector does). */
static int port_start(uint16_t port, struct rte_mempool *pool)
{
    struct rte_eth_conf conf;
    uint16_t nb_rxd = RING_SIZE, nb_txd = RING_SIZE;
    int ret;
    memset(&conf, 0, sizeof(conf));
    if ((ret = rte_eth_dev_configure(port, 1, 1, &conf)) != 0
        || (ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd)) != 0
        || (ret = rte_eth_rx_queue_setup(port, 0, nb_rxd, rte_eth_dev_socket_id(port), NULL, pool)) != 0
        || (ret = rte_eth_tx_queue_setup(port, 0, nb_txd, rte_eth_dev_socket_id(port), NULL)) != 0
        || (ret = rte_eth_dev_start(port)) != 0) {
        fprintf(stderr, PROG ": cannot start port %u: %s\n", port, rte_strerror(-ret));
        return -1;
    }
    rte_eth_promiscuous_enable(port); /* best effort: a --mac other than the port's still gets its replies */
    return 0;
}

static int link_is(uint16_t port, int up)
{
    struct rte_eth_link link;
    return rte_eth_link_get_nowait(port, &link) == 0 && (link.link_status == RTE_ETH_LINK_UP) == up;
}

/*
 * Sends one frame: `m` (data_len bytes already written) until the port takes it. A frame the port did not take is
 * still ours; only on a signal is it freed here, never after the port took it (the PMD frees what it sent).
 */
static int send1(uint16_t port, struct rte_mbuf *m)
{
    while (rte_eth_tx_burst(port, 0, &m, 1) == 0) {
        if (signals) {
            rte_pktmbuf_free(m);
            return -1;
        }
    }
    return 0;
}

static struct rte_mbuf *alloc_frame(struct rte_mempool *pool, const void *frame, uint16_t len)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
    if (m == NULL) {
        fprintf(stderr, PROG ": mbuf pool empty\n");
        return NULL;
    }
    memcpy(rte_pktmbuf_append(m, len), frame, len);
    return m;
}

/* The reflector's MAC, from one ARP exchange (RFC 826): a request every 100 ms until the reply. */
static int resolve(uint16_t port, struct rte_mempool *pool, const struct opts *o, struct rte_ether_addr *out)
{
    uint8_t req[sizeof(struct rte_ether_hdr) + sizeof(struct rte_arp_hdr)] __rte_aligned(2);
    struct rte_ether_hdr *eth = (struct rte_ether_hdr *)req;
    struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);
    memset(req, 0, sizeof(req));
    memset(&eth->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
    eth->src_addr = o->mac;
    eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
    arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
    arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
    arp->arp_hlen = RTE_ETHER_ADDR_LEN;
    arp->arp_plen = 4;
    arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
    arp->arp_data.arp_sha = o->mac;
    arp->arp_data.arp_sip = o->ip;
    arp->arp_data.arp_tip = o->target;
    uint64_t hz = rte_get_tsc_hz();
    for (int t = 0; t < ARP_TRIES && !signals; t++) {
        struct rte_mbuf *m = alloc_frame(pool, req, sizeof(req));
        if (m == NULL || send1(port, m) != 0)
            return -1;
        uint64_t until = rte_rdtsc() + hz / 10;
        while (rte_rdtsc() < until && !signals) {
            struct rte_mbuf *rx[BURST];
            uint16_t nb = rte_eth_rx_burst(port, 0, rx, BURST);
            int found = 0;
            for (uint16_t i = 0; i < nb; i++) {
                struct rte_ether_hdr *reth = rte_pktmbuf_mtod(rx[i], struct rte_ether_hdr *);
                struct rte_arp_hdr *rarp = (struct rte_arp_hdr *)(reth + 1);
                if (!found && rte_pktmbuf_data_len(rx[i]) >= sizeof(req)
                    && reth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP)
                    && rarp->arp_opcode == RTE_BE16(RTE_ARP_OP_REPLY) && rarp->arp_data.arp_sip == o->target) {
                    *out = rarp->arp_data.arp_sha;
                    found = 1;
                }
                rte_pktmbuf_free(rx[i]);
            }
            if (found)
                return 0;
        }
    }
    if (!signals)
        fprintf(stderr, PROG ": no ARP reply from the target in %d s\n", ARP_TRIES / 10);
    return -1;
}

struct echo {
    uint8_t frame[sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_icmp_hdr)
                  + MAX_SIZE];
    uint16_t len, icmp_len;
    rte_be16_t ident;
};

static void echo_template(struct echo *e, const struct opts *o, const struct rte_ether_addr *dst)
{
    memset(e, 0, sizeof(*e));
    struct rte_ether_hdr *eth = (struct rte_ether_hdr *)e->frame;
    struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
    struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)(ip + 1);
    e->icmp_len = sizeof(*icmp) + o->size;
    e->len = sizeof(*eth) + sizeof(*ip) + e->icmp_len;
    e->ident = rte_cpu_to_be_16((uint16_t)getpid());
    eth->dst_addr = *dst;
    eth->src_addr = o->mac;
    eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + e->icmp_len);
    ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_ICMP;
    ip->src_addr = o->ip;
    ip->dst_addr = o->target;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
    icmp->icmp_ident = e->ident;
    for (uint32_t i = 0; i < o->size; i++)
        ((uint8_t *)(icmp + 1))[i] = (uint8_t)i;
}

/* Is `m` the echo reply to `seq`, payload intact? */
static int is_reply(struct rte_mbuf *m, const struct echo *e, rte_be16_t seq)
{
    const size_t off = sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr);
    if (rte_pktmbuf_data_len(m) < e->len)
        return 0;
    const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
    const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)p;
    const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
    const struct rte_icmp_hdr *icmp = (const struct rte_icmp_hdr *)(p + off);
    return eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4) && ip->version_ihl == RTE_IPV4_VHL_DEF
        && ip->next_proto_id == IPPROTO_ICMP && icmp->icmp_type == RTE_IP_ICMP_ECHO_REPLY
        && icmp->icmp_ident == e->ident && icmp->icmp_seq_nb == seq
        && memcmp(icmp + 1, e->frame + off + sizeof(*icmp), e->icmp_len - sizeof(*icmp)) == 0;
}

/* One round trip: its TSC cycles, 0 if no reply within the timeout, -1 on a signal or an error. */
static int64_t ping(uint16_t port, struct rte_mempool *pool, struct echo *e, uint16_t seq, uint64_t timeout)
{
    struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)(e->frame + sizeof(struct rte_ether_hdr)
                                                        + sizeof(struct rte_ipv4_hdr));
    icmp->icmp_seq_nb = rte_cpu_to_be_16(seq);
    icmp->icmp_cksum = 0;
    icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, e->icmp_len);
    struct rte_mbuf *m = alloc_frame(pool, e->frame, e->len);
    if (m == NULL)
        return -1;
    uint64_t t0 = rte_rdtsc();
    if (send1(port, m) != 0)
        return -1;
    for (;;) {
        struct rte_mbuf *rx[BURST];
        uint16_t nb = rte_eth_rx_burst(port, 0, rx, BURST);
        uint64_t t1 = rte_rdtsc();
        int found = 0;
        for (uint16_t i = 0; i < nb; i++) {
            found |= is_reply(rx[i], e, icmp->icmp_seq_nb); /* a late reply to an earlier one is dropped */
            rte_pktmbuf_free(rx[i]);
        }
        if (found)
            return (int64_t)(t1 - t0);
        if (signals)
            return -1;
        if (t1 - t0 > timeout)
            return 0;
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

struct stats { double p50, p90, p99, p999, max, min; uint32_t count, lost; };

/* Nearest-rank percentile of the sorted samples. */
static double pct_us(const uint64_t *s, uint32_t n, double p, double us_per_cycle)
{
    uint32_t rank = (uint32_t)(p * n + 0.999999);
    return s[rank == 0 ? 0 : rank - 1] * us_per_cycle;
}

static void print_stats(const char *head, const struct stats *s)
{
    printf("%s p50_us=%.3f p90_us=%.3f p99_us=%.3f p999_us=%.3f max_us=%.3f min_us=%.3f count=%u lost=%u", head,
           s->p50, s->p90, s->p99, s->p999, s->max, s->min, s->count, s->lost);
}

int main(int argc, char **argv)
{
    int ret = rte_eal_init(argc, argv);
    if (ret < 0) {
        fprintf(stderr, PROG ": EAL init failed: %s\n", rte_strerror(rte_errno));
        return 1;
    }
    argc -= ret;
    argv += ret;
    struct opts o = { .ip = RTE_BE32(RTE_IPV4(198, 18, 0, 2)), .target = RTE_BE32(RTE_IPV4(198, 18, 0, 1)),
                      .size = 64, .warmup = 10000, .count = 200000, .rounds = 10, .tolerance = 0.05,
                      .timeout_ms = 100, .linger_ms = 10000 };
    if (parse_app_args(argc, argv, &o) != 0) {
        rte_eal_cleanup();
        return 1;
    }
    if (rte_eth_dev_count_avail() == 0) {
        fprintf(stderr, PROG ": no DPDK port; give one with --vdev (e.g. net_memif0,role=client,socket=/tmp/x.sock)\n");
        rte_eal_cleanup();
        return 1;
    }
    uint16_t port = 0;
    RTE_ETH_FOREACH_DEV(port) break;
    struct rte_mempool *pool = rte_pktmbuf_pool_create("pinger", NB_MBUFS, MBUF_CACHE, 0,
                                                       RTE_MBUF_DEFAULT_BUF_SIZE, rte_eth_dev_socket_id(port));
    uint64_t *samples = malloc(sizeof(uint64_t) * o.count);
    if (pool == NULL || samples == NULL) {
        fprintf(stderr, PROG ": cannot allocate the mbuf pool or the samples (try a larger -m)\n");
        rte_eal_cleanup();
        return 1;
    }
    if (port_start(port, pool) != 0 || (!o.have_mac && rte_eth_macaddr_get(port, &o.mac) != 0)) {
        rte_eal_cleanup();
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    int status = 1;
    const uint64_t hz = rte_get_tsc_hz();
    const double us_per_cycle = 1e6 / hz;
    for (int ms = 0; !link_is(port, 1); ms += 10) {
        if (signals || ms >= LINK_WAIT_MS) {
            fprintf(stderr, PROG ": %s\n", signals ? "interrupted" : "link still down after 10 s (no reflector?)");
            goto out;
        }
        rte_delay_ms(10);
    }
    if (!o.have_target_mac && resolve(port, pool, &o, &o.target_mac) != 0)
        goto out;
    char mac[RTE_ETHER_ADDR_FMT_SIZE];
    rte_ether_format_addr(mac, sizeof(mac), &o.target_mac);
    printf("target %s tsc_hz=%" PRIu64 "\n", mac, hz);
    fflush(stdout);

    static struct echo e;
    echo_template(&e, &o, &o.target_mac);
    const uint64_t timeout = hz / 1000 * o.timeout_ms;
    uint16_t seq = 0;
    for (uint32_t i = 0; i < o.warmup; i++)
        if (ping(port, pool, &e, seq++, timeout) < 0)
            goto out;
    struct stats s, prev = {0};
    uint32_t round;
    int stable = 0;
    for (round = 1; round <= o.rounds && !stable; round++) {
        memset(&s, 0, sizeof(s));
        for (uint32_t i = 0; i < o.count; i++) {
            int64_t c = ping(port, pool, &e, seq++, timeout);
            if (c < 0)
                goto out;
            if (c == 0)
                s.lost++;
            else
                samples[s.count++] = (uint64_t)c;
        }
        if (s.count == 0) {
            fprintf(stderr, PROG ": no reply in round %u\n", round);
            goto out;
        }
        qsort(samples, s.count, sizeof(samples[0]), cmp_u64);
        s.p50 = pct_us(samples, s.count, 0.50, us_per_cycle);
        s.p90 = pct_us(samples, s.count, 0.90, us_per_cycle);
        s.p99 = pct_us(samples, s.count, 0.99, us_per_cycle);
        s.p999 = pct_us(samples, s.count, 0.999, us_per_cycle);
        s.max = samples[s.count - 1] * us_per_cycle;
        s.min = samples[0] * us_per_cycle;
        stable = round > 1 && s.p50 < prev.p50 * (1 + o.tolerance) && s.p50 > prev.p50 * (1 - o.tolerance);
        char head[32];
        snprintf(head, sizeof(head), "round=%u", round);
        print_stats(head, &s);
        printf("\n");
        fflush(stdout);
        prev = s;
    }
    print_stats("result", &s);
    printf(" rounds=%u stable=%s\n", round - 1, stable ? "yes" : "no");
    fflush(stdout);
    status = 0;
    /* Not polling any more: let the reflector leave first (its rings go away under nobody's burst). */
    for (uint32_t ms = 0; ms < o.linger_ms && !signals && link_is(port, 1); ms += 10)
        rte_delay_us_sleep(10000); /* asleep, not spinning: the CPU is the reflector's teardown's to use */
out:
    rte_eth_dev_stop(port);
    rte_eth_dev_close(port);
    rte_eal_cleanup();
    free(samples);
    return status;
}
