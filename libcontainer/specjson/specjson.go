// Package specjson reads and writes an OCI runtime spec as JSON without
// the sections of other platforms (solaris, windows, vm, zos, freebsd),
// which a Linux runtime never reads.
//
// encoding/json pays, once per process, for every Go type reachable from
// the value it decodes or encodes: on first use it builds the codec of
// each field's type, and every runc command reads a spec (config.json, or
// state.json's copy). So the package has a codec of its own for these
// files (Unmarshal, Marshal, Decode): reflection too, but it learns only
// the struct types it meets, their fields and names; anything else it
// leaves to encoding/json, errors included, so that results and messages
// are encoding/json's.
package specjson

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Spec is specs.Spec without the other platforms' sections: the same
// fields under the same names.
type Spec struct {
	Version     string            `json:"ociVersion"`
	Process     *specs.Process    `json:"process,omitempty"`
	Root        *specs.Root       `json:"root,omitempty"`
	Hostname    string            `json:"hostname,omitempty"`
	Domainname  string            `json:"domainname,omitempty"`
	Mounts      []specs.Mount     `json:"mounts,omitempty"`
	Hooks       *specs.Hooks      `json:"hooks,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Linux       *specs.Linux      `json:"linux,omitempty"`
}

// From is s as a Spec (nil for nil).
func From(s *specs.Spec) *Spec {
	if s == nil {
		return nil
	}
	return &Spec{
		Version: s.Version, Process: s.Process, Root: s.Root,
		Hostname: s.Hostname, Domainname: s.Domainname, Mounts: s.Mounts,
		Hooks: s.Hooks, Annotations: s.Annotations, Linux: s.Linux,
	}
}

// Spec is s as a specs.Spec (nil for nil).
func (s *Spec) Spec() *specs.Spec {
	if s == nil {
		return nil
	}
	return &specs.Spec{
		Version: s.Version, Process: s.Process, Root: s.Root,
		Hostname: s.Hostname, Domainname: s.Domainname, Mounts: s.Mounts,
		Hooks: s.Hooks, Annotations: s.Annotations, Linux: s.Linux,
	}
}

// Decode reads the first JSON value of r as a spec, as json.Decoder does
// (what follows it is not read).
func Decode(r io.Reader) (*specs.Spec, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var s Spec
	if !decode(data, reflect.ValueOf(&s).Elem(), false) {
		if err := json.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
			return nil, err
		}
	}
	return s.Spec(), nil
}
