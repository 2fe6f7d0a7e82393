package cgroupmgr

import (
	"reflect"
	"strings"
	"testing"

	systemdDbus "github.com/coreos/go-systemd/v22/dbus"
	dbus "github.com/godbus/dbus/v5"
)

func TestSystemdProperties(t *testing.T) {
	for _, tc := range []struct {
		name string
		ann  map[string]string
		want []systemdDbus.Property
		err  string
	}{
		{name: "none", ann: map[string]string{"com.example.x": "1"}, want: nil},
		{
			name: "sec to usec, int32",
			ann:  map[string]string{"org.systemd.property.TimeoutStopSec": "90"},
			want: []systemdDbus.Property{{Name: "TimeoutStopUSec", Value: dbus.MakeVariant(uint64(90_000_000))}},
		},
		{
			name: "sec to usec, typed uint64",
			ann:  map[string]string{"org.systemd.property.RuntimeMaxSec": "uint64 5"},
			want: []systemdDbus.Property{{Name: "RuntimeMaxUSec", Value: dbus.MakeVariant(uint64(5_000_000))}},
		},
		{
			name: "sec to usec, double",
			ann:  map[string]string{"org.systemd.property.TimeoutStopSec": "1.5"},
			want: []systemdDbus.Property{{Name: "TimeoutStopUSec", Value: dbus.MakeVariant(uint64(1_500_000))}},
		},
		{
			name: "USec kept as given",
			ann:  map[string]string{"org.systemd.property.TimeoutStopUSec": "uint64 123"},
			want: []systemdDbus.Property{{Name: "TimeoutStopUSec", Value: dbus.MakeVariant(uint64(123))}},
		},
		{
			name: "string and bool, sorted by key",
			ann: map[string]string{
				"org.systemd.property.Delegate":    "true",
				"org.systemd.property.CollectMode": "'inactive-or-failed'",
				"other":                            "x",
			},
			want: []systemdDbus.Property{
				{Name: "CollectMode", Value: dbus.MakeVariant("inactive-or-failed")},
				{Name: "Delegate", Value: dbus.MakeVariant(true)},
			},
		},
		{
			name: "array",
			ann:  map[string]string{"org.systemd.property.After": "['a.service', 'b.service']"},
			want: []systemdDbus.Property{{Name: "After", Value: dbus.MakeVariant([]string{"a.service", "b.service"})}},
		},
		{name: "short name", ann: map[string]string{"org.systemd.property.AB": "1"}, err: "too short"},
		{name: "bad name", ann: map[string]string{"org.systemd.property.Cpu1": "1"}, err: "only contain ASCII letters"},
		{name: "bad value", ann: map[string]string{"org.systemd.property.CPUWeight": "not a variant"}, err: "parse D-Bus value"},
		{name: "sec not a number", ann: map[string]string{"org.systemd.property.TimeoutStopSec": "'x'"}, err: "needs a number of seconds"},
		{name: "sec negative", ann: map[string]string{"org.systemd.property.TimeoutStopSec": "-1"}, err: "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := systemdProperties(tc.ann)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, %v; want error containing %q", got, err, tc.err)
				}
				if !strings.Contains(err.Error(), "annotations[") {
					t.Fatalf("error %q does not name the annotation", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}
