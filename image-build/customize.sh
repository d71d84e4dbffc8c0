#!/usr/bin/env bash
# mmdebstrap's customize hook of build.sh: turns the Debian root file system in $1 into an xlatbox root slot.
# Arguments: ROOT UNIT-TO-MASK...; from build.sh's environment: XLATBOX_OVERLAY, XLATBOX_WORK (the jlink-ed
# runtime and the extracted appliance), XLATBOX_VERSION, XLATBOX_TRAIN_PORT.
set -euo pipefail
root=$1; shift
mask=("$@")
log() { printf 'customize: %s\n' "$*" >&2; }
in_root() { chroot "$root" "$@"; }

log "overlay, runtime and appliance"
# Owned by root and not writable by others, whoever owns the checkout.
cp -a --no-preserve=ownership "$XLATBOX_OVERLAY"/. "$root"/
(cd "$XLATBOX_OVERLAY" && find . -mindepth 1 ! -type l) | while IFS= read -r f; do chmod go-w "$root/$f"; done
mkdir -p "$root/opt/xlatbox" "$root/efi" "$root/var/lib/xlatbox"
cp -a "$XLATBOX_WORK/runtime" "$root/opt/xlatbox/runtime"
cp -a "$XLATBOX_WORK/app" "$root/opt/xlatbox/app"
chown -R root:root "$root/opt/xlatbox"
chmod -R go-w "$root/opt/xlatbox"

# The image's identity (os-release IMAGE_ID/IMAGE_VERSION: the upgrade and the console read them).
printf 'IMAGE_ID=xlatbox\nIMAGE_VERSION=%s\n' "$XLATBOX_VERSION" >> "$root/usr/lib/os-release"
echo xlatbox > "$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\txlatbox\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
# An empty machine ID: each box makes its own on the first boot (DHCP client ID, the LAN's ULA prefix).
: > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"

log "user, units"
in_root useradd --system --no-create-home --home-dir /var/lib/xlatbox --shell /usr/sbin/nologin xlatbox
in_root systemctl enable -q systemd-networkd.service systemd-timesyncd.service \
  xlatbox.service xlatbox-health.service xlatbox-announce.service
in_root systemctl mask -q "${mask[@]}"
# The serial console's getty is started by systemd-getty-generator for console=ttyS0.

log "AppCDS: a training run of the appliance with the image's runtime, at the image's paths"
# Also the proof that the jlink-ed runtime has every module the appliance needs: it must start, serve HTTPS and
# answer the setup state. The dataplane and DNS64 stay off (they would touch the build machine's network).
mounted=()
for fs in proc sys dev; do
  if ! mountpoint -q "$root/$fs"; then
    case $fs in proc) mount -t proc proc "$root/proc" ;; sys) mount -t sysfs sys "$root/sys" ;;
      dev) mount --bind /dev "$root/dev" ;; esac
    mounted+=("$root/$fs")
  fi
done
train=$root/tmp/xlatbox-train
mkdir -p "$train"
pid=""
finish() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  for m in "${mounted[@]}"; do umount -l "$m" || true; done
  rm -rf "$train"
}
trap finish EXIT
port=$XLATBOX_TRAIN_PORT
jsa=/opt/xlatbox/app/xlatbox.jsa
chroot "$root" /opt/xlatbox/runtime/bin/java @/opt/xlatbox/jvm.options -XX:ArchiveClassesAtExit=$jsa \
  -jar /opt/xlatbox/app/xlatbox-appliance.jar --xlatbox.data-dir=/tmp/xlatbox-train/data \
  --server.port="$port" --server.address=127.0.0.1 \
  --xlatbox.dataplane.enabled=false --xlatbox.dns64.enabled=false \
  --xlatbox.initial-config=/opt/xlatbox/initial-config.json > "$train/log" 2>&1 &
pid=$!
for ((i = 0; i < 600; i++)); do
  grep -q "Setup code: " "$train/log" && break
  kill -0 "$pid" 2>/dev/null || { tail -60 "$train/log" >&2; log "the appliance died in its training run"; exit 1; }
  sleep 0.5
done
grep -q "Setup code: " "$train/log" || { tail -60 "$train/log" >&2; log "no start within 300 s"; exit 1; }
state=$(curl -ksS --max-time 30 "https://127.0.0.1:$port/api/v1/setup")
echo "$state" | grep -q '"setupRequired":true' || { log "unexpected setup state: $state"; exit 1; }
curl -ksS --max-time 30 -o /dev/null "https://127.0.0.1:$port/setup"
curl -ksS --max-time 30 -o /dev/null "https://127.0.0.1:$port/login"
kill -TERM "$pid"
for ((i = 0; i < 240; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$pid" 2>/dev/null; then log "the training run did not stop"; exit 1; fi
wait "$pid" || true
pid=""
[ -s "$root$jsa" ] || { tail -30 "$train/log" >&2; log "no AppCDS archive written"; exit 1; }
log "AppCDS archive: $(du -m "$root$jsa" | cut -f1) MiB; $(grep -o 'Started XlatboxApplication in [0-9.]* seconds' "$train/log")"

log "cleaning up"
rm -rf "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* "$root"/var/log/*.log "$root"/var/log/apt/* \
  "$root"/tmp/* "$root"/var/tmp/*
