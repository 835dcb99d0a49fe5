package main

import (
	"context"
	"testing"
)

func TestDetectBadInputExitsTwo(t *testing.T) {
	for _, args := range [][]string{
		{"detect", "--kubeconfig", "/nonexistent/kubeconfig"},
		{"detect", "-o", "yaml"},
		{"detect", "stray"},
	} {
		if code := execute(context.Background(), args); code != 2 {
			t.Errorf("%v: exit %d; want 2", args, code)
		}
	}
}
