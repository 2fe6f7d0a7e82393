package libcontainer

import (
	"strings"
	"testing"
)

func TestOpenCgroupJoinRefusesOtherFilesystems(t *testing.T) {
	j, err := openCgroupJoin([]string{t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "is not a cgroup directory") {
		j.Close()
		t.Fatalf("a temporary directory taken as a cgroup: %v", err)
	}
	if _, err := openCgroupJoin([]string{"/nonexistent/cgroup"}); err == nil {
		t.Fatal("a missing directory accepted")
	}
}
