// Package cluster is meshbench's client-go wiring: it applies the objects of a
// step with server-side apply, deletes a run's objects in bulk by label,
// deploys the server, control, client and probe pods, waits for them, and
// collects their logs. It knows nothing of which cluster it talks to: the lab,
// kind or a cloud cluster are all reached through a rest.Config.
package cluster
