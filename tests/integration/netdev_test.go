package integration

// linux.netDevices: host network devices moved into the container.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/seed4bdd2c93/runc/tests/internal/harness"
)

// hostVeth creates a veth pair on the host (the dummy driver may be
// missing) and gives the end it returns a permanent global address (and a
// link-scope one, which is not carried over). The pair is removed at the
// end if it is still there.
func hostVeth(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("rit%d", harness.Seq()+int64(os.Getpid()%100000)*100)
	if len(name) > 14 {
		name = name[:14]
	}
	ipCmd(t, "link", "add", name, "type", "veth", "peer", "name", name+"p")
	t.Cleanup(func() {
		exec.Command("ip", "link", "del", name).Run()
		exec.Command("ip", "link", "del", name+"p").Run()
	})
	ipCmd(t, "addr", "add", "192.0.2.10/24", "dev", name)
	ipCmd(t, "addr", "add", "169.254.7.7/16", "scope", "link", "dev", name)
	return name
}

func ipCmd(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func hostHasLink(name string) bool {
	return exec.Command("ip", "link", "show", "dev", name).Run() == nil
}

// TestNetDevicesMoveAndRename: a host device moves into the container's
// network namespace under its new name, up, with its permanent global
// address; the state records it. It is not moved back: when the
// namespace goes, the kernel destroys a virtual device, and a veth's peer
// with it (as with runc).
func TestNetDevicesMoveAndRename(t *testing.T) {
	dev := hostVeth(t)
	b := newBundle(t, "sleep", "100")
	b.Spec.Linux.NetDevices = map[string]specs.LinuxNetDevice{dev: {Name: "ctr0"}}
	b.write()
	b.mustRunc("run", "-d", b.ID)
	if hostHasLink(dev) {
		t.Errorf("%s is still on the host", dev)
	}
	pid := b.initPid()
	out, err := exec.Command("nsenter", "-t", fmt.Sprint(pid), "-n", "ip", "-o", "addr", "show", "dev", "ctr0").CombinedOutput()
	if err != nil {
		t.Fatalf("ip addr in the container: %v: %s", err, out)
	}
	mustContain(t, "addresses", string(out), "inet 192.0.2.10/24")
	if strings.Contains(string(out), "169.254.7.7") {
		t.Errorf("link-scope address carried over: %s", out)
	}
	link, _ := exec.Command("nsenter", "-t", fmt.Sprint(pid), "-n", "ip", "-o", "link", "show", "dev", "ctr0").CombinedOutput()
	mustContain(t, "link", string(link), ",UP")

	data, err := os.ReadFile(filepath.Join(b.Root, b.ID, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		NetDevices map[string]string `json:"net_devices"`
	}
	json.Unmarshal(data, &st)
	if st.NetDevices[dev] != "ctr0" {
		t.Errorf("state net_devices %v, want %s -> ctr0", st.NetDevices, dev)
	}

	b.mustRunc("delete", "--force", b.ID)
	if !pidGone(pid) {
		t.Fatal("init still there")
	}
	for _, n := range []string{dev, "ctr0", dev + "p"} {
		if hostHasLink(n) {
			t.Errorf("virtual device %s is on the host after delete", n)
		}
	}
}

// TestNetDevicesNameTemplateAndConflict: "%d" lets the kernel pick a free
// name; a name already taken in the container is an error naming the
// field, and the device stays on the host.
func TestNetDevicesNameTemplateAndConflict(t *testing.T) {
	dev := hostVeth(t)
	b := newBundle(t, "ip", "-o", "link")
	b.Spec.Linux.NetDevices = map[string]specs.LinuxNetDevice{dev: {Name: "lo"}}
	b.write()
	_, errOut, code := b.runc("run", b.ID)
	if code == 0 {
		t.Fatal("moving a device onto the name lo succeeded")
	}
	mustContain(t, "error", errOut, "linux.netDevices")
	mustContain(t, "error", errOut, "already exists")
	if !hostHasLink(dev) {
		t.Fatalf("%s is gone from the host after a refused move", dev)
	}

	b.Spec.Linux.NetDevices = map[string]specs.LinuxNetDevice{dev: {Name: "net%d"}}
	b.write()
	out := b.mustRunc("run", b.ID)
	mustContain(t, "links", out, ": net0@")
}

// TestNetDevicesJoinedNamespace: moved into a network namespace the
// container joins by path, the device stays there after delete, for the
// namespace's owner to move back.
func TestNetDevicesJoinedNamespace(t *testing.T) {
	dev := hostVeth(t)
	ns := fmt.Sprintf("runc-it-%d-%d", os.Getpid(), harness.Seq())
	ipCmd(t, "netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	b := newBundle(t, "true")
	for i, n := range b.Spec.Linux.Namespaces {
		if n.Type == specs.NetworkNamespace {
			b.Spec.Linux.Namespaces[i].Path = "/run/netns/" + ns
		}
	}
	b.Spec.Linux.NetDevices = map[string]specs.LinuxNetDevice{dev: {}}
	b.write()
	b.mustRunc("run", b.ID)
	out := ipCmd(t, "-n", ns, "-o", "addr", "show", "dev", dev)
	mustContain(t, "addresses in the joined namespace", out, "192.0.2.10/24")
	ipCmd(t, "-n", ns, "link", "set", "dev", dev, "netns", "1")
	if !hostHasLink(dev) {
		t.Errorf("%s did not come back to the host", dev)
	}
}
