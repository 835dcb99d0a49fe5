// Package meshes finds out what a cluster runs — Istio ambient, Linkerd, Cilium
// and its encryption, the CNI or NetworkPolicy engine — and with which versions,
// from the objects each installs (Deployments, DaemonSets, ConfigMaps, CRDs).
// It enrols a benchmark namespace in a mesh and checks, pod by pod, that the
// mesh really took the pods in before anything is measured.
package meshes
