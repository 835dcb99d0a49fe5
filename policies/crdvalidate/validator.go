package crdvalidate

import (
	"context"
	"fmt"

	"github.com/meshbench/meshbench/policies"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	metavalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
)

// Validator checks custom resources against a set of CRDs.
type Validator struct {
	versions map[schema.GroupVersionKind]*version
}

// version is what one served version of a CRD checks.
type version struct {
	namespaced bool
	structural *structuralschema.Structural
	schema     apiservervalidation.SchemaValidator
	cel        *cel.Validator // nil when the schema has no CEL rules
}

// NewValidator compiles the schemas of every served version of crds.
func NewValidator(crds ...*apiextensionsv1.CustomResourceDefinition) (*Validator, error) {
	v := &Validator{versions: map[schema.GroupVersionKind]*version{}}
	for _, crd := range crds {
		for _, ver := range crd.Spec.Versions {
			if !ver.Served || ver.Schema == nil || ver.Schema.OpenAPIV3Schema == nil {
				continue
			}
			compiled, err := compile(ver.Schema.OpenAPIV3Schema)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", crd.Name, ver.Name, err)
			}
			compiled.namespaced = crd.Spec.Scope == apiextensionsv1.NamespaceScoped
			gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: ver.Name, Kind: crd.Spec.Names.Kind}
			v.versions[gvk] = compiled
		}
	}
	return v, nil
}

// ForKind returns a validator for a policy kind's CRDs; see CRDs.
func ForKind(k policies.Kind) (*Validator, error) {
	crds, err := CRDs(k)
	if err != nil {
		return nil, err
	}
	return NewValidator(crds...)
}

func compile(props *apiextensionsv1.JSONSchemaProps) (*version, error) {
	internal := &apiextensions.JSONSchemaProps{}
	if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(props, internal, nil); err != nil {
		return nil, err
	}
	s, err := structuralschema.NewStructural(internal)
	if err != nil {
		return nil, fmt.Errorf("not a structural schema: %w", err)
	}
	sv, _, err := apiservervalidation.NewSchemaValidator(internal)
	if err != nil {
		return nil, err
	}
	return &version{
		structural: s,
		schema:     sv,
		cel:        cel.NewValidator(s, true, celconfig.PerCallLimit),
	}, nil
}

// Validate checks u as kube-apiserver checks a create with
// fieldValidation=Strict: a served version of a known kind, metadata, no field
// the schema does not know, the OpenAPI schema after defaulting, then the CEL
// rules. u is not modified.
func (v *Validator) Validate(ctx context.Context, u *unstructured.Unstructured) field.ErrorList {
	gvk := u.GroupVersionKind()
	ver, ok := v.versions[gvk]
	if !ok {
		return field.ErrorList{field.NotSupported(field.NewPath("apiVersion"), gvk.GroupVersion().String()+" "+gvk.Kind, v.known())}
	}
	obj := u.DeepCopy().Object
	var errs field.ErrorList

	accessor := &unstructured.Unstructured{Object: obj}
	errs = append(errs, metavalidation.ValidateObjectMetaAccessor(accessor, ver.namespaced, metavalidation.NameIsDNSSubdomain, field.NewPath("metadata"))...)
	if !ver.namespaced && accessor.GetNamespace() != "" {
		errs = append(errs, field.Forbidden(field.NewPath("metadata", "namespace"), "not allowed on a cluster-scoped resource"))
	}

	unknown := structuralpruning.PruneWithOptions(obj, ver.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	for _, p := range unknown {
		errs = append(errs, field.Invalid(field.NewPath(p), nil, "unknown field"))
	}
	structuraldefaulting.Default(obj, ver.structural)

	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, obj, ver.schema)...)
	if ver.cel != nil {
		celErrs, _ := ver.cel.Validate(ctx, nil, ver.structural, obj, nil, celconfig.RuntimeCELCostBudget)
		errs = append(errs, celErrs...)
	}
	return errs
}

func (v *Validator) known() []string {
	var s []string
	for gvk := range v.versions {
		s = append(s, gvk.GroupVersion().String()+" "+gvk.Kind)
	}
	return s
}
