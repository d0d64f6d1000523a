# PID 1 of the test kernel (User-Mode Linux). The host prepends BB, RW, MODS, KVER and
# MODULES and a #! line naming its busybox. What it does and why: docs/testing.md.
bb=$BB
R=/mnt/root

$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs devtmpfs /dev 2>/dev/null

# The host's root, read-only, under a tmpfs overlay: the guest sees every tool the host has
# and nothing it writes reaches the host, except the job directory mounted below.
$bb insmod "$MODS/kernel/fs/overlayfs/overlay.ko"
$bb mount -t tmpfs tmpfs /mnt
$bb mkdir -p /mnt/lower /mnt/upper /mnt/work $R
$bb mount -t hostfs -o ro,/ hostfs /mnt/lower
$bb mount -t overlay overlay -o lowerdir=/mnt/lower,upperdir=/mnt/upper,workdir=/mnt/work $R
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
# (it follows modules.dep), and the kernel's own module requests served the same way.
$bb mkdir -p $R/lib/modules
$bb ln -sfn "$MODS" "$R/lib/modules/$KVER"
$bb chroot $R $bb modprobe -a $MODULES || echo "testkit-init: modprobe failed" >&2
echo "$RW/modprobe" > /proc/sys/kernel/modprobe

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
