package crdvalidate

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"

	ciliumcrds "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/client/crds/v2"
	"github.com/meshbench/meshbench/policies"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// CRDs returns the CustomResourceDefinitions a kind's objects need, ready to
// create in a cluster. NetworkPolicy is built in and needs none. An error
// wrapping ErrNotFound means the files are not on this machine.
func CRDs(k policies.Kind) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	switch k {
	case policies.NetworkPolicy:
		return nil, nil
	case policies.Cilium:
		return ciliumCRDs()
	case policies.Istio:
		return istioCRDs()
	case policies.Linkerd:
		return linkerdCRDs()
	}
	return nil, fmt.Errorf("unknown policy kind %q", k)
}

// ciliumCRDs are the namespaced and cluster-wide network policy CRDs embedded
// in Cilium's Go module.
func ciliumCRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	var crds []*apiextensionsv1.CustomResourceDefinition
	for _, f := range []string{"ciliumnetworkpolicies.yaml", "ciliumclusterwidenetworkpolicies.yaml"} {
		b, err := fs.ReadFile(ciliumcrds.EmbedFS, f)
		if err != nil {
			return nil, err
		}
		c, err := decodeCRDs(b, f)
		if err != nil {
			return nil, err
		}
		crds = append(crds, c...)
	}
	return crds, nil
}

// istioCRDs are the security.istio.io CRDs (AuthorizationPolicy,
// PeerAuthentication, RequestAuthentication) of istio.io/api.
func istioCRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	dir, err := moduleDir("istio.io/api")
	if err != nil {
		return nil, err
	}
	f := filepath.Join(dir, "kubernetes", "customresourcedefinitions.gen.yaml")
	b, err := os.ReadFile(f)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	all, err := decodeCRDs(b, f)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(c *apiextensionsv1.CustomResourceDefinition) bool {
		return c.Spec.Group != "security.istio.io"
	}), nil
}

// linkerdCRDs are every CRD file of ../shared/crds/linkerd.
func linkerdCRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	dir, err := linkerdDir()
	if err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no *.yaml in %s", ErrNotFound, dir)
	}
	sort.Strings(files)
	var crds []*apiextensionsv1.CustomResourceDefinition
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		c, err := decodeCRDs(b, f)
		if err != nil {
			return nil, err
		}
		crds = append(crds, c...)
	}
	return crds, nil
}

// decodeCRDs reads every CustomResourceDefinition document of a YAML stream.
func decodeCRDs(b []byte, source string) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	var crds []*apiextensionsv1.CustomResourceDefinition
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		var head struct{ Kind string }
		if err := yaml.Unmarshal(doc, &head); err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		if head.Kind != "CustomResourceDefinition" {
			continue
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.Unmarshal(doc, crd); err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		crds = append(crds, crd)
	}
	if len(crds) == 0 {
		return nil, fmt.Errorf("%s: no CustomResourceDefinition", source)
	}
	return crds, nil
}
