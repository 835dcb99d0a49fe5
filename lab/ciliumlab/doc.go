// Package ciliumlab holds the tests of the lab with Cilium as its policy
// engine (`meshbench lab up --engine cilium`). They run in a package of
// their own because the lab package's tests share one kube-router lab, and
// only one lab can run on a host at a time.
package ciliumlab
