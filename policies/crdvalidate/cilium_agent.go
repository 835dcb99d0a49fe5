package crdvalidate

import (
	"io/fs"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/client/crds/v2"
	ciliumv2alpha1 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/client/crds/v2alpha1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// CiliumAgentCRDs are every CustomResourceDefinition of Cilium's module
// (cilium.io v2 and v2alpha1): a cilium-agent waits for all of them, which
// Cilium's operator installs on a real cluster.
func CiliumAgentCRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	var crds []*apiextensionsv1.CustomResourceDefinition
	for _, fsys := range []fs.FS{ciliumv2.EmbedFS, ciliumv2alpha1.EmbedFS} {
		files, err := fs.Glob(fsys, "*.yaml")
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			b, err := fs.ReadFile(fsys, f)
			if err != nil {
				return nil, err
			}
			c, err := decodeCRDs(b, f)
			if err != nil {
				return nil, err
			}
			crds = append(crds, c...)
		}
	}
	return crds, nil
}
