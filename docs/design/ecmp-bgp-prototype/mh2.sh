#!/bin/bash
# Issue #25 q3, part 2: quiesce (weight 0) vs delete, mh-fallback, insertion order with more flows,
# and whether a balancer picks up a mid-stream flow (bare ACK) it has no connection entry for (sloppy_tcp).
# Run: cd apps/appliance && npx sluice-testkit kernel -- bash ../../docs/design/ecmp-bgp-prototype/mh2.sh
HERE=$(cd "$(dirname "$0")" && pwd)
set -eu
W=/run/i25mh; mkdir -p $W
VIP=203.0.113.10
N=${N:-2000}
R1=192.0.2.21 R2=192.0.2.22 R3=192.0.2.23
for i in 1 2 3; do
	ip netns add b$i; ip netns add t$i
	ip -n b$i link set lo up; ip -n t$i link set lo up
	ip -n b$i link add vip type dummy; ip -n b$i addr add $VIP/32 dev vip; ip -n b$i link set vip up
	ip -n b$i link add lan type dummy; ip -n b$i addr add 192.0.2.1/24 dev lan; ip -n b$i link set lan up
	ip -n b$i link add eth1 type veth peer name eth0 netns t$i
	ip -n b$i addr add 198.51.100.1/24 dev eth1; ip -n b$i link set eth1 up
	ip -n t$i addr add 198.51.100.50/24 dev eth0; ip -n t$i link set eth0 up
	ip -n t$i route add $VIP/32 via 198.51.100.1
done
svc() { ip netns exec b$1 ipvsadm -A -t $VIP:$2 -s mh ${3:-}; }
rs() { ip netns exec b$1 ipvsadm -a -t $VIP:$2 -r $3:$2 -g -w ${4:-1}; }
F="-b mh-port,mh-fallback"
# port 90: b1 all three; b2 R2 quiesced (weight 0); b3 R2 deleted -- all with mh-fallback
for i in 1 2 3; do svc $i 90 "$F"; for r in $R1 $R2 $R3; do rs $i 90 $r; done; done
ip netns exec b2 ipvsadm -e -t $VIP:90 -r $R2:90 -g -w 0
ip netns exec b3 ipvsadm -d -t $VIP:90 -r $R2:90
# port 91: equal weights, three insertion orders, more flows
svc 1 91 "$F"; for r in $R1 $R2 $R3; do rs 1 91 $r; done
svc 2 91 "$F"; for r in $R3 $R2 $R1; do rs 2 91 $r; done
svc 3 91 "$F"; for r in $R2 $R3 $R1; do rs 3 91 $r; done
# port 92: b1 R1,R2,R3 then R4 added later (live); b2 R1,R2,R4,R3 (config sorted and loaded afresh); b3 R1,R2,R3,R4 afresh
R4=192.0.2.20
svc 1 92 "$F"; for r in $R1 $R2 $R3 $R4; do rs 1 92 $r; done
svc 2 92 "$F"; for r in $R4 $R1 $R2 $R3; do rs 2 92 $r; done
svc 3 92 "$F"; for r in $R1 $R2 $R3; do rs 3 92 $r; done; rs 3 92 $R4
S=$(date +%s%3N)
for i in 1 2 3; do ip netns exec t$i python3 "$HERE"/flows.py $VIP 90,91,92 30000 $N; done
echo "offered $((9 * N)) SYNs in $(( $(date +%s%3N) - S )) ms"
for i in 1 2 3; do ip netns exec b$i ipvsadm -Lnc | awk 'NR>2 {split($4,c,":"); split($5,v,":"); split($6,d,":"); print v[2], c[2], d[1]}' | sort >$W/b$i.map; done
python3 - $W <<'PY'
import sys, collections
W = sys.argv[1]
m = {}
for i in (1, 2, 3):
    m[i] = {}
    for line in open(f"{W}/b{i}.map"):
        vp, sp, rs = line.split()
        m[i][(int(vp), int(sp))] = rs
for vp in (90, 91, 92):
    keys = sorted(k for k in m[1] if k[0] == vp)
    print(f"port {vp}: flows {len(keys)}; same as b1: b2 {sum(m[1][k] == m[2].get(k) for k in keys)}, b3 {sum(m[1][k] == m[3].get(k) for k in keys)}")
    if vp == 90:
        off = [k for k in keys if m[1][k] != "192.0.2.22"]
        print(f"   flows not on .22 in b1: {len(off)}; moved when .22 quiesced (b2): {sum(m[1][k] != m[2][k] for k in off)}; moved when .22 deleted (b3): {sum(m[1][k] != m[3][k] for k in off)}")
        on = [k for k in keys if m[1][k] == "192.0.2.22"]
        print(f"   flows of .22 ({len(on)}) placed the same by quiesce+fallback and by delete: {sum(m[2][k] == m[3][k] for k in on)}")
    for i in (1, 2, 3):
        print(f"   b{i}: " + ", ".join(f"{k}={v}" for k, v in sorted(collections.Counter(m[i].get(k) for k in keys).items())))
PY
echo "--- mid-stream flows (bare ACK, no connection entry) on port 91"
ip netns exec b1 sysctl -w net.ipv4.vs.sloppy_tcp=0
ip netns exec b2 sysctl -w net.ipv4.vs.sloppy_tcp=1
for i in 1 2; do
	ip netns exec t$i python3 "$HERE"/ack.py $VIP 91 40000 50
	echo "b$i: connection entries for sports 40000-40049: $(ip netns exec b$i ipvsadm -Lnc | grep -c ':4000[0-9] \|:400[1-4][0-9] ')"
	ip netns exec b$i ipvsadm -Lnc | grep ':4000[0-2] ' | head -3
done
