package devices

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	systemdDbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
	"github.com/opencontainers/cgroups"
	"github.com/opencontainers/cgroups/devices/config"
	"github.com/sirupsen/logrus"
)

// deviceAllow is one DeviceAllow= entry, the D-Bus type (ss): a device
// path or group ("char-pts", "block-*") and the accesses.
type deviceAllow struct {
	Path  string
	Perms string
}

func prop(name string, v any) systemdDbus.Property {
	return systemdDbus.Property{Name: name, Value: dbus.MakeVariant(v)}
}

// SystemdProperties turns device rules into the unit properties that make
// systemd enforce them too (DevicePolicy= and DeviceAllow=), for a
// systemd of version sdVer (-1 if unknown). systemd programs what it can
// say; SetV1 and SetV2 then install the rules exactly, after systemd has
// set the properties, so what systemd cannot express is only a warning.
func SystemdProperties(r *cgroups.Resources, sdVer int) ([]systemdDbus.Property, error) {
	if r.SkipDevices {
		return nil, nil
	}
	rs, err := newRuleSet(r.Devices)
	if err != nil {
		return nil, fmt.Errorf("device rules for systemd: %w", err)
	}
	// An empty DeviceAllow= first clears the unit's list: the entries
	// that follow replace what a previous update gave.
	reset := prop("DeviceAllow", []deviceAllow{})
	if rs.allowAll {
		if rs.allowsEverything() {
			// "auto" with no DeviceAllow= entries: no device filter.
			return []systemdDbus.Property{reset, prop("DevicePolicy", "auto")}, nil
		}
		// systemd only has allow lists: deny everything until SetV1 or
		// SetV2 installs the rules.
		logrus.Warn("systemd cannot express device rules that allow by default; denying all devices until the cgroup's own rules are set")
		return []systemdDbus.Property{reset, prop("DevicePolicy", "strict")}, nil
	}
	entries := []deviceAllow{}
	for _, rule := range rs.rules() {
		path, ok, err := systemdDevicePath(rule, sdVer)
		if err != nil {
			return nil, err
		}
		if ok {
			entries = append(entries, deviceAllow{Path: path, Perms: string(rule.Permissions)})
		}
	}
	return []systemdDbus.Property{reset, prop("DevicePolicy", "strict"), prop("DeviceAllow", entries)}, nil
}

// systemdDevicePath names the devices of an allow rule as DeviceAllow=
// takes them; ok is false for rules it cannot express (skipped, with a
// warning where the rule is not merely unexpressible for an old systemd).
func systemdDevicePath(rule *config.Rule, sdVer int) (path string, ok bool, err error) {
	if !rule.Allow {
		return "", false, fmt.Errorf("device rule %s: a deny rule in an allow list (internal error)", rule.CgroupString())
	}
	var group string // the DeviceAllow= group prefix
	switch rule.Type {
	case config.CharDevice:
		group = "char-"
	case config.BlockDevice:
		group = "block-"
	default:
		return "", false, fmt.Errorf("device rule %s: type %q has no DeviceAllow= form", rule.CgroupString(), string(rule.Type))
	}
	switch {
	case rule.Major == config.Wildcard && rule.Minor == config.Wildcard:
		return group + "*", true, nil
	case rule.Major == config.Wildcard:
		logrus.Warnf("systemd has no DeviceAllow= form for %s; it is left to the cgroup's own rules", rule.CgroupString())
		return "", false, nil
	case rule.Minor == config.Wildcard:
		if sdVer >= 240 {
			return group + strconv.FormatInt(rule.Major, 10), true, nil
		}
		// Older systemd wants the driver's name from /proc/devices.
		name, err := procDevicesName(rule.Type, rule.Major)
		if err != nil {
			return "", false, fmt.Errorf("device rule %s: %w", rule.CgroupString(), err)
		}
		if name == "" {
			logrus.Warnf("no /proc/devices entry for %s; it is left to the cgroup's own rules", rule.CgroupString())
			return "", false, nil
		}
		return group + name, true, nil
	}
	dir := "/dev/char/"
	if rule.Type == config.BlockDevice {
		dir = "/dev/block/"
	}
	path = dir + strconv.FormatInt(rule.Major, 10) + ":" + strconv.FormatInt(rule.Minor, 10)
	if sdVer < 240 {
		// Older systemd stats the path and skips the entry, with a
		// warning, if it is missing: leave it out here instead.
		if _, err := os.Stat(path); err != nil {
			return "", false, nil
		}
	}
	return path, true, nil
}

// procDevicesName returns the name /proc/devices gives the major number
// of the type, or "" if it lists none.
func procDevicesName(typ config.Type, major int64) (string, error) {
	f, err := os.Open("/proc/devices")
	if err != nil {
		return "", err
	}
	defer f.Close()
	var section config.Type
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch line {
		case "Character devices:":
			section = config.CharDevice
			continue
		case "Block devices:":
			section = config.BlockDevice
			continue
		}
		num, name, found := strings.Cut(line, " ")
		if section == typ && found && num == strconv.FormatInt(major, 10) {
			return name, nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read /proc/devices: %w", err)
	}
	return "", nil
}
