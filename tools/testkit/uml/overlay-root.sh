# The start of both inits (init.sh, system-init.sh): the kernel's file systems, then LOWER
# (a host directory) read-only through hostfs under a tmpfs overlay at $R, so nothing the
# guest writes reaches the host. Overlay is a module in Debian's kernels and built into
# the rig's own.
bb=$BB
R=/mnt/root

$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs devtmpfs /dev 2>/dev/null

if ! $bb grep -qw overlay /proc/filesystems; then
  for ko in "$MODS"/kernel/fs/overlayfs/overlay.ko*; do $bb insmod "$ko"; done
fi
$bb mount -t tmpfs tmpfs /mnt
$bb mkdir -p /mnt/lower /mnt/upper /mnt/work $R
$bb mount -t hostfs -o "ro,$LOWER" hostfs /mnt/lower
$bb mount -t overlay overlay -o lowerdir=/mnt/lower,upperdir=/mnt/upper,workdir=/mnt/work $R
