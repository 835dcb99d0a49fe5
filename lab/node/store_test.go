package node

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestStoreRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s, err := NewStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	rec := Record{UID: "u1", Namespace: "ns", Name: "p", IP: netip.MustParseAddr("10.244.0.5"), Netns: NetnsName("mblab-node-1", "u1"), HostVeth: "veth1234abcd", CNIType: "ptp"}
	host := Record{UID: "u3", Namespace: "ns", Name: "agent", IP: netip.MustParseAddr("10.250.0.1"), HostNetwork: true, HostGroups: []int{4242}}
	if err := s.Save(host); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(rec); err != nil {
		t.Fatal(err)
	}
	// A directory without a record (a crash between mkdir and write) is an orphan.
	if err := os.MkdirAll(filepath.Join(dir, "pods", "u2"), 0o700); err != nil {
		t.Fatal(err)
	}
	recs, orphans, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || !reflect.DeepEqual(recs, []Record{rec, host}) || len(orphans) != 1 || orphans[0] != "u2" {
		t.Fatalf("Load: %+v orphans %v", recs, orphans)
	}
	for _, uid := range []string{"u1", "u3"} {
		if err := s.Remove(uid); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Remove("../x"); err == nil {
		t.Fatal("Remove outside the store: want an error")
	}
	if recs, _, _ := s.Load(); len(recs) != 0 {
		t.Fatalf("after Remove: %+v", recs)
	}
}
