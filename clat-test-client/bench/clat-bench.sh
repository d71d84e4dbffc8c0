#!/usr/bin/env bash
# Side-by-side CLAT benchmark on ../shared/bench/nat64-topology.sh: client -> CLAT -> our NAT64 -> IPv4 server,
# with the CLAT being ours (xlatbox-clat.jar run) or Tayga acting as a CLAT, interleaved in one session, so that
# the claim is a ratio under the same noise. Programs in the client use IPv4 literals (iperf3 -c 198.51.100.2).
#
#   tb-v6client: CLAT TUN "clat", host 192.0.0.2/29 (RFC 7335), CLAT IPv6 2001:db8:1::c (proxy-ND on c0)
#   tb-router:   xlatbox-nat64.jar, pool6 $PREFIX (Tayga refuses the Well-Known Prefix with the documentation
#                addresses of this topology, so both CLATs and the NAT64 use the network-specific prefix)
#   tb-v4server: iperf3 -s on port 5202
#
# Usage: clat-test-client/bench/clat-bench.sh [ROUNDS]     (default 3; root; needs iperf3, tayga, jq)
# Knobs: TOPOLOGY, PREFIX (default 2001:db8:64::/96), DURATION (s per test, default 10), TESTS (default
#        "tcp1 tcp1r udp64"), NAT64_QUEUES (default: number of CPUs), OUT.
# Output: per mode and round the iperf3 JSON under $OUT, and on stdout a table of medians with the ratios.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
TOPOLOGY=${TOPOLOGY:-$REPO/../shared/bench/nat64-topology.sh}
ROUNDS=${1:-3}
PREFIX=${PREFIX:-2001:db8:64::/96}
DURATION=${DURATION:-10}
TESTS=${TESTS:-"tcp1 tcp1r udp64"}
NAT64_QUEUES=${NAT64_QUEUES:-$(nproc)}
OUT=${OUT:-/tmp/xlatbox-clat-bench-$(date +%Y%m%d-%H%M%S)}
NAT64_JAR=$REPO/nat64-engine/target/xlatbox-nat64.jar
CLAT_JAR=$REPO/clat-test-client/target/xlatbox-clat.jar
CLIENT=tb-v6client SERVER=tb-v4server
HOST4=192.0.0.2 CLAT4=192.0.0.1 CLAT6=2001:db8:1::c TARGET4=198.51.100.2 PORT=5202

for tool in iperf3 tayga jq; do command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 1; }; done
[ -x "$TOPOLOGY" ] || { echo "no topology script at $TOPOLOGY" >&2; exit 1; }
[ -f "$NAT64_JAR" ] && [ -f "$CLAT_JAR" ] || (cd "$REPO" && mvn -q -B -pl clat-test-client -am package -DskipTests)
mkdir -p "$OUT"
"$TOPOLOGY" down >/dev/null 2>&1 || true
PIDS=()

stop_all() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  PIDS=()
  "$TOPOLOGY" down >/dev/null 2>&1 || true
}
trap stop_all EXIT

wait_for() {   # seconds description command...
  local n=$(( $1 * 10 )) what=$2; shift 2
  for ((i = 0; i < n; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "timed out waiting for $what" >&2; return 1
}

start_ours() {
  java -jar "$CLAT_JAR" run --netns "$CLIENT" --prefix "$PREFIX" --clat-ipv6 "$CLAT6" --no-ra \
    --status-dir "$OUT/status" > "$OUT/clat.log" 2>&1 &
  PIDS+=($!)
  wait_for 30 "our CLAT" grep -q "^CLAT running" "$OUT/clat.log"
}

# Tayga as a CLAT: its TUN holds the host's 192.0.0.2, the IPv4 default route and the CLAT's /128.
start_tayga() {
  local dir=$OUT/tayga
  mkdir -p "$dir"
  cat > "$dir/tayga.conf" <<CONF
tun-device clat
ipv4-addr $CLAT4
prefix $PREFIX
map $HOST4 $CLAT6
data-dir $dir
CONF
  local nsx=(ip netns exec "$CLIENT")
  "${nsx[@]}" tayga -c "$dir/tayga.conf" --mktun > /dev/null
  "${nsx[@]}" ip link set clat up mtu 1472
  "${nsx[@]}" ip addr add "$HOST4/29" dev clat
  "${nsx[@]}" ip route add default dev clat src "$HOST4"
  "${nsx[@]}" ip -6 route add "$CLAT6/128" dev clat
  # the IPv6 side of the CLAT comes out of the TUN and is forwarded to the uplink
  "${nsx[@]}" sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv6.conf.c0.proxy_ndp=1 net.ipv6.neigh.c0.proxy_delay=0
  "${nsx[@]}" ip -6 neigh add proxy "$CLAT6" dev c0
  "${nsx[@]}" tayga -c "$dir/tayga.conf" -d > "$dir/tayga.log" 2>&1 &
  PIDS+=($!)
}

one_test() {   # test json
  local args=(-c "$TARGET4" -p "$PORT" -t "$DURATION" -J)
  case $1 in
    tcp1) ;;
    tcp4) args+=(-P 4) ;;
    tcp1r) args+=(-R) ;;
    udp64) args+=(-u -b 0 -l 64) ;;
    udp1400) args+=(-u -b 0 -l 1400) ;;
  esac
  ip netns exec "$CLIENT" timeout $((DURATION + 30)) iperf3 "${args[@]}" > "$2" || true
}

metric() {   # test json -> the number in the table
  case $1 in
    udp*) jq -r '.end.sum | if . then ((.packets - .lost_packets) / .seconds / 1000 * 10 | round / 10) else "nan" end' "$2" ;;
    *) jq -r '(.end.sum_received.bits_per_second // 0) / 1e9 * 100 | round / 100' "$2" ;;
  esac
}

for ((r = 1; r <= ROUNDS; r++)); do
  for mode in xlatbox tayga; do
    echo "== round $r/$ROUNDS: $mode as the CLAT" >&2
    TB_PREFIX6=$PREFIX "$TOPOLOGY" up custom java -jar "$NAT64_JAR" --queues "$NAT64_QUEUES" --pool6 "$PREFIX" \
      > /dev/null
    ip netns exec "$SERVER" iperf3 -s -p "$PORT" > "$OUT/iperf3-server.log" 2>&1 &
    PIDS+=($!)
    "start_$([ $mode = xlatbox ] && echo ours || echo tayga)"
    wait_for 20 "the path through the CLAT" ip netns exec "$CLIENT" ping -c1 -W1 "$TARGET4"
    for t in $TESTS; do
      json=$OUT/$mode-$r-$t.json
      one_test "$t" "$json"
      echo "$mode $r $t $(metric "$t" "$json")" | tee -a "$OUT/results.txt" >&2
    done
    stop_all
  done
done

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else printf "%.6g\n", (a[NR/2] + a[NR/2+1]) / 2 }'; }
echo "| test | metric | xlatbox CLAT | Tayga as CLAT | xlatbox / Tayga |"
echo "|---|---|---|---|---|"
for t in $TESTS; do
  x=$(awk -v t="$t" '$1 == "xlatbox" && $3 == t { print $4 }' "$OUT/results.txt" | median)
  y=$(awk -v t="$t" '$1 == "tayga" && $3 == t { print $4 }' "$OUT/results.txt" | median)
  case $t in udp*) unit="received kpps" ;; *) unit="Gbit/s" ;; esac
  echo "| $t | $unit | $x | $y | $(awk -v a="$x" -v b="$y" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else print "-" }') |"
done
echo "(medians of $ROUNDS interleaved rounds of ${DURATION} s; both through xlatbox's NAT64 with pool6 $PREFIX; raw in $OUT)"
