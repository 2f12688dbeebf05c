/* strait_shim.c: see strait_shim.h. Built by bindings/src/main/c/build.sh (called by the Maven build). */
#include "strait_shim.h"

#include <errno.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_spinlock.h>
#include <rte_version.h>


/*
 * The memif teardown guard.
 *
 * DPDK 22.11's memif PMD handles its peer leaving on the EAL interrupt thread (memif_disconnect in
 * drivers/net/memif/memif_socket.c): it clears ETH_MEMIF_FLAG_CONNECTED, takes and releases the device's control
 * channel lock (pmd->cc_lock), then unmaps the shared regions. Its rx and tx bursts test the flag once on entry and
 * then read the rings, so a burst already running on a poll thread when the peer leaves reads unmapped memory and
 * the process dies with SIGSEGV in librte_net_memif. The driver offers no hook before the unmap.
 *
 * The guard makes cc_lock the grace period: a poll thread holds it (trylock, never waiting) for the whole of each
 * rx and tx burst, and skips the burst (0 packets) when it is taken. The disconnect then waits at its lock for the
 * burst in flight; every burst after it sees the flag cleared (the lock hand-over orders the flag's store before
 * the burst's load) and returns before touching a ring; the unmap comes after. Nothing else takes cc_lock on the
 * data path, so it is uncontended while the link is up: one locked instruction per burst.
 *
 * cc_lock sits in the driver's private data, whose layout DPDK does not install. The mirrors below follow 22.11's
 * lib/ethdev/ethdev_driver.h (struct rte_eth_dev, struct rte_eth_dev_data) and drivers/net/memif/rte_eth_memif.h
 * (the leading fields of struct pmd_internals). strait_memif_guard_find() enables the guard only when every field
 * it reads agrees with what public calls report: the DPDK version, the driver name, the device and its name, the
 * rx queue array, the memif role and flags, and the socket path from the device arguments. Otherwise the port runs
 * unguarded and the caller is told (the STRAIT_CAP_MEMIF_GUARD bit stays clear).
 */
struct strait_mirror_eth_dev_data {
    char name[RTE_ETH_NAME_MAX_LEN];
    void **rx_queues;
    void **tx_queues;
    uint16_t nb_rx_queues;
    uint16_t nb_tx_queues;
    struct rte_eth_dev_sriov sriov;
    void *dev_private;
};

struct strait_mirror_eth_dev {
    void *burst_fns[6];                              /* rx, tx, tx prepare, rx queue count, rx/tx descriptor status */
    struct strait_mirror_eth_dev_data *data;
    void *process_private;
    const void *dev_ops;
    struct rte_device *device;
    void *intr_handle;
    void *link_intr_cbs[2];                          /* a TAILQ head */
    void *post_rx_burst_cbs[RTE_MAX_QUEUES_PER_PORT];
    void *pre_tx_burst_cbs[RTE_MAX_QUEUES_PER_PORT];
    int state;
    void *security_ctx;
} __rte_cache_aligned;

struct strait_mirror_memif_pmd {
    uint32_t id;
    uint32_t role;                                   /* 0 server, 1 client */
    uint32_t flags;                                  /* ETH_MEMIF_FLAG_*: five bits defined */
    char *socket_filename;
    char secret[24];
    void *cc;
    rte_spinlock_t cc_lock;
};

extern struct strait_mirror_eth_dev rte_eth_devices[];

static rte_spinlock_t *memif_guard[RTE_MAX_ETHPORTS];

/* The value of key=... in a device argument string "a=1,key=v,b=2", into out; 0 when absent. */
static int devarg_value(const char *args, const char *key, char *out, size_t out_len) {
    size_t key_len = strlen(key);
    for (const char *p = args; p != NULL && *p != '\0'; ) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > key_len && strncmp(p, key, key_len) == 0 && p[key_len] == '=') {
            size_t v = len - key_len - 1;
            if (v >= out_len) {
                return 0;
            }
            memcpy(out, p + key_len + 1, v);
            out[v] = '\0';
            return 1;
        }
        p = end ? end + 1 : NULL;
    }
    return 0;
}

static rte_spinlock_t *strait_memif_guard_find(uint16_t port, const struct rte_eth_dev_info *dev) {
    if (strncmp(rte_version(), "DPDK 22.11", 10) != 0 || dev->driver_name == NULL
        || strcmp(dev->driver_name, "net_memif") != 0 || dev->device == NULL) {
        return NULL;
    }
    char name[RTE_ETH_NAME_MAX_LEN];
    if (rte_eth_dev_get_name_by_port(port, name) != 0) {
        return NULL;
    }
    const struct strait_mirror_eth_dev *ed = &rte_eth_devices[port];
    const struct strait_mirror_eth_dev_data *data = ed->data;
    if (data == NULL || ed->device != dev->device || strncmp(data->name, name, sizeof(name)) != 0
        || data->rx_queues != rte_eth_fp_ops[port].rxq.data || data->dev_private == NULL) {
        return NULL;
    }
    struct strait_mirror_memif_pmd *pmd = data->dev_private;
    if (pmd->role > 1 || (pmd->flags & ~0x1Fu) != 0 || pmd->socket_filename == NULL
        || (pmd->cc_lock.locked != 0 && pmd->cc_lock.locked != 1)) {
        return NULL;
    }
    char socket[256] = "/run/memif.sock";        /* the driver's default, ETH_MEMIF_DEFAULT_SOCKET_FILENAME */
    const struct rte_devargs *da = rte_dev_devargs(dev->device);
    if (da != NULL && da->args != NULL) {
        devarg_value(da->args, "socket", socket, sizeof(socket));
    }
    if (strncmp(pmd->socket_filename, socket, sizeof(socket)) != 0) {
        return NULL;
    }
    return &pmd->cc_lock;
}

/* Enter a burst on a guarded port: 0 when the driver is tearing the link down (skip the burst). */
static inline int guard_enter(uint16_t port) {
    rte_spinlock_t *g = port < RTE_MAX_ETHPORTS ? memif_guard[port] : NULL;
    return g == NULL || rte_spinlock_trylock(g);
}

static inline void guard_leave(uint16_t port) {
    rte_spinlock_t *g = port < RTE_MAX_ETHPORTS ? memif_guard[port] : NULL;
    if (g != NULL) {
        /* A release store, not rte_spinlock_unlock's xchg: on x86 a plain store already orders the burst's reads
         * and writes before it, and the driver's xchg-based lock sees the 0. One locked instruction per burst. */
        __atomic_store_n(&g->locked, 0, __ATOMIC_RELEASE);
    }
}

int strait_errno(void) { return rte_errno; }

int strait_link_up(uint16_t port) {
    struct rte_eth_link link;
    memset(&link, 0, sizeof(link));
    int rc = rte_eth_link_get_nowait(port, &link);
    return rc != 0 ? rc : (link.link_status == RTE_ETH_LINK_UP);
}

int strait_thread_register(void) {
    if (rte_lcore_id() != LCORE_ID_ANY) {
        return 0;
    }
    return rte_thread_register();
}

int strait_port_info(uint16_t port, struct strait_port_info *info) {
    struct rte_eth_dev_info dev;
    struct rte_ether_addr mac;
    memset(info, 0, sizeof(*info));
    int rc = rte_eth_dev_info_get(port, &dev);
    if (rc != 0) {
        return rc;
    }
    rc = rte_eth_macaddr_get(port, &mac);
    if (rc != 0) {
        return rc;
    }
    memcpy(info->mac, mac.addr_bytes, 6);
    info->max_rx_queues = dev.max_rx_queues;
    info->max_tx_queues = dev.max_tx_queues;
    info->reta_size = dev.reta_size;
    if (dev.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM) info->caps |= STRAIT_CAP_RX_IP_CKSUM;
    if (dev.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TCP_CKSUM) info->caps |= STRAIT_CAP_RX_TCP_CKSUM;
    if (dev.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) info->caps |= STRAIT_CAP_TX_IP_CKSUM;
    if (dev.tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) info->caps |= STRAIT_CAP_TX_TCP_CKSUM;
    if (dev.flow_type_rss_offloads & RTE_ETH_RSS_NONFRAG_IPV4_TCP) info->caps |= STRAIT_CAP_RSS;
    uint16_t mtu = 0;
    info->mtu = rte_eth_dev_get_mtu(port, &mtu) == 0 ? mtu : RTE_ETHER_MTU;
    uint8_t key_len = dev.hash_key_size > sizeof(info->rss_key) ? sizeof(info->rss_key) : dev.hash_key_size;
    if ((info->caps & STRAIT_CAP_RSS) && key_len > 0) {
        struct rte_eth_rss_conf conf = {.rss_key = info->rss_key, .rss_key_len = key_len};
        if (rte_eth_dev_rss_hash_conf_get(port, &conf) == 0) {
            info->rss_key_len = conf.rss_key_len;
        }
    }
    strncpy(info->driver, dev.driver_name ? dev.driver_name : "?", sizeof(info->driver) - 1);
    return 0;
}

int strait_port_start(uint16_t port, uint16_t nb_queues, uint16_t nb_rxd, uint16_t nb_txd,
                      void *const *pools, uint32_t want_caps) {
    struct rte_eth_dev_info dev;
    int rc = rte_eth_dev_info_get(port, &dev);
    if (rc != 0) {
        return rc;
    }
    struct rte_eth_conf conf;
    memset(&conf, 0, sizeof(conf));
    uint32_t enabled = 0;
    if (nb_queues > 1 && (dev.flow_type_rss_offloads & RTE_ETH_RSS_NONFRAG_IPV4_TCP)) {
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_key = NULL; /* keep the port's key; strait_port_info reads it back */
        conf.rx_adv_conf.rss_conf.rss_hf = dev.flow_type_rss_offloads &
            (RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_IPV4);
        enabled |= STRAIT_CAP_RSS;
    }
    if ((want_caps & STRAIT_CAP_RX_IP_CKSUM) && (dev.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM)) {
        conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
        enabled |= STRAIT_CAP_RX_IP_CKSUM;
    }
    if ((want_caps & STRAIT_CAP_RX_TCP_CKSUM) && (dev.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TCP_CKSUM)) {
        conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
        enabled |= STRAIT_CAP_RX_TCP_CKSUM;
    }
    if ((want_caps & STRAIT_CAP_TX_IP_CKSUM) && (dev.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM)) {
        conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
        enabled |= STRAIT_CAP_TX_IP_CKSUM;
    }
    if ((want_caps & STRAIT_CAP_TX_TCP_CKSUM) && (dev.tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_CKSUM)) {
        conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
        enabled |= STRAIT_CAP_TX_TCP_CKSUM;
    }
    rc = rte_eth_dev_configure(port, nb_queues, nb_queues, &conf);
    if (rc != 0) {
        return rc;
    }
    rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
    if (rc != 0) {
        return rc;
    }
    int socket = rte_eth_dev_socket_id(port);
    for (uint16_t q = 0; q < nb_queues; q++) {
        struct rte_eth_rxconf rxconf = dev.default_rxconf;
        rxconf.offloads = conf.rxmode.offloads;
        rc = rte_eth_rx_queue_setup(port, q, nb_rxd, socket, &rxconf, (struct rte_mempool *)pools[q]);
        if (rc != 0) {
            return rc;
        }
        struct rte_eth_txconf txconf = dev.default_txconf;
        txconf.offloads = conf.txmode.offloads;
        rc = rte_eth_tx_queue_setup(port, q, nb_txd, socket, &txconf);
        if (rc != 0) {
            return rc;
        }
    }
    rc = rte_eth_dev_start(port);
    if (rc != 0) {
        return rc;
    }
    rte_eth_promiscuous_disable(port);
    if (port < RTE_MAX_ETHPORTS) {
        memif_guard[port] = strait_memif_guard_find(port, &dev);
        if (memif_guard[port] != NULL) {
            enabled |= STRAIT_CAP_MEMIF_GUARD;
        }
    }
    return (int)enabled;
}

int strait_port_reta(uint16_t port, uint16_t *reta, uint16_t reta_size) {
    struct rte_eth_rss_reta_entry64 conf[RTE_ETH_RSS_RETA_SIZE_512 / RTE_ETH_RETA_GROUP_SIZE];
    if (reta_size == 0 || reta_size > RTE_ETH_RSS_RETA_SIZE_512) {
        return -EINVAL;
    }
    memset(conf, 0, sizeof(conf));
    for (uint16_t i = 0; i < reta_size / RTE_ETH_RETA_GROUP_SIZE; i++) {
        conf[i].mask = ~0ULL;
    }
    int rc = rte_eth_dev_rss_reta_query(port, conf, reta_size);
    if (rc != 0) {
        return rc;
    }
    for (uint16_t i = 0; i < reta_size; i++) {
        reta[i] = conf[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
    }
    return 0;
}

uint16_t strait_rx_burst(uint16_t port, uint16_t queue, void **mbufs, struct strait_pkt *pkts, uint16_t n) {
    struct rte_mbuf **m = (struct rte_mbuf **)mbufs;
    if (!guard_enter(port)) {
        return 0;
    }
    uint16_t got = rte_eth_rx_burst(port, queue, m, n);
    guard_leave(port);
    for (uint16_t i = 0; i < got; i++) {
        struct rte_mbuf *b = m[i];
        uint64_t ol = b->ol_flags;
        uint32_t flags = 0;
        if ((ol & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD) flags |= STRAIT_RX_IP_CKSUM_GOOD;
        if ((ol & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD) flags |= STRAIT_RX_IP_CKSUM_BAD;
        /* NONE: the checksum field is partial (a virtio peer left it to the device, NEEDS_CSUM) but the data's
         * integrity is verified (DPDK's definition of RTE_MBUF_F_RX_L4_CKSUM_NONE): as good as GOOD. */
        if ((ol & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD
            || (ol & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_NONE) flags |= STRAIT_RX_L4_CKSUM_GOOD;
        if ((ol & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD) flags |= STRAIT_RX_L4_CKSUM_BAD;
        pkts[i].addr = (uint64_t)(uintptr_t)rte_pktmbuf_mtod(b, void *);
        /* A chained (multi-segment) mbuf is reported with length 0: the caller drops and counts it. */
        pkts[i].len = b->nb_segs == 1 ? b->data_len : 0;
        pkts[i].flags = flags;
    }
    return got;
}

uint16_t strait_tx_burst(uint16_t port, uint16_t queue, void **mbufs, const uint32_t *lens, uint16_t n) {
    struct rte_mbuf **m = (struct rte_mbuf **)mbufs;
    for (uint16_t i = 0; i < n; i++) {
        struct rte_mbuf *b = m[i];
        uint32_t l = lens[i];
        b->data_len = (uint16_t)(l & 0xFFFF);
        b->pkt_len = l & 0xFFFF;
        b->nb_segs = 1;
        b->next = NULL;
        uint64_t ol = 0;
        if (l & (STRAIT_TX_IP_CKSUM | STRAIT_TX_TCP_CKSUM)) {
            ol |= RTE_MBUF_F_TX_IPV4;
            b->l2_len = 14;
            b->l3_len = 20;
        }
        if (l & STRAIT_TX_IP_CKSUM) ol |= RTE_MBUF_F_TX_IP_CKSUM;
        if (l & STRAIT_TX_TCP_CKSUM) ol |= RTE_MBUF_F_TX_TCP_CKSUM;
        b->ol_flags = ol;
    }
    if (!guard_enter(port)) {
        return 0;
    }
    uint16_t sent = rte_eth_tx_burst(port, queue, m, n);
    guard_leave(port);
    return sent;
}

int strait_alloc_bulk(void *pool, void **mbufs, uint64_t *addrs, uint16_t n) {
    struct rte_mbuf **m = (struct rte_mbuf **)mbufs;
    if (rte_pktmbuf_alloc_bulk((struct rte_mempool *)pool, m, n) != 0) {
        return -1;
    }
    for (uint16_t i = 0; i < n; i++) {
        addrs[i] = (uint64_t)(uintptr_t)rte_pktmbuf_mtod(m[i], void *);
    }
    return 0;
}

void strait_free_bulk(void **mbufs, uint16_t n) {
    rte_pktmbuf_free_bulk((struct rte_mbuf **)mbufs, n);
}

uint32_t strait_mbuf_room(void *pool) {
    return rte_pktmbuf_data_room_size((struct rte_mempool *)pool) - RTE_PKTMBUF_HEADROOM;
}
