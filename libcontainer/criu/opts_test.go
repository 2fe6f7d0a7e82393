package criu

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/seed4bdd2c93/runc/libcontainer/criu/rpc"
)

func TestParsePageServer(t *testing.T) {
	for in, want := range map[string]*PageServer{
		"10.0.0.1:1234": {"10.0.0.1", 1234},
		"[::1]:27":      {"::1", 27},
		"host:65535":    {"host", 65535},
	} {
		got, err := ParsePageServer(in)
		if err != nil || *got != *want {
			t.Errorf("ParsePageServer(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"nowhere":    "Use --page-server ADDRESS:PORT to specify page server",
		":1234":      "Use --page-server ADDRESS:PORT to specify page server",
		"host:":      "Use --page-server ADDRESS:PORT to specify page server",
		"host:http":  "Invalid port number",
		"host:0":     "Invalid port number",
		"host:70000": "Invalid port number",
	} {
		if _, err := ParsePageServer(in); err == nil || err.Error() != want {
			t.Errorf("ParsePageServer(%q): %v, want %q", in, err, want)
		}
	}
}

func TestParseCgMode(t *testing.T) {
	for in, want := range map[string]rpc.CriuCgMode{
		"": rpc.CgDefault, "soft": rpc.CgSoft, "full": rpc.CgFull,
		"strict": rpc.CgStrict, "ignore": rpc.CgIgnore,
	} {
		if got, err := ParseCgMode(in); err != nil || got != want {
			t.Errorf("ParseCgMode(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseCgMode("Soft"); err == nil || err.Error() != "Invalid manage cgroups mode" {
		t.Errorf("ParseCgMode(Soft): %v", err)
	}
}

func TestEmptyNsMask(t *testing.T) {
	for _, in := range [][]string{nil, {"network"}, {"network", "network"}} {
		if m, err := EmptyNsMask(in); err != nil || m != unix.CLONE_NEWNET {
			t.Errorf("EmptyNsMask(%q) = %#x, %v", in, m, err)
		}
	}
	if _, err := EmptyNsMask([]string{"network", "pid"}); err == nil || err.Error() != `namespace "pid" is not supported` {
		t.Errorf("EmptyNsMask(pid): %v", err)
	}
}

func TestConfigFile(t *testing.T) {
	for _, c := range []struct {
		ann  map[string]string
		want string
	}{
		{nil, "/etc/criu/runc.conf"},
		{map[string]string{"other": "x"}, "/etc/criu/runc.conf"},
		{map[string]string{"org.criu.config": "/etc/criu/mine.conf"}, "/etc/criu/mine.conf"},
		{map[string]string{"org.criu.config": ""}, ""}, // none at all
	} {
		if got := ConfigFile(c.ann); got != c.want {
			t.Errorf("ConfigFile(%v) = %q, want %q", c.ann, got, c.want)
		}
		spec := &specs.Spec{Annotations: c.ann}
		o, err := baseOpts(&Opts{}, spec, "x.log", 5, -1)
		if err != nil {
			t.Fatal(err)
		}
		if o.ConfigFile == nil && c.want != "" || val(o.ConfigFile) != c.want {
			t.Errorf("annotations %v: CriuOpts.ConfigFile %v, want %q", c.ann, o.ConfigFile, c.want)
		}
	}
}

func TestVersionError(t *testing.T) {
	c := &Criu{Version: 31601}
	if err := c.Require(31600, "x"); err != nil {
		t.Fatal(err)
	}
	err := (&Criu{Version: 21000}).Require(30000, "")
	var ve *VersionError
	if !errors.As(err, &ve) || err.Error() != "criu version 2.10.0 is too old, need 3.0.0 or later" {
		t.Fatalf("%v", err)
	}
	err = (&Criu{Version: 31502}).Require(VersionLSM, "--lsm-profile")
	if err == nil || err.Error() != "criu version 3.15.2 is too old, need 3.16.0 or later for --lsm-profile" {
		t.Fatalf("%v", err)
	}
}

func TestDumpRequest(t *testing.T) {
	spec := &specs.Spec{
		Linux:  &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.NetworkNamespace, Path: "/proc/self/ns/net"}}},
		Mounts: []specs.Mount{{Destination: "/data", Type: "bind", Source: "/srv/data"}},
	}
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/ns/net", &st); err != nil {
		t.Fatal(err)
	}
	c := &Criu{Version: 31701}
	o := &Opts{
		LeaveRunning: true, TCPEstablished: true, ShellJob: true, EmptyNs: unix.CLONE_NEWNET,
		ParentImage: "../pre", PageServer: &PageServer{"10.0.0.2", 99}, ManageCgroupsMode: "full", StatusFd: -1,
	}
	tg := &Target{Spec: spec, Rootfs: "/rootfs", Pid: 42, FreezeCgroup: "/sys/fs/cgroup/x", Mounts: ExternalMounts(spec, "", nil, nil)}
	req, err := c.DumpRequest(o, tg, 7, 8)
	if err != nil {
		t.Fatal(err)
	}
	r := req.Opts
	if req.Type != rpc.ReqDump || val(r.Pid) != 42 || val(r.Root) != "/rootfs" || r.ImagesDirFd != 7 || val(r.WorkDirFd) != 8 ||
		!val(r.LeaveRunning) || !val(r.TcpEstablished) || !val(r.ShellJob) || val(r.EmptyNs) != unix.CLONE_NEWNET ||
		val(r.ParentImg) != "../pre" || !val(r.TrackMem) || val(r.Ps.Address) != "10.0.0.2" || val(r.Ps.Port) != 99 ||
		val(r.ManageCgroupsMode) != rpc.CgFull || val(r.FreezeCgroup) != "/sys/fs/cgroup/x" ||
		!val(r.OrphanPtsMaster) || !val(r.NotifyScripts) || val(r.LogFile) != DumpLog || r.StatusFd != nil {
		t.Fatalf("dump options: %v", r)
	}
	if len(r.External) != 1 || r.External[0] != "net["+itoa(st.Ino)+"]:extRootNetNS" {
		t.Fatalf("external: %v", r.External)
	}
	if len(r.ExtMnt) != 1 || r.ExtMnt[0].Key != "/data" || r.ExtMnt[0].Val != "/data" {
		t.Fatalf("ext mounts: %v", r.ExtMnt)
	}
	// A pre-dump has the memory only.
	o.PreDump = true
	req, err = c.DumpRequest(o, tg, 7, -1)
	if err != nil {
		t.Fatal(err)
	}
	if req.Type != rpc.ReqPreDump || len(req.Opts.ExtMnt) != 0 || req.Opts.WorkDirFd != nil {
		t.Fatalf("pre-dump: %v", req)
	}
	// An external network namespace needs CRIU 3.11.
	_, err = (&Criu{Version: 31000}).DumpRequest(&Opts{StatusFd: -1}, tg, 7, -1)
	if err == nil || !strings.Contains(err.Error(), "need 3.11.0 or later for linux.namespaces[1] (network, path /proc/self/ns/net)") {
		t.Fatalf("old criu: %v", err)
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func TestDumpRequestStatusFd(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	tg := &Target{Spec: &specs.Spec{}}
	// CRIU 3.15 on says "status-ready" itself: the fd is ours to write.
	req, err := (&Criu{Version: 31701}).DumpRequest(&Opts{LazyPages: true, StatusFd: int(w.Fd())}, tg, 3, -1)
	if err != nil || req.Opts.StatusFd != nil || !val(req.Opts.LazyPages) {
		t.Fatalf("%v %v", req, err)
	}
	req, err = (&Criu{Version: 31400}).DumpRequest(&Opts{LazyPages: true, StatusFd: int(w.Fd())}, tg, 3, -1)
	if err != nil || val(req.Opts.StatusFd) != int32(w.Fd()) {
		t.Fatalf("old criu: %v %v", req, err)
	}
	if _, err := (&Criu{Version: 31701}).DumpRequest(&Opts{LazyPages: true, StatusFd: int(r.Fd())}, tg, 3, -1); err == nil || !strings.Contains(err.Error(), "not writable") {
		t.Fatalf("read end: %v", err)
	}
	if _, err := (&Criu{Version: 31701}).DumpRequest(&Opts{LazyPages: true, StatusFd: 999}, tg, 3, -1); err == nil || !strings.Contains(err.Error(), "invalid --status-fd argument 999") {
		t.Fatalf("closed fd: %v", err)
	}
}

func TestRestoreRequest(t *testing.T) {
	spec := &specs.Spec{
		Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{
			{Type: specs.PIDNamespace, Path: "/proc/self/ns/pid"},
			{Type: specs.NetworkNamespace, Path: "/proc/self/ns/net"},
			{Type: specs.IPCNamespace, Path: "/proc/self/ns/ipc"},
			{Type: specs.MountNamespace},
		}, MaskedPaths: []string{"/proc/kcore", "/proc/keys"}},
		Mounts: []specs.Mount{{Destination: "/data", Type: "none", Source: "/srv/data", Options: []string{"rbind"}}},
	}
	c := &Criu{Version: 31701}
	o := &Opts{LsmProfile: "apparmor:p", LsmMountContext: "ctx", StatusFd: -1}
	tg := &Target{Spec: spec, Mounts: ExternalMounts(spec, "", nil, spec.Linux.MaskedPaths)}
	req, extra, err := c.RestoreRequest(o, tg, "/state/criu-root", 5, -1, []string{"pipe:[11]", "/dev/null", "pipe:[12]"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, f := range extra {
			f.Close()
		}
	}()
	r := req.Opts
	if req.Type != rpc.ReqRestore || val(r.Root) != "/state/criu-root" || !val(r.RstSibling) || !val(r.EvasiveDevices) ||
		val(r.LsmProfile) != "apparmor:p" || val(r.LsmMountContext) != "ctx" || val(r.LogFile) != RestoreLog {
		t.Fatalf("restore options: %v", r)
	}
	if len(extra) != 2 {
		t.Fatalf("extra files: %v", extra)
	}
	var inherit []string
	for _, i := range r.InheritFd {
		inherit = append(inherit, i.Key+"="+itoa(uint64(i.Fd)))
	}
	if got := strings.Join(inherit, " "); got != "extRootPidNS=4 extRootNetNS=5 pipe:[11]=0 pipe:[12]=2" {
		t.Fatalf("inherit fds: %s", got)
	}
	if len(r.JoinNs) != 1 || r.JoinNs[0].Ns != "ipc" || r.JoinNs[0].NsFile != "/proc/self/ns/ipc" {
		t.Fatalf("join ns: %v", r.JoinNs)
	}
	var maps []string
	for _, m := range r.ExtMnt {
		maps = append(maps, m.Key+"->"+m.Val)
	}
	if got := strings.Join(maps, " "); got != "/data->/srv/data /dev/null->/dev/null" {
		t.Fatalf("ext mounts: %s", got)
	}

	// Refusals, and nothing left open.
	for _, c2 := range []struct {
		c    *Criu
		o    *Opts
		ns   specs.LinuxNamespace
		want string
	}{
		{&Criu{Version: 31500}, &Opts{LsmProfile: "x"}, specs.LinuxNamespace{}, "need 3.16.0 or later for --lsm-profile"},
		{&Criu{Version: 31500}, &Opts{LsmMountContext: "x"}, specs.LinuxNamespace{}, "need 3.16.0 or later for --lsm-mount-context"},
		{&Criu{Version: 31400}, &Opts{}, specs.LinuxNamespace{Type: specs.PIDNamespace, Path: "/proc/self/ns/pid"}, "need 3.15.0 or later for linux.namespaces[0] (pid"},
		{c, &Opts{}, specs.LinuxNamespace{Type: specs.CgroupNamespace, Path: "/proc/self/ns/cgroup"}, "criu cannot restore into an existing cgroup namespace"},
		{c, &Opts{}, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: "/nonexistent"}, "the namespace must exist to restore into it"},
		{c, &Opts{ManageCgroupsMode: "x"}, specs.LinuxNamespace{}, "Invalid manage cgroups mode"},
	} {
		s := &specs.Spec{Linux: &specs.Linux{}}
		if c2.ns.Type != "" {
			s.Linux.Namespaces = []specs.LinuxNamespace{c2.ns}
		}
		_, extra, err := c2.c.RestoreRequest(c2.o, &Target{Spec: s}, "/r", 5, -1, nil)
		if err == nil || !strings.Contains(err.Error(), c2.want) || extra != nil {
			t.Errorf("%+v: %v, %v; want %q", c2.ns, extra, err, c2.want)
		}
	}
}

func TestParentPath(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "pre"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "final")
	if err := ParentPath(img, "../pre"); err != nil {
		t.Fatal(err)
	}
	if err := ParentPath(img, ""); err != nil {
		t.Fatal(err)
	}
	for parent, want := range map[string]string{
		"/abs":    "--parent-path must be relative",
		"../none": "invalid --parent-path: stat " + filepath.Join(dir, "none") + ": no such file or directory",
		"../file": "invalid --parent-path: stat " + filepath.Join(dir, "file") + ": not a directory",
	} {
		if err := ParentPath(img, parent); err == nil || err.Error() != want {
			t.Errorf("ParentPath(%q): %v, want %q", parent, err, want)
		}
	}
}

// val is *p, or the zero value for nil (an absent optional field).
func val[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
