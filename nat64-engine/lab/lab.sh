#!/usr/bin/env bash
# xlatbox lab: three network namespaces joined by veth pairs, a NAT64 between them.
#
#   client (IPv6 only)                router (both)                       server (IPv4 only)
#   c0 2001:db8:1::2/64 ---veth--- rc 2001:db8:1::1/64
#      (+ ::3 .. ::N for more hosts)   rs 198.51.100.1/24 ---veth--- s0 198.51.100.2/24
#   default via 2001:db8:1::1          TUN nat64: 64:ff9b::/96 and        default via 198.51.100.1
#                                      pool4 192.0.2.0/24 routed to it    HTTP :80, UDP echo :7, ping,
#                                                                         DNS :53 (zone lab.test)
#
# The server is 198.51.100.2, reached from the client as 64:ff9b::198.51.100.2 (64:ff9b::c633:6402).
#
# Usage:
#   lab.sh up [--id ID] [--no-engine] [--ipv4-mtu N] [--hosts N] [--big-mb N] [-- ENGINE-OPTIONS...]
#       Creates the namespaces xl<ID>c, xl<ID>r, xl<ID>s (ID: 6 hex digits, random by default), starts the
#       server's services and, unless --no-engine, the NAT64 engine (nat64-engine/target/xlatbox-nat64.jar) in
#       the router. Prints ID=, CLIENT=, ROUTER=, SERVER= lines, then how to use it.
#       --pool6 P      the NAT64 prefix of the engine and of --dns64 (default 64:ff9b::/96)
#       --dns64        our DNS64 (dns64/target/xlatbox-dns64.jar) in the router on [2001:db8:1::1]:53, asking the
#                      server's DNS (zone lab.test); not with --appliance, which has its own
#       --clat         464XLAT: our CLAT (clat-test-client/target/xlatbox-clat.jar run) in the client, TUN "clat",
#                      192.0.0.2/29 and an IPv4 default route, prefix learned from the DNS64 (RFC 7050); with the
#                      engine it implies --dns64. IPv4-only programs in the client then reach 198.51.100.2 by its
#                      IPv4 literal; "xlatbox-clat.jar check" proves it (lab.sh prints the command line)
#       --pref64 P     router advertisements with a PREF64 option for P (RFC 8781) from the router on rc, every
#                      10 s and on solicitation (lab/ra.py); a CLAT prefers them to the DNS64
#   lab.sh up --appliance [--port N] [--data-dir DIR] [--http] [other up options]
#       Instead of the bare engine, the whole appliance (appliance-web/target/xlatbox-appliance.jar): the JVM runs
#       here, its web UI on https://localhost:N/ (8443), its NAT64 TUN device and its DNS64 (on the router's
#       addresses, asking the server's DNS) in the router. The client resolves through it (/etc/netns/<client>/
#       resolv.conf), so "curl http://server.lab.test/" from the client goes through DNS64 and NAT64. The
#       configuration lives in DIR (default: the lab's state directory, gone at "down"); --http turns TLS off.
#   lab.sh restart-appliance ID [--kill]   Stops the lab's appliance (SIGTERM, or SIGKILL: a power cut) and
#       starts it again on the same data directory.
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
APPLIANCE_JAR=${XLATBOX_APPLIANCE_JAR:-$REPO/appliance-web/target/xlatbox-appliance.jar}
DNS64_JAR=${XLATBOX_DNS64_JAR:-$REPO/dns64/target/xlatbox-dns64.jar}
CLAT_JAR=${XLATBOX_CLAT_JAR:-$REPO/clat-test-client/target/xlatbox-clat.jar}

C6=2001:db8:1::2
R6=2001:db8:1::1
R4=198.51.100.1
S4=198.51.100.2
POOL6=64:ff9b::/96
POOL4=192.0.2.0/24
TARGET6=64:ff9b::c633:6402
NAME=server.lab.test

die() { echo "lab: $*" >&2; exit 1; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
names() { CLIENT="xl${1}c"; ROUTER="xl${1}r"; SERVER="xl${1}s"; }

need() {
  local missing=()
  for b in ip python3 sha256sum; do command -v "$b" >/dev/null 2>&1 || missing+=("$b"); done
  [ ${#missing[@]} -eq 0 ] || die "missing tools: ${missing[*]} (apt-get install iproute2 python3 coreutils)"
  [ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
}

# Builds a module's runnable jar if it is missing.
build_jar() {
  local jar=$1 module=$2
  if [ ! -f "$jar" ]; then
    echo "lab: building $jar" >&2
    (cd "$REPO" && mvn -q -B -pl "$module" -am package -DskipTests) >&2 || die "build of $module failed"
  fi
}

# Waits (at most 20 s) until the DNS server $2 answers a query for $3 (type $4) from namespace $1.
await_dns() {
  nsx "$1" python3 - "$2" "$3" "$4" <<'PY'
import socket, struct, sys, time
server, name, qtype = sys.argv[1], sys.argv[2], {"A": 1, "AAAA": 28}[sys.argv[3]]
q = struct.pack("!HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack("!HH", qtype, 1)
for attempt in range(100):
    s = socket.socket(socket.AF_INET6 if ":" in server else socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.2)
    try:
        s.sendto(q, (server, 53))
        d = s.recv(512)
        if len(d) > 12 and d[:2] == q[:2] and struct.unpack("!H", d[6:8])[0] > 0:
            sys.exit(0)
    except OSError:
        time.sleep(0.1)
    finally:
        s.close()
sys.exit(1)
PY
}

# The address that embeds IPv4 $2 in the RFC 6052 prefix $1.
embed() {
  python3 -c "import ipaddress, sys
n = ipaddress.IPv6Network(sys.argv[1]); v4 = ipaddress.IPv4Address(sys.argv[2]).packed
at = {32: [4, 5, 6, 7], 40: [5, 6, 7, 9], 48: [6, 7, 9, 10], 56: [7, 9, 10, 11], 64: [9, 10, 11, 12], 96: [12, 13, 14, 15]}
a = bytearray(n.network_address.packed)
for i, o in zip(at[n.prefixlen], v4): a[i] = o
print(ipaddress.IPv6Address(bytes(a)))" "$1" "$2"
}

up() {
  local id="" engine=1 mtu4="" hosts=1 bigmb=128 extra=() appliance=0 port=8443 datadir="" tls=true
  local dns64=0 clat=0 pref64=""
  while [ $# -gt 0 ]; do
    case $1 in
      --id) id=$2; shift 2 ;;
      --no-engine) engine=0; shift ;;
      --appliance) appliance=1; engine=0; shift ;;
      --port) port=$2; shift 2 ;;
      --data-dir) datadir=$2; shift 2 ;;
      --http) tls=false; shift ;;
      --ipv4-mtu) mtu4=$2; shift 2 ;;
      --hosts) hosts=$2; shift 2 ;;
      --big-mb) bigmb=$2; shift 2 ;;
      --pool6) POOL6=$2; shift 2 ;;
      --dns64) dns64=1; shift ;;
      --clat) clat=1; shift ;;
      --pref64) pref64=$2; shift 2 ;;
      --) shift; extra=("$@"); break ;;
      *) die "unknown option $1" ;;
    esac
  done
  if [ "$clat" -eq 1 ]; then
    [ "$engine" -eq 1 ] || [ "$appliance" -eq 1 ] || die "--clat needs a NAT64 (drop --no-engine)"
    [ "$appliance" -eq 1 ] || dns64=1
  fi
  [ "$dns64" -eq 1 ] && [ "$appliance" -eq 1 ] && die "--dns64: the appliance has its own DNS64"
  TARGET6=$(embed "$POOL6" "$S4") || die "--pool6 $POOL6 is not an RFC 6052 prefix"
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
  [ "$appliance" -eq 1 ] && start_appliance "$id" "$port" "${datadir:-$dir/appliance-data}" "$tls"
  if [ "$dns64" -eq 1 ]; then
    build_jar "$DNS64_JAR" dns64
    await_dns "$SERVER" "$S4" "$NAME" A || die "the server's DNS does not answer for $NAME (see $dir/services.log)"
    nsx "$ROUTER" java -jar "$DNS64_JAR" --listen "[$R6]:53" --upstream "$S4" --prefix "$POOL6" \
      --client 2001:db8::/32 --threads 1 > "$dir/dns64.log" 2>&1 &
    echo "$! dns64" >> "$dir/pids"
    await_dns "$CLIENT" "$R6" ipv4only.arpa AAAA || { cat "$dir/dns64.log" >&2; die "the DNS64 does not answer"; }
  fi
  if [ -n "$pref64" ]; then
    nsx "$ROUTER" python3 "$HERE/ra.py" rc "$pref64" > "$dir/ra.log" 2>&1 &
    echo "$! ra" >> "$dir/pids"
  fi
  if [ "$clat" -eq 1 ]; then
    build_jar "$CLAT_JAR" clat-test-client
    # Inside the client namespace, so that down finds it; named, so that its status file is $CLIENT.json.
    nsx "$CLIENT" java -jar "$CLAT_JAR" run --netns "$CLIENT" --dns "$R6" > "$dir/clat.log" 2>&1 &
    echo "$! clat" >> "$dir/pids"
    for ((i = 0; i < 150; i++)); do
      grep -q "^CLAT running" "$dir/clat.log" 2>/dev/null && break
      sleep 0.1
    done
    grep -q "^CLAT running" "$dir/clat.log" || { cat "$dir/clat.log" >&2; die "the CLAT did not start"; }
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
  [ "$appliance" -eq 1 ] && appliance_info "$id" "$port" "$tls"
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
  if [ "$clat" -eq 1 ]; then
    cat <<INFO
# 464XLAT: the client runs our CLAT ($(sed -n 's/^CLAT running in [^:]*: //p' "$dir/clat.log")).
# IPv4-only programs there reach $S4 by its IPv4 literal; check the whole path with:
#   ip netns exec $CLIENT curl http://$S4/
#   java -jar $CLAT_JAR check --netns $CLIENT --dns $R6 --name $NAME
INFO
  elif [ "$dns64" -eq 1 ]; then
    echo "# DNS64 on [$R6]:53 ($POOL6): ip netns exec $CLIENT dig +short AAAA $NAME @$R6"
  fi
}

# The appliance in the host's namespace, its dataplane in the router; the first configuration suits the lab.
start_appliance() {
  local id=$1 port=$2 data=$3 tls=$4 dir=$STATE/$1
  if [ ! -f "$APPLIANCE_JAR" ]; then
    echo "lab: building $APPLIANCE_JAR" >&2
    (cd "$REPO" && mvn -q -B -pl appliance-web -am package -DskipTests) >&2 || die "build failed"
  fi
  mkdir -p "$data" "/etc/netns/$CLIENT"
  echo "nameserver $R6" > "/etc/netns/$CLIENT/resolv.conf"
  cat > "$dir/initial-config.json" <<JSON
{
  "nat64": {"pool6": "$POOL6", "pool4": [
    {"protocol": "tcp", "prefix": "$POOL4", "portMin": 1024, "portMax": 65535},
    {"protocol": "udp", "prefix": "$POOL4", "portMin": 1024, "portMax": 65535},
    {"protocol": "icmp", "prefix": "$POOL4", "portMin": 0, "portMax": 65535}]},
  "dns64": {"upstreams": ["$S4:53"], "prefixes": [{"prefix": "$POOL6", "mappedRanges": []}]},
  "system": {"hostname": "xlatbox-lab", "tunQueues": 2}
}
JSON
  printf '%s\n' "$port" "$data" "$tls" > "$dir/appliance.args"
  run_appliance "$id"
}

# Starts the appliance with the arguments saved by start_appliance and waits until the NAT64 works through it.
run_appliance() {
  local id=$1 dir=$STATE/$1 port data tls
  names "$id"
  { read -r port; read -r data; read -r tls; } < "$dir/appliance.args"
  java -jar "$APPLIANCE_JAR" --xlatbox.data-dir="$data" --xlatbox.dataplane.namespace="$ROUTER" \
    --xlatbox.initial-config="$dir/initial-config.json" --server.port="$port" --xlatbox.tls.enabled="$tls" \
    >> "$dir/appliance.log" 2>&1 &
  local pid=$! i
  echo "$pid appliance" >> "$dir/pids"
  local started=$(grep -c "Started XlatboxApplication" "$dir/appliance.log" || true)
  for ((i = 0; i < 600; i++)); do
    [ "$(grep -c "Started XlatboxApplication" "$dir/appliance.log")" -gt "$started" ] && break
    kill -0 "$pid" 2>/dev/null || { tail -50 "$dir/appliance.log" >&2; die "the appliance did not start"; }
    sleep 0.2
  done
  [ "$(grep -c "Started XlatboxApplication" "$dir/appliance.log")" -gt "$started" ] \
    || { tail -50 "$dir/appliance.log" >&2; die "the appliance did not start in 120 s"; }
  for ((i = 0; i < 100; i++)); do
    nsx "$CLIENT" ping -6 -c1 -W1 "$TARGET6" >/dev/null 2>&1 && break
    sleep 0.2
  done
  nsx "$CLIENT" ping -6 -c1 -W1 "$TARGET6" >/dev/null 2>&1 \
    || { tail -50 "$dir/appliance.log" >&2; die "the client cannot reach $TARGET6 through the appliance"; }
}

appliance_info() {
  local id=$1 port=$2 tls=$3 dir=$STATE/$1 scheme=https code
  [ "$tls" = true ] || scheme=http
  code=$(sed -n 's/.*Setup code: \([A-Z0-9-]*\).*/\1/p' "$dir/appliance.log" | tail -1)
  echo "# The appliance runs (log: $dir/appliance.log). Open $scheme://localhost:$port/"
  if [ -n "$code" ]; then
    echo "#   first start: create the admin account at $scheme://localhost:$port/setup with the setup code $code"
  fi
  [ "$tls" = true ] && sed -n 's/.*\(certificate SHA-256 [0-9A-F:]*\).*/#   its self-signed \1/p' \
    "$dir/appliance.log" | tail -1
  echo "#   the client resolves through its DNS64: ip netns exec $CLIENT curl http://server.lab.test/"
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
  rm -rf "$dir" "/etc/netns/$CLIENT"
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
  restart-appliance)
    [ $# -ge 1 ] || die "usage: $0 restart-appliance ID [--kill]"
    need
    names "$1"
    [ -f "$STATE/$1/appliance.args" ] || die "lab $1 runs no appliance"
    sig=TERM
    [ "${2:-}" = "--kill" ] && sig=KILL
    pid=$(awk '$2 == "appliance" { p = $1 } END { print p }' "$STATE/$1/pids")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "-$sig" "$pid"
      for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && die "the appliance (pid $pid) did not stop"
    fi
    run_appliance "$1"
    echo "appliance of lab $1 restarted (pid $(awk '$2 == "appliance" { p = $1 } END { print p }' "$STATE/$1/pids"))"
    ;;
  exec)
    [ $# -ge 3 ] || die "usage: $0 exec ID client|router|server CMD..."
    names "$1"
    case $2 in client) ns=$CLIENT ;; router) ns=$ROUTER ;; server) ns=$SERVER ;; *) die "no such host $2" ;; esac
    shift 2
    exec ip netns exec "$ns" "$@"
    ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 2 ;;
esac
