#!/bin/bash
# Issue #25 groundwork: 1 router + 3 balancers (BIRD 2, eBGP, BFD) on a bridge, ECMP on the router.
# Run inside the UML kernel:  cd apps/appliance && npx sluice-testkit kernel -- bash ../../docs/design/ecmp-bgp-prototype/proto.sh
# Everything lives in network namespaces created here and in /run/i25 (tmpfs inside UML).
HERE=$(cd "$(dirname "$0")" && pwd)
set -u
W=/run/i25
mkdir -p "$W"
VIP4=203.0.113.10
VIP6=2001:db8:10::10
BALS="1 2 3"

now_ms() { date +%s%3N; }
T0=$(now_ms)
log() { echo "[$(( $(now_ms) - T0 )) ms] $*"; }

# ---------- topology ----------
ip netns add sw
ip -n sw link add name br0 type bridge
ip -n sw link set br0 up
ip -n sw link set lo up
mk_ns() { # name addr4 addr6
	ip netns add "$1"
	ip -n sw link add "v_$1" type veth peer name eth0 netns "$1"
	ip -n sw link set "v_$1" master br0 up
	ip -n "$1" link set lo up
	ip -n "$1" addr add "$2/24" dev eth0
	ip -n "$1" addr add "$3/64" dev eth0 nodad
	ip -n "$1" link set eth0 up
}
mk_ns r 192.0.2.1 2001:db8::1
for i in $BALS; do
	mk_ns "b$i" "192.0.2.1$i" "2001:db8::1$i"
	# VIP on the balancer itself (DR/TUN need it locally); BIRD announces a blackhole static route for it.
	ip -n "b$i" link add vip type dummy
	ip -n "b$i" addr add "$VIP4/32" dev vip
	ip -n "b$i" addr add "$VIP6/128" dev vip nodad
	ip -n "b$i" link set vip up
done
# client namespace behind the router (for forwarded route lookups)
ip netns add c
ip -n r link add eth1 type veth peer name eth0 netns c
ip -n r addr add 198.51.100.1/24 dev eth1
ip -n r link set eth1 up
ip -n c link set lo up
ip -n c addr add 198.51.100.2/24 dev eth0
ip -n c link set eth0 up
ip -n c route add default via 198.51.100.1
ip netns exec r sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
	net.ipv4.fib_multipath_hash_policy=1 net.ipv6.fib_multipath_hash_policy=1
log "router sysctls: $(ip netns exec r sysctl -n net.ipv4.fib_multipath_hash_policy net.ipv6.fib_multipath_hash_policy | tr '\n' ' ')"

# ---------- BIRD configs ----------
COMMON='timeformat log iso long ms;
timeformat protocol iso long ms;'
BFD_BLOCK='protocol bfd {
  interface "eth0" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; };
}'
TIMERS='hold time 3; keepalive time 1; connect delay time 1; connect retry time 1; error wait time 1, 5;'

write_router() {
	cat >"$W/r.conf" <<EOF
log "$W/r.log" all;
$COMMON
router id 192.0.2.1;
protocol device { scan time 10; }
protocol kernel k4 { ipv4 { import none; export where source = RTS_BGP; }; merge paths on limit 16; }
protocol kernel k6 { ipv6 { import none; export where source = RTS_BGP; }; merge paths on limit 16; }
$BFD_BLOCK
# RFC 8326: a route tagged GRACEFUL_SHUTDOWN (65535,0) gets the lowest preference,
# so it falls out of the ECMP set while the session (and the route, as a backup) stay.
filter from_balancer {
  if (65535, 0) ~ bgp_community then bgp_local_pref = 0;
  if net.type = NET_IP4 && net ~ [ 203.0.113.0/24{32,32} ] then accept;
  if net.type = NET_IP6 && net ~ [ 2001:db8:10::/48{128,128} ] then accept;
  reject;
}
template bgp bal {
  local as 64496; $TIMERS
  ipv4 { import filter from_balancer; export none; };
}
template bgp bal6 {
  local as 64496; $TIMERS
  ipv6 { import filter from_balancer; export none; };
}
protocol bgp b1 from bal  { neighbor 192.0.2.11 as 64497; bfd on; }
protocol bgp b2 from bal  { neighbor 192.0.2.12 as 64497; }   # no BFD: hold time only
protocol bgp b3 from bal  { neighbor 192.0.2.13 as 64497; bfd on; }
protocol bgp b1v6 from bal6 { neighbor 2001:db8::11 as 64497; bfd on; }
protocol bgp b2v6 from bal6 { neighbor 2001:db8::12 as 64497; }
protocol bgp b3v6 from bal6 { neighbor 2001:db8::13 as 64497; bfd on; }
EOF
}

# write_bal i vip(0|1) drain(none|gshut|prepend)
write_bal() {
	local i=$1 vip=$2 drain=$3 bfd="bfd on;" routes4="" routes6="" mark=""
	[ "$i" = 2 ] && bfd=""
	if [ "$vip" = 1 ]; then
		routes4="route $VIP4/32 blackhole;"
		routes6="route $VIP6/128 blackhole;"
	fi
	case $drain in
	gshut) mark='bgp_community.add((65535, 0));' ;;
	prepend) mark='bgp_path.prepend(64497); bgp_path.prepend(64497); bgp_path.prepend(64497);' ;;
	esac
	cat >"$W/b$i.conf" <<EOF
log "$W/b$i.log" all;
$COMMON
router id 192.0.2.1$i;
protocol device { scan time 10; }
protocol static vip4 { ipv4; $routes4 }
protocol static vip6 { ipv6; $routes6 }
$BFD_BLOCK
filter vips_out { if proto = "vip4" || proto = "vip6" then { $mark accept; } reject; }
protocol bgp up4 {
  local 192.0.2.1$i as 64497; neighbor 192.0.2.1 as 64496; $TIMERS $bfd
  ipv4 { import none; export filter vips_out; };
}
protocol bgp up6 {
  local 2001:db8::1$i as 64497; neighbor 2001:db8::1 as 64496; $TIMERS $bfd
  ipv6 { import none; export filter vips_out; };
}
EOF
}

start_bird() { # ns
	ip netns exec "$1" bird -c "$W/$1.conf" -s "$W/$1.ctl" -P "$W/$1.pid" || {
		echo "bird failed in $1"
		cat "$W/$1.log"
		exit 1
	}
}
bc() { local ns=$1; shift; birdc -s "$W/$ns.ctl" "$@"; }

# number of nexthops the router's kernel has for a VIP (0 = no route)
paths() { # 4|6
	local out
	if [ "$1" = 4 ]; then out=$(ip -n r -4 route show "$VIP4/32"); else out=$(ip -n r -6 route show "$VIP6/128"); fi
	[ -z "$out" ] && { echo 0; return; }
	local n
	n=$(grep -c nexthop <<<"$out")
	[ "$n" = 0 ] && n=1
	echo "$n"
}
# wait until both families have N paths; print ms since $1 (start time)
wait_paths() { # start_ms n timeout_ms label
	local start=$1 n=$2 to=$3 label=$4 t p4 p6 t4="" t6=""
	while :; do
		t=$(now_ms)
		p4=$(paths 4)
		p6=$(paths 6)
		[ -z "$t4" ] && [ "$p4" = "$n" ] && t4=$((t - start))
		[ -z "$t6" ] && [ "$p6" = "$n" ] && t6=$((t - start))
		if [ -n "$t4" ] && [ -n "$t6" ]; then
			log "TIMING $label: $n paths after v4 ${t4} ms, v6 ${t6} ms"
			return 0
		fi
		if [ $((t - start)) -gt "$to" ]; then
			log "TIMEOUT $label: v4 paths=$p4 v6 paths=$p6 after $((t - start)) ms"
			return 1
		fi
		sleep 0.02
	done
}
since() { bc r show protocols "$1" | grep "^$1 " | tr -s ' '; }

# ---------- start ----------
write_router
for i in $BALS; do write_bal "$i" 1 none; done
S=$(now_ms)
start_bird r
for i in $BALS; do start_bird "b$i"; done
wait_paths "$S" 3 30000 "initial convergence (start of 4 daemons -> 3-way ECMP)"
echo "--- router: ip route show $VIP4 / ip -6 route show $VIP6"
ip -n r -4 route show "$VIP4/32"
ip -n r -6 route show "$VIP6/128"
echo "--- router: birdc show protocols"
bc r show protocols
echo "--- router: birdc show bfd sessions"
bc r show bfd sessions
echo "--- router: birdc show route for $VIP4 all (first 40 lines)"
bc r show route for "$VIP4" all | head -40

echo "--- ECMP spread of 300 forwarded TCP flows (client 198.51.100.2, sport 20000..20299, dport 80)"
for p in $(seq 20000 20299); do
	echo "route get $VIP4 from 198.51.100.2 iif eth1 ipproto tcp sport $p dport 80"
done >"$W/batch"
ip -n r -batch "$W/batch" | grep -o 'via [0-9.]*' | sort | uniq -c
ip -n r -batch "$W/batch" | grep -o 'via [0-9.]*' >"$W/before"
echo "--- same flow asked twice gives the same nexthop:"
ip -n r route get $VIP4 from 198.51.100.2 iif eth1 ipproto tcp sport 20001 dport 80 | head -1
ip -n r route get $VIP4 from 198.51.100.2 iif eth1 ipproto tcp sport 20001 dport 80 | head -1

# ---------- 1. withdraw by configuration (VIP has no healthy real server) ----------
echo
echo "=== 1. b3 withdraws the VIP: config rewritten without it, birdc configure"
before=$(since b3)
write_bal 3 0 none
S=$(now_ms)
bc b3 configure
wait_paths "$S" 2 10000 "withdraw by birdc configure"
log "router's b3 session since: before [$before] after [$(since b3)] (same = no reset)"
echo "--- b3 log:"; cat "$W/b3.log"
echo "--- router log:"; tail -8 "$W/r.log"
write_bal 3 1 none
S=$(now_ms)
bc b3 configure
wait_paths "$S" 3 10000 "re-announce by birdc configure"
sleep 2
echo "=== 1a. second time: withdraw by birdc configure"
before=$(since b3)
write_bal 3 0 none
S=$(now_ms)
bc b3 configure
wait_paths "$S" 2 10000 "withdraw by birdc configure (2nd)"
log "router's b3 session since: before [$before] after [$(since b3)] (same = no reset)"
echo "--- b3 log:"; tail -8 "$W/b3.log"
before=$(since b3)
write_bal 3 1 none
S=$(now_ms)
bc b3 configure
wait_paths "$S" 3 10000 "re-announce by birdc configure (2nd)"
log "router's b3 session since: before [$before] after [$(since b3)] (same = no reset)"

echo "=== 1b. withdraw by 'birdc disable vip4; disable vip6' (no config change)"
S=$(now_ms)
bc b3 disable vip4 >/dev/null
bc b3 disable vip6 >/dev/null
wait_paths "$S" 2 10000 "withdraw by birdc disable"
S=$(now_ms)
bc b3 enable vip4 >/dev/null
bc b3 enable vip6 >/dev/null
wait_paths "$S" 3 10000 "re-announce by birdc enable"

# ---------- 2. drain: graceful shutdown community, then prepend ----------
echo
echo "=== 2. b3 drained with GRACEFUL_SHUTDOWN (65535,0) via birdc configure"
before=$(since b3)
write_bal 3 1 gshut
S=$(now_ms)
bc b3 configure
wait_paths "$S" 2 10000 "drain (gshut community) leaves ECMP"
log "router's b3 session since: before [$before] after [$(since b3)]"
echo "--- which of the 300 flows changed nexthop when b3 left (Linux ECMP is hash-threshold, not resilient):"
ip -n r -batch "$W/batch" | grep -o 'via [0-9.]*' >"$W/after"
ip -n r -batch "$W/batch" | grep -o 'via [0-9.]*' >/dev/null
paste -d' ' "$W/before" "$W/after" | sort | uniq -c
echo "--- router keeps b3's route as a backup, local pref 0:"
bc r show route for "$VIP4" all | grep -E 'via|BGP.local_pref|BGP.community|from|unicast' | head -20
echo "--- then withdraw (the 'stop' after the drain):"
write_bal 3 0 gshut
S=$(now_ms)
bc b3 configure
wait_paths "$S" 2 10000 "withdraw after drain (still 2 paths)"
bc r show route for "$VIP4" count
write_bal 3 1 none
S=$(now_ms)
bc b3 configure
wait_paths "$S" 3 10000 "undrain"

echo "=== 2b. drain by AS-path prepend x3 (for routers without a GSHUT policy)"
write_bal 3 1 prepend
S=$(now_ms)
bc b3 configure
wait_paths "$S" 2 10000 "drain (prepend) leaves ECMP"
write_bal 3 1 none
S=$(now_ms)
bc b3 configure
wait_paths "$S" 3 10000 "undrain (prepend removed)"

# ---------- 2c. what does reset a session ----------
echo
echo "=== 2c. router reconfigured with another hold time for b1 (expected: session restart)"
before=$(since b1)
sed -i 's/^protocol bgp b1 from bal  { neighbor 192.0.2.11 as 64497; bfd on; }/protocol bgp b1 from bal  { neighbor 192.0.2.11 as 64497; bfd on; hold time 6; }/' "$W/r.conf"
bc r configure
sleep 0.5
log "router's b1 since: before [$before] after [$(since b1)]"
grep -E ' b1: ' "$W/r.log" | tail -5
wait_paths "$(now_ms)" 3 20000 "b1 back after hold-time reconfigure"
echo "=== 2d. router reconfigured with a changed import filter (expected: no restart, routes re-evaluated)"
before=$(since b1)
sed -i 's/if (65535, 0) ~ bgp_community then bgp_local_pref = 0;/if (65535, 0) ~ bgp_community then bgp_local_pref = 0; bgp_med = 0;/' "$W/r.conf"
bc r configure
sleep 0.5
log "router's b1 since: before [$before] after [$(since b1)]"

# ---------- 3. crashes ----------
echo
echo "=== 3a. SIGKILL b3's bird (BFD on; the kernel closes its TCP socket)"
S=$(now_ms)
kill -9 "$(cat $W/b3.pid)"
wait_paths "$S" 2 15000 "SIGKILL of bird (b3, BFD)"
grep -E 'b3|bfd' "$W/r.log" | tail -4
rm -f "$W/b3.ctl"
S=$(now_ms)
start_bird b3
wait_paths "$S" 3 30000 "b3 bird restarted -> back in ECMP"

echo "=== 3b. link cut on b3 (BFD on, 100 ms x 3)"
S=$(now_ms)
ip -n sw link set v_b3 down
wait_paths "$S" 2 15000 "link cut b3 (BFD)"
grep -E ' b3| b3v6|BFD|bfd' "$W/r.log" | tail -4
ip -n sw link set v_b3 up
S=$(now_ms)
wait_paths "$S" 3 30000 "b3 link restored -> back in ECMP"

echo "=== 3c. link cut on b2 (no BFD: hold time 3 s)"
S=$(now_ms)
ip -n sw link set v_b2 down
wait_paths "$S" 2 15000 "link cut b2 (hold time 3 s)"
grep -E ' b2' "$W/r.log" | tail -4
ip -n sw link set v_b2 up
S=$(now_ms)
wait_paths "$S" 3 30000 "b2 link restored -> back in ECMP"

echo "=== 3d. SIGSTOP b1's bird (hung daemon, BFD on)"
S=$(now_ms)
kill -STOP "$(cat $W/b1.pid)"
wait_paths "$S" 2 15000 "SIGSTOP of bird (b1, BFD)"
kill -CONT "$(cat $W/b1.pid)"
S=$(now_ms)
wait_paths "$S" 3 30000 "b1 continued -> back in ECMP"

echo "=== 3e. 'birdc down' on b3 (orderly stop: Cease notifications)"
S=$(now_ms)
bc b3 down
wait_paths "$S" 2 15000 "birdc down (b3)"

# ---------- the control socket, spoken directly (what the appliance would do instead of running birdc) ----------
echo
echo "=== raw control socket of b1: 'show protocols up4' and 'disable vip4' / 'enable vip4'"
python3 - "$W/b1.ctl" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
f = s.makefile('rwb', buffering=0)
def reply():
    # a reply ends with a line whose 4-digit code is followed by a space (not '-'); codes 0xxx ok, 8xxx/9xxx errors
    lines = []
    while True:
        line = f.readline().decode()
        lines.append(line.rstrip('\n'))
        if len(line) > 4 and line[:4].isdigit() and line[4] == ' ':
            return lines
print(reply())
for cmd in ('show protocols up4', 'disable vip4', 'enable vip4', 'show nonsense'):
    f.write((cmd + '\n').encode())
    print(repr(cmd), '->', reply())
PY

# ---------- footprint ----------
echo
echo "=== footprint (UML; compare only with other figures from the same UML)"
for ns in r b1 b2; do
	pid=$(cat "$W/$ns.pid")
	read -r ut st < <(awk '{print $14, $15}' "/proc/$pid/stat")
	echo "$ns pid $pid $(grep -E 'VmRSS|VmHWM' /proc/$pid/status | tr -s ' \n' ' ') utime+stime ${ut}+${st} ticks so far, threads $(ls /proc/$pid/task | wc -l)"
	eval "cpu0_$ns=$((ut + st))"
done
sleep 10
for ns in r b1 b2; do
	pid=$(cat "$W/$ns.pid")
	read -r ut st < <(awk '{print $14, $15}' "/proc/$pid/stat")
	eval "c0=\$cpu0_$ns"
	echo "$ns: $((ut + st - c0)) ticks (CLK_TCK=$(getconf CLK_TCK)) of CPU in 10 s idle (keepalive 1 s, BFD 100 ms)"
done
echo "--- router log (last 30 lines)"
tail -30 "$W/r.log"
for ns in r b1 b2; do kill "$(cat $W/$ns.pid)" 2>/dev/null; done
log "done"
