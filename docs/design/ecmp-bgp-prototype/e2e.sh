#!/bin/bash
# Issue #25 end to end: client -> router (BIRD, 3-way ECMP, L4 hash) -> 3 balancers (BIRD + IPVS mh, DR) -> 3 real servers.
# Established connections are checked after a drain (GSHUT), a link cut (BFD) of a balancer.
# SLOPPY=1 (default) sets net.ipv4.vs.sloppy_tcp=1 on the balancers; SLOPPY=0 shows what happens without it.
# Run: cd apps/appliance && npx sluice-testkit kernel -- env SLOPPY=1 bash ../../docs/design/ecmp-bgp-prototype/e2e.sh
HERE=$(cd "$(dirname "$0")" && pwd)
set -u
W=/run/i25e; mkdir -p $W
VIP=203.0.113.10
SLOPPY=${SLOPPY:-1}
N=${N:-90}
now_ms() { date +%s%3N; }
ip netns add sw; ip -n sw link add name br0 type bridge; ip -n sw link set br0 up
mk_ns() {
	ip netns add "$1"
	ip -n sw link add "v_$1" type veth peer name eth0 netns "$1"
	ip -n sw link set "v_$1" master br0 up
	ip -n "$1" link set lo up
	ip -n "$1" addr add "$2/24" dev eth0
	ip -n "$1" link set eth0 up
}
mk_ns r 192.0.2.1
ip netns add c
ip -n r link add eth1 type veth peer name eth0 netns c
ip -n r addr add 198.51.100.1/24 dev eth1; ip -n r link set eth1 up
ip -n c link set lo up; ip -n c addr add 198.51.100.2/24 dev eth0; ip -n c link set eth0 up
ip -n c route add default via 198.51.100.1
ip netns exec r sysctl -qw net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.conf.all.rp_filter=0
for i in 1 2 3; do
	mk_ns "rs$i" "192.0.2.2$i"
	ip -n rs$i addr add $VIP/32 dev lo
	ip netns exec rs$i sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
	ip -n rs$i route add default via 192.0.2.1
	ip netns exec rs$i python3 "$HERE"/echo_server.py rs$i &
done
for i in 1 2 3; do
	mk_ns "b$i" "192.0.2.1$i"
	ip -n b$i link add vip type dummy; ip -n b$i addr add $VIP/32 dev vip; ip -n b$i link set vip up
	ip netns exec b$i sysctl -qw net.ipv4.vs.sloppy_tcp=$SLOPPY
	ip netns exec b$i ipvsadm -A -t $VIP:80 -s mh -b mh-port
	for r in 192.0.2.21 192.0.2.22 192.0.2.23; do ip netns exec b$i ipvsadm -a -t $VIP:80 -r $r:80 -g; done
done
TIMERS='hold time 3; keepalive time 1; connect delay time 1; connect retry time 1; error wait time 1, 5;'
BFD='protocol bfd { interface "eth0" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; }; }'
cat >$W/r.conf <<CONF
log "$W/r.log" all;
router id 192.0.2.1;
protocol device {}
protocol kernel { ipv4 { import none; export where source = RTS_BGP; }; merge paths on; }
$BFD
filter from_balancer { if (65535, 0) ~ bgp_community then bgp_local_pref = 0; if net = $VIP/32 then accept; reject; }
template bgp bal { local as 64496; $TIMERS bfd on; ipv4 { import filter from_balancer; export none; }; }
protocol bgp b1 from bal { neighbor 192.0.2.11 as 64497; }
protocol bgp b2 from bal { neighbor 192.0.2.12 as 64497; }
protocol bgp b3 from bal { neighbor 192.0.2.13 as 64497; }
CONF
write_bal() { # i drain(0|1)
	local mark=""; [ "$2" = 1 ] && mark='bgp_community.add((65535, 0));'
	cat >$W/b$1.conf <<CONF
log "$W/b$1.log" all;
router id 192.0.2.1$1;
protocol device {}
protocol static vip { ipv4; route $VIP/32 blackhole; }
$BFD
protocol bgp up { local 192.0.2.1$1 as 64497; neighbor 192.0.2.1 as 64496; $TIMERS bfd on;
  ipv4 { import none; export filter { if proto = "vip" then { $mark accept; } reject; }; }; }
CONF
}
ip netns exec r bird -c $W/r.conf -s $W/r.ctl -P $W/r.pid
for i in 1 2 3; do write_bal $i 0; ip netns exec b$i bird -c $W/b$i.conf -s $W/b$i.ctl -P $W/b$i.pid; done
paths() { local out; out=$(ip -n r route show $VIP/32); [ -z "$out" ] && { echo 0; return; }; local n; n=$(grep -c nexthop <<<"$out"); [ "$n" = 0 ] && n=1; echo $n; }
wait_paths() { local s=$(now_ms); while [ "$(paths)" != "$1" ]; do [ $(($(now_ms) - s)) -gt 20000 ] && { echo "TIMEOUT waiting for $1 paths"; return 1; }; sleep 0.05; done; echo "$1 paths after $(($(now_ms) - s)) ms"; }
wait_paths 3
ip -n r route show $VIP/32
check() { # label: ask the client to check every connection, wait for its line
	local n; n=$(wc -l <$W/client.out 2>/dev/null || echo 0)
	echo "$1" >&3
	local s=$(now_ms); while [ "$(wc -l <$W/client.out)" = "$n" ]; do [ $(($(now_ms) - s)) -gt 120000 ] && { echo "TIMEOUT $1"; return 1; }; sleep 0.2; done
	tail -1 $W/client.out
}
per_balancer() { for i in 1 2 3; do echo -n "b$i: $(ip netns exec b$i ipvsadm -Lnc | grep -c 198.51.100.2:) entries; "; done; echo; }
mkfifo $W/ctl
ip netns exec c python3 "$HERE"/client.py $VIP $N <$W/ctl >$W/client.out &
exec 3>$W/ctl
sleep 1
check "check 1: $N connections, 3 balancers, sloppy_tcp=$SLOPPY"
echo "IPVS connection entries by balancer: $(per_balancer)"
write_bal 3 1; birdc -s $W/b3.ctl configure >/dev/null; wait_paths 2
check "check 2: after b3 drained (GSHUT)"
echo "IPVS connection entries by balancer: $(per_balancer)"
S=$(now_ms); ip -n sw link set v_b2 down; wait_paths 1
check "check 3: after b2's link cut (BFD)"
echo "IPVS connection entries by balancer: $(per_balancer)"
exec 3>&-
sleep 1
kill $(jobs -p) 2>/dev/null
for ns in r b1 b2 b3; do kill $(cat $W/$ns.pid) 2>/dev/null; done
echo done
