#include "drivers/socket_drops.h"

#include <linux/if_packet.h>
#include <linux/if_xdp.h>
#include <sys/socket.h>

#ifndef SOL_XDP
#define SOL_XDP 283
#endif

namespace ftnet {

uint64_t socket_rx_ring_drops(const PortHandle& h, PortDriver driver) {
    if (driver == PortDriver::AfPacket) {
        for (int fd : h.queue_sockets) {
            tpacket_stats st{};
            socklen_t len = sizeof st;
            if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) h.packet_drops_read += st.tp_drops;
        }
        return h.packet_drops_read;
    }
    if (driver == PortDriver::AfXdp) {
        uint64_t sum = 0;
        for (int fd : h.queue_sockets) {
            xdp_statistics st{};
            socklen_t len = sizeof st;
            if (getsockopt(fd, SOL_XDP, XDP_STATISTICS, &st, &len) == 0) sum += st.rx_ring_full;
        }
        return sum;
    }
    return 0;
}

}  // namespace ftnet
