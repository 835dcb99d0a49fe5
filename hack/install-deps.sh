#!/usr/bin/env bash
# Installs the Debian packages meshbench's tests and lab need, only those missing.
# etcd-server: the lab's etcd; iptables, ipset, iproute2: the lab's node networking
# and kube-router; apache2-utils (ab) and iperf3: the peers the benchmarks compare with;
# prometheus: a real Prometheus for the cpu package's tests.
# chromium: the headless browser the HTML report test renders its page in.
# clang-19, llvm-19: the compiler the lab's cilium-agent builds its datapath with
# (Debian's default clang 14 makes programs this kernel's verifier rejects);
# util-linux: unshare, which gives each cilium-agent its own mount namespace.
set -euo pipefail
want=(etcd-server iptables ipset iproute2 apache2-utils iperf3 conntrack prometheus chromium clang-19 llvm-19 util-linux)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 0
fi
echo "installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || true
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The packages start etcd and prometheus as services on some systems; the lab and tests run their own.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now etcd prometheus >/dev/null 2>&1 || true; fi
