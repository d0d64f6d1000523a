# Opens one TCP connection attempt (a SYN) per (source port, virtual port) from 198.51.100.50 to the VIP.
# Only the SYN matters: the balancer's IPVS records which real server it chose (ipvsadm -Lnc).
import errno, socket, sys
vip = sys.argv[1]
vports = [int(p) for p in sys.argv[2].split(',')]
sports = range(int(sys.argv[3]), int(sys.argv[3]) + int(sys.argv[4]))
for vp in vports:
    for sp in sports:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('198.51.100.50', sp))
        s.setblocking(False)
        rc = s.connect_ex((vip, vp))
        assert rc in (errno.EINPROGRESS, 0), rc
        s.close()
