package main

import (
	"errors"
	"strconv"

	"github.com/meshbench/meshbench/generators"
	"github.com/meshbench/meshbench/policies"
	"github.com/spf13/cobra"
)

func init() { register(newGenerateCmd) }

func newGenerateCmd() *cobra.Command {
	var (
		plan        generators.Plan
		kind, shape string
		countFlag   string
		meshObjects bool
	)
	cmd := &cobra.Command{
		Use:   "generate --kind KIND --count N",
		Short: "Print the policy objects of one step as YAML, without a cluster",
		Long: `generate prints the objects meshbench applies at the step with N policies:
N-1 policies that select the server pods (meshbench.io/role=server) but match
none of the load's traffic, and one that admits the client
(meshbench.io/role=client) on the server port. The output is multi-document
YAML for kubectl apply -f.

Shapes: networkpolicy ports|peers|ipblock|namespace|deny-all, cilium
ports|peers|l7, istio ports|principals|l7, linkerd identities (the first of
each is the default).`,
		Example: `  meshbench generate --kind networkpolicy --count 100 -n bench | kubectl apply -f -
  meshbench generate --kind networkpolicy --shape ipblock --client-cidr 10.244.1.7/32 --count 10
  meshbench generate --kind istio --shape l7 --count 50 --mesh-objects`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("generate takes flags only, not %q; e.g. meshbench generate --kind networkpolicy --count 100", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("count") {
				return usagef("--count: required, the number of policies of the step, e.g. --count 100")
			}
			count, err := strconv.Atoi(countFlag)
			if err != nil || count < 0 {
				return usagef("--count %q: want a non-negative number of policies, e.g. 100", countFlag)
			}
			if plan.Port < 1 || plan.Port > 65535 {
				return usagef("--port %d: want a port number 1-65535", plan.Port)
			}
			plan.Kind = policies.Kind(kind)
			plan.Shape = policies.Shape(shape)
			plan.Steps = []int{count}
			objs, err := plan.Objects(count)
			if err != nil {
				return generateUsage(err)
			}
			if meshObjects {
				mesh, err := plan.MeshObjects()
				if err != nil {
					return generateUsage(err)
				}
				objs = append(mesh, objs...)
			}
			return generators.WriteYAML(cmd.OutOrStdout(), objs)
		},
	}
	f := cmd.Flags()
	f.StringVar(&kind, "kind", string(policies.NetworkPolicy), "policy kind: networkpolicy|cilium|istio|linkerd")
	f.StringVar(&countFlag, "count", "", "number of policies of the step (N-1 that match nothing, 1 that admits the client)")
	f.StringVar(&shape, "shape", "", "form of the non-matching policies (default: the kind's first shape)")
	f.StringVarP(&plan.Namespace, "namespace", "n", "meshbench", "namespace of the objects")
	f.StringVar(&plan.RunID, "run-id", "generate", "value of the meshbench.io/run label")
	f.IntVar(&plan.Port, "port", policies.DefaultPort, "server port the allowing policy opens")
	f.StringVar(&plan.ClientCIDR, "client-cidr", "", "client address or CIDR the ipblock shape admits, e.g. 10.244.1.7/32 (default: the client pods by label)")
	f.StringVar(&plan.ClientServiceAccount, "client-service-account", policies.DefaultClientServiceAccount, "client's service account (Istio and Linkerd identities)")
	f.StringVar(&plan.TrustDomain, "trust-domain", policies.DefaultTrustDomain, "mesh trust domain (Istio principals, Linkerd identities)")
	f.StringVar(&plan.Waypoint, "waypoint", policies.DefaultWaypoint, "Istio waypoint Gateway the l7 shape targets")
	f.BoolVar(&meshObjects, "mesh-objects", false, "also print the kind's mesh-level objects (Istio: PeerAuthentication STRICT)")
	return cmd
}

// generateUsage turns a plan error into a usage error naming generate's flags.
func generateUsage(err error) error {
	var fe *generators.FieldError
	if errors.As(err, &fe) {
		if fe.Flag == generators.StepsFlag {
			fe.Flag = "--count"
		}
		return usageErr(fe)
	}
	return err
}
