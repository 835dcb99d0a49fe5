package crdvalidate

import (
	"context"
	"fmt"
	"time"

	"github.com/meshbench/meshbench/policies"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// Install creates the CRDs a cluster lacks, labelled as meshbench's (run
// runID), and waits until every one of crds is established. It returns the
// names it created, so that the caller removes only those; CRDs already
// present are left as they are.
func Install(ctx context.Context, cs apiextensionsclient.Interface, runID string, crds ...*apiextensionsv1.CustomResourceDefinition) (created []string, err error) {
	api := cs.ApiextensionsV1().CustomResourceDefinitions()
	for _, c := range crds {
		c = c.DeepCopy()
		if c.Labels == nil {
			c.Labels = map[string]string{}
		}
		c.Labels[policies.LabelManagedBy] = policies.ManagedBy
		c.Labels[policies.LabelRun] = runID
		_, err := api.Create(ctx, c, metav1.CreateOptions{FieldManager: "meshbench"})
		switch {
		case err == nil:
			created = append(created, c.Name)
		case apierrors.IsAlreadyExists(err):
		default:
			return created, fmt.Errorf("creating CRD %s: %w", c.Name, err)
		}
	}
	for _, c := range crds {
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			cur, err := api.Get(ctx, c.Name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			for _, cond := range cur.Status.Conditions {
				if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			return created, fmt.Errorf("CRD %s not established: %w", c.Name, err)
		}
	}
	return created, nil
}
