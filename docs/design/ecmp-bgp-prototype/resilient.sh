#!/bin/bash
# Issue #25: how many flows change nexthop when one of three ECMP nexthops is removed:
# a plain multipath route (what BIRD 2 installs: hash-threshold) vs a resilient nexthop group (kernel >= 5.13).
# Run: cd apps/appliance && npx sluice-testkit kernel -- bash ../../docs/design/ecmp-bgp-prototype/resilient.sh
HERE=$(cd "$(dirname "$0")" && pwd)
set -eu
VIP=203.0.113.10
ip netns add r; ip netns add c
ip -n r link set lo up
ip -n r link add eth0 type dummy; ip -n r addr add 192.0.2.1/24 dev eth0; ip -n r link set eth0 up
for i in 1 2 3; do ip -n r neigh add 192.0.2.1$i lladdr 02:00:00:00:00:0$i dev eth0 nud permanent; done
ip -n r link add eth1 type veth peer name eth0 netns c
ip -n r addr add 198.51.100.1/24 dev eth1; ip -n r link set eth1 up
ip netns exec r sysctl -qw net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1
for p in $(seq 20000 20999); do echo "route get $VIP from 198.51.100.2 iif eth1 ipproto tcp sport $p dport 80"; done >/tmp/batch
look() { ip -n r -batch /tmp/batch | grep -o 'via [0-9.]*' | awk '{print $2}'; }
compare() { paste -d' ' /tmp/before /tmp/after | awk '$1 != "192.0.2.13" {n++; if ($1 != $2) m++} $1 == "192.0.2.13" {d++} END {printf "flows on the removed nexthop: %d; flows on the surviving nexthops: %d, of them moved: %d\n", d, n, m}'; }
echo "--- plain multipath route (hash-threshold)"
ip -n r route add $VIP/32 nexthop via 192.0.2.11 nexthop via 192.0.2.12 nexthop via 192.0.2.13
look >/tmp/before; sort /tmp/before | uniq -c
ip -n r route replace $VIP/32 nexthop via 192.0.2.11 nexthop via 192.0.2.12
look >/tmp/after; compare
ip -n r route del $VIP/32
echo "--- resilient nexthop group (128 buckets)"
for i in 1 2 3; do ip -n r nexthop add id $i via 192.0.2.1$i dev eth0; done
ip -n r nexthop add id 10 group 1/2/3 type resilient buckets 128 idle_timer 0
ip -n r route add $VIP/32 nhid 10
look >/tmp/before; sort /tmp/before | uniq -c
ip -n r nexthop replace id 10 group 1/2 type resilient buckets 128 idle_timer 0
look >/tmp/after; compare
ip -n r nexthop show id 10
