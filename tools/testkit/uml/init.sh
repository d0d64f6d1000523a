# PID 1 of the test kernel (User-Mode Linux). The host prepends BB, RW, MODS, KVER,
# MODULES and LOWER, a #! line naming its busybox, and overlay-root.sh, which has put the
# host's root (LOWER=/) at $R, read-only under a tmpfs overlay: the guest sees every tool
# the host has and nothing it writes reaches the host, except the job directory mounted
# below. What it does and why: docs/testing.md.
$bb mount -t proc proc $R/proc
$bb mount -t sysfs sysfs $R/sys
$bb mount -t devtmpfs devtmpfs $R/dev
$bb mkdir -p $R/dev/pts $R/dev/shm
$bb mount -t devpts devpts $R/dev/pts
# What udev would create: /dev/fd for bash's <(...), and the standard streams.
$bb ln -sf /proc/self/fd $R/dev/fd
$bb ln -sf /proc/self/fd/0 $R/dev/stdin
$bb ln -sf /proc/self/fd/1 $R/dev/stdout
$bb ln -sf /proc/self/fd/2 $R/dev/stderr
$bb mount -t tmpfs tmpfs $R/dev/shm
$bb mount -t tmpfs tmpfs $R/run
$bb mount -t cgroup2 cgroup2 $R/sys/fs/cgroup 2>/dev/null

# Modules: the UML package's tree as /lib/modules/<version>, loaded by busybox modprobe
# (it follows modules.dep), and the kernel's own module requests served the same way. Only
# names that modules.dep has are asked for: a kernel may build one in (7.2 has ipv6 built
# in, and not always listed in modules.builtin), and busybox's modprobe fails on it. A
# kernel without a module tree (MODS empty, the rig's own) has everything built in.
if [ -n "$MODS" ]; then
  $bb mkdir -p $R/lib/modules
  $bb ln -sfn "$MODS" "$R/lib/modules/$KVER"
  load=
  for m in $MODULES; do
    $bb grep -q "/$m\.ko[^:/]*:" "$MODS/modules.dep" && load="$load $m"
  done
  [ -z "$load" ] || $bb chroot $R $bb modprobe -a $load || echo "testkit-init: modprobe$load failed" >&2
  echo "$RW/modprobe" > /proc/sys/kernel/modprobe
fi
# Node's libuv uses io_uring where the kernel offers it, and Node 24 crashed in Debian
# unstable's UML 7.2 with it on. The switch exists from 6.6 on; 6.1 has none to turn.
[ -e /proc/sys/kernel/io_uring_disabled ] && echo 2 > /proc/sys/kernel/io_uring_disabled

# The job directory, read-write, at the same path as on the host.
$bb mkdir -p "$R$RW"
$bb mount -t hostfs -o "$RW" hostfs "$R$RW"

$bb hostname testkernel
$bb chroot $R $bb ip link set lo up
$bb stty -F /dev/ttyS0 raw -echo 2>/dev/null

$bb chroot $R /bin/sh "$RW/job.sh" >/dev/ttyS0 2>&1
echo $? > "$R$RW/rc"
$bb sync
$bb poweroff -f
