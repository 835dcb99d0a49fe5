package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// Record is what the agent remembers about a pod on disk: enough to find its
// network again after a restart, or to remove it when the pod is gone.
type Record struct {
	UID       string     `json:"uid"`
	Namespace string     `json:"namespace"`
	Name      string     `json:"name"`
	IP        netip.Addr `json:"ip"`
	Netns     string     `json:"netns"`
	HostVeth  string     `json:"hostVeth,omitempty"` // the node-side end, named by the CNI plugin
	CNIType   string     `json:"cniType,omitempty"`  // the plugin that made the pod's interface`
	// HostNetwork marks a pod in the node's own network namespace: no
	// netns, no CNI, the node's address. Its containers' process groups are
	// kept in HostGroups, as no netns of its own finds them after a restart.
	HostNetwork bool  `json:"hostNetwork,omitempty"`
	HostGroups  []int `json:"hostGroups,omitempty"`
}

// Store keeps one directory per pod under <state>/pods/<uid>: record.json
// and the containers' log files.
type Store struct{ dir string }

// NewStore uses (and creates) <stateDir>/pods.
func NewStore(stateDir string) (*Store, error) {
	dir := filepath.Join(stateDir, "pods")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &Store{dir: dir}, nil
}

// PodDir is the directory of the pod with this UID.
func (s *Store) PodDir(uid string) string { return filepath.Join(s.dir, uid) }

// LogPath is the log file of a container of a pod; previous selects the log
// of the run before the current one.
func (s *Store) LogPath(uid, container string, previous bool) string {
	name := container + ".log"
	if previous {
		name += ".previous"
	}
	return filepath.Join(s.PodDir(uid), name)
}

// Save writes rec atomically.
func (s *Store) Save(rec Record) error {
	if rec.UID == "" || strings.ContainsAny(rec.UID, `/\`) {
		return fmt.Errorf("pod record: bad UID %q", rec.UID)
	}
	dir := s.PodDir(rec.UID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, "record.json.tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, "record.json"))
}

// Load returns every saved record; directories without a readable record
// are returned by UID in orphans so the caller can remove them.
func (s *Store) Load() (recs []Record, orphans []string, err error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.dir, e.Name(), "record.json"))
		var rec Record
		if err == nil {
			err = json.Unmarshal(b, &rec)
		}
		if err != nil || rec.UID != e.Name() {
			orphans = append(orphans, e.Name())
			continue
		}
		recs = append(recs, rec)
	}
	return recs, orphans, nil
}

// Remove deletes a pod's directory, its record and logs included.
func (s *Store) Remove(uid string) error {
	if uid == "" || strings.ContainsAny(uid, `/\`) || uid == "." || uid == ".." {
		return fmt.Errorf("pod record: bad UID %q", uid)
	}
	err := os.RemoveAll(s.PodDir(uid))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
