// Package generators turns a step plan — a policy kind and shape, the number
// of policies at each step, the namespace and run — into the objects of each
// step, and the difference between two steps that a cluster must apply and
// remove. Object names are deterministic, so the objects of step N+1 are a
// superset of those of step N and moving between steps, up or down, touches
// only the difference.
package generators
