#!/usr/bin/env bash
# The lab's encryption and overlay study (README, "Networks between nodes"):
# for each network, a 2-node lab, then one cross-node run measuring HTTP
# latency with keep-alive off (target over control), TCP_RR/TCP_CRR, one and
# four streams of throughput and CPU; then the runs side by side.
#   hack/networks-study.sh [OUTDIR]      (root; make lab first)
set -euo pipefail
out=${1:-networks-study}
mkdir -p "$out"
bin=$(cd "$(dirname "$0")/.." && pwd)/bin
networks=(routed vxlan wireguard)
for n in "${networks[@]}"; do
  "$bin/meshbench" lab up --nodes 2 --network "$n"
  rc=0
  KUBECONFIG=$("$bin/meshbench" lab kubeconfig) "$bin/meshbench" run \
    --placement cross-node --policies 0 --sizes .5k --requests 500 --rate 100 --rtt-requests 1000 \
    --measure latency,throughput,rtt,cpu --streams 1,4 --stream-duration 5s \
    --results "$out/$n.json" -o markdown > "$out/$n.md" || rc=$?
  "$bin/meshbench" lab down
  [ "$rc" = 0 ] || exit "$rc"
done
"$bin/meshbench" compare -o markdown $(for n in "${networks[@]}"; do printf -- '--label %s ' "$n"; done) \
  $(for n in "${networks[@]}"; do printf '%s ' "$out/$n.json"; done) | tee "$out/compare.md"
