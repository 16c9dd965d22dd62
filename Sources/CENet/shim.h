#ifndef KK_CENET_SHIM_H
#define KK_CENET_SHIM_H
/* ENet shim: the header Swift imports plus wrappers for its macros. Prefix: crelay_. */
#include <enet/enet.h>

static inline enet_uint32 crelay_enet_host_any(void) { return ENET_HOST_ANY; }
static inline enet_uint16 crelay_enet_port_any(void) { return ENET_PORT_ANY; }
static inline int crelay_enet_socket_fd(ENetHost *host) { return (int)host->socket; }
static inline enet_uint32 crelay_enet_packet_flag_reliable(void) { return ENET_PACKET_FLAG_RELIABLE; }
static inline enet_uint32 crelay_enet_packet_flag_unsequenced(void) { return ENET_PACKET_FLAG_UNSEQUENCED; }
static inline enet_uint32 crelay_enet_packet_flag_no_allocate(void) { return ENET_PACKET_FLAG_NO_ALLOCATE; }

#endif
