// Package crdvalidate checks objects against the upstream CustomResourceDefinitions
// of the policy kinds without a cluster, the way kube-apiserver does on create:
// structural schema, OpenAPI validation, CEL rules (x-kubernetes-validations),
// unknown fields (as fieldValidation=Strict rejects them) and object metadata.
//
// It also hands out the CRD objects themselves, so tests can install them into
// the lab's kube-apiserver: Cilium's come embedded in its Go module, Istio's
// from istio.io/api's kubernetes/customresourcedefinitions.gen.yaml in the Go
// module cache, Linkerd's from ../shared/crds/linkerd beside the repository.
package crdvalidate
