#!/usr/bin/env bash
# Smoke test of the image: boots it under QEMU (TCG: no KVM needed; OVMF; serial console to a file; user
# networking with the HTTPS port forwarded) and checks, each with a bounded wait:
#   1. the setup code and the dashboard address appear on the serial console;
#   2. the web UI answers over HTTPS and says setup is required;
#   3. the setup completes through the REST API, the admin can log in, and the NAT64 engine and the DNS64 run
#      (the hardened unit has the capabilities they need);
#   4. the boot is blessed: after a clean power-off, the ESP holds loader/entries/slot-a.conf (no try counter);
#   5. the data partition was made on the first boot, and (second boot) the configuration survives a reboot.
# It prints and records the boot-to-UI times in target/<image>.smoke.txt.
#
#   sudo ./image-build/test/smoke.sh [--build] [IMAGE.img.zst]
#
# --build runs build.sh first. Without an image argument it takes the newest in image-build/target.
# Environment: SMOKE_TIMEOUT (seconds a boot may take to show the setup code, default 900), QEMU_SMP (1),
# QEMU_MEM (2048), KEEP=1 (keep the temporary directory with the disk and the console logs).
set -euo pipefail
{ # (one block, read before it runs: editing the file during a test cannot break that test)
HERE=$(cd "$(dirname "$0")" && pwd)
TARGET=$HERE/../target
TIMEOUT=${SMOKE_TIMEOUT:-900}
ONE_BOOT=0
build=0 image=""
for a in "$@"; do
  case $a in
    --build) build=1 ;;
    --one-boot) ONE_BOOT=1 ;;
    -*) echo "usage: $0 [--build] [--one-boot] [IMAGE.img.zst]" >&2; exit 2 ;;
    *) image=$a ;;
  esac
done

log() { printf '\033[1msmoke:\033[0m %s\n' "$*" >&2; }
fail() { printf '\033[1;31msmoke: FAILED:\033[0m %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "run as root (like build.sh)"
need=()
for tool in qemu-system-x86_64:qemu-system-x86 zstd:zstd mdir:mtools sfdisk:fdisk curl:curl; do
  command -v "${tool%%:*}" >/dev/null || need+=("${tool#*:}")
done
[ -f /usr/share/OVMF/OVMF_CODE_4M.fd ] || need+=(ovmf)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ "$build" = 1 ]; then
  "$HERE/../build.sh"
fi
if [ -z "$image" ]; then
  image=$(ls -t "$TARGET"/xlatbox-*-x86_64.img.zst 2>/dev/null | head -1 || true)
fi
[ -n "$image" ] && [ -f "$image" ] || fail "no image: build one with image-build/build.sh"
image=$(cd "$(dirname "$image")" && pwd)/$(basename "$image")

TMP=$(mktemp -d /tmp/xlatbox-smoke.XXXXXX)
QEMU_PID=""
cleanup() {
  local rc=$?
  if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then
    kill "$QEMU_PID" 2>/dev/null || true
    for _ in $(seq 20); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$QEMU_PID" 2>/dev/null || true
  fi
  exec 9>&-   # (no 2>/dev/null here: on exec it would silence the rest of the cleanup)
  if [ $rc -ne 0 ]; then
    for f in "$TMP"/console-*.log; do
      [ -f "$f" ] || continue
      log "last lines of $f:"
      tail -n 150 "$f" | tr -d '\r' | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' >&2
    done
  fi
  if [ "${KEEP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "image $(basename "$image")"
zstd -q -d --sparse "$image" -o "$TMP/disk.img"
# A disk larger than the image, as a real one would be: the first boot makes the data partition in the rest.
truncate -s +2G "$TMP/disk.img"
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$TMP/vars.fd"

port=""
for _ in $(seq 50); do
  p=$((20000 + RANDOM % 40000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || fail "no free port"
URL=https://127.0.0.1:$port

# Starts the VM; the console goes to $TMP/console-$1.log, the QEMU monitor reads the FIFO on fd 9.
boot() {
  local n=$1
  rm -f "$TMP/monitor"; mkfifo "$TMP/monitor"
  # NICs: the 1st (lowest PCI address) is the box's WAN port (user networking, HTTPS forwarded), the 2nd its LAN.
  # One vCPU: with two, multi-threaded TCG crashed the guest JVM in freshly JIT-compiled code (SIGSEGV at the
  # first instruction of a C1 method, in 3 of 6 runs on a busy host); with one it did not.
  qemu-system-x86_64 -machine q35 -accel tcg -smp "${QEMU_SMP:-1}" -m "${QEMU_MEM:-2048}" \
    -drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
    -drive if=pflash,format=raw,unit=1,file="$TMP/vars.fd" \
    -drive file="$TMP/disk.img",format=raw,if=virtio,cache=unsafe \
    -nic user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:$port-:8443 \
    -nic user,model=virtio-net-pci,restrict=on \
    -display none -vga none -serial file:"$TMP/console-$n.log" -monitor stdio \
    < "$TMP/monitor" > "$TMP/qemu-$n.log" 2>&1 &
  QEMU_PID=$!
  exec 9>"$TMP/monitor"
  BOOT_START=$SECONDS
}

console() { tr -d '\r' 2>/dev/null < "$TMP/console-$1.log" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' | tr -c '[:print:]\n' ' '; }

# Waits until the console shows the regex $2 (grep -E), at most TIMEOUT seconds; prints the matching line.
wait_console() {
  local n=$1 re=$2 line
  while [ $((SECONDS - BOOT_START)) -lt "$TIMEOUT" ]; do
    line=$(console "$n" | grep -E -m1 "$re" || true)
    if [ -n "$line" ]; then echo "$line"; return 0; fi
    kill -0 "$QEMU_PID" 2>/dev/null || fail "QEMU exited (log: $(cat "$TMP/qemu-$n.log"))"
    sleep 2
  done
  fail "boot $n: no '$re' on the console within $TIMEOUT s"
}

poweroff() {
  local n=$1
  echo system_powerdown >&9
  for _ in $(seq 150); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 2; done
  if kill -0 "$QEMU_PID" 2>/dev/null; then fail "boot $n: the VM did not power off within 300 s"; fi
  wait "$QEMU_PID" 2>/dev/null || true
  QEMU_PID=""
  exec 9>&-
}

# The boot entries on the ESP (partition 1, at 1 MiB), read with mtools from the powered-off disk.
entries() { MTOOLS_SKIP_CHECK=1 mdir -b -i "$TMP/disk.img@@1M" ::/loader/entries | sed 's:.*/::' | sort | xargs; }

curl_() { curl -ksS --max-time 30 "$@"; }
# GETs retry a connection reset or an empty reply: under emulation the first requests of a fresh JVM sometimes
# hit one (seen once, for GET /setup). POSTs never retry.
get() { curl -ksS --max-time 60 --retry 4 --retry-all-errors --retry-delay 3 "$@"; }

# The journal on the serial console too (this copy of the disk only), so that when the appliance exits or
# restarts, the console log says why.
entry=$(entries)
MTOOLS_SKIP_CHECK=1 mtype -i "$TMP/disk.img@@1M" "::/loader/entries/$entry" \
  | sed '/^options/ s/$/ systemd.journald.forward_to_console=1/' > "$TMP/entry.conf"
MTOOLS_SKIP_CHECK=1 mcopy -o -i "$TMP/disk.img@@1M" "$TMP/entry.conf" "::/loader/entries/$entry"
restarts() { console "$1" | grep -c 'xlatbox.service: Scheduled restart job' || true; }

# --- boot 1: first boot -----------------------------------------------------------------------------------
log "boot 1 (first boot) under TCG, console: $TMP/console-1.log"
boot 1
line=$(wait_console 1 'enter the setup code [A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}')
T_CODE=$((SECONDS - BOOT_START))
CODE=$(echo "$line" | grep -Eo '[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}')
log "setup code $CODE on the console after $T_CODE s"
console 1 | grep -q 'Dashboard:' || fail "no dashboard address on the console"
console 1 | grep -A3 'Dashboard:' | head -4 >&2
console 1 | grep -Eq 'https://10\.0\.2\.15:8443/' || fail "the console does not show the WAN address (10.0.2.15)"

# 2. HTTPS
state=$(get "$URL/api/v1/setup") || fail "no HTTPS answer on $URL"
[ "$state" = '{"setupRequired":true}' ] || fail "unexpected setup state: $state"
T_UI=$((SECONDS - BOOT_START))
[ "$(get -o /dev/null -w '%{http_code}' "$URL/setup")" = 200 ] || fail "GET /setup is not 200"
log "HTTPS answers after $T_UI s"

# 3. setup through the REST API, login, dataplane state
PASSWORD="smoke-$RANDOM-$RANDOM-test"
code=$(curl_ -o "$TMP/setup.json" -w '%{http_code}' -H 'Content-Type: application/json' -X POST "$URL/api/v1/setup" \
  -d "{\"setupCode\":\"$CODE\",\"username\":\"admin\",\"password\":\"$PASSWORD\"}")
[ "$code" = 201 ] || fail "POST /api/v1/setup: $code $(cat "$TMP/setup.json")"
[ "$(get "$URL/api/v1/setup")" = '{"setupRequired":false}' ] || fail "setup still required after setup"
log "setup done through the REST API"
jar=$TMP/cookies
get -c "$jar" -b "$jar" -o /dev/null "$URL/login"
xsrf=$(awk '$6 == "XSRF-TOKEN" { print $7 }' "$jar")
[ -n "$xsrf" ] || fail "no XSRF-TOKEN cookie from /login"
loc=$(curl_ -c "$jar" -b "$jar" -o /dev/null -w '%{redirect_url}' -H "X-XSRF-TOKEN: $xsrf" \
  --data-urlencode username=admin --data-urlencode "password=$PASSWORD" "$URL/login")
case $loc in *error*|"") fail "login failed (redirect: '$loc')" ;; esac
status=""
for _ in $(seq 30); do   # the dataplane starts after the web server: give it some time
  status=$(curl_ -b "$jar" -H 'Accept: application/json' "$URL/api/v1/status") || true
  echo "$status" | grep -q '"engineRunning":true' && echo "$status" | grep -q '"dns64Running":true' && break
  sleep 5
done
echo "$status" | grep -q '"engineRunning":true' || fail "the NAT64 engine does not run: $status"
echo "$status" | grep -q '"dns64Running":true' || fail "the DNS64 does not run: $status"
log "logged in; engine and DNS64 run: $(echo "$status" | grep -o '"tunName":"[^"]*"'), $(echo "$status" | grep -o '"dnsPorts":\[[^]]*\]')"

# 4. blessed: wait for the health gate on the console, then power off cleanly and read the ESP
wait_console 1 'health-gate: .*the boot is good' >/dev/null
sleep 5   # systemd-bless-boot.service runs right after boot-complete.target
log "powering off"
poweroff 1
T_TOTAL1=$((SECONDS - BOOT_START))
ents=$(entries)
log "boot entries after boot 1: $ents"
[ "$ents" = "slot-a.conf" ] || fail "the boot was not blessed: entries '$ents' (expected slot-a.conf)"

# 5. data partition
sfdisk -d "$TMP/disk.img" | grep -q 'name="xlatbox-data"' || fail "no data partition after the first boot"
data_mib=$(sfdisk -d "$TMP/disk.img" | awk -F'size= *' '/xlatbox-data/ { split($2, a, ","); print int(a[1] / 2048) }')
log "data partition made on the first boot: $data_mib MiB"

T_BOOT2="-"
if [ "$ONE_BOOT" = 0 ]; then
  log "boot 2: the configuration must survive"
  boot 2
  wait_console 2 'Dashboard:' >/dev/null
  T_BOOT2=$((SECONDS - BOOT_START))
  state=$(get "$URL/api/v1/setup") || fail "boot 2: no HTTPS answer"
  [ "$state" = '{"setupRequired":false}' ] || fail "boot 2: the admin account is gone: $state"
  console 2 | grep -Eq 'enter the setup code [A-Z2-7]{4}-' && fail "boot 2 shows a setup code again"
  rm -f "$jar"
  get -c "$jar" -b "$jar" -o /dev/null "$URL/login"
  xsrf=$(awk '$6 == "XSRF-TOKEN" { print $7 }' "$jar")
  loc=$(curl_ -c "$jar" -b "$jar" -o /dev/null -w '%{redirect_url}' -H "X-XSRF-TOKEN: $xsrf" \
    --data-urlencode username=admin --data-urlencode "password=$PASSWORD" "$URL/login")
  case $loc in *error*|"") fail "boot 2: login failed (redirect: '$loc')" ;; esac
  log "boot 2: UI after $T_BOOT2 s, the admin account and its password survived"
  wait_console 2 'health-gate: .*the boot is good' >/dev/null
  poweroff 2
fi

summary="image $(basename "$image"): first boot to setup code on the console ${T_CODE} s, to HTTPS ${T_UI} s, \
first boot incl. setup, checks and power-off ${T_TOTAL1} s; second boot to UI ${T_BOOT2} s \
(TCG, -smp ${QEMU_SMP:-1}, $(nproc) host cores); data partition ${data_mib} MiB on a +2 GiB disk; \
appliance restarts by systemd: boot 1 $(restarts 1), boot 2 $(restarts 2)"
echo "$summary" > "${image%.img.zst}.smoke.txt"
log "PASSED: $summary"
exit 0
}
