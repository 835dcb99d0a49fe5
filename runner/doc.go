// Package runner carries out a study on a cluster: for every mesh and every
// step it applies the difference to the previous step, confirms the policies
// are enforced, runs the client pod's load against the target and the control
// server in the same window, and gathers one results document.
//
// It follows the data flow plan → generate (generators) → apply (cluster) →
// load (a client pod running loadgen) → results; analysis and report read
// what it returns.
package runner
