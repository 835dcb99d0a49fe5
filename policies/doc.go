// Package policies builds the policy objects meshbench applies in steps: Kubernetes
// NetworkPolicy, CiliumNetworkPolicy, Istio AuthorizationPolicy (plus
// PeerAuthentication STRICT as a mesh-level object) and Linkerd's Server,
// AuthorizationPolicy and MeshTLSAuthentication.
//
// Every step follows the Romana method: at step N there are N policies that
// select the server pods (meshbench.io/role=server); N-1 of them ("decoys")
// match none of the traffic the load sends, and one ("allow") admits the client
// (meshbench.io/role=client) on the server port. Step 0 has no policy at all.
// Packets of a new connection therefore traverse every decoy before the allow
// rule accepts them, and a probe pod (meshbench.io/role=probe) is denied as soon
// as any policy exists. The control server (meshbench.io/role=control) is never
// selected.
//
// A Builder renders the objects of one kind and shape; package generators turns
// builders into the objects of a step and the difference between steps.
//
// Shapes (the form of the decoys; default first):
//
// networkpolicy
//   - peers: decoy i admits pods labelled meshbench.io/decoy=<i> on the server
//     port; no pod carries that label. The Romana method: its decoys "did not
//     match the packet", so no part of a decoy's rule matches the benchmark's
//     traffic. The default.
//   - ports: decoy i admits the client on TCP port 10000+i (skipping the server
//     port); the allow admits the client on the server port. A stress case:
//     every decoy matches the client's address and fails only on the port, so
//     an iptables engine does more work per decoy (on the lab's kube-router
//     about 14 times the peers shape's cost per policy).
//   - ipblock: decoy i admits 198.18.x.y/32 (RFC 2544's benchmarking range, never a
//     pod address) on the server port; the allow admits Target.ClientCIDR, which
//     a run fills with the client pod's IP as a /32 (a CIDR covering the whole
//     pod range would admit the probe too). Without a ClientCIDR the allow
//     admits the client pods by label, as in the ports shape.
//   - namespace: decoy i admits client pods of a namespace labelled
//     kubernetes.io/metadata.name=meshbench-decoy-<i> (none exists); the allow
//     admits client pods of the benchmark namespace (namespaceSelector and
//     podSelector in one peer).
//   - deny-all: the ports shape plus one default-deny policy that selects the
//     server pods with no ingress rule. Step N then holds N+1 objects: the
//     deny-all, N-1 decoys and the allow. The deny-all selects the servers only,
//     not podSelector {}, so the control server stays unselected.
//
// cilium (cilium.io/v2 CiliumNetworkPolicy)
//   - peers: decoy i admits fromEndpoints meshbench.io/decoy=<i> on the server
//     port (the default, as for networkpolicy).
//   - ports: decoy i admits fromEndpoints role=client on TCP 10000+i.
//   - l7: every policy admits the client on the server port through Cilium's
//     HTTP proxy; decoy i allows only GET /meshbench-decoy/<i>, the allow GET on
//     any path, so every request is checked against N HTTP rules.
//
// istio (security.istio.io/v1 AuthorizationPolicy, action ALLOW)
//   - ports: L4, enforced by ztunnel (selector role=server); decoy i admits the
//     client's principal on port 10000+i.
//   - principals: L4; decoy i admits the principal of the service account
//     meshbench-decoy-<i> on the server port.
//   - l7: HTTP, enforced by a waypoint (targetRefs the waypoint Gateway); decoy i
//     admits the client only for path /meshbench-decoy/<i>, the allow any path.
//
// linkerd (policy.linkerd.io)
//   - identities: one Server (the server pods' port, default deny), and per
//     policy an AuthorizationPolicy targeting it with its own
//     MeshTLSAuthentication; decoy i requires the identity of the service account
//     meshbench-decoy-<i>, the allow the client's identity. Step N holds 2N+1
//     objects.
package policies
