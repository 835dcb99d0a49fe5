package meshes

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// image returns the image of the container called name, else of the first.
func image(cs []corev1.Container, name string) string {
	for _, c := range cs {
		if c.Name == name {
			return c.Image
		}
	}
	if len(cs) > 0 {
		return cs[0].Image
	}
	return ""
}

// imageTag returns an image reference's tag: "quay.io/cilium/cilium:v1.20.2@sha256:…"
// gives "v1.20.2"; no tag gives "".
func imageTag(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	slash := strings.LastIndex(ref, "/")
	colon := strings.LastIndex(ref, ":")
	if colon <= slash {
		return "" // no tag, or the colon belongs to a registry port
	}
	return ref[colon+1:]
}
