package policies

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const (
	linkerdPrefix = "linkerd"
	linkerdGroup  = "policy.linkerd.io"
	// linkerdServer names the one Server every AuthorizationPolicy targets.
	linkerdServer = "meshbench-linkerd-server"
)

// linkerdBuilder renders Linkerd policy objects. No Linkerd Go module can be
// fetched, so they are built unstructured after the CRDs of linkerd2's
// charts/linkerd-crds (Server v1beta3, AuthorizationPolicy and
// MeshTLSAuthentication v1alpha1).
type linkerdBuilder struct{ t Target }

func (b *linkerdBuilder) MaxDecoys() int { return maxDecoys }

// Base is the Server: it selects the server pods' port and, with
// accessPolicy deny, admits only what an AuthorizationPolicy authorizes.
func (b *linkerdBuilder) Base() ([]*unstructured.Unstructured, error) {
	u := b.object("v1beta3", "Server", linkerdServer, PolicyBase)
	u.Object["spec"] = map[string]any{
		"podSelector":   map[string]any{"matchLabels": toAny(serverLabels())},
		"port":          int64(b.t.Port),
		"proxyProtocol": "HTTP/1",
		"accessPolicy":  "deny",
	}
	return []*unstructured.Unstructured{u}, nil
}

func (b *linkerdBuilder) Allow() ([]*unstructured.Unstructured, error) {
	return b.pair(allowName(linkerdPrefix), PolicyAllow, b.identity(b.t.ClientServiceAccount)), nil
}

func (b *linkerdBuilder) Decoy(i int) ([]*unstructured.Unstructured, error) {
	if err := checkDecoy(b, i); err != nil {
		return nil, err
	}
	return b.pair(decoyName(linkerdPrefix, i), PolicyDecoy, b.identity(fmt.Sprintf("meshbench-decoy-%04d", i))), nil
}

// identity is the mTLS identity Linkerd gives a service account's pods.
func (b *linkerdBuilder) identity(serviceAccount string) string {
	return fmt.Sprintf("%s.%s.serviceaccount.identity.linkerd.%s", serviceAccount, b.t.Namespace, b.t.TrustDomain)
}

// pair is a MeshTLSAuthentication of one identity and the AuthorizationPolicy
// that requires it on the Server; both carry the same name.
func (b *linkerdBuilder) pair(name, role, identity string) []*unstructured.Unstructured {
	authn := b.object("v1alpha1", "MeshTLSAuthentication", name, role)
	authn.Object["spec"] = map[string]any{"identities": []any{identity}}
	authz := b.object("v1alpha1", "AuthorizationPolicy", name, role)
	authz.Object["spec"] = map[string]any{
		"targetRef": map[string]any{"group": linkerdGroup, "kind": "Server", "name": linkerdServer},
		"requiredAuthenticationRefs": []any{
			map[string]any{"group": linkerdGroup, "kind": "MeshTLSAuthentication", "name": name},
		},
	}
	// The authentication first: the policy refers to it.
	return []*unstructured.Unstructured{authn, authz}
}

func (b *linkerdBuilder) object(version, kind, name, role string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	u.SetAPIVersion(linkerdGroup + "/" + version)
	u.SetKind(kind)
	u.SetName(name)
	u.SetNamespace(b.t.Namespace)
	u.SetLabels(b.t.labels(role))
	return u
}

func toAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
