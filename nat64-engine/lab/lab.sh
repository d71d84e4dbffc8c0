#!/usr/bin/env bash
# xlatbox lab: three network namespaces joined by veth pairs, a NAT64 between them.
#
#   client (IPv6 only)                router (both)                       server (IPv4 only)
#   c0 2001:db8:1::2/64 ---veth--- rc 2001:db8:1::1/64
#      (+ ::3 .. ::N for more hosts)   rs 198.51.100.1/24 ---veth--- s0 198.51.100.2/24
#   default via 2001:db8:1::1          TUN nat64: 64:ff9b::/96 and        default via 198.51.100.1
#                                      pool4 192.0.2.0/24 routed to it    HTTP :80, UDP echo :7, ping
#
# The server is 198.51.100.2, reached from the client as 64:ff9b::198.51.100.2 (64:ff9b::c633:6402).
#
# Usage:
#   lab.sh up [--id ID] [--no-engine] [--ipv4-mtu N] [--hosts N] [--big-mb N] [-- ENGINE-OPTIONS...]
#       Creates the namespaces xl<ID>c, xl<ID>r, xl<ID>s (ID: 6 hex digits, random by default), starts the
#       server's services and, unless --no-engine, the NAT64 engine (nat64-engine/target/xlatbox-nat64.jar) in
#       the router. Prints ID=, CLIENT=, ROUTER=, SERVER= lines, then how to use it.
#   lab.sh down ID | --all    Stops what the lab started and deletes its namespaces; works after a crash.
#   lab.sh status [ID]        Lists labs (namespaces and processes).
#   lab.sh exec ID client|router|server CMD...   Runs CMD in that namespace.
#
# State lives in ${XLATBOX_LAB_DIR:-/tmp/xlatbox-lab}/<ID>. Every loop is bounded; processes are stopped by
# the PID recorded or found in the lab's namespaces, never by name.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
STATE=${XLATBOX_LAB_DIR:-/tmp/xlatbox-lab}
JAR=${XLATBOX_JAR:-$REPO/nat64-engine/target/xlatbox-nat64.jar}

C6=2001:db8:1::2
R6=2001:db8:1::1
R4=198.51.100.1
S4=198.51.100.2
POOL6=64:ff9b::/96
POOL4=192.0.2.0/24
TARGET6=64:ff9b::c633:6402

die() { echo "lab: $*" >&2; exit 1; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
names() { CLIENT="xl${1}c"; ROUTER="xl${1}r"; SERVER="xl${1}s"; }

need() {
  local missing=()
  for b in ip python3 sha256sum; do command -v "$b" >/dev/null 2>&1 || missing+=("$b"); done
  [ ${#missing[@]} -eq 0 ] || die "missing tools: ${missing[*]} (apt-get install iproute2 python3 coreutils)"
  [ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
}

up() {
  local id="" engine=1 mtu4="" hosts=1 bigmb=128 extra=()
  while [ $# -gt 0 ]; do
    case $1 in
      --id) id=$2; shift 2 ;;
      --no-engine) engine=0; shift ;;
      --ipv4-mtu) mtu4=$2; shift 2 ;;
      --hosts) hosts=$2; shift 2 ;;
      --big-mb) bigmb=$2; shift 2 ;;
      --) shift; extra=("$@"); break ;;
      *) die "unknown option $1" ;;
    esac
  done
  need
  [ -n "$id" ] || id=$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
  [[ $id =~ ^[0-9a-f]{6}$ ]] || die "ID must be 6 hex digits (got $id)"
  names "$id"
  local dir=$STATE/$id
  [ -e "$dir" ] && die "lab $id exists; run: $0 down $id"
  mkdir -p "$dir/www"
  : > "$dir/pids"
  echo "$id" > "$dir/id"
  trap 'echo "lab: setup failed, cleaning up" >&2; down "$id" >/dev/null 2>&1 || true' ERR

  for ns in "$CLIENT" "$ROUTER" "$SERVER"; do
    ip netns add "$ns"
    nsx "$ns" ip link set lo up
  done
  ip link add name c0 netns "$CLIENT" type veth peer name rc netns "$ROUTER"
  ip link add name rs netns "$ROUTER" type veth peer name s0 netns "$SERVER"

  # Client: IPv6 only, one address per host.
  nsx "$CLIENT" sysctl -qw net.ipv4.conf.all.disable_policy=1 2>/dev/null || true
  local h
  for ((h = 0; h < hosts; h++)); do
    nsx "$CLIENT" ip -6 addr add "2001:db8:1::$((h + 2))/64" dev c0 nodad
  done
  nsx "$CLIENT" ip link set c0 up
  nsx "$CLIENT" ip -6 route add default via "$R6" dev c0

  # Router: both families; the engine adds the TUN, its routes and forwarding.
  nsx "$ROUTER" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  nsx "$ROUTER" ip -6 addr add "$R6/64" dev rc nodad
  nsx "$ROUTER" ip -4 addr add "$R4/24" dev rs
  nsx "$ROUTER" ip link set rc up
  nsx "$ROUTER" ip link set rs up

  # Server: IPv4 only.
  nsx "$SERVER" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  nsx "$SERVER" ip -4 addr add "$S4/24" dev s0
  nsx "$SERVER" ip link set s0 up
  nsx "$SERVER" ip -4 route add default via "$R4" dev s0
  if [ -n "$mtu4" ]; then
    nsx "$ROUTER" ip link set rs mtu "$mtu4"
    nsx "$SERVER" ip link set s0 mtu "$mtu4"
  fi

  # Content: a small page and a big file with its checksum.
  echo "hello from the IPv4-only server $S4" > "$dir/www/index.html"
  head -c "$((bigmb * 1024 * 1024))" /dev/urandom > "$dir/www/big.bin"
  (cd "$dir/www" && sha256sum big.bin > big.bin.sha256)
  nsx "$SERVER" python3 "$HERE/services.py" "$dir/www" > "$dir/services.log" 2>&1 &
  echo "$! services" >> "$dir/pids"

  if [ "$engine" -eq 1 ]; then
    if [ ! -f "$JAR" ]; then
      echo "lab: building $JAR" >&2
      (cd "$REPO" && mvn -q -B -pl nat64-engine -am package -DskipTests) >&2 || die "build failed"
    fi
    nsx "$ROUTER" java -jar "$JAR" --pool6 "$POOL6" --pool4 "$POOL4" --queues 1 "${extra[@]}" \
      > "$dir/engine.log" 2>&1 &
    echo "$! engine" >> "$dir/pids"
    local i
    for ((i = 0; i < 100; i++)); do
      nsx "$CLIENT" ping -6 -c1 -W1 "$TARGET6" >/dev/null 2>&1 && break
      sleep 0.2
    done
    nsx "$CLIENT" ping -6 -c1 -W1 "$TARGET6" >/dev/null 2>&1 \
      || { cat "$dir/engine.log" >&2; die "the client cannot reach $TARGET6 through the engine"; }
  fi
  # Wait until no address is tentative (duplicate address detection on the link-local addresses), so that the
  # first packet to or from a new host is not held back.
  for ((i = 0; i < 50; i++)); do
    [ -z "$(nsx "$CLIENT" ip -6 addr show tentative)$(nsx "$ROUTER" ip -6 addr show tentative)" ] && break
    sleep 0.1
  done
  # Wait for the HTTP service.
  for ((i = 0; i < 50; i++)); do
    nsx "$SERVER" python3 -c "import socket; socket.create_connection(('127.0.0.1', 80), 1)" 2>/dev/null && break
    sleep 0.1
  done
  trap - ERR
  cat <<INFO
ID=$id
CLIENT=$CLIENT
ROUTER=$ROUTER
SERVER=$SERVER
STATE=$dir
# The IPv6-only client reaches the IPv4-only server $S4 through NAT64:
#   ip netns exec $CLIENT curl http://[$TARGET6]/
#   ip netns exec $CLIENT ping -6 -c3 $TARGET6
#   ip netns exec $CLIENT curl -o /dev/null http://[$TARGET6]/big.bin
# Tear it down with: $0 down $id
INFO
}

down_one() {
  local id=$1
  names "$id"
  local dir=$STATE/$id
  local pids=()
  if [ -f "$dir/pids" ]; then
    while read -r pid _; do pids+=("$pid"); done < "$dir/pids"
  fi
  for ns in "$CLIENT" "$ROUTER" "$SERVER"; do
    [ -e "/run/netns/$ns" ] && pids+=($(ip netns pids "$ns" 2>/dev/null || true))
  done
  if [ ${#pids[@]} -gt 0 ]; then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    local i
    for ((i = 0; i < 50; i++)); do
      local alive=0
      for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
      [ $alive -eq 0 ] && break
      sleep 0.1
    done
    kill -KILL "${pids[@]}" 2>/dev/null || true
  fi
  for ns in "$CLIENT" "$ROUTER" "$SERVER"; do
    [ -e "/run/netns/$ns" ] && ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$dir"
  echo "lab $id down"
}

down() {
  [ $# -ge 1 ] || die "usage: $0 down ID | --all"
  if [ "$1" = "--all" ]; then
    local ids
    ids=$( { ls "$STATE" 2>/dev/null || true; ip netns list 2>/dev/null | awk '{print $1}' \
      | sed -n 's/^xl\([0-9a-f]\{6\}\)[crs]$/\1/p'; } | sort -u)
    for id in $ids; do down_one "$id"; done
  else
    down_one "$1"
  fi
}

status() {
  local ids
  ids=$( { ls "$STATE" 2>/dev/null || true; ip netns list 2>/dev/null | awk '{print $1}' \
    | sed -n 's/^xl\([0-9a-f]\{6\}\)[crs]$/\1/p'; } | sort -u)
  [ -n "${1:-}" ] && ids=$1
  for id in $ids; do
    names "$id"
    echo "lab $id: namespaces $(ip netns list | awk '{print $1}' | grep -c "^xl${id}" || true) of 3"
    [ -f "$STATE/$id/pids" ] && sed 's/^/  pid /' "$STATE/$id/pids"
  done
}

cmd=${1:-}
shift || true
case $cmd in
  up) up "$@" ;;
  down) down "$@" ;;
  status) status "$@" ;;
  exec)
    [ $# -ge 3 ] || die "usage: $0 exec ID client|router|server CMD..."
    names "$1"
    case $2 in client) ns=$CLIENT ;; router) ns=$ROUTER ;; server) ns=$SERVER ;; *) die "no such host $2" ;; esac
    shift 2
    exec ip netns exec "$ns" "$@"
    ;;
  *) sed -n '2,20p' "$0"; exit 2 ;;
esac
