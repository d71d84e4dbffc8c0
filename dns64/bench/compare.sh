#!/usr/bin/env bash
# Side-by-side DNS64 benchmark: xlatbox's DNS64, Unbound's dns64 module and BIND's dns64, interleaved in one
# session on ../shared/bench/dns64-bench.sh (NSD authoritative upstream, dnsperf load), so that every claim is a
# ratio measured under the same noise. Each server gets the same upstream (NSD), prefix 64:ff9b::/96 and
# SERVER_THREADS threads (default 2); our JVM first gets a warm-up run that is not counted.
#
# Usage: dns64/bench/compare.sh [ROUNDS]     (default 3; needs nsd, unbound, bind9, dnsperf, sysstat)
# Knobs: BENCH (path of dns64-bench.sh), MIXES (default "hot mixed miss"), DURATION (seconds per run, default 15),
#        PORT (ours, default 5353), SERVER_THREADS, OUT, and the other knobs of dns64-bench.sh.
# Output: every RESULT line in $OUT/results.txt, and on stdout a table of medians with the ratios.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BENCH=${BENCH:-$REPO/../shared/bench/dns64-bench.sh}
ROUNDS=${1:-3}
MIXES=${MIXES:-"hot mixed miss"}
PORT=${PORT:-5353}
OUT=${OUT:-/tmp/xlatbox-dns64-bench-$(date +%Y%m%d-%H%M%S)}
JAR=$REPO/dns64/target/xlatbox-dns64.jar
export DURATION=${DURATION:-15}
export SERVER_THREADS=${SERVER_THREADS:-2}
export WITH_BIND=yes

[ -x "$BENCH" ] || { echo "no bench script at $BENCH" >&2; exit 1; }
[ -f "$JAR" ] || (cd "$REPO" && mvn -q -B -pl dns64 -am package -DskipTests)
mkdir -p "$OUT"
RESULTS=$OUT/results.txt
: > "$RESULTS"

OURS=""
cleanup() {
  [ -n "$OURS" ] && kill "$OURS" 2>/dev/null && wait "$OURS" 2>/dev/null
  "$BENCH" down >/dev/null 2>&1 || true
}
trap cleanup EXIT

"$BENCH" down >/dev/null 2>&1 || true
"$BENCH" up >&2
java -jar "$JAR" --listen "127.0.0.1:$PORT" --upstream 127.0.0.1:5300 --prefix 64:ff9b::/96 \
  --threads "$SERVER_THREADS" > "$OUT/xlatbox-dns64.log" 2>&1 &
OURS=$!
for ((i = 0; i < 100; i++)); do
  dig +short +time=1 +tries=1 -p "$PORT" @127.0.0.1 ipv4only.arpa AAAA 2>/dev/null | grep -q 64:ff9b && break
  kill -0 "$OURS" 2>/dev/null || { cat "$OUT/xlatbox-dns64.log" >&2; exit 1; }
  sleep 0.2
done
echo "== JVM warm-up (not counted)" >&2
for mix in hot miss; do
  DURATION=10 LABEL=warmup "$BENCH" bench "$PORT" "$mix" > /dev/null
done

for ((r = 1; r <= ROUNDS; r++)); do
  for mix in $MIXES; do
    for server in xlatbox:"$PORT" unbound:5301 bind:5302; do
      echo "== round $r/$ROUNDS: $mix, ${server%%:*}" >&2
      LABEL=${server%%:*} "$BENCH" bench "${server#*:}" "$mix" | grep '^RESULT' | tee -a "$RESULTS" >&2
    done
  done
done

# key=value of one RESULT line; medians over the rounds; rcodes other than NOERROR/NXDOMAIN summed.
field() { grep -o " $1=[^ ]*" | cut -d= -f2; }
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else printf "%.6g\n", (a[NR/2] + a[NR/2+1]) / 2 }'; }
stat() {   # label mix key -> median
  grep " label=$1 " "$RESULTS" | grep " mix=$2 " | field "$3" | median
}
worst() {   # label mix key -> maximum
  grep " label=$1 " "$RESULTS" | grep " mix=$2 " | field "$3" | sort -g | tail -1
}
bad_rcodes() {   # label mix -> total answers that were neither NOERROR nor NXDOMAIN, over all rounds
  grep " label=$1 " "$RESULTS" | grep " mix=$2 " | field rcodes | tr ',' '\n' \
    | awk -F= '$1 != "NOERROR" && $1 != "NXDOMAIN" && $2 != "" { n += $2 } END { print n + 0 }'
}
total_lost() {
  grep " label=$1 " "$RESULTS" | grep " mix=$2 " | field lost | awk '{ n += $1 } END { print n + 0 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }

echo "| mix | metric | xlatbox | Unbound | BIND | xlatbox / Unbound | xlatbox / BIND |"
echo "|---|---|---|---|---|---|---|"
for mix in $MIXES; do
  for key in qps qps_per_srv_core avg_ms; do
    x=$(stat xlatbox "$mix" $key); u=$(stat unbound "$mix" $key); b=$(stat bind "$mix" $key)
    echo "| $mix | $key | $x | $u | $b | $(ratio "$x" "$u") | $(ratio "$x" "$b") |"
  done
  x=$(worst xlatbox "$mix" max_ms); u=$(worst unbound "$mix" max_ms); b=$(worst bind "$mix" max_ms)
  echo "| $mix | max_ms (worst run) | $x | $u | $b | $(ratio "$x" "$u") | $(ratio "$x" "$b") |"
  echo "| $mix | lost (all runs) | $(total_lost xlatbox "$mix") | $(total_lost unbound "$mix") | $(total_lost bind "$mix") | | |"
  echo "| $mix | SERVFAIL etc. (all runs) | $(bad_rcodes xlatbox "$mix") | $(bad_rcodes unbound "$mix") | $(bad_rcodes bind "$mix") | | |"
done
echo "(medians of $ROUNDS interleaved rounds of ${DURATION} s, $SERVER_THREADS server threads each; raw in $RESULTS)"
