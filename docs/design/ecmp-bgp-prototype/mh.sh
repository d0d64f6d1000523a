#!/bin/bash
# Issue #25 question 3: does IPVS mh pick the same real server for the same flow on three balancers?
# Run inside the UML kernel: cd apps/appliance && npx sluice-testkit kernel -- bash ../../docs/design/ecmp-bgp-prototype/mh.sh
HERE=$(cd "$(dirname "$0")" && pwd)
set -eu
W=/run/i25mh; mkdir -p $W
VIP=203.0.113.10
N=${N:-600}          # flows (source ports) per case
R1=192.0.2.21 R2=192.0.2.22 R3=192.0.2.23
for i in 1 2 3; do
	ip netns add b$i; ip netns add t$i
	ip -n b$i link set lo up; ip -n t$i link set lo up
	ip -n b$i link add vip type dummy; ip -n b$i addr add $VIP/32 dev vip; ip -n b$i link set vip up
	ip -n b$i link add lan type dummy; ip -n b$i addr add 192.0.2.1/24 dev lan; ip -n b$i link set lan up
	ip -n b$i link add eth1 type veth peer name eth0 netns t$i
	ip -n b$i addr add 198.51.100.1/24 dev eth1; ip -n b$i link set eth1 up
	# every tester has the same client address, so the same flow can be offered to each balancer
	ip -n t$i addr add 198.51.100.50/24 dev eth0; ip -n t$i link set eth0 up
	ip -n t$i route add $VIP/32 via 198.51.100.1
done
svc() { ip netns exec b$1 ipvsadm -A -t $VIP:$2 -s mh ${3:-}; }
rs() { ip netns exec b$1 ipvsadm -a -t $VIP:$2 -r $3:$2 -g -w ${4:-1}; }
# port 80: same order, equal weights, mh-port
for i in 1 2 3; do svc $i 80 "-b mh-port"; for r in $R1 $R2 $R3; do rs $i 80 $r; done; done
# port 81: same weights, a different insertion order on each balancer
svc 1 81 "-b mh-port"; for r in $R1 $R2 $R3; do rs 1 81 $r; done
svc 2 81 "-b mh-port"; for r in $R3 $R2 $R1; do rs 2 81 $r; done
svc 3 81 "-b mh-port"; for r in $R2 $R3 $R1; do rs 3 81 $r; done
# port 82: weights 3,2,1, same order everywhere
for i in 1 2 3; do svc $i 82 "-b mh-port"; rs $i 82 $R1 3; rs $i 82 $R2 2; rs $i 82 $R3 1; done
# port 83: weights 3,2,1, different order on b2 and b3
svc 1 83 "-b mh-port"; rs 1 83 $R1 3; rs 1 83 $R2 2; rs 1 83 $R3 1
svc 2 83 "-b mh-port"; rs 2 83 $R3 1; rs 2 83 $R2 2; rs 2 83 $R1 3
svc 3 83 "-b mh-port"; rs 3 83 $R2 2; rs 3 83 $R1 3; rs 3 83 $R3 1
# port 84: b1 has all three; b2 had all three and lost R2 (ipvsadm -d); b3 never had R2
for i in 1 2; do svc $i 84 "-b mh-port"; for r in $R1 $R2 $R3; do rs $i 84 $r; done; done
ip netns exec b2 ipvsadm -d -t $VIP:84 -r $R2:84
svc 3 84 "-b mh-port"; rs 3 84 $R1; rs 3 84 $R3
# port 85: same as 80 without mh-port (hash of the source address only)
for i in 1 2 3; do svc $i 85; for r in $R1 $R2 $R3; do rs $i 85 $r; done; done
# port 86: same order, equal weights, the same but the server weight of R2 set to 0 (quiesced) on all
for i in 1 2 3; do svc $i 86 "-b mh-port"; for r in $R1 $R2 $R3; do rs $i 86 $r; done; ip netns exec b$i ipvsadm -e -t $VIP:86 -r $R2:86 -g -w 0; done
echo "--- b1 / b3 services (ipvsadm -Ln)"
ip netns exec b1 ipvsadm -Ln; ip netns exec b3 ipvsadm -Ln | sed -n '1,12p'
S=$(date +%s%3N)
for i in 1 2 3; do ip netns exec t$i python3 "$HERE"/flows.py $VIP 80,81,82,83,84,85,86 30000 $N; done
echo "offered $((3 * 7 * N)) SYNs in $(( $(date +%s%3N) - S )) ms"
for i in 1 2 3; do ip netns exec b$i ipvsadm -Lnc | awk 'NR>2 {split($4,c,":"); split($5,v,":"); split($6,d,":"); print v[2], c[2], d[1]}' | sort >$W/b$i.map; done
wc -l $W/b*.map
python3 - $W <<'PY'
import sys, collections
W = sys.argv[1]
m = {}
for i in (1, 2, 3):
    d = {}
    for line in open(f"{W}/b{i}.map"):
        vp, sp, rs = line.split()
        d[(int(vp), int(sp))] = rs
    m[i] = d
for vp in range(80, 87):
    keys = sorted(k for k in m[1] if k[0] == vp)
    dist = {i: collections.Counter(m[i].get(k) for k in keys) for i in (1, 2, 3)}
    same12 = sum(m[1][k] == m[2].get(k) for k in keys)
    same13 = sum(m[1][k] == m[3].get(k) for k in keys)
    line = f"port {vp}: flows {len(keys)}; same as b1: b2 {same12}, b3 {same13}"
    if vp == 84:
        off = [k for k in keys if m[1][k] != "192.0.2.22"]
        moved2 = sum(m[1][k] != m[2].get(k) for k in off)
        moved3 = sum(m[1][k] != m[3].get(k) for k in off)
        line += f"; flows not on .22 in b1: {len(off)}, of them moved on b2 {moved2}, on b3 {moved3}"
    print(line)
    for i in (1, 2, 3):
        print(f"   b{i}: " + ", ".join(f"{k}={v}" for k, v in sorted(dist[i].items(), key=lambda x: str(x[0]))))
PY
