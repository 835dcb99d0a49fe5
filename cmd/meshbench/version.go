package main

import "github.com/meshbench/meshbench/results"

// version is meshbench's version; the build sets it with
// -ldflags "-X github.com/meshbench/meshbench/results.Version=...".
var version = results.Version
