package devices

import (
	"errors"
	"fmt"

	"github.com/moby/sys/userns"
	"github.com/opencontainers/cgroups"
)

// SetV1 brings the cgroup v1 devices controller at path to the rules of
// r, writing to devices.allow and devices.deny only the differences from
// its current state (devices.list), in an order that never takes away,
// even for a moment, an access the container keeps: a running
// container's update changes only what it has to. It does nothing in a
// user namespace (the writes are not permitted there) or when
// r.SkipDevices is set.
func SetV1(path string, r *cgroups.Resources) error {
	if r.SkipDevices || userns.RunningInUserNS() {
		return nil
	}
	cur, err := readList(path)
	if err != nil {
		return err
	}
	want, err := newRuleSet(r.Devices)
	if err != nil {
		return err
	}
	for _, rule := range cur.transition(want) {
		file := "devices.deny"
		if rule.Allow {
			file = "devices.allow"
		}
		if err := cgroups.WriteFile(path, file, rule.CgroupString()); err != nil {
			return err
		}
	}
	// Check what the kernel made of it. devices.list shows all of a
	// deny-all cgroup's state, but only the default of an allow-all one.
	got, err := readList(path)
	if err != nil {
		return err
	}
	if got.allowAll != want.allowAll {
		return fmt.Errorf("devices cgroup %s: the default is not the one asked for after the update", path)
	}
	if !want.allowAll && !got.equal(want) {
		return errors.New("devices cgroup " + path + ": devices.list differs from the rules after the update")
	}
	return nil
}

func readList(path string) (*ruleSet, error) {
	list, err := cgroups.ReadFile(path, "devices.list")
	if err != nil {
		return nil, err
	}
	return parseList(list)
}
