//go:build seccomp

package seccomp

import (
	"encoding/json"
	"io"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
)

// FuzzProfile feeds arbitrary JSON as linux.seccomp: Validate must never
// panic, and every profile it accepts must compile (what create validates,
// the init must be able to load), within the kernel's program size.
func FuzzProfile(f *testing.F) {
	logrus.SetOutput(io.Discard)
	for _, seed := range []string{
		`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getcwd"],"action":"SCMP_ACT_ERRNO"}]}`,
		`{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"architectures":["SCMP_ARCH_X86","SCMP_ARCH_X32"],"flags":["SECCOMP_FILTER_FLAG_LOG"],"syscalls":[{"names":["read","write","exit_group"],"action":"SCMP_ACT_ALLOW"},{"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"},{"index":0,"value":131072,"op":"SCMP_CMP_EQ"}]}]}`,
		`{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/run/agent.sock","listenerMetadata":"m","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_NOTIFY"}]}`,
		`{"defaultAction":"SCMP_ACT_KILL_PROCESS","syscalls":[{"names":["clone"],"action":"SCMP_ACT_TRACE","errnoRet":5,"args":[{"index":5,"value":1,"valueTwo":1,"op":"SCMP_CMP_MASKED_EQ"}]}]}`,
		`{"defaultAction":"SCMP_ACT_NOTIFY"}`,
		`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["no_such_syscall"],"action":"SCMP_ACT_LOG"}]}`,
		`{"syscalls":[{"names":[""],"action":""}]}`,
		`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","errnoRet":70000}]}`,
		`{}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c specs.LinuxSeccomp
		if err := json.Unmarshal(data, &c); err != nil {
			return
		}
		err := Validate(&c)
		if err != nil {
			if err.Error() == "" || (strings.Contains(err.Error(), "\n") && !strings.Contains(string(data), `\`)) {
				t.Fatalf("Validate: error %q is not one line", err)
			}
			return
		}
		filter, err := Compile(&c)
		if err != nil {
			t.Fatalf("Validate accepted a profile that does not compile: %v\n%s", err, data)
		}
		if isEmpty(&c) != (filter == nil) {
			t.Fatalf("empty profile %v, filter %v", isEmpty(&c), filter)
		}
		if filter != nil {
			if _, err := filter.Insns(); err != nil {
				t.Fatal(err)
			}
		}
	})
}
