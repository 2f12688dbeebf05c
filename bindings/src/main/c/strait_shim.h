/*
 * strait_shim.h: the small C surface Strait reaches through Panama.
 *
 * DPDK's fast-path calls (rte_eth_rx_burst, rte_eth_tx_burst, rte_pktmbuf_alloc_bulk, rte_pktmbuf_free_bulk) are
 * static inline, so Panama cannot link them. This shim exports them batch-shaped: one downcall serves a whole
 * burst and hands back, per packet, the data address and length so Java never needs the rte_mbuf layout.
 * It also wraps the few set-up steps whose DPDK structures are awkward from Java (port configuration, device
 * info, RSS key and redirection table, rte_errno which is thread-local).
 *
 * Pointers that cross the fast path are passed as uintptr_t-sized integers where Java holds raw addresses.
 */
#ifndef STRAIT_SHIM_H
#define STRAIT_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One received packet, as strait_rx_burst reports it (16 bytes). */
struct strait_pkt {
    uint64_t addr;  /* address of the first byte of the frame (buf_addr + data_off) */
    uint32_t len;   /* frame length in bytes (single-segment mbufs only; multi-segment ones are dropped) */
    uint32_t flags; /* STRAIT_RX_* bits */
};

/* strait_pkt.flags: checksum verdicts from the NIC, set only when the port offloads RX checksums. */
#define STRAIT_RX_IP_CKSUM_GOOD 0x1u
#define STRAIT_RX_IP_CKSUM_BAD  0x2u
#define STRAIT_RX_L4_CKSUM_GOOD 0x4u
#define STRAIT_RX_L4_CKSUM_BAD  0x8u

/* Per-packet TX request bits, in the upper 16 bits of strait_tx_burst's lens[i] (low 16 bits: frame length). */
#define STRAIT_TX_IP_CKSUM  (1u << 16) /* NIC computes the IPv4 header checksum (l2_len 14, l3_len 20) */
#define STRAIT_TX_TCP_CKSUM (1u << 17) /* NIC completes the TCP checksum; the field holds the pseudo-header sum */

/* Port capability bits reported in strait_port_info.caps. */
#define STRAIT_CAP_RX_IP_CKSUM  0x1u
#define STRAIT_CAP_RX_TCP_CKSUM 0x2u
#define STRAIT_CAP_TX_IP_CKSUM  0x4u
#define STRAIT_CAP_TX_TCP_CKSUM 0x8u
#define STRAIT_CAP_RSS          0x10u
#define STRAIT_CAP_MEMIF_GUARD  0x20u  /* memif: bursts hold the driver's control lock, so a leaving peer cannot
                                          unmap the rings under a burst (see strait_shim.c) */

struct strait_port_info {
    uint8_t  mac[6];
    uint16_t max_rx_queues;
    uint16_t max_tx_queues;
    uint16_t reta_size;     /* RSS redirection table entries, 0 when the port has no RSS */
    uint32_t caps;          /* STRAIT_CAP_* */
    uint32_t mtu;
    uint8_t  rss_key_len;   /* bytes valid in rss_key */
    uint8_t  rss_key[64];
    char     driver[32];
};

/* Fills info for a port; returns 0 or a negative errno. */
int strait_port_info(uint16_t port, struct strait_port_info *info);

/*
 * Configures a port with nb_queues RX/TX queue pairs, enabling RSS over IPv4/TCP when nb_queues > 1 and the port
 * supports it, and the checksum offloads named in want_caps that the port advertises. Then sets up each queue
 * pair (RX queue i takes its mbufs from pools[i]) and starts the port in promiscuous-off, all-multicast-off mode.
 * Returns the capabilities actually enabled (>= 0) or a negative errno.
 */
int strait_port_start(uint16_t port, uint16_t nb_queues, uint16_t nb_rxd, uint16_t nb_txd,
                      void *const *pools, uint32_t want_caps);

/* Reads the port's RSS redirection table into reta (reta_size entries, each a queue index). 0 or -errno. */
int strait_port_reta(uint16_t port, uint16_t *reta, uint16_t reta_size);

/* 1 when the port's link is up, 0 when down, negative errno on error (rte_eth_link_get_nowait). */
int strait_link_up(uint16_t port);

/* The calling thread's rte_errno. */
int strait_errno(void);

/* Binds the calling (Java) thread to an lcore id so per-lcore mempool caches work; returns 0 or -1. */
int strait_thread_register(void);

/*
 * Receives up to n packets from (port, queue). mbufs[i] gets the mbuf, pkts[i] its data address, length and flags.
 * Returns how many were received.
 */
uint16_t strait_rx_burst(uint16_t port, uint16_t queue, void **mbufs, struct strait_pkt *pkts, uint16_t n);

/*
 * Sends n mbufs; lens[i] is the frame length (low 16 bits) and STRAIT_TX_* bits. Sets data_len and pkt_len and the
 * offload fields, then calls rte_eth_tx_burst. Returns how many the port took; the rest still belong to the caller.
 */
uint16_t strait_tx_burst(uint16_t port, uint16_t queue, void **mbufs, const uint32_t *lens, uint16_t n);

/* Allocates n mbufs from pool into mbufs[], their data addresses into addrs[]. Returns 0, or -1 (none taken). */
int strait_alloc_bulk(void *pool, void **mbufs, uint64_t *addrs, uint16_t n);

/* Frees n mbufs. */
void strait_free_bulk(void **mbufs, uint16_t n);

/* Room for a frame in an mbuf of this pool (data room minus headroom). */
uint32_t strait_mbuf_room(void *pool);

#ifdef __cplusplus
}
#endif
#endif
