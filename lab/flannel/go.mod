// Module flannel pins the flanneld release the lab's vxlan network runs
// (make lab builds it). It is separate from meshbench's own module so
// flannel's dependency tree never reaches meshbench's go.mod.
module github.com/meshbench/meshbench/lab/flannel

go 1.26.0

require github.com/flannel-io/flannel v0.28.10
