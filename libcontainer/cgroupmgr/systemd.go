package cgroupmgr

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	systemdDbus "github.com/coreos/go-systemd/v22/dbus"
	dbus "github.com/godbus/dbus/v5"
)

// systemdPropertyPrefix marks annotations that become systemd unit
// properties: org.systemd.property.TimeoutStopSec=90 sets TimeoutStopUSec.
const systemdPropertyPrefix = "org.systemd.property."

// systemdProperties turns org.systemd.property.<Name> annotations into unit
// properties, as runc does: the value is a D-Bus variant in GVariant text
// form (godbus's parser, e.g. "uint64 1024", "'a string'", "true", "42"),
// and a name ending in a lower-case letter followed by "Sec" is renamed to
// "...USec" with the number of seconds converted to microseconds. Other
// annotations are ignored. The result is sorted by property name.
func systemdProperties(annotations map[string]string) ([]systemdDbus.Property, error) {
	keys := make([]string, 0, len(annotations))
	for k := range annotations {
		if strings.HasPrefix(k, systemdPropertyPrefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)

	var props []systemdDbus.Property
	for _, k := range keys {
		v := annotations[k]
		name := strings.TrimPrefix(k, systemdPropertyPrefix)
		if err := checkPropertyName(name); err != nil {
			return nil, fmt.Errorf("annotations[%q]: property name %w", k, err)
		}
		value, err := dbus.ParseVariant(v, dbus.Signature{})
		if err != nil {
			return nil, fmt.Errorf("annotations[%q] = %q: parse D-Bus value: %w", k, v, err)
		}
		if base, ok := strings.CutSuffix(name, "Sec"); ok {
			if c := base[len(base)-1]; c >= 'a' && c <= 'z' {
				name = base + "USec"
				value, err = secToUSec(value)
				if err != nil {
					return nil, fmt.Errorf("annotations[%q] = %q: %w", k, v, err)
				}
			}
		}
		props = append(props, systemdDbus.Property{Name: name, Value: value})
	}
	return props, nil
}

// checkPropertyName accepts systemd property names: at least three ASCII
// letters and nothing else.
func checkPropertyName(name string) error {
	if len(name) < 3 {
		return fmt.Errorf("%q is too short (at least 3 letters)", name)
	}
	for i := range len(name) {
		c := name[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return fmt.Errorf("%q may only contain ASCII letters", name)
		}
	}
	return nil
}

// secToUSec converts a numeric variant holding seconds into a uint64
// variant holding microseconds, the unit systemd's *USec properties take.
func secToUSec(v dbus.Variant) (dbus.Variant, error) {
	const usec = 1_000_000
	var sec float64
	switch x := v.Value().(type) {
	case byte:
		sec = float64(x)
	case int16:
		sec = float64(x)
	case uint16:
		sec = float64(x)
	case int32:
		sec = float64(x)
	case uint32:
		sec = float64(x)
	case int64:
		sec = float64(x)
	case uint64:
		// Keep full precision for integers.
		if x > math.MaxUint64/usec {
			return v, errors.New("number of seconds is too large")
		}
		return dbus.MakeVariant(x * usec), nil
	case float64:
		sec = x
	default:
		return v, fmt.Errorf("a *Sec property needs a number of seconds, got D-Bus type %s", v.Signature())
	}
	if sec < 0 {
		return v, errors.New("number of seconds must not be negative")
	}
	if sec*usec >= math.MaxUint64 {
		return v, errors.New("number of seconds is too large")
	}
	return dbus.MakeVariant(uint64(sec * usec)), nil
}
