package cluster

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// unpullable are the waiting reasons of a container whose image will not
// come: the kubelet's pull failures, and the lab's image it cannot run
// (the lab's node agent runs only meshbench images). Waiting them out
// would only end at the pod timeout.
var unpullable = map[string]bool{
	"ErrImagePull":      true,
	"ImagePullBackOff":  true,
	"InvalidImageName":  true,
	"ErrImageNeverPull": true,
	"ImageNotSupported": true,
}

// ImageError is a pod whose image cannot be pulled or run.
type ImageError struct {
	Pod, Container, Image, Reason, Message string
}

func (e *ImageError) Error() string {
	return fmt.Sprintf("pod %s: container %s cannot get its image %q (%s: %s); build meshbench's image and push it where the cluster pulls from "+
		"(docker build -t <registry>/meshbench . && docker push <registry>/meshbench), then pass --image <registry>/meshbench",
		e.Pod, e.Container, e.Image, e.Reason, e.Message)
}

// imageProblem returns an *ImageError for the first container (init
// containers included) waiting on an image that will not come, or nil.
func imageProblem(p *corev1.Pod) error {
	for _, cs := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		if w := cs.State.Waiting; w != nil && unpullable[w.Reason] {
			return &ImageError{Pod: p.Name, Container: cs.Name, Image: cs.Image, Reason: w.Reason, Message: w.Message}
		}
	}
	return nil
}
