package libcontainer

// linux.netDevices: host network devices moved into the container's
// network namespace by the runtime (the parent, in the host's network
// namespace), renamed on the way, with their permanent global addresses
// and up.
//
// As the runtime-spec says (and runc does), nothing moves them back: when
// the namespace goes away the kernel returns physical devices to the
// initial namespace and destroys virtual ones (veth, dummy, ...); in a
// namespace the container joined by path, they stay with it, for its
// owner to handle.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// moveNetDevices moves the spec's linux.netDevices into the network
// namespace of pid and returns host name -> name in the container.
func moveNetDevices(devs map[string]specs.LinuxNetDevice, pid int) (map[string]string, error) {
	if len(devs) == 0 {
		return nil, nil
	}
	ns, err := os.Open(fmt.Sprintf("/proc/%d/ns/net", pid))
	if err != nil {
		return nil, fmt.Errorf("linux.netDevices: open the container's network namespace: %w", err)
	}
	defer ns.Close()
	inside, err := netlink.NewHandleAt(netns.NsHandle(ns.Fd()))
	if err != nil {
		return nil, fmt.Errorf("linux.netDevices: netlink in the container's network namespace: %w", err)
	}
	defer inside.Close()

	names := make([]string, 0, len(devs))
	for n := range devs {
		names = append(names, n)
	}
	sort.Strings(names)
	moved := map[string]string{}
	for _, n := range names {
		target := devs[n].Name
		if target == "" {
			target = n
		}
		got, err := moveNetDevice(n, target, int(ns.Fd()), inside)
		if err != nil {
			return moved, fmt.Errorf("linux.netDevices[%q]: %w", n, err)
		}
		moved[n] = got
	}
	return moved, nil
}

// moveNetDevice moves one device and returns its name in the container.
func moveNetDevice(name, target string, nsFd int, inside *netlink.Handle) (string, error) {
	link, err := netlink.LinkByName(name)
	if err != nil {
		return "", fmt.Errorf("find the device on the host: %w", err)
	}
	attrs := link.Attrs()
	// Moving a device drops its addresses: keep the permanent ones of
	// global scope, as the spec asks.
	addrs, err := netlink.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		return "", fmt.Errorf("list addresses: %w", err)
	}
	var keep []netlink.Addr
	for _, a := range addrs {
		if a.Flags&unix.IFA_F_PERMANENT != 0 && a.Scope == unix.RT_SCOPE_UNIVERSE {
			keep = append(keep, a)
		}
	}
	template := strings.Contains(target, "%d")
	if !template {
		if _, err := inside.LinkByName(target); err == nil {
			return "", fmt.Errorf("a network device named %q already exists in the container (end the name with %%d to have the kernel pick a free one)", target)
		}
	}
	if err := setLinkNetns(attrs.Index, nsFd, target); err != nil {
		return "", fmt.Errorf("move into the container's network namespace as %q: %w", target, err)
	}
	moved, err := findMoved(inside, attrs.Index, attrs.HardwareAddr, link.Type())
	if err != nil {
		return "", err
	}
	// The kernel uses the new name only if the old one is taken in the
	// container; otherwise the device keeps its name until renamed.
	if !template && moved.Attrs().Name != target {
		if err := inside.LinkSetName(moved, target); err != nil {
			if berr := moveBack(inside, moved, name); berr != nil {
				err = fmt.Errorf("%w (and moving it back to the host: %v)", err, berr) //nolint:errorlint // the move-back error is context: errors.Is/As must see the cause only
			}
			return "", fmt.Errorf("rename to %q in the container: %w", target, err)
		}
		if moved, err = inside.LinkByName(target); err != nil {
			return "", err
		}
	}
	for _, a := range keep {
		a := a
		a.Label = "" // labels carry the old name
		if err := inside.AddrAdd(moved, &a); err != nil && !errors.Is(err, unix.EEXIST) {
			return "", fmt.Errorf("restore address %s: %w", a.IPNet, err)
		}
	}
	if err := inside.LinkSetUp(moved); err != nil {
		return "", fmt.Errorf("set %s up: %w", moved.Attrs().Name, err)
	}
	return moved.Attrs().Name, nil
}

// moveBack returns a device that could not be set up in the container to
// the runtime's network namespace, under its host name.
func moveBack(inside *netlink.Handle, link netlink.Link, name string) error {
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return err
	}
	defer self.Close()
	if err := inside.LinkSetNsFd(link, int(self.Fd())); err != nil {
		return err
	}
	if link.Attrs().Name == name {
		return nil
	}
	l, err := netlink.LinkByIndex(link.Attrs().Index)
	if err != nil {
		return err
	}
	return netlink.LinkSetName(l, name)
}

// setLinkNetns moves the link with index into the namespace nsFd, renamed
// to name, in one RTM_SETLINK: the kernel checks the new name (and fills
// in a %d template) in the target namespace, where the old name may be
// taken.
func setLinkNetns(index, nsFd int, name string) error {
	req := nl.NewNetlinkRequest(unix.RTM_SETLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(index)
	req.AddData(msg)
	fd := make([]byte, 4)
	nl.NativeEndian().PutUint32(fd, uint32(nsFd))
	req.AddData(nl.NewRtAttr(unix.IFLA_NET_NS_FD, fd))
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
	_, err := req.Execute(unix.NETLINK_ROUTE, 0)
	return err
}

// findMoved finds a moved device in the container's namespace: by its
// index, which the kernel keeps unless it is taken there, else by its
// type and hardware address.
func findMoved(inside *netlink.Handle, index int, hwaddr []byte, typ string) (netlink.Link, error) {
	same := func(l netlink.Link) bool {
		return bytes.Equal(l.Attrs().HardwareAddr, hwaddr) && l.Type() == typ
	}
	if l, err := inside.LinkByIndex(index); err == nil && same(l) {
		return l, nil
	}
	if len(hwaddr) > 0 {
		links, err := inside.LinkList()
		if err != nil {
			return nil, fmt.Errorf("list the container's devices: %w", err)
		}
		for _, l := range links {
			if same(l) {
				return l, nil
			}
		}
	}
	return nil, errors.New("the device moved but cannot be found in the container's network namespace")
}
