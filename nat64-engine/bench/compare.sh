#!/usr/bin/env bash
# Side-by-side NAT64 benchmark: xlatbox, Tayga and plain kernel IPv6 routing (the ceiling), interleaved in one
# session on ../shared/bench/nat64-topology.sh, so that every claim is a ratio measured under the same noise.
#
# Usage: nat64-engine/bench/compare.sh [ROUNDS]      (default 3; root; needs iperf3, tayga, jq, sysstat)
# Knobs: TOPOLOGY (path of nat64-topology.sh), QUEUES (xlatbox TUN queues, default: number of CPUs),
#        PLAIN=1 (also xlatbox without TUN offloads, "xlatbox-plain": one packet per read and write),
#        TB_DURATION, TB_TESTS and the other TB_* knobs of the topology script.
# Output: one results directory per mode and round under $OUT (default /tmp/xlatbox-bench-<time>), the medians
#         of each mode, and a ratio table on stdout.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
TOPOLOGY=${TOPOLOGY:-$REPO/../shared/bench/nat64-topology.sh}
ROUNDS=${1:-3}
QUEUES=${QUEUES:-$(nproc)}
OUT=${OUT:-/tmp/xlatbox-bench-$(date +%Y%m%d-%H%M%S)}
JAR=$REPO/nat64-engine/target/xlatbox-nat64.jar
export TB_DURATION=${TB_DURATION:-10}
export TB_TESTS=${TB_TESTS:-"tcp1 tcp4 tcp1r udp64 udp1400 ping"}

[ -x "$TOPOLOGY" ] || { echo "no topology script at $TOPOLOGY" >&2; exit 1; }
[ -f "$JAR" ] || (cd "$REPO" && mvn -q -B -pl nat64-engine -am package -DskipTests)
mkdir -p "$OUT"
"$TOPOLOGY" down >/dev/null 2>&1 || true

run() {   # mode round
  local mode=$1 round=$2
  case $mode in
    xlatbox) "$TOPOLOGY" up custom java -jar "$JAR" --queues "$QUEUES" ;;
    xlatbox-plain) "$TOPOLOGY" up custom java -jar "$JAR" --queues "$QUEUES" --no-offloads ;;
    tayga) "$TOPOLOGY" up tayga ;;
    none) "$TOPOLOGY" up none ;;
  esac
  TB_RESULTS=$OUT/$mode-$round "$TOPOLOGY" bench 1 || true
  "$TOPOLOGY" down
}

MODES="xlatbox tayga none"
[ "${PLAIN:-0}" = 1 ] && MODES="xlatbox xlatbox-plain tayga none"
for ((r = 1; r <= ROUNDS; r++)); do
  for mode in $MODES; do
    echo "== round $r/$ROUNDS: $mode" >&2
    run "$mode" "$r" >/dev/null
  done
done

for mode in $MODES; do
  "$TOPOLOGY" summary "$OUT"/$mode-* > "$OUT/$mode.md"
done

median() {   # file test metric -> median value
  awk -F'|' -v t="$2" -v m="$3" '{gsub(/ /,"",$2); gsub(/ /,"",$3); gsub(/ /,"",$4)} $2==t && $3==m {print $4}' "$1"
}
plain() { [ -f "$OUT/xlatbox-plain.md" ] && printf '%s' "$1"; }
echo "| test | metric | xlatbox |$(plain " no offloads |") Tayga | kernel | xlatbox / Tayga | xlatbox / kernel |"
echo "|---|---|---|$(plain "---|")---|---|---|---|"
for pair in tcp1:gbps tcp4:gbps tcp1r:gbps udp64:fwd_kpps udp64:recv_kpps udp1400:fwd_kpps udp1400:recv_gbps \
            ping:rtt_avg_ms tcp1:tr_cpu_pct udp64:tr_cpu_pct; do
  t=${pair%%:*}; m=${pair#*:}
  x=$(median "$OUT/xlatbox.md" "$t" "$m"); y=$(median "$OUT/tayga.md" "$t" "$m"); k=$(median "$OUT/none.md" "$t" "$m")
  p=""; [ -f "$OUT/xlatbox-plain.md" ] && p=$(median "$OUT/xlatbox-plain.md" "$t" "$m")
  [ -n "$x" ] || continue
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }
  echo "| $t | $m | $x |$(plain " ${p:--} |") ${y:--} | ${k:--} | $(ratio "$x" "${y:-0}") | $(ratio "$x" "${k:-0}") |"
done
echo "(medians of $ROUNDS interleaved rounds; raw results in $OUT)"
