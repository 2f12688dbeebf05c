/* The DPDK API subset Strait calls through jextract-generated bindings, plus the shim. See regenerate.sh. */
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include "../src/main/c/strait_shim.h"
