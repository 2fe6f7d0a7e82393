package seccomp

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func uintp(v uint) *uint { return &v }

// validProfile returns a small profile that passes validation; tests break
// one field at a time.
func validProfile() *specs.LinuxSeccomp {
	return &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
		Flags:         []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog},
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"read", "write"}, Action: specs.ActAllow},
			{Names: []string{"mkdir"}, Action: specs.ActErrno, ErrnoRet: uintp(38)},
			{Names: []string{"personality"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{
				{Index: 0, Value: 0, Op: specs.OpEqualTo},
			}},
		},
	}
}

func TestValidateProfileOK(t *testing.T) {
	for name, c := range map[string]*specs.LinuxSeccomp{
		"nil":   nil,
		"empty": {},
		"empty with flags and archs (runc: disabled)": {Flags: []specs.LinuxSeccompFlag{"bogus"}, Architectures: []specs.Arch{"bogus"}},
		"valid":                    validProfile(),
		"default only":             {DefaultAction: specs.ActAllow},
		"trace with errnoRet":      {DefaultAction: specs.ActTrace, DefaultErrnoRet: uintp(0xffff)},
		"errno with errnoRet 0":    {DefaultAction: specs.ActErrno, DefaultErrnoRet: uintp(0)},
		"errno with errnoRet 4094": {DefaultAction: specs.ActErrno, DefaultErrnoRet: uintp(4094)},
		"tsync and every flag": {DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{
			flagTsync, specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow, specs.LinuxSeccompFlagWaitKillableRecv,
		}},
		// Ignored, as runc ignores it.
		"listener without notify": {
			DefaultAction: specs.ActAllow, ListenerPath: "/run/agent.sock",
			Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActErrno}},
		},
		"notify with listener": {
			DefaultAction: specs.ActAllow, ListenerPath: "/run/agent.sock",
			Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActNotify}},
		},
		"same arg index twice": {
			DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{{Names: []string{"kill"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{
				{Index: 1, Value: 9, Op: specs.OpEqualTo}, {Index: 1, Value: 15, Op: specs.OpEqualTo},
			}}},
		},
		"unknown syscall name is not an error": {
			DefaultAction: specs.ActAllow,
			Syscalls:      []specs.LinuxSyscall{{Names: []string{"no_such_syscall_xyz"}, Action: specs.ActErrno}},
		},
	} {
		t.Run(name, func(t *testing.T) {
			if err := validateProfile(c); err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
		})
	}
}

func TestValidateProfileErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(c *specs.LinuxSeccomp)
		want   string
	}{
		{
			"no default action", func(c *specs.LinuxSeccomp) { c.DefaultAction = "" },
			"linux.seccomp.defaultAction: must be set",
		},
		{
			"unknown default action", func(c *specs.LinuxSeccomp) { c.DefaultAction = "SCMP_ACT_FOO" },
			`linux.seccomp.defaultAction: unknown action "SCMP_ACT_FOO"`,
		},
		{
			"notify as default", func(c *specs.LinuxSeccomp) { c.DefaultAction = specs.ActNotify },
			"linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action",
		},
		{"defaultErrnoRet with allow", func(c *specs.LinuxSeccomp) {
			c.DefaultAction = specs.ActAllow
			c.DefaultErrnoRet = uintp(1)
		}, "linux.seccomp.defaultErrnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_ALLOW"},
		{
			"defaultErrnoRet too big", func(c *specs.LinuxSeccomp) { c.DefaultErrnoRet = uintp(0x10000) },
			"linux.seccomp.defaultErrnoRet: 65536 is out of range",
		},
		{
			"unknown arch", func(c *specs.LinuxSeccomp) { c.Architectures[2] = "SCMP_ARCH_VAX" },
			`linux.seccomp.architectures[2]: unknown architecture "SCMP_ARCH_VAX"`,
		},
		{
			"unknown flag", func(c *specs.LinuxSeccomp) { c.Flags = append(c.Flags, "SECCOMP_FILTER_FLAG_FOO") },
			`linux.seccomp.flags[1]: unknown flag "SECCOMP_FILTER_FLAG_FOO"`,
		},
		{
			"no names", func(c *specs.LinuxSeccomp) { c.Syscalls[1].Names = nil },
			"linux.seccomp.syscalls[1].names: must not be empty",
		},
		{
			"empty name", func(c *specs.LinuxSeccomp) { c.Syscalls[0].Names[1] = "" },
			"linux.seccomp.syscalls[0].names[1]: empty syscall name",
		},
		{
			"no action", func(c *specs.LinuxSeccomp) { c.Syscalls[0].Action = "" },
			"linux.seccomp.syscalls[0].action: must be set",
		},
		{
			"unknown action", func(c *specs.LinuxSeccomp) { c.Syscalls[2].Action = "SCMP_ACT_FOO" },
			`linux.seccomp.syscalls[2].action: unknown action "SCMP_ACT_FOO"`,
		},
		{
			"errnoRet with kill", func(c *specs.LinuxSeccomp) { c.Syscalls[1].Action = specs.ActKillProcess },
			"linux.seccomp.syscalls[1].errnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_KILL_PROCESS",
		},
		{
			"errnoRet too big", func(c *specs.LinuxSeccomp) { c.Syscalls[1].ErrnoRet = uintp(70000) },
			"linux.seccomp.syscalls[1].errnoRet: 70000 is out of range",
		},
		// Found by FuzzProfile: libseccomp refuses errno values from
		// MAX_ERRNO (4095) on, which used to fail only in the init.
		{
			"errnoRet above libseccomp's errno range", func(c *specs.LinuxSeccomp) { c.Syscalls[1].ErrnoRet = uintp(4095) },
			"linux.seccomp.syscalls[1].errnoRet: 4095 is out of range (0 to 4094)",
		},
		{
			"defaultErrnoRet above libseccomp's errno range", func(c *specs.LinuxSeccomp) { c.DefaultErrnoRet = uintp(10000) },
			"linux.seccomp.defaultErrnoRet: 10000 is out of range (0 to 4094)",
		},
		{
			"arg index 6", func(c *specs.LinuxSeccomp) { c.Syscalls[2].Args[0].Index = 6 },
			"linux.seccomp.syscalls[2].args[0].index: 6 is out of range",
		},
		{
			"unknown operator", func(c *specs.LinuxSeccomp) { c.Syscalls[2].Args[0].Op = "SCMP_CMP_FOO" },
			`linux.seccomp.syscalls[2].args[0].op: unknown operator "SCMP_CMP_FOO"`,
		},
		{
			"no operator", func(c *specs.LinuxSeccomp) { c.Syscalls[2].Args[0].Op = "" },
			"linux.seccomp.syscalls[2].args[0].op: must be set",
		},
		{
			"notify without listener", func(c *specs.LinuxSeccomp) {
				c.Syscalls[1] = specs.LinuxSyscall{Names: []string{"mkdir"}, Action: specs.ActNotify}
			},
			"linux.seccomp.listenerPath: must be set when a rule uses SCMP_ACT_NOTIFY",
		},
		{"notify on write", func(c *specs.LinuxSeccomp) {
			c.ListenerPath = "/run/agent.sock"
			c.Syscalls[0].Action = specs.ActNotify
		}, "linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot be used for the write syscall"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validProfile()
			tc.mutate(c)
			err := validateProfile(c)
			if err == nil {
				t.Fatalf("want error containing %q, got nil", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
			// Validate (with the support checks) must fail too.
			if Validate(c) == nil {
				t.Fatal("Validate accepted what validateProfile rejected")
			}
		})
	}
}

func TestFilterFlags(t *testing.T) {
	const (
		log     = 0x2  // SECCOMP_FILTER_FLAG_LOG
		spec    = 0x4  // SECCOMP_FILTER_FLAG_SPEC_ALLOW
		newL    = 0x8  // SECCOMP_FILTER_FLAG_NEW_LISTENER
		waitKil = 0x20 // SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
	)
	notify := []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActNotify}}
	for _, tc := range []struct {
		name     string
		c        specs.LinuxSeccomp
		expected uint
	}{
		{"nil flags: nothing (SettleFlags sets the default)", specs.LinuxSeccomp{}, 0},
		{"empty flags: nothing", specs.LinuxSeccomp{Flags: []specs.LinuxSeccompFlag{}}, 0},
		{"log", specs.LinuxSeccomp{Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog}}, log},
		{"tsync is a no-op", specs.LinuxSeccomp{Flags: []specs.LinuxSeccompFlag{flagTsync}}, 0},
		{"log and spec", specs.LinuxSeccomp{Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow}}, log | spec},
		{"wait killable without notify is dropped", specs.LinuxSeccomp{Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv}}, 0},
		{"notify adds a listener", specs.LinuxSeccomp{Flags: []specs.LinuxSeccompFlag{}, Syscalls: notify}, newL},
		{"notify with wait killable", specs.LinuxSeccomp{Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv}, Syscalls: notify}, newL | waitKil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := filterFlags(&tc.c); got != tc.expected {
				t.Fatalf("got %#x, want %#x", got, tc.expected)
			}
		})
	}
}

func TestTables(t *testing.T) {
	// Every runtime-spec architecture constant is known.
	for _, a := range []specs.Arch{
		specs.ArchX86, specs.ArchX86_64, specs.ArchX32, specs.ArchARM, specs.ArchAARCH64,
		specs.ArchMIPS, specs.ArchMIPS64, specs.ArchMIPS64N32, specs.ArchMIPSEL, specs.ArchMIPSEL64,
		specs.ArchMIPSEL64N32, specs.ArchPPC, specs.ArchPPC64, specs.ArchPPC64LE, specs.ArchS390,
		specs.ArchS390X, specs.ArchPARISC, specs.ArchPARISC64, specs.ArchRISCV64, specs.ArchLOONGARCH64,
		specs.ArchM68K, specs.ArchSH, specs.ArchSHEB,
	} {
		if !knownArchs.Has(a) {
			t.Errorf("architecture %s missing from knownArchs", a)
		}
	}
	// Audit values are unique, except that x32 shares x86-64's.
	seen := map[uint32]specs.Arch{}
	x8664, _ := knownArchs.Lookup(specs.ArchX86_64)
	for _, e := range knownArchs {
		a, info := e.Key, e.Val
		if info.x32 {
			if a != specs.ArchX32 || info.audit != x8664.audit {
				t.Errorf("%s: unexpected x32 entry %+v", a, info)
			}
			continue
		}
		if other, dup := seen[info.audit]; dup {
			t.Errorf("%s and %s share audit arch %#x", a, other, info.audit)
		}
		seen[info.audit] = a
	}
	if len(knownActions) != 9 || len(knownOperators) != 7 {
		t.Errorf("want 9 actions and 7 operators, got %d and %d", len(knownActions), len(knownOperators))
	}
	want := "SECCOMP_FILTER_FLAG_LOG SECCOMP_FILTER_FLAG_SPEC_ALLOW SECCOMP_FILTER_FLAG_TSYNC SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"
	if got := strings.Join(KnownFlags(), " "); got != want {
		t.Errorf("KnownFlags: got %q, want %q", got, want)
	}
}
