#!/bin/busybox sh
# The guest's /init (test/guest/initramfs.ts puts it in the initramfs with a static busybox
# and the modules in /lib/modules). It loads those modules in name order and mounts the
# host directories the kernel command line's bpftsc_shares lists (colon-separated; the
# i-th is virtio-fs tag share<i>), each read-only: "/", the host's root, becomes the new
# root under a tmpfs overlay; any other directory is mounted at its own path in the
# initramfs, which stays the root. It then mounts the kernel's own filesystems and a fresh
# /tmp in the root, the work directory (virtio-fs tag "work") at /bpftsc-guest, runs
# /bpftsc-guest/batch.sh there (output in batch.log, exit status in batch.rc) and powers
# off. A step that fails says so on the console and powers off.
/bin/busybox --install -s /bin
export PATH=/bin
fail() { echo "bpftsc-guest: $*" >/dev/console; poweroff -f; }
say() { echo "bpftsc-guest: $* after $(cut -d' ' -f1 /proc/uptime) s" >/dev/console; }

mount -t devtmpfs dev /dev || fail "mount devtmpfs"
mount -t proc proc /proc || fail "mount proc"
mount -t sysfs sys /sys || fail "mount sysfs"
for m in /lib/modules/*.ko; do
	[ -e "$m" ] || continue
	insmod "$m" || fail "insmod $m"
done

R=
i=0
IFS=:
for dir in $bpftsc_shares; do
	if [ "$dir" = / ]; then
		R=/mnt/root
		mkdir -p /mnt/host /mnt/rw $R
		mount -t virtiofs -o ro share$i /mnt/host || fail "mount the host's root (virtio-fs tag share$i)"
		mount -t tmpfs -o size=256m rw /mnt/rw && mkdir /mnt/rw/upper /mnt/rw/work || fail "mount the overlay's tmpfs"
		mount -t overlay overlay -o lowerdir=/mnt/host,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work $R || fail "mount the overlay root"
		mount -t proc proc $R/proc && mount -t sysfs sys $R/sys && mount -t devtmpfs dev $R/dev ||
			fail "mount proc, sys, dev in the new root"
	else
		mkdir -p "$dir" && mount -t virtiofs -o ro share$i "$dir" || fail "mount $dir (virtio-fs tag share$i)"
	fi
	i=$((i + 1))
done
unset IFS
mount -t tmpfs tmp $R/tmp || fail "mount /tmp"
mount -t tracefs tracefs $R/sys/kernel/tracing && mount -t debugfs debugfs $R/sys/kernel/debug &&
	mount -t bpf bpf $R/sys/fs/bpf || fail "mount tracefs, debugfs, bpffs"
mkdir -p $R/bpftsc-guest && mount -t virtiofs work $R/bpftsc-guest || fail "mount the work directory (virtio-fs tag work)"

say "$(uname -r) up"
chroot ${R:-/} env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root sh /bpftsc-guest/batch.sh \
	>$R/bpftsc-guest/batch.log 2>&1
echo $? >$R/bpftsc-guest/batch.rc
say "batch done"
umount $R/bpftsc-guest
poweroff -f
