/*
 * strait-reflector: the physical floor for Strait's benchmarks.
 *
 * A minimal DPDK program on one port and one lcore that busy-polls and sends every frame straight back:
 *   - ARP request for our IP        -> ARP reply carrying the port's MAC (RFC 826), so a client can resolve us;
 *   - ICMP echo request to our IP   -> echo reply (RFC 792), checksum fixed incrementally (RFC 1624 eqn. 3);
 *   - anything else                 -> Ethernet MACs swapped and, if IPv4, IPv4 src/dst swapped; payload untouched.
 * Swapping IPv4 addresses keeps the IP, TCP and UDP checksums valid: a one's complement sum does not depend on
 * the order of its terms.
 *
 * Bursts of 32 in, one TX burst per loop; mbufs a partial TX left unsent are kept and sent first next loop.
 *
 * Usage: strait-reflector EAL_ARGS -- [--ip A.B.C.D]      (default 198.18.0.1)
 * Prints READY (flushed) once the port is started. SIGINT/SIGTERM stop polling and print the counters; the port is
 * closed once the peer has left (at most QUIESCE_MS later, at once on a second signal); exit 0.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#define PROG "strait-reflector"
#define BURST 32              /* frames per rx_burst */
#define PENDING_MAX (2 * BURST) /* frames waiting for TX; RX takes only what fits, so nothing is ever dropped */
#define NB_MBUFS 8191         /* 2^n - 1, the mempool's best size; small enough for --no-huge -m 512 */
#define MBUF_CACHE 256
#define RING_SIZE 1024
#define QUIESCE_MS 2000       /* after the first signal, how long the peer gets to close the link first */

static volatile sig_atomic_t signals; /* SIGINT/SIGTERM received: 1 stops polling, 2 skips the quiesce */

static void on_signal(int sig) { (void)sig; signals++; }

/*
 * Stop polling, then let the peer close the link before we do. DPDK 22.11's memif PMD unmaps the shared rings from
 * its interrupt thread when the peer leaves, without waiting for a burst running on the lcore: whichever side is
 * still polling then can fault. Waiting here, outside rx/tx, keeps the reflector out of that race.
 */
static void quiesce(uint16_t port)
{
    struct rte_eth_link link;
    for (int ms = 0; ms < QUIESCE_MS && signals < 2; ms += 10) {
        if (rte_eth_link_get_nowait(port, &link) != 0 || link.link_status == RTE_ETH_LINK_DOWN)
            return;
        rte_delay_ms(10);
    }
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for one 16-bit word m changed to m' (any byte order, used as loaded). */
static uint16_t cksum_update16(uint16_t hc, uint16_t m, uint16_t m_new)
{
    uint32_t sum = (uint16_t)~hc + (uint16_t)~m + (uint32_t)m_new;
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

struct counters { uint64_t rx, tx, arp, icmp; };

/* ARP request for our IP (RFC 826): turn it into the reply in place. Returns 1 if it did. */
static int reflect_arp(struct rte_ether_hdr *eth, uint32_t len, rte_be32_t ip, const struct rte_ether_addr *mac)
{
    struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);
    if (len < sizeof(*eth) + sizeof(*arp) || arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER)
        || arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) || arp->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST)
        || arp->arp_data.arp_tip != ip)
        return 0;
    arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
    arp->arp_data.arp_tha = arp->arp_data.arp_sha; /* the asker becomes the target */
    arp->arp_data.arp_tip = arp->arp_data.arp_sip;
    arp->arp_data.arp_sha = *mac;                  /* we answer with the port's MAC and our IP */
    arp->arp_data.arp_sip = ip;
    eth->dst_addr = arp->arp_data.arp_tha;
    eth->src_addr = *mac;
    return 1;
}

/* IPv4: swap addresses; an ICMP echo request to our IP becomes the echo reply. Returns 1 for an echo reply. */
static int reflect_ipv4(struct rte_ether_hdr *eth, uint32_t len, rte_be32_t ip)
{
    struct rte_ipv4_hdr *ip4 = (struct rte_ipv4_hdr *)(eth + 1);
    if (len < sizeof(*eth) + sizeof(*ip4))
        return 0;
    uint32_t ihl = (ip4->version_ihl & 0x0f) * 4u;
    rte_be32_t dst = ip4->dst_addr;
    ip4->dst_addr = ip4->src_addr;
    ip4->src_addr = dst;
    if (ip4->next_proto_id != IPPROTO_ICMP || dst != ip || ihl < sizeof(*ip4)
        || len < sizeof(*eth) + ihl + sizeof(struct rte_icmp_hdr))
        return 0;
    struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)((uint8_t *)ip4 + ihl);
    if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0)
        return 0;
    /* type and code share one 16-bit word: 8/0 becomes 0/0 */
    uint16_t old_word = *(unaligned_uint16_t *)icmp;
    icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
    icmp->icmp_cksum = cksum_update16(icmp->icmp_cksum, old_word, *(unaligned_uint16_t *)icmp);
    return 1;
}

/* One frame, rewritten in place to go back where it came from. */
static void reflect(struct rte_mbuf *m, rte_be32_t ip, const struct rte_ether_addr *mac, struct counters *c)
{
    uint32_t len = rte_pktmbuf_data_len(m); /* headers must sit in the first segment */
    if (len < sizeof(struct rte_ether_hdr))
        return;
    struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
    if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP) && reflect_arp(eth, len, ip, mac)) {
        c->arp++;
        return;
    }
    struct rte_ether_addr dst = eth->dst_addr;
    eth->dst_addr = eth->src_addr;
    eth->src_addr = dst;
    if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4))
        c->icmp += reflect_ipv4(eth, len, ip);
}

static int parse_app_args(int argc, char **argv, rte_be32_t *ip)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--ip") == 0 && i + 1 < argc) {
            struct in_addr a;
            if (inet_pton(AF_INET, argv[++i], &a) != 1) {
                fprintf(stderr, PROG ": bad --ip '%s' (want A.B.C.D)\n", argv[i]);
                return -1;
            }
            *ip = a.s_addr;
        } else {
            fprintf(stderr, PROG ": unknown or incomplete argument '%s'; usage: " PROG " EAL_ARGS -- [--ip A.B.C.D]\n",
                    argv[i]);
            return -1;
        }
    }
    return 0;
}

/* One RX and one TX queue on `port`, started. */
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
    rte_eth_promiscuous_enable(port); /* best effort: virtual ports may not support it, and need not */
    return 0;
}

int main(int argc, char **argv)
{
    int ret = rte_eal_init(argc, argv);
    if (ret < 0) {
        fprintf(stderr, PROG ": EAL init failed: %s\n", rte_strerror(rte_errno));
        return 1;
    }
    argc -= ret; /* argv[0] stays the program name, then the arguments after -- */
    argv += ret;
    rte_be32_t ip = RTE_BE32(RTE_IPV4(198, 18, 0, 1));
    if (parse_app_args(argc, argv, &ip) != 0) {
        rte_eal_cleanup();
        return 1;
    }
    if (rte_eth_dev_count_avail() == 0) {
        fprintf(stderr, PROG ": no DPDK port; give one with --vdev (e.g. net_memif0,role=server,socket=/tmp/x.sock)\n");
        rte_eal_cleanup();
        return 1;
    }
    uint16_t port = 0;
    RTE_ETH_FOREACH_DEV(port) break; /* the first port */

    struct rte_mempool *pool = rte_pktmbuf_pool_create("reflector", NB_MBUFS, MBUF_CACHE, 0,
                                                       RTE_MBUF_DEFAULT_BUF_SIZE, rte_eth_dev_socket_id(port));
    if (pool == NULL) {
        fprintf(stderr, PROG ": cannot create the mbuf pool: %s (try a larger -m)\n", rte_strerror(rte_errno));
        rte_eal_cleanup();
        return 1;
    }
    struct rte_ether_addr mac;
    if (port_start(port, pool) != 0 || rte_eth_macaddr_get(port, &mac) != 0) {
        rte_eal_cleanup();
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    printf("READY\n");
    fflush(stdout);

    struct counters c = {0, 0, 0, 0};
    struct rte_mbuf *pending[PENDING_MAX]; /* [0, n) wait for TX, oldest first */
    uint16_t n = 0;
    while (!signals) {
        /* RX only as much as fits behind what is still waiting: backpressure instead of drops */
        uint16_t room = PENDING_MAX - n;
        uint16_t nb_rx = rte_eth_rx_burst(port, 0, pending + n, room < BURST ? room : BURST);
        for (uint16_t i = 0; i < nb_rx; i++)
            reflect(pending[n + i], ip, &mac, &c);
        c.rx += nb_rx;
        n += nb_rx;
        if (n == 0)
            continue;
        uint16_t sent = rte_eth_tx_burst(port, 0, pending, n);
        c.tx += sent;
        n -= sent;
        if (n > 0) /* partial TX: keep the rest, in order, for the next loop */
            memmove(pending, pending + sent, n * sizeof(pending[0]));
    }

    printf("rx=%" PRIu64 " tx=%" PRIu64 " arp=%" PRIu64 " icmp=%" PRIu64 " unsent=%u\n", c.rx, c.tx, c.arp, c.icmp, n);
    fflush(stdout);
    quiesce(port);
    rte_pktmbuf_free_bulk(pending, n); /* exiting: what the port never took goes back to the pool */
    rte_eth_dev_stop(port);
    rte_eth_dev_close(port);
    rte_eal_cleanup();
    return 0;
}
