package cluster

import (
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A container waiting on an image that will not come is an *ImageError
// that says how to build, push and pass an image; any other wait is not.
func TestImageProblem(t *testing.T) {
	pod := func(reason string) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "meshbench-server-1"},
			Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{
				Name: "serve", Image: "example.invalid/meshbench:x",
				State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: "not found"}},
			}}},
		}
	}
	for _, reason := range []string{"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ImageNotSupported"} {
		var ie *ImageError
		if err := imageProblem(pod(reason)); !errors.As(err, &ie) || !strings.Contains(err.Error(), "--image") || !strings.Contains(err.Error(), reason) {
			t.Errorf("%s: %v, want an *ImageError naming the reason and --image", reason, err)
		}
	}
	for _, reason := range []string{"ContainerCreating", "CrashLoopBackOff"} {
		if err := imageProblem(pod(reason)); err != nil {
			t.Errorf("%s: %v, want no image problem", reason, err)
		}
	}
}
