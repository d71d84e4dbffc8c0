#!/usr/bin/env bash
# Builds the flashable x86-64 image of xlatbox from the current source:
#
#   sudo ./image-build/build.sh            -> image-build/target/xlatbox-<version>-x86_64.img.zst (+ .bmap, .sha256)
#
# The image is a GPT disk (UEFI, systemd-boot):
#   1 xlatbox-esp   256 MiB  EFI System Partition: systemd-boot, the kernel and initrd of each slot, the entries
#   2 xlatbox-a       1 GiB  root slot A: Debian 12 minbase + systemd, the jlink-ed runtime, the appliance
#   3 xlatbox-b       1 GiB  root slot B: empty, for the A/B upgrade (to come)
#   (xlatbox-data)           made by systemd-repart on the first boot in the rest of the disk: the configuration
# The boot entry of slot A is loader/entries/slot-a+3-0.conf: systemd-boot counts its tries, and the boot is
# blessed (renamed slot-a.conf) once the appliance answers (xlatbox-health.service).
#
# Needs root (mmdebstrap --mode=root, chroot), Debian 12 and network access to the Debian mirror. Mounts no disk
# image (only the chroot's /proc, /sys, /dev, for mmdebstrap and the AppCDS training run): the ESP is filled with
# mtools, the root file system with mke2fs -d, the disk with sfdisk and dd. Missing host tools are installed
# with apt-get. The runtime is jlink-ed from the host's JDK 17 (openjdk-17-jdk-headless).
#
# Environment: MIRROR (http://deb.debian.org/debian; a snapshot.debian.org URL pins the packages),
# SECURITY_MIRROR, ROOT_SIZE_MIB (1024), ESP_SIZE_MIB (256),
# ZSTD_LEVEL (10), KEEP_WORK=1 (keep image-build/target/work.* for inspection), XLATBOX_JAR (a prebuilt jar).
set -euo pipefail
{ # (the whole script is one block, read before it runs: editing the file during a build cannot break that build)

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
TARGET=$HERE/target
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
ROOT_SIZE_MIB=${ROOT_SIZE_MIB:-1024}
ESP_SIZE_MIB=${ESP_SIZE_MIB:-256}
ZSTD_LEVEL=${ZSTD_LEVEL:-10}
JAR=${XLATBOX_JAR:-$REPO/appliance-web/target/xlatbox-appliance.jar}
# GPT partition types (UAPI Discoverable Partitions Specification)
TYPE_ESP=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
TYPE_ROOT_X86_64=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709
# Packages of a root slot, besides minbase: systemd as init with networkd and boot counting, the kernel, what
# the appliance runs (ip, nft, sysctl) and what the health gate uses (curl).
PACKAGES=(systemd systemd-sysv systemd-timesyncd systemd-boot systemd-boot-efi udev dbus kmod
  linux-image-amd64 initramfs-tools zstd iproute2 nftables procps curl e2fsprogs)
# Kernel modules a router box does not need (sound, cameras, GPUs beyond the EFI framebuffer, Wi-Fi, Bluetooth,
# InfiniBand, sensors of the iio kind, staging): dpkg does not unpack them, so depmod and the initrd never see them.
EXCLUDE_MODULES=(sound drivers/media drivers/gpu drivers/infiniband drivers/iio drivers/staging drivers/net/wireless
  drivers/bluetooth net/bluetooth net/mac80211 net/wireless drivers/isdn drivers/nfc net/nfc
  drivers/input/joystick drivers/input/touchscreen drivers/input/tablet)
# Units that are slow or useless on an appliance.
MASK=(e2scrub_reap.service e2scrub_all.timer apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer
  fstrim.timer systemd-networkd-wait-online.service getty@tty2.service)

log() { printf '\033[1mbuild:\033[0m %s\n' "$*" >&2; }
die() { printf 'build: error: %s\n' "$*" >&2; exit 1; }
step_start=$SECONDS
step() { log "$* (at $((SECONDS - step_start)) s)"; }

[ "$(id -u)" -eq 0 ] || die "run as root (mmdebstrap --mode=root and chroot need it): sudo $0"

# --- host tools -------------------------------------------------------------------------------------------
need=()
for tool in mmdebstrap:mmdebstrap sfdisk:fdisk mkfs.vfat:dosfstools mcopy:mtools mke2fs:e2fsprogs zstd:zstd \
    bmaptool:bmap-tools uuidgen:uuid-runtime jlink:openjdk-17-jdk-headless mvn:maven curl:curl; do
  command -v "${tool%%:*}" >/dev/null || need+=("${tool#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  step "installing host tools: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

VERSION=$(sed -n '0,/<version>/s:.*<version>\(.*\)</version>.*:\1:p' "$REPO/pom.xml")
[ -n "$VERSION" ] || die "cannot read the version from $REPO/pom.xml"
NAME=xlatbox-$VERSION-x86_64
mkdir -p "$TARGET"
WORK=$(mktemp -d "$TARGET/work.XXXXXX")
cleanup() {
  local rc=$?
  if [ "${KEEP_WORK:-0}" = 1 ]; then
    log "work directory kept: $WORK"
  elif grep -q " $WORK/" /proc/mounts; then
    # Never rm -rf through a mount (the chroot's /dev is the host's).
    log "file systems still mounted under $WORK: not removing it"
  else
    rm -rf --one-file-system "$WORK"
  fi
  [ $rc -eq 0 ] || log "FAILED (exit $rc)"
}
trap cleanup EXIT

# --- the appliance ----------------------------------------------------------------------------------------
if [ ! -f "$JAR" ]; then
  step "building the appliance jar (mvn package)"
  (cd "$REPO" && mvn -B -q -pl appliance-web -am package -DskipTests)
fi
[ -f "$JAR" ] || die "no appliance jar at $JAR"

# Spring Boot's extracted layout (the app's jar and lib/): the JVM reads plain jars, which AppCDS can archive.
step "extracting $JAR"
java -Djarmode=tools -jar "$JAR" extract --destination "$WORK/app" >/dev/null
APP_JAR=$(cd "$WORK/app" && ls ./*.jar)
APP_JAR=${APP_JAR#./}
[ -d "$WORK/app/lib" ] || die "unexpected layout of the extracted jar"
[ "$APP_JAR" = xlatbox-appliance.jar ] || mv "$WORK/app/$APP_JAR" "$WORK/app/xlatbox-appliance.jar"

# --- the runtime: jlink with the modules jdeps finds, plus those only reached through reflection or services
step "jdeps: finding the modules the appliance needs"
modules=$(jdeps -q --ignore-missing-deps --multi-release 17 --print-module-deps \
  "$WORK/app/xlatbox-appliance.jar" "$WORK/app"/lib/*.jar)
# jdk.crypto.ec: the EC key of the self-signed certificate and TLS key exchange (a security provider);
# jdk.management: process and GC metrics (loaded reflectively by Micrometer); jdk.localedata: none (English).
modules=$(echo "$modules,jdk.crypto.ec,jdk.management" | tr , '\n' | sort -u | paste -sd,)
log "modules: $modules"
step "jlink: building the runtime"
jlink --add-modules "$modules" --output "$WORK/runtime" --strip-debug --no-header-files --no-man-pages \
  --compress=0 --generate-cds-archive
echo "$modules" > "$WORK/runtime/xlatbox-modules"

# --- the root file system ---------------------------------------------------------------------------------
step "mmdebstrap: Debian 12 minbase into $WORK/rootfs"
TRAIN_PORT=""
for _ in $(seq 50); do   # a free port for the AppCDS training run (it shares the host's network)
  p=$((20000 + RANDOM % 20000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then TRAIN_PORT=$p; break; fi
done
[ -n "$TRAIN_PORT" ] || die "no free port for the training run"
export XLATBOX_OVERLAY=$HERE/overlay XLATBOX_WORK=$WORK XLATBOX_VERSION=$VERSION XLATBOX_TRAIN_PORT=$TRAIN_PORT
dpkgopts=()
for m in "${EXCLUDE_MODULES[@]}"; do dpkgopts+=(--dpkgopt="path-exclude=/lib/modules/*/kernel/$m/*"); done
# shellcheck disable=SC2016 # the hooks are run by mmdebstrap, with the root file system as $1
mmdebstrap --mode=root --variant=minbase --format=directory "${dpkgopts[@]}" \
  --include="$(IFS=,; echo "${PACKAGES[*]}")" \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --essential-hook='mkdir -p "$1/etc/initramfs-tools/conf.d" && cp "$XLATBOX_OVERLAY/etc/initramfs-tools/conf.d/xlatbox.conf" "$1/etc/initramfs-tools/conf.d/"' \
  --customize-hook="'$HERE/customize.sh' \"\$1\" ${MASK[*]}" \
  bookworm "$WORK/rootfs" \
  "deb $MIRROR bookworm main" "deb $MIRROR bookworm-updates main" \
  "deb $SECURITY_MIRROR bookworm-security main"

rm -rf "$WORK"/rootfs/var/cache/apt/archives/*.deb

# The kernel and initrd go to the ESP (systemd-boot reads only FAT).
KERNEL=$(ls "$WORK"/rootfs/boot/vmlinuz-* | sort -V | tail -1)
INITRD=$WORK/rootfs/boot/initrd.img-${KERNEL##*/vmlinuz-}
[ -f "$INITRD" ] || die "no initrd for $KERNEL"
KVER=${KERNEL##*/vmlinuz-}
cp "$KERNEL" "$WORK/vmlinuz"; cp "$INITRD" "$WORK/initrd.img"
KERNEL=$WORK/vmlinuz INITRD=$WORK/initrd.img
BOOTX64=$WORK/rootfs/usr/lib/systemd/boot/efi/systemd-bootx64.efi
[ -f "$BOOTX64" ] || die "no systemd-boot in the root file system"

# --- the disk ---------------------------------------------------------------------------------------------
ESP_UUID=$(uuidgen) A_UUID=$(uuidgen) B_UUID=$(uuidgen) DISK_UUID=$(uuidgen) FS_UUID=$(uuidgen)
ESP_START=1 A_START=$((1 + ESP_SIZE_MIB)) B_START=$((1 + ESP_SIZE_MIB + ROOT_SIZE_MIB))
DISK_MIB=$((B_START + ROOT_SIZE_MIB + 1))   # 1 MiB at the end for the backup GPT

step "root slot A: mke2fs -d (${ROOT_SIZE_MIB} MiB)"
# The kernel and initrd live on the ESP; /boot keeps nothing (the upgrade file carries them).
rm -f "$WORK"/rootfs/boot/vmlinuz-* "$WORK"/rootfs/boot/initrd.img-* "$WORK"/rootfs/vmlinuz* "$WORK"/rootfs/initrd.img*
used_mib=$(du -sm "$WORK/rootfs" | cut -f1)
log "root file system: $used_mib MiB"
[ "$used_mib" -lt $((ROOT_SIZE_MIB * 85 / 100)) ] || die "the root file system ($used_mib MiB) does not fit a ${ROOT_SIZE_MIB} MiB slot with room to spare: raise ROOT_SIZE_MIB"
truncate -s "${ROOT_SIZE_MIB}M" "$WORK/root.img"
mke2fs -q -t ext4 -L xlatbox-root -U "$FS_UUID" -d "$WORK/rootfs" "$WORK/root.img" "${ROOT_SIZE_MIB}M"

step "ESP: mkfs.vfat + mtools (${ESP_SIZE_MIB} MiB)"
mkfs.vfat -C -F 32 -n XLATBOX-ESP "$WORK/esp.img" $((ESP_SIZE_MIB * 1024)) >/dev/null
export MTOOLS_SKIP_CHECK=1
esp() { local cmd=$1; shift; "$cmd" -i "$WORK/esp.img" "$@"; }
esp mmd ::/EFI ::/EFI/BOOT ::/EFI/systemd ::/loader ::/loader/entries ::/slot-a ::/slot-b
esp mcopy "$BOOTX64" ::/EFI/BOOT/BOOTX64.EFI
esp mcopy "$BOOTX64" ::/EFI/systemd/systemd-bootx64.efi
esp mcopy "$KERNEL" ::/slot-a/vmlinuz
esp mcopy "$INITRD" ::/slot-a/initrd.img
cat > "$WORK/loader.conf" <<EOF
timeout 3
console-mode keep
editor no
EOF
# console=: kernel messages go to the screen and the serial port; the last one (serial) is /dev/console.
# panic=10: a slot whose kernel or initrd cannot mount its root reboots, and boot counting falls back.
cat > "$WORK/slot-a.conf" <<EOF
title      xlatbox $VERSION (slot A)
version    $VERSION
linux      /slot-a/vmlinuz
initrd     /slot-a/initrd.img
options    root=PARTUUID=$A_UUID rw rootwait console=tty0 console=ttyS0,115200n8 panic=10 systemd.show_status=auto
EOF
esp mcopy "$WORK/loader.conf" ::/loader/loader.conf
esp mcopy "$WORK/slot-a.conf" "::/loader/entries/slot-a+3-0.conf"
printf '%s\n' "$VERSION" > "$WORK/esp-version"
esp mcopy "$WORK/esp-version" ::/slot-a/version
esp mdir -/ :: >/dev/null

step "disk: sfdisk + dd (${DISK_MIB} MiB)"
RAW=$WORK/$NAME.img
truncate -s "${DISK_MIB}M" "$RAW"
sfdisk -q --no-reread --no-tell-kernel "$RAW" <<EOF
label: gpt
label-id: $DISK_UUID
unit: sectors
sector-size: 512

start=$((ESP_START * 2048)), size=$((ESP_SIZE_MIB * 2048)), type=$TYPE_ESP, uuid=$ESP_UUID, name=xlatbox-esp
start=$((A_START * 2048)), size=$((ROOT_SIZE_MIB * 2048)), type=$TYPE_ROOT_X86_64, uuid=$A_UUID, name=xlatbox-a
start=$((B_START * 2048)), size=$((ROOT_SIZE_MIB * 2048)), type=$TYPE_ROOT_X86_64, uuid=$B_UUID, name=xlatbox-b
EOF
dd if="$WORK/esp.img" of="$RAW" bs=1M seek=$ESP_START conv=notrunc,sparse status=none
dd if="$WORK/root.img" of="$RAW" bs=1M seek=$A_START conv=notrunc,sparse status=none
sfdisk -d "$RAW" > "$WORK/partitions.txt"

step "zstd -$ZSTD_LEVEL and bmap"
bmaptool -q create -o "$TARGET/$NAME.img.bmap" "$RAW"
rm -f "$TARGET/$NAME.img.zst"
zstd -q -T0 -"$ZSTD_LEVEL" "$RAW" -o "$TARGET/$NAME.img.zst"
(cd "$TARGET" && sha256sum "$NAME.img.zst" > "$NAME.img.zst.sha256")

raw=$(stat -c %s "$RAW"); alloc=$(( $(stat -c %b "$RAW") * $(stat -c %B "$RAW") ))
zst=$(stat -c %s "$TARGET/$NAME.img.zst")
mib() { echo "$(( ($1 + 524288) / 1048576 )) MiB"; }
cat > "$TARGET/$NAME.txt" <<EOF
image:      $NAME.img.zst
version:    $VERSION
built:      $(date -u +%FT%TZ) in $((SECONDS - step_start)) s
raw:        $raw bytes ($(mib "$raw"))
allocated:  $alloc bytes ($(mib "$alloc"))
compressed: $zst bytes ($(mib "$zst"))
root fs:    $used_mib MiB used of ${ROOT_SIZE_MIB} MiB
runtime:    $(du -sm "$WORK/runtime" | cut -f1) MiB, modules $modules
kernel:     $KVER, initrd $(mib "$(stat -c %s "$INITRD")")
slot A:     PARTUUID $A_UUID
slot B:     PARTUUID $B_UUID (empty)
EOF
cat "$TARGET/$NAME.txt" >&2
if [ "${KEEP_RAW:-0}" = 1 ]; then mv "$RAW" "$TARGET/$NAME.img"; fi
log "done: $TARGET/$NAME.img.zst"
exit 0
}
